//! Phone numbers: one rule for every phone a client sends (a merchant's
//! contact, a helper's, a booking's).

use serde::Serialize;

/// A phone a person can be reached on: a mainland mobile (`13800138000`) or a
/// landline with its area code (`010-12345678`, `0710-1234567`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// The number, surrounding spaces ignored.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let phone = raw.trim();
        let b = phone.as_bytes();
        let mobile = b.len() == 11 && b[0] == b'1' && b.iter().all(u8::is_ascii_digit);
        let landline = phone.split_once('-').is_some_and(|(area, number)| {
            (3..=4).contains(&area.len())
                && area.starts_with('0')
                && area.bytes().all(|c| c.is_ascii_digit())
                && (7..=8).contains(&number.len())
                && number.bytes().all(|c| c.is_ascii_digit())
        });
        if mobile || landline {
            Ok(Self(phone.to_owned()))
        } else {
            Err("请填写正确的手机号或固定电话")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// `13800138000` → `138****8000`; short numbers keep only their last digits.
/// Stored phones are shown to others only this way.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    if n >= 7 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}****{tail}")
    } else {
        let tail: String = chars[n.saturating_sub(2)..].iter().collect();
        format!("****{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_and_landlines_with_an_area_code() {
        for good in [
            "13800138000",
            "010-12345678",
            "0715-1234567",
            " 13800138000 ",
        ] {
            assert!(PhoneNumber::parse(good).is_ok(), "{good}");
        }
        assert_eq!(
            PhoneNumber::parse(" 13800138000 ").unwrap().as_str(),
            "13800138000"
        );
        for bad in [
            "",
            "abc",
            "1234567",
            "1380013800",
            "23800138000",
            "138001380001",
            "10-12345678",
            "010-123456",
            "0710--1234567",
            "+8613800138000",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("12345"), "****45");
        assert_eq!(mask_phone(""), "****");
    }
}
