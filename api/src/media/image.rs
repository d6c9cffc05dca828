//! Image intake: the type from the bytes, the size from the header before
//! any decoding (a decompression bomb is refused there), then a decode with
//! allocation limits, EXIF orientation applied, and a re-encode that keeps
//! nothing but pixels (no EXIF, GPS, comments or trailing bytes), bounded to
//! 2048 px, plus a 400 px thumbnail.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// Longest side of a stored picture.
pub const MAX_SIDE: u32 = 2048;
/// Longest side of a thumbnail.
pub const THUMB_SIDE: u32 = 400;
const JPEG_QUALITY: u8 = 85;
/// No side beyond this, whatever `max_pixels` allows (a 1 × 40,000,000 strip
/// is no photo).
const MAX_DIMENSION: u32 = 20_000;

/// What the bytes are, by their magic numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Jpeg,
    Png,
    Webp,
}

impl SourceKind {
    /// JPEG `FF D8 FF`, PNG's 8-byte signature, WebP `RIFF....WEBP`; nothing else.
    pub fn sniff(bytes: &[u8]) -> Option<SourceKind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(SourceKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(SourceKind::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(SourceKind::Webp)
        } else {
            None
        }
    }

    fn format(self) -> ImageFormat {
        match self {
            SourceKind::Jpeg => ImageFormat::Jpeg,
            SourceKind::Png => ImageFormat::Png,
            SourceKind::Webp => ImageFormat::WebP,
        }
    }
}

/// How a picture is stored: photos as JPEG, PNGs (logos, screenshots) as
/// PNG, a WebP as JPEG unless it has transparency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredFormat {
    Jpeg,
    Png,
}

impl StoredFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            StoredFormat::Jpeg => "image/jpeg",
            StoredFormat::Png => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            StoredFormat::Jpeg => "jpg",
            StoredFormat::Png => "png",
        }
    }

    /// `jpg` → JPEG, `png` → PNG.
    pub fn from_extension(ext: &str) -> Option<StoredFormat> {
        match ext {
            "jpg" => Some(StoredFormat::Jpeg),
            "png" => Some(StoredFormat::Png),
            _ => None,
        }
    }
}

/// One encoded picture.
#[derive(Debug)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The stored picture and its thumbnail.
#[derive(Debug)]
pub struct Processed {
    pub source: SourceKind,
    pub format: StoredFormat,
    pub picture: Encoded,
    pub thumb: Encoded,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("not a JPEG, PNG or WebP image, or it does not decode")]
    Unsupported,
    #[error("{width} × {height} pixels is over the limit of {max_pixels}")]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    #[error("the picture could not be encoded: {0}")]
    Encode(image::ImageError),
}

/// Checks, decodes and re-encodes `bytes`. CPU-bound: run it off the async
/// workers.
pub fn process(bytes: &[u8], max_pixels: u64) -> Result<Processed, IntakeError> {
    let source = SourceKind::sniff(bytes).ok_or(IntakeError::Unsupported)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), source.format());
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    // Room for the decoded pixels (up to 8 bytes each with 16-bit channels)
    // and the decoder's own buffers.
    limits.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(64 << 20));
    reader.limits(limits);
    // Only the header is read here: the size is known before any pixel is.
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| too_big_or(e, max_pixels))?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(IntakeError::Unsupported);
    }
    if u64::from(width) * u64::from(height) > max_pixels
        || width > MAX_DIMENSION
        || height > MAX_DIMENSION
    {
        return Err(IntakeError::TooManyPixels {
            width,
            height,
            max_pixels,
        });
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| too_big_or(e, max_pixels))?;
    image.apply_orientation(orientation);

    let transparent = has_transparency(&image);
    let format = match (source, transparent) {
        (SourceKind::Png, _) | (SourceKind::Webp, true) => StoredFormat::Png,
        _ => StoredFormat::Jpeg,
    };
    let image = flatten(image, transparent);
    let picture = if image.width() > MAX_SIDE || image.height() > MAX_SIDE {
        image.resize(MAX_SIDE, MAX_SIDE, FilterType::CatmullRom)
    } else {
        image
    };
    let thumb = if picture.width() > THUMB_SIDE || picture.height() > THUMB_SIDE {
        picture.thumbnail(THUMB_SIDE, THUMB_SIDE)
    } else {
        picture.clone()
    };
    Ok(Processed {
        source,
        format,
        picture: encode(&picture, format)?,
        thumb: encode(&thumb, format)?,
    })
}

fn too_big_or(err: image::ImageError, max_pixels: u64) -> IntakeError {
    match err {
        image::ImageError::Limits(_) => IntakeError::TooManyPixels {
            width: 0,
            height: 0,
            max_pixels,
        },
        _ => IntakeError::Unsupported,
    }
}

/// True when some pixel is not fully opaque.
fn has_transparency(image: &DynamicImage) -> bool {
    if !image.color().has_alpha() {
        return false;
    }
    match image {
        DynamicImage::ImageRgba8(buf) => buf.pixels().any(|p| p[3] < u8::MAX),
        DynamicImage::ImageLumaA8(buf) => buf.pixels().any(|p| p[1] < u8::MAX),
        other => other.to_rgba8().pixels().any(|p| p[3] < u8::MAX),
    }
}

/// 8 bits per channel, alpha only when some pixel is see-through (stored
/// as PNG then), grey kept grey.
fn flatten(image: DynamicImage, transparent: bool) -> DynamicImage {
    let grey = !image.color().has_color();
    match (transparent, grey) {
        (true, _) => DynamicImage::ImageRgba8(image.into_rgba8()),
        (false, true) => DynamicImage::ImageLuma8(image.into_luma8()),
        (false, false) => DynamicImage::ImageRgb8(image.into_rgb8()),
    }
}

fn encode(image: &DynamicImage, format: StoredFormat) -> Result<Encoded, IntakeError> {
    let mut bytes = Vec::new();
    match format {
        StoredFormat::Jpeg => {
            image.write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY))
        }
        StoredFormat::Png => image.write_with_encoder(PngEncoder::new_with_quality(
            &mut bytes,
            CompressionType::Default,
            PngFilter::Adaptive,
        )),
    }
    .map_err(IntakeError::Encode)?;
    Ok(Encoded {
        bytes,
        width: image.width(),
        height: image.height(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32, alpha: u8) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(width, height, image::Rgba([200, 30, 30, alpha]));
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn sniffs_by_magic_numbers_only() {
        assert_eq!(SourceKind::sniff(&png(2, 2, 255)), Some(SourceKind::Png));
        assert_eq!(
            SourceKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(SourceKind::Jpeg)
        );
        assert_eq!(
            SourceKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(SourceKind::Webp)
        );
        assert_eq!(SourceKind::sniff(b"GIF89a"), None);
        assert_eq!(SourceKind::sniff(b"<html>"), None);
        assert_eq!(SourceKind::sniff(b""), None);
    }

    #[test]
    fn bounds_the_long_side_and_makes_a_thumbnail() {
        let out = process(&png(3000, 1500, 255), 40_000_000).unwrap();
        assert_eq!((out.picture.width, out.picture.height), (2048, 1024));
        assert_eq!((out.thumb.width, out.thumb.height), (400, 200));
        assert_eq!(out.format, StoredFormat::Png);
    }

    #[test]
    fn refuses_too_many_pixels_from_the_header() {
        let err = process(&png(200, 100, 255), 10_000).unwrap_err();
        assert!(matches!(
            err,
            IntakeError::TooManyPixels {
                width: 200,
                height: 100,
                ..
            }
        ));
    }

    #[test]
    fn keeps_transparency_only_where_there_is_some() {
        let opaque = process(&png(10, 10, 255), 1000).unwrap();
        let decoded = image::load_from_memory(&opaque.picture.bytes).unwrap();
        assert!(!decoded.color().has_alpha());
        let clear = process(&png(10, 10, 100), 1000).unwrap();
        let decoded = image::load_from_memory(&clear.picture.bytes).unwrap();
        assert!(decoded.color().has_alpha());
    }
}
