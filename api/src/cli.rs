//! The `yizhan` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};

use crate::admins::{AdminScope, create_admin_account};
use crate::settings::Settings;
use crate::startup::Application;
use crate::{backup, db, telemetry};

#[derive(Parser)]
#[command(
    name = "yizhan",
    version,
    about = "驿站: community convenience-service backend"
)]
pub struct Cli {
    /// Directory holding default.toml and {YIZHAN_ENV}.toml.
    #[arg(
        long,
        env = "YIZHAN_CONFIG_DIR",
        default_value = "config",
        global = true
    )]
    pub config_dir: PathBuf,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve (the default).
    Serve,
    /// Schema migrations.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Build the demo data set (scale 1 = the county, 100 = a province); idempotent.
    Seed {
        #[arg(long, default_value_t = 1)]
        scale: u32,
    },
    /// Back up the SQLite database (and the media tree) now; on PostgreSQL,
    /// says which PostgreSQL tools do this.
    Backup {
        /// Directory to write to (default: backup.dir).
        #[arg(long)]
        to: Option<PathBuf>,
    },
    /// Replace the SQLite database with a backup (no server may be running on it).
    Restore {
        /// A `yizhan-….db.gz` backup (or a plain SQLite file).
        file: PathBuf,
    },
    /// Create an admin account.
    CreateAdmin {
        #[arg(long)]
        username: String,
        /// Name of the environment variable holding the password.
        #[arg(long)]
        password_env: String,
        /// A platform admin (creates communities and admins).
        #[arg(long, conflicts_with = "community")]
        platform: bool,
        /// A community admin of these communities (repeatable).
        #[arg(long)]
        community: Vec<i64>,
    },
}

#[derive(Subcommand, Clone, Copy)]
pub enum MigrateAction {
    /// Apply every pending migration (the default).
    Up,
    /// Roll back the last applied migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(&cli.config_dir)?;
    telemetry::init(&settings.log);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings.clone()).await?;
            tracing::info!(
                host = %settings.server.host,
                port = app.port(),
                env = %settings.env,
                cache = app.state().cache.backend_name(),
                "yizhan listening"
            );
            app.run().await?;
        }
        Command::Migrate { action } => {
            let conn = db::connect(&settings.database).await?;
            let action = action.unwrap_or(MigrateAction::Up);
            let change = match action {
                MigrateAction::Up => Some(backup::SchemaChange::Up),
                MigrateAction::Down => Some(backup::SchemaChange::Down),
                MigrateAction::Status => None,
            };
            if let Some(change) = change
                && let Some(snapshot) = backup::before_migrations(&conn, &settings, change).await?
            {
                println!("backup before migrating: {snapshot}");
            }
            match action {
                MigrateAction::Up => Migrator::up(&conn, None).await?,
                MigrateAction::Down => Migrator::down(&conn, Some(1)).await?,
                MigrateAction::Status => Migrator::status(&conn).await?,
            }
            println!("migrate: done");
        }
        Command::Backup { to } => {
            let (snapshot, copied) = backup::backup_now(&settings, to.as_deref()).await?;
            println!("backup: {snapshot}");
            match copied {
                Some(Ok(destination)) => println!("backup: copied to {destination}"),
                Some(Err(err)) => anyhow::bail!("{err} (the local backup is kept)"),
                None => {}
            }
        }
        Command::Restore { file } => {
            let started = std::time::Instant::now();
            let restored = backup::restore(&settings, &file).await?;
            println!(
                "restore: {restored} in {:.2}s",
                started.elapsed().as_secs_f64()
            );
        }
        Command::Seed { scale } => {
            let conn = db::connect(&settings.database).await?;
            db::migrate(&conn).await?;
            let started = std::time::Instant::now();
            eprintln!("seeding scale {scale} ...");
            let calendar = crate::calendar::Calendar::load(&settings.holidays_dir())?;
            let report = crate::seed::run(&conn, scale, &calendar)
                .await
                .map_err(|e| anyhow::anyhow!("seeding failed: {e}"))?;
            print!("{report}");
            println!(
                "seeded scale {scale} in {:.1}s",
                started.elapsed().as_secs_f64()
            );
        }
        Command::CreateAdmin {
            username,
            password_env,
            platform,
            community,
        } => {
            let password = std::env::var(&password_env)
                .map_err(|_| anyhow::anyhow!("environment variable {password_env} is not set"))?;
            if !platform && community.is_empty() {
                anyhow::bail!("say --platform or at least one --community ID");
            }
            let conn = db::connect(&settings.database).await?;
            db::migrate(&conn).await?;
            let scope = if platform {
                AdminScope::Platform
            } else {
                AdminScope::Communities(community)
            };
            let admin = create_admin_account(&conn, &username, &password, scope)
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "{} {}",
                        e,
                        e.details
                            .as_ref()
                            .map(|d| d.to_string())
                            .unwrap_or_default()
                    )
                })?;
            println!(
                "created admin {} (id {}) roles {:?} communities {:?}",
                admin.username, admin.id, admin.roles, admin.community_ids
            );
        }
    }
    Ok(())
}
