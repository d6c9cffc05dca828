//! Each community's rule book (积分细则): classes and items, points per
//! item, caps per day and month. A community gets the default book (8
//! classes, 32 items, after the 道德银行 standards) when its rules are first
//! needed; admins then edit their own communities' books.

use entity::point_rule;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::or_conflict;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::FieldErrors;
use crate::time;

/// The rule system awards for a confirmed wish.
pub const WISH_FULFILLED: &str = "wish_fulfilled";
/// The rule system awards for an activity attended.
pub const ACTIVITY_ATTENDED: &str = "activity_attended";

/// (class, item, points, daily cap, monthly cap, code)
type DefaultRule = (
    &'static str,
    &'static str,
    i32,
    Option<i32>,
    Option<i32>,
    Option<&'static str>,
);

/// The default book: 8 classes, 32 items.
pub const DEFAULT_BOOK: [DefaultRule; 32] = [
    (
        "治安巡逻",
        "参加夜间治安巡逻（每次）",
        10,
        Some(20),
        Some(200),
        None,
    ),
    (
        "治安巡逻",
        "发现并报告安全隐患",
        5,
        Some(10),
        Some(50),
        None,
    ),
    ("治安巡逻", "协助疏导交通", 5, Some(10), Some(100), None),
    ("治安巡逻", "参与防诈骗宣传", 5, Some(5), Some(30), None),
    (
        "矛盾调解",
        "成功调解邻里纠纷",
        20,
        Some(40),
        Some(200),
        None,
    ),
    ("矛盾调解", "参与调解会议", 5, Some(10), Some(50), None),
    (
        "矛盾调解",
        "反映社情民意被采纳",
        10,
        Some(10),
        Some(50),
        None,
    ),
    (
        "矛盾调解",
        "协助化解物业矛盾",
        10,
        Some(20),
        Some(100),
        None,
    ),
    (
        "环境整治",
        "参加环境卫生大扫除",
        10,
        Some(10),
        Some(100),
        None,
    ),
    (
        "环境整治",
        "垃圾分类志愿督导（每小时）",
        5,
        Some(20),
        Some(200),
        None,
    ),
    ("环境整治", "清理楼道杂物", 5, Some(10), Some(50), None),
    ("环境整治", "劝导文明养犬", 5, Some(5), Some(50), None),
    ("关爱老幼", "探访独居老人", 10, Some(20), Some(200), None),
    ("关爱老幼", "为老人代购代办", 5, Some(10), Some(100), None),
    (
        "关爱老幼",
        "课后托管志愿服务（每小时）",
        5,
        Some(20),
        Some(200),
        None,
    ),
    ("关爱老幼", "陪同老人就医", 10, Some(20), Some(100), None),
    (
        "文明实践",
        "参加社区活动",
        5,
        Some(10),
        Some(100),
        Some(ACTIVITY_ATTENDED),
    ),
    ("文明实践", "参加文明实践讲座", 5, Some(5), Some(50), None),
    (
        "文明实践",
        "担任活动志愿者（每次）",
        10,
        Some(20),
        Some(200),
        None,
    ),
    ("文明实践", "评为文明家庭", 50, None, Some(50), None),
    (
        "邻里互助",
        "认领并完成微心愿",
        20,
        Some(40),
        Some(200),
        Some(WISH_FULFILLED),
    ),
    ("邻里互助", "借出家用工具", 2, Some(10), Some(50), None),
    ("邻里互助", "帮助邻居解决困难", 5, Some(10), Some(100), None),
    ("邻里互助", "参与社区互助小组", 5, Some(5), Some(50), None),
    (
        "应急服务",
        "参与防汛抗灾值守",
        20,
        Some(40),
        Some(400),
        None,
    ),
    (
        "应急服务",
        "参与疫情防控志愿服务",
        10,
        Some(20),
        Some(300),
        None,
    ),
    ("应急服务", "参加应急演练", 5, Some(5), Some(30), None),
    ("应急服务", "无偿献血", 50, None, Some(50), None),
    ("公益宣传", "参与政策宣传入户", 5, Some(10), Some(100), None),
    (
        "公益宣传",
        "撰写社区宣传稿被采用",
        10,
        Some(10),
        Some(50),
        None,
    ),
    ("公益宣传", "参与移风易俗宣传", 5, Some(5), Some(50), None),
    ("公益宣传", "参与普法宣传", 5, Some(5), Some(50), None),
];

/// Writes the default book for `community_id` if it has no rules yet
/// (several writers at once: the unique (community, class, name) keeps one).
pub async fn ensure_rule_book(conn: &impl ConnectionTrait, community_id: i64) -> ApiResult<()> {
    let any = point_rule::Entity::find()
        .filter(point_rule::Column::CommunityId.eq(community_id))
        .count(conn)
        .await?;
    if any > 0 {
        return Ok(());
    }
    let now = time::now();
    let rows =
        DEFAULT_BOOK
            .iter()
            .enumerate()
            .map(
                |(i, (class, name, points, day, month, code))| point_rule::ActiveModel {
                    community_id: Set(community_id),
                    class: Set((*class).to_owned()),
                    name: Set((*name).to_owned()),
                    points: Set(*points),
                    daily_cap: Set(*day),
                    monthly_cap: Set(*month),
                    code: Set(code.map(str::to_owned)),
                    active: Set(true),
                    position: Set(i32::try_from(i).unwrap_or(0)),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                },
            );
    point_rule::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([
            point_rule::Column::CommunityId,
            point_rule::Column::Class,
            point_rule::Column::Name,
        ])
        .exec(conn)
        .await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleView {
    pub id: i64,
    pub community_id: i64,
    /// The class (大类): 治安巡逻, 矛盾调解 ...
    pub class: String,
    pub name: String,
    pub points: i32,
    /// Most points one resident may earn by this item per day (China time); null = no cap.
    pub daily_cap: Option<i32>,
    /// ... and per month.
    pub monthly_cap: Option<i32>,
    /// Set on the items the system awards by: `wish_fulfilled`, `activity_attended`.
    pub code: Option<String>,
    pub active: bool,
}

impl From<point_rule::Model> for RuleView {
    fn from(r: point_rule::Model) -> Self {
        Self {
            id: r.id,
            community_id: r.community_id,
            class: r.class,
            name: r.name,
            points: r.points,
            daily_cap: r.daily_cap,
            monthly_cap: r.monthly_cap,
            code: r.code,
            active: r.active,
        }
    }
}

/// A new item of a community's book.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewRule {
    pub community_id: i64,
    /// 1-32 characters.
    #[schema(max_length = 32, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub class: String,
    /// 1-60 characters.
    #[schema(max_length = 60, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: String,
    /// 1-10000.
    #[schema(minimum = 1, maximum = 10000)]
    pub points: i32,
    /// 1-100000 or null (no cap).
    #[schema(minimum = 1, maximum = 100000)]
    pub daily_cap: Option<i32>,
    #[schema(minimum = 1, maximum = 100000)]
    pub monthly_cap: Option<i32>,
}

/// Changes to an item; absent fields stay.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct RulePatch {
    /// 1-32 characters.
    #[schema(max_length = 32, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub class: Option<String>,
    /// 1-60 characters.
    #[schema(max_length = 60, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: Option<String>,
    /// 1-10000.
    #[schema(minimum = 1, maximum = 10000)]
    pub points: Option<i32>,
    #[serde(default, deserialize_with = "crate::fields::nullable")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 100000)]
    pub daily_cap: Option<Option<i32>>,
    #[serde(default, deserialize_with = "crate::fields::nullable")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 100000)]
    pub monthly_cap: Option<Option<i32>>,
    pub active: Option<bool>,
}

fn check_numbers(
    errors: &mut FieldErrors,
    points: Option<i32>,
    day: Option<i32>,
    month: Option<i32>,
) {
    if let Some(p) = points
        && !(1..=10_000).contains(&p)
    {
        errors.push("points", "积分须在 1 到 10000 之间");
    }
    for (field, cap) in [("daily_cap", day), ("monthly_cap", month)] {
        if let Some(c) = cap
            && !(1..=100_000).contains(&c)
        {
            errors.push(field, "上限须在 1 到 100000 之间，或不设上限");
        }
    }
}

/// The community's book, default items first written if it had none.
pub async fn list(conn: &impl ConnectionTrait, community_id: i64) -> ApiResult<Vec<RuleView>> {
    ensure_rule_book(conn, community_id).await?;
    Ok(point_rule::Entity::find()
        .filter(point_rule::Column::CommunityId.eq(community_id))
        .order_by_asc(point_rule::Column::Position)
        .order_by_asc(point_rule::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(RuleView::from)
        .collect())
}

pub async fn create(conn: &impl ConnectionTrait, new: NewRule) -> ApiResult<RuleView> {
    let mut errors = FieldErrors::default();
    let class = errors.text("class", &new.class, 1, 32);
    let name = errors.text("name", &new.name, 1, 60);
    check_numbers(
        &mut errors,
        Some(new.points),
        new.daily_cap,
        new.monthly_cap,
    );
    errors.finish()?;
    ensure_rule_book(conn, new.community_id).await?;
    let now = time::now();
    let inserted = point_rule::ActiveModel {
        community_id: Set(new.community_id),
        class: Set(class),
        name: Set(name),
        points: Set(new.points),
        daily_cap: Set(new.daily_cap),
        monthly_cap: Set(new.monthly_cap),
        code: Set(None),
        active: Set(true),
        position: Set(1000),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await;
    Ok(or_conflict(inserted, ErrorCode::AlreadyExists)?.into())
}

/// One rule, 404 `POINT_RULE_NOT_FOUND` when there is none.
pub async fn find(conn: &impl ConnectionTrait, id: i64) -> ApiResult<point_rule::Model> {
    point_rule::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::PointRuleNotFound))
}

pub async fn update(
    conn: &impl ConnectionTrait,
    rule: point_rule::Model,
    patch: RulePatch,
) -> ApiResult<RuleView> {
    let mut errors = FieldErrors::default();
    let class = patch
        .class
        .as_deref()
        .map(|c| errors.text("class", c, 1, 32));
    let name = patch.name.as_deref().map(|n| errors.text("name", n, 1, 60));
    check_numbers(
        &mut errors,
        patch.points,
        patch.daily_cap.flatten(),
        patch.monthly_cap.flatten(),
    );
    errors.finish()?;
    let mut active = rule.into_active_model();
    if let Some(c) = class {
        active.class = Set(c);
    }
    if let Some(n) = name {
        active.name = Set(n);
    }
    if let Some(p) = patch.points {
        active.points = Set(p);
    }
    if let Some(d) = patch.daily_cap {
        active.daily_cap = Set(d);
    }
    if let Some(m) = patch.monthly_cap {
        active.monthly_cap = Set(m);
    }
    if let Some(a) = patch.active {
        active.active = Set(a);
    }
    active.updated_at = Set(time::now());
    Ok(or_conflict(active.update(conn).await, ErrorCode::AlreadyExists)?.into())
}
