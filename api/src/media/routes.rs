//! `GET /media/{key}` (public pictures, cached for a year) and
//! `GET /media/private/{key}` (private pictures through signed URLs), outside
//! `/api/v1` like `/healthz`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{MediaStore, Shelf, parse_key};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(private_media).service(public_media);
}

/// A stored picture's bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // only describes the answer in the OpenAPI document
pub struct Picture(Vec<u8>);

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// True when `If-None-Match` names `etag` (or is `*`).
fn not_modified(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

async fn serve(
    req: &HttpRequest,
    media: &MediaStore,
    shelf: Shelf,
    key: &str,
    cache_control: &str,
) -> ApiResult<HttpResponse> {
    let (hash, format) = parse_key(key).ok_or(ErrorCode::UploadNotFound)?;
    let bytes = media
        .get(shelf, key)
        .await
        .map_err(ApiError::unavailable)?
        .ok_or(ErrorCode::UploadNotFound)?;
    // The name is the hash of the bytes: a tag that never goes stale.
    let etag = format!("\"{hash}\"");
    let fresh = not_modified(req, &etag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if fresh {
        return Ok(res.finish());
    }
    Ok(res
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.content_type()),
        ))
        .body(bytes))
}

/// A public picture (goods images, logos, avatars, notice and review
/// photos) by its content-hash name. `ETag` is the hash; `If-None-Match`
/// answers 304. Private pictures are never served here.
#[utoipa::path(
    tag = "uploads",
    params(("key" = String, Path, description = "`{sha256}.jpg` or `{sha256}.png`")),
    responses(
        (status = 200, description = "The picture (`Cache-Control: public, max-age=31536000, immutable`)", content((Picture = "image/jpeg"), (Picture = "image/png"))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "UPLOAD_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/media/{key}")]
async fn public_media(
    req: HttpRequest,
    media: web::Data<MediaStore>,
    key: web::Path<String>,
) -> ApiResult<HttpResponse> {
    serve(&req, &media, Shelf::Public, &key, IMMUTABLE).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SignedQuery {
    /// Unix seconds after which the link stops working.
    pub expires: Option<i64>,
    /// HMAC-SHA256 of the key and `expires`, hex.
    pub sig: Option<String>,
}

/// A private picture (licences, certificates, request photos) through the
/// signed URL `GET /api/v1/uploads/{id}` gave its owner or a reviewing admin.
#[utoipa::path(
    tag = "uploads",
    params(("key" = String, Path, description = "`{sha256}.jpg` or `{sha256}.png`"), SignedQuery),
    responses(
        (status = 200, description = "The picture (`Cache-Control: private, max-age=` the time left)", content((Picture = "image/jpeg"), (Picture = "image/png"))),
        (status = 304, description = "Not modified"),
        (status = 403, description = "SIGNATURE_INVALID (missing, altered or for another key) or MEDIA_URL_EXPIRED", body = ErrorBody),
        (status = 404, description = "UPLOAD_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/media/private/{key}")]
async fn private_media(
    req: HttpRequest,
    media: web::Data<MediaStore>,
    key: web::Path<String>,
    query: web::Query<SignedQuery>,
) -> ApiResult<HttpResponse> {
    let (Some(expires), Some(sig)) = (query.expires, query.sig.as_deref()) else {
        return Err(ErrorCode::SignatureInvalid.into());
    };
    let now = crate::time::now().timestamp();
    media.signer().verify(&key, expires, sig, now)?;
    let left = expires.saturating_sub(now);
    serve(
        &req,
        &media,
        Shelf::Private,
        &key,
        &format!("private, max-age={left}"),
    )
    .await
}
