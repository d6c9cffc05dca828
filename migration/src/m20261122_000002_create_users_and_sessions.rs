//! Accounts (residents by WeChat openid, admins by username), their roles and
//! scopes, and refresh-token sessions.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261122_000001_create_communities::{Communities, Grids};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string_null(Users::Openid).unique_key())
                    .col(string_null(Users::Unionid))
                    .col(string_null(Users::Username).unique_key())
                    .col(string_null(Users::PasswordHash))
                    .col(string(Users::Nickname).default(""))
                    .col(string_null(Users::AvatarUrl))
                    .col(string_null(Users::Phone))
                    .col(string(Users::Roles))
                    .col(big_integer_null(Users::CommunityId))
                    .col(big_integer_null(Users::BuildingId))
                    .col(string_null(Users::Room))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_building")
                    .table(Users::Table)
                    .col(Users::BuildingId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_community")
                    .table(Users::Table)
                    .col(Users::CommunityId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdminCommunities::Table)
                    .col(big_integer(AdminCommunities::UserId))
                    .col(big_integer(AdminCommunities::CommunityId))
                    .primary_key(
                        Index::create()
                            .col(AdminCommunities::UserId)
                            .col(AdminCommunities::CommunityId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AdminCommunities::Table, AdminCommunities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AdminCommunities::Table, AdminCommunities::CommunityId)
                            .to(Communities::Table, Communities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GridWorkers::Table)
                    .col(big_integer(GridWorkers::UserId))
                    .col(big_integer(GridWorkers::GridId))
                    .col(timestamp_with_time_zone(GridWorkers::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(GridWorkers::UserId)
                            .col(GridWorkers::GridId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GridWorkers::Table, GridWorkers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GridWorkers::Table, GridWorkers::GridId)
                            .to(Grids::Table, Grids::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuthSessions::Table)
                    .col(string_len(AuthSessions::Id, 36).primary_key())
                    .col(big_integer(AuthSessions::UserId))
                    .col(timestamp_with_time_zone(AuthSessions::CreatedAt))
                    .col(timestamp_with_time_zone_null(AuthSessions::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuthSessions::Table, AuthSessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_auth_sessions_user")
                    .table(AuthSessions::Table)
                    .col(AuthSessions::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(big_pk_auto(RefreshTokens::Id))
                    .col(string_len(RefreshTokens::SessionId, 36))
                    .col(string_len_uniq(RefreshTokens::TokenHash, 64))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshTokens::Table, RefreshTokens::SessionId)
                            .to(AuthSessions::Table, AuthSessions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RefreshTokens::Table.into_iden(),
            AuthSessions::Table.into_iden(),
            GridWorkers::Table.into_iden(),
            AdminCommunities::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Openid,
    Unionid,
    Username,
    PasswordHash,
    Nickname,
    AvatarUrl,
    Phone,
    Roles,
    CommunityId,
    BuildingId,
    Room,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AdminCommunities {
    Table,
    UserId,
    CommunityId,
}

#[derive(DeriveIden)]
enum GridWorkers {
    Table,
    UserId,
    GridId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuthSessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}
