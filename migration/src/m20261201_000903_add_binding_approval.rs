//! Audited building bindings: a community may require a grid worker or an
//! admin to approve a resident's new binding; until then the binding is
//! pending (`users.binding_pending`) and notices do not count the resident.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Communities::Table)
                    .add_column(boolean(Communities::BindingRequiresApproval).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::BindingPending).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::BindingPending)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Communities::Table)
                    .drop_column(Communities::BindingRequiresApproval)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Communities {
    Table,
    BindingRequiresApproval,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    BindingPending,
}
