//! A real browser for the console's tests: Debian's headless Chromium driven
//! over WebDriver (chromedriver on a free port, one per test, with a fresh
//! profile). Without the browser the tests skip loudly, except under
//! `CI=true`, where a missing browser fails them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long a page gets to show what a step waits for (the machine is shared).
const PATIENCE: Duration = Duration::from_secs(20);

/// chromedriver, killed with its browser when the test ends, pass or fail.
struct Driver {
    child: Child,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver leads its own process group, Chromium included: end that group only.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

pub struct Browser {
    pub client: Client,
    base: String,
    _driver: Driver,
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `GET /session/{id}/se/log`-style command: the browser's console log.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

/// A browser on the app at `base`, or None (said loudly) when Chromium or
/// chromedriver is not installed and this is not CI.
pub async fn open(base: &str) -> Option<Browser> {
    let driver = find_program(&["chromedriver"]);
    let chromium = find_program(&["chromium", "chromium-browser", "google-chrome"]);
    let (Some(driver), Some(chromium)) = (driver, chromium) else {
        let msg = "chromium and chromium-driver are not installed (apt-get install -y chromium chromium-driver)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}: CI=true never skips the browser tests");
        }
        eprintln!("\n!!!!!!!!!! SKIPPED browser test: {msg} !!!!!!!!!!\n");
        return None;
    };
    let port = free_port();
    let profile =
        std::env::temp_dir().join(format!("yizhan-chromium-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&profile).expect("profile dir");
    let child = {
        use std::os::unix::process::CommandExt;
        Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts")
    };
    let guard = Driver {
        child,
        profile: profile.clone(),
    };
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < PATIENCE, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--lang=zh-CN", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&url)
        .await
        .expect("a browser session");
    Some(Browser {
        client,
        base: base.to_owned(),
        _driver: guard,
    })
}

impl Browser {
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigates");
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        format!(
            "{}{}",
            url.path(),
            url.query().map(|q| format!("?{q}")).unwrap_or_default()
        )
    }

    /// The first element `css` matches, once it is there and shown.
    pub async fn find(&self, css: &str) -> Element {
        self.find_by(Locator::Css(css), css).await
    }

    /// The element matching `xpath` (to find by text), once shown.
    pub async fn find_x(&self, xpath: &str) -> Element {
        self.find_by(Locator::XPath(xpath), xpath).await
    }

    async fn find_by(&self, locator: Locator<'_>, what: &str) -> Element {
        let started = Instant::now();
        loop {
            if let Ok(all) = self.client.find_all(locator).await {
                for el in all {
                    if el.is_displayed().await.unwrap_or(false) {
                        return el;
                    }
                }
            }
            if started.elapsed() > PATIENCE {
                let _ = self.shot("failure").await;
                panic!("{what} did not appear on {}", self.path().await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `css` is gone or hidden.
    pub async fn gone(&self, css: &str) {
        let started = Instant::now();
        loop {
            let mut shown = false;
            for el in self
                .client
                .find_all(Locator::Css(css))
                .await
                .unwrap_or_default()
            {
                shown |= el.is_displayed().await.unwrap_or(false);
            }
            if !shown {
                return;
            }
            assert!(started.elapsed() < PATIENCE, "{css} still shown");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks `css`, retrying while an animation (a drawer sliding in) covers it.
    pub async fn click(&self, css: &str) {
        let started = Instant::now();
        loop {
            let el = self.find(css).await;
            match el.click().await {
                Ok(()) => return,
                Err(_) if started.elapsed() < PATIENCE => {
                    tokio::time::sleep(Duration::from_millis(150)).await
                }
                Err(err) => panic!("cannot click {css}: {err}"),
            }
        }
    }

    pub async fn click_x(&self, xpath: &str) {
        let started = Instant::now();
        loop {
            let el = self.find_x(xpath).await;
            match el.click().await {
                Ok(()) => return,
                Err(_) if started.elapsed() < PATIENCE => {
                    tokio::time::sleep(Duration::from_millis(150)).await
                }
                Err(err) => panic!("cannot click {xpath}: {err}"),
            }
        }
    }

    /// Types into the input inside `css` (replacing what it held).
    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.click().await.ok();
        // Select all, then type over it, so the app sees every keystroke.
        el.send_keys("\u{E009}a").await.expect("select all");
        el.send_keys("\u{E003}").await.expect("clear");
        el.send_keys(text).await.expect("types");
    }

    /// Types a date-time into a picker and confirms it.
    pub async fn fill_date(&self, css: &str, text: &str) {
        self.fill(css, text).await;
        self.find(css)
            .await
            .send_keys("\u{E007}")
            .await
            .expect("enter");
    }

    /// Picks `label` in the Element Plus select inside `css`.
    pub async fn choose(&self, css: &str, label: &str) {
        self.click(&format!("{css} .el-select__wrapper")).await;
        self.click_x(&format!(
            "//li[contains(@class,'el-select-dropdown__item')][contains(normalize-space(.), '{label}')]"
        ))
        .await;
    }

    /// Clicks the button labelled `label` in the open message box (confirm / cancel).
    pub async fn confirm(&self, label: &str) {
        self.click_x(&format!(
            "//div[contains(@class,'el-message-box__btns')]//button[contains(normalize-space(.), '{label}')]"
        ))
        .await;
        self.gone(".el-message-box").await;
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap_or_default()
    }

    /// Waits until the text of `css` contains `needle`; answers the text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let started = Instant::now();
        loop {
            let mut texts = Vec::new();
            for el in self
                .client
                .find_all(Locator::Css(css))
                .await
                .unwrap_or_default()
            {
                texts.push(el.text().await.unwrap_or_default());
            }
            if let Some(t) = texts.iter().find(|t| t.contains(needle)) {
                return t.clone();
            }
            if started.elapsed() > PATIENCE {
                let _ = self.shot("failure").await;
                panic!(
                    "no {css} with {needle:?} on {}; saw {texts:?}",
                    self.path().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Texts of the elements `css` matches that are on screen.
    pub async fn visible_texts(&self, css: &str) -> Vec<String> {
        let js = format!(
            "return [...document.querySelectorAll(\"{css}\")].filter(e => e.offsetParent).map(e => e.textContent.trim())"
        );
        let v = self.client.execute(&js, vec![]).await.expect("script runs");
        serde_json::from_value(v).unwrap_or_default()
    }

    /// Waits until the address is `path` (and query).
    pub async fn wait_path(&self, path: &str) {
        let started = Instant::now();
        while self.path().await != path {
            assert!(
                started.elapsed() < PATIENCE,
                "still at {} instead of {path}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The field errors the form under `scope` shows: (field, message).
    pub async fn field_errors(&self, scope: &str) -> Vec<(String, String)> {
        let js = format!(
            "return [...document.querySelectorAll('{scope} [data-field] .el-form-item__error')]\
             .map(e => [e.closest('[data-field]').dataset.field, e.textContent.trim()])"
        );
        let v = self.client.execute(&js, vec![]).await.expect("script runs");
        serde_json::from_value(v).unwrap_or_default()
    }

    /// Console messages that mean something broke: script errors and CSP refusals.
    pub async fn page_errors(&self) -> Vec<String> {
        let log = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .unwrap_or(Value::Null);
        log.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| e["message"].as_str())
                    .filter(|m| {
                        m.contains("Content Security Policy")
                            || m.contains("Refused to")
                            || m.contains("Uncaught")
                            || m.contains("TypeError")
                            || m.contains("ReferenceError")
                            || m.contains("[Vue warn]")
                    })
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Saves a screenshot under `api/console/screenshots/` when
    /// UPDATE_SCREENSHOTS=1 (failures always go to the temp dir).
    pub async fn shot(&self, name: &str) -> Option<PathBuf> {
        let update = std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1");
        let dir = if name == "failure" {
            std::env::temp_dir().join("yizhan-console-failures")
        } else if update {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("console/screenshots")
        } else {
            return None;
        };
        std::fs::create_dir_all(&dir).ok()?;
        // Let charts and transitions settle.
        tokio::time::sleep(Duration::from_millis(600)).await;
        let png = self.client.screenshot().await.ok()?;
        let file = dir.join(format!("{name}.png"));
        std::fs::write(&file, png).ok()?;
        if name == "failure" {
            eprintln!("screenshot of the failure: {}", file.display());
        }
        Some(file)
    }

    /// Ends the session; fails the test if the page logged errors.
    pub async fn close(self) {
        let errors = self.page_errors().await;
        let _ = self.client.close().await;
        assert!(errors.is_empty(), "the page logged errors: {errors:#?}");
    }

    /// Ends the session whatever the page logged.
    pub async fn quit(self) {
        let _ = self.client.close().await;
    }
}
