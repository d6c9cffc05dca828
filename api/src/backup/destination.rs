//! The off-machine copy: every backup file is written to an OpenDAL
//! operator (a directory, S3, Tencent COS or Aliyun OSS) under its own name.
//! Nothing is ever deleted there: the bucket's lifecycle rules decide how
//! long copies live, so a mistake on this machine cannot erase them.

use std::path::Path;
use std::time::Duration;

use opendal::services::{Cos, Fs, Oss, S3};
use opendal::{HttpTransporter, OperationContext, Operator};
use opendal_http_transport_reqwest::ReqwestTransport;
use secrecy::ExposeSecret;
use tokio::io::AsyncReadExt;

use super::BackupError;
use crate::settings::{DestinationBackend, DestinationSettings};

/// Each request to the destination gives up after this long without progress.
const IO_TIMEOUT: Duration = Duration::from_secs(60);
const CHUNK: usize = 8 << 20;

#[derive(Clone)]
pub struct Destination {
    op: Operator,
    /// `s3://bucket/root`, for logs.
    pub label: String,
}

impl Destination {
    /// The configured destination; `None` when `backend = "none"`.
    pub fn open(settings: &DestinationSettings) -> Result<Option<Self>, BackupError> {
        let s = settings;
        let secret = s.secret_access_key.expose_secret();
        let op = match s.backend {
            DestinationBackend::None => return Ok(None),
            DestinationBackend::Fs => Operator::new(Fs::default().root(&s.root)),
            // Credentials come from this configuration only: no environment,
            // profile files or cloud metadata endpoints are consulted.
            DestinationBackend::S3 => Operator::new(
                S3::default()
                    .bucket(&s.bucket)
                    .endpoint(&s.endpoint)
                    .region(if s.region.is_empty() {
                        "us-east-1"
                    } else {
                        &s.region
                    })
                    .root(&s.root)
                    .access_key_id(&s.access_key_id)
                    .secret_access_key(secret)
                    .disable_config_load()
                    .disable_ec2_metadata(),
            ),
            DestinationBackend::Cos => Operator::new(
                Cos::default()
                    .bucket(&s.bucket)
                    .endpoint(&s.endpoint)
                    .root(&s.root)
                    .secret_id(&s.access_key_id)
                    .secret_key(secret)
                    .disable_config_load(),
            ),
            DestinationBackend::Oss => Operator::new(
                Oss::default()
                    .bucket(&s.bucket)
                    .endpoint(&s.endpoint)
                    .root(&s.root)
                    .access_key_id(&s.access_key_id)
                    .access_key_secret(secret),
            ),
        }
        .map_err(|e| BackupError::Destination(format!("backup.destination: {e}")))?;
        let label = match s.backend {
            DestinationBackend::Fs => format!("fs:{}", s.root),
            other => {
                format!("{other:?}://{}/{}", s.bucket, s.root.trim_matches('/')).to_lowercase()
            }
        };
        Ok(Some(Self {
            op: op.with_context(OperationContext::new().with_http_transport(http_transport()?)),
            label,
        }))
    }

    /// Makes sure the destination holds `local` under `name`: skipped when a
    /// copy of the same size is there, else uploaded (in chunks: multipart
    /// on the object stores).
    pub async fn ensure(&self, local: &Path, name: &str) -> Result<Uploaded, BackupError> {
        let size = tokio::fs::metadata(local)
            .await
            .map_err(|e| BackupError::io(format!("stat {}", local.display()), e))?
            .len();
        match timed(self.op.stat(name)).await {
            Ok(meta) if meta.content_length() == size => return Ok(Uploaded::AlreadyThere),
            Ok(_) => {}
            Err(e) if e.kind() == opendal::ErrorKind::NotFound => {}
            Err(e) => return Err(self.failed(name, e)),
        }
        let mut file = tokio::fs::File::open(local)
            .await
            .map_err(|e| BackupError::io(format!("open {}", local.display()), e))?;
        let mut writer = timed(self.op.writer_with(name).chunk(CHUNK))
            .await
            .map_err(|e| self.failed(name, e))?;
        loop {
            let mut buf = Vec::with_capacity(CHUNK);
            let read = (&mut file)
                .take(CHUNK as u64)
                .read_to_end(&mut buf)
                .await
                .map_err(|e| BackupError::io(format!("read {}", local.display()), e))?;
            if read == 0 {
                break;
            }
            if let Err(e) = timed(writer.write(buf)).await {
                let _ = writer.abort().await;
                return Err(self.failed(name, e));
            }
        }
        timed(writer.close())
            .await
            .map_err(|e| self.failed(name, e))?;
        Ok(Uploaded::Written(size))
    }

    fn failed(&self, name: &str, e: opendal::Error) -> BackupError {
        BackupError::Destination(format!("copy of {name} to {}: {e}", self.label))
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Uploaded {
    AlreadyThere,
    Written(u64),
}

async fn timed<T>(fut: impl IntoFuture<Output = opendal::Result<T>>) -> opendal::Result<T> {
    tokio::time::timeout(IO_TIMEOUT, fut)
        .await
        .unwrap_or_else(|_| {
            Err(opendal::Error::new(
                opendal::ErrorKind::Unexpected,
                format!("no answer within {}s", IO_TIMEOUT.as_secs()),
            ))
        })
}

/// reqwest on the ring provider the rest of the binary uses, with timeouts
/// so an unreachable endpoint fails instead of hanging.
fn http_transport() -> Result<HttpTransporter, BackupError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(IO_TIMEOUT)
        .build()
        .map_err(|e| BackupError::Destination(format!("HTTP client: {e}")))?;
    Ok(HttpTransporter::new(ReqwestTransport::new(client)))
}
