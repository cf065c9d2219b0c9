//! Acknowledgements both ways: answering a client's callback, asking a client and awaiting its
//! answer with a timeout, and asking every other client at once, collecting their answers.
//!
//! Run it with `cargo run --example acks -- --port 3000`, then from a socket.io client:
//!
//! ```js
//! const socket = io("http://127.0.0.1:3000");
//! await socket.emitWithAck("sum", [1, 2, 3.5]);            // 6.5 (also: emit("sum", 1, 2, cb))
//! socket.on("question", (text, answer) => answer(42));    // the server asks us
//! socket.on("quiz answer", (answer) => console.log("the server heard", answer));
//! socket.on("quiz timeout", (ms) => console.log(`no answer within ${ms} ms`));
//! socket.emit("quiz", 1000);                              // the server asks, waits 1000 ms
//! socket.on("vote", (question, answer) => answer("yes")); // other clients' polls
//! await socket.emitWithAck("poll", { question: "Tabs?", timeout_ms: 500 });
//! //   {votes: {yes: 2, no: 1}, unanswered: 1}
//! ```
//!
//! - `sum` numbers (an array, or several arguments): acks the total, or `{error}` when the
//!   arguments are not numbers.
//! - `quiz` ms: the server emits `question` asking for an ack, then emits `quiz answer` with the
//!   client's answer or, after `ms` milliseconds without one, `quiz timeout` with `ms`.
//! - `poll` `{question, timeout_ms}`: every other client gets `vote` with the question and an
//!   ack; after all answered or the timeout, the poll's own ack gets the tally.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Parser;
use duplex_socketio::{AckError, AckSender, Data, SocketIo, SocketRef, TryData};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Parser, Debug)]
struct Args {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 3000)]
    port: u16,
}

/// The longest a client may make the server wait for answers.
const MAX_WAIT: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
struct Poll {
    question: String,
    timeout_ms: u64,
}

async fn on_connect(socket: SocketRef) {
    // `TryData` rather than `Data`: the handler also runs for bad arguments and can say so.
    socket.on(
        "sum",
        |TryData(numbers): TryData<Vec<f64>>, ack: AckSender| async move {
            let _ = match numbers {
                // Folded from +0.0: `Iterator::sum` starts at -0.0, which a client would
                // receive as the total of no numbers.
                Ok(numbers) => ack.send(&numbers.iter().fold(0.0, |total, n| total + n)),
                Err(e) => ack.send(&json!({ "error": format!("numbers only: {e}") })),
            };
        },
    );

    socket.on(
        "quiz",
        |socket: SocketRef, Data(ms): Data<u64>| async move {
            let wait = Duration::from_millis(ms).min(MAX_WAIT);
            let asked = socket.emit_with_ack::<Value, _>("question", "What is 6 x 7?");
            let answer = match asked {
                Ok(pending) => pending.timeout(wait).await,
                Err(e) => Err(e.into()),
            };
            let _ = match answer {
                Ok(answer) => socket.emit("quiz answer", &answer),
                Err(AckError::Timeout) => socket.emit("quiz timeout", &ms),
                Err(e) => {
                    tracing::info!(sid = %socket.id(), error = %e, "quiz abandoned");
                    Ok(())
                }
            };
        },
    );

    socket.on(
        "poll",
        |socket: SocketRef, Data(poll): Data<Poll>, ack: AckSender| async move {
            let wait = Duration::from_millis(poll.timeout_ms).min(MAX_WAIT);
            let answers = socket
                .broadcast()
                .timeout(wait)
                .emit_with_ack::<String, _>("vote", &poll.question)
                .await;
            let mut votes: BTreeMap<String, u32> = BTreeMap::new();
            let mut unanswered = 0;
            for (_sid, answer) in answers {
                match answer {
                    Ok(vote) => *votes.entry(vote).or_default() += 1,
                    // Silent, gone, or not a string: no vote either way.
                    Err(_) => unanswered += 1,
                }
            }
            let _ = ack.send(&json!({ "votes": votes, "unanswered": unanswered }));
        },
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let io = SocketIo::builder().build();
    io.ns("/", on_connect);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("LISTENING {}", listener.local_addr()?.port());
    duplex_socketio::serve(listener, io).await?;
    Ok(())
}
