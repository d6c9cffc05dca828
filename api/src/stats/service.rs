//! The dashboard's figures, per community or over an admin's communities.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::booking::BookingStatus;
use entity::group_buy::CampaignState;
use entity::merchant::MerchantStatus;
use entity::notice::NoticeStatus;
use entity::order::OrderStatus;
use entity::{
    booking, goods, group_buy, group_buy_community, merchant, merchant_community, order, user,
};
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::community_links::{community_exists, linked_to};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::time;

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
    /// The happiness survey, odd jobs and tool lending of the scope.
    pub civic: super::civic::Civic,
    /// Volunteer points and the wish wall in scope, all time.
    pub points: PointsFigures,
    /// Activity participation of the scope's activities, all time: places
    /// taken, attended, no-shows (see `GET /admin/activities/attendance`).
    pub activity_signups: u64,
    pub activity_attended: u64,
    pub activity_no_shows: u64,
    /// Meals of the scope's canteens served so far (booked, not cancelled,
    /// the meal's time passed), and the subsidy they carried.
    pub canteen_meals_served: u64,
    pub canteen_subsidy_total: crate::money::Money,
    pub generated_at: DateTime<Utc>,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct PointsFigures {
    /// Points earned (before reversals).
    pub issued: i64,
    /// Points spent at the 爱心超市 (before cancellations).
    pub spent: i64,
    /// Wishes fulfilled (awaiting or after the wisher's confirmation).
    pub wishes_fulfilled: u64,
}

async fn points_figures(db: &impl ConnectionTrait, scope: &Scope) -> ApiResult<PointsFigures> {
    use entity::wish::{self, WishStatus};
    let totals = crate::points::views::totals(db, scope.clone()).await?;
    let mut wishes = wish::Entity::find()
        .filter(wish::Column::Status.is_in([WishStatus::Fulfilled, WishStatus::Confirmed]));
    if let Some(s) = scope {
        wishes = wishes.filter(wish::Column::CommunityId.is_in(s.clone()));
    }
    Ok(PointsFigures {
        issued: totals.iter().map(|t| t.issued).sum(),
        spent: totals.iter().map(|t| t.spent).sum(),
        wishes_fulfilled: wishes.count(db).await?,
    })
}

/// Which communities the figures cover; None = everything.
type Scope = Option<Vec<i64>>;

pub(crate) fn residents_in(scope: &[i64]) -> SelectStatement {
    Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(Expr::col(user::Column::CommunityId).is_in(scope.to_vec()))
        .to_owned()
}

fn merchants_serving(scope: &[i64]) -> SelectStatement {
    linked_to::<merchant_community::Entity>(scope.iter().copied())
}

fn active_merchants(scope: &Scope) -> SelectStatement {
    let mut q = Query::select()
        .column(merchant::Column::Id)
        .from(merchant::Entity)
        .and_where(Expr::col(merchant::Column::Status).eq(MerchantStatus::Active))
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
    let mut merchants =
        merchant::Entity::find().filter(merchant::Column::Status.eq(MerchantStatus::Active));
    let goods = goods::Entity::find()
        .filter(goods::Column::OnShelf.eq(true))
        .filter(goods::Column::DeletedAt.is_null())
        .filter(goods::Column::MerchantId.in_subquery(active_merchants(&scope)));
    let mut campaigns =
        group_buy::Entity::find().filter(group_buy::Column::State.ne(CampaignState::Cancelled));
    let mut orders = order::Entity::find()
        .filter(order::Column::Status.is_in(OrderStatus::all_where(OrderStatus::holds_quantity)));
    let mut bookings =
        booking::Entity::find().filter(booking::Column::Status.eq(BookingStatus::Completed));
    let mut served_orders = order::Entity::find()
        .select_only()
        .column(order::Column::UserId)
        .distinct()
        .filter(order::Column::Status.eq(OrderStatus::PickedUp));
    let mut served_bookings = booking::Entity::find()
        .select_only()
        .column(booking::Column::ResidentId)
        .distinct()
        .filter(booking::Column::Status.eq(BookingStatus::Completed));
    if let Some(s) = &scope {
        residents = residents.filter(user::Column::CommunityId.is_in(s.clone()));
        merchants = merchants.filter(merchant::Column::Id.in_subquery(merchants_serving(s)));
        campaigns = campaigns.filter(group_buy::Column::Id.in_subquery(linked_to::<
            group_buy_community::Entity,
        >(
            s.iter().copied()
        )));
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
    let participation = activity_participation(db, &scope).await?;
    let (meals_served, subsidy_total) = canteen_meals(db, &scope).await?;
    Ok(Stats {
        community_id,
        canteen_meals_served: meals_served,
        canteen_subsidy_total: subsidy_total,
        activity_signups: participation.0,
        activity_attended: participation.1,
        activity_no_shows: participation.2,
        registered_residents: residents.count(db).await?,
        active_merchants: merchants.count(db).await?,
        goods_on_shelf: goods.count(db).await?,
        notices_published: notices_published(db, &scope).await?,
        group_buys_run: campaigns.clone().count(db).await?,
        group_buys_succeeded: campaigns
            .filter(group_buy::Column::State.eq(CampaignState::Succeeded))
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
        civic: super::civic::compute(
            db,
            scope.as_deref(),
            crate::calendar::local_date(time::now()),
        )
        .await?,
        points: points_figures(db, &scope).await?,
        generated_at: time::now(),
    })
}

/// The figures `me` may see: of `community_id` (404 when it does not exist,
/// 403 when not theirs), or of all their communities.
pub async fn figures(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    community_id: Option<i64>,
) -> ApiResult<Stats> {
    let scope = match community_id {
        Some(id) => {
            if !community_exists(db, id).await? {
                return Err(ApiError::new(ErrorCode::CommunityNotFound));
            }
            me.require_admin_of(db, id).await?;
            Some(vec![id])
        }
        None => me.admin_communities(db).await?,
    };
    compute(db, community_id, scope).await
}

/// Published (not withdrawn) notices in scope.
async fn notices_published(db: &impl ConnectionTrait, scope: &Scope) -> ApiResult<u64> {
    let mut select = entity::notice::Entity::find()
        .filter(entity::notice::Column::Status.eq(NoticeStatus::Published));
    if let Some(s) = scope {
        select = select.filter(entity::notice::Column::CommunityId.is_in(s.clone()));
    }
    Ok(select.count(db).await?)
}

/// Places taken, attended and no-shows of the activities run by communities in scope.
async fn activity_participation(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> ApiResult<(u64, u64, u64)> {
    use entity::signup::{self, SignupStatus};
    let mut activities = Query::select()
        .column(entity::activity::Column::Id)
        .from(entity::activity::Entity)
        .to_owned();
    if let Some(s) = scope {
        activities.and_where(Expr::col(entity::activity::Column::CommunityId).is_in(s.clone()));
    }
    let count = |statuses: Vec<SignupStatus>| {
        signup::Entity::find()
            .filter(signup::Column::ActivityId.in_subquery(activities.clone()))
            .filter(signup::Column::Status.is_in(statuses))
            .count(db)
    };
    let attended = count(vec![SignupStatus::Attended]).await?;
    let no_shows = count(vec![SignupStatus::NoShow]).await?;
    let confirmed = count(vec![SignupStatus::Confirmed]).await?;
    Ok((confirmed + attended + no_shows, attended, no_shows))
}

/// Meals of the scope's canteens served so far, and their subsidy total.
async fn canteen_meals(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> ApiResult<(u64, crate::money::Money)> {
    use entity::{canteen, canteen_meal, meal_booking};
    let mut meals = Query::select()
        .column(canteen_meal::Column::Id)
        .from(canteen_meal::Entity)
        .and_where(Expr::col(canteen_meal::Column::ServesAt).lte(time::now()))
        .to_owned();
    if let Some(s) = scope {
        meals.and_where(
            Expr::col(canteen_meal::Column::CanteenId).in_subquery(
                Query::select()
                    .column(canteen::Column::Id)
                    .from(canteen::Entity)
                    .and_where(Expr::col(canteen::Column::CommunityId).is_in(s.clone()))
                    .to_owned(),
            ),
        );
    }
    let served = || {
        meal_booking::Entity::find()
            .filter(meal_booking::Column::MealId.in_subquery(meals.clone()))
            .filter(meal_booking::Column::Status.eq(crate::canteen::booking::BOOKED))
    };
    let count = served().count(db).await?;
    // CAST: PostgreSQL's SUM of a BIGINT is NUMERIC.
    let fen: Option<i64> = served()
        .select_only()
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(subsidy_fen), 0) AS BIGINT)"),
            "fen",
        )
        .into_tuple()
        .one(db)
        .await?;
    Ok((count, crate::money::Money::from_fen(fen.unwrap_or(0))))
}
