//! Issue 14's remaining pictures and text checks:
//! - licence photos on merchant applications and certificate photos on
//!   helper applications (private uploads), images on notices and photos on
//!   booking reviews (public uploads): JSON arrays of upload ids or https
//!   URLs, like `goods.images`;
//! - a booking review's text check (`review_moderation`: `pass`, `review`
//!   or `pending`, as `goods.moderation`);
//! - a merchant's description, the check of its name, description and
//!   announcement (`moderation`), and the last approved version of those
//!   texts (`approved_text`, JSON; None while the current text is approved),
//!   which the public sees meanwhile.
//!
//! Existing rows were published before checks existed: `pass`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns: [(DynIden, ColumnDef); 8] = [
            (
                MerchantApplications::Table.into_iden(),
                text(MerchantApplications::LicensePhotos)
                    .default("[]")
                    .to_owned(),
            ),
            (
                HelperApplications::Table.into_iden(),
                text(HelperApplications::CertificatePhotos)
                    .default("[]")
                    .to_owned(),
            ),
            (
                Notices::Table.into_iden(),
                text(Notices::Images).default("[]").to_owned(),
            ),
            (
                Bookings::Table.into_iden(),
                text(Bookings::ReviewPhotos).default("[]").to_owned(),
            ),
            (
                Bookings::Table.into_iden(),
                string_len(Bookings::ReviewModeration, 16)
                    .default("pass")
                    .to_owned(),
            ),
            (
                Merchants::Table.into_iden(),
                text(Merchants::Description).default("").to_owned(),
            ),
            (
                Merchants::Table.into_iden(),
                string_len(Merchants::Moderation, 16)
                    .default("pass")
                    .to_owned(),
            ),
            (
                Merchants::Table.into_iden(),
                text_null(Merchants::ApprovedText).to_owned(),
            ),
        ];
        // One column per statement: SQLite adds a single column at a time.
        for (table, mut column) in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns: [(DynIden, DynIden); 8] = [
            (
                Merchants::Table.into_iden(),
                Merchants::ApprovedText.into_iden(),
            ),
            (
                Merchants::Table.into_iden(),
                Merchants::Moderation.into_iden(),
            ),
            (
                Merchants::Table.into_iden(),
                Merchants::Description.into_iden(),
            ),
            (
                Bookings::Table.into_iden(),
                Bookings::ReviewModeration.into_iden(),
            ),
            (
                Bookings::Table.into_iden(),
                Bookings::ReviewPhotos.into_iden(),
            ),
            (Notices::Table.into_iden(), Notices::Images.into_iden()),
            (
                HelperApplications::Table.into_iden(),
                HelperApplications::CertificatePhotos.into_iden(),
            ),
            (
                MerchantApplications::Table.into_iden(),
                MerchantApplications::LicensePhotos.into_iden(),
            ),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum MerchantApplications {
    Table,
    LicensePhotos,
}

#[derive(DeriveIden)]
enum HelperApplications {
    Table,
    CertificatePhotos,
}

#[derive(DeriveIden)]
enum Notices {
    Table,
    Images,
}

#[derive(DeriveIden)]
enum Bookings {
    Table,
    ReviewPhotos,
    ReviewModeration,
}

#[derive(DeriveIden)]
enum Merchants {
    Table,
    Description,
    Moderation,
    ApprovedText,
}
