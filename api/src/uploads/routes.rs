//! `POST /uploads` (multipart: `purpose` and `file`) and `GET /uploads/{id}`.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::Purpose;
use super::service::{self, UploadView};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode, FieldError};
use crate::media::MediaStore;
use crate::state::AppState;
use crate::uploads::moderation;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_upload).service(get_upload);
}

/// Room for the multipart boundaries, headers and the `purpose` field.
const FORM_OVERHEAD: usize = 64 * 1024;
/// The longest `purpose` value read.
const PURPOSE_MAX: usize = 64;

/// The multipart form of `POST /uploads`.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// What the picture is for; decides who may see it and its size limit.
    purpose: Purpose,
    /// The picture: JPEG, PNG or WebP, known by its bytes (the file name and
    /// the part's content type are ignored).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

fn malformed(err: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::MalformedMultipart)
        .details(serde_json::json!({ "reason": err.to_string() }))
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge)
        .message(format!("图片不能超过 {} KB", limit / 1024))
        .details(serde_json::json!({ "limit_bytes": limit }))
}

/// Reads the form: the purpose (checked) and the file (bounded by the
/// purpose's limit, or by the largest limit while the purpose is unknown).
async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
    media: &MediaStore,
) -> ApiResult<(Purpose, Vec<u8>)> {
    let largest = media.largest_limit();
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > largest + FORM_OVERHEAD) {
        return Err(too_large(largest));
    }
    let mut form = Multipart::new(req.headers(), payload);
    let mut purpose_raw: Option<String> = None;
    let mut file: Option<Vec<u8>> = None;
    let mut read_total = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(malformed)?;
        let name = field.name().unwrap_or_default().to_owned();
        let limit = match name.as_str() {
            "purpose" => PURPOSE_MAX,
            "file" => purpose_raw
                .as_deref()
                .and_then(Purpose::parse)
                .map_or(largest, |p| media.limit_for(p)),
            _ => FORM_OVERHEAD,
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(malformed)?;
            read_total += chunk.len();
            if bytes.len() + chunk.len() > limit || read_total > largest + FORM_OVERHEAD {
                return Err(match name.as_str() {
                    "purpose" => ApiError::field("purpose", "用途无效"),
                    _ => too_large(limit),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "purpose" => purpose_raw = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "file" if file.is_none() => file = Some(bytes),
            "file" => return Err(ApiError::field("file", "每次只能上传一张图片")),
            _ => {}
        }
    }
    let mut errors = Vec::new();
    let purpose = match purpose_raw.as_deref() {
        None | Some("") => {
            errors.push(FieldError::new("purpose", "必填"));
            None
        }
        Some(raw) => Purpose::parse(raw).or_else(|| {
            let names: Vec<&str> = Purpose::ALL.iter().map(|p| p.as_str()).collect();
            errors.push(FieldError::new(
                "purpose",
                format!("应为 {} 之一", names.join("、")),
            ));
            None
        }),
    };
    let file = file.filter(|f| !f.is_empty());
    if file.is_none() {
        errors.push(FieldError::new("file", "请选择要上传的图片"));
    }
    match (purpose, file) {
        (Some(purpose), Some(file)) if errors.is_empty() => {
            let limit = media.limit_for(purpose);
            if file.len() > limit {
                return Err(too_large(limit));
            }
            Ok((purpose, file))
        }
        _ => Err(ApiError::validation(errors)),
    }
}

/// Upload a picture. The type is decided from the bytes (JPEG, PNG, WebP);
/// the picture is decoded with limits, turned upright by its EXIF
/// orientation and re-encoded without any metadata (EXIF, GPS), at most
/// 2048 px on the long side, with a 400 px thumbnail. Stored under the hash
/// of its bytes: the same picture is stored once, and the same user sending
/// it again for the same purpose gets the same upload back (200).
/// Size limits per purpose (default 5 MB; avatars 2 MB).
#[utoipa::path(
    tag = "uploads",
    security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = UploadView),
        (status = 200, description = "The caller's earlier upload of the same picture for the same purpose", body = UploadView),
        (status = 400, description = "MALFORMED_MULTIPART", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE: over the purpose's limit (`details.limit_bytes`)", body = ErrorBody),
        (status = 415, description = "UNSUPPORTED_MEDIA: not a JPEG, PNG or WebP picture that decodes", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED (`purpose`, `file`), IMAGE_TOO_LARGE (more pixels than `media.max_pixels`), CONTENT_REJECTED (a picture WeChat flagged before)", body = ErrorBody),
        (status = 503, description = "SERVICE_UNAVAILABLE: storage unreachable", body = ErrorBody),
    )
)]
#[post("/uploads")]
async fn create_upload(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (purpose, file) = read_form(&req, payload, &media).await?;
    let checks = state.settings.content.check_enabled;
    let saved = service::create(&state.db, &media, me.id(), purpose, file, checks).await?;
    if saved.created && saved.upload.moderation == moderation::PENDING {
        let (db, media, wechat, id) = (
            state.db.clone(),
            media.get_ref().clone(),
            state.wechat.clone(),
            saved.upload.id,
        );
        tokio::spawn(async move {
            if let Err(err) = service::submit_media_check(&db, &media, &wechat, id).await {
                tracing::warn!(upload_id = id, error = %err, "could not send the image check");
            }
        });
    }
    let view = service::view(&media, &saved.upload, crate::time::now());
    Ok(if saved.created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// One upload, for its owner and the admins who review it (community admins
/// of a community the owner applied to serve or lives in; platform admins).
/// Private uploads come with signed URLs valid for `media.signed_url_ttl_secs`.
#[utoipa::path(
    tag = "uploads",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Upload id")),
    responses(
        (status = 200, body = UploadView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 404, description = "UPLOAD_NOT_FOUND (also another user's upload)", body = ErrorBody),
    )
)]
#[get("/uploads/{id}")]
async fn get_upload(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<UploadView>> {
    let upload = service::find_for(&state.db, &me, id.into_inner()).await?;
    Ok(web::Json(service::view(
        &media,
        &upload,
        crate::time::now(),
    )))
}
