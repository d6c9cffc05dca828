//! The happiness survey (幸福指数): an admin builds a questionnaire (single
//! and multiple choice, 1-5 scale, free text) and opens it for a period to
//! communities they administer; each resident of those communities answers
//! once (a unique index), grid workers enter the offline answers of the
//! residents of their grids; admins read the results per question and per
//! community, the index quarter by quarter, and a CSV export.
//!
//! - `draft`: the questionnaire body and the answers, parsed;
//! - `service`: creating, listing, answering;
//! - `results`: results, the index by quarter, the export;
//! - `index`: the index's arithmetic.

pub mod draft;
pub mod index;
pub mod results;
pub mod routes;
pub mod service;

pub use routes::configure;

crate::text_enum! {
    /// What a question asks for.
    pub enum QuestionKind {
        /// One of the options.
        Single => "single",
        /// One or more of the options.
        Multiple => "multiple",
        /// 1 (very dissatisfied) to 5 (very satisfied).
        Scale => "scale",
        /// Free text, up to 500 characters.
        Text => "text",
    }
}

crate::text_enum! {
    /// Where a survey is in its period.
    pub enum SurveyStatus {
        Upcoming => "upcoming",
        Open => "open",
        Closed => "closed",
    }
}
