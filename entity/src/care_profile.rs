use sea_orm::entity::prelude::*;

/// What a grid worker keeps on a resident: care tier, tags, guardian, visits.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "care_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// red, orange, yellow, blue, green; None = untiered.
    pub tier: Option<String>,
    /// Comma-separated "三必访" tags.
    pub tags: String,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    /// An offline resident (no WeChat) created by an admin.
    pub offline: bool,
    /// `YYYY-MM-DD`.
    pub last_visited_on: Option<String>,
    /// `YYYY-MM-DD`; None when no visit is scheduled.
    pub next_visit_due: Option<String>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
