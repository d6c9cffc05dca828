//! Demo merchants, goods, promotions and group-buys with their orders.

use std::time::Instant;

use chrono::Duration;
use entity::group_buy::CampaignState;
use entity::merchant::MerchantStatus;
use entity::order::{OrderStatus, PaymentProvider};
use entity::{
    goods, goods_category, group_buy, group_buy_community, group_buy_participant, merchant,
    merchant_community, order, promotion, user,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::names::{self, Rng};
use super::{BATCH, Plan, Report, progress};
use crate::auth::{Role, join_roles};
use crate::error::ApiResult;
use crate::time;

/// Seeded merchants carry this license prefix: how a rerun finds them.
const LICENSE_PREFIX: &str = "SEED";

pub async fn seed(db: &DatabaseConnection, plan: &Plan, report: &mut Report) -> ApiResult<()> {
    let merchants = seed_merchants(db, plan, report).await?;
    seed_goods(db, plan, &merchants, report).await?;
    seed_promotions(db, &merchants, report).await?;
    seed_group_buys(db, plan, &merchants, report).await?;
    Ok(())
}

async fn seeded_merchants(db: &DatabaseConnection) -> ApiResult<Vec<merchant::Model>> {
    Ok(merchant::Entity::find()
        .filter(merchant::Column::LicenseNo.starts_with(LICENSE_PREFIX))
        .order_by_asc(merchant::Column::LicenseNo)
        .all(db)
        .await?)
}

async fn seed_merchants(
    db: &DatabaseConnection,
    plan: &Plan,
    report: &mut Report,
) -> ApiResult<Vec<merchant::Model>> {
    let existing = seeded_merchants(db).await?.len();
    let tops: Vec<goods_category::Model> = goods_category::Entity::find()
        .filter(goods_category::Column::ParentId.is_null())
        .order_by_asc(goods_category::Column::SortOrder)
        .all(db)
        .await?;
    let now = time::now();
    let mut created = 0;
    let mut i = existing;
    while i < plan.merchants {
        let end = (i + BATCH).min(plan.merchants);
        // Owners are the first seeded residents; each becomes a merchant too.
        let openids: Vec<String> = (i..end).map(|n| format!("seed-{n}")).collect();
        let owners: Vec<user::Model> = user::Entity::find()
            .filter(user::Column::Openid.is_in(openids))
            .all(db)
            .await?;
        let by_openid: std::collections::HashMap<String, user::Model> = owners
            .into_iter()
            .filter_map(|u| u.openid.clone().map(|o| (o, u)))
            .collect();
        let mut rows = Vec::new();
        let mut served = Vec::new();
        for n in i..end {
            let Some(owner) = by_openid.get(&format!("seed-{n}")) else {
                continue;
            };
            let mut rng = Rng::new(0xAB5EED ^ n as u64);
            let category = tops
                .get(n % tops.len().max(1))
                .map(|c| c.name.clone())
                .unwrap_or_default();
            rows.push(merchant::ActiveModel {
                owner_user_id: Set(owner.id),
                application_id: Set(None),
                name: Set(names::shop(&mut rng, &category)),
                category: Set(category),
                license_no: Set(format!("{LICENSE_PREFIX}{n:010}")),
                address: Set(format!("{}{}号", names::street(&mut rng), 1 + rng.below(400))),
                lat: Set(30.0 + rng.unit() * 2.0),
                lng: Set(114.0 + rng.unit() * 2.0),
                business_hours: Set(["07:00-21:00", "08:00-20:00", "09:00-22:00"][n % 3].to_owned()),
                announcement: Set("欢迎光临，社区居民满 30 元免费配送".to_owned()),
                logo_url: Set(None),
                contact_phone: Set(format!("139{:08}", rng.below(100_000_000))),
                // One in fifty is suspended, as in real life.
                status: Set(if n % 50 == 49 {
                    MerchantStatus::Suspended
                } else {
                    MerchantStatus::Active
                }),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
            served.push((format!("{LICENSE_PREFIX}{n:010}"), owner.community_id));
        }
        created += rows.len() as u64;
        if !rows.is_empty() {
            merchant::Entity::insert_many(rows).exec(db).await?;
        }
        let inserted = merchant::Entity::find()
            .filter(
                merchant::Column::LicenseNo
                    .is_in(served.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>()),
            )
            .all(db)
            .await?;
        let links: Vec<merchant_community::ActiveModel> = inserted
            .iter()
            .filter_map(|m| {
                let community = served.iter().find(|(l, _)| *l == m.license_no)?.1?;
                Some(merchant_community::ActiveModel {
                    merchant_id: Set(m.id),
                    community_id: Set(community),
                })
            })
            .collect();
        if !links.is_empty() {
            merchant_community::Entity::insert_many(links)
                .exec(db)
                .await?;
        }
        let owner_ids: Vec<i64> = inserted.iter().map(|m| m.owner_user_id).collect();
        user::Entity::update_many()
            .col_expr(
                user::Column::Roles,
                Expr::value(join_roles(&[Role::Resident, Role::Merchant])),
            )
            .filter(user::Column::Id.is_in(owner_ids))
            .exec(db)
            .await?;
        i = end;
    }
    let all = seeded_merchants(db).await?;
    report.add("merchants", created, all.len() as u64);
    Ok(all)
}

async fn seed_goods(
    db: &DatabaseConnection,
    plan: &Plan,
    merchants: &[merchant::Model],
    report: &mut Report,
) -> ApiResult<()> {
    let started = Instant::now();
    let ids: Vec<i64> = merchants.iter().map(|m| m.id).collect();
    let have = goods::Entity::find()
        .filter(goods::Column::MerchantId.is_in(ids.clone()))
        .count(db)
        .await? as usize;
    let categories = goods_category::Entity::find().all(db).await?;
    let now = time::now();
    let mut created = 0u64;
    let mut j = have;
    while j < plan.goods && !merchants.is_empty() {
        let end = (j + BATCH).min(plan.goods);
        let rows: Vec<goods::ActiveModel> = (j..end)
            .filter_map(|n| {
                let m = &merchants[n % merchants.len()];
                let top = categories
                    .iter()
                    .find(|c| c.parent_id.is_none() && c.name == m.category)?;
                let leaves: Vec<&goods_category::Model> = categories
                    .iter()
                    .filter(|c| c.parent_id == Some(top.id))
                    .collect();
                let mut rng = Rng::new(0x600D5 ^ n as u64);
                let leaf = leaves.get(rng.below(leaves.len() as u64) as usize)?;
                let (name, unit, low, high) = names::product(&mut rng, &leaf.name);
                let price_fen = (low + rng.below(high - low as u64 + 1) as i64) / 10 * 10 - 1;
                Some(goods::ActiveModel {
                    merchant_id: Set(m.id),
                    category_id: Set(leaf.id),
                    name: Set(name),
                    description: Set(format!("{}，社区直供，当日送达", leaf.name)),
                    price_fen: Set(price_fen.max(90)),
                    unit: Set(unit.to_owned()),
                    stock: Set(20 + rng.below(500) as i32),
                    sales: Set(rng.below(2000) as i32),
                    images: Set("[]".to_owned()),
                    on_shelf: Set(n % 20 != 19),
                    moderation: Set("pass".to_owned()),
                    deleted_at: Set(None),
                    created_at: Set(now - Duration::minutes(n as i64)),
                    updated_at: Set(now),
                    ..Default::default()
                })
            })
            .collect();
        created += rows.len() as u64;
        if !rows.is_empty() {
            goods::Entity::insert_many(rows).exec(db).await?;
        }
        j = end;
        progress("goods", j, plan.goods, started);
    }
    let total = goods::Entity::find()
        .filter(goods::Column::MerchantId.is_in(ids))
        .count(db)
        .await?;
    report.add("goods", created, total);
    Ok(())
}

async fn seed_promotions(
    db: &DatabaseConnection,
    merchants: &[merchant::Model],
    report: &mut Report,
) -> ApiResult<()> {
    let ids: Vec<i64> = merchants.iter().map(|m| m.id).collect();
    let have = promotion::Entity::find()
        .filter(promotion::Column::MerchantId.is_in(ids.clone()))
        .count(db)
        .await?;
    let mut created = 0;
    if have == 0 {
        let now = time::now();
        let rows: Vec<promotion::ActiveModel> = merchants
            .iter()
            .enumerate()
            .filter(|(n, _)| n % 4 == 0)
            .map(|(n, m)| promotion::ActiveModel {
                merchant_id: Set(m.id),
                title: Set([
                    "满 50 减 5",
                    "新鲜到货 9 折",
                    "会员日第二件半价",
                    "老人购物满 30 元送货上门",
                ][n % 4]
                    .to_owned()),
                description: Set("仅限本社区居民，活动期间有效".to_owned()),
                starts_at: Set(now - Duration::days((n % 3) as i64)),
                ends_at: Set(now + Duration::days(7 + (n % 10) as i64)),
                created_at: Set(now),
                ..Default::default()
            })
            .collect();
        created = rows.len() as u64;
        for chunk in rows.chunks(BATCH) {
            promotion::Entity::insert_many(chunk.to_vec())
                .exec(db)
                .await?;
        }
    }
    let total = promotion::Entity::find()
        .filter(promotion::Column::MerchantId.is_in(ids))
        .count(db)
        .await?;
    report.add("promotions", created, total);
    Ok(())
}

/// States of the seeded campaigns, in order; the first is the benchmark's hot
/// campaign: ongoing for 30 days with room for a million units.
const CAMPAIGN_STATES: [&str; 10] = [
    "hot",
    "ongoing",
    "ongoing",
    "upcoming",
    "upcoming",
    "succeeded",
    "succeeded",
    "failed",
    "failed",
    "cancelled",
];

async fn seed_group_buys(
    db: &DatabaseConnection,
    plan: &Plan,
    merchants: &[merchant::Model],
    report: &mut Report,
) -> ApiResult<()> {
    let ids: Vec<i64> = merchants
        .iter()
        .filter(|m| m.status == MerchantStatus::Active)
        .map(|m| m.id)
        .collect();
    let have = group_buy::Entity::find()
        .filter(group_buy::Column::MerchantId.is_in(ids.clone()))
        .count(db)
        .await? as usize;
    let now = time::now();
    let mut created = 0u64;
    let mut orders_created = 0u64;
    for n in have..plan.group_buys {
        let Some(&merchant_id) = ids.get((n * 7) % ids.len().max(1)) else {
            break;
        };
        let Some(g) = goods::Entity::find()
            .filter(goods::Column::MerchantId.eq(merchant_id))
            .filter(goods::Column::OnShelf.eq(true))
            .order_by_asc(goods::Column::Id)
            .one(db)
            .await?
        else {
            continue;
        };
        let Some(community_id) = merchant_community::Entity::find()
            .filter(merchant_community::Column::MerchantId.eq(merchant_id))
            .one(db)
            .await?
            .map(|mc| mc.community_id)
        else {
            continue;
        };
        let kind = CAMPAIGN_STATES[n % CAMPAIGN_STATES.len()];
        let (starts, ends, state, total, min, limit) = match kind {
            "hot" => (
                now - Duration::hours(1),
                now + Duration::days(30),
                CampaignState::Open,
                1_000_000,
                10,
                1_000,
            ),
            "ongoing" => (
                now - Duration::hours(2),
                now + Duration::days(2),
                CampaignState::Open,
                200,
                20,
                5,
            ),
            "upcoming" => (
                now + Duration::days(1),
                now + Duration::days(3),
                CampaignState::Open,
                100,
                10,
                3,
            ),
            "succeeded" => (
                now - Duration::days(5),
                now - Duration::days(2),
                CampaignState::Succeeded,
                100,
                10,
                5,
            ),
            "failed" => (
                now - Duration::days(5),
                now - Duration::days(2),
                CampaignState::Failed,
                100,
                10,
                5,
            ),
            _ => (
                now - Duration::days(5),
                now - Duration::days(2),
                CampaignState::Cancelled,
                100,
                10,
                5,
            ),
        };
        let price = (g.price_fen * 8 / 10).max(1);
        let gb = group_buy::Entity::insert(group_buy::ActiveModel {
            merchant_id: Set(merchant_id),
            goods_id: Set(g.id),
            title: Set(format!("{}团购", g.name)),
            group_price_fen: Set(price),
            min_quantity: Set(min),
            total_quantity: Set(total),
            per_user_limit: Set(limit),
            ordered_quantity: Set(0),
            orders_count: Set(0),
            starts_at: Set(starts),
            ends_at: Set(ends),
            pickup_address: Set("社区便民服务驿站一楼".to_owned()),
            pickup_starts_at: Set(ends + Duration::hours(12)),
            pickup_ends_at: Set(ends + Duration::hours(60)),
            state: Set(state),
            settled_at: Set((state != CampaignState::Open).then_some(ends)),
            created_at: Set(starts - Duration::days(1)),
            ..Default::default()
        })
        .exec(db)
        .await?
        .last_insert_id;
        group_buy_community::Entity::insert(group_buy_community::ActiveModel {
            group_buy_id: Set(gb),
            community_id: Set(community_id),
        })
        .exec(db)
        .await?;
        created += 1;
        if kind == "upcoming" {
            continue;
        }
        // Orders from residents of the campaign's community.
        let buyers = user::Entity::find()
            .filter(user::Column::CommunityId.eq(community_id))
            .filter(user::Column::Openid.starts_with("seed-"))
            .order_by_asc(user::Column::Id)
            .limit(if kind == "failed" { 3 } else { 15 })
            .all(db)
            .await?;
        let order_status = match state {
            CampaignState::Succeeded => OrderStatus::AwaitingPickup,
            CampaignState::Failed | CampaignState::Cancelled => OrderStatus::Cancelled,
            CampaignState::Open => OrderStatus::Placed,
        };
        let mut quantity_sum = 0;
        let mut rows = Vec::new();
        let mut participants = Vec::new();
        for (k, buyer) in buyers.iter().enumerate() {
            let mut rng = Rng::new((gb as u64) << 20 ^ k as u64);
            let quantity = 1 + rng.below(2) as i64;
            quantity_sum += quantity;
            let picked = kind == "succeeded" && k % 2 == 0;
            rows.push(order::ActiveModel {
                order_no: Set(format!("{}S{:06}{:09}", starts.format("%Y%m%d"), gb, k)),
                group_buy_id: Set(Some(gb)),
                merchant_id: Set(merchant_id),
                user_id: Set(buyer.id),
                quantity: Set(quantity),
                unit_price_fen: Set(price),
                amount_fen: Set(price * quantity),
                status: Set(if picked {
                    OrderStatus::PickedUp
                } else {
                    order_status
                }),
                payment_provider: Set(PaymentProvider::Offline),
                pickup_code: Set((kind == "succeeded")
                    .then(|| format!("{:08}", (gb * 1000 + k as i64) % 100_000_000))),
                picked_up_at: Set(picked.then_some(ends + Duration::hours(20))),
                cancelled_at: Set((order_status == OrderStatus::Cancelled).then_some(ends)),
                created_at: Set(starts + Duration::minutes(k as i64)),
                updated_at: Set(now),
                ..Default::default()
            });
            participants.push(group_buy_participant::ActiveModel {
                group_buy_id: Set(gb),
                user_id: Set(buyer.id),
                quantity: Set(if order_status == OrderStatus::Cancelled {
                    0
                } else {
                    quantity
                }),
            });
        }
        orders_created += rows.len() as u64;
        let count = rows.len() as i64;
        if !rows.is_empty() {
            order::Entity::insert_many(rows).exec(db).await?;
            group_buy_participant::Entity::insert_many(participants)
                .exec(db)
                .await?;
        }
        group_buy::Entity::update_many()
            .col_expr(
                group_buy::Column::OrderedQuantity,
                Expr::value(quantity_sum),
            )
            .col_expr(group_buy::Column::OrdersCount, Expr::value(count))
            .filter(group_buy::Column::Id.eq(gb))
            .exec(db)
            .await?;
    }
    let total = group_buy::Entity::find()
        .filter(group_buy::Column::MerchantId.is_in(ids))
        .count(db)
        .await?;
    report.add("group_buys", created, total);
    report.add(
        "orders",
        orders_created,
        order::Entity::find().count(db).await?,
    );
    Ok(())
}
