//! HTTPS: rustls through tokio-rustls, HTTP/2 and HTTP/1.1 offered by ALPN.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// A server's TLS set-up: its certificate chain and key, and the protocols
/// it offers (`h2`, then `http/1.1`).
///
/// ```no_run
/// use waypost::{App, TlsConfig};
///
/// # async fn run(app: App) -> Result<(), Box<dyn std::error::Error>> {
/// let tls = TlsConfig::from_pem_files("cert.pem", "key.pem")?;
/// app.serve("0.0.0.0:8443").tls(tls).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    config: Arc<ServerConfig>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("alpn", &self.config.alpn_protocols)
            .finish_non_exhaustive()
    }
}

/// Why a TLS set-up could not be made: which file or part, and what was wrong.
pub struct TlsError {
    what: String,
}

/// The message itself, so that `fn main() -> Result<(), Box<dyn Error>>`
/// (which prints errors with `Debug`) prints what went wrong, not a struct.
impl fmt::Debug for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl std::error::Error for TlsError {}

fn tls_error(what: impl Into<String>) -> TlsError {
    TlsError { what: what.into() }
}

impl TlsConfig {
    /// Reads a PEM certificate chain (leaf first) and a PEM private key
    /// (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(
        cert_chain: impl AsRef<Path>,
        private_key: impl AsRef<Path>,
    ) -> Result<TlsConfig, TlsError> {
        let read = |path: &Path, what: &str| {
            std::fs::read(path).map_err(|error| {
                tls_error(format!(
                    "cannot read the {what} {}: {error}",
                    path.display()
                ))
            })
        };
        let certs = read(cert_chain.as_ref(), "certificate chain")?;
        let key = read(private_key.as_ref(), "private key")?;
        Self::from_pem(&certs, &key).map_err(|error| {
            tls_error(format!(
                "{} / {}: {error}",
                cert_chain.as_ref().display(),
                private_key.as_ref().display()
            ))
        })
    }

    /// [`TlsConfig::from_pem_files`] from PEM text already in memory.
    pub fn from_pem(cert_chain: &[u8], private_key: &[u8]) -> Result<TlsConfig, TlsError> {
        let certs = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| {
                tls_error(format!("the certificate chain is not valid PEM: {error}"))
            })?;
        if certs.is_empty() {
            return Err(tls_error(
                "the certificate chain holds no `CERTIFICATE` block",
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(private_key)
            .map_err(|error| tls_error(format!("no usable private key: {error}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| tls_error(error.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|error| tls_error(format!("the key does not fit the certificate: {error}")))?;
        Ok(Self::from_rustls(config))
    }

    /// A rustls configuration made by hand (client certificates, a
    /// certificate resolver...). When it offers no ALPN protocols, `h2` and
    /// `http/1.1` are offered.
    pub fn from_rustls(mut config: ServerConfig) -> TlsConfig {
        if config.alpn_protocols.is_empty() {
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        }
        TlsConfig {
            config: Arc::new(config),
        }
    }

    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.config.clone())
    }
}
