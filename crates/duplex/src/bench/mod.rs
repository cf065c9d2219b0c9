//! `duplex bench`: load generators that can target any server, ours or a peer's.

mod ws_echo;

/// The load generators.
#[derive(clap::Subcommand, Debug)]
pub enum BenchCommand {
    /// Pipelined WebSocket echo load: C connections, each keeping K messages in
    /// flight; checks every echo and reports messages/s and MB/s.
    WsEcho(ws_echo::WsEchoArgs),
}

/// Runs a load generator.
pub async fn run(command: BenchCommand) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        BenchCommand::WsEcho(args) => ws_echo::run(args).await,
    }
}
