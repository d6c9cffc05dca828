//! Family members a resident registers to sign up as their guardian: a
//! child (name, birth year) or an elder.

use chrono::{DateTime, Datelike, Utc};
use entity::family_member::{self, Kinship};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::fields::FieldErrors;

/// Most family members one resident may register.
const MAX_MEMBERS: usize = 20;

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct NewFamilyMember {
    /// 1-32 characters.
    #[schema(max_length = 32, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: String,
    /// 1900 to this year.
    #[schema(minimum = 1900)]
    pub birth_year: i32,
    /// `child` or `elder`.
    pub relation: Kinship,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FamilyMemberView {
    pub id: i64,
    pub name: String,
    pub birth_year: i32,
    pub relation: Kinship,
    pub created_at: DateTime<Utc>,
}

impl From<family_member::Model> for FamilyMemberView {
    fn from(m: family_member::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            birth_year: m.birth_year,
            relation: m.relation,
            created_at: m.created_at,
        }
    }
}

/// The caller's family members (not removed), oldest entry first.
pub async fn list(db: &impl ConnectionTrait, me: &AuthUser) -> ApiResult<Vec<FamilyMemberView>> {
    Ok(family_member::Entity::find()
        .filter(family_member::Column::GuardianId.eq(me.id()))
        .filter(family_member::Column::RemovedAt.is_null())
        .order_by_asc(family_member::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

pub async fn add(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    new: NewFamilyMember,
    now: DateTime<Utc>,
) -> ApiResult<FamilyMemberView> {
    me.require(Role::Resident)?;
    let mut errors = FieldErrors::default();
    let name = errors.text("name", &new.name, 1, 32);
    if !(1900..=now.year()).contains(&new.birth_year) {
        errors.push("birth_year", format!("须为 1900-{}", now.year()));
    }
    errors.finish()?;
    if list(db, me).await?.len() >= MAX_MEMBERS {
        return Err(ApiError::new(ErrorCode::Conflict).message("家庭成员最多 20 位"));
    }
    Ok(family_member::ActiveModel {
        guardian_id: Set(me.id()),
        name: Set(name),
        birth_year: Set(new.birth_year),
        relation: Set(new.relation),
        removed_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?
    .into())
}

/// One of the caller's family members, or 404 `FAMILY_MEMBER_NOT_FOUND`
/// (someone else's too).
pub async fn own(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
) -> ApiResult<family_member::Model> {
    family_member::Entity::find_by_id(id)
        .filter(family_member::Column::GuardianId.eq(me.id()))
        .filter(family_member::Column::RemovedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::FamilyMemberNotFound))
}

/// Removes a family member (their past sign-ups stay).
pub async fn remove(
    db: &impl ConnectionTrait,
    me: &AuthUser,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    own(db, me, id).await?;
    family_member::Entity::update_many()
        .col_expr(family_member::Column::RemovedAt, Expr::value(now))
        .filter(family_member::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
