//! The WebSocket transport: sessions opened over WebSocket, the upgrade of a polling session,
//! and the task that carries a session's packets both ways.
//!
//! ```text
//! Upgrade of a polling session (the polling transport keeps working until `5`):
//!
//!   client                         server
//!   GET ws ?sid=..    ───────────▶  101, claim the upgrade (one probe per session)
//!   2probe            ───────────▶  3probe; from now on every GET is answered at once,
//!                                   with a noop if nothing is queued
//!                     ◀───────────  (the client pauses polling once its GET returns)
//!   5                 ───────────▶  the session's transport is now this WebSocket; packets
//!                                   still queued leave on it, in order
//!   anything else, or no `5` within upgrade_timeout: the WebSocket is closed and the
//!   session carries on over polling.
//! ```
//!
//! Which step is allowed when (one probe per session, none after the close, no way back from
//! WebSocket) is decided by the session state, [`SessionState`], in duplex-engineio-proto.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use duplex_engineio_proto::packet::PROBE;
use duplex_engineio_proto::server::SessionState;
use duplex_engineio_proto::{Packet, Protocol};
use duplex_ws::proto::handshake::Rejection;
use duplex_ws::{Message as WsMessage, WebSocket};
use futures_util::FutureExt;
use http::Request;
use http_body_util::Full;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::config::Transport;
use crate::endpoint::{EngineResponse, set_cookie};
use crate::engine::Shared;
use crate::error::ProtocolError;
use crate::handler::{CloseReason, Handler};
use crate::metrics::{Direction, Tally};
use crate::prepared::Outgoing;
use crate::request::HandshakeRequest;
use crate::socket::Socket;

/// Most messages handled between two writes.
const READ_BATCH: usize = 64;

/// How long a closing WebSocket waits for the client's close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// A session opened directly over WebSocket.
pub(crate) fn handshake<H: Handler, B>(
    shared: &Arc<Shared<H>>,
    mut request: Request<B>,
    protocol: Protocol,
    handshake: Arc<HandshakeRequest>,
) -> Result<EngineResponse, ProtocolError> {
    let (response, pending) = match duplex_ws::upgrade(&mut request, &shared.ws) {
        Ok(accepted) => accepted,
        Err(rejection) => return Ok(rejection_response(&rejection)),
    };
    let socket = shared.open_session(protocol, Transport::Websocket, handshake);
    let mut response = response.map(|()| Full::new(Bytes::new()));
    set_cookie(shared, &socket, response.headers_mut());
    let shared = shared.clone();
    tokio::spawn(async move {
        match pending.await {
            Ok(ws) => carry(&shared, &socket, ws).await,
            Err(_) => {
                socket.close_with(CloseReason::TransportError);
            }
        }
    });
    Ok(response)
}

/// A WebSocket that asks to take over a polling session.
pub(crate) fn upgrade<H: Handler, B>(
    shared: &Arc<Shared<H>>,
    socket: Arc<Socket>,
    mut request: Request<B>,
) -> Result<EngineResponse, ProtocolError> {
    if !shared.config.allow_upgrades || !duplex_ws::is_upgrade_request(&request) {
        return Err(ProtocolError::BadRequest);
    }
    socket.transition(SessionState::begin_probe)?;
    let (response, pending) = match duplex_ws::upgrade(&mut request, &shared.ws) {
        Ok(accepted) => accepted,
        Err(rejection) => {
            socket.update(SessionState::abort_probe);
            return Ok(rejection_response(&rejection));
        }
    };
    let shared = shared.clone();
    tokio::spawn(async move {
        let Ok(mut ws) = pending.await else {
            socket.update(SessionState::abort_probe);
            return;
        };
        let probed = {
            let probing =
                tokio::time::timeout(shared.config.upgrade_timeout, probe(&socket, &mut ws));
            tokio::pin!(probing);
            tokio::select! {
                probed = &mut probing => matches!(probed, Ok(Ok(()))),
                // Closed mid-probe: a client that has sent (or is sending) `5` reads only this
                // WebSocket from then on, so the probe gets a moment to finish and the packets
                // queued before the close (a `41`, say) still reach the client over it.
                _ = socket.closed.cancelled() => {
                    let rest = tokio::time::timeout(CLOSE_GRACE, &mut probing).await;
                    matches!(rest, Ok(Ok(Ok(()))))
                }
            }
        };
        if probed && socket.finish_upgrade().is_ok() {
            shared.upgraded(&socket);
            carry(&shared, &socket, ws).await;
        } else {
            socket.update(SessionState::abort_probe);
            let _ = tokio::time::timeout(CLOSE_GRACE, ws.close(None)).await;
        }
    });
    Ok(response.map(|()| Full::new(Bytes::new())))
}

/// `2probe` → `3probe`, then `5`. Anything else fails the probe.
async fn probe<S>(socket: &Socket, ws: &mut WebSocket<S>) -> Result<(), ()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let protocol = socket.protocol();
    if !next_packet(ws, protocol).await?.is_probe_ping() {
        return Err(());
    }
    ws.send(Packet::Pong(PROBE.into()).to_ws_message(protocol))
        .await
        .map_err(drop)?;
    socket.probe_answered().map_err(drop)?;
    match next_packet(ws, protocol).await? {
        Packet::Upgrade => Ok(()),
        _ => Err(()),
    }
}

async fn next_packet<S>(ws: &mut WebSocket<S>, protocol: Protocol) -> Result<Packet, ()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match ws.recv().await {
            Some(Ok(WsMessage::Text(text))) => {
                return Packet::decode_text(text, false).map_err(drop);
            }
            Some(Ok(WsMessage::Binary(data))) => {
                return Packet::decode_binary(data, protocol).map_err(drop);
            }
            Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {}
            Some(Ok(WsMessage::Close(_)) | Err(_)) | None => return Err(()),
        }
    }
}

/// Carries the session over `ws` until it ends: queued packets out (batched into one write
/// per wake-up), packets in to the handler.
async fn carry<H: Handler, S>(shared: &Shared<H>, socket: &Arc<Socket>, mut ws: WebSocket<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let protocol = socket.protocol();
    let binary = socket.supports_binary();
    // Made once: each wake-up would otherwise register a fresh waiter on the token.
    let closed = socket.closed.cancelled();
    tokio::pin!(closed);
    loop {
        let changed = socket.outbox.changed();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let packets = socket.outbox.take_all();
        if !packets.is_empty() {
            let mut sent = Tally::default();
            let write = async {
                for outgoing in &packets {
                    match outgoing {
                        // Over WebSocket the close is the close frame; the close packet is
                        // for long-polls.
                        Outgoing::Packet(Packet::Close) => {}
                        Outgoing::Packet(packet) => {
                            let message = frame(packet, protocol, binary);
                            sent.add(message.len());
                            ws.feed(message).await?
                        }
                        Outgoing::Prepared(prepared) => {
                            match prepared.frame_for(protocol, binary) {
                                Some(frame) => {
                                    sent.add(prepared.ws_payload_len());
                                    ws.feed_prepared(frame).await?
                                }
                                None => {
                                    let packet = Packet::Message(prepared.message().clone());
                                    let message = frame(&packet, protocol, binary);
                                    sent.add(message.len());
                                    ws.feed(message).await?
                                }
                            }
                        }
                    }
                }
                ws.flush().await
            };
            // A client that stops reading also stops answering pings: the heartbeat closes
            // the session, which must not wait on a write that never completes. Once closed,
            // what is left is written within the close grace period.
            let written = if socket.is_closed() {
                matches!(tokio::time::timeout(CLOSE_GRACE, write).await, Ok(Ok(())))
            } else {
                tokio::select! {
                    biased;
                    written = write => written.is_ok(),
                    _ = closed.as_mut() => false,
                }
            };
            if !written {
                socket.close_with(CloseReason::TransportError);
                break;
            }
            shared.traffic(Transport::Websocket, Direction::Out, || sent);
            continue;
        }
        if socket.is_closed() {
            break;
        }
        tokio::select! {
            biased;
            _ = closed.as_mut() => {}
            message = ws.recv() => {
                let mut received = Tally::default();
                on_message(shared, socket, message, &mut received);
                // Handle what already arrived before writing, so the answers to a burst
                // leave in one write instead of one each.
                for _ in 1..READ_BATCH {
                    match ws.recv().now_or_never() {
                        Some(message) if !socket.is_closed() => {
                            on_message(shared, socket, message, &mut received)
                        }
                        _ => break,
                    }
                }
                shared.traffic(Transport::Websocket, Direction::In, || received);
            }
            _ = &mut changed => {}
        }
    }
    let _ = tokio::time::timeout(CLOSE_GRACE, ws.close(None)).await;
}

fn on_message<H: Handler>(
    shared: &Shared<H>,
    socket: &Arc<Socket>,
    message: Option<Result<WsMessage, duplex_ws::Error>>,
    received: &mut Tally,
) {
    let packet = match message {
        Some(Ok(WsMessage::Text(text))) => {
            received.add(text.len());
            Packet::decode_ws_text(text, socket.protocol())
        }
        Some(Ok(WsMessage::Binary(data))) => {
            received.add(data.len());
            Packet::decode_binary(data, socket.protocol())
        }
        Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => return,
        Some(Ok(WsMessage::Close(_))) | None => {
            socket.close_with(CloseReason::TransportClose);
            return;
        }
        // A connection that ends without a close frame is a transport close, as the
        // reference server reports it.
        Some(Err(duplex_ws::Error::AbnormalClosure)) => {
            socket.close_with(CloseReason::TransportClose);
            return;
        }
        Some(Err(e)) => {
            tracing::debug!(sid = %socket.id(), transport = "websocket", error = %e, "websocket failed");
            socket.close_with(CloseReason::TransportError);
            return;
        }
    };
    match packet {
        Ok(packet) => shared.on_packet(socket, packet),
        Err(e) => {
            tracing::debug!(sid = %socket.id(), transport = "websocket", error = %e, "malformed packet");
            socket.close_with(CloseReason::ParseError);
        }
    }
}

/// The frame for `packet`: binary messages in base64 text for clients that asked (`b64=1`).
fn frame(packet: &Packet, protocol: Protocol, binary: bool) -> WsMessage {
    if binary {
        packet.to_ws_message(protocol)
    } else {
        packet.to_ws_message_base64(protocol)
    }
}

fn rejection_response(rejection: &Rejection) -> EngineResponse {
    rejection
        .to_response()
        .map(|body| Full::new(Bytes::from(body)))
}
