//! The UI's commands, as the package handles them on socket.io v4: each names a namespace
//! and an optional filter (a room, or a socket id: a socket's own room) and acts on every
//! matching socket.
//!
//! - `emit(nsp, filter, event, ...args)`: sends `event` with `args` to them.
//! - `join(nsp, room, filter)` / `leave(nsp, room, filter)`: `socketsJoin` / `socketsLeave`.
//! - `_disconnect(nsp, close, filter)`: `disconnectSockets(close)`.

use std::sync::Weak;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::handler::{EventContext, RawArgs, SocketRef};
use crate::io::IoInner;
use crate::operators::BroadcastOperators;

/// Handles the commands on an admin socket.
pub(super) fn register(socket: &SocketRef, io: Weak<IoInner>) {
    let emit_io = io.clone();
    socket.on("emit", move |ctx: EventContext| {
        emit(&emit_io, ctx.raw());
        async {}
    });
    for (command, join) in [("join", true), ("leave", false)] {
        let io = io.clone();
        socket.on(command, move |ctx: EventContext| {
            let target = membership(&io, ctx.raw());
            async move {
                let Some((operators, room)) = target else {
                    return;
                };
                let done = if join {
                    operators.sockets_join(room).await
                } else {
                    operators.sockets_leave(room).await
                };
                if let Err(e) = done {
                    tracing::debug!(error = %e, "admin room command failed");
                }
            }
        });
    }
    socket.on("_disconnect", move |ctx: EventContext| {
        let target = disconnection(&io, ctx.raw());
        async move {
            let Some((operators, close)) = target else {
                return;
            };
            if let Err(e) = operators.disconnect_sockets(close).await {
                tracing::debug!(error = %e, "admin disconnect command failed");
            }
        }
    });
}

/// The sockets of namespace `nsp` (it must exist), in room `filter` when one is given (the
/// package tests it for truth: an empty string is none).
fn select(io: &Weak<IoInner>, nsp: &Value, filter: Option<&Value>) -> Option<BroadcastOperators> {
    let ns = io.upgrade()?.namespace(nsp.as_str()?)?;
    let operators = BroadcastOperators::new(ns);
    match filter.and_then(Value::as_str).filter(|f| !f.is_empty()) {
        Some(room) => Some(operators.to(room.to_owned())),
        None => Some(operators),
    }
}

/// `["emit", nsp, filter, event, ...args]`: the arguments are passed on as they came.
fn emit(io: &Weak<IoInner>, data: &str) {
    let Ok(all) = serde_json::from_str::<Vec<&RawValue>>(data) else {
        return;
    };
    let [_, nsp, filter, event, args @ ..] = all.as_slice() else {
        return;
    };
    let (Ok(nsp), Ok(filter), Ok(event)) = (
        serde_json::from_str::<Value>(nsp.get()),
        serde_json::from_str::<Value>(filter.get()),
        serde_json::from_str::<String>(event.get()),
    ) else {
        return;
    };
    let Some(operators) = select(io, &nsp, Some(&filter)) else {
        return;
    };
    let args: Vec<&str> = args.iter().map(|a| a.get()).collect();
    let _ = operators.emit_raw(&event, &RawArgs::new(args.join(","), Vec::new()));
}

/// `["join" | "leave", nsp, room, filter?]`.
fn membership(io: &Weak<IoInner>, data: &str) -> Option<(BroadcastOperators, String)> {
    let all: Vec<Value> = serde_json::from_str(data).ok()?;
    let room = all.get(2)?.as_str()?.to_owned();
    Some((select(io, all.get(1)?, all.get(3))?, room))
}

/// `["_disconnect", nsp, close, filter?]`.
fn disconnection(io: &Weak<IoInner>, data: &str) -> Option<(BroadcastOperators, bool)> {
    let all: Vec<Value> = serde_json::from_str(data).ok()?;
    let close = all.get(2).and_then(Value::as_bool).unwrap_or(false);
    Some((select(io, all.get(1)?, all.get(3))?, close))
}
