//! Subscribe-message grants per user and topic, and the group-buy result
//! notices owed to participants.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SubscriptionGrants::Table)
                    .col(big_integer(SubscriptionGrants::UserId))
                    .col(string_len(SubscriptionGrants::Topic, 16))
                    .col(big_integer(SubscriptionGrants::Remaining).default(0))
                    .col(timestamp_with_time_zone(SubscriptionGrants::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(SubscriptionGrants::UserId)
                            .col(SubscriptionGrants::Topic),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GroupBuyNotifications::Table)
                    .col(big_pk_auto(GroupBuyNotifications::Id))
                    .col(big_integer(GroupBuyNotifications::GroupBuyId))
                    .col(big_integer(GroupBuyNotifications::UserId))
                    .col(string_len(GroupBuyNotifications::Outcome, 16))
                    .col(timestamp_with_time_zone(GroupBuyNotifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(GroupBuyNotifications::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_group_buy_notifications")
                    .table(GroupBuyNotifications::Table)
                    .col(GroupBuyNotifications::GroupBuyId)
                    .col(GroupBuyNotifications::UserId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(GroupBuyNotifications::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SubscriptionGrants::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SubscriptionGrants {
    Table,
    UserId,
    Topic,
    Remaining,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GroupBuyNotifications {
    Table,
    Id,
    GroupBuyId,
    UserId,
    Outcome,
    CreatedAt,
    SentAt,
}
