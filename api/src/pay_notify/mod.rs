//! What WeChat Pay reports, sent to the kind of trade it is of: trade
//! numbers `MB…` are meal bookings (`canteen::payment`), every other one an
//! order (`orders::payment_records`). It sits above both so that neither
//! needs to know the other.

pub mod routes;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::error::ApiResult;
pub use crate::orders::payment_records::Recorded;
use crate::wechatpay::Transaction;

pub use routes::configure;

/// Records a payment WeChat Pay reports, once, on the booking or order its
/// trade number names.
pub async fn record_reported(
    db: &DatabaseConnection,
    t: &Transaction,
    now: DateTime<Utc>,
) -> ApiResult<Recorded> {
    match crate::canteen::payment::booking_of(&t.out_trade_no) {
        Some(booking_id) => {
            let paid_id = t.transaction_id.as_deref().filter(|id| !id.is_empty());
            match paid_id.filter(|_| t.trade_state.is_paid()) {
                Some(transaction_id) => {
                    crate::canteen::payment::record(db, t, booking_id, transaction_id, now).await
                }
                None => Ok(Recorded::Ignored),
            }
        }
        None => crate::orders::payment_records::record_payment(db, t, now).await,
    }
}
