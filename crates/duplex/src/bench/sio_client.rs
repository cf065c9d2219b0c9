//! The Socket.IO side of the `sio-*` load generators: a WebSocket-only Engine.IO
//! session joined to one namespace, packets written and checked as text, written
//! against the protocol (not against our server crate) so the same load runs
//! against any Socket.IO v5 server. Issue 5's client replaces this once it exists.

use std::io::Write;

use bytes::Bytes;
use duplex_ws::Message;
use tokio::io::AsyncBufReadExt;

use super::eio_client::{
    BenchError, EioSocket, Endpoint, open_websocket_session, recv_packet, show,
};

/// A Socket.IO connection to one namespace over a WebSocket-only session.
pub struct SioSocket {
    socket: EioSocket,
    pings: u64,
}

impl SioSocket {
    /// Opens the session and joins `namespace` (see [`join_namespace`]).
    pub async fn connect(
        endpoint: &Endpoint,
        namespace: &str,
        max_packet: usize,
    ) -> Result<Self, BenchError> {
        let (mut socket, _) = open_websocket_session(endpoint, max_packet).await?;
        join_namespace(&mut socket, namespace).await?;
        Ok(SioSocket { socket, pings: 0 })
    }

    /// The next Socket.IO packet (the Engine.IO `4` stripped); server pings are
    /// answered on the way (the pong goes with the next flush).
    pub async fn recv(&mut self) -> Result<Bytes, BenchError> {
        loop {
            let packet = recv_packet(&mut self.socket).await?;
            match packet.first() {
                Some(b'4') => return Ok(packet.slice(1..)),
                Some(b'2') if packet.len() == 1 => {
                    self.socket.feed(Message::text("3")).await?;
                    self.pings += 1;
                }
                _ => {
                    return Err(
                        format!("expected a message or a ping, got {}", show(&packet)).into(),
                    );
                }
            }
        }
    }

    /// Queues a Socket.IO packet; it leaves with the next flush (or pending receive).
    pub async fn feed(&mut self, packet: &str) -> Result<(), BenchError> {
        let mut text = String::with_capacity(packet.len() + 1);
        text.push('4');
        text.push_str(packet);
        self.socket.feed(Message::text(text)).await?;
        Ok(())
    }

    /// Sends what is queued.
    pub async fn flush(&mut self) -> Result<(), BenchError> {
        self.socket.flush().await?;
        Ok(())
    }

    /// Sends an event with ack id `id` and waits for its ack, skipping nothing else:
    /// used for setup steps (`join`), when no other traffic is expected.
    pub async fn call(&mut self, id: u64, event_args: &str) -> Result<Bytes, BenchError> {
        self.feed(&format!("2{id}{event_args}")).await?;
        self.flush().await?;
        let answer = self.recv().await?;
        let prefix = format!("3{id}[");
        if !answer.starts_with(prefix.as_bytes()) {
            return Err(format!("expected the ack `{prefix}..`, got {}", show(&answer)).into());
        }
        Ok(answer)
    }

    /// Server pings answered so far.
    pub fn pings(&self) -> u64 {
        self.pings
    }

    /// Closes the WebSocket.
    pub async fn close(mut self) -> Result<(), BenchError> {
        self.socket.close(None).await?;
        Ok(())
    }
}

/// Joins `namespace` on a fresh session: `40` (`40/ns,` elsewhere than `/`),
/// answered by `40{"sid":..}`; a CONNECT_ERROR (`44`) or anything else fails with
/// what came. Pings are answered meanwhile (socketioxide pings right after the
/// handshake).
pub async fn join_namespace(socket: &mut EioSocket, namespace: &str) -> Result<(), BenchError> {
    let connect = if namespace == "/" {
        "40".to_owned()
    } else {
        format!("40{namespace},")
    };
    socket.send(Message::text(connect.clone())).await?;
    loop {
        let answer = recv_packet(socket).await?;
        if &answer[..] == b"2" {
            socket.send(Message::text("3")).await?;
            continue;
        }
        return match answer.strip_prefix(connect.as_bytes()) {
            Some(rest) if rest.starts_with(b"{") => Ok(()),
            _ => Err(format!(
                "joining {namespace}: expected `{connect}{{..}}`, got {}",
                show(&answer)
            )
            .into()),
        };
    }
}

/// Splits an ack packet `3<id>[...]` into its id and its arguments (`[...]`).
pub fn split_ack(packet: &[u8]) -> Option<(u64, &[u8])> {
    let rest = packet.strip_prefix(b"3")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 19 {
        return None;
    }
    let id = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    Some((id, &rest[digits..]))
}

/// With `--sync`, the measured phase is bracketed for the driving script, which
/// samples the server's CPU time between the two marks, leaving connection setup
/// and teardown out: `READY` is printed once every connection is up, the load
/// starts when a line arrives on stdin, and [`measured`] prints `DONE` after it.
pub async fn ready(sync: bool) -> std::io::Result<()> {
    if sync {
        println!("READY");
        std::io::stdout().flush()?;
        let mut line = String::new();
        tokio::io::BufReader::new(tokio::io::stdin())
            .read_line(&mut line)
            .await?;
    }
    Ok(())
}

/// Marks the end of the measured phase (see [`ready`]).
pub fn measured(sync: bool) -> std::io::Result<()> {
    if sync {
        println!("DONE");
        std::io::stdout().flush()?;
    }
    Ok(())
}

/// The value at quantile `q` (0..=1) of sorted samples, 0 when there are none.
pub fn quantile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_acks() {
        assert_eq!(split_ack(b"312[\"a\"]"), Some((12, &b"[\"a\"]"[..])));
        assert_eq!(split_ack(b"30[]"), Some((0, &b"[]"[..])));
        assert_eq!(split_ack(b"3[]"), None);
        assert_eq!(split_ack(b"2[\"x\"]"), None);
        assert_eq!(split_ack(b"399999999999999999999[]"), None);
    }

    #[test]
    fn quantiles_of_sorted_samples() {
        let samples: Vec<u32> = (1..=100).collect();
        assert_eq!(quantile(&samples, 0.5), 51);
        assert_eq!(quantile(&samples, 0.99), 99);
        assert_eq!(quantile(&samples, 1.0), 100);
        assert_eq!(quantile(&[], 0.5), 0);
    }
}
