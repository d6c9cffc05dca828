//! What residents and admins read: balances, the ledger, ranks, totals.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::point_entry::{self, EntryKind, EntrySource};
use entity::{point_balance, point_rule};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiResult;
use crate::pagination::{Page, Paged};

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BalanceView {
    pub community_id: i64,
    pub balance: i64,
}

/// The caller's balances, one per community they hold points in.
pub async fn balances(conn: &impl ConnectionTrait, user_id: i64) -> ApiResult<Vec<BalanceView>> {
    Ok(point_balance::Entity::find()
        .filter(point_balance::Column::UserId.eq(user_id))
        .order_by_asc(point_balance::Column::CommunityId)
        .all(conn)
        .await?
        .into_iter()
        .map(|b| BalanceView {
            community_id: b.community_id,
            balance: b.balance,
        })
        .collect())
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EntryView {
    pub id: i64,
    pub user_id: i64,
    pub community_id: i64,
    pub kind: EntryKind,
    /// Signed: earns positive, spends and expiries negative.
    pub points: i64,
    pub source: EntrySource,
    pub source_ref: Option<String>,
    pub rule_id: Option<i64>,
    /// `class · name` of the rule, when there is one.
    pub rule_name: Option<String>,
    pub granted_by: Option<i64>,
    pub minutes: i32,
    pub photo_upload_id: Option<i64>,
    pub note: String,
    /// The entry this one reverses or expires.
    pub undoes_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

pub async fn entry_views(
    conn: &impl ConnectionTrait,
    rows: Vec<point_entry::Model>,
) -> ApiResult<Vec<EntryView>> {
    let rule_ids: Vec<i64> = rows.iter().filter_map(|e| e.rule_id).collect();
    let names: HashMap<i64, String> = point_rule::Entity::find()
        .filter(point_rule::Column::Id.is_in(rule_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, format!("{} · {}", r.class, r.name)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|e| EntryView {
            rule_name: e.rule_id.and_then(|r| names.get(&r).cloned()),
            id: e.id,
            user_id: e.user_id,
            community_id: e.community_id,
            kind: e.kind,
            points: e.points,
            source: e.source,
            source_ref: e.source_ref,
            rule_id: e.rule_id,
            granted_by: e.granted_by,
            minutes: e.minutes,
            photo_upload_id: e.photo_upload_id,
            note: e.note,
            undoes_id: e.undoes_id,
            created_at: e.created_at,
        })
        .collect())
}

/// A page of `select`'s entries, newest first.
pub async fn ledger(
    conn: &impl ConnectionTrait,
    select: Select<point_entry::Entity>,
    page: Page,
) -> ApiResult<Paged<EntryView>> {
    let listed = page
        .fetch(conn, select.order_by_desc(point_entry::Column::Id))
        .await?;
    let items = entry_views(conn, listed.items).await?;
    Ok(Paged::new(items, page, listed.total))
}

/// The caller's ledger.
pub fn of_user(user_id: i64) -> Select<point_entry::Entity> {
    point_entry::Entity::find().filter(point_entry::Column::UserId.eq(user_id))
}

fn sum_as_bigint(col: point_entry::Column) -> SimpleExpr {
    SimpleExpr::from(Func::sum(Expr::col(col))).cast_as(Alias::new("bigint"))
}

/// Points and volunteer minutes each resident earned in a community since
/// `since` (None: all time): earns not reversed.
async fn earned(
    conn: &impl ConnectionTrait,
    community_id: i64,
    since: Option<DateTime<Utc>>,
) -> ApiResult<Vec<(i64, i64, i64)>> {
    let reversed = Query::select()
        .column(point_entry::Column::UndoesId)
        .from(point_entry::Entity)
        .and_where(Expr::col(point_entry::Column::Kind).eq("reverse"))
        .and_where(Expr::col(point_entry::Column::UndoesId).is_not_null())
        .to_owned();
    let mut select = point_entry::Entity::find()
        .select_only()
        .column(point_entry::Column::UserId)
        .column_as(sum_as_bigint(point_entry::Column::Points), "points")
        .column_as(sum_as_bigint(point_entry::Column::Minutes), "minutes")
        .filter(point_entry::Column::CommunityId.eq(community_id))
        .filter(point_entry::Column::Kind.eq(EntryKind::Earn))
        .filter(point_entry::Column::Id.not_in_subquery(reversed));
    if let Some(since) = since {
        select = select.filter(point_entry::Column::CreatedAt.gte(since));
    }
    let rows: Vec<(i64, Option<i64>, Option<i64>)> = select
        .group_by(point_entry::Column::UserId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(u, p, m)| (u, p.unwrap_or(0), m.unwrap_or(0)))
        .collect())
}

/// One standing: the value and its place (1 = first; ties share a place;
/// null when the caller has none).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Standing {
    pub value: i64,
    pub rank: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RankEntry {
    pub user_id: i64,
    pub nickname: String,
    pub points: i64,
    pub hours: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RankView {
    pub community_id: i64,
    /// The caller's points earned this month (China time) and place.
    pub points_month: Standing,
    pub points_all_time: Standing,
    /// Volunteer hours, in minutes, this month and all time.
    pub minutes_month: Standing,
    pub minutes_all_time: Standing,
    /// The 10 residents who earned most this month.
    pub top_month: Vec<RankEntry>,
}

fn standing(rows: &[(i64, i64, i64)], me: i64, pick: impl Fn(&(i64, i64, i64)) -> i64) -> Standing {
    let mine = rows.iter().find(|r| r.0 == me).map(&pick);
    Standing {
        value: mine.unwrap_or(0),
        rank: mine.map(|v| 1 + rows.iter().filter(|r| pick(r) > v).count() as u64),
    }
}

pub async fn rank(
    conn: &impl ConnectionTrait,
    community_id: i64,
    me: i64,
    month_start: DateTime<Utc>,
) -> ApiResult<RankView> {
    let month = earned(conn, community_id, Some(month_start)).await?;
    let all = earned(conn, community_id, None).await?;
    let mut top: Vec<(i64, i64, i64)> = month.clone();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    let names: HashMap<i64, String> = entity::user::Entity::find()
        .filter(entity::user::Column::Id.is_in(top.iter().map(|t| t.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.nickname))
        .collect();
    Ok(RankView {
        community_id,
        points_month: standing(&month, me, |r| r.1),
        points_all_time: standing(&all, me, |r| r.1),
        minutes_month: standing(&month, me, |r| r.2),
        minutes_all_time: standing(&all, me, |r| r.2),
        top_month: top
            .into_iter()
            .map(|(u, p, m)| RankEntry {
                nickname: names.get(&u).cloned().unwrap_or_default(),
                user_id: u,
                points: p,
                hours: m as f64 / 60.0,
            })
            .collect(),
    })
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct CommunityTotals {
    pub community_id: i64,
    /// Points earned (before reversals).
    pub issued: i64,
    /// Points spent at the 爱心超市 (before cancellations).
    pub spent: i64,
    /// Net points moved by reversals (negative: taken back).
    pub reversed: i64,
    /// Points that lapsed.
    pub expired: i64,
    /// Points held by residents now.
    pub outstanding: i64,
    pub holders: u64,
}

/// Totals per community among `scope` (None: every community).
pub async fn totals(
    conn: &impl ConnectionTrait,
    scope: Option<Vec<i64>>,
) -> ApiResult<Vec<CommunityTotals>> {
    let mut by_kind = point_entry::Entity::find()
        .select_only()
        .column(point_entry::Column::CommunityId)
        .column(point_entry::Column::Kind)
        .column_as(sum_as_bigint(point_entry::Column::Points), "points")
        .group_by(point_entry::Column::CommunityId)
        .group_by(point_entry::Column::Kind);
    let mut balances = point_balance::Entity::find()
        .select_only()
        .column(point_balance::Column::CommunityId)
        .column_as(
            SimpleExpr::from(Func::sum(Expr::col(point_balance::Column::Balance)))
                .cast_as(Alias::new("bigint")),
            "balance",
        )
        .column_as(
            SimpleExpr::from(Func::count(Expr::col(point_balance::Column::UserId)))
                .cast_as(Alias::new("bigint")),
            "holders",
        )
        .filter(point_balance::Column::Balance.gt(0))
        .group_by(point_balance::Column::CommunityId);
    if let Some(ids) = &scope {
        by_kind = by_kind.filter(point_entry::Column::CommunityId.is_in(ids.clone()));
        balances = balances.filter(point_balance::Column::CommunityId.is_in(ids.clone()));
    }
    let kinds: Vec<(i64, EntryKind, Option<i64>)> = by_kind.into_tuple().all(conn).await?;
    let held: Vec<(i64, Option<i64>, Option<i64>)> = balances.into_tuple().all(conn).await?;
    let mut out: HashMap<i64, CommunityTotals> = HashMap::new();
    for (c, kind, points) in kinds {
        let t = out.entry(c).or_insert_with(|| CommunityTotals {
            community_id: c,
            ..Default::default()
        });
        let p = points.unwrap_or(0);
        match kind {
            EntryKind::Earn => t.issued += p,
            EntryKind::Spend => t.spent -= p,
            EntryKind::Reverse => t.reversed += p,
            EntryKind::Expire => t.expired -= p,
        }
    }
    for (c, balance, holders) in held {
        let t = out.entry(c).or_insert_with(|| CommunityTotals {
            community_id: c,
            ..Default::default()
        });
        t.outstanding = balance.unwrap_or(0);
        t.holders = u64::try_from(holders.unwrap_or(0)).unwrap_or(0);
    }
    let mut list: Vec<CommunityTotals> = out.into_values().collect();
    list.sort_by_key(|t| t.community_id);
    Ok(list)
}
