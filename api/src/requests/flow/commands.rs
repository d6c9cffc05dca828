//! The moves on a request: their bodies, who makes each and from which statuses.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::requests::Status;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AssignInput {
    /// `department` (default when the category has a department), `grid` or `community`.
    #[schema(schema_with = assign_levels)]
    pub level: Option<String>,
    /// For level `department`; default: the category's department.
    pub department_id: Option<i64>,
    /// Up to 200 characters.
    #[schema(max_length = 200)]
    pub note: Option<String>,
}
fn assign_levels() -> utoipa::openapi::Object {
    crate::openapi::choices(&["department", "grid", "community"])
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct TransferInput {
    /// Why, 2-200 characters.
    pub reason: Option<String>,
    /// Another department to hand it to; absent = back to the community's queue.
    pub department_id: Option<i64>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReasonInput {
    /// 2-200 characters.
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NoteInput {
    /// 2-1000 characters.
    #[schema(
        min_length = 2,
        max_length = 1000,
        pattern = r"^\s*[^\s\u0000][^\u0000]{0,}[^\s\u0000]\s*$"
    )]
    pub note: Option<String>,
    /// Up to 9 upload ids (purpose `request_photo`; with a supplement, 9 in all).
    #[schema(max_items = 9)]
    pub photos: Option<Vec<i64>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ExtensionInput {
    /// Why, 2-200 characters.
    #[schema(
        min_length = 2,
        max_length = 200,
        pattern = r"^\s*[^\s\u0000][^\u0000]{0,}[^\s\u0000]\s*$"
    )]
    pub reason: Option<String>,
    /// The whole time to resolve, in working days from submission: more than
    /// the category's, at most 15.
    #[schema(minimum = 1, maximum = 15)]
    pub working_days: Option<i16>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DecisionInput {
    #[schema(value_type = bool, required = true)]
    pub approve: Option<bool>,
    /// Up to 200 characters.
    #[schema(max_length = 200)]
    pub note: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RateInput {
    /// 1-5.
    #[schema(minimum = 1, maximum = 5)]
    pub rating: Option<i32>,
    /// Up to 500 characters.
    #[schema(max_length = 500)]
    pub comment: Option<String>,
}

/// A move on a request, with its body.
pub enum Command {
    Assign(AssignInput),
    Accept,
    Transfer(TransferInput),
    Return(ReasonInput),
    Supplement(NoteInput),
    Resolve(NoteInput),
    AskExtension(ExtensionInput),
    DecideExtension(DecisionInput),
    Urge,
    Rate(RateInput),
    Reopen(ReasonInput),
    Withdraw,
}

impl Command {
    /// The move's name, for the logs (the body stays out of them).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Assign(_) => "assign",
            Command::Accept => "accept",
            Command::Transfer(_) => "transfer",
            Command::Return(_) => "return",
            Command::Supplement(_) => "supplement",
            Command::Resolve(_) => "resolve",
            Command::AskExtension(_) => "ask_extension",
            Command::DecideExtension(_) => "decide_extension",
            Command::Urge => "urge",
            Command::Rate(_) => "rate",
            Command::Reopen(_) => "reopen",
            Command::Withdraw => "withdraw",
        }
    }
}

/// Who makes a move.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mover {
    /// The reporter or the grid worker who filed for them.
    Reporter,
    /// Whoever the request's level names.
    Handler,
    /// An admin of the request's community.
    Admin,
}

impl Command {
    pub(super) fn mover(&self) -> Mover {
        match self {
            Command::Assign(_) | Command::DecideExtension(_) => Mover::Admin,
            Command::Accept
            | Command::Transfer(_)
            | Command::Return(_)
            | Command::Resolve(_)
            | Command::AskExtension(_) => Mover::Handler,
            Command::Supplement(_)
            | Command::Urge
            | Command::Rate(_)
            | Command::Reopen(_)
            | Command::Withdraw => Mover::Reporter,
        }
    }

    /// The statuses the move starts from.
    pub(super) fn from(&self) -> &'static [Status] {
        match self {
            Command::Assign(_) => &[Status::Submitted],
            Command::Accept => &[Status::Assigned],
            Command::Transfer(_) | Command::Return(_) => &[Status::Assigned, Status::Accepted],
            Command::Supplement(_) => &[Status::Returned],
            Command::Resolve(_) | Command::AskExtension(_) | Command::DecideExtension(_) => {
                &[Status::Accepted]
            }
            Command::Urge => &Status::LIVE,
            Command::Rate(_) => &[Status::Resolved],
            Command::Reopen(_) => &[Status::Resolved, Status::Closed],
            Command::Withdraw => &[
                Status::Submitted,
                Status::Assigned,
                Status::Accepted,
                Status::Returned,
            ],
        }
    }
}
