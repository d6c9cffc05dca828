use sea_orm::entity::prelude::*;

use crate::group_buy::CampaignState;

/// A group-buy result owed to a participant; UNIQUE(group_buy_id, user_id).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_buy_notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub group_buy_id: i64,
    pub user_id: i64,
    /// `Succeeded` or `Failed`.
    pub outcome: CampaignState,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
