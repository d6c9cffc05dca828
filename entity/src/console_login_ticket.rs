use sea_orm::entity::prelude::*;

/// A scan-to-log-in ticket of the web console.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "console_login_tickets")]
pub struct Model {
    /// Random, shown in the code the user scans.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// SHA-256 (hex) of the secret only the creating browser holds; polling needs it.
    pub secret_hash: String,
    /// The user who confirmed it in the mini-program.
    pub user_id: Option<i64>,
    pub created_at: DateTimeUtc,
    /// Confirmation is refused from then on.
    pub expires_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    /// When the browser received the session; a ticket is handed over once.
    pub consumed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
