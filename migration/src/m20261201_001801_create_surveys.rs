//! The happiness survey (幸福指数): questionnaires an admin opens for a
//! period to chosen communities, their questions, and the residents'
//! responses (one per resident and survey: a unique index) with one answer
//! row per question. Offline responses a grid worker enters are marked.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Surveys::Table)
                    .col(big_pk_auto(Surveys::Id))
                    .col(string_len(Surveys::Title, 64))
                    .col(text(Surveys::Description))
                    .col(timestamp_with_time_zone(Surveys::OpensAt))
                    .col(timestamp_with_time_zone(Surveys::ClosesAt))
                    .col(string_len(Surveys::Quarter, 8))
                    .col(big_integer(Surveys::CreatedBy))
                    .col(timestamp_with_time_zone_null(Surveys::ClosedEarlyAt))
                    .col(timestamp_with_time_zone(Surveys::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SurveyCommunities::Table)
                    .col(big_integer(SurveyCommunities::SurveyId))
                    .col(big_integer(SurveyCommunities::CommunityId))
                    .primary_key(
                        Index::create()
                            .col(SurveyCommunities::SurveyId)
                            .col(SurveyCommunities::CommunityId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SurveyCommunities::Table, SurveyCommunities::SurveyId)
                            .to(Surveys::Table, Surveys::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SurveyQuestions::Table)
                    .col(big_pk_auto(SurveyQuestions::Id))
                    .col(big_integer(SurveyQuestions::SurveyId))
                    .col(integer(SurveyQuestions::Position))
                    .col(string_len(SurveyQuestions::Kind, 16))
                    .col(string_len(SurveyQuestions::Prompt, 200))
                    .col(text(SurveyQuestions::Options))
                    .col(integer(SurveyQuestions::Weight))
                    .col(boolean(SurveyQuestions::Required))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SurveyQuestions::Table, SurveyQuestions::SurveyId)
                            .to(Surveys::Table, Surveys::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SurveyResponses::Table)
                    .col(big_pk_auto(SurveyResponses::Id))
                    .col(big_integer(SurveyResponses::SurveyId))
                    .col(big_integer(SurveyResponses::ResidentId))
                    .col(big_integer(SurveyResponses::CommunityId))
                    .col(boolean(SurveyResponses::Offline))
                    .col(big_integer_null(SurveyResponses::EnteredBy))
                    .col(timestamp_with_time_zone(SurveyResponses::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SurveyResponses::Table, SurveyResponses::SurveyId)
                            .to(Surveys::Table, Surveys::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_survey_responses_resident")
                    .table(SurveyResponses::Table)
                    .col(SurveyResponses::SurveyId)
                    .col(SurveyResponses::ResidentId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SurveyAnswers::Table)
                    .col(big_pk_auto(SurveyAnswers::Id))
                    .col(big_integer(SurveyAnswers::ResponseId))
                    .col(big_integer(SurveyAnswers::SurveyId))
                    .col(big_integer(SurveyAnswers::QuestionId))
                    .col(big_integer(SurveyAnswers::CommunityId))
                    .col(string_len(SurveyAnswers::Choices, 64))
                    .col(integer_null(SurveyAnswers::Scale))
                    .col(text_null(SurveyAnswers::Text))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SurveyAnswers::Table, SurveyAnswers::ResponseId)
                            .to(SurveyResponses::Table, SurveyResponses::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_survey_answers_question")
                    .table(SurveyAnswers::Table)
                    .col(SurveyAnswers::QuestionId)
                    .col(SurveyAnswers::CommunityId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SurveyAnswers::Table.into_iden(),
            SurveyResponses::Table.into_iden(),
            SurveyQuestions::Table.into_iden(),
            SurveyCommunities::Table.into_iden(),
            Surveys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Surveys {
    Table,
    Id,
    Title,
    Description,
    OpensAt,
    ClosesAt,
    Quarter,
    CreatedBy,
    ClosedEarlyAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SurveyCommunities {
    Table,
    SurveyId,
    CommunityId,
}

#[derive(DeriveIden)]
enum SurveyQuestions {
    Table,
    Id,
    SurveyId,
    Position,
    Kind,
    Prompt,
    Options,
    Weight,
    Required,
}

#[derive(DeriveIden)]
enum SurveyResponses {
    Table,
    Id,
    SurveyId,
    ResidentId,
    CommunityId,
    Offline,
    EnteredBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SurveyAnswers {
    Table,
    Id,
    ResponseId,
    SurveyId,
    QuestionId,
    CommunityId,
    Choices,
    Scale,
    Text,
}
