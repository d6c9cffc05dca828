//! The code printed on a building or a city component: a mini-program code
//! from WeChat (`wxa/getwxacodeunlimit` with the place's scene) when real
//! credentials are configured, else a plain QR code of
//! `{requests.qr_link_base}?scene=...`, the link the mini-program registers
//! for "扫普通链接二维码打开小程序" (the page then reads the same scene).

use qrcode::{Color, EcLevel, QrCode};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Pixels per QR module in the plain codes.
const MODULE_PX: usize = 8;
/// Blank modules around a plain code (the standard quiet zone).
const QUIET: usize = 4;

/// An 8-bit grey image, row by row.
pub struct Gray {
    pub size: usize,
    pub pixels: Vec<u8>,
}

/// A code as it will be served or printed.
pub enum Code {
    /// A plain QR code drawn here.
    Plain(Gray),
    /// WeChat's image (JPEG or PNG).
    Wechat {
        bytes: Vec<u8>,
        content_type: String,
    },
}

/// `base?scene=` with the scene percent-encoded (`b=12` → `b%3D12`).
pub fn link(base: &str, scene: &str) -> String {
    let mut out = String::with_capacity(base.len() + 8 + scene.len() * 3);
    out.push_str(base);
    out.push_str(if base.contains('?') {
        "&scene="
    } else {
        "?scene="
    });
    for b in scene.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Draws the QR code of `text`: black modules on white, with the quiet zone.
pub fn draw(text: &str) -> ApiResult<Gray> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("QR code of {text:?}: {e}")))?;
    let modules = code.width();
    let colors = code.to_colors();
    let size = (modules + 2 * QUIET) * MODULE_PX;
    let mut pixels = vec![255u8; size * size];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
        for y in my * MODULE_PX..(my + 1) * MODULE_PX {
            let row = y * size;
            pixels[row + mx * MODULE_PX..row + (mx + 1) * MODULE_PX].fill(0);
        }
    }
    Ok(Gray { size, pixels })
}

/// Encodes a grey image as PNG.
pub fn png(image: &Gray) -> ApiResult<Vec<u8>> {
    let mut out = Vec::new();
    let side = u32::try_from(image.size).map_err(ApiError::internal)?;
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(ApiError::internal)?;
    writer
        .write_image_data(&image.pixels)
        .map_err(ApiError::internal)?;
    writer.finish().map_err(ApiError::internal)?;
    Ok(out)
}

/// The code of `scene`.
pub async fn code(state: &AppState, scene: &str) -> ApiResult<Code> {
    if state.wechat.is_configured() {
        let image = state
            .wechat
            .wxacode_unlimited(scene, &state.settings.requests.report_page, 430)
            .await?;
        return Ok(Code::Wechat {
            bytes: image.bytes,
            content_type: image.content_type,
        });
    }
    Ok(Code::Plain(draw(&link(
        &state.settings.requests.qr_link_base,
        scene,
    ))?))
}

/// The code of `scene` as a file: its bytes and content type.
pub async fn file(state: &AppState, scene: &str) -> ApiResult<(Vec<u8>, String)> {
    Ok(match code(state, scene).await? {
        Code::Plain(gray) => (png(&gray)?, "image/png".to_owned()),
        Code::Wechat {
            bytes,
            content_type,
        } => (bytes, content_type),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_encode_the_scene() {
        assert_eq!(
            link("https://x.cn/qr", "b=12"),
            "https://x.cn/qr?scene=b%3D12"
        );
        assert_eq!(
            link("https://x.cn/qr?v=1", "c=3"),
            "https://x.cn/qr?v=1&scene=c%3D3"
        );
    }

    #[test]
    fn a_drawn_code_has_a_quiet_zone_and_dark_finder_corners() {
        let g = draw("https://x.cn/qr?scene=b%3D12").unwrap();
        assert_eq!(g.pixels.len(), g.size * g.size);
        assert_eq!(g.pixels[0], 255, "quiet zone");
        let corner = QUIET * MODULE_PX;
        assert_eq!(g.pixels[corner * g.size + corner], 0, "finder pattern");
        assert!(png(&g).unwrap().starts_with(b"\x89PNG"));
    }
}
