//! The sign-up engine shared by everything with places per session
//! (activities' sessions, and the canteen's meals: [`Places`]): a place is taken by a
//! conditional `UPDATE … SET taken = taken + 1 WHERE taken < capacity`, a full
//! session takes names on a waiting list (in order of sign-up), a cancelled
//! place goes at once to the first one waiting, and one person holds at most
//! one live sign-up per session (`signups.live_key` is UNIQUE).
//!
//! Every change of a session's places runs in the caller's write transaction
//! holding the session's row lock (the conditional update takes it; a
//! spot on the waiting list and a cancellation lock the row first; SQLite
//! writers are serialised already), so a cancellation never misses a name
//! being put on the list, and the counts stay exact under any concurrency.

pub mod engine;

pub use engine::{
    Participant, Places, cancel, give_back, new_checkin_code, sign_up, take_one, waiting_position,
};
pub use entity::signup::SignupStatus;

/// Sign-ups still holding a place or a spot on the list.
pub const LIVE: [SignupStatus; 2] = [SignupStatus::Confirmed, SignupStatus::Waiting];
