//! [`AckFuture`]: the server's answer to an emit, awaited with an optional timeout.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Weak;
use std::time::Duration;

use duplex_socketio_proto::{Packet, args};
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::socket::SocketShared;
use crate::error::AckError;
use crate::handler::RawArgs;

/// What the socket keeps for an emit awaiting its ack.
pub(crate) type Answer = oneshot::Sender<Result<Packet, AckError>>;

/// The answer to [`Socket::emit_with_ack`](super::Socket::emit_with_ack), deserialized as
/// `T` when awaited. Dropping it forgets the ack (a late answer is ignored).
#[derive(Debug)]
#[must_use = "an ack future does nothing unless awaited"]
pub struct AckFuture<T> {
    pub(crate) rx: oneshot::Receiver<Result<Packet, AckError>>,
    /// The socket and ack id to forget on timeout or drop; `None` when the retry queue
    /// owns the timing.
    pub(crate) forget: Option<(Weak<SocketShared>, u64)>,
    pub(crate) deadline: Option<Instant>,
    pub(crate) _type: PhantomData<fn() -> T>,
}

impl<T> AckFuture<T> {
    /// Fails with [`AckError::Timeout`] if no answer came `timeout` after now (about when the
    /// emit was made), replacing the socket's `ack_timeout`. Ignored for emits that go
    /// through the retry queue: there `ack_timeout` paces the tries.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        if self.forget.is_some() {
            self.deadline = Some(Instant::now() + timeout);
        }
        self
    }

    /// The answer's arguments, raw.
    pub async fn raw(self) -> Result<RawArgs, AckError> {
        let packet = self.packet().await?;
        let data = packet.data.as_deref().unwrap_or("[]");
        Ok(RawArgs::new(
            args::raw_args(data, 0).unwrap_or_default(),
            packet.attachments,
        ))
    }

    async fn packet(mut self) -> Result<Packet, AckError> {
        let rx = &mut self.rx;
        let result = match self.deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, rx).await {
                Ok(answer) => answer,
                Err(_) => return Err(AckError::Timeout),
            },
            None => rx.await,
        };
        match result {
            Ok(answer) => {
                self.forget = None;
                answer
            }
            Err(_) => Err(AckError::Disconnected),
        }
    }
}

impl<T> Drop for AckFuture<T> {
    fn drop(&mut self) {
        if let Some((socket, id)) = self.forget.take() {
            if let Some(socket) = socket.upgrade() {
                socket.forget_ack(id);
            }
        }
    }
}

impl<T: DeserializeOwned + Send + 'static> IntoFuture for AckFuture<T> {
    type Output = Result<T, AckError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T, AckError>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let packet = self.packet().await?;
            let data = packet.data.as_deref().unwrap_or("[]");
            args::decode_ack_args(data, &packet.attachments).map_err(AckError::Decode)
        })
    }
}
