use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// WeChat openid of a mini-program user; None for admin accounts.
    #[sea_orm(unique)]
    pub openid: Option<String>,
    pub unionid: Option<String>,
    /// Login name of an admin account; None for mini-program users.
    #[sea_orm(unique)]
    pub username: Option<String>,
    /// argon2 PHC string.
    pub password_hash: Option<String>,
    pub nickname: String,
    pub avatar_url: Option<String>,
    /// The upload `avatar_url` points at (None: a URL from elsewhere, or none).
    pub avatar_upload_id: Option<i64>,
    pub phone: Option<String>,
    /// Comma-separated role names (`resident,merchant`).
    pub roles: String,
    pub community_id: Option<i64>,
    pub building_id: Option<i64>,
    pub room: Option<String>,
    /// Set when a platform admin disabled this (admin) account: its tokens stop working.
    pub disabled_at: Option<DateTimeUtc>,
    /// The binding to `building_id` awaits a grid worker's or an admin's
    /// approval (communities with `binding_requires_approval`).
    pub binding_pending: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the resident erased the account (注销): every personal field is
    /// empty since, and the openid is free for a new account.
    pub erased_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::auth_session::Entity")]
    AuthSession,
}

impl Related<super::auth_session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AuthSession.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
