//! Where the WebSocket load generators connect from and to: plain `ws://` servers, and
//! `--source-addrs`, the local addresses spread over so one test can hold more connections
//! to one server address than one source address has ephemeral ports.

use std::net::{IpAddr, SocketAddr};

use duplex_ws::ClientRequest;
use tokio::net::{TcpSocket, TcpStream};

/// The `--source-addrs` option.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SourceArgs {
    /// Local addresses to connect from, round robin (e.g. `127.0.0.2,127.0.0.3`); each
    /// gives another ~28k ephemeral ports towards the same server address.
    #[arg(long, value_delimiter = ',', alias = "sources")]
    pub source_addrs: Vec<IpAddr>,
}

impl SourceArgs {
    /// The address connection `index` comes from; `None`: the kernel's choice.
    pub fn pick(&self, index: usize) -> Option<IpAddr> {
        (!self.source_addrs.is_empty()).then(|| self.source_addrs[index % self.source_addrs.len()])
    }
}

/// The address of the plain `ws://` server at `url`; `command` names the load generator
/// in the refusal of `wss://`.
pub async fn plain_ws_server(
    url: &str,
    command: &str,
) -> Result<SocketAddr, Box<dyn std::error::Error>> {
    let request = ClientRequest::new(url)?;
    if request.is_tls() {
        return Err(format!("{command} measures plain ws:// servers only").into());
    }
    let server = tokio::net::lookup_host((request.host(), request.port()))
        .await?
        .next()
        .ok_or("the server host resolves to no address")?;
    Ok(server)
}

/// A TCP connection to `server`, from `source` if given.
pub async fn dial(server: SocketAddr, source: Option<IpAddr>) -> std::io::Result<TcpStream> {
    let socket = match server {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    if let Some(source) = source {
        socket.bind(SocketAddr::new(source, 0))?;
    }
    let stream = socket.connect(server).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_taken_in_turn() {
        let none = SourceArgs::default();
        assert_eq!(none.pick(3), None);
        let two = SourceArgs {
            source_addrs: vec![[127, 0, 0, 2].into(), [127, 0, 0, 3].into()],
        };
        let picked: Vec<_> = (0..3).map(|i| two.pick(i)).collect();
        assert_eq!(
            picked,
            [
                Some([127, 0, 0, 2].into()),
                Some([127, 0, 0, 3].into()),
                Some([127, 0, 0, 2].into())
            ]
        );
    }

    #[tokio::test]
    async fn connections_come_from_the_source() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = listener.local_addr().unwrap();
        let source: IpAddr = [127, 0, 0, 2].into();
        let (stream, accepted) = tokio::join!(dial(server, Some(source)), listener.accept());
        assert_eq!(stream.unwrap().local_addr().unwrap().ip(), source);
        assert_eq!(accepted.unwrap().1.ip(), source);
        let url = format!("ws://{server}/");
        assert_eq!(plain_ws_server(&url, "x").await.ok(), Some(server));
        let refused = plain_ws_server("wss://127.0.0.1/", "ws-idle").await;
        assert!(refused.unwrap_err().to_string().contains("ws-idle"));
    }
}
