//! The Socket.IO load generators (`duplex bench sio-*`) against our server (in process, the
//! handlers of the `bench_server` example) and Node's `socket.io`
//! (interop/sio_bench_server.mjs): every command passes its own checks against both, and
//! fails loudly against a server that acks wrong. Needs `scripts/setup`.

use duplex_socketio::{AckSender, RawArgs, SocketIo, SocketRef};
use tokio::net::TcpListener;

mod common;
use common::{bench, node_server};

/// Our server with the bench contract; with `wrong`, `echo` acks with no arguments.
async fn our_server(wrong: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let io = SocketIo::builder().build();
    let broadcaster = io.clone();
    io.ns("/", move |socket: SocketRef| {
        let io = broadcaster.clone();
        async move {
            socket.on("echo", move |args: RawArgs, ack: AckSender| async move {
                let _ = if wrong {
                    ack.send(&())
                } else {
                    ack.send_raw(&args)
                };
            });
            socket.on("join", |socket: SocketRef, ack: AckSender| async move {
                socket.join("r");
                let _ = ack.send(&());
            });
            socket.on("broadcast", move |args: RawArgs| {
                let io = io.clone();
                async move {
                    let _ = io.to("r").emit_raw("msg", &args);
                }
            });
        }
    });
    tokio::spawn(duplex_socketio::serve(listener, io));
    format!("http://127.0.0.1:{port}/socket.io/")
}

/// Every load generator, each checked by its own JSON figures.
async fn every_command_passes(url: &str) {
    let args = [
        "sio-echo",
        "--clients",
        "4",
        "--in-flight",
        "4",
        "--duration",
        "0.5",
    ];
    let (ok, json, stderr) = bench(url, &args).await;
    assert!(ok, "sio-echo: {stderr}");
    assert!(json["acks"].as_u64().is_some_and(|n| n >= 16), "{json}");
    assert_eq!(json["errors"], 0, "{json}");
    // Every ack timed, and the report's rate is the acks'.
    assert_eq!(json["latency_us"]["count"], json["acks"], "{json}");
    assert_eq!(json["throughput"]["count"], json["acks"], "{json}");
    assert!(json["latency_us"]["p50"].as_u64() <= json["latency_us"]["p99"].as_u64());

    let args = ["sio-fanout", "--clients", "20", "--duration", "0.5"];
    let (ok, json, stderr) = bench(url, &args).await;
    assert!(ok, "sio-fanout: {stderr}");
    let broadcasts = json["broadcasts"].as_u64().expect("broadcasts");
    assert!(broadcasts > 0, "{json}");
    assert_eq!(json["deliveries"], broadcasts * 20, "{json}");
    assert_eq!(json["errors"], 0, "{json}");
    assert_eq!(json["latency_us"]["count"], broadcasts * 20, "{json}");
    assert_eq!(json["latency_us"]["p99"], json["latency_us_p99"], "{json}");

    // Half of them from 127.0.0.2: loopback answers the whole 127/8 on Linux.
    let sources = "127.0.0.1,127.0.0.2";
    let args = [
        "sio-idle",
        "--sessions",
        "10",
        "--hold",
        "0.2",
        "--sources",
        sources,
    ];
    let (ok, json, stderr) = bench(url, &args).await;
    assert!(ok, "sio-idle: {stderr}");
    assert_eq!(json["alive_after_hold"], 10, "{json}");
    assert_eq!(json["latency_us"]["count"], 10, "{json}");

    let args = [
        "connect-rate",
        "--protocol",
        "sio",
        "--count",
        "10",
        "--source-addrs",
        sources,
    ];
    let (ok, json, stderr) = bench(url, &args).await;
    assert!(ok, "connect-rate: {stderr}");
    assert_eq!(json["connections"], 10, "{json}");
    assert_eq!(json["throughput"]["unit"], "connections", "{json}");
    assert_eq!(json["latency_us"]["count"], 10, "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_load_generator_passes_against_our_server() {
    every_command_passes(&our_server(false).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_load_generator_passes_against_node_socket_io() {
    let (_node, url) =
        node_server(&["socket.io"], "sio_bench_server.mjs", &[], "/socket.io/").await;
    every_command_passes(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_ack_fails_the_run_and_is_named() {
    let url = our_server(true).await;
    let args = [
        "sio-echo",
        "--clients",
        "2",
        "--in-flight",
        "2",
        "--duration",
        "0.2",
    ];
    let (ok, json, stderr) = bench(&url, &args).await;
    assert!(!ok, "a wrong ack must fail the run: {json}");
    assert_eq!(json["errors"], 2, "{json}");
    assert!(stderr.contains("ack 0: expected"), "{stderr}");
}
