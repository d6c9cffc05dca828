//! Platform certificates (the mode without a WeChat Pay public key): the
//! list `GET /v3/certificates` answers, decrypted with the APIv3 key, and the
//! per-instance cache of the keys in it, with its refresh policy.

use std::sync::RwLock;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::crypto::{ApiV3Key, PlatformKey, PlatformKeys};

/// Download the list again this often: WeChat Pay lists a new certificate
/// well before it starts signing with it.
const REFRESH_EVERY: Duration = Duration::hours(12);
/// When the newest certificate ends within this, look for its successor on
/// every use, at most once per [`REFRESH_SOON_GAP`].
const REFRESH_BEFORE_END: Duration = Duration::hours(24);
const REFRESH_SOON_GAP: Duration = Duration::minutes(10);
/// After a failed download, or a serial the fresh list does not have either,
/// wait this long before downloading again (a stream of forged serials must
/// not become a stream of downloads).
const RETRY_GAP: Duration = Duration::seconds(30);

/// The body of `GET /v3/certificates`.
#[derive(Debug, Deserialize)]
pub struct CertificateList {
    pub data: Vec<ListedCertificate>,
}

#[derive(Debug, Deserialize)]
pub struct ListedCertificate {
    pub serial_no: String,
    pub expire_time: Option<String>,
    pub encrypt_certificate: EncryptedCertificate,
}

#[derive(Debug, Deserialize)]
pub struct EncryptedCertificate {
    pub algorithm: String,
    pub nonce: String,
    #[serde(default)]
    pub associated_data: String,
    pub ciphertext: String,
}

/// Decrypts and parses every certificate of the list; keeps those still
/// valid at `now`. Any certificate that does not decrypt, parse, or match its
/// listed serial makes the whole list untrusted.
pub fn open_certificate_list(
    list: &CertificateList,
    api_v3_key: &ApiV3Key,
    now: DateTime<Utc>,
) -> Result<Vec<PlatformKey>, String> {
    let mut keys = Vec::new();
    for listed in &list.data {
        let encrypted = &listed.encrypt_certificate;
        if encrypted.algorithm != "AEAD_AES_256_GCM" {
            return Err(format!(
                "certificate {} encrypted with {}",
                listed.serial_no, encrypted.algorithm
            ));
        }
        let pem = api_v3_key
            .decrypt(
                &encrypted.nonce,
                &encrypted.associated_data,
                &encrypted.ciphertext,
            )
            .map_err(|e| format!("certificate {}: {e}", listed.serial_no))?;
        let pem = String::from_utf8(pem)
            .map_err(|_| format!("certificate {} is not text", listed.serial_no))?;
        let listed_end = listed
            .expire_time
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        let key = PlatformKey::from_certificate_pem(&pem)
            .map_err(|e| format!("certificate {}: {e}", listed.serial_no))?
            .expiring_by(listed_end);
        if !key.serial().eq_ignore_ascii_case(&listed.serial_no) {
            return Err(format!(
                "certificate listed as {} has serial {}",
                listed.serial_no,
                key.serial()
            ));
        }
        if key.is_valid_at(now) {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        return Err("no valid certificate in the list".into());
    }
    Ok(keys)
}

/// The cached keys of one instance. Readers never wait; downloads are
/// serialised by the client's gate.
#[derive(Debug, Default)]
pub struct CertificateCache {
    state: RwLock<CacheState>,
}

#[derive(Debug, Default, Clone)]
struct CacheState {
    keys: PlatformKeys,
    fetched_at: Option<DateTime<Utc>>,
    /// No download before this (after a failure or a useless refresh).
    quiet_until: Option<DateTime<Utc>>,
}

/// What the cache says about a serial.
#[derive(Debug)]
pub enum Lookup {
    /// Known, and the cache is fresh.
    Fresh,
    /// Known, but a download is due (use it if the download fails).
    Stale,
    /// Not known; a download may find it.
    Unknown,
    /// Not known, and downloading again now is pointless.
    UnknownQuiet,
}

impl CertificateCache {
    fn read(&self) -> CacheState {
        match self.state.read() {
            Ok(state) => state.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn write(&self, change: impl FnOnce(&mut CacheState)) {
        match self.state.write() {
            Ok(mut state) => change(&mut state),
            Err(poisoned) => change(&mut poisoned.into_inner()),
        }
    }

    pub fn keys(&self) -> PlatformKeys {
        self.read().keys
    }

    pub fn lookup(&self, serial: &str, now: DateTime<Utc>) -> Lookup {
        let state = self.read();
        let quiet = state.quiet_until.is_some_and(|until| now < until);
        match state.keys.find(serial, now) {
            Some(_) if quiet || !state.refresh_due(now) => Lookup::Fresh,
            Some(_) => Lookup::Stale,
            None if quiet => Lookup::UnknownQuiet,
            None => Lookup::Unknown,
        }
    }

    /// Stores a downloaded list.
    pub fn replace(&self, keys: Vec<PlatformKey>, now: DateTime<Utc>) {
        self.write(|state| {
            state.keys = PlatformKeys::new(keys);
            state.fetched_at = Some(now);
            state.quiet_until = None;
        });
    }

    /// No download before `now + RETRY_GAP`.
    pub fn quiet(&self, now: DateTime<Utc>) {
        self.write(|state| state.quiet_until = Some(now + RETRY_GAP));
    }

    #[cfg(test)]
    fn refresh_due(&self, now: DateTime<Utc>) -> bool {
        self.read().refresh_due(now)
    }
}

impl CacheState {
    fn refresh_due(&self, now: DateTime<Utc>) -> bool {
        let Some(fetched_at) = self.fetched_at else {
            return true;
        };
        if now >= fetched_at + REFRESH_EVERY {
            return true;
        }
        let newest_end = self.keys.iter().filter_map(PlatformKey::expires_at).max();
        newest_end.is_some_and(|end| now >= end - REFRESH_BEFORE_END)
            && now >= fetched_at + REFRESH_SOON_GAP
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as BASE64;

    use super::*;
    use crate::wechatpay::crypto::tests::fixture;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    fn cert(name: &str, ends: Option<DateTime<Utc>>) -> PlatformKey {
        PlatformKey::from_certificate_pem(&fixture(name))
            .unwrap()
            .expiring_by(ends)
    }

    #[test]
    fn refreshes_every_12_hours_and_before_the_newest_certificate_ends() {
        let now = at(1_764_591_310);
        let cache = CertificateCache::default();
        assert!(cache.refresh_due(now), "nothing downloaded yet");
        cache.replace(vec![cert("platform_cert.pem", None)], now);
        assert!(!cache.refresh_due(now + Duration::hours(11)));
        assert!(cache.refresh_due(now + Duration::hours(12)));

        // The only certificate ends in 20 hours: look for its successor, but
        // not on every call.
        cache.replace(
            vec![cert("platform_cert.pem", Some(now + Duration::hours(20)))],
            now,
        );
        assert!(!cache.refresh_due(now + Duration::minutes(5)));
        assert!(cache.refresh_due(now + Duration::minutes(10)));

        // A successor that lasts: back to every 12 hours.
        cache.replace(
            vec![
                cert("platform_cert.pem", Some(now + Duration::hours(20))),
                cert("platform2_cert.pem", None),
            ],
            now,
        );
        assert!(!cache.refresh_due(now + Duration::hours(1)));
    }

    #[test]
    fn lookups_say_what_to_do() {
        let now = at(1_764_591_310);
        let cache = CertificateCache::default();
        assert!(matches!(cache.lookup("3C4A", now), Lookup::Unknown));
        cache.replace(vec![cert("platform_cert.pem", None)], now);
        let serial = "3C4A9F1E22B7D05A6E8813F4C2A19B7D5E6F0A21";
        assert!(matches!(cache.lookup(serial, now), Lookup::Fresh));
        assert!(matches!(
            cache.lookup(&serial.to_lowercase(), now),
            Lookup::Fresh
        ));
        assert!(matches!(
            cache.lookup(serial, now + Duration::hours(13)),
            Lookup::Stale
        ));
        assert!(matches!(cache.lookup("FFFF", now), Lookup::Unknown));
        cache.quiet(now);
        assert!(matches!(cache.lookup("FFFF", now), Lookup::UnknownQuiet));
        assert!(matches!(
            cache.lookup("FFFF", now + Duration::seconds(31)),
            Lookup::Unknown
        ));
    }

    fn encrypt(pem: &str, key: &[u8; 32]) -> EncryptedCertificate {
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        let cipher = aes_gcm::Aes256Gcm::new_from_slice(key).unwrap();
        let ct = cipher
            .encrypt(
                &aes_gcm::Nonce::from(*b"certnonce123"),
                Payload {
                    msg: pem.as_bytes(),
                    aad: b"certificate",
                },
            )
            .unwrap();
        EncryptedCertificate {
            algorithm: "AEAD_AES_256_GCM".into(),
            nonce: "certnonce123".into(),
            associated_data: "certificate".into(),
            ciphertext: BASE64.encode(ct),
        }
    }

    #[test]
    fn a_list_opens_only_with_the_right_key_and_serials() {
        let key_bytes = *b"0123456789abcdefTESTONLYv3key-32";
        let key = ApiV3Key::new(&key_bytes).unwrap();
        let now = at(1_764_591_310);
        let listed = |serial: &str, expire: &str| ListedCertificate {
            serial_no: serial.into(),
            expire_time: Some(expire.into()),
            encrypt_certificate: encrypt(&fixture("platform_cert.pem"), &key_bytes),
        };
        let good = CertificateList {
            data: vec![listed(
                "3C4A9F1E22B7D05A6E8813F4C2A19B7D5E6F0A21",
                "2031-12-01T00:00:00+08:00",
            )],
        };
        let keys = open_certificate_list(&good, &key, now).unwrap();
        assert_eq!(
            keys[0].expires_at().unwrap().to_rfc3339(),
            "2031-11-30T16:00:00+00:00"
        );

        let wrong_key = ApiV3Key::new(b"another-32-byte-key-for-the-test").unwrap();
        assert!(open_certificate_list(&good, &wrong_key, now).is_err());

        let mislabeled = CertificateList {
            data: vec![listed("ABCDEF", "2031-12-01T00:00:00+08:00")],
        };
        assert!(
            open_certificate_list(&mislabeled, &key, now)
                .unwrap_err()
                .contains("has serial")
        );

        let ended = CertificateList {
            data: vec![listed(
                "3C4A9F1E22B7D05A6E8813F4C2A19B7D5E6F0A21",
                "2020-01-01T00:00:00+08:00",
            )],
        };
        assert!(open_certificate_list(&ended, &key, now).is_err());
    }
}
