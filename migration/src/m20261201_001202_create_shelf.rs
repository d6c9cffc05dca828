//! The 爱心超市: a community's shelf of items priced in points, and the
//! redemptions that take points and stock together and are picked up with
//! a code (UNIQUE).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ShelfItems::Table)
                    .col(big_pk_auto(ShelfItems::Id))
                    .col(big_integer(ShelfItems::CommunityId))
                    .col(string_len(ShelfItems::Name, 60))
                    .col(string_len(ShelfItems::Description, 500))
                    .col(big_integer(ShelfItems::PricePoints))
                    .col(integer(ShelfItems::Stock))
                    .col(text(ShelfItems::Images))
                    .col(boolean(ShelfItems::OnShelf))
                    .col(timestamp_with_time_zone_null(ShelfItems::DeletedAt))
                    .col(timestamp_with_time_zone(ShelfItems::CreatedAt))
                    .col(timestamp_with_time_zone(ShelfItems::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_shelf_items_community")
                    .table(ShelfItems::Table)
                    .col(ShelfItems::CommunityId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Redemptions::Table)
                    .col(big_pk_auto(Redemptions::Id))
                    .col(big_integer(Redemptions::UserId))
                    .col(big_integer(Redemptions::CommunityId))
                    .col(big_integer(Redemptions::ItemId))
                    .col(string_len(Redemptions::ItemName, 60))
                    .col(integer(Redemptions::Quantity))
                    .col(big_integer(Redemptions::Points))
                    .col(string_len(Redemptions::Status, 16))
                    .col(string_len(Redemptions::PickupCode, 8))
                    .col(big_integer(Redemptions::SpendEntryId))
                    .col(timestamp_with_time_zone(Redemptions::CreatedAt))
                    .col(timestamp_with_time_zone_null(Redemptions::PickedUpAt))
                    .col(big_integer_null(Redemptions::PickedUpBy))
                    .col(timestamp_with_time_zone_null(Redemptions::CancelledAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_redemptions_pickup_code")
                    .table(Redemptions::Table)
                    .col(Redemptions::PickupCode)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_redemptions_user")
                    .table(Redemptions::Table)
                    .col(Redemptions::UserId)
                    .col(Redemptions::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Redemptions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ShelfItems::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ShelfItems {
    Table,
    Id,
    CommunityId,
    Name,
    Description,
    PricePoints,
    Stock,
    Images,
    OnShelf,
    DeletedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Redemptions {
    Table,
    Id,
    UserId,
    CommunityId,
    ItemId,
    ItemName,
    Quantity,
    Points,
    Status,
    PickupCode,
    SpendEntryId,
    CreatedAt,
    PickedUpAt,
    PickedUpBy,
    CancelledAt,
}
