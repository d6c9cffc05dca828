//! A campaign's pickup list for the counter, as CSV.

use sea_orm::{ActiveEnum, ConnectionTrait};

use super::service;
use crate::csv::cell;
use crate::error::{ApiResult, ErrorCode};
use crate::orders::reads::{MerchantFilter, list_for_merchant};

/// The counter's pickup list as CSV: order no, nickname, masked phone,
/// quantity, pickup code, status.
pub async fn pickup_csv(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    group_buy_id: i64,
) -> ApiResult<String> {
    // Another merchant's campaign is as absent as a missing one.
    if service::find(db, group_buy_id).await?.merchant_id != merchant_id {
        return Err(ErrorCode::GroupBuyNotFound.into());
    }
    let filter = MerchantFilter {
        kind: None,
        group_buy_id: Some(group_buy_id),
        status: None,
    };
    let list = list_for_merchant(db, merchant_id, filter, None).await?;
    let mut out = String::from("order_no,nickname,phone,quantity,pickup_code,status\n");
    for (o, row) in list.items {
        let code = row.pickup_code.unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            cell(&o.order_no),
            cell(&o.nickname),
            cell(o.phone.as_deref().unwrap_or("")),
            o.quantity,
            cell(&code),
            cell(&o.status.to_value())
        ));
    }
    Ok(out)
}
