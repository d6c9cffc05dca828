//! Field rules shared by merchants, goods and promotions. Each check pushes a
//! `FieldError` so a request reports every bad field at once.

use sea_orm::sea_query::LikeExpr;

use crate::error::{ApiError, ApiResult, FieldError};

/// Trimmed text of `min..=max` characters; the trimmed value either way.
pub fn text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) -> String {
    let trimmed = value.trim();
    let n = trimmed.chars().count();
    if n < min || n > max {
        let rule = if min == 0 {
            format!("不能超过 {max} 个字符")
        } else {
            format!("须为 {min}-{max} 个字符")
        };
        errors.push(FieldError::new(field, rule));
    }
    trimmed.to_owned()
}

/// An https URL of at most 512 characters without whitespace.
pub fn is_https_url(url: &str) -> bool {
    url.len() > "https://".len()
        && url.len() <= 512
        && url.starts_with("https://")
        && !url.contains(char::is_whitespace)
}

/// A mainland mobile (`13800138000`) or landline (`0710-1234567`) number.
pub fn is_phone(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    (7..=20).contains(&phone.len())
        && phone.chars().all(|c| c.is_ascii_digit() || c == '-')
        && (7..=16).contains(&digits)
        && !phone.starts_with('-')
        && !phone.ends_with('-')
        && !phone.contains("--")
}

pub fn phone(errors: &mut Vec<FieldError>, field: &str, value: &str) -> String {
    let trimmed = value.trim();
    if !is_phone(trimmed) {
        errors.push(FieldError::new(field, "电话号码格式不正确"));
    }
    trimmed.to_owned()
}

pub fn lat_lng(errors: &mut Vec<FieldError>, lat: f64, lng: f64) {
    if !(-90.0..=90.0).contains(&lat) {
        errors.push(FieldError::new("lat", "纬度须在 -90 到 90 之间"));
    }
    if !(-180.0..=180.0).contains(&lng) {
        errors.push(FieldError::new("lng", "经度须在 -180 到 180 之间"));
    }
}

/// 422 with every collected field, or Ok.
pub fn finish(errors: Vec<FieldError>) -> ApiResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

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
    fn phones() {
        for good in ["13800138000", "0710-1234567", "1234567"] {
            assert!(is_phone(good), "{good}");
        }
        for bad in [
            "",
            "123",
            "138001380001234567890",
            "abc1234567",
            "-1234567",
            "12--34567",
            "+8613800138000",
        ] {
            assert!(!is_phone(bad), "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert!(is_https_url("https://img.example/a.png"));
        assert!(!is_https_url("http://img.example/a.png"));
        assert!(!is_https_url("https://"));
        assert!(!is_https_url("https://a b"));
        assert!(!is_https_url(&format!("https://{}", "a".repeat(510))));
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        let p = contains("100%_\\x");
        let debug = format!("{p:?}");
        assert!(debug.contains(r#"%100\\%\\_\\\\x%"#), "{debug}");
    }

    #[test]
    fn text_lengths_count_characters() {
        let mut errors = Vec::new();
        assert_eq!(text(&mut errors, "name", "  鲜果  ", 1, 2), "鲜果");
        assert!(errors.is_empty());
        text(&mut errors, "name", "   ", 1, 2);
        text(&mut errors, "name", "三个字", 1, 2);
        assert_eq!(errors.len(), 2);
        assert_eq!(keyword(Some("  ")), None);
        assert_eq!(keyword(Some(" 苹果 ")).as_deref(), Some("苹果"));
    }
}
