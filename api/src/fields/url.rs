//! Links clients send (logos, avatars, goods images).

use serde::Serialize;

/// An https URL of at most 512 characters, without whitespace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct HttpsUrl(String);

impl HttpsUrl {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let ok = raw.len() > "https://".len()
            && raw.len() <= 512
            && raw.starts_with("https://")
            && !raw.contains(char::is_whitespace);
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err("须为 https 链接，不超过 512 个字符")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_only_short_and_without_spaces() {
        assert!(HttpsUrl::parse("https://img.example/a.png").is_ok());
        assert!(HttpsUrl::parse("http://img.example/a.png").is_err());
        assert!(HttpsUrl::parse("https://").is_err());
        assert!(HttpsUrl::parse("https://a b").is_err());
        assert!(HttpsUrl::parse(&format!("https://{}", "a".repeat(510))).is_err());
    }
}
