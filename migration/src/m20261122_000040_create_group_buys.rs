//! Group-buy campaigns, the communities they are shown in, each resident's
//! running quantity (for the per-user limit), and orders.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GroupBuys::Table)
                    .col(big_pk_auto(GroupBuys::Id))
                    .col(big_integer(GroupBuys::MerchantId))
                    .col(big_integer(GroupBuys::GoodsId))
                    .col(string(GroupBuys::Title))
                    .col(big_integer(GroupBuys::GroupPriceFen))
                    .col(big_integer(GroupBuys::MinQuantity))
                    .col(big_integer(GroupBuys::TotalQuantity))
                    .col(big_integer(GroupBuys::PerUserLimit))
                    .col(big_integer(GroupBuys::OrderedQuantity).default(0))
                    .col(big_integer(GroupBuys::OrdersCount).default(0))
                    .col(timestamp_with_time_zone(GroupBuys::StartsAt))
                    .col(timestamp_with_time_zone(GroupBuys::EndsAt))
                    .col(string(GroupBuys::PickupAddress))
                    .col(timestamp_with_time_zone(GroupBuys::PickupStartsAt))
                    .col(timestamp_with_time_zone(GroupBuys::PickupEndsAt))
                    .col(string_len(GroupBuys::State, 16))
                    .col(timestamp_with_time_zone_null(GroupBuys::SettledAt))
                    .col(timestamp_with_time_zone(GroupBuys::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_group_buys_merchant", GroupBuys::MerchantId),
            ("idx_group_buys_ends", GroupBuys::EndsAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(GroupBuys::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(GroupBuyCommunities::Table)
                    .col(big_integer(GroupBuyCommunities::GroupBuyId))
                    .col(big_integer(GroupBuyCommunities::CommunityId))
                    .primary_key(
                        Index::create()
                            .col(GroupBuyCommunities::GroupBuyId)
                            .col(GroupBuyCommunities::CommunityId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GroupBuyCommunities::Table, GroupBuyCommunities::GroupBuyId)
                            .to(GroupBuys::Table, GroupBuys::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_group_buy_communities_community")
                    .table(GroupBuyCommunities::Table)
                    .col(GroupBuyCommunities::CommunityId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GroupBuyParticipants::Table)
                    .col(big_integer(GroupBuyParticipants::GroupBuyId))
                    .col(big_integer(GroupBuyParticipants::UserId))
                    .col(big_integer(GroupBuyParticipants::Quantity).default(0))
                    .primary_key(
                        Index::create()
                            .col(GroupBuyParticipants::GroupBuyId)
                            .col(GroupBuyParticipants::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                GroupBuyParticipants::Table,
                                GroupBuyParticipants::GroupBuyId,
                            )
                            .to(GroupBuys::Table, GroupBuys::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(big_pk_auto(Orders::Id))
                    .col(string_len_uniq(Orders::OrderNo, 32))
                    .col(big_integer(Orders::GroupBuyId))
                    .col(big_integer(Orders::MerchantId))
                    .col(big_integer(Orders::UserId))
                    .col(big_integer(Orders::Quantity))
                    .col(big_integer(Orders::UnitPriceFen))
                    .col(big_integer(Orders::AmountFen))
                    .col(string_len(Orders::Status, 24))
                    .col(string_len(Orders::PaymentProvider, 16))
                    .col(string_len_null(Orders::PaymentRef, 64))
                    .col(timestamp_with_time_zone_null(Orders::PaidAt))
                    .col(string_len_null(Orders::PickupCode, 16).unique_key())
                    .col(timestamp_with_time_zone_null(Orders::PickedUpAt))
                    .col(timestamp_with_time_zone_null(Orders::CancelledAt))
                    .col(timestamp_with_time_zone_null(Orders::RefundedAt))
                    .col(timestamp_with_time_zone_null(Orders::ExpiresAt))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Orders::Table, Orders::GroupBuyId)
                            .to(GroupBuys::Table, GroupBuys::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_orders_user", vec![Orders::UserId, Orders::CreatedAt]),
            (
                "idx_orders_group_buy",
                vec![Orders::GroupBuyId, Orders::Status],
            ),
            (
                "idx_orders_merchant",
                vec![Orders::MerchantId, Orders::Status],
            ),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Orders::Table);
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Orders::Table.into_iden(),
            GroupBuyParticipants::Table.into_iden(),
            GroupBuyCommunities::Table.into_iden(),
            GroupBuys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum GroupBuys {
    Table,
    Id,
    MerchantId,
    GoodsId,
    Title,
    GroupPriceFen,
    MinQuantity,
    TotalQuantity,
    PerUserLimit,
    OrderedQuantity,
    OrdersCount,
    StartsAt,
    EndsAt,
    PickupAddress,
    PickupStartsAt,
    PickupEndsAt,
    State,
    SettledAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum GroupBuyCommunities {
    Table,
    GroupBuyId,
    CommunityId,
}

#[derive(DeriveIden)]
enum GroupBuyParticipants {
    Table,
    GroupBuyId,
    UserId,
    Quantity,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    OrderNo,
    GroupBuyId,
    MerchantId,
    UserId,
    Quantity,
    UnitPriceFen,
    AmountFen,
    Status,
    PaymentProvider,
    PaymentRef,
    PaidAt,
    PickupCode,
    PickedUpAt,
    CancelledAt,
    RefundedAt,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}
