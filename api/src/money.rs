//! Money: CNY with exactly two decimals, a `rust_decimal` inside, a JSON
//! string outside (`"12.50"`), integer fen (分) in the database.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Largest amount any single price or order may reach: 99,999,999.99 CNY.
const MAX_FEN: i64 = 9_999_999_999;

/// A non-negative CNY amount with at most two decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("金额格式不正确")]
    NotANumber,
    #[error("金额最多两位小数")]
    TooManyDecimals,
    #[error("金额不能为负数")]
    Negative,
    #[error("金额过大")]
    TooLarge,
}

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// From integer fen, as stored.
    pub fn from_fen(fen: i64) -> Self {
        Money(Decimal::new(fen, 2))
    }

    /// To integer fen, for storage and for WeChat Pay.
    pub fn fen(&self) -> i64 {
        let scaled = self.0 * Decimal::ONE_HUNDRED;
        i64::try_from(scaled.trunc()).unwrap_or(i64::MAX)
    }

    pub fn decimal(&self) -> Decimal {
        self.0
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    /// `self × quantity`, or None on overflow past the maximum amount.
    pub fn times(&self, quantity: i64) -> Option<Money> {
        let total = self.0.checked_mul(Decimal::from(quantity))?;
        Money::try_from(total).ok()
    }

    pub fn checked_add(&self, other: Money) -> Option<Money> {
        Money::try_from(self.0.checked_add(other.0)?).ok()
    }
}

impl TryFrom<Decimal> for Money {
    type Error = MoneyError;

    fn try_from(d: Decimal) -> Result<Self, MoneyError> {
        if d.is_sign_negative() && !d.is_zero() {
            return Err(MoneyError::Negative);
        }
        if d.normalize().scale() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let mut d = d;
        d.rescale(2);
        if d * Decimal::ONE_HUNDRED > Decimal::from(MAX_FEN) {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money(d))
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, MoneyError> {
        let s = s.trim();
        // Plain decimals only: no exponents, signs on positives, or spaces inside.
        let valid = !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
            && s.matches('.').count() <= 1
            && !s.starts_with('.')
            && !s.ends_with('.')
            && s.rfind('-').is_none_or(|i| i == 0);
        if !valid {
            return Err(MoneyError::NotANumber);
        }
        let d = Decimal::from_str_exact(s).map_err(|_| MoneyError::NotANumber)?;
        Money::try_from(d)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// Accepts `"12.50"`; also a JSON number with at most two decimals, read
/// exactly from its text (never through a float).
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = serde_json::Value::deserialize(d)?;
        let text = match &raw {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return Err(serde::de::Error::custom(MoneyError::NotANumber)),
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^[0-9]{1,8}\.[0-9]{2}$"))
            .description(Some("CNY with exactly two decimals"))
            .examples([serde_json::json!("12.50")])
            .into()
    }
}

impl utoipa::ToSchema for Money {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_two_decimals() {
        assert_eq!("12.5".parse::<Money>().unwrap().to_string(), "12.50");
        assert_eq!("0".parse::<Money>().unwrap().to_string(), "0.00");
        assert_eq!("3.10".parse::<Money>().unwrap().fen(), 310);
        assert_eq!(Money::from_fen(1999).to_string(), "19.99");
        assert_eq!("19.990".parse::<Money>().unwrap().fen(), 1999);
    }

    #[test]
    fn rejects_what_is_not_money() {
        assert_eq!("1.234".parse::<Money>(), Err(MoneyError::TooManyDecimals));
        assert_eq!("-1".parse::<Money>(), Err(MoneyError::Negative));
        for bad in [
            "abc", "", "1e3", "1.", ".5", "1..2", "+1", "1 0", "NaN", "1-",
        ] {
            assert_eq!(bad.parse::<Money>(), Err(MoneyError::NotANumber), "{bad}");
        }
        assert_eq!("100000000.00".parse::<Money>(), Err(MoneyError::TooLarge));
    }

    #[test]
    fn json_in_and_out() {
        let m: Money = serde_json::from_str("\"8.8\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"8.80\"");
        let n: Money = serde_json::from_str("8.85").unwrap();
        assert_eq!(n.fen(), 885);
        assert!(serde_json::from_str::<Money>("8.855").is_err());
        assert!(serde_json::from_str::<Money>("true").is_err());
    }

    #[test]
    fn arithmetic_is_exact() {
        let p: Money = "0.10".parse().unwrap();
        assert_eq!(p.times(3).unwrap().to_string(), "0.30");
        assert_eq!(
            p.checked_add("0.20".parse().unwrap()).unwrap().to_string(),
            "0.30"
        );
        assert!(Money::from_fen(MAX_FEN).times(2).is_none());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Any amount the API can hold, in fen.
        fn fen() -> impl Strategy<Value = i64> {
            0..=MAX_FEN
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Printing then parsing gives the same amount; fen survive both ways.
            #[test]
            fn text_and_fen_round_trip(f in fen()) {
                let m = Money::from_fen(f);
                prop_assert_eq!(m.fen(), f);
                let text = m.to_string();
                prop_assert!(text.len() >= 4 && text.as_bytes()[text.len() - 3] == b'.', "{}", text);
                prop_assert_eq!(text.parse::<Money>(), Ok(m));
                let json = serde_json::to_string(&m).unwrap();
                prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
            }

            /// A plain decimal is money exactly when it is non-negative, has at
            /// most two significant decimals and is within the maximum; its fen
            /// are the exact value times 100, never a float's rounding.
            #[test]
            fn parsing_is_exact_or_refused(units in 0i64..200_000_000, cents in 0u32..1000, digits in 1usize..=3) {
                let frac = format!("{cents:03}");
                let text = format!("{units}.{}", &frac[..digits]);
                let exact = Decimal::from_str_exact(&text).unwrap();
                let scaled = exact * Decimal::ONE_HUNDRED;
                match text.parse::<Money>() {
                    Ok(m) => {
                        prop_assert!(scaled.fract().is_zero());
                        prop_assert_eq!(Decimal::from(m.fen()), scaled);
                        prop_assert!(m.fen() <= MAX_FEN);
                    }
                    Err(MoneyError::TooManyDecimals) => prop_assert!(!scaled.fract().is_zero()),
                    Err(MoneyError::TooLarge) => prop_assert!(scaled > Decimal::from(MAX_FEN)),
                    Err(other) => prop_assert!(false, "{text}: {other:?}"),
                }
            }

            /// Whatever text a client sends, parsing answers (never panics) and
            /// only ever yields an amount in range.
            #[test]
            fn arbitrary_text_never_panics(text in any::<String>()) {
                if let Ok(m) = text.parse::<Money>() {
                    prop_assert!((0..=MAX_FEN).contains(&m.fen()));
                }
                let _ = serde_json::from_value::<Money>(serde_json::Value::String(text));
            }

            /// Negative amounts are refused, whatever their decimals.
            #[test]
            fn negatives_are_refused(f in 1..=MAX_FEN) {
                let text = format!("-{}", Money::from_fen(f));
                prop_assert_eq!(text.parse::<Money>(), Err(MoneyError::Negative));
            }

            /// An order line's amount: `times` agrees with fen arithmetic (what
            /// checkout stores) and is refused exactly when it passes the maximum.
            #[test]
            fn line_amounts_are_exact(f in fen(), quantity in 0i64..=100_000) {
                let price = Money::from_fen(f);
                let in_fen = f.checked_mul(quantity).filter(|t| *t <= MAX_FEN);
                match price.times(quantity) {
                    Some(total) => prop_assert_eq!(Some(total.fen()), in_fen),
                    None => prop_assert_eq!(in_fen, None),
                }
            }

            /// An order's total: summing its lines with `checked_add` equals the
            /// sum in fen, in any order of the lines, or overflows in both.
            #[test]
            fn sums_of_lines_are_exact_and_order_free(
                lines in proptest::collection::vec((0i64..=1_000_000, 1i64..=999), 0..40),
            ) {
                let total = |lines: &[(i64, i64)]| {
                    lines.iter().try_fold(Money::ZERO, |acc, (f, q)| {
                        acc.checked_add(Money::from_fen(*f).times(*q)?)
                    })
                };
                let fen: i64 = lines.iter().map(|(f, q)| f * q).sum();
                let forward = total(&lines);
                let mut reversed = lines.clone();
                reversed.reverse();
                prop_assert_eq!(forward, total(&reversed));
                if fen <= MAX_FEN {
                    prop_assert_eq!(forward.map(|m| m.fen()), Some(fen));
                } else {
                    prop_assert_eq!(forward, None);
                }
            }

            /// Refunds: an order's paid amount split into refunds adds up to the
            /// paid amount exactly, and a refund never exceeds what is left.
            #[test]
            fn refunds_add_up_to_the_paid_amount(paid in fen(), cuts in proptest::collection::vec(0u32..=100, 0..8)) {
                let paid_m = Money::from_fen(paid);
                let mut left = paid_m;
                let mut refunded = Money::ZERO;
                for pct in cuts {
                    let part = Money::from_fen(left.fen() * i64::from(pct) / 100);
                    prop_assert!(part <= left);
                    left = Money::from_fen(left.fen() - part.fen());
                    refunded = refunded.checked_add(part).unwrap();
                }
                prop_assert_eq!(refunded.checked_add(left), Some(paid_m));
            }
        }
    }
}
