//! The goods category tree every merchant lists under.

use sea_orm_migration::prelude::*;

use crate::m20261122_000011_create_goods::GoodsCategories;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Top-level categories and their children, in display order.
pub const TREE: &[(&str, &[&str])] = &[
    ("果蔬生鲜", &["新鲜蔬菜", "时令水果", "肉禽蛋品"]),
    ("预包装食品", &["休闲零食", "酒水饮料", "乳品烘焙"]),
    ("海鲜水产", &["鲜活鱼类", "虾蟹贝类", "水产干货"]),
    ("花卉绿植", &["鲜切花", "盆栽绿植", "园艺用品"]),
    ("粮油调味", &["米面杂粮", "食用油", "调味品"]),
    ("日用百货", &["清洁用品", "个人护理", "家居日用"]),
    ("家政服务", &["日常保洁", "家电清洗", "收纳整理"]),
    ("医药健康", &["常用药品", "医疗器械", "营养保健"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (i, (parent, children)) in TREE.iter().enumerate() {
            let insert = Query::insert()
                .into_table(GoodsCategories::Table)
                .columns([GoodsCategories::Name, GoodsCategories::SortOrder])
                .values_panic([(*parent).into(), (i as i32 + 1).into()])
                .to_owned();
            manager.exec_stmt(insert).await?;
            for (j, child) in children.iter().enumerate() {
                // The parent's id by subquery, so ids come from the sequence on both backends.
                let parent_id = Query::select()
                    .column(GoodsCategories::Id)
                    .from(GoodsCategories::Table)
                    .and_where(Expr::col(GoodsCategories::ParentId).is_null())
                    .and_where(Expr::col(GoodsCategories::Name).eq(*parent))
                    .to_owned();
                let insert = Query::insert()
                    .into_table(GoodsCategories::Table)
                    .columns([
                        GoodsCategories::ParentId,
                        GoodsCategories::Name,
                        GoodsCategories::SortOrder,
                    ])
                    .values_panic([
                        SimpleExpr::SubQuery(None, Box::new(parent_id.into_sub_query_statement())),
                        (*child).into(),
                        (j as i32 + 1).into(),
                    ])
                    .to_owned();
                manager.exec_stmt(insert).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(GoodsCategories::Table)
                    .and_where(Expr::col(GoodsCategories::ParentId).is_not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(GoodsCategories::Table)
                    .to_owned(),
            )
            .await
    }
}
