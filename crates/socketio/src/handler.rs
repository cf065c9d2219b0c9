//! Handlers and the values they take: `socket.on("event", |socket: SocketRef, Data(x):
//! Data<T>, ack: AckSender| async move { ... })`. Each parameter is extracted from the event
//! ([`FromEvent`]); when one cannot be (say the data does not deserialize into `T`), the
//! handler is not called and the event is logged and dropped.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Waker};

use bytes::Bytes;
use duplex_socketio_proto::Utf8Bytes;
use duplex_socketio_proto::args;
use serde::de::DeserializeOwned;

use crate::ack::AckSender;
use crate::socket::Socket;

/// A reference to a socket, as handlers receive it.
pub type SocketRef = Arc<Socket>;

/// What an event handler is called with.
#[derive(Debug, Clone)]
pub struct EventContext {
    pub(crate) socket: Arc<Socket>,
    pub(crate) event: String,
    pub(crate) data: Utf8Bytes,
    pub(crate) attachments: Vec<Bytes>,
    pub(crate) ack_id: Option<u64>,
}

impl EventContext {
    /// The event name.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// The raw JSON array `["event", ...args]`.
    pub fn raw(&self) -> &str {
        &self.data
    }

    /// The binary attachments.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// The socket that received the event.
    pub fn socket(&self) -> &SocketRef {
        &self.socket
    }

    /// The arguments as they arrived (raw JSON and attachments), to send on unchanged.
    pub fn raw_args(&self) -> RawArgs {
        let raw = RawArgs {
            json: args::raw_args(&self.data, 1)
                .unwrap_or_default()
                .into_owned(),
            attachments: self.attachments.clone(),
        };
        if raw.attachments.len() < 2 {
            return raw;
        }
        // Placeholders numbered out of order (a client may write them so) are renumbered in
        // the order they appear, as socket.io re-encodes them, by a round trip through values.
        match raw
            .values()
            .and_then(|values| RawArgs::from_values(&values))
        {
            Ok(renumbered) => renumbered,
            Err(_) => raw,
        }
    }

    /// The arguments, deserialized (see [`Data`]).
    pub fn args<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        args::decode_event_args(&self.data, &self.attachments)
    }
}

/// Arguments kept as raw JSON (with their binary attachments), passed on byte for byte: key
/// order, number formatting and placeholders unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawArgs {
    pub(crate) json: String,
    pub(crate) attachments: Vec<Bytes>,
}

impl RawArgs {
    /// Arguments from their raw JSON, comma-separated (`1,"two"`), and the attachments their
    /// placeholders refer to.
    pub fn new(json: impl Into<String>, attachments: Vec<Bytes>) -> RawArgs {
        RawArgs {
            json: json.into(),
            attachments,
        }
    }

    /// One argument given as raw JSON.
    pub fn from_json(json: &str) -> RawArgs {
        RawArgs::new(json, Vec::new())
    }

    /// The values as arguments, one each ([`Value::Binary`](crate::Value) as attachments).
    pub fn from_values(values: &[crate::Value]) -> Result<RawArgs, serde_json::Error> {
        let (data, attachments) = args::encode_ack(&args::Spread(values))?;
        Ok(RawArgs::new(
            args::raw_args(&data, 0).unwrap_or_default(),
            attachments,
        ))
    }

    /// The arguments as values, one each.
    pub fn values(&self) -> Result<Vec<crate::Value>, serde_json::Error> {
        args::decode_each(&format!("[{}]", self.json), 0, &self.attachments)
    }

    /// The raw JSON of the arguments, comma-separated.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The attachments.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }
}

impl FromEvent for RawArgs {
    fn from_event(ctx: &EventContext) -> Result<Self, ExtractError> {
        Ok(ctx.raw_args())
    }
}

/// Why a handler parameter could not be extracted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The arguments do not deserialize into the requested type.
    #[error("event arguments: {0}")]
    Data(#[from] serde_json::Error),
    /// No app-wide state of the requested type was given to the builder.
    #[error("no state of type {0} (SocketIoBuilder::with_state)")]
    State(&'static str),
}

/// A handler parameter taken from an event.
pub trait FromEvent: Sized {
    /// Extracts the value.
    fn from_event(ctx: &EventContext) -> Result<Self, ExtractError>;
}

impl FromEvent for SocketRef {
    fn from_event(ctx: &EventContext) -> Result<Self, ExtractError> {
        Ok(ctx.socket.clone())
    }
}

/// App-wide state given to [`SocketIoBuilder::with_state`](crate::SocketIoBuilder::with_state),
/// cloned out for the handler.
#[derive(Debug, Clone)]
pub struct State<T>(pub T);

impl<T: std::any::Any + Clone> FromEvent for State<T> {
    fn from_event(ctx: &EventContext) -> Result<Self, ExtractError> {
        ctx.socket
            .state::<T>()
            .map(State)
            .ok_or(ExtractError::State(std::any::type_name::<T>()))
    }
}

/// The event's arguments deserialized into `T`: one argument as `T` itself (or a one-tuple),
/// several as a tuple or sequence. [`Binary`](crate::Binary) fields receive attachments.
#[derive(Debug, Clone, PartialEq)]
pub struct Data<T>(pub T);

impl<T: DeserializeOwned> FromEvent for Data<T> {
    fn from_event(ctx: &EventContext) -> Result<Self, ExtractError> {
        Ok(Data(ctx.args()?))
    }
}

/// Like [`Data`], but the handler runs anyway and sees the error.
#[derive(Debug)]
pub struct TryData<T>(pub Result<T, serde_json::Error>);

impl<T: DeserializeOwned> FromEvent for TryData<T> {
    fn from_event(ctx: &EventContext) -> Result<Self, ExtractError> {
        Ok(TryData(ctx.args()))
    }
}

/// Every binary attachment of the event, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bin(pub Vec<Bytes>);

impl FromEvent for Bin {
    fn from_event(ctx: &EventContext) -> Result<Self, ExtractError> {
        Ok(Bin(ctx.attachments.clone()))
    }
}

/// The event's name (useful in catch-all handlers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event(pub String);

impl FromEvent for Event {
    fn from_event(ctx: &EventContext) -> Result<Self, ExtractError> {
        Ok(Event(ctx.event.clone()))
    }
}

impl FromEvent for AckSender {
    fn from_event(ctx: &EventContext) -> Result<Self, ExtractError> {
        Ok(AckSender::new(ctx.socket.clone(), ctx.ack_id))
    }
}

impl FromEvent for EventContext {
    fn from_event(ctx: &EventContext) -> Result<Self, ExtractError> {
        Ok(ctx.clone())
    }
}

/// A function that handles events; implemented for async closures taking up to six
/// [`FromEvent`] parameters.
pub trait EventHandler<Params>: Send + Sync + 'static {
    /// Extracts the parameters and runs the handler.
    fn call(&self, ctx: EventContext);
}

macro_rules! event_handler {
    ($($param:ident),*) => {
        impl<F, Fut, $($param,)*> EventHandler<($($param,)*)> for F
        where
            F: Fn($($param),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = ()> + Send + 'static,
            $($param: FromEvent,)*
        {
            #[allow(non_snake_case, unused_variables)]
            fn call(&self, ctx: EventContext) {
                $(
                    let $param = match $param::from_event(&ctx) {
                        Ok(value) => value,
                        Err(e) => {
                            tracing::debug!(event = %ctx.event, error = %e, "handler not called");
                            return;
                        }
                    };
                )*
                run(self($($param),*));
            }
        }
    };
}

event_handler!();
event_handler!(A);
event_handler!(A, B);
event_handler!(A, B, C);
event_handler!(A, B, C, D);
event_handler!(A, B, C, D, E);
event_handler!(A, B, C, D, E, G);

/// A type-erased event handler.
pub(crate) type BoxedEventHandler = Arc<dyn Fn(EventContext) + Send + Sync>;

pub(crate) fn boxed_event_handler<H, P>(handler: H) -> BoxedEventHandler
where
    H: EventHandler<P>,
    P: 'static,
{
    Arc::new(move |ctx| handler.call(ctx))
}

/// Runs a handler's future: polled once right here (most handlers finish without waiting,
/// and then events are handled in arrival order at no scheduling cost), spawned if it waits.
pub(crate) fn run<F: Future<Output = ()> + Send + 'static>(future: F) {
    let mut future = Box::pin(future);
    let mut cx = Context::from_waker(Waker::noop());
    if future.as_mut().poll(&mut cx).is_pending() {
        tokio::spawn(future);
    }
}

/// A pinned, boxed, sendable future.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
