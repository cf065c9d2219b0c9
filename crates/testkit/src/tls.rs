//! A self-signed certificate for `localhost` and `127.0.0.1`, made by rcgen, written as PEM
//! files for servers and trusted by a rustls client configuration (feature `tls`).

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::CertificateDer;

/// The certificate, its PEM files (removed when dropped) and its DER form.
pub struct TestCert {
    /// The certificate, DER.
    pub der: CertificateDer<'static>,
    /// The certificate's PEM file.
    pub cert: PathBuf,
    /// The private key's PEM file (PKCS#8).
    pub key: PathBuf,
}

impl TestCert {
    /// A fresh certificate; `name` keeps the files of concurrent tests apart.
    pub fn new(name: &str) -> TestCert {
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let certified = rcgen::generate_simple_self_signed(names).expect("certificate");
        let dir = std::env::temp_dir();
        let stem = format!("duplex-{name}-{}", std::process::id());
        let cert = dir.join(format!("{stem}.cert.pem"));
        let key = dir.join(format!("{stem}.key.pem"));
        std::fs::write(&cert, pem("CERTIFICATE", certified.cert.der())).expect("write cert");
        let key_der = certified.signing_key.serialize_der();
        std::fs::write(&key, pem("PRIVATE KEY", &key_der)).expect("write key");
        TestCert {
            der: certified.cert.der().clone(),
            cert,
            key,
        }
    }

    /// A rustls client configuration trusting this certificate only.
    pub fn trusted(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.der.clone()).expect("trust anchor");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Arc::new(
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("protocol versions")
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    }
}

impl Drop for TestCert {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.cert);
        let _ = std::fs::remove_file(&self.key);
    }
}

/// RFC 7468 text encoding: base64 lines of 64 between the label's lines.
fn pem(label: &str, der: &[u8]) -> String {
    let base64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in base64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
