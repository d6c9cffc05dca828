//! Bookings of a helper's slot: created by a resident (or a grid worker for a
//! resident of their grid), moved through requested → accepted | declined,
//! accepted → in_service → completed, requested | accepted → cancelled, and
//! reviewed once by the resident when completed.
//!
//! A slot is never held by two live bookings: `bookings.active_slot_id` is
//! UNIQUE and equals `slot_id` while the booking is live. Every transition is
//! a conditional `UPDATE ... WHERE status IN (...)`; `rows_affected` decides
//! the winner of concurrent transitions.

pub mod helper_suspension;
pub mod notify;
pub mod review;
pub mod routes;
pub mod service;
pub mod views;

pub use routes::configure;

pub use entity::booking::BookingStatus;

/// What someone does to a booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Accept,
    Decline,
    Start,
    Complete,
    Cancel,
}

impl Action {
    /// The statuses it may start from, and where it leads.
    pub fn rule(self) -> (&'static [BookingStatus], BookingStatus) {
        use BookingStatus::*;
        match self {
            Action::Accept => (&[Requested], Accepted),
            Action::Decline => (&[Requested], Declined),
            Action::Start => (&[Accepted], InService),
            Action::Complete => (&[InService], Completed),
            Action::Cancel => (&[Requested, Accepted], Cancelled),
        }
    }

    /// Whether the booking's helper (rather than its resident or grid worker) does it.
    pub fn by_helper(self) -> bool {
        !matches!(self, Action::Cancel)
    }

    /// Whether it ends the booking's hold on its slot.
    pub fn frees_slot(self) -> bool {
        matches!(self, Action::Decline | Action::Cancel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_decline_and_cancel_free_the_slot() {
        for a in [Action::Accept, Action::Start, Action::Complete] {
            assert!(!a.frees_slot() && a.by_helper());
        }
        assert!(Action::Decline.frees_slot() && Action::Decline.by_helper());
        assert!(Action::Cancel.frees_slot() && !Action::Cancel.by_helper());
        assert_eq!(
            Action::Cancel.rule().0,
            &[BookingStatus::Requested, BookingStatus::Accepted]
        );
    }
}
