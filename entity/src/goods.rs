use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "goods")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub merchant_id: i64,
    pub category_id: i64,
    pub name: String,
    pub description: String,
    pub price_fen: i64,
    pub unit: String,
    pub stock: i32,
    pub sales: i32,
    /// JSON array of images: upload ids (`12`) or https URLs (`"https://…"`).
    pub images: String,
    pub on_shelf: bool,
    /// WeChat's check of the name and description: `pass` (public),
    /// `review` (hidden until an admin approves) or `pending` (hidden; WeChat
    /// was unreachable, checked again by a sweep).
    pub moderation: String,
    pub deleted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
