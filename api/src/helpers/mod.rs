//! Helpers (服务人员): a resident applies with skills and communities, a
//! community admin approves (the applicant becomes a helper with role
//! `helper`) or rejects with a reason.

pub mod admin;
pub mod applications;
pub mod routes;
pub mod service;
pub mod skills;

pub use routes::configure;

/// Average of `count` ratings summing to `sum`, to two decimals; None before the first.
pub fn rating_avg(sum: i64, count: i64) -> Option<f64> {
    (count > 0).then(|| ((sum as f64 / count as f64) * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages() {
        assert_eq!(rating_avg(0, 0), None);
        assert_eq!(rating_avg(9, 2), Some(4.5));
        assert_eq!(rating_avg(14, 3), Some(4.67));
    }
}
