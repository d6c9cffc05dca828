//! The elders' canteen (长者食堂): canteens and the communities they serve,
//! meals with places and menus, meal bookings, each community's subsidy per
//! meal, and residents an admin verified as disabled.
//!
//! One booking per person per meal: `meal_bookings.live_key` is UNIQUE while
//! booked. One subsidised meal per person per meal time (whatever the
//! canteen): `meal_bookings.subsidy_key` is UNIQUE while a booked meal
//! carries the subsidy. Both are NULL otherwise (both backends allow many
//! NULLs).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(s: &str) -> Alias {
    Alias::new(s)
}

fn fk(table: &str, col: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(a(table), a(col))
        .to(a(to), a("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(a("canteens"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("community_id")))
                    .col(string(a("name")))
                    .col(string(a("place")))
                    .col(string_len(a("weekdays"), 16))
                    .col(text(a("meal_times")))
                    .col(integer(a("capacity_per_meal")))
                    .col(integer(a("cutoff_minutes")))
                    .col(boolean(a("delivery")))
                    .col(big_integer(a("created_by")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .foreign_key(&mut fk("canteens", "community_id", "communities"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("canteen_communities"))
                    .col(big_integer(a("canteen_id")))
                    .col(big_integer(a("community_id")))
                    .primary_key(Index::create().col(a("canteen_id")).col(a("community_id")))
                    .foreign_key(&mut fk("canteen_communities", "canteen_id", "canteens"))
                    .foreign_key(&mut fk(
                        "canteen_communities",
                        "community_id",
                        "communities",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("canteen_meals"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("canteen_id")))
                    .col(string_len(a("date"), 10))
                    .col(string_len(a("meal"), 16))
                    .col(timestamp_with_time_zone(a("serves_at")))
                    .col(integer(a("capacity")))
                    .col(integer(a("taken")))
                    .col(big_integer(a("published_by")))
                    .col(timestamp_with_time_zone(a("published_at")))
                    .foreign_key(&mut fk("canteen_meals", "canteen_id", "canteens"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("meal_dishes"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("meal_id")))
                    .col(string(a("name")))
                    .col(big_integer(a("price_fen")))
                    .col(integer(a("position")))
                    .foreign_key(&mut fk("meal_dishes", "meal_id", "canteen_meals"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("meal_bookings"))
                    .col(big_pk_auto(a("id")))
                    .col(big_integer(a("meal_id")))
                    .col(big_integer(a("canteen_id")))
                    .col(big_integer(a("user_id")))
                    .col(big_integer(a("booked_by")))
                    .col(string(a("participant_name")))
                    .col(string_len(a("status"), 16))
                    .col(string_null(a("live_key")).unique_key())
                    .col(string_null(a("subsidy_key")).unique_key())
                    .col(string_len(a("meal_date"), 10))
                    .col(string_len(a("meal"), 16))
                    .col(text(a("lines")))
                    .col(big_integer(a("dishes_total_fen")))
                    .col(big_integer(a("subsidy_fen")))
                    .col(big_integer(a("amount_fen")))
                    .col(string_len(a("pay_method"), 16))
                    .col(timestamp_with_time_zone_null(a("paid_at")))
                    .col(big_integer_null(a("paid_marked_by")))
                    .col(boolean(a("delivery")))
                    .col(timestamp_with_time_zone_null(a("delivered_at")))
                    .col(big_integer_null(a("delivered_by")))
                    .col(timestamp_with_time_zone(a("created_at")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .foreign_key(&mut fk("meal_bookings", "meal_id", "canteen_meals"))
                    .foreign_key(&mut fk("meal_bookings", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("canteen_subsidy_rates"))
                    .col(big_integer(a("community_id")).primary_key())
                    .col(big_integer(a("subsidy_fen")))
                    .col(big_integer(a("updated_by")))
                    .col(timestamp_with_time_zone(a("updated_at")))
                    .foreign_key(&mut fk(
                        "canteen_subsidy_rates",
                        "community_id",
                        "communities",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(a("verified_disabilities"))
                    .col(big_integer(a("user_id")).primary_key())
                    .col(big_integer(a("verified_by")))
                    .col(timestamp_with_time_zone(a("verified_at")))
                    .foreign_key(&mut fk("verified_disabilities", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        for (name, table, cols, unique) in [
            (
                "idx_canteens_community",
                "canteens",
                vec!["community_id"],
                false,
            ),
            (
                "idx_canteen_communities_community",
                "canteen_communities",
                vec!["community_id"],
                false,
            ),
            (
                "idx_canteen_meals_day",
                "canteen_meals",
                vec!["canteen_id", "date", "meal"],
                true,
            ),
            (
                "idx_meal_dishes_meal",
                "meal_dishes",
                vec!["meal_id"],
                false,
            ),
            (
                "idx_meal_bookings_meal",
                "meal_bookings",
                vec!["meal_id", "status"],
                false,
            ),
            (
                "idx_meal_bookings_month",
                "meal_bookings",
                vec!["canteen_id", "meal_date"],
                false,
            ),
            (
                "idx_meal_bookings_user",
                "meal_bookings",
                vec!["user_id"],
                false,
            ),
        ] {
            let mut index = Index::create().name(name).table(a(table)).to_owned();
            for col in cols {
                index.col(a(col));
            }
            if unique {
                index.unique();
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "verified_disabilities",
            "canteen_subsidy_rates",
            "meal_bookings",
            "meal_dishes",
            "canteen_meals",
            "canteen_communities",
            "canteens",
        ] {
            manager
                .drop_table(Table::drop().table(a(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
