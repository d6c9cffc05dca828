//! `POST /orders/{order_no}/pay` for a WeChat Pay order: a JSAPI prepay
//! (kept with its 2-hour validity, so paying again re-signs it rather than
//! asking for another) and the freshly signed `wx.requestPayment`
//! parameters. Nothing about the order changes here: only a verified
//! notify or the reconciliation sweep marks it paid.

use chrono::{DateTime, Utc};
use entity::order::{self, OrderKind, OrderStatus};
use entity::{order_prepay, user};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set};

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::wechatpay::{JsapiPrepay, OutTradeNo, Prepay, RequestPayment, WechatPayClient};

/// A prepay is re-signed only while it has at least this long to run.
const PREPAY_MARGIN: chrono::Duration = chrono::Duration::minutes(5);

/// Whether a WeChat Pay order can be paid now, and why not.
pub fn check_payable(o: &order::Model, now: DateTime<Utc>) -> ApiResult<()> {
    if o.paid_at.is_some() {
        return Err(ErrorCode::OrderAlreadyPaid.into());
    }
    if o.status != OrderStatus::PendingPayment {
        return Err(ApiError::new(ErrorCode::InvalidTransition).message("订单当前状态不能支付"));
    }
    if o.expires_at.is_none_or(|at| at <= now) {
        return Err(ApiError::new(ErrorCode::PaymentClosed).message("订单已超过支付期限"));
    }
    Ok(())
}

/// The prepay to pay `o` with: the stored one while valid, else a new one
/// from WeChat Pay (not yet stored: see [`store_prepay`]). Answers it with
/// whether it is new.
pub async fn prepay_for(
    db: &DatabaseConnection,
    client: &WechatPayClient,
    o: &order::Model,
    now: DateTime<Utc>,
) -> ApiResult<(Prepay, bool)> {
    if let Some(kept) = order_prepay::Entity::find_by_id(o.id).one(db).await?
        && kept.valid_until > now + PREPAY_MARGIN
    {
        return Ok((
            Prepay {
                prepay_id: kept.prepay_id,
                valid_until: kept.valid_until,
            },
            false,
        ));
    }
    let openid = user::Entity::find_by_id(o.user_id)
        .one(db)
        .await?
        .and_then(|u| u.openid)
        .ok_or_else(|| {
            ApiError::new(ErrorCode::PaymentProviderUnavailable)
                .message("该账号未绑定微信，不能使用微信支付")
        })?;
    let title = super::lines::title_of(db, o).await?;
    let description = match o.kind {
        OrderKind::GroupBuy => format!("驿站团购-{title}"),
        OrderKind::Shop => format!("驿站商城-{title}"),
    };
    let out_trade_no = OutTradeNo::new(&o.order_no).map_err(ApiError::internal)?;
    let deadline = o
        .expires_at
        .ok_or_else(|| ApiError::new(ErrorCode::PaymentClosed))?;
    let prepay = client
        .jsapi_prepay(&JsapiPrepay {
            out_trade_no: &out_trade_no,
            description: &description,
            amount_fen: o.amount_fen,
            payer_openid: &openid,
            time_expire: deadline,
            attach: None,
        })
        .await?;
    Ok((prepay, true))
}

/// Keeps a prepay for the order (the newest one wins; WeChat Pay answers
/// the same prepay id for the same trade while it is valid).
pub async fn store_prepay(
    conn: &impl ConnectionTrait,
    order_id: i64,
    prepay: &Prepay,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let row = order_prepay::ActiveModel {
        order_id: Set(order_id),
        prepay_id: Set(prepay.prepay_id.clone()),
        valid_until: Set(prepay.valid_until),
        checked_at: Set(None),
        created_at: Set(now),
    };
    order_prepay::Entity::insert(row)
        .on_conflict(
            OnConflict::column(order_prepay::Column::OrderId)
                .update_columns([
                    order_prepay::Column::PrepayId,
                    order_prepay::Column::ValidUntil,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The `wx.requestPayment` parameters, signed now.
pub fn request_payment(client: &WechatPayClient, prepay: &Prepay) -> ApiResult<serde_json::Value> {
    let signed: RequestPayment = client.request_payment(&prepay.prepay_id);
    Ok(serde_json::to_value(signed)?)
}
