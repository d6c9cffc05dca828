use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "merchants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub owner_user_id: i64,
    pub application_id: Option<i64>,
    pub name: String,
    pub category: String,
    pub license_no: String,
    pub address: String,
    pub lat: f64,
    pub lng: f64,
    pub business_hours: String,
    pub announcement: String,
    pub logo_url: Option<String>,
    /// The business phone, shown publicly.
    pub contact_phone: String,
    /// `active` or `suspended`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
