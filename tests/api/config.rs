use std::process::Command;

use yizhan::settings::{DEV_JWT_SECRET, Environment, MediaBackend, Settings};

use crate::support::config_dir;

pub fn yizhan() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yizhan"));
    cmd.env("YIZHAN_CONFIG_DIR", config_dir())
        .env_remove("YIZHAN_ENV")
        .env_remove("YIZHAN__AUTH__JWT_SECRET")
        .env_remove("YIZHAN__AUTH__DEV_LOGIN")
        .env_remove("YIZHAN__DATABASE__URL")
        .env_remove("YIZHAN__REDIS__URL");
    cmd
}

#[test]
fn production_refuses_the_development_secret() {
    let out = yizhan()
        .env("YIZHAN_ENV", "production")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("jwt_secret"), "{stderr}");
}

#[test]
fn production_refuses_dev_login() {
    let out = yizhan()
        .env("YIZHAN_ENV", "production")
        .env(
            "YIZHAN__AUTH__JWT_SECRET",
            "a-long-production-secret-0123456789abcdef",
        )
        .env("YIZHAN__AUTH__DEV_LOGIN", "true")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("dev_login"), "{stderr}");
}

#[test]
fn production_settings_pass_with_a_real_secret() {
    let mut settings = Settings::load_for(&config_dir(), "test").unwrap();
    settings.env = Environment::Production;
    settings.auth.dev_login = false;
    settings.auth.jwt_secret = DEV_JWT_SECRET.to_owned().into();
    assert!(settings.check().is_err());
    settings.auth.jwt_secret = "a-long-production-secret-0123456789abcdef"
        .to_owned()
        .into();
    // The shipped WeChat app secret is refused too.
    let refused = settings.check().unwrap_err().to_string();
    assert!(refused.contains("wechat.app_secret"), "{refused}");
    settings.wechat.app_secret = "0f3c9a7e5b1d2468ace13579bdf02468".to_owned().into();
    // The media URL signing key too.
    let refused = settings.check().unwrap_err().to_string();
    assert!(refused.contains("media.signing_key"), "{refused}");
    settings.media.signing_key = "another-long-production-key-0123456789abcdef"
        .to_owned()
        .into();
    assert!(settings.check().is_ok());
}

#[test]
fn media_settings_are_checked_everywhere() {
    let mut settings = Settings::load_for(&config_dir(), "test").unwrap();
    assert_eq!(settings.media.backend, MediaBackend::Fs);
    assert_eq!(settings.media.fs_root, "data/media");
    assert_eq!(
        settings.backup.media_dir,
        std::path::PathBuf::from("data/media"),
        "backups archive the fs media root by default"
    );
    assert!(!settings.content.check_enabled, "off in test config");
    settings.media.backend = MediaBackend::S3;
    assert!(
        settings
            .check()
            .unwrap_err()
            .to_string()
            .contains("media.bucket")
    );
    settings.media.bucket = "pictures".into();
    assert!(settings.check().is_ok());
}

#[test]
fn environment_variables_override_files_and_migrate_reports_status() {
    let dir = std::env::temp_dir()
        .join("yizhan-tests")
        .join(uuid::Uuid::new_v4().simple().to_string());
    let db = dir.join("sub").join("env.db");
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let up = yizhan()
        .env("YIZHAN__DATABASE__URL", &url)
        .args(["migrate", "up"])
        .output()
        .unwrap();
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    assert!(
        db.exists(),
        "the database file named by the environment was created"
    );
    let status = yizhan()
        .env("YIZHAN__DATABASE__URL", &url)
        .args(["migrate", "status"])
        .output()
        .unwrap();
    assert!(status.status.success());
    let down = yizhan()
        .env("YIZHAN__DATABASE__URL", &url)
        .args(["migrate", "down"])
        .output()
        .unwrap();
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
}

#[test]
fn create_admin_from_the_command_line() {
    let dir = std::env::temp_dir()
        .join("yizhan-tests")
        .join(uuid::Uuid::new_v4().simple().to_string());
    let url = format!("sqlite://{}?mode=rwc", dir.join("cli.db").display());
    let ok = yizhan()
        .env("YIZHAN__DATABASE__URL", &url)
        .env("ROOT_PW", "root-password-1")
        .args([
            "create-admin",
            "--username",
            "root",
            "--password-env",
            "ROOT_PW",
            "--platform",
        ])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("root"));
    let dup = yizhan()
        .env("YIZHAN__DATABASE__URL", &url)
        .env("ROOT_PW", "root-password-1")
        .args([
            "create-admin",
            "--username",
            "root",
            "--password-env",
            "ROOT_PW",
            "--platform",
        ])
        .output()
        .unwrap();
    assert!(!dup.status.success());
    let missing = yizhan()
        .env("YIZHAN__DATABASE__URL", &url)
        .args([
            "create-admin",
            "--username",
            "x2",
            "--password-env",
            "UNSET_VAR_XYZ",
            "--platform",
        ])
        .output()
        .unwrap();
    assert!(!missing.status.success());
}

#[test]
fn settings_out_of_their_lists_are_refused_at_start_up_naming_the_key() {
    for (var, value, named) in [
        ("YIZHAN__PAYMENTS__PROVIDER", "bitcoin", "provider"),
        ("YIZHAN__LOG__FORMAT", "xml", "format"),
        ("YIZHAN_ENV", "staging", "env"),
        ("YIZHAN__MEDIA__BACKEND", "ftp", "backend"),
    ] {
        let out = yizhan()
            .env(var, value)
            .args(["migrate", "status"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{var}={value} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(value) && stderr.contains(named),
            "{var}={value}: {stderr}"
        );
    }
    let out = yizhan()
        .env("YIZHAN__MEDIA__LIMITS__GIF_IMAGE", "1")
        .args(["migrate", "status"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a size limit of no purpose was accepted"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("gif_image") && stderr.contains("media.limits"),
        "{stderr}"
    );
}
