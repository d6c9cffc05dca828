//! Partial refunds (after-sales): a payment may now have several refunds,
//! each with its own `out_refund_no`, whose sum never exceeds what was
//! paid. `refunds.payment_id` loses its UNIQUE (indexed instead) and gains
//! `after_sale_id` (the after-sales request it pays, NULL for a full
//! refund); `payments.refunded_fen` and `orders.refunded_fen` hold the
//! running totals the conditional updates check (`refunded_fen + x <=
//! amount_fen`). Existing refunds were full refunds: their payments start
//! fully refunded.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite cannot drop a column's UNIQUE in place: the table is rebuilt
/// (create, copy, drop, rename, indexes) with `unique_payment` deciding the
/// column, in one script so that every statement runs on one connection.
async fn rebuild_sqlite(db: &impl ConnectionTrait, unique_payment: bool) -> Result<(), DbErr> {
    let payment = if unique_payment {
        "\"payment_id\" integer NOT NULL UNIQUE"
    } else {
        "\"payment_id\" integer NOT NULL"
    };
    let after_sale = if unique_payment {
        ""
    } else {
        ", \"after_sale_id\" integer NULL"
    };
    let payment_index = if unique_payment {
        ""
    } else {
        "CREATE INDEX idx_refunds_payment ON refunds (payment_id);"
    };
    let cols = "id, payment_id, order_id, merchant_id, out_refund_no, out_trade_no, amount_fen, \
                total_fen, reason, status, refund_id, attempts, last_error, created_at, updated_at, \
                succeeded_at";
    db.execute_unprepared(&format!(
        "CREATE TABLE refunds_rebuilt ( \
         \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, {payment}, \
         \"order_id\" integer NOT NULL, \"merchant_id\" integer NOT NULL, \
         \"out_refund_no\" varchar(64) NOT NULL UNIQUE, \"out_trade_no\" varchar(32) NOT NULL, \
         \"amount_fen\" integer NOT NULL, \"total_fen\" integer NOT NULL, \
         \"reason\" varchar(80) NOT NULL, \"status\" varchar(16) NOT NULL, \
         \"refund_id\" varchar(64) NULL, \"attempts\" integer NOT NULL DEFAULT 0, \
         \"last_error\" varchar(256) NULL, \"created_at\" timestamp_with_timezone_text NOT NULL, \
         \"updated_at\" timestamp_with_timezone_text NOT NULL, \
         \"succeeded_at\" timestamp_with_timezone_text NULL{after_sale}, \
         FOREIGN KEY (\"payment_id\") REFERENCES \"payments\" (\"id\") ); \
         INSERT INTO refunds_rebuilt ({cols}) SELECT {cols} FROM refunds; \
         DROP TABLE refunds; \
         ALTER TABLE refunds_rebuilt RENAME TO refunds; \
         CREATE INDEX idx_refunds_status ON refunds (status, updated_at); \
         CREATE INDEX idx_refunds_merchant ON refunds (merchant_id, succeeded_at); \
         CREATE INDEX idx_refunds_order ON refunds (order_id); \
         {payment_index}"
    ))
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "ALTER TABLE refunds DROP CONSTRAINT IF EXISTS refunds_payment_id_key",
                )
                .await?;
                db.execute_unprepared("ALTER TABLE refunds ADD COLUMN after_sale_id bigint NULL")
                    .await?;
                db.execute_unprepared("CREATE INDEX idx_refunds_payment ON refunds (payment_id)")
                    .await?;
            }
            DbBackend::Sqlite => rebuild_sqlite(db, false).await?,
            other => return Err(DbErr::Custom(format!("unsupported backend {other:?}"))),
        }
        for table in [Payments::Table.into_iden(), Orders::Table.into_iden()] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(big_integer(Totals::RefundedFen).default(0))
                        .to_owned(),
                )
                .await?;
        }
        db.execute_unprepared(
            "UPDATE payments SET refunded_fen = amount_fen \
             WHERE id IN (SELECT payment_id FROM refunds)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let several = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT payment_id FROM refunds GROUP BY payment_id HAVING COUNT(*) > 1",
            ))
            .await?;
        if several.is_some() {
            return Err(DbErr::Custom(
                "a payment has several (partial) refunds: one refund per payment cannot hold them"
                    .into(),
            ));
        }
        for table in [Payments::Table.into_iden(), Orders::Table.into_iden()] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(Totals::RefundedFen)
                        .to_owned(),
                )
                .await?;
        }
        match db.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("DROP INDEX IF EXISTS idx_refunds_payment")
                    .await?;
                db.execute_unprepared("ALTER TABLE refunds DROP COLUMN after_sale_id")
                    .await?;
                db.execute_unprepared(
                    "ALTER TABLE refunds ADD CONSTRAINT refunds_payment_id_key UNIQUE (payment_id)",
                )
                .await?;
            }
            DbBackend::Sqlite => rebuild_sqlite(db, true).await?,
            other => return Err(DbErr::Custom(format!("unsupported backend {other:?}"))),
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Payments {
    Table,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
}

#[derive(DeriveIden)]
enum Totals {
    RefundedFen,
}
