//! `duplex serve`: the demo chat's Socket.IO server ([`chat`]) and its page ([`assets`], served
//! by [`site`]), with its options from flags, the environment or a TOML file, and a graceful
//! shutdown on SIGINT or SIGTERM (clients get a clean close and reconnect elsewhere).

mod assets;
mod bundle;
mod chat;
mod site;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use duplex_socketio::{Cors, SocketIo, Transport};
use serde::Deserialize;

/// Options of `duplex serve`: each from its flag, else its `DUPLEX_*` environment variable,
/// else the TOML file of `--config`, else the default.
#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// A TOML file with any of the options below, by the same names (`addr = "0.0.0.0:3000"`,
    /// `ping_interval = 25000`, `cors = ["https://example.com"]`, ...).
    #[arg(long, env = "DUPLEX_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:3000; port 0: any free port, printed as
    /// `LISTENING <port>`].
    #[arg(long, env = "DUPLEX_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Origins allowed by CORS, comma-separated, or `*` [default: none, same origin only].
    #[arg(long, env = "DUPLEX_CORS", value_delimiter = ',')]
    pub cors: Option<Vec<String>>,
    /// Milliseconds between the server's pings [default: 25000].
    #[arg(long, env = "DUPLEX_PING_INTERVAL")]
    pub ping_interval: Option<u64>,
    /// Milliseconds a client has to answer a ping [default: 20000].
    #[arg(long, env = "DUPLEX_PING_TIMEOUT")]
    pub ping_timeout: Option<u64>,
    /// Transports offered: `polling`, `websocket`, or both, comma-separated [default: both].
    #[arg(long, env = "DUPLEX_TRANSPORTS", value_delimiter = ',')]
    pub transports: Option<Vec<String>>,
    /// Entries of each room's history kept for late joiners [default: 50].
    #[arg(long, env = "DUPLEX_HISTORY")]
    pub history: Option<usize>,
    /// PEM certificate chain: serve HTTPS (and WSS) instead of plain HTTP; needs `--tls-key`.
    #[arg(long, env = "DUPLEX_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert`.
    #[arg(long, env = "DUPLEX_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// The options of a `--config` file; unknown keys are refused.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<SocketAddr>,
    cors: Option<Vec<String>>,
    ping_interval: Option<u64>,
    ping_timeout: Option<u64>,
    transports: Option<Vec<String>>,
    history: Option<usize>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
}

/// The options in force.
#[derive(Debug, Clone, PartialEq)]
struct Settings {
    addr: SocketAddr,
    cors: Vec<String>,
    ping_interval: u64,
    ping_timeout: u64,
    transports: Vec<String>,
    history: usize,
    /// Certificate and key files, for HTTPS.
    tls: Option<(PathBuf, PathBuf)>,
}

impl ServeArgs {
    /// Flags and environment over the file over the defaults.
    fn settings(&self) -> Result<Settings, String> {
        let file = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let args = self.clone();
        Ok(Settings {
            addr: args
                .addr
                .or(file.addr)
                .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 3000))),
            cors: args.cors.or(file.cors).unwrap_or_default(),
            ping_interval: args.ping_interval.or(file.ping_interval).unwrap_or(25_000),
            ping_timeout: args.ping_timeout.or(file.ping_timeout).unwrap_or(20_000),
            transports: args
                .transports
                .or(file.transports)
                .unwrap_or_else(|| vec!["polling".into(), "websocket".into()]),
            history: args.history.or(file.history).unwrap_or(50),
            tls: match (
                args.tls_cert.or(file.tls_cert),
                args.tls_key.or(file.tls_key),
            ) {
                (Some(cert), Some(key)) => Some((cert, key)),
                (None, None) => None,
                _ => return Err("tls_cert and tls_key go together".to_owned()),
            },
        })
    }
}

impl Settings {
    fn socket_io(&self) -> Result<SocketIo, String> {
        let mut transports = Vec::new();
        for name in &self.transports {
            transports.push(match name.trim() {
                "polling" => Transport::Polling,
                "websocket" => Transport::Websocket,
                other => return Err(format!("unknown transport {other:?}")),
            });
        }
        let mut builder = SocketIo::builder()
            .ping_interval(Duration::from_millis(self.ping_interval))
            .ping_timeout(Duration::from_millis(self.ping_timeout))
            .transports(transports)
            // An image and its packet framing.
            .max_http_buffer_size(chat::MAX_IMAGE + 64 * 1024);
        if !self.cors.is_empty() {
            builder = builder.cors(cors(&self.cors));
        }
        Ok(builder.build())
    }
}

fn cors(origins: &[String]) -> Cors {
    if origins.iter().any(|o| o == "*") {
        Cors::any()
    } else {
        Cors::origins(origins.iter().cloned())
    }
}

/// Runs the chat server until SIGINT or SIGTERM.
pub async fn run(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let settings = args.settings()?;
    let io = settings.socket_io()?;
    let assets = assets::Assets::new()?;
    chat::Chat::new(settings.history).mount(&io);
    let tls = match &settings.tls {
        Some((cert, key)) => Some(tls::server_config(cert, key)?),
        None => None,
    };
    let listener = duplex_engineio::bind(settings.addr)?;
    let local = listener.local_addr()?;
    println!("LISTENING {}", local.port());
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(addr = %local, "duplex serve: the chat is at {scheme}://{local}/");
    let site = site::Site::new(std::sync::Arc::new(assets), io.service());
    // Sessions are closed (clients told) before the open connections are drained.
    let closing = async move {
        shutdown_signal().await;
        io.shutdown().await;
    };
    match tls {
        Some(tls) => duplex_engineio::serve_service_tls(listener, tls, site, closing).await?,
        None => duplex_engineio::serve_service(listener, site, closing).await?,
    }
    tracing::info!("duplex serve: shut down");
    Ok(())
}

/// SIGINT (Ctrl-C) or SIGTERM, whichever comes first.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file_which_overrides_the_defaults() {
        let dir = std::env::temp_dir().join(format!("duplex-serve-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("serve.toml");
        std::fs::write(
            &path,
            "addr = \"0.0.0.0:4000\"\nping_interval = 1000\ncors = [\"*\"]\n",
        )
        .unwrap();
        let args = ServeArgs {
            config: Some(path.clone()),
            ping_interval: Some(2000),
            ..ServeArgs::default()
        };
        let settings = args.settings().unwrap();
        assert_eq!(settings.addr, "0.0.0.0:4000".parse().unwrap());
        assert_eq!(settings.ping_interval, 2000, "the flag wins");
        assert_eq!(settings.ping_timeout, 20_000, "the default");
        assert_eq!(settings.cors, ["*"]);
        std::fs::write(&path, "adress = \"x\"\n").unwrap();
        let error = args.settings().unwrap_err();
        assert!(error.contains("adress"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(ServeArgs::default().settings().unwrap().addr.port(), 3000);
    }
}
