//! `GET|POST /wechat/message-push`: WeChat's message push (消息推送) in
//! plaintext JSON mode. GET is the URL check (echo `echostr`); POST carries
//! events, of which `wxa_media_check` (the verdict of an image check) is
//! handled. Both are signed: `signature` = SHA-1 of the sorted token
//! (`wechat.push_token`), `timestamp` and `nonce`.

use actix_web::{HttpResponse, get, post, web};
use secrecy::ExposeSecret;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::cache::keys;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::parse_json;
use crate::media::MediaStore;
use crate::state::AppState;
use crate::uploads::service as uploads;
use crate::wechat::security::{Suggest, push_signature_valid};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(verify_push_url).service(receive_push);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PushQuery {
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    /// Only on the URL check: echoed back when the signature holds.
    pub echostr: Option<String>,
}

fn check_signature(state: &AppState, q: &PushQuery) -> ApiResult<()> {
    let token = state.settings.wechat.push_token.expose_secret();
    let valid = match (&q.signature, &q.timestamp, &q.nonce) {
        (Some(sig), Some(ts), Some(nonce)) => push_signature_valid(token, ts, nonce, sig),
        _ => false,
    };
    if valid {
        Ok(())
    } else {
        Err(ErrorCode::SignatureInvalid.into())
    }
}

/// WeChat's check of the push URL: answers `echostr` when signed with
/// `wechat.push_token`.
#[utoipa::path(
    tag = "content",
    params(PushQuery),
    responses(
        (status = 200, description = "`echostr`", content_type = "text/plain", body = String),
        (status = 403, description = "SIGNATURE_INVALID (also when no push token is configured)", body = ErrorBody),
    )
)]
#[get("/wechat/message-push")]
async fn verify_push_url(
    state: web::Data<AppState>,
    query: web::Query<PushQuery>,
) -> ApiResult<HttpResponse> {
    check_signature(&state, &query)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(query.echostr.clone().unwrap_or_default()))
}

#[derive(Deserialize)]
struct PushEvent {
    #[serde(rename = "Event", default)]
    event: String,
    #[serde(default)]
    trace_id: Option<String>,
    #[serde(default)]
    result: Option<PushResult>,
    /// Version 1 of the image check: 1 risky, 0 not.
    #[serde(default)]
    isrisky: Option<i64>,
}

#[derive(Deserialize)]
struct PushResult {
    #[serde(default)]
    suggest: Option<String>,
}

/// A pushed event. `wxa_media_check` marks the upload with that trace id
/// passed, or flagged (`risky` or `review`) and takes its picture down from
/// every public path. Other events and unknown trace ids are acknowledged
/// and ignored (so WeChat does not retry them).
#[utoipa::path(
    tag = "content",
    params(PushQuery),
    request_body(content = Object, description = "WeChat's event in plaintext JSON mode, e.g. `{\"Event\": \"wxa_media_check\", \"trace_id\": \"...\", \"result\": {\"suggest\": \"risky\", \"label\": 20002}}`"),
    responses(
        (status = 200, description = "`success`", content_type = "text/plain", body = String),
        (status = 400, description = "MALFORMED_JSON", body = ErrorBody),
        (status = 403, description = "SIGNATURE_INVALID", body = ErrorBody),
        (status = 503, description = "SERVICE_UNAVAILABLE: storage unreachable (WeChat retries)", body = ErrorBody),
    )
)]
#[post("/wechat/message-push")]
async fn receive_push(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    query: web::Query<PushQuery>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    check_signature(&state, &query)?;
    let event: PushEvent = parse_json(&body).map_err(|err| match err.code {
        ErrorCode::MalformedJson => err,
        _ => ApiError::new(ErrorCode::MalformedJson),
    })?;
    if event.event == "wxa_media_check"
        && let Some(trace_id) = event.trace_id.as_deref()
    {
        let suggest = match (&event.result, event.isrisky) {
            (Some(PushResult { suggest: Some(s) }), _) => Suggest::parse(s),
            (_, Some(0)) => Suggest::Pass,
            (_, Some(_)) => Suggest::Risky,
            _ => Suggest::Review,
        };
        let known = uploads::apply_media_verdict(&state.db, &media, trace_id, suggest).await?;
        if !known {
            tracing::warn!(trace_id, "image check verdict for no known upload");
        } else if suggest != Suggest::Pass {
            keys::images_flagged(&state.cache).await;
        }
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("success"))
}
