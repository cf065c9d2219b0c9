//! Acknowledgements both ways: answering the client's (`AckSender`) and awaiting the
//! client's answer to ours (`AckFuture`).

use std::future::IntoFuture;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use duplex_socketio_proto::{Utf8Bytes, args};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use crate::error::{AckError, SendError};
use crate::handler::{BoxFuture, RawArgs};
use crate::socket::Socket;

/// The answer to an emit with ack: the ack packet's data and attachments.
#[derive(Debug)]
pub(crate) struct AckResponse {
    pub(crate) data: Utf8Bytes,
    pub(crate) attachments: Vec<Bytes>,
}

/// Answers an event the client sent with an acknowledgement callback. Answering consumes it:
/// an ack is sent at most once.
#[derive(Debug)]
pub struct AckSender {
    socket: Arc<Socket>,
    id: Option<u64>,
}

impl AckSender {
    pub(crate) fn new(socket: Arc<Socket>, id: Option<u64>) -> AckSender {
        AckSender { socket, id }
    }

    /// Whether the client asked for an acknowledgement.
    pub fn is_expected(&self) -> bool {
        self.id.is_some()
    }

    /// Sends the acknowledgement with `args` (spread like emit arguments: a tuple gives
    /// several). Does nothing when the client asked for none.
    pub fn send<T: Serialize + ?Sized>(self, args: &T) -> Result<(), SendError> {
        match self.id {
            Some(id) => self.socket.send_ack(id, args),
            None => Ok(()),
        }
    }
}

impl AckSender {
    /// Sends the acknowledgement with arguments received earlier, unchanged.
    pub fn send_raw(self, args: &RawArgs) -> Result<(), SendError> {
        match self.id {
            Some(id) => self.socket.send_raw_ack(id, args),
            None => Ok(()),
        }
    }
}

/// The client's answer to an emit, deserialized into `T`. Await it, optionally after
/// setting a [`timeout`](AckFuture::timeout).
#[must_use = "an ack future does nothing unless awaited"]
pub struct AckFuture<T> {
    receiver: oneshot::Receiver<AckResponse>,
    timeout: Option<Duration>,
    _answer: PhantomData<fn() -> T>,
}

impl<T> AckFuture<T> {
    pub(crate) fn new(receiver: oneshot::Receiver<AckResponse>, timeout: Option<Duration>) -> Self {
        AckFuture {
            receiver,
            timeout,
            _answer: PhantomData,
        }
    }

    /// Fails with [`AckError::Timeout`] if no answer arrives within `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl<T> AckFuture<T> {
    /// The answer as raw arguments, whatever their shape (binary included).
    pub async fn raw(self) -> Result<RawArgs, AckError> {
        let answer = match self.timeout {
            Some(limit) => tokio::time::timeout(limit, self.receiver)
                .await
                .map_err(|_| AckError::Timeout)?,
            None => self.receiver.await,
        };
        let answer = answer.map_err(|_| AckError::Disconnected)?;
        let json = args::raw_args(&answer.data, 0).unwrap_or_default();
        Ok(RawArgs::new(json, answer.attachments))
    }
}

impl<T: DeserializeOwned + Send + 'static> IntoFuture for AckFuture<T> {
    type Output = Result<T, AckError>;
    type IntoFuture = BoxFuture<'static, Result<T, AckError>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let answer = match self.timeout {
                Some(limit) => tokio::time::timeout(limit, self.receiver)
                    .await
                    .map_err(|_| AckError::Timeout)?,
                None => self.receiver.await,
            };
            let answer = answer.map_err(|_| AckError::Disconnected)?;
            args::decode_ack_args(&answer.data, &answer.attachments).map_err(AckError::Decode)
        })
    }
}
