//! Online payments of orders: the prepay each WeChat Pay order was given
//! (re-signed while valid), every payment WeChat Pay reported (its
//! transaction id unique, so a payment is recorded once however often it
//! is notified), and every refund (one per payment, its out_refund_no fixed
//! with the row, so retrying never refunds twice).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrderPrepays::Table)
                    .col(big_integer(OrderPrepays::OrderId).primary_key())
                    .col(string_len(OrderPrepays::PrepayId, 64))
                    .col(timestamp_with_time_zone(OrderPrepays::ValidUntil))
                    .col(timestamp_with_time_zone_null(OrderPrepays::CheckedAt))
                    .col(timestamp_with_time_zone(OrderPrepays::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(big_pk_auto(Payments::Id))
                    .col(big_integer(Payments::OrderId))
                    .col(big_integer(Payments::MerchantId))
                    .col(string_len(Payments::Provider, 16))
                    .col(string_len(Payments::OutTradeNo, 32))
                    .col(string_len_uniq(Payments::TransactionId, 64))
                    .col(big_integer(Payments::AmountFen))
                    .col(string_len(Payments::Currency, 8))
                    .col(string_len(Payments::PayerOpenid, 128))
                    .col(string_len(Payments::Status, 24))
                    .col(timestamp_with_time_zone(Payments::PaidAt))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(big_pk_auto(Refunds::Id))
                    .col(big_integer_uniq(Refunds::PaymentId))
                    .col(big_integer(Refunds::OrderId))
                    .col(big_integer(Refunds::MerchantId))
                    .col(string_len_uniq(Refunds::OutRefundNo, 64))
                    .col(string_len(Refunds::OutTradeNo, 32))
                    .col(big_integer(Refunds::AmountFen))
                    .col(big_integer(Refunds::TotalFen))
                    .col(string_len(Refunds::Reason, 80))
                    .col(string_len(Refunds::Status, 16))
                    .col(string_len_null(Refunds::RefundId, 64))
                    .col(integer(Refunds::Attempts).default(0))
                    .col(string_len_null(Refunds::LastError, 256))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .col(timestamp_with_time_zone(Refunds::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Refunds::SucceededAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Refunds::Table, Refunds::PaymentId)
                            .to(Payments::Table, Payments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes = [
            (
                "idx_payments_merchant",
                Payments::Table.into_iden(),
                vec![
                    Payments::MerchantId.into_iden(),
                    Payments::PaidAt.into_iden(),
                ],
            ),
            (
                "idx_payments_order",
                Payments::Table.into_iden(),
                vec![Payments::OrderId.into_iden()],
            ),
            (
                "idx_payments_status",
                Payments::Table.into_iden(),
                vec![Payments::Status.into_iden()],
            ),
            (
                "idx_refunds_status",
                Refunds::Table.into_iden(),
                vec![Refunds::Status.into_iden(), Refunds::UpdatedAt.into_iden()],
            ),
            (
                "idx_refunds_merchant",
                Refunds::Table.into_iden(),
                vec![
                    Refunds::MerchantId.into_iden(),
                    Refunds::SucceededAt.into_iden(),
                ],
            ),
            (
                "idx_refunds_order",
                Refunds::Table.into_iden(),
                vec![Refunds::OrderId.into_iden()],
            ),
        ];
        for (name, table, cols) in indexes {
            let mut idx = Index::create();
            idx.name(name).table(table);
            for c in cols {
                idx.col(c);
            }
            manager.create_index(idx.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Refunds::Table.into_iden(),
            Payments::Table.into_iden(),
            OrderPrepays::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum OrderPrepays {
    Table,
    OrderId,
    PrepayId,
    ValidUntil,
    CheckedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    OrderId,
    MerchantId,
    Provider,
    OutTradeNo,
    TransactionId,
    AmountFen,
    Currency,
    PayerOpenid,
    Status,
    PaidAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    PaymentId,
    OrderId,
    MerchantId,
    OutRefundNo,
    OutTradeNo,
    AmountFen,
    TotalFen,
    Reason,
    Status,
    RefundId,
    Attempts,
    LastError,
    CreatedAt,
    UpdatedAt,
    SucceededAt,
}
