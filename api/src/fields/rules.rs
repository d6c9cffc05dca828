//! Field rules for the bodies of residents' requests, departments, city
//! components and the grid worker's tools, where every field is optional in
//! the JSON and required by the rule. Each rule notes what is wrong in a
//! [`FieldErrors`] and goes on, so a body reports every bad field at once;
//! text never carries a NUL byte; dates stay within 2000-01-01 ..
//! 2100-01-01.

use chrono::NaiveDate;

use super::{FieldErrors, PhoneNumber};
use crate::error::{ApiError, ApiResult, FieldError};

/// The earliest and latest dates a client may send.
pub const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};
pub const LATEST: NaiveDate = match NaiveDate::from_ymd_opt(2100, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};

/// The errors of one body, noted by the rules below.
#[derive(Debug, Default)]
pub struct Fields(FieldErrors);

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(field, message);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// 422 listing every field found so far, or Ok (and the list starts over).
    pub fn finish(&mut self) -> ApiResult<()> {
        std::mem::take(&mut self.0).finish()
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0.into()
    }

    /// Required text of `min..=max` characters after trimming.
    pub fn text(&mut self, field: &str, value: Option<&str>, min: usize, max: usize) -> String {
        let Some(value) = value else {
            self.push(field, "必填");
            return String::new();
        };
        self.bounded(field, value, min, max)
    }

    /// Optional text of at most `max` characters; blank is None.
    pub fn optional_text(
        &mut self,
        field: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let trimmed = self.bounded(field, value?, 0, max);
        (!trimmed.is_empty()).then_some(trimmed)
    }

    fn bounded(&mut self, field: &str, value: &str, min: usize, max: usize) -> String {
        if value.contains('\0') {
            self.push(field, "不能包含 NUL 字符");
            return String::new();
        }
        let trimmed = value.trim();
        let n = trimmed.chars().count();
        if n < min || n > max {
            self.push(
                field,
                if min == 0 {
                    format!("不能超过 {max} 个字符")
                } else {
                    format!("须为 {min}-{max} 个字符")
                },
            );
        }
        trimmed.to_owned()
    }

    /// A required value that serde already typed.
    pub fn required<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.push(field, "必填");
        }
        value
    }

    /// An optional phone number (mainland mobile or landline with area code).
    pub fn phone(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let phone = self.optional_text(field, value, 20)?;
        if let Ok(phone) = PhoneNumber::parse(&phone) {
            Some(phone.into_string())
        } else {
            self.push(field, "请填写正确的手机号或带区号的固定电话");
            None
        }
    }

    /// A date `YYYY-MM-DD` within 2000-01-01 .. 2100-01-01.
    pub fn date(&mut self, field: &str, value: Option<&str>) -> Option<NaiveDate> {
        let raw = self.required(field, value)?;
        match raw.parse::<NaiveDate>() {
            Ok(d) if (EARLIEST..LATEST).contains(&d) => Some(d),
            Ok(_) => {
                self.push(field, "日期须在 2000-01-01 至 2100-01-01 之间");
                None
            }
            Err(_) => {
                self.push(field, "日期格式须为 YYYY-MM-DD");
                None
            }
        }
    }

    /// Positive, distinct ids, at most `max` of them (upload ids of photos).
    pub fn ids(&mut self, field: &str, value: Option<&[i64]>, max: usize) -> Vec<i64> {
        let ids = value.unwrap_or_default();
        if ids.len() > max {
            self.push(field, format!("最多 {max} 个"));
        }
        if ids.iter().any(|&id| id <= 0) {
            self.push(field, "须为正整数 id");
        }
        let mut seen = std::collections::HashSet::new();
        if !ids.iter().all(|id| seen.insert(*id)) {
            self.push(field, "不能重复");
        }
        ids.to_vec()
    }

    /// Latitude and longitude, both or neither.
    pub fn lat_lng(&mut self, lat: Option<f64>, lng: Option<f64>) -> Option<(f64, f64)> {
        match (lat, lng) {
            (None, None) => None,
            (Some(lat), Some(lng)) => {
                let mut ok = true;
                if !(-90.0..=90.0).contains(&lat) {
                    self.push("lat", "纬度须在 -90 到 90 之间");
                    ok = false;
                }
                if !(-180.0..=180.0).contains(&lng) {
                    self.push("lng", "经度须在 -180 到 180 之间");
                    ok = false;
                }
                ok.then_some((lat, lng))
            }
            (None, Some(_)) => {
                self.push("lat", "经纬度须同时填写");
                None
            }
            (Some(_), None) => {
                self.push("lng", "经纬度须同时填写");
                None
            }
        }
    }
}

/// A query-string value: NUL bytes and over-long values are 400.
pub fn query_text(field: &str, value: Option<&str>, max: usize) -> ApiResult<Option<String>> {
    let Some(value) = value else {
        return Ok(None);
    };
    if value.contains('\0') || value.chars().count() > max {
        return Err(bad_query(field, "包含非法字符或过长"));
    }
    let trimmed = value.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// A query-string date `YYYY-MM-DD` within the accepted range; else 400.
pub fn query_date(field: &str, value: Option<&str>) -> ApiResult<Option<NaiveDate>> {
    let Some(raw) = query_text(field, value, 10)? else {
        return Ok(None);
    };
    match raw.parse::<NaiveDate>() {
        Ok(d) if (EARLIEST..LATEST).contains(&d) => Ok(Some(d)),
        _ => Err(bad_query(
            field,
            "须为 2000-01-01 至 2100-01-01 之间的日期 YYYY-MM-DD",
        )),
    }
}

/// A typed query date within 2000-01-01 .. 2100-01-01; else 400 naming it.
pub fn query_day(field: &str, value: Option<NaiveDate>) -> ApiResult<Option<NaiveDate>> {
    match value {
        Some(d) if !(EARLIEST..LATEST).contains(&d) => {
            Err(bad_query(field, "日期须在 2000-01-01 至 2100-01-01 之间"))
        }
        other => Ok(other),
    }
}

/// 400 `INVALID_QUERY` naming the parameter.
pub fn bad_query(field: &str, message: &str) -> ApiError {
    ApiError::invalid_query(vec![FieldError::new(field, message)])
}

/// A closed set of values stored as text: `as_str` for the database, `parse`
/// at the edge, serde and the OpenAPI schema with the same spellings.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The OpenAPI document lists a text enum's values as serde writes them
    /// (`$text` is matched as a token tree: as a `literal` fragment, utoipa
    /// did not see the rename and listed `GridWorker`).
    #[test]
    fn the_schema_spells_values_as_the_json_does() {
        use crate::requests::ActorRole;
        let schema = serde_json::to_value(<ActorRole as utoipa::PartialSchema>::schema()).unwrap();
        let listed: Vec<String> = serde_json::from_value(schema["enum"].clone()).unwrap();
        let spelled: Vec<&str> = ActorRole::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(listed, spelled);
        assert_eq!(
            serde_json::to_value(ActorRole::GridWorker).unwrap(),
            "grid_worker"
        );
    }

    #[test]
    fn every_bad_field_is_listed() {
        let mut f = Fields::new();
        f.text("content", None, 1, 10);
        f.text("title", Some("a\0b"), 1, 10);
        f.text("name", Some("   "), 1, 10);
        assert_eq!(f.optional_text("note", Some("  "), 5), None);
        f.date("visited_on", Some("1999-12-31"));
        f.date("due", Some("2026-13-01"));
        f.ids("photos", Some(&[1, 1, 0]), 9);
        f.lat_lng(Some(91.0), None);
        let fields: Vec<String> = f.into_vec().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "content",
                "title",
                "name",
                "visited_on",
                "due",
                "photos",
                "photos",
                "lng"
            ]
        );
    }

    #[test]
    fn good_values_pass_trimmed() {
        let mut f = Fields::new();
        assert_eq!(f.text("a", Some(" 路灯不亮 "), 1, 10), "路灯不亮");
        assert_eq!(
            f.date("d", Some("2026-10-10")),
            NaiveDate::from_ymd_opt(2026, 10, 10)
        );
        assert_eq!(f.ids("p", Some(&[3, 4]), 9), vec![3, 4]);
        assert_eq!(
            f.phone("p", Some("13800138000")).as_deref(),
            Some("13800138000")
        );
        assert!(f.is_empty());
        assert!(query_text("q", Some("a\0"), 10).is_err());
        assert!(query_date("from", Some("2100-01-01")).is_err());
    }
}
