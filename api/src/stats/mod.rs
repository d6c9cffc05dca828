//! The dashboard: the figures the county reports, per community or overall.

use std::collections::HashSet;

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use entity::{
    booking, goods, group_buy, group_buy_community, merchant, merchant_community, order, user,
};
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::startup::AppState;
use crate::time;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_stats);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// One community; omitted: every community the caller administers
    /// (all of them for a platform admin).
    pub community_id: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Stats {
    /// The community asked for; None for a total.
    pub community_id: Option<i64>,
    /// Residents whose home (bound building) is in scope.
    pub registered_residents: u64,
    /// Active merchants serving the scope.
    pub active_merchants: u64,
    /// On-shelf, not deleted goods of those merchants.
    pub goods_on_shelf: u64,
    /// Notices published (and not withdrawn) in scope.
    pub notices_published: u64,
    /// Group-buys shown in scope, cancelled ones excluded.
    pub group_buys_run: u64,
    pub group_buys_succeeded: u64,
    /// Orders of residents in scope, cancelled, refunded and expired ones excluded.
    pub orders: u64,
    /// Completed bookings of residents in scope.
    pub bookings_completed: u64,
    /// Distinct residents in scope with a picked-up order or a completed booking.
    pub residents_served: u64,
    /// Residents' requests (诉求) of the scope, all time.
    pub requests: crate::requests::figures::Figures,
    pub generated_at: DateTime<Utc>,
}

/// Which communities the figures cover; None = everything.
type Scope = Option<Vec<i64>>;

fn residents_in(scope: &[i64]) -> SelectStatement {
    Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(Expr::col(user::Column::CommunityId).is_in(scope.to_vec()))
        .to_owned()
}

fn merchants_serving(scope: &[i64]) -> SelectStatement {
    Query::select()
        .column(merchant_community::Column::MerchantId)
        .from(merchant_community::Entity)
        .and_where(Expr::col(merchant_community::Column::CommunityId).is_in(scope.to_vec()))
        .to_owned()
}

fn active_merchants(scope: &Scope) -> SelectStatement {
    let mut q = Query::select()
        .column(merchant::Column::Id)
        .from(merchant::Entity)
        .and_where(Expr::col(merchant::Column::Status).eq("active"))
        .to_owned();
    if let Some(s) = scope {
        q.and_where(Expr::col(merchant::Column::Id).in_subquery(merchants_serving(s)));
    }
    q
}

pub async fn compute(
    db: &impl ConnectionTrait,
    community_id: Option<i64>,
    scope: Scope,
) -> ApiResult<Stats> {
    let mut residents = user::Entity::find().filter(user::Column::Roles.contains("resident"));
    let mut merchants = merchant::Entity::find().filter(merchant::Column::Status.eq("active"));
    let goods = goods::Entity::find()
        .filter(goods::Column::OnShelf.eq(true))
        .filter(goods::Column::DeletedAt.is_null())
        .filter(goods::Column::MerchantId.in_subquery(active_merchants(&scope)));
    let mut campaigns = group_buy::Entity::find().filter(group_buy::Column::State.ne("cancelled"));
    let mut orders = order::Entity::find().filter(order::Column::Status.is_in([
        "pending_payment",
        "placed",
        "awaiting_pickup",
        "picked_up",
    ]));
    let mut bookings = booking::Entity::find().filter(booking::Column::Status.eq("completed"));
    let mut served_orders = order::Entity::find()
        .select_only()
        .column(order::Column::UserId)
        .distinct()
        .filter(order::Column::Status.eq("picked_up"));
    let mut served_bookings = booking::Entity::find()
        .select_only()
        .column(booking::Column::ResidentId)
        .distinct()
        .filter(booking::Column::Status.eq("completed"));
    if let Some(s) = &scope {
        residents = residents.filter(user::Column::CommunityId.is_in(s.clone()));
        merchants = merchants.filter(merchant::Column::Id.in_subquery(merchants_serving(s)));
        campaigns = campaigns.filter(
            group_buy::Column::Id.in_subquery(
                Query::select()
                    .column(group_buy_community::Column::GroupBuyId)
                    .from(group_buy_community::Entity)
                    .and_where(Expr::col(group_buy_community::Column::CommunityId).is_in(s.clone()))
                    .to_owned(),
            ),
        );
        orders = orders.filter(order::Column::UserId.in_subquery(residents_in(s)));
        bookings = bookings.filter(booking::Column::ResidentId.in_subquery(residents_in(s)));
        served_orders = served_orders.filter(order::Column::UserId.in_subquery(residents_in(s)));
        served_bookings =
            served_bookings.filter(booking::Column::ResidentId.in_subquery(residents_in(s)));
    }
    let mut served: HashSet<i64> = served_orders
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    served.extend(served_bookings.into_tuple::<i64>().all(db).await?);
    Ok(Stats {
        community_id,
        registered_residents: residents.count(db).await?,
        active_merchants: merchants.count(db).await?,
        goods_on_shelf: goods.count(db).await?,
        notices_published: notices_published(db, &scope).await?,
        group_buys_run: campaigns.clone().count(db).await?,
        group_buys_succeeded: campaigns
            .filter(group_buy::Column::State.eq("succeeded"))
            .count(db)
            .await?,
        orders: orders.count(db).await?,
        bookings_completed: bookings.count(db).await?,
        residents_served: served.len() as u64,
        requests: crate::requests::figures::compute(
            db,
            &crate::requests::access::Scope {
                communities: scope.clone(),
                ..Default::default()
            },
            &crate::requests::figures::FigureFilter::everything(),
        )
        .await?
        .total,
        generated_at: time::now(),
    })
}

/// The dashboard figures (community admins: their communities; platform admins: any).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(StatsQuery),
    responses(
        (status = 200, body = Stats),
        (status = 401, description = "UNAUTHORIZED", body = ErrorBody),
        (status = 403, description = "FORBIDDEN: not an admin of that community", body = ErrorBody),
        (status = 404, description = "COMMUNITY_NOT_FOUND", body = ErrorBody),
    )
)]
#[get("/admin/stats")]
async fn get_stats(
    state: web::Data<AppState>,
    me: AuthUser,
    query: web::Query<StatsQuery>,
) -> ApiResult<web::Json<Stats>> {
    me.require_any(&[Role::CommunityAdmin, Role::PlatformAdmin])?;
    let scope = match query.community_id {
        Some(id) => {
            if !crate::communities::service::exists(&state.db, id).await? {
                return Err(ApiError::new(ErrorCode::CommunityNotFound));
            }
            me.require_admin_of(&state.db, id).await?;
            Some(vec![id])
        }
        None => me.admin_communities(&state.db).await?,
    };
    Ok(web::Json(
        compute(&state.db, query.community_id, scope).await?,
    ))
}

/// Published (not withdrawn) notices in scope.
async fn notices_published(db: &impl ConnectionTrait, scope: &Scope) -> ApiResult<u64> {
    let mut select =
        entity::notice::Entity::find().filter(entity::notice::Column::Status.eq("published"));
    if let Some(s) = scope {
        select = select.filter(entity::notice::Column::CommunityId.is_in(s.clone()));
    }
    Ok(select.count(db).await?)
}
