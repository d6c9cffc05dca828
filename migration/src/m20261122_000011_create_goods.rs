//! Goods categories (a two-level tree) and goods. Prices are integer fen;
//! `stock` is decremented by group-buys with conditional updates.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000010_create_merchants::Merchants;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GoodsCategories::Table)
                    .col(big_pk_auto(GoodsCategories::Id))
                    .col(big_integer_null(GoodsCategories::ParentId))
                    .col(string(GoodsCategories::Name))
                    .col(integer(GoodsCategories::SortOrder).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(GoodsCategories::Table, GoodsCategories::ParentId)
                            .to(GoodsCategories::Table, GoodsCategories::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_goods_categories_parent")
                    .table(GoodsCategories::Table)
                    .col(GoodsCategories::ParentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Goods::Table)
                    .col(big_pk_auto(Goods::Id))
                    .col(big_integer(Goods::MerchantId))
                    .col(big_integer(Goods::CategoryId))
                    .col(string(Goods::Name))
                    .col(text(Goods::Description).default(""))
                    .col(big_integer(Goods::PriceFen))
                    .col(string(Goods::Unit))
                    .col(integer(Goods::Stock))
                    .col(integer(Goods::Sales).default(0))
                    // JSON array of https URLs.
                    .col(text(Goods::Images))
                    .col(boolean(Goods::OnShelf))
                    .col(timestamp_with_time_zone_null(Goods::DeletedAt))
                    .col(timestamp_with_time_zone(Goods::CreatedAt))
                    .col(timestamp_with_time_zone(Goods::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Goods::Table, Goods::MerchantId)
                            .to(Merchants::Table, Merchants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Goods::Table, Goods::CategoryId)
                            .to(GoodsCategories::Table, GoodsCategories::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_goods_merchant", Goods::MerchantId),
            ("idx_goods_category", Goods::CategoryId),
            ("idx_goods_created", Goods::CreatedAt),
            ("idx_goods_price", Goods::PriceFen),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Goods::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Goods::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(GoodsCategories::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum GoodsCategories {
    Table,
    Id,
    ParentId,
    Name,
    SortOrder,
}

#[derive(DeriveIden)]
pub enum Goods {
    Table,
    Id,
    MerchantId,
    CategoryId,
    Name,
    Description,
    PriceFen,
    Unit,
    Stock,
    Sales,
    Images,
    OnShelf,
    DeletedAt,
    CreatedAt,
    UpdatedAt,
}
