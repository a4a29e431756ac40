//! TLS for `SSL_GET` and `genhash -S`, with rustls.
//!
//! keepalived compat (spec §2.7 `SSL { ca certificate key }`): without `ca` the server's
//! certificate is not verified at all (a health check must work against self-signed
//! real servers); with `ca` the chain must lead to that CA, but the name is not checked,
//! because checks connect to addresses, not names. SNI is sent only with `enable_sni`,
//! and then names the `sni_name`, else the virtual host.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::ProbeRequest;
use crate::error::{ProbeError, within};

/// The TLS side of `SSL_GET`: the `SSL { }` block and the SNI options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsOptions {
    /// `enable_sni`: send a server name in the handshake.
    pub enable_sni: bool,
    /// `sni_name`: the name to send; the virtual host when `None`.
    pub sni_name: Option<String>,
    /// `ca`: PEM file of trusted CAs; when given, the server's chain is verified.
    pub ca: Option<PathBuf>,
    /// `certificate`: PEM client certificate chain.
    pub certificate: Option<PathBuf>,
    /// `key`: PEM private key of `certificate`.
    pub key: Option<PathBuf>,
}

/// Runs the TLS handshake on a connected stream, bounded by `connect_timeout`.
pub(crate) async fn connect(
    stream: TcpStream,
    options: &TlsOptions,
    request: &ProbeRequest,
    virtualhost: Option<&str>,
) -> Result<TlsStream<TcpStream>, ProbeError> {
    let config = client_config(options)?;
    let sni = options
        .enable_sni
        .then(|| options.sni_name.as_deref().or(virtualhost))
        .flatten();
    // rustls sends no SNI for an IP address, which is what keepalived does without SNI.
    let server_name = match sni {
        Some(name) => ServerName::try_from(name.to_string())
            .map_err(|error| ProbeError::Tls(format!("invalid SNI name {name:?}: {error}")))?,
        None => ServerName::IpAddress(request.target.ip().into()),
    };
    let connector = TlsConnector::from(Arc::new(config));
    within(request.connect_timeout, "TLS handshake", async {
        connector
            .connect(server_name, stream)
            .await
            .map_err(|error| ProbeError::Tls(format!("handshake failed: {error}")))
    })
    .await
}

fn client_config(options: &TlsOptions) -> Result<ClientConfig, ProbeError> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| ProbeError::Tls(error.to_string()))?;
    let chain = match &options.ca {
        None => None,
        Some(path) => {
            let ca_error = |error: &dyn std::fmt::Display| {
                ProbeError::Tls(format!("ca {}: {error}", path.display()))
            };
            let mut roots = RootCertStore::empty();
            for certificate in read_certificates(path)? {
                roots.add(certificate).map_err(|error| ca_error(&error))?;
            }
            let verifier =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|error| ca_error(&error))?;
            Some(verifier)
        }
    };
    let verifier = Arc::new(KeepalivedVerifier { chain, provider });
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match (&options.certificate, &options.key) {
        (Some(certificate), Some(key)) => {
            let chain = read_certificates(certificate)?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|error| ProbeError::Tls(format!("key {}: {error}", key.display())))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|error| ProbeError::Tls(error.to_string()))
        }
        _ => Ok(builder.with_no_client_auth()),
    }
}

fn read_certificates(path: &PathBuf) -> Result<Vec<CertificateDer<'static>>, ProbeError> {
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|error| ProbeError::Tls(format!("{}: {error}", path.display())))?;
    if certificates.is_empty() {
        return Err(ProbeError::Tls(format!(
            "{}: no certificate found",
            path.display()
        )));
    }
    Ok(certificates)
}

/// keepalived compat: without `ca` (`chain` is `None`) any server certificate is accepted;
/// with `ca` the chain must verify, but a name mismatch is accepted (checks dial addresses,
/// and keepalived does not check names either). The handshake signatures are checked in
/// both cases so that the session itself is sound.
#[derive(Debug)]
struct KeepalivedVerifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for KeepalivedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            certificate,
            signature,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            certificate,
            signature,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
