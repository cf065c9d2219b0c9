//! `duplex`: the command-line entry point. `duplex serve` (the default) runs the demo chat;
//! `duplex echo` runs a WebSocket echo server; `duplex bench` generates load against any
//! WebSocket or Socket.IO server.

mod bench;
mod echo;
mod serve;

use clap::{Parser, Subcommand};

/// Real-time communication servers and tools.
#[derive(Parser, Debug)]
#[command(name = "duplex", version, about)]
struct Cli {
    /// Worker threads of the runtime (default: one per available core).
    #[arg(long, global = true, env = "DUPLEX_THREADS")]
    threads: Option<usize>,
    /// Log lines as text or as JSON objects (one per line); the level by `RUST_LOG`.
    #[arg(long, global = true, env = "DUPLEX_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// WebSocket echo server: every text and binary message is sent back;
    /// permessage-deflate is offered.
    Echo(echo::EchoArgs),
    /// Load generators.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// The demo chat, page and Socket.IO server (what `duplex` with no subcommand runs).
    Serve(serve::ServeArgs),
}

/// How log lines look.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = cli.threads {
        runtime.worker_threads(threads.max(1));
    }
    let runtime = match runtime.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("duplex: cannot start the runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // With no subcommand, the main job: the chat with its defaults (and DUPLEX_* variables).
    let command = cli.command.unwrap_or_else(|| {
        let defaults = Cli::parse_from(["duplex", "serve"]);
        defaults
            .command
            .unwrap_or(Command::Serve(serve::ServeArgs::default()))
    });
    let result = runtime.block_on(async {
        match command {
            Command::Echo(args) => echo::run(args).await,
            Command::Bench(command) => bench::run(command).await,
            Command::Serve(args) => serve::run(args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("duplex: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
