//! CSV cells for the exports admins and merchants open in a spreadsheet.

/// Characters that make a spreadsheet read a cell as a formula (OWASP CSV
/// injection), tab and carriage return included: some spreadsheets skip them
/// and read the formula after.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Quotes a CSV cell when needed and defuses spreadsheet formulas, also
/// behind leading spaces.
pub fn cell(s: &str) -> String {
    let s = if s.starts_with(FORMULA_STARTS) || s.trim_start().starts_with(FORMULA_STARTS) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// One CSV line of `cells`, each through [`cell`], ending in a newline.
pub fn line<S: AsRef<str>>(cells: impl IntoIterator<Item = S>) -> String {
    let mut out = cells
        .into_iter()
        .map(|c| cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_defused() {
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("王芳"), "王芳");
        assert_eq!(cell("\t=1+1"), "'\t=1+1");
        assert_eq!(cell("\r=1+1"), "\"'\r=1+1\"");
        assert_eq!(cell("  @SUM(A1)"), "'  @SUM(A1)");
        assert_eq!(line(["a", "=b", "c\"d"]), "a,'=b,\"c\"\"d\"\n");
    }
}
