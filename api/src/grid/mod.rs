//! The grid worker's tools: the residents of my grid (bound WeChat users,
//! and offline profiles an admin creates for the elderly without WeChat,
//! with a phone and a guardian), care tiers by the five colours 红橙黄蓝绿
//! with a visit interval each (and the "三必访" tags: living-alone elderly,
//! disabled, petitioners at least monthly), the visit log (a request may be
//! filed from a visit) and the visits now due.
//!
//! A grid worker reaches only the residents of their own grids (others are
//! 404); an admin reaches those of their communities.

pub mod routes;
pub mod service;

pub use routes::configure;

crate::text_enum! {
    /// Care tier (五色管理), from most to least attention.
    pub enum CareTier {
        Red => "red",
        Orange => "orange",
        Yellow => "yellow",
        Blue => "blue",
        Green => "green",
    }
}

impl CareTier {
    /// Days between visits.
    pub fn interval_days(self) -> i64 {
        match self {
            CareTier::Red => 7,
            CareTier::Orange => 14,
            CareTier::Yellow => 30,
            CareTier::Blue => 90,
            CareTier::Green => 180,
        }
    }
}

crate::text_enum! {
    /// What a grid worker notes about a resident.
    pub enum CareTag {
        /// 独居老人 (三必访)
        LivingAloneElderly => "living_alone_elderly",
        /// 残疾人 (三必访)
        Disabled => "disabled",
        /// 信访人员 (三必访)
        Petitioner => "petitioner",
        /// 空巢老人
        EmptyNest => "empty_nest",
        /// 留守儿童
        LeftBehindChild => "left_behind_child",
        /// 低保户
        LowIncome => "low_income",
    }
}

impl CareTag {
    /// "三必访": visited at least monthly whatever the tier.
    pub fn must_visit(self) -> bool {
        matches!(
            self,
            CareTag::LivingAloneElderly | CareTag::Disabled | CareTag::Petitioner
        )
    }
}

/// Days between "三必访" visits at most.
pub const MUST_VISIT_DAYS: i64 = 30;

/// Days between visits for a tier and tags; None = no visits scheduled.
pub fn visit_interval(tier: Option<CareTier>, tags: &[CareTag]) -> Option<i64> {
    let must = tags
        .iter()
        .any(|t| t.must_visit())
        .then_some(MUST_VISIT_DAYS);
    match (tier.map(CareTier::interval_days), must) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn must_visit_tags_cap_the_interval_at_a_month() {
        assert_eq!(visit_interval(Some(CareTier::Red), &[]), Some(7));
        assert_eq!(visit_interval(Some(CareTier::Green), &[]), Some(180));
        assert_eq!(
            visit_interval(Some(CareTier::Green), &[CareTag::LivingAloneElderly]),
            Some(30)
        );
        assert_eq!(
            visit_interval(Some(CareTier::Red), &[CareTag::Disabled]),
            Some(7)
        );
        assert_eq!(visit_interval(None, &[CareTag::Petitioner]), Some(30));
        assert_eq!(visit_interval(None, &[CareTag::LowIncome]), None);
        assert_eq!(visit_interval(None, &[]), None);
    }
}
