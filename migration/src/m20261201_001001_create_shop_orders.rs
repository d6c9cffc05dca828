//! Shop orders on the one order model: an order's `kind` (`group_buy` or
//! `shop`), a shop order's lines (snapshots of the goods at order time), its
//! fulfilment (pickup or delivery, with the address, fee and note), the
//! resident's cart, and the merchant's delivery terms. A shop order belongs
//! to no campaign, so `orders.group_buy_id` may be NULL.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite cannot drop a NOT NULL in place; its documented way for removing
/// a NOT NULL is to edit the stored `CREATE TABLE` text and bump the schema
/// version, all in the migration's transaction (the file format is the same).
async fn set_group_buy_nullable(manager: &SchemaManager<'_>, nullable: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let change = if nullable { "DROP" } else { "SET" };
            db.execute_unprepared(&format!(
                "ALTER TABLE orders ALTER COLUMN group_buy_id {change} NOT NULL"
            ))
            .await?;
        }
        DbBackend::Sqlite => {
            let (from, to) = (
                "\"group_buy_id\" integer NOT NULL",
                "\"group_buy_id\" integer NULL",
            );
            let (from, to) = if nullable { (from, to) } else { (to, from) };
            let version = db
                .query_one_raw(Statement::from_string(
                    DbBackend::Sqlite,
                    "PRAGMA schema_version",
                ))
                .await?
                .ok_or_else(|| DbErr::Custom("no schema_version".into()))?
                .try_get_by_index::<i64>(0)?;
            db.execute_unprepared("PRAGMA writable_schema = ON").await?;
            let edited = db
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "UPDATE sqlite_schema SET sql = replace(sql, ?, ?) \
                     WHERE type = 'table' AND name = 'orders' AND instr(sql, ?) > 0",
                    [from.into(), to.into(), from.into()],
                ))
                .await?;
            db.execute_unprepared(&format!("PRAGMA schema_version = {}", version + 1))
                .await?;
            db.execute_unprepared("PRAGMA writable_schema = OFF")
                .await?;
            if edited.rows_affected() != 1 {
                return Err(DbErr::Custom(
                    "orders.group_buy_id is not declared as expected".into(),
                ));
            }
        }
        other => return Err(DbErr::Custom(format!("unsupported backend {other:?}"))),
    }
    Ok(())
}

async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    col: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).add_column(col).to_owned())
        .await
}

async fn drop_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    col: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).drop_column(col).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // The SQLite edit must run on one connection, inside one transaction.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_group_buy_nullable(manager, true).await?;
        for col in [
            string_len(Orders::Kind, 16).default("group_buy").to_owned(),
            string_len_null(Orders::Fulfilment, 16).to_owned(),
            string_len_null(Orders::DeliveryAddress, 200).to_owned(),
            big_integer(Orders::DeliveryFeeFen).default(0).to_owned(),
            string_len(Orders::Note, 200).default("").to_owned(),
            string_len_null(Orders::DeclineReason, 200).to_owned(),
            timestamp_with_time_zone_null(Orders::AcceptedAt).to_owned(),
            timestamp_with_time_zone_null(Orders::DeliveringAt).to_owned(),
            timestamp_with_time_zone_null(Orders::CompletedAt).to_owned(),
        ] {
            add_column(manager, Orders::Table, col).await?;
        }
        for col in [
            boolean(Merchants::DeliveryEnabled)
                .default(false)
                .to_owned(),
            big_integer(Merchants::MinOrderFen).default(0).to_owned(),
            big_integer(Merchants::DeliveryFeeFen).default(0).to_owned(),
        ] {
            add_column(manager, Merchants::Table, col).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(OrderLines::Table)
                    .col(big_pk_auto(OrderLines::Id))
                    .col(big_integer(OrderLines::OrderId))
                    .col(big_integer(OrderLines::GoodsId))
                    .col(string_len(OrderLines::Name, 100))
                    .col(string_len(OrderLines::Unit, 20))
                    .col(big_integer(OrderLines::PriceFen))
                    .col(string_len_null(OrderLines::Image, 500))
                    .col(big_integer(OrderLines::Quantity))
                    .col(big_integer(OrderLines::AmountFen))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderLines::Table, OrderLines::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_order_lines_order")
                    .table(OrderLines::Table)
                    .col(OrderLines::OrderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_kind_created")
                    .table(Orders::Table)
                    .col(Orders::UserId)
                    .col(Orders::Kind)
                    .col(Orders::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderNotifications::Table)
                    .col(big_pk_auto(OrderNotifications::Id))
                    .col(big_integer(OrderNotifications::OrderId))
                    .col(string_len(OrderNotifications::Status, 24))
                    .col(big_integer(OrderNotifications::UserId))
                    .col(timestamp_with_time_zone(OrderNotifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(OrderNotifications::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderNotifications::Table, OrderNotifications::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_order_notifications_once")
                    .table(OrderNotifications::Table)
                    .col(OrderNotifications::OrderId)
                    .col(OrderNotifications::Status)
                    .col(OrderNotifications::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CartItems::Table)
                    .col(big_pk_auto(CartItems::Id))
                    .col(big_integer(CartItems::UserId))
                    .col(big_integer(CartItems::GoodsId))
                    .col(big_integer(CartItems::Quantity))
                    .col(timestamp_with_time_zone(CartItems::CreatedAt))
                    .col(timestamp_with_time_zone(CartItems::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CartItems::Table, CartItems::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_cart_items_user_goods")
                    .table(CartItems::Table)
                    .col(CartItems::UserId)
                    .col(CartItems::GoodsId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CartItems::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OrderLines::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OrderNotifications::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_orders_kind_created")
                    .table(Orders::Table)
                    .to_owned(),
            )
            .await?;
        // Shop orders cannot live without their campaign column: they go.
        let db = manager.get_connection();
        for table in ["refunds", "payments", "order_prepays"] {
            db.execute_unprepared(&format!(
                "DELETE FROM {table} WHERE order_id IN (SELECT id FROM orders WHERE kind = 'shop')"
            ))
            .await?;
        }
        db.execute_unprepared("DELETE FROM orders WHERE kind = 'shop'")
            .await?;
        for col in [
            Merchants::DeliveryEnabled,
            Merchants::MinOrderFen,
            Merchants::DeliveryFeeFen,
        ] {
            drop_column(manager, Merchants::Table, col).await?;
        }
        for col in [
            Orders::Kind,
            Orders::Fulfilment,
            Orders::DeliveryAddress,
            Orders::DeliveryFeeFen,
            Orders::Note,
            Orders::DeclineReason,
            Orders::AcceptedAt,
            Orders::DeliveringAt,
            Orders::CompletedAt,
        ] {
            drop_column(manager, Orders::Table, col).await?;
        }
        set_group_buy_nullable(manager, false).await
    }
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    UserId,
    CreatedAt,
    Kind,
    Fulfilment,
    DeliveryAddress,
    DeliveryFeeFen,
    Note,
    DeclineReason,
    AcceptedAt,
    DeliveringAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum Merchants {
    Table,
    DeliveryEnabled,
    MinOrderFen,
    DeliveryFeeFen,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
    OrderId,
    GoodsId,
    Name,
    Unit,
    PriceFen,
    Image,
    Quantity,
    AmountFen,
}

#[derive(DeriveIden)]
enum OrderNotifications {
    Table,
    Id,
    OrderId,
    Status,
    UserId,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum CartItems {
    Table,
    Id,
    UserId,
    GoodsId,
    Quantity,
    CreatedAt,
    UpdatedAt,
}
