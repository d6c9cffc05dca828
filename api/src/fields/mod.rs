//! Request fields parsed into the types the rest of the code trusts.
//!
//! Parse, don't validate: a [`PhoneNumber`], an [`HttpsUrl`] or a notice
//! draft can only be made by its `parse`, so a value of the type is a valid
//! one, and a request parses into one type that either holds every field or
//! lists every bad one. The pattern, for a body with several fields:
//!
//! ```ignore
//! pub struct ContactDraft { pub name: String, pub phone: PhoneNumber }
//!
//! impl ContactDraft {
//!     pub fn parse(input: NewContact) -> Result<Self, Vec<FieldError>> {
//!         let mut errors = FieldErrors::default();
//!         let name = errors.text("name", &input.name, 1, 32);
//!         let phone = errors.check("phone", PhoneNumber::parse(&input.phone));
//!         match phone {
//!             Some(phone) if errors.is_empty() => Ok(Self { name, phone }),
//!             _ => Err(errors.into()),
//!         }
//!     }
//! }
//! // in a service: `ContactDraft::parse(body)?` answers 422 listing every bad field.
//! ```
//!
//! A draft checked against the database too (buildings of the community,
//! communities that exist) parses asynchronously and keeps the two kinds of
//! failure apart, `ApiResult<Result<Self, Vec<FieldError>>>`: used as
//! `NoticeDraft::parse(db, …).await??` (see `notices::draft`).
//!
//! The bodies of residents' requests, departments, city components and the
//! grid worker's tools leave every field optional in the JSON and let a
//! rule require it: [`Fields`] (`rules.rs`) notes into the same
//! [`FieldErrors`], with rules for optional text, dates, ids, phones and
//! coordinates, and `text_enum!` for their closed sets of values.

pub mod body;
mod phone;
mod rules;
mod search;
mod url;

use serde::{Deserialize, Deserializer};

pub use self::phone::{PhoneNumber, mask_phone};
pub use self::rules::{Fields, bad_query, query_date, query_day, query_text};
pub use self::search::{contains, keyword};
pub use self::url::HttpsUrl;
use crate::error::{ApiError, FieldError};

/// The bad fields of one request, collected so that all are answered at once.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Notes that `field` is wrong, and why.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// The value `parsed` holds, or None with its error noted under `field`.
    pub fn check<T, E: Into<String>>(&mut self, field: &str, parsed: Result<T, E>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.push(field, message);
                None
            }
        }
    }

    /// Text of `min..=max` characters once trimmed; the trimmed text either way.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> String {
        let trimmed = value.trim();
        let n = trimmed.chars().count();
        if n < min || n > max {
            let rule = if min == 0 {
                format!("不能超过 {max} 个字符")
            } else {
                format!("须为 {min}-{max} 个字符")
            };
            self.push(field, rule);
        }
        trimmed.to_owned()
    }

    /// Latitude and longitude on the globe.
    pub fn lat_lng(&mut self, lat: f64, lng: f64) {
        if !(-90.0..=90.0).contains(&lat) {
            self.push("lat", "纬度须在 -90 到 90 之间");
        }
        if !(-180.0..=180.0).contains(&lng) {
            self.push("lng", "经度须在 -180 到 180 之间");
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Ok when nothing was noted, else 422 listing every noted field.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }

    /// For query parameters: Ok when nothing was noted, else 400
    /// `INVALID_QUERY` listing every noted parameter.
    pub fn finish_query(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid_query(self.0))
        }
    }
}

impl From<FieldErrors> for Vec<FieldError> {
    fn from(errors: FieldErrors) -> Self {
        errors.0
    }
}

/// For `PATCH` bodies: tells an absent field (`None`: leave it as it is)
/// from `null` (`Some(None)`: clear it).
///
/// ```ignore
/// #[serde(default, deserialize_with = "fields::nullable")]
/// #[schema(value_type = Option<String>)]
/// pub logo_url: Option<Option<String>>,
/// ```
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lengths_count_characters_and_every_error_is_kept() {
        let mut errors = FieldErrors::default();
        assert_eq!(errors.text("name", "  鲜果  ", 1, 2), "鲜果");
        assert!(errors.is_empty());
        errors.text("name", "   ", 1, 2);
        errors.text("name", "三个字", 1, 2);
        assert_eq!(errors.check::<i64, _>("n", Err("bad")), None);
        assert_eq!(errors.check::<_, String>("n", Ok(7)), Some(7));
        errors.lat_lng(91.0, 181.0);
        let all: Vec<FieldError> = errors.into();
        let names: Vec<&str> = all.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, ["name", "name", "n", "lat", "lng"]);
    }

    #[test]
    fn nullable_tells_absent_from_null() {
        #[derive(serde::Deserialize)]
        struct Patch {
            #[serde(default, deserialize_with = "nullable")]
            v: Option<Option<i64>>,
        }
        let parse = |s: &str| serde_json::from_str::<Patch>(s).unwrap().v;
        assert_eq!(parse("{}"), None);
        assert_eq!(parse(r#"{"v": null}"#), Some(None));
        assert_eq!(parse(r#"{"v": 3}"#), Some(Some(3)));
    }
}
