//! The connection's task: opens the Engine.IO session when a namespace wants it, routes
//! packets to the namespaces, and after a loss (or a failed first attempt) reconnects with
//! backoff, as socket.io-client's `Manager` does.

use std::sync::Arc;

use duplex_socketio_proto::Decoder;
use tokio::sync::mpsc;

use super::manager::ManagerShared;
use super::socket::SocketShared;
use super::{ConnectError, DisconnectReason};
use crate::engineio::client::{self as engine, ClientEvent, Events};

/// What handles ask of the task.
pub(crate) enum Command {
    /// This socket wants to be connected.
    Activate(Arc<SocketShared>),
    /// A socket no longer wants to be: close the connection if none does.
    Release,
}

/// How a session ended.
enum Ended {
    /// Every socket let go: no reconnection.
    Released,
    /// Lost: reconnect (if enabled).
    Lost,
}

pub(crate) async fn run(
    manager: Arc<ManagerShared>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    // Failed attempts since the last success: the backoff's exponent.
    let mut attempts: u32 = 0;
    loop {
        if !manager.any_active() {
            // Drain what came meanwhile; an activation makes the loop go on.
            while let Ok(command) = commands.try_recv() {
                drop(command);
            }
            if manager.retire(&commands) {
                return;
            }
            continue;
        }
        let reconnecting = attempts > 0;
        if reconnecting {
            for f in &manager.handlers().attempt {
                f(attempts);
            }
        }
        let url = manager.engine_url();
        tracing::debug!(url, attempts, "connecting");
        let opened = tokio::select! {
            opened = engine::connect(&url, manager.config.engine.clone()) => Some(opened),
            () = released(&manager, &mut commands) => None,
        };
        match opened {
            None => attempts = 0,
            Some(Ok((client, events))) => {
                if reconnecting {
                    for f in &manager.handlers().reconnect {
                        f(attempts);
                    }
                }
                attempts = 0;
                match session(&manager, client, events, &mut commands).await {
                    Ended::Released => continue,
                    Ended::Lost if manager.config.reconnection => {}
                    Ended::Lost => {
                        wait_for_activation(&manager, &mut commands).await;
                        continue;
                    }
                }
            }
            Some(Err(error)) => {
                let error = ConnectError::Connection(Arc::new(error));
                for socket in manager.sockets() {
                    socket.attempt_failed(error.clone(), !manager.config.reconnection);
                }
                if reconnecting {
                    for f in &manager.handlers().error {
                        f(&error);
                    }
                }
                if !manager.config.reconnection {
                    wait_for_activation(&manager, &mut commands).await;
                    continue;
                }
            }
        }
        if attempts >= manager.config.reconnection_attempts {
            for f in &manager.handlers().failed {
                f();
            }
            for socket in manager.sockets() {
                socket.attempt_failed(ConnectError::ReconnectFailed, true);
            }
            attempts = 0;
            wait_for_activation(&manager, &mut commands).await;
            continue;
        }
        let delay = manager.config.backoff.delay(attempts, rand::random());
        attempts += 1;
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = released(&manager, &mut commands) => attempts = 0,
        }
    }
}

/// Resolves when no socket is active any more (activations meanwhile are noted, not lost:
/// the sockets are registered before their command is sent).
async fn released(manager: &ManagerShared, commands: &mut mpsc::UnboundedReceiver<Command>) {
    loop {
        match commands.recv().await {
            Some(Command::Release) if !manager.any_active() => return,
            None => return,
            _ => {}
        }
    }
}

/// Waits until a socket asks to connect after the connection gave up (or until none is
/// active, which ends the task).
async fn wait_for_activation(
    manager: &ManagerShared,
    commands: &mut mpsc::UnboundedReceiver<Command>,
) {
    loop {
        match commands.recv().await {
            Some(Command::Activate(_)) => return,
            Some(Command::Release) if !manager.any_active() => return,
            Some(Command::Release) => {}
            None => return,
        }
    }
}

/// Runs one open session until it ends.
async fn session(
    manager: &Arc<ManagerShared>,
    client: engine::Client,
    mut events: Events,
    commands: &mut mpsc::UnboundedReceiver<Command>,
) -> Ended {
    for socket in manager.sockets() {
        socket.open(&client).await;
    }
    let mut decoder = Decoder::with_parser(manager.config.parser, manager.config.max_attachments);
    let mut releasing = false;
    let mut parse_error = false;
    loop {
        tokio::select! {
            event = events.recv() => {
                let closed = match event {
                    Some(ClientEvent::Message(message)) => {
                        match decoder.decode(message) {
                            Ok(Some(packet)) => {
                                if let Some(socket) = manager.socket_for(&packet.nsp) {
                                    socket.receive(packet);
                                }
                            }
                            Ok(None) => {}
                            Err(error) => {
                                tracing::debug!(%error, "undecodable packet from the server");
                                parse_error = true;
                                client.close();
                            }
                        }
                        continue;
                    }
                    Some(ClientEvent::Close(reason)) => {
                        tracing::debug!(?reason, releasing, "connection closed");
                        Some(reason)
                    }
                    None => None,
                    Some(_) => continue,
                };
                let reason = if parse_error {
                    DisconnectReason::ParseError
                } else {
                    closed.map_or(DisconnectReason::TransportError, DisconnectReason::from_close)
                };
                for socket in manager.sockets() {
                    socket.close(reason);
                }
                return if releasing { Ended::Released } else { Ended::Lost };
            }
            command = commands.recv() => match command {
                // A closing connection is not offered to a namespace: the next one is.
                Some(Command::Activate(socket)) if !releasing => socket.open(&client).await,
                Some(Command::Activate(_)) => {}
                Some(Command::Release) | None => {
                    if !manager.any_active() && !releasing {
                        releasing = true;
                        client.close();
                    }
                }
            },
        }
    }
}
