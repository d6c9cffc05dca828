//! The numbers orders are known by.

use chrono::{DateTime, Utc};
use rand::Rng;

/// An order number: unguessable, a date for people, then 16 random characters.
pub fn new_order_no(now: DateTime<Utc>) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let tail: String = (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}{}", now.format("%Y%m%d"), tail)
}

/// A pickup code: 8 digits, unique among orders (a unique index; a
/// collision is drawn again).
pub fn new_pickup_code() -> String {
    format!("{:08}", rand::rng().random_range(0..100_000_000u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_and_codes_have_their_shapes() {
        let now = crate::time::now();
        let a = new_order_no(now);
        assert_eq!(a.len(), 24);
        assert_ne!(a, new_order_no(now));
        let code = new_pickup_code();
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
    }
}
