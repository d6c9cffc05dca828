//! A printable sheet of codes: A4 pages of six codes each, captioned in
//! Chinese. Written by hand (a PDF is a few dictionaries, the images and a
//! cross-reference table) rather than pulling a PDF crate into the build.
//! Captions use the standard Adobe-GB1 font STSong-Light with the
//! UniGB-UCS2-H encoding, which PDF readers supply themselves, so no font is
//! embedded. WeChat's JPEG codes are embedded as they are (DCTDecode); PNG
//! codes are decoded and embedded as compressed pixels (FlateDecode).

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;

use super::qr::{Code, Gray};
use crate::error::{ApiError, ApiResult};

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const COLUMNS: usize = 2;
const ROWS: usize = 3;
const CODE_PT: f32 = 180.0;

/// One captioned code on the sheet.
pub struct Label {
    pub code: Code,
    pub title: String,
    pub subtitle: String,
}

/// An image ready to embed.
struct Embedded {
    width: usize,
    height: usize,
    color_space: &'static str,
    filter: &'static str,
    data: Vec<u8>,
}

fn deflate(raw: &[u8]) -> ApiResult<Vec<u8>> {
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    z.write_all(raw).map_err(ApiError::internal)?;
    z.finish().map_err(ApiError::internal)
}

fn gray(image: &Gray) -> ApiResult<Embedded> {
    Ok(Embedded {
        width: image.size,
        height: image.size,
        color_space: "/DeviceGray",
        filter: "/FlateDecode",
        data: deflate(&image.pixels)?,
    })
}

/// Width, height and colour components of a baseline or progressive JPEG.
fn jpeg_size(bytes: &[u8]) -> Option<(usize, usize, u8)> {
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let is_sof = (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker);
        if is_sof {
            let h = usize::from(u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]));
            let w = usize::from(u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]));
            return Some((w, h, bytes[i + 9]));
        }
        i += 2 + len;
    }
    None
}

/// A PNG flattened onto white as 8-bit grey or RGB.
fn decode_png(bytes: &[u8]) -> ApiResult<Embedded> {
    let bad = |e: &dyn std::fmt::Display| ApiError::internal(anyhow::anyhow!("code image: {e}"));
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| bad(&e))?;
    let mut buf = vec![
        0;
        reader
            .output_buffer_size()
            .ok_or_else(|| bad(&"too large"))?
    ];
    let info = reader.next_frame(&mut buf).map_err(|e| bad(&e))?;
    let pixels = &buf[..info.buffer_size()];
    let over_white =
        |v: u8, a: u8| ((u16::from(v) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
    let (color_space, raw): (&'static str, Vec<u8>) = match info.color_type {
        png::ColorType::Grayscale => ("/DeviceGray", pixels.to_vec()),
        png::ColorType::GrayscaleAlpha => (
            "/DeviceGray",
            pixels
                .chunks_exact(2)
                .map(|p| over_white(p[0], p[1]))
                .collect(),
        ),
        png::ColorType::Rgb => ("/DeviceRGB", pixels.to_vec()),
        png::ColorType::Rgba => (
            "/DeviceRGB",
            pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    [
                        over_white(p[0], p[3]),
                        over_white(p[1], p[3]),
                        over_white(p[2], p[3]),
                    ]
                })
                .collect(),
        ),
        png::ColorType::Indexed => return Err(bad(&"an indexed PNG left unexpanded")),
    };
    Ok(Embedded {
        width: info.width as usize,
        height: info.height as usize,
        color_space,
        filter: "/FlateDecode",
        data: deflate(&raw)?,
    })
}

fn embed(code: &Code) -> ApiResult<Embedded> {
    match code {
        Code::Plain(g) => gray(g),
        Code::Wechat { bytes, .. } if bytes.starts_with(b"\x89PNG") => decode_png(bytes),
        Code::Wechat { bytes, .. } => {
            let (width, height, components) = jpeg_size(bytes).ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("WeChat sent an unreadable JPEG"))
            })?;
            Ok(Embedded {
                width,
                height,
                color_space: if components == 1 {
                    "/DeviceGray"
                } else {
                    "/DeviceRGB"
                },
                filter: "/DCTDecode",
                data: bytes.clone(),
            })
        }
    }
}

/// Text as a PDF hex string in UCS-2 big-endian (characters beyond the
/// Basic Multilingual Plane print as "?").
fn ucs2(text: &str) -> String {
    let mut out = String::from("<");
    for c in text.chars() {
        let unit = u16::try_from(u32::from(c)).unwrap_or(u16::from(b'?'));
        out.push_str(&format!("{unit:04X}"));
    }
    out.push('>');
    out
}

/// Builds the sheet: a heading on every page, then the labels, six a page.
pub fn sheet(heading: &str, labels: &[Label]) -> ApiResult<Vec<u8>> {
    let per_page = COLUMNS * ROWS;
    let pages = labels.len().div_ceil(per_page).max(1);
    // Objects: 1 catalog, 2 page tree, 3 font, 4 descendant font, 5 font
    // descriptor, then per page: page, contents; then one per image.
    let first_page = 6;
    let first_image = first_page + 2 * pages;
    let mut objects: Vec<Vec<u8>> = Vec::new();
    let kids: Vec<String> = (0..pages)
        .map(|p| format!("{} 0 R", first_page + 2 * p))
        .collect();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    objects.push(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        )
        .into_bytes(),
    );
    objects.push(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light-UniGB-UCS2-H /Encoding /UniGB-UCS2-H /DescendantFonts [4 0 R] >>"
            .to_vec(),
    );
    objects.push(
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 5 0 R /DW 1000 >>"
            .to_vec(),
    );
    objects.push(
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>"
            .to_vec(),
    );
    let cell_w = PAGE_W / COLUMNS as f32;
    let cell_h = (PAGE_H - 90.0) / ROWS as f32;
    for p in 0..pages {
        let on_page =
            &labels[(p * per_page).min(labels.len())..((p + 1) * per_page).min(labels.len())];
        let mut content = format!(
            "BT /F1 16 Tf 50 {:.1} Td {} Tj ET\n",
            PAGE_H - 50.0,
            ucs2(&format!("{heading}（第 {} / {pages} 页）", p + 1))
        );
        let mut xobjects = Vec::new();
        for (i, label) in on_page.iter().enumerate() {
            let index = p * per_page + i;
            let (col, row) = (i % COLUMNS, i / COLUMNS);
            let x = col as f32 * cell_w + (cell_w - CODE_PT) / 2.0;
            let top = PAGE_H - 80.0 - row as f32 * cell_h;
            let y = top - CODE_PT;
            xobjects.push(format!("/Im{index} {} 0 R", first_image + index));
            content.push_str(&format!(
                "q {CODE_PT:.1} 0 0 {CODE_PT:.1} {x:.1} {y:.1} cm /Im{index} Do Q\n"
            ));
            content.push_str(&format!(
                "BT /F1 13 Tf {:.1} {:.1} Td {} Tj ET\n",
                col as f32 * cell_w + 30.0,
                y - 22.0,
                ucs2(&label.title)
            ));
            content.push_str(&format!(
                "BT /F1 10 Tf {:.1} {:.1} Td {} Tj ET\n",
                col as f32 * cell_w + 30.0,
                y - 40.0,
                ucs2(&label.subtitle)
            ));
        }
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 3 0 R >> /XObject << {} >> >> /Contents {} 0 R >>",
                xobjects.join(" "),
                first_page + 2 * p + 1
            )
            .into_bytes(),
        );
        let stream = deflate(content.as_bytes())?;
        let mut obj = format!(
            "<< /Length {} /Filter /FlateDecode >>\nstream\n",
            stream.len()
        )
        .into_bytes();
        obj.extend_from_slice(&stream);
        obj.extend_from_slice(b"\nendstream");
        objects.push(obj);
    }
    for label in labels {
        let image = embed(&label.code)?;
        let mut obj = format!(
            "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace {} /BitsPerComponent 8 /Filter {} /Length {} >>\nstream\n",
            image.width,
            image.height,
            image.color_space,
            image.filter,
            image.data.len()
        )
        .into_bytes();
        obj.extend_from_slice(&image.data);
        obj.extend_from_slice(b"\nendstream");
        objects.push(obj);
    }
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_are_ucs2_hex() {
        assert_eq!(ucs2("1号楼"), "<003153F7697C>");
    }

    #[test]
    fn jpeg_sizes_are_read_from_the_frame_header() {
        // SOI, an APP0 segment, then SOF0 of 430x430 with 3 components.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00];
        jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xAE, 0x01, 0xAE, 0x03]);
        jpeg.extend_from_slice(&[0; 16]);
        assert_eq!(jpeg_size(&jpeg), Some((430, 430, 3)));
        assert_eq!(jpeg_size(b"\xFF\xD8nonsense"), None);
    }

    #[test]
    fn the_cross_reference_table_points_at_every_object() {
        let code = || Code::Plain(super::super::qr::draw("https://x.cn/qr?scene=b%3D1").unwrap());
        let labels: Vec<Label> = (0..7)
            .map(|i| Label {
                code: code(),
                title: format!("{i}号楼"),
                subtitle: "扫码反映诉求".into(),
            })
            .collect();
        let pdf = sheet("幸福社区", &labels).unwrap();
        // Offsets are bytes: read the ASCII trailer from the bytes themselves.
        let tail_at = pdf.windows(10).rposition(|w| w == b"startxref\n").unwrap();
        let tail = std::str::from_utf8(&pdf[tail_at + 10..]).unwrap();
        let start: usize = tail.lines().next().unwrap().parse().unwrap();
        let table = std::str::from_utf8(&pdf[start..tail_at]).unwrap();
        assert!(table.starts_with("xref\n0 "));
        let entries: Vec<usize> = table
            .lines()
            .skip(3)
            .take_while(|l| l.ends_with(" n "))
            .map(|l| l[..10].parse().unwrap())
            .collect();
        // 5 fixed objects, 2 pages of 2 objects each, 7 images.
        assert_eq!(entries.len(), 5 + 4 + 7);
        for (i, offset) in entries.iter().enumerate() {
            assert!(
                pdf[*offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
                "object {}",
                i + 1
            );
        }
        let text = String::from_utf8_lossy(&pdf);
        assert_eq!(text.matches("/Subtype /Image").count(), 7);
        assert!(text.contains("/Count 2"));
    }
}
