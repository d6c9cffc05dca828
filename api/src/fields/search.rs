//! Search keywords from query strings.

use sea_orm::sea_query::LikeExpr;

/// `LIKE '%keyword%' ESCAPE '\'` with `%`, `_` and `\` in the keyword taken literally.
pub fn contains(keyword: &str) -> LikeExpr {
    let mut pattern = String::with_capacity(keyword.len() + 2);
    pattern.push('%');
    for c in keyword.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape('\\')
}

/// A search keyword: trimmed, None when empty; at most 50 characters.
pub fn keyword(q: Option<&str>) -> Option<String> {
    let q = q?.trim();
    if q.is_empty() {
        None
    } else {
        Some(q.chars().take(50).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        let p = contains("100%_\\x");
        let debug = format!("{p:?}");
        assert!(debug.contains(r#"%100\\%\\_\\\\x%"#), "{debug}");
    }

    #[test]
    fn keywords_are_trimmed_and_bounded() {
        assert_eq!(keyword(Some("  ")), None);
        assert_eq!(keyword(Some(" 苹果 ")).as_deref(), Some("苹果"));
        assert_eq!(
            keyword(Some(&"字".repeat(60))).map(|k| k.chars().count()),
            Some(50)
        );
    }
}
