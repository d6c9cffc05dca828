//! `/payments/wechat/notify` and `/payments/wechat/refund-notify`: WeChat
//! Pay's pay and refund notifies, for every kind of trade.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::Recorded;
use crate::orders::refunds;
use crate::state::AppState;
use crate::wechatpay::{NotifyError, NotifyEvent, NotifyFailure, SignatureHeaders};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(wechat_notify).service(wechat_refund_notify);
}

/// WeChat Pay's pay and refund notifies. The signature is verified over the
/// raw body with the key `Wechatpay-Serial` names (within 5 minutes), the
/// resource decrypted and checked to be this merchant's and app's.
/// `TRANSACTION.SUCCESS` pays its order once (a repeat changes nothing and
/// still answers 204); a payment of the wrong amount is recorded for an
/// admin, never taken; one for an order no longer payable is refunded.
/// `REFUND.*` finishes its refund.
#[utoipa::path(
    tag = "payments",
    params(
        ("Wechatpay-Timestamp" = String, Header, description = "Seconds since the epoch"),
        ("Wechatpay-Nonce" = String, Header, description = "Signature nonce"),
        ("Wechatpay-Signature" = String, Header, description = "Base64 SHA256withRSA over `timestamp\\nnonce\\nbody\\n`"),
        ("Wechatpay-Serial" = String, Header, description = "WeChat Pay public key id or platform certificate serial"),
    ),
    request_body(content = Object, description = "WeChat Pay's notify: `{id, create_time, event_type, resource_type, summary, resource}`, resource encrypted with AEAD_AES_256_GCM"),
    responses(
        (status = 204, description = "Accepted (also a repeat of a notify already handled)"),
        (status = 400, description = "`{\"code\": \"FAIL\"}`: not a notify we can read", body = NotifyFailure),
        (status = 401, description = "`{\"code\": \"FAIL\"}`: signature, freshness, decryption or merchant check failed; nothing changed", body = NotifyFailure),
        (status = 503, description = "`{\"code\": \"FAIL\"}`: cannot be handled now; WeChat Pay sends it again", body = NotifyFailure),
    )
)]
#[post("/payments/wechat/notify")]
#[tracing::instrument(skip_all)]
async fn wechat_notify(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    handle_notify(&state, &req, &body).await
}

/// The same as `/payments/wechat/notify`, for deployments that give refunds
/// their own notify URL.
#[utoipa::path(
    tag = "payments",
    request_body(content = Object, description = "WeChat Pay's refund notify"),
    responses(
        (status = 204, description = "Accepted"),
        (status = 400, description = "`{\"code\": \"FAIL\"}`", body = NotifyFailure),
        (status = 401, description = "`{\"code\": \"FAIL\"}`: not verified; nothing changed", body = NotifyFailure),
        (status = 503, description = "`{\"code\": \"FAIL\"}`: try again later", body = NotifyFailure),
    )
)]
#[post("/payments/wechat/refund-notify")]
#[tracing::instrument(skip_all)]
async fn wechat_refund_notify(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    handle_notify(&state, &req, &body).await
}

fn failure(status: u16, answer: NotifyFailure) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE))
        .json(answer)
}

fn not_now(message: &str) -> HttpResponse {
    failure(
        503,
        NotifyFailure {
            code: "FAIL".into(),
            message: message.into(),
        },
    )
}

async fn handle_notify(state: &AppState, req: &HttpRequest, body: &[u8]) -> HttpResponse {
    let Some(client) = state.wechatpay.as_ref() else {
        return not_now("未启用微信支付");
    };
    let headers = match SignatureHeaders::from_actix(req.headers()) {
        Ok(headers) => headers,
        Err(err) => {
            let err = NotifyError::from(err);
            tracing::warn!(error = %err, "WeChat Pay notify refused");
            return failure(err.status(), err.answer());
        }
    };
    let notify = match client.open_notify(&headers, body).await {
        Ok(notify) => notify,
        Err(err) => return failure(err.status(), err.answer()),
    };
    let now = crate::time::now();
    let handled = match &notify.event {
        NotifyEvent::TransactionSuccess(t) => {
            let recorded = super::record_reported(&state.db, t, now).await;
            if let Ok(Recorded::Refunding) = recorded {
                refunds::send_soon(&state.db, Some(client));
            }
            recorded.map(drop)
        }
        NotifyEvent::Refund(r) => refunds::apply(&state.db, r, now).await.map(drop),
        NotifyEvent::Other => Ok(()),
    };
    match handled {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(err) => {
            tracing::error!(error = %err, notify_id = %notify.id, "WeChat Pay notify not handled; WeChat Pay will send it again");
            not_now("处理失败，请稍后重试")
        }
    }
}
