//! Helpers (服务人员): a resident applies with skills and communities, a
//! community admin approves (the applicant becomes a helper with role
//! `helper`) or rejects with a reason.

pub mod routes;
pub mod service;
pub mod skills;

pub use routes::configure;

/// A phone number a helper or a booking may carry: a mainland mobile
/// (`13800138000`) or a landline with area code (`010-12345678`).
pub fn valid_phone(phone: &str) -> bool {
    let b = phone.as_bytes();
    let mobile = b.len() == 11 && b[0] == b'1' && b.iter().all(u8::is_ascii_digit);
    let landline = match phone.split_once('-') {
        Some((area, number)) => {
            (3..=4).contains(&area.len())
                && area.starts_with('0')
                && area.bytes().all(|c| c.is_ascii_digit())
                && (7..=8).contains(&number.len())
                && number.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    };
    mobile || landline
}

/// Average of `count` ratings summing to `sum`, to two decimals; None before the first.
pub fn rating_avg(sum: i64, count: i64) -> Option<f64> {
    (count > 0).then(|| ((sum as f64 / count as f64) * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert!(valid_phone("13800138000"));
        assert!(valid_phone("010-12345678"));
        assert!(valid_phone("0715-1234567"));
        assert!(!valid_phone("1380013800"));
        assert!(!valid_phone("23800138000"));
        assert!(!valid_phone("138001380001"));
        assert!(!valid_phone("10-12345678"));
        assert!(!valid_phone("010-123456"));
        assert!(!valid_phone("abc"));
        assert!(!valid_phone(""));
    }

    #[test]
    fn averages() {
        assert_eq!(rating_avg(0, 0), None);
        assert_eq!(rating_avg(9, 2), Some(4.5));
        assert_eq!(rating_avg(14, 3), Some(4.67));
    }
}
