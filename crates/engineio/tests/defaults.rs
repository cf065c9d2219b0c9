//! What a server built from `Config::default()` tells clients, and where it listens when the
//! `path` option moves it.

mod common;

use common::*;
use duplex_engineio::Config;

#[tokio::test]
async fn a_default_servers_open_packet_carries_socket_ios_defaults() {
    let (server, _events) = recording(Config::default()).await;
    let resp = get(server.addr, &eio("EIO=4&transport=polling")).await;
    assert_eq!(resp.status, 200, "{resp:?}");
    let open = open_json(resp.text());
    assert_eq!(open["pingInterval"], 25_000, "{open}");
    assert_eq!(open["pingTimeout"], 20_000, "{open}");
    assert_eq!(open["maxPayload"], 1_000_000, "{open}");
    assert_eq!(open["upgrades"], serde_json::json!(["websocket"]), "{open}");
    server.stop().await;
}

/// `path` with and without its trailing slash (config.rs adds it): the handshake works at the
/// custom path, with or without the slash in the request, and the default path is not served.
#[tokio::test]
async fn a_custom_path_is_served_instead_of_the_default() {
    for path in ["/realtime/", "/realtime"] {
        let (server, _events) = recording(Config::default().path(path)).await;
        for served in [
            "/realtime/?EIO=4&transport=polling",
            "/realtime?EIO=4&transport=polling",
        ] {
            let resp = get(server.addr, served).await;
            assert_eq!(resp.status, 200, "path {path:?}, GET {served}: {resp:?}");
            assert!(open_json(resp.text())["sid"].is_string(), "{resp:?}");
        }
        let resp = get(server.addr, &eio("EIO=4&transport=polling")).await;
        assert_eq!(resp.status, 404, "path {path:?}, default path: {resp:?}");
        let resp = get(server.addr, "/realtimex/?EIO=4&transport=polling").await;
        assert_eq!(resp.status, 404, "path {path:?}, a longer name: {resp:?}");
        assert_eq!(server.engine.session_count(), 2, "path {path:?}");
        server.stop().await;
    }
}
