//! The happiness index (幸福指数), 0-100.
//!
//! Every scale question (1-5) carries a weight (0-10, default 1; 0 leaves it
//! out). A question's score is its mean answer mapped onto 0-100:
//! `(mean - 1) × 25`. The index is the weighted mean of the scores of the
//! weighted questions that have at least one answer:
//! `Σ weight × score / Σ weight`, rounded half away from zero to one
//! decimal. Choice and text questions do not count. A quarter's index is
//! the same over every weighted scale question of the surveys opened in that
//! quarter (China Standard Time). All in `rust_decimal`, so a hand-computed
//! figure matches to the digit.

use rust_decimal::{Decimal, RoundingStrategy};

/// The answers one scale question got (in the scope asked for).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScaleTally {
    pub weight: i32,
    /// Sum of the 1-5 answers.
    pub sum: i64,
    pub count: i64,
}

/// The index of `tallies`, or None when no weighted question was answered.
pub fn happiness_index(tallies: &[ScaleTally]) -> Option<Decimal> {
    let mut weighted = Decimal::ZERO;
    let mut weights = Decimal::ZERO;
    for t in tallies.iter().filter(|t| t.weight > 0 && t.count > 0) {
        let mean = Decimal::from(t.sum).checked_div(Decimal::from(t.count))?;
        let score = (mean - Decimal::ONE).checked_mul(Decimal::from(25))?;
        let w = Decimal::from(t.weight);
        weighted = weighted.checked_add(score.checked_mul(w)?)?;
        weights += w;
    }
    if weights.is_zero() {
        return None;
    }
    Some(
        weighted
            .checked_div(weights)?
            .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero),
    )
}

/// The index as clients read it: one decimal, a string (`"62.5"`).
pub fn shown(index: Option<Decimal>) -> Option<String> {
    index.map(|i| format!("{i:.1}"))
}

/// `2026Q4`: the quarter of a local date.
pub fn quarter_of(date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}Q{}", date.year(), date.month0() / 3 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(weight: i32, sum: i64, count: i64) -> ScaleTally {
        ScaleTally { weight, sum, count }
    }

    #[test]
    fn weighted_mean_of_scores_by_hand() {
        // means 4.0 (score 75), 2.5 (37.5); weights 2 and 1: (150 + 37.5) / 3 = 62.5
        assert_eq!(
            shown(happiness_index(&[t(2, 8, 2), t(1, 5, 2)])).as_deref(),
            Some("62.5")
        );
        // unweighted and unanswered questions are left out
        assert_eq!(
            shown(happiness_index(&[t(1, 5, 1), t(0, 1, 1), t(3, 0, 0)])).as_deref(),
            Some("100.0")
        );
        // 1/3 rounds to one decimal: mean 11/3 → (8/3)·25 = 66.66… → 66.7
        assert_eq!(
            shown(happiness_index(&[t(1, 11, 3)])).as_deref(),
            Some("66.7")
        );
        assert_eq!(happiness_index(&[]), None);
        assert_eq!(happiness_index(&[t(0, 5, 1)]), None);
    }

    #[test]
    fn quarters_by_month() {
        let d = |m| chrono::NaiveDate::from_ymd_opt(2026, m, 15).unwrap();
        assert_eq!(quarter_of(d(1)), "2026Q1");
        assert_eq!(quarter_of(d(6)), "2026Q2");
        assert_eq!(quarter_of(d(9)), "2026Q3");
        assert_eq!(quarter_of(d(12)), "2026Q4");
    }
}
