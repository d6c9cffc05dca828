//! Volunteer points, the 爱心超市 and the wish wall of the demo: each
//! community's rule book, awards to twenty of its residents (so ledgers,
//! balances and ranks have something to show), four shelf items, and three
//! wishes (two open on the wall, one fulfilled and confirmed). A community
//! with shelf items already is left as it is (idempotent).

use entity::point_entry::EntrySource;
use entity::wish::{self, WishStatus};
use entity::{community, point_rule, shelf_item, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::Report;
use crate::db::begin_write;
use crate::error::ApiResult;
use crate::points::ledger::{self, Award, RuleRef};
use crate::points::rules::{WISH_FULFILLED, ensure_rule_book};
use crate::time;

const ITEMS: [(&str, i64, i32); 4] = [
    ("洗衣液 2kg", 100, 20),
    ("食用油 5L", 300, 10),
    ("抽纸 一提", 50, 40),
    ("大米 5kg", 200, 15),
];

const WISHES: [(&str, &str, &str); 3] = [
    (
        "想要一副老花镜",
        "看报纸看不清了，希望有人帮忙配一副",
        "goods",
    ),
    (
        "希望有人陪我聊聊天",
        "子女在外地，周末想有人陪着下下棋",
        "company",
    ),
    ("厨房水龙头漏水", "一直滴水，自己修不好", "repair"),
];

pub async fn seed(db: &DatabaseConnection, report: &mut Report) -> ApiResult<()> {
    let communities = community::Entity::find()
        .order_by_asc(community::Column::Id)
        .all(db)
        .await?;
    let (mut items, mut awards, mut wishes) = (0u64, 0u64, 0u64);
    for c in communities {
        let stocked = shelf_item::Entity::find()
            .filter(shelf_item::Column::CommunityId.eq(c.id))
            .count(db)
            .await?;
        if stocked > 0 {
            continue;
        }
        let txn = begin_write(db).await?;
        ensure_rule_book(&*txn, c.id).await?;
        let now = time::now();
        for (name, price, stock) in ITEMS {
            shelf_item::ActiveModel {
                community_id: Set(c.id),
                name: Set(name.to_owned()),
                description: Set(String::new()),
                price_points: Set(price),
                stock: Set(stock),
                images: Set("[]".to_owned()),
                on_shelf: Set(true),
                deleted_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&*txn)
            .await?;
            items += 1;
        }
        let rules = point_rule::Entity::find()
            .filter(point_rule::Column::CommunityId.eq(c.id))
            .filter(point_rule::Column::Code.is_null())
            .order_by_asc(point_rule::Column::Id)
            .limit(8)
            .all(&*txn)
            .await?;
        let residents = user::Entity::find()
            .filter(user::Column::CommunityId.eq(c.id))
            .order_by_asc(user::Column::Id)
            .limit(20)
            .all(&*txn)
            .await?;
        for (i, r) in residents.iter().enumerate() {
            for rule in rules.iter().take(1 + i % 4) {
                ledger::award(
                    &*txn,
                    Award {
                        user_id: r.id,
                        community_id: c.id,
                        rule: RuleRef::Id(rule.id),
                        points: None,
                        granted_by: None,
                        source: EntrySource::Service,
                        source_ref: None,
                        minutes: 60,
                        photo_upload_id: None,
                        note: "示例数据".to_owned(),
                    },
                )
                .await?;
                awards += 1;
            }
        }
        if let [wisher, claimer, ..] = residents.as_slice() {
            for (i, (title, content, category)) in WISHES.iter().enumerate() {
                let done = i == 2;
                let saved = wish::ActiveModel {
                    community_id: Set(c.id),
                    wisher_id: Set(wisher.id),
                    posted_by: Set(wisher.id),
                    title: Set((*title).to_owned()),
                    content: Set((*content).to_owned()),
                    photos: Set("[]".to_owned()),
                    category: Set((*category).to_owned()),
                    public: Set(true),
                    status: Set(if done {
                        WishStatus::Confirmed
                    } else {
                        WishStatus::Open
                    }),
                    reject_reason: Set(None),
                    claimer_id: Set(done.then_some(claimer.id)),
                    claimed_at: Set(done.then_some(now)),
                    claim_deadline: Set(None),
                    fulfil_note: Set(done.then(|| "已上门修好".to_owned())),
                    fulfil_photos: Set("[]".to_owned()),
                    fulfilled_at: Set(done.then_some(now)),
                    confirmed_at: Set(done.then_some(now)),
                    confirmed_by: Set(done.then_some(wisher.id)),
                    award_entry_id: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&*txn)
                .await?;
                if done {
                    let entry = ledger::award(
                        &*txn,
                        Award {
                            user_id: claimer.id,
                            community_id: c.id,
                            rule: RuleRef::Code(WISH_FULFILLED),
                            points: None,
                            granted_by: Some(wisher.id),
                            source: EntrySource::Wish,
                            source_ref: Some(format!("wish:{}", saved.id)),
                            minutes: 0,
                            photo_upload_id: None,
                            note: saved.title.clone(),
                        },
                    )
                    .await?;
                    let mut active: wish::ActiveModel = saved.into();
                    active.award_entry_id = Set(Some(entry.id));
                    active.update(&*txn).await?;
                    awards += 1;
                }
                wishes += 1;
            }
        }
        txn.commit().await?;
    }
    let total_items = shelf_item::Entity::find().count(db).await?;
    let total_wishes = wish::Entity::find().count(db).await?;
    let total_awards = entity::point_entry::Entity::find().count(db).await?;
    report.add("shelf_items", items, total_items);
    report.add("point_entries", awards, total_awards);
    report.add("wishes", wishes, total_wishes);
    Ok(())
}
