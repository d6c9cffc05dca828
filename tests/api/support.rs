//! `spawn_app()` and the small helpers every test uses.

use std::path::PathBuf;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};
use yizhan::admins::{AdminScope, create_admin_account};
use yizhan::settings::Settings;
use yizhan::startup::Application;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub wechat: Arc<MockServer>,
    pub settings: Settings,
    /// The instance's cache, for running background work (settlement) by hand.
    pub cache: yizhan::cache::Cache,
    /// The instance's state, for running background sweeps by hand.
    pub state: actix_web::web::Data<yizhan::state::AppState>,
}

/// A parsed response: status, headers and JSON body (Null when empty or not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// The stable error code of an error answer.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// Field names listed in `details.fields`.
    pub fn fields(&self) -> Vec<String> {
        self.body["error"]["details"]["fields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn config_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../config")
}

pub fn test_settings() -> Settings {
    let mut settings = Settings::load_for(&config_dir(), "test").expect("test config loads");
    settings.server.port = 0;
    settings.server.workers = 2;
    settings.database.max_connections = 8;
    settings
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// A fresh, empty database URL: a new PostgreSQL database under
/// TEST_DATABASE_URL's server, else a new SQLite file.
pub async fn fresh_database_url() -> String {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(base) if base.starts_with("postgres") => {
            let admin = Database::connect(base.clone())
                .await
                .expect("TEST_DATABASE_URL reachable");
            let name = unique("yz_t_");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let (server, _) = base
                .rsplit_once('/')
                .expect("TEST_DATABASE_URL names a database");
            format!("{server}/{name}")
        }
        _ => {
            let dir = std::env::temp_dir().join("yizhan-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!(
                "sqlite://{}?mode=rwc",
                dir.join(unique("t_")).with_extension("db").display()
            )
        }
    }
}

pub fn test_redis_url() -> Option<String> {
    std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app after `adjust` has had its say on the settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let wechat = Arc::new(MockServer::start().await);
    let mut settings = test_settings();
    settings.database.url = fresh_database_url().await.into();
    if let Some(redis) = test_redis_url() {
        settings.redis.url = Some(redis.into());
        settings.redis.key_prefix = unique("yztest:") + ":";
    }
    settings.wechat.api_base = wechat.uri();
    adjust(&mut settings);
    spawn_with_settings(settings, wechat).await
}

/// Two API instances sharing one database and one Redis, for the tests of
/// cross-instance cache invalidation. None (saying so) without Redis: with
/// the in-process cache each instance has its own cache by design.
pub async fn two_instances_sharing_redis() -> Option<(TestApp, TestApp)> {
    if test_redis_url().is_none() {
        eprintln!("skipped here: runs in the PostgreSQL + Redis pass (TEST_REDIS_URL)");
        return None;
    }
    let a = spawn_app().await;
    let b = spawn_sibling(&a).await;
    Some((a, b))
}

/// Two instances sharing Redis, and an approved merchant of one community.
pub struct SharedMarket {
    pub a: TestApp,
    pub b: TestApp,
    pub platform: String,
    pub community_id: i64,
    pub merchant_id: i64,
    pub owner: String,
}

pub async fn shared_market(merchant: &str) -> Option<SharedMarket> {
    let (a, b) = two_instances_sharing_redis().await?;
    let platform = a.platform_admin().await;
    let (community_id, _, _) = a.community_with_building(&platform, "共享社区").await;
    let (merchant_id, owner) = a
        .approved_merchant(&platform, &[community_id], merchant)
        .await;
    Some(SharedMarket {
        a,
        b,
        platform,
        community_id,
        merchant_id,
        owner,
    })
}

/// Starts another instance against the same database, cache and WeChat (a
/// second API instance behind a load balancer).
pub async fn spawn_sibling(app: &TestApp) -> TestApp {
    spawn_with_settings(app.settings.clone(), app.wechat.clone()).await
}

async fn spawn_with_settings(settings: Settings, wechat: Arc<MockServer>) -> TestApp {
    let app = Application::build(settings.clone())
        .await
        .expect("application builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let db = app.state().db.clone();
    let cache = app.state().cache.clone();
    let state = app.state();
    tokio::spawn(app.run());
    TestApp {
        base,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        db,
        wechat,
        settings,
        cache,
        state,
    }
}

impl TestApp {
    pub fn state_cache(&self) -> yizhan::cache::Cache {
        self.cache.clone()
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("/api/") || !path.starts_with('/') || is_ops(path) {
            format!("{}{}", self.base, path)
        } else {
            format!("{}/api/v1{}", self.base, path)
        }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.send(req).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    /// Dev-logs-in a resident; answers (access token, user id, full login body).
    pub async fn resident(&self, openid: &str) -> (String, i64, Value) {
        let r = self
            .post(
                "/auth/dev/login",
                None,
                json!({ "openid": openid, "nickname": format!("居民{openid}") }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let token = r.body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned();
        let id = r.body["user"]["id"].as_i64().expect("user id");
        (token, id, r.body)
    }

    /// Creates a platform admin directly and logs in through the API.
    pub async fn platform_admin(&self) -> String {
        let username = unique("p").chars().take(20).collect::<String>();
        create_admin_account(&self.db, &username, "platform-pass-1", AdminScope::Platform)
            .await
            .expect("platform admin");
        self.admin_login(&username, "platform-pass-1").await
    }

    pub async fn admin_login(&self, username: &str, password: &str) -> String {
        let r = self
            .post(
                "/auth/admin/login",
                None,
                json!({ "username": username, "password": password }),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["access_token"].as_str().expect("token").to_owned()
    }

    /// Creates a community admin of `community_ids` through the API and logs in.
    pub async fn community_admin(&self, platform: &str, community_ids: &[i64]) -> String {
        let username = unique("a").chars().take(20).collect::<String>();
        let r = self
            .post(
                "/admin/admins",
                Some(platform),
                json!({ "username": username, "password": "community-pass-1", "community_ids": community_ids }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        self.admin_login(&username, "community-pass-1").await
    }

    /// A community with one grid and one building; answers (community, grid, building) ids.
    pub async fn community_with_building(&self, platform: &str, name: &str) -> (i64, i64, i64) {
        let c = self
            .post(
                "/admin/communities",
                Some(platform),
                json!({ "name": name, "district": "城关区", "address": "人民路1号", "lat": 30.5, "lng": 114.3 }),
            )
            .await;
        assert_eq!(c.status, 201, "{}", c.text);
        let cid = c.body["id"].as_i64().expect("community id");
        let g = self
            .post(
                &format!("/admin/communities/{cid}/grids"),
                Some(platform),
                json!({ "name": "第一网格" }),
            )
            .await;
        assert_eq!(g.status, 201, "{}", g.text);
        let gid = g.body["id"].as_i64().expect("grid id");
        let b = self
            .post(
                &format!("/admin/grids/{gid}/buildings"),
                Some(platform),
                json!({ "name": "1号楼", "households": 120 }),
            )
            .await;
        assert_eq!(b.status, 201, "{}", b.text);
        (cid, gid, b.body["id"].as_i64().expect("building id"))
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::DELETE, path, token, None).await
    }

    /// A merchant application body for `community_ids`.
    pub fn application_body(name: &str, community_ids: &[i64]) -> Value {
        json!({
            "name": name, "category": "果蔬生鲜", "license_no": "91420100MA4K0001",
            "contact_name": "王师傅", "contact_phone": "13800138000",
            "address": "人民路8号", "lat": 30.51, "lng": 114.31,
            "community_ids": community_ids
        })
    }

    /// A resident (`openid`) who applied to serve `community_ids` and was
    /// approved by `platform`; answers (merchant id, owner token).
    pub async fn approved_merchant(
        &self,
        platform: &str,
        community_ids: &[i64],
        openid: &str,
    ) -> (i64, String) {
        let (token, _, _) = self.resident(openid).await;
        let applied = self
            .post(
                "/merchant-applications",
                Some(&token),
                Self::application_body(&format!("{openid}的店"), community_ids),
            )
            .await;
        assert_eq!(applied.status, 201, "{}", applied.text);
        let id = applied.body["id"].as_i64().expect("application id");
        let approved = self
            .post(
                &format!("/admin/merchant-applications/{id}/approve"),
                Some(platform),
                json!({}),
            )
            .await;
        assert_eq!(approved.status, 200, "{}", approved.text);
        let merchant_id = approved.body["merchant_id"].as_i64().expect("merchant id");
        (merchant_id, token)
    }

    /// The id of the child category `name` (a leaf goods may be filed under).
    pub async fn category_id(&self, name: &str) -> i64 {
        let tree = self.get("/goods-categories", None).await;
        assert_eq!(tree.status, 200, "{}", tree.text);
        for parent in tree.body.as_array().expect("tree") {
            if parent["name"] == name {
                return parent["id"].as_i64().expect("id");
            }
            for child in parent["children"].as_array().expect("children") {
                if child["name"] == name {
                    return child["id"].as_i64().expect("id");
                }
            }
        }
        panic!("no category {name}");
    }

    /// Lists goods for `merchant_id` with `body` merged over valid defaults.
    pub async fn create_goods(&self, token: &str, merchant_id: i64, body: Value) -> Value {
        let mut full = json!({
            "category_id": self.category_id("时令水果").await,
            "name": "赣南脐橙", "description": "新鲜采摘", "price": "12.50",
            "unit": "斤", "stock": 100, "images": ["https://img.example/o.png"]
        });
        if let (Some(full), Some(extra)) = (full.as_object_mut(), body.as_object()) {
            for (k, v) in extra {
                full.insert(k.clone(), v.clone());
            }
        }
        let r = self
            .post(
                &format!("/merchants/{merchant_id}/goods"),
                Some(token),
                full,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body
    }

    /// Makes WeChat answer `jscode2session` for `code` with `openid`.
    pub async fn wechat_knows_code(&self, code: &str, openid: &str) {
        Mock::given(method("GET"))
            .and(path("/sns/jscode2session"))
            .and(query_param("js_code", code))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "openid": openid, "session_key": "secret-session-key"
            })))
            .mount(&self.wechat)
            .await;
    }

    /// Makes WeChat hand out access tokens.
    pub async fn wechat_issues_token(&self, token: &str) {
        Mock::given(method("GET"))
            .and(path("/cgi-bin/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "access_token": token, "expires_in": 7200
            })))
            .mount(&self.wechat)
            .await;
    }
}

fn is_ops(path: &str) -> bool {
    ["/healthz", "/readyz", "/metrics", "/openapi.yaml"].contains(&path)
}

/// Helper-booking fixtures (issue 6).
impl TestApp {
    /// Binds a logged-in resident to a building.
    pub async fn bind_building(&self, token: &str, building_id: i64) {
        let r = self
            .patch("/me", Some(token), json!({ "building_id": building_id }))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    /// A resident who applied and was approved as a helper of `community_ids`
    /// with `skills`; answers (token, user id, helper id).
    pub async fn approved_helper(
        &self,
        platform: &str,
        openid: &str,
        community_ids: &[i64],
        skills: &[&str],
    ) -> (String, i64, i64) {
        let (token, user_id, _) = self.resident(openid).await;
        let r = self
            .post(
                "/helper-applications",
                Some(&token),
                json!({ "display_name": format!("师傅{openid}"), "skills": skills,
                        "community_ids": community_ids, "phone": "13900139000" }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.body["id"].as_i64().expect("application id");
        let r = self
            .post(
                &format!("/admin/helper-applications/{id}/approve"),
                Some(platform),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        (
            token,
            user_id,
            r.body["helper_id"].as_i64().expect("helper id"),
        )
    }

    /// A service of the helper; answers its id.
    pub async fn offer_service(&self, helper: &str, body: Value) -> i64 {
        let r = self.post("/helpers/me/services", Some(helper), body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_i64().expect("service id")
    }

    /// A slot starting `hours_ahead` hours from now (whole minutes), `minutes` long.
    pub async fn publish_slot(&self, helper: &str, hours_ahead: i64, minutes: i64) -> i64 {
        let (starts, ends) = slot_times(hours_ahead, minutes);
        let r = self
            .post(
                "/helpers/me/slots",
                Some(helper),
                json!({ "starts_at": starts, "ends_at": ends }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_i64().expect("slot id")
    }
}

/// RFC 3339 start and end of a slot `hours_ahead` hours from now, `minutes` long.
pub fn slot_times(hours_ahead: i64, minutes: i64) -> (String, String) {
    use chrono::{DurationRound, TimeDelta, Utc};
    let base = Utc::now()
        .duration_trunc(TimeDelta::minutes(1))
        .expect("truncates");
    let starts = base + TimeDelta::hours(hours_ahead);
    let ends = starts + TimeDelta::minutes(minutes);
    (starts.to_rfc3339(), ends.to_rfc3339())
}
