//! `?page=&page_size=` in, `{items, page, page_size, total}` out.
//!
//! A handler takes a [`Page`] (it reads and checks `page` and `page_size`
//! from the query string; document them with `params(PageParams)`), and a
//! service answers one page of a query with [`Page::fetch`]:
//!
//! ```ignore
//! pub async fn list_mine(db: &impl ConnectionTrait, user_id: i64, page: Page) -> ApiResult<Paged<OrderView>> {
//!     let select = order::Entity::find()
//!         .filter(order::Column::UserId.eq(user_id))
//!         .order_by_desc(order::Column::Id);
//!     Ok(page.fetch(db, select).await?.map(OrderView::from))
//! }
//! ```
//!
//! Rows that need a query of their own to become views go through
//! [`Paged::map_batch`]: `page.fetch(db, select).await?.map_batch(|rows| views(db, rows)).await`.

use std::future::Future;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{Ready, ready};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QuerySelect, Select};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorCode, FieldError};

pub const MAX_PAGE_SIZE: u64 = 100;
pub const DEFAULT_PAGE_SIZE: u64 = 20;

#[derive(Clone, Copy, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// Items per page, 1-100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u64>,
}

/// A validated page request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub page: u64,
    pub page_size: u64,
}

impl Page {
    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.page_size
    }

    /// This page of `select` (ordered by the caller) and the number of rows
    /// it matches.
    pub async fn fetch<E, C>(self, db: &C, select: Select<E>) -> Result<Paged<E::Model>, DbErr>
    where
        E: EntityTrait,
        E::Model: Sync,
        C: ConnectionTrait,
    {
        let total = select.clone().count(db).await?;
        let items = select
            .offset(self.offset())
            .limit(self.page_size)
            .all(db)
            .await?;
        Ok(Paged::new(items, self, total))
    }
}

/// A handler's page: `?page=&page_size=` read and checked (400 `INVALID_QUERY`).
impl FromRequest for Page {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            web::Query::<PageParams>::from_query(req.query_string())
                .map_err(|err| {
                    ApiError::new(ErrorCode::InvalidQuery)
                        .details(serde_json::json!({ "reason": err.to_string() }))
                })
                .and_then(|params| Page::try_from(params.into_inner())),
        )
    }
}

impl TryFrom<PageParams> for Page {
    type Error = ApiError;

    fn try_from(p: PageParams) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let page = p.page.unwrap_or(1);
        let page_size = p.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if page == 0 || page > 1_000_000 {
            errors.push(FieldError::new("page", "页码须在 1-1000000 之间"));
        }
        if page_size == 0 || page_size > MAX_PAGE_SIZE {
            errors.push(FieldError::new("page_size", "每页条数须在 1-100 之间"));
        }
        if errors.is_empty() {
            Ok(Page { page, page_size })
        } else {
            Err(ApiError::invalid_query(errors))
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub page_size: u64,
    pub total: u64,
}

impl<T> Paged<T> {
    pub fn new(items: Vec<T>, page: Page, total: u64) -> Self {
        Self {
            items,
            page: page.page,
            page_size: page.page_size,
            total,
        }
    }

    /// The same page with each item turned into something else (a row into its view).
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            page_size: self.page_size,
            total: self.total,
        }
    }

    /// The same page with its items turned into others all at once, by work
    /// that may fail (views that load what the rows refer to in one query).
    pub async fn map_batch<U, E, Fut>(self, f: impl FnOnce(Vec<T>) -> Fut) -> Result<Paged<U>, E>
    where
        Fut: Future<Output = Result<Vec<U>, E>>,
    {
        Ok(Paged {
            items: f(self.items).await?,
            page: self.page,
            page_size: self.page_size,
            total: self.total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_limits() {
        let p = Page::try_from(PageParams {
            page: None,
            page_size: None,
        })
        .unwrap();
        assert_eq!(
            p,
            Page {
                page: 1,
                page_size: 20
            }
        );
        assert_eq!(
            Page {
                page: 3,
                page_size: 20
            }
            .offset(),
            40
        );
        assert!(
            Page::try_from(PageParams {
                page: Some(0),
                page_size: None
            })
            .is_err()
        );
        assert!(
            Page::try_from(PageParams {
                page: None,
                page_size: Some(101)
            })
            .is_err()
        );
        assert!(
            Page::try_from(PageParams {
                page: None,
                page_size: Some(100)
            })
            .is_ok()
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn from_query(q: &str) -> Result<Page, ApiError> {
            web::Query::<PageParams>::from_query(q)
                .map_err(|_| ApiError::new(ErrorCode::InvalidQuery))
                .and_then(|p| Page::try_from(p.into_inner()))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// `page` and `page_size` are accepted exactly in 1-1000000 and
            /// 1-100; anything else is 400 `INVALID_QUERY` naming each bad one.
            #[test]
            fn bounds_are_exact(page in any::<u64>(), size in any::<u64>()) {
                let q = format!("page={page}&page_size={size}");
                let ok_page = (1..=1_000_000).contains(&page);
                let ok_size = (1..=MAX_PAGE_SIZE).contains(&size);
                match from_query(&q) {
                    Ok(p) => {
                        prop_assert!(ok_page && ok_size);
                        prop_assert_eq!(p, Page { page, page_size: size });
                    }
                    Err(e) => {
                        prop_assert!(!(ok_page && ok_size));
                        prop_assert_eq!(e.code, ErrorCode::InvalidQuery);
                        let named = serde_json::to_string(&e.details).unwrap();
                        prop_assert_eq!(named.contains("\"page\""), !ok_page, "{}", named);
                        prop_assert_eq!(named.contains("\"page_size\""), !ok_size, "{}", named);
                    }
                }
            }

            /// The offset of every valid page is exact: pages tile the rows
            /// without gap or overlap, and never overflow.
            #[test]
            fn offsets_tile_the_rows(page in 1u64..=1_000_000, size in 1u64..=MAX_PAGE_SIZE) {
                let p = Page { page, page_size: size };
                prop_assert_eq!(p.offset(), (page - 1) * size);
                let next = Page { page: page + 1, page_size: size };
                prop_assert_eq!(next.offset() - p.offset(), size);
            }

            /// Any query string at all answers a page or a 400, never a panic.
            #[test]
            fn arbitrary_queries_never_panic(q in any::<String>()) {
                if let Err(e) = from_query(&q) {
                    prop_assert_eq!(e.code.status().as_u16(), 400);
                }
            }
        }
    }
}
