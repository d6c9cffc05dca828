//! A job's body, parsed: every bad field named at once.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::PayUnit;
use crate::fields::Fields;
use crate::money::Money;

pub const MAX_HEADCOUNT: i32 = 200;
pub const MAX_COMMUNITIES: usize = 50;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct JobInput {
    /// Post as this merchant (its owner); exactly one of `merchant_id` and
    /// `organisation_id`.
    pub merchant_id: Option<i64>,
    /// Post as this registered organisation (its account).
    pub organisation_id: Option<i64>,
    /// 1-64 characters.
    #[schema(max_length = 64, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub title: Option<String>,
    /// Requirements and duties, up to 1000 characters.
    #[schema(max_length = 1000)]
    pub requirements: Option<String>,
    /// CNY, more than zero, two decimals at most (`"120.00"`).
    #[schema(value_type = Option<String>, pattern = r"^(0\.(0[1-9]|[1-9][0-9])|[1-9][0-9]{0,7}\.[0-9]{2})$")]
    pub pay: Option<Money>,
    /// `hour`, `day`, `piece` or `job`.
    #[schema(schema_with = pay_units)]
    pub pay_unit: Option<String>,
    /// Where, 1-128 characters.
    #[schema(max_length = 128, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub place: Option<String>,
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub starts_at: Option<DateTime<Utc>>,
    /// After `starts_at`; the job leaves the lists then.
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub ends_at: Option<DateTime<Utc>>,
    /// People wanted, 1-200.
    #[schema(minimum = 1, maximum = 200)]
    pub headcount: Option<i32>,
    /// 1-32 characters.
    #[schema(max_length = 32, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub contact_name: Option<String>,
    #[schema(pattern = r"^(1[0-9]{10}|0[0-9]{2,3}-[0-9]{7,8})$")]
    pub contact_phone: Option<String>,
    /// Communities whose residents may apply: among the merchant's served
    /// communities, or the organisation's community.
    pub community_ids: Option<Vec<i64>>,
}
fn pay_units() -> utoipa::openapi::Object {
    crate::openapi::choices(&["hour", "day", "piece", "job"])
}

pub struct JobDraft {
    pub title: String,
    pub requirements: String,
    pub pay: Money,
    pub pay_unit: PayUnit,
    pub place: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub headcount: i32,
    pub contact_name: String,
    pub contact_phone: String,
    pub community_ids: Vec<i64>,
}

impl JobDraft {
    /// The draft, or None with every bad field noted in `f`.
    pub fn parse(input: &JobInput, now: DateTime<Utc>, f: &mut Fields) -> Option<Self> {
        let title = f.text("title", input.title.as_deref(), 1, 64);
        let requirements = f
            .optional_text("requirements", input.requirements.as_deref(), 1000)
            .unwrap_or_default();
        let pay = f.required("pay", input.pay);
        if pay.is_some_and(|p| p.is_zero()) {
            f.push("pay", "须大于 0");
        }
        let pay_unit = match input.pay_unit.as_deref() {
            None => f.required("pay_unit", None),
            Some(u) => {
                let unit = PayUnit::parse(u);
                if unit.is_none() {
                    f.push("pay_unit", "须为 hour、day、piece 或 job");
                }
                unit
            }
        };
        let place = f.text("place", input.place.as_deref(), 1, 128);
        let starts_at = f.required("starts_at", input.starts_at);
        let ends_at = f.required("ends_at", input.ends_at);
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            f.push("ends_at", "须晚于 starts_at");
        }
        if ends_at.is_some_and(|e| e <= now) {
            f.push("ends_at", "须在将来");
        }
        let headcount = f.required("headcount", input.headcount);
        if headcount.is_some_and(|h| !(1..=MAX_HEADCOUNT).contains(&h)) {
            f.push("headcount", format!("须在 1-{MAX_HEADCOUNT} 之间"));
        }
        let contact_name = f.text("contact_name", input.contact_name.as_deref(), 1, 32);
        let contact_phone = match input.contact_phone.as_deref() {
            None => f.required("contact_phone", None),
            phone => f.phone("contact_phone", phone),
        };
        let mut community_ids = input.community_ids.clone().unwrap_or_default();
        community_ids.sort_unstable();
        community_ids.dedup();
        if community_ids.is_empty() || community_ids.len() > MAX_COMMUNITIES {
            f.push(
                "community_ids",
                format!("须指定 1-{MAX_COMMUNITIES} 个社区"),
            );
        }
        if input.merchant_id.is_some() == input.organisation_id.is_some() {
            f.push(
                "merchant_id",
                "merchant_id 与 organisation_id 须且只能填一个",
            );
        }
        if !f.is_empty() {
            return None;
        }
        Some(Self {
            title,
            requirements,
            pay: pay?,
            pay_unit: pay_unit?,
            place,
            starts_at: starts_at?,
            ends_at: ends_at?,
            headcount: headcount?,
            contact_name,
            contact_phone: contact_phone?,
            community_ids,
        })
    }
}
