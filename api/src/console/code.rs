//! The code a merchant scans to log in: a mini-program code from WeChat when
//! WeChat is configured, else (or when WeChat fails) a plain QR code of
//! `console.qr_link?ticket=<id>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use qrcode::{Color, QrCode};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// What the console shows for a ticket.
pub struct TicketCode {
    /// `wxacode` or `qr`.
    pub kind: &'static str,
    /// What the code carries: the ticket (the scene) or the link.
    pub content: String,
    /// A `data:` URL of the image.
    pub image: String,
}

pub async fn for_ticket(state: &AppState, ticket_id: &str) -> ApiResult<TicketCode> {
    if state.settings.wechat.is_configured() {
        match state
            .wechat
            .wxacode_unlimited(ticket_id, &state.settings.console.wxacode_page, 280)
            .await
        {
            Ok(code) => {
                return Ok(TicketCode {
                    kind: "wxacode",
                    content: ticket_id.to_owned(),
                    image: data_url(&code.content_type, &code.bytes),
                });
            }
            // A plain QR code still logs in (through the link rule); better
            // than no login at all while WeChat is down.
            Err(err) => {
                tracing::warn!(error = %err, "mini-program code unavailable; showing a plain QR code")
            }
        }
    }
    let link = format!(
        "{}?ticket={ticket_id}",
        state.settings.console.qr_link.trim_end_matches('?')
    );
    let png = qr_png(&link)?;
    Ok(TicketCode {
        kind: "qr",
        image: data_url("image/png", &png),
        content: link,
    })
}

fn data_url(content_type: &str, bytes: &[u8]) -> String {
    format!("data:{content_type};base64,{}", STANDARD.encode(bytes))
}

/// Pixels per QR module, and the quiet zone around the code in modules.
const SCALE: usize = 8;
const QUIET: usize = 4;

/// `content` as a black-on-white QR code, a grayscale PNG.
pub fn qr_png(content: &str) -> ApiResult<Vec<u8>> {
    let code = QrCode::new(content.as_bytes())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("QR code: {e}")))?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
        for y in my * SCALE..(my + 1) * SCALE {
            pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
        }
    }
    let side = u32::try_from(side).map_err(ApiError::internal)?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&pixels))
        .map_err(ApiError::internal)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_qr_code_is_a_png_with_a_quiet_zone() {
        let png = super::qr_png("https://yizhan.example.com/console-login?ticket=abc").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.width, info.height);
        assert_eq!(info.width % super::SCALE as u32, 0);
    }
}
