//! The body of a new activity, parsed: every bad field named at once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schedule::{ScheduleInput, Window};
use crate::error::FieldError;
use crate::fields::FieldErrors;
use crate::uploads::refs::{self, ImageRef};

/// Most images one activity shows.
const MAX_IMAGES: usize = 9;
/// Most communities one activity may be open to.
const MAX_COMMUNITIES: usize = 50;

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewActivity {
    /// The community that runs it (the caller administers it or organises for it).
    pub community_id: i64,
    /// 1-64 characters.
    #[schema(max_length = 64, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub title: String,
    /// Up to 2000 characters.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    /// Up to 9: ids of the caller's `notice_image` uploads or https URLs.
    #[serde(default)]
    #[schema(max_items = 9)]
    pub images: Vec<ImageRef>,
    /// 1-100 characters.
    #[schema(max_length = 100, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub place: String,
    pub schedule: ScheduleInput,
    /// Places per session, 1-10000.
    #[schema(minimum = 1, maximum = 10000)]
    pub capacity: i32,
    /// Age range in whole years (0-150), each optional: children 6-12, elders 60+.
    #[schema(minimum = 0, maximum = 150)]
    pub min_age: Option<i32>,
    #[schema(minimum = 0, maximum = 150)]
    pub max_age: Option<i32>,
    /// Communities whose residents may join (default: `community_id`), up to
    /// 50, each run by the caller too.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub community_ids: Vec<i64>,
    /// Default: now.
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub signup_opens_at: Option<DateTime<Utc>>,
    /// Default: the first session's start.
    #[serde(default, deserialize_with = "crate::time::bounded_opt")]
    pub signup_closes_at: Option<DateTime<Utc>>,
    /// Cancellations (which hand the place on) until this many minutes before a session, 0-10080; default 120.
    #[schema(minimum = 0, maximum = 10080)]
    pub cancel_cutoff_minutes: Option<i32>,
    /// A full session takes a waiting list; default true.
    pub waitlist: Option<bool>,
    /// Points for attending, 0-10000; default 0.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000)]
    pub points: i32,
}

/// A new activity whose fields all hold.
pub struct ActivityDraft {
    pub title: String,
    pub description: String,
    pub images: Vec<ImageRef>,
    pub place: String,
    pub windows: Vec<Window>,
    pub capacity: i32,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub community_ids: Vec<i64>,
    pub signup_opens_at: DateTime<Utc>,
    pub signup_closes_at: DateTime<Utc>,
    pub cancel_cutoff_minutes: i32,
    pub waitlist: bool,
    pub points: i32,
}

impl ActivityDraft {
    pub fn parse(new: &NewActivity, now: DateTime<Utc>) -> Result<Self, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let title = errors.text("title", &new.title, 1, 64);
        let description = errors.text("description", &new.description, 0, 2000);
        let place = errors.text("place", &new.place, 1, 100);
        refs::check_list(&mut errors, "images", &new.images, MAX_IMAGES);
        let windows = new.schedule.windows(&mut errors);
        if !(1..=10_000).contains(&new.capacity) {
            errors.push("capacity", "须为 1-10000");
        }
        for (field, age) in [("min_age", new.min_age), ("max_age", new.max_age)] {
            if age.is_some_and(|a| !(0..=150).contains(&a)) {
                errors.push(field, "须为 0-150 岁");
            }
        }
        if let (Some(lo), Some(hi)) = (new.min_age, new.max_age)
            && lo > hi
        {
            errors.push("max_age", "不能小于 min_age");
        }
        let mut community_ids = new.community_ids.clone();
        if community_ids.len() > MAX_COMMUNITIES {
            errors.push("community_ids", "最多 50 个社区");
        }
        if community_ids.is_empty() {
            community_ids.push(new.community_id);
        }
        community_ids.sort_unstable();
        community_ids.dedup();
        let cutoff = new.cancel_cutoff_minutes.unwrap_or(120);
        if !(0..=10_080).contains(&cutoff) {
            errors.push("cancel_cutoff_minutes", "须为 0-10080 分钟");
        }
        if !(0..=10_000).contains(&new.points) {
            errors.push("points", "须为 0-10000");
        }
        let opens = new
            .signup_opens_at
            .map(crate::time::normalise)
            .unwrap_or(now);
        let first_start = windows.iter().map(|w| w.starts_at).min();
        let closes = new
            .signup_closes_at
            .map(crate::time::normalise)
            .or(first_start)
            .unwrap_or(now);
        if closes <= opens {
            errors.push("signup_closes_at", "报名截止须晚于报名开始");
        }
        if let Some(first) = first_start
            && first <= now
        {
            errors.push("schedule", "场次须在未来");
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        Ok(Self {
            title,
            description,
            images: new.images.clone(),
            place,
            windows,
            capacity: new.capacity,
            min_age: new.min_age,
            max_age: new.max_age,
            community_ids,
            signup_opens_at: opens,
            signup_closes_at: closes,
            cancel_cutoff_minutes: cutoff,
            waitlist: new.waitlist.unwrap_or(true),
            points: new.points,
        })
    }
}
