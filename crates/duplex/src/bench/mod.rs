//! `duplex bench`: load generators that can target any server, ours or a peer's.

mod ws_echo;
mod ws_idle;

/// The load generators.
#[derive(clap::Subcommand, Debug)]
pub enum BenchCommand {
    /// Pipelined WebSocket echo load: C connections, each keeping K messages in
    /// flight; checks every echo and reports messages/s and MB/s.
    WsEcho(ws_echo::WsEchoArgs),
    /// Idle connections: opens N, checks each with a ping, prints `HOLDING <n>`,
    /// holds them idle (so a script can read the server's memory), then closes all.
    WsIdle(ws_idle::WsIdleArgs),
}

/// Runs a load generator.
pub async fn run(command: BenchCommand) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        BenchCommand::WsEcho(args) => ws_echo::run(args).await,
        BenchCommand::WsIdle(args) => ws_idle::run(args).await,
    }
}
