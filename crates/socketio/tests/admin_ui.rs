//! The Socket.IO Admin UI against our server: `interop/admin_ui_check.mjs` speaks the UI's
//! protocol to us and to Node socket.io instrumented by the real `@socket.io/admin-ui`, and
//! the two must agree; `interop/admin_ui_browser.mjs` loads the package's own web page in
//! headless Chromium, logs in to us, and reads our sockets off the page.

use std::time::Duration;

use duplex_socketio::admin::{AdminAuth, AdminOptions, instrument};
use duplex_socketio::{AckSender, Cors, Data, SocketIo, SocketRef};
use duplex_testkit::peers;

const USER: &str = "admin";
const PASSWORD: &str = "changeit";
/// [`PASSWORD`] as the package takes it, a bcrypt hash (Node: `bcryptjs.hashSync("changeit", 4)`).
const HASH: &str = "$2a$04$/Wq0ZzLfqo7JTuxeWYZw6O0tddc8qixBcXAuOCrB1HqWcmTjj2KSK";

/// The contract both servers of admin_ui_check.mjs serve (interop/README.md).
fn contract(socket: SocketRef) -> impl std::future::Future<Output = ()> {
    let _ = socket.emit("welcome", &());
    socket.on(
        "join-room",
        |socket: SocketRef, Data(room): Data<String>| async move { socket.join(room) },
    );
    socket.on(
        "set-data",
        |socket: SocketRef, Data(name): Data<String>| async move {
            let _ = socket.set_data(&serde_json::json!({ "name": name }));
        },
    );
    socket.on(
        "hello",
        |Data(x): Data<String>, ack: AckSender| async move {
            let _ = ack.send(&format!("hi {x}"));
        },
    );
    async {}
}

/// Our server, instrumented with `password` (a bcrypt hash or the password itself), on a free
/// port; it stops with the test's runtime.
async fn start(password: &str) -> String {
    start_with(AdminOptions::new(Some(AdminAuth::basic(USER, password)))).await
}

/// Our server instrumented with `options`.
async fn start_with(options: AdminOptions) -> String {
    // The UI's page is on another origin and connects with credentials (cookies for sticky
    // sessions): the origin is mirrored, with credentials allowed.
    let io = SocketIo::builder()
        .cors(Cors::mirror().credentials(true))
        .build();
    io.ns("/", contract);
    io.ns("/chat", contract);
    instrument(&io, options).expect("instrumented");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(duplex_socketio::serve(listener, io));
    url
}

/// Runs `script` with `args`, at most `limit`; returns its JSON line, failing the test when it
/// says `"ok":false`.
async fn run_node(script: &str, packages: &[&str], args: &[&str], limit: Duration) -> String {
    let node = peers::node(packages);
    let mut command = tokio::process::Command::from(peers::command(&node, script));
    command.args(args).kill_on_drop(true);
    let output = tokio::time::timeout(limit, command.output())
        .await
        .unwrap_or_else(|_| panic!("{script} did not finish within {limit:?}"))
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success() && stdout.contains("\"ok\":true"),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_ui_protocol_matches_node_socket_io_instrumented() {
    let url = start(HASH).await;
    let verdict = run_node(
        "admin_ui_check.mjs",
        &[
            "socket.io",
            "socket.io-client",
            "@socket.io/admin-ui",
            "bcryptjs",
        ],
        &["--url", &url, "--user", USER, "--password", PASSWORD],
        Duration::from_secs(90),
    )
    .await;
    // The check compares; this makes sure it compared something.
    assert!(verdict.contains("room_joined / r2 C1"), "{verdict}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_ui_page_shows_our_sockets_and_acts_on_them() {
    let url = start(HASH).await;
    let chromium = peers::chromium();
    let shots = peers::repo_root().join("target/admin-ui");
    let verdict = run_node(
        "admin_ui_browser.mjs",
        &["socket.io-client", "@socket.io/admin-ui", "playwright-core"],
        &[
            "--url",
            &url,
            "--chromium",
            &chromium.to_string_lossy(),
            "--shots",
            &shots.to_string_lossy(),
        ],
        Duration::from_secs(150),
    )
    .await;
    assert!(
        verdict.contains("\"disconnect-button\",\"ok\":true"),
        "{verdict}"
    );
    assert!(shots.join("sockets.png").is_file());
}

/// Production mode (and read-only): the stats and nothing per socket or event, no commands.
#[cfg(feature = "client")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_mode_sends_the_stats_alone() {
    use duplex_socketio::admin::AdminMode;
    use duplex_socketio::client::{ClientBuilder, Incoming};

    let options = AdminOptions::new(None)
        .mode(AdminMode::Production)
        .read_only(true)
        .server_id("node-1")
        .stats_interval(Duration::from_millis(200));
    let url = start_with(options).await;
    let (tx, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let admin = ClientBuilder::new(format!("{url}/admin"))
        .on_any(move |event: Incoming| {
            let tx = tx.clone();
            async move {
                let args = event.args::<serde_json::Value>().unwrap_or_default();
                let _ = tx.send((event.event().to_owned(), args));
            }
        })
        .connect();
    let _admin = tokio::time::timeout(Duration::from_secs(10), admin)
        .await
        .expect("in time")
        .expect("no auth needed");
    let user = ClientBuilder::new(format!("{url}/")).connect();
    let _user = tokio::time::timeout(Duration::from_secs(10), user)
        .await
        .expect("in time")
        .expect("connects");
    let mut seen = Vec::new();
    let mut stats = Vec::new();
    // Stats arrive every 200 ms: a few of them, after the user connected.
    while stats.len() < 4 {
        let (event, args) = tokio::time::timeout(Duration::from_secs(10), heard.recv())
            .await
            .expect("stats keep coming")
            .expect("open");
        match event.as_str() {
            "server_stats" => stats.push(args.clone()),
            "config" => assert_eq!(
                args,
                serde_json::json!({ "supportedFeatures": ["AGGREGATED_EVENTS"] })
            ),
            _ => {}
        }
        seen.push(event);
    }
    assert_eq!(seen[0], "config", "{seen:?}");
    assert!(
        seen.iter().all(|e| e == "config" || e == "server_stats"),
        "{seen:?}"
    );
    let last = stats.last().expect("stats");
    assert_eq!(last["serverId"], "node-1");
    assert_eq!(last["clientsCount"], 2, "{last}");
    let root = last["namespaces"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["name"] == "/"))
        .cloned();
    assert_eq!(
        root.map(|n| n["socketsCount"].clone()),
        Some(1.into()),
        "{last}"
    );
}
