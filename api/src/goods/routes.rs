//! `/goods-categories`, `/goods` (public, cached) and the owner's
//! `/merchants/{id}/goods`, `/goods/{id}` writes.

use actix_web::{Either, HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::listing::{self, GoodsFilter, GoodsQuery};
use super::moderation;
use super::owner::{self, Author};
use super::views::{
    CategoryView, GoodsPatch, GoodsView, NewGoods, OwnerGoodsQuery, ShelfRequest, with_images,
    with_images_one,
};
use crate::auth::{AuthUser, MaybeAuthUser};
use crate::cache::{JsonText, keys};
use crate::error::{ApiResult, ErrorBody, ErrorCode};
use crate::extract::Json;
use crate::media::MediaStore;
use crate::merchants::service as merchants;
use crate::pagination::{Page, PageParams, Paged};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_categories)
        .service(list_goods)
        .service(get_goods)
        .service(owner_goods)
        .service(create_goods)
        .service(patch_goods)
        .service(delete_goods)
        .service(shelf_goods)
        .service(approve_goods_text);
}

/// The two-level goods category tree.
#[utoipa::path(
    tag = "goods",
    responses((status = 200, body = Vec<CategoryView>))
)]
#[get("/goods-categories")]
#[tracing::instrument(skip_all, level = "debug")]
async fn list_categories(state: web::Data<AppState>) -> ApiResult<JsonText> {
    let db = &state.db;
    state
        .cache
        .get_or_load_json(&keys::goods_categories(), state.cache_ttl(), || {
            listing::categories(db)
        })
        .await
}

/// On-shelf goods of active merchants: filter, search, sort, page.
#[utoipa::path(
    tag = "goods",
    params(GoodsQuery, PageParams),
    responses(
        (status = 200, body = Paged<GoodsView>),
        (status = 400, description = "INVALID_QUERY: bad page, price or sort", body = ErrorBody),
    )
)]
#[get("/goods")]
#[tracing::instrument(skip_all, level = "debug")]
async fn list_goods(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    query: web::Query<GoodsQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<JsonText> {
    let page = Page::try_from(page.into_inner())?;
    let filter = GoodsFilter::parse(query.into_inner())?;
    let key = keys::goods_list(&filter.cache_key(), page);
    let db = &state.db;
    state
        .cache
        .get_or_load_json(&key, state.cache_ttl(), || {
            listing::list_public(db, &media, &filter, page)
        })
        .await
}

/// One goods. Off-shelf, deleted, or of a suspended merchant: 404, except to its owner.
#[utoipa::path(
    tag = "goods",
    params(("id" = i64, Path, description = "Goods id")),
    responses(
        (status = 200, body = GoodsView),
        (status = 404, description = "GOODS_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/goods/{id}")]
#[tracing::instrument(skip_all, level = "debug", fields(goods_id = *id))]
async fn get_goods(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: MaybeAuthUser,
    id: web::Path<i64>,
) -> ApiResult<Either<JsonText, web::Json<GoodsView>>> {
    let id = id.into_inner();
    let db = &state.db;
    let load = || listing::get_public(db, &media, id);
    let cache = &state.cache;
    let found = match cache
        .generation(keys::Namespace::GoodsDetails.prefix())
        .await
    {
        Some(details) => {
            let key = keys::goods_detail(id, details);
            cache
                .get_or_load_json(&key, state.cache_ttl(), load)
                .await
                .map(Either::Left)
        }
        None => load().await.map(|found| Either::Right(web::Json(found))),
    };
    match found {
        // The owner still sees their own unlisted goods (never cached).
        Err(err) if err.code == ErrorCode::GoodsNotFound => {
            match owner::get_for_owner(db, id, me.0.as_ref()).await? {
                Some(own) => Ok(Either::Right(web::Json(
                    with_images_one(db, &media, own).await?,
                ))),
                None => Err(err),
            }
        }
        found => found,
    }
}

/// The owner's goods, off-shelf included (`status=deleted` for deleted ones).
#[utoipa::path(
    tag = "goods",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id"), OwnerGoodsQuery, PageParams),
    responses(
        (status = 200, body = Paged<GoodsView>),
        (status = 400, description = "INVALID_QUERY", body = ErrorBody),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/merchants/{id}/goods")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn owner_goods(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
    query: web::Query<OwnerGoodsQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<web::Json<Paged<GoodsView>>> {
    let page = Page::try_from(page.into_inner())?;
    let m = merchants::owned_by(&state.db, id.into_inner(), &me).await?;
    let mut listed = owner::list_for_owner(&state.db, m.id, query.status, page).await?;
    listed.items = with_images(&state.db, &media, listed.items).await?;
    Ok(web::Json(listed))
}

/// List new goods (owner).
#[utoipa::path(
    tag = "goods",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Merchant id")),
    request_body = NewGoods,
    responses(
        (status = 201, body = GoodsView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not the owner", body = ErrorBody),
        (status = 404, description = "MERCHANT_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/merchants/{id}/goods")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), merchant_id = *id))]
async fn create_goods(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<NewGoods>,
) -> ApiResult<HttpResponse> {
    let m = merchants::owned_by(&state.db, id.into_inner(), &me).await?;
    let author = Author {
        state: &state,
        user: &me,
    };
    let created = owner::create(&author, m.id, body.0).await?;
    keys::goods_edited(&state.cache, &[created.id]).await;
    let view = with_images_one(&state.db, &media, created.into()).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Edit goods (owner).
#[utoipa::path(
    tag = "goods",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Goods id")),
    request_body = GoodsPatch,
    responses(
        (status = 200, body = GoodsView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: another merchant's listed goods", body = ErrorBody),
        (status = 404, description = "GOODS_NOT_FOUND (also another merchant's unlisted goods)", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[patch("/goods/{id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), goods_id = *id))]
async fn patch_goods(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<GoodsPatch>,
) -> ApiResult<web::Json<GoodsView>> {
    let g = owner::owned_by(&state.db, id.into_inner(), &me).await?;
    let author = Author {
        state: &state,
        user: &me,
    };
    let updated = owner::update(&author, g, body.0).await?;
    keys::goods_edited(&state.cache, &[updated.id]).await;
    Ok(web::Json(
        with_images_one(&state.db, &media, updated.into()).await?,
    ))
}

/// Soft-delete goods (owner).
#[utoipa::path(
    tag = "goods",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Goods id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: another merchant's listed goods", body = ErrorBody),
        (status = 404, description = "GOODS_NOT_FOUND", body = ErrorBody),
    )
)]
#[delete("/goods/{id}")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), goods_id = *id))]
async fn delete_goods(
    state: web::Data<AppState>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let g = owner::owned_by(&state.db, id.into_inner(), &me).await?;
    let id = g.id;
    owner::soft_delete(&state.db, g).await?;
    keys::goods_edited(&state.cache, &[id]).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Put goods on or take them off the shelf (owner).
#[utoipa::path(
    tag = "goods",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Goods id")),
    request_body = ShelfRequest,
    responses(
        (status = 200, body = GoodsView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: another merchant's listed goods", body = ErrorBody),
        (status = 404, description = "GOODS_NOT_FOUND", body = ErrorBody),
        (status = 422, description = "VALIDATION_FAILED", body = ErrorBody),
    )
)]
#[post("/goods/{id}/shelf")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), goods_id = *id))]
async fn shelf_goods(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
    body: Json<ShelfRequest>,
) -> ApiResult<web::Json<GoodsView>> {
    let g = owner::owned_by(&state.db, id.into_inner(), &me).await?;
    let updated = owner::set_shelf(&state.db, g, body.on_shelf).await?;
    keys::goods_edited(&state.cache, &[updated.id]).await;
    Ok(web::Json(
        with_images_one(&state.db, &media, updated.into()).await?,
    ))
}

/// Publish goods whose name or description WeChat sent for review (or could
/// not check): an admin of a community the merchant serves, or a platform
/// admin. Approving public goods again changes nothing.
#[utoipa::path(
    tag = "goods",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Goods id")),
    responses(
        (status = 200, body = GoodsView),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of the merchant's communities", body = ErrorBody),
        (status = 404, description = "GOODS_NOT_FOUND", body = ErrorBody),
    )
)]
#[post("/admin/goods/{id}/approve")]
#[tracing::instrument(skip_all, fields(user_id = me.id(), goods_id = *id))]
async fn approve_goods_text(
    state: web::Data<AppState>,
    media: web::Data<MediaStore>,
    me: AuthUser,
    id: web::Path<i64>,
) -> ApiResult<web::Json<GoodsView>> {
    let id = id.into_inner();
    let approved = moderation::approve(&state.db, &me, id).await?;
    keys::goods_edited(&state.cache, &[id]).await;
    Ok(web::Json(
        with_images_one(&state.db, &media, approved).await?,
    ))
}
