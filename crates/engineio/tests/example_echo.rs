//! The echo example (examples/engineio_echo.rs) does what its docs say: the built binary, started
//! with the options its doc line shows (on port 0), announces its port, hands out an open packet
//! carrying those options, answers a CORS preflight, and echoes text and binary to the official
//! `engine.io-client` (interop/eio_client.mjs) over polling, WebSocket and polling-then-upgrade.
//! Needs `scripts/setup` and the example built (an unfiltered `cargo test` builds it).

mod common;
mod interop;

use std::net::SocketAddr;
use std::process::Stdio;

use bytes::Bytes;
use common::{eio, get, open_json, request, send};
use duplex_testkit::examples::example_binary;
use duplex_testkit::peers::listening_port;
use http::Method;
use interop::programs::{self, Verdicts};
use interop::{MODES, within};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The options of the example's doc line, on a free port.
const ARGS: [&str; 10] = [
    "--port",
    "0",
    "--ping-interval",
    "300",
    "--ping-timeout",
    "200",
    "--max-payload",
    "1000000",
    "--cors",
    "*",
];

/// The running example; `kill_on_drop` stops it when the test ends, passed or failed.
struct Example {
    _child: Child,
    addr: SocketAddr,
}

impl Example {
    async fn start() -> Example {
        let binary = example_binary(
            env!("CARGO_PKG_NAME"),
            env!("CARGO_MANIFEST_DIR"),
            "engineio_echo",
        );
        let mut child = Command::new(binary)
            .args(ARGS)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the example starts");
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let line = within("the example's LISTENING line", lines.next_line())
            .await
            .expect("reading the example's stdout")
            .expect("the example printed nothing");
        let port = listening_port(&line).unwrap_or_else(|| panic!("first line {line:?}"));
        // Keeps draining stdout so the example never writes to a closed pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Example {
            _child: child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_echo_example_serves_its_documented_options_to_the_official_client() {
    let example = Example::start().await;

    let handshake = get(example.addr, &eio("EIO=4&transport=polling")).await;
    assert_eq!(handshake.status, 200, "{}", handshake.text());
    let open = open_json(handshake.text());
    assert_eq!(open["pingInterval"], 300, "{open}");
    assert_eq!(open["pingTimeout"], 200, "{open}");
    assert_eq!(open["maxPayload"], 1_000_000, "{open}");

    let preflight = send(
        example.addr,
        request(
            Method::OPTIONS,
            &eio("EIO=4&transport=polling"),
            &[
                ("origin", "http://example.test"),
                ("access-control-request-method", "POST"),
            ],
            Bytes::new(),
        ),
    )
    .await;
    assert!(
        preflight.status.is_success(),
        "preflight: {}",
        preflight.status
    );
    assert!(
        preflight
            .headers
            .contains_key(http::header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "preflight headers: {:?}",
        preflight.headers
    );

    let url = format!("http://{}", example.addr);
    let mut verdicts = Verdicts::default();
    for mode in MODES {
        let report = programs::node_client(&url, mode, "echo", false).await;
        verdicts.record(&report, None);
    }
    verdicts.assert_all_passed();
}
