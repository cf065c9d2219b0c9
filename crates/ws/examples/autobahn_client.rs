//! Runs the Autobahn|Testsuite client cases: connects to a `wstest -m fuzzingserver`
//! and echoes every case back, then asks the server to write its reports.
//!
//! ```sh
//! wstest -m fuzzingserver -s fuzzingserver.json &      # listens on 127.0.0.1:9001
//! AB_URL=ws://127.0.0.1:9001 AB_AGENT=duplex \
//!     cargo run --release -p duplex-ws --example autobahn_client
//! ```
//!
//! Environment: `AB_URL` (default `ws://127.0.0.1:9001`), `AB_AGENT` (default
//! `duplex`, the name the reports are filed under).

use duplex_ws::{ClientConfig, ClientRequest, DeflateConfig, Error, Message, connect_with};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::var("AB_URL").unwrap_or_else(|_| "ws://127.0.0.1:9001".to_owned());
    let base = base.trim_end_matches('/');
    let agent = std::env::var("AB_AGENT").unwrap_or_else(|_| "duplex".to_owned());
    // The default limits (16 MiB frames, 64 MiB messages) already cover group 9,
    // whose largest messages are 16 MiB.
    let client = ClientConfig::default();

    let count = case_count(base, &client).await?;
    eprintln!("{count} cases");
    for case in 1..=count {
        eprintln!("case {case}/{count}");
        // Failures are part of the suite (it sends invalid frames on purpose): the
        // report judges them, so log and go on with the next case.
        if let Err(error) = run_case(base, &agent, case, &client).await {
            eprintln!("case {case}: {error}");
        }
    }

    let url = format!("{base}/updateReports?agent={agent}");
    let (mut socket, _) = connect_with(ClientRequest::new(&url)?, &client).await?;
    // The server writes the reports, then closes; wait for that.
    while socket.recv().await.is_some() {}
    eprintln!("reports updated for agent {agent}");
    Ok(())
}

/// `/getCaseCount` answers with one text message holding the number of cases.
async fn case_count(base: &str, client: &ClientConfig) -> Result<u32, Box<dyn std::error::Error>> {
    let url = format!("{base}/getCaseCount");
    let (mut socket, _) = connect_with(ClientRequest::new(&url)?, client).await?;
    let mut count = None;
    while let Some(message) = socket.recv().await {
        if let Message::Text(text) = message? {
            count = Some(text.trim().parse()?);
        }
    }
    count.ok_or_else(|| "no case count received".into())
}

/// Echoes every data message of one case until the connection ends.
async fn run_case(base: &str, agent: &str, case: u32, client: &ClientConfig) -> Result<(), Error> {
    let url = format!("{base}/runCase?case={case}&agent={agent}");
    // Offered so that groups 12 and 13 exercise compression; the default offer
    // carries `client_max_window_bits`, which those cases expect.
    let request = ClientRequest::new(&url)?.deflate(Some(DeflateConfig::default()));
    let (mut socket, _) = connect_with(request, client).await?;
    while let Some(message) = socket.recv().await {
        let message = message?;
        if message.is_data() {
            // Queued only: the next `recv` writes all queued echoes before it waits,
            // so pipelined cases get their answers in batches.
            socket.feed(message).await?;
        }
    }
    Ok(())
}
