//! WebSocket on tokio.
