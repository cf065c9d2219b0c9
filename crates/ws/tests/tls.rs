//! `wss://`: our client against a TLS echo server (tokio-rustls, with a
//! self-signed certificate made by rcgen at test time), trusting that
//! certificate through `ClientConfig::tls`.
#![cfg(feature = "tls")]

mod common;

use std::sync::Arc;

use duplex_ws::{ClientConfig, ClientRequest, DeflateConfig, ServerConfig, ServerHandshake};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

use common::echo::{ServerSide, serve};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A wss echo server for `localhost`; returns its port, the certificate to trust,
/// and the per-connection reports.
async fn start_wss() -> (
    u16,
    CertificateDer<'static>,
    mpsc::UnboundedReceiver<ServerSide>,
) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("self-signed certificate");
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let tls = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .expect("server certificate");
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let server = Arc::new(
        ServerConfig::default()
            .handshake(ServerHandshake::new().deflate(Some(DeflateConfig::default()))),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, server, tx) = (acceptor.clone(), server.clone(), tx.clone());
            tokio::spawn(async move {
                // A client that refuses our certificate ends here, reporting nothing.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let report = serve(duplex_ws::accept_with(tls, &server).await, "handshake").await;
                let _ = tx.send(report);
            });
        }
    });
    (port, cert, rx)
}

#[tokio::test]
async fn wss_echo_with_a_trusted_self_signed_certificate() {
    let (port, cert, mut reports) = start_wss().await;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).expect("trust anchor");
    let tls = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = ClientConfig::default().tls(Arc::new(tls));
    let request = ClientRequest::new(&format!("wss://localhost:{port}/secure"))
        .expect("url")
        .deflate(Some(DeflateConfig::default()));
    let (mut socket, _) = common::within("wss connect", duplex_ws::connect_with(request, &client))
        .await
        .expect("wss handshake");
    assert!(matches!(
        socket.get_ref(),
        duplex_ws::MaybeTlsStream::Tls(_)
    ));
    assert!(socket.connection().is_compressed());
    for message in [
        duplex_ws::Message::text("over TLS"),
        duplex_ws::Message::binary(common::conversation::noise(1 << 20)),
    ] {
        socket.send(message.clone()).await.expect("send");
        let echo = common::within("wss echo", socket.recv()).await;
        assert_eq!(echo.expect("echo").expect("echo"), message);
    }
    socket
        .close(Some(duplex_ws::CloseFrame::new(4001, "tls bye")))
        .await
        .expect("close");
    let server = common::within("wss report", reports.recv())
        .await
        .expect("report");
    assert_eq!(server.messages, 2);
    assert_eq!(
        server.close,
        Some(duplex_ws::CloseFrame::new(4001, "tls bye"))
    );
    assert_eq!(server.error, None);
}

#[tokio::test]
async fn wss_refuses_an_untrusted_certificate() {
    let (port, _cert, _reports) = start_wss().await;
    // The default trusts the webpki roots only, which did not sign our certificate.
    let request = ClientRequest::new(&format!("wss://localhost:{port}/")).expect("url");
    let error = common::within(
        "wss connect",
        duplex_ws::connect_with(request, &ClientConfig::default()),
    )
    .await
    .expect_err("an unknown issuer must be refused");
    assert!(
        error
            .to_string()
            .to_ascii_lowercase()
            .contains("certificate"),
        "expected a certificate error, got {error}"
    );
}
