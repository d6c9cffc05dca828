//! After-sales requests (售后): a resident asks for a refund of some lines
//! or all of a completed order; the merchant approves or rejects, the clock
//! approves what nobody answered in 48 h, a community admin decides an
//! escalated one. `open_order_id` is the order's id while the request is
//! open (requested or escalated) and NULL otherwise: its UNIQUE index keeps
//! one open request per order whatever the concurrency.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AfterSales::Table)
                    .col(big_pk_auto(AfterSales::Id))
                    .col(big_integer(AfterSales::OrderId))
                    .col(big_integer_null(AfterSales::OpenOrderId))
                    .col(big_integer(AfterSales::MerchantId))
                    .col(big_integer(AfterSales::UserId))
                    .col(string_len(AfterSales::Status, 16))
                    .col(text(AfterSales::LineIds))
                    .col(big_integer(AfterSales::AmountFen))
                    .col(string_len(AfterSales::Reason, 200))
                    .col(text(AfterSales::Photos))
                    .col(string_len_null(AfterSales::MerchantReason, 200))
                    .col(string_len_null(AfterSales::EscalationReason, 200))
                    .col(string_len_null(AfterSales::AdminReason, 200))
                    .col(string_len_null(AfterSales::DecidedBy, 16))
                    .col(big_integer_null(AfterSales::AdminId))
                    .col(timestamp_with_time_zone(AfterSales::AnswerDueAt))
                    .col(timestamp_with_time_zone_null(AfterSales::AnsweredAt))
                    .col(timestamp_with_time_zone_null(AfterSales::EscalatedAt))
                    .col(timestamp_with_time_zone_null(AfterSales::DecidedAt))
                    .col(timestamp_with_time_zone_null(AfterSales::RefundedAt))
                    .col(timestamp_with_time_zone(AfterSales::CreatedAt))
                    .col(timestamp_with_time_zone(AfterSales::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        let indexes: [(&str, Vec<AfterSales>, bool); 5] = [
            (
                "uq_after_sales_open_order",
                vec![AfterSales::OpenOrderId],
                true,
            ),
            ("idx_after_sales_order", vec![AfterSales::OrderId], false),
            (
                "idx_after_sales_merchant",
                vec![AfterSales::MerchantId, AfterSales::Status],
                false,
            ),
            (
                "idx_after_sales_user",
                vec![AfterSales::UserId, AfterSales::CreatedAt],
                false,
            ),
            (
                "idx_after_sales_due",
                vec![AfterSales::Status, AfterSales::AnswerDueAt],
                false,
            ),
        ];
        for (name, cols, unique) in indexes {
            let mut idx = Index::create();
            idx.name(name).table(AfterSales::Table);
            if unique {
                idx.unique();
            }
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AfterSales::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AfterSales {
    Table,
    Id,
    OrderId,
    OpenOrderId,
    MerchantId,
    UserId,
    Status,
    LineIds,
    AmountFen,
    Reason,
    Photos,
    MerchantReason,
    EscalationReason,
    AdminReason,
    DecidedBy,
    AdminId,
    AnswerDueAt,
    AnsweredAt,
    EscalatedAt,
    DecidedAt,
    RefundedAt,
    CreatedAt,
    UpdatedAt,
}
