//! The console's files (`api/console/`): the page, the app's ES modules and
//! the vendored Vue, Element Plus and ECharts, embedded in release builds
//! (debug builds read them from disk, so console edits need no rebuild).
//! Every answer carries the strict CSP; vendored files live under versioned
//! paths and are cached for a year, the rest revalidate on every load.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, guard, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

#[derive(rust_embed::Embed)]
#[folder = "console/"]
#[include = "index.html"]
#[include = "app/**/*"]
#[include = "vendor/**/*"]
struct Files;

/// `/console` and everything under it. Not part of the JSON API, so outside
/// the OpenAPI document.
pub fn configure_files(cfg: &mut web::ServiceConfig) {
    let read = || web::route().guard(guard::Any(guard::Get()).or(guard::Head()));
    cfg.route("/console", read().to(to_console))
        .route("/console/{path:.*}", read().to(serve));
}

async fn to_console() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/console/"))
        .finish()
}

/// The page's one inline script is its import map; the CSP allows exactly
/// that script by its hash, computed from the embedded page.
fn import_map_hash(page: &str) -> Option<String> {
    const OPEN: &str = "<script type=\"importmap\">";
    let start = page.find(OPEN)? + OPEN.len();
    let len = page[start..].find("</script>")?;
    Some(STANDARD.encode(Sha256::digest(&page.as_bytes()[start..start + len])))
}

/// The policy for the page as embedded now (release builds embed the files;
/// debug builds read `api/console/` from disk, so an edit shows on reload).
pub fn csp() -> String {
    let page = Files::get("index.html")
        .map(|f| String::from_utf8_lossy(&f.data).into_owned())
        .unwrap_or_default();
    let import_map = import_map_hash(&page)
        .map(|h| format!(" 'sha256-{h}'"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{import_map}; style-src 'self'; \
img-src 'self' data: https:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// A file when the path names one; the page for every other path (the
/// console's own routes, `/console/notices?...`); 404 for a missing file.
async fn serve(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    let (name, file) = match Files::get(&path) {
        Some(file) if !path.is_empty() => (path.as_str(), file),
        _ if looks_like_file(&path) => {
            return protect(HttpResponse::NotFound())
                .content_type("text/plain; charset=utf-8")
                .body("not found");
        }
        _ => match Files::get("index.html") {
            Some(file) => ("index.html", file),
            None => return HttpResponse::NotFound().finish(),
        },
    };
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    let mut response = protect(HttpResponse::Ok());
    response
        .content_type(content_type(name))
        .insert_header((header::ETAG, etag.as_str()));
    if name.starts_with("vendor/") {
        // Versioned paths (`vendor/vue@3.5.45/...`) never change content.
        response.insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"));
    } else {
        response.insert_header((header::CACHE_CONTROL, "no-cache"));
    }
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if fresh {
        return response
            .status(actix_web::http::StatusCode::NOT_MODIFIED)
            .finish();
    }
    response.body(file.data.into_owned())
}

/// `app/x.js` is a file; `notices` or `shops/3/goods` are console routes.
fn looks_like_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

/// The headers every console answer carries.
fn protect(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    if let Ok(csp) = HeaderValue::from_str(&csp()) {
        builder.insert_header((header::CONTENT_SECURITY_POLICY, csp));
    }
    builder
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"));
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_import_map_hash_covers_exactly_the_inline_script() {
        let page = "<head><script type=\"importmap\">{\"imports\":{}}</script></head>";
        let expected = STANDARD.encode(Sha256::digest(b"{\"imports\":{}}"));
        assert_eq!(import_map_hash(page), Some(expected));
        assert_eq!(import_map_hash("<p>no script</p>"), None);
    }

    #[test]
    fn the_embedded_page_has_an_import_map_the_csp_allows() {
        assert!(Files::get("index.html").is_some());
        let csp = csp();
        assert!(csp.contains("'sha256-"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
    }
}
