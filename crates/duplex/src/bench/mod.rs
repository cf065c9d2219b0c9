//! `duplex bench`: load generators that can target any server, ours or a peer's. All
//! share their reporting (`report`, `latency`, `progress`,
//! `plot`): a progress bar, a summary table, `--json` and `--plot`.

mod axis;
mod connect_rate;
mod eio_client;
mod eio_echo;
mod eio_handshake;
mod eio_idle;
mod latency;
mod phase;
mod plot;
mod progress;
mod report;
mod sio_connect;
mod sio_echo;
mod sio_fanout;
mod sio_idle;
mod sources;
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
    /// Engine.IO session opens per second, WebSocket-only or polling then upgrade;
    /// every step of every handshake is checked.
    EioHandshake(eio_handshake::EioHandshakeArgs),
    /// Engine.IO echo load through one transport (WebSocket or long-polling):
    /// C sessions, N echoes each, K in flight; every echo checked.
    EioEcho(eio_echo::EioEchoArgs),
    /// Idle Engine.IO sessions: opens N, prints `HOLDING <n>`, answers pings until
    /// released (signal, stdin closed, or `--hold`), so a script can read the
    /// server's memory per session.
    EioIdle(eio_idle::EioIdleArgs),
    /// Socket.IO events with acks: C clients (WebSocket, duplex's Socket.IO client),
    /// K `echo` events in flight each; every ack checked; acks/s.
    SioEcho(sio_echo::SioEchoArgs),
    /// Socket.IO broadcast fan-out: N clients in room `r`, one of them emitting;
    /// every delivery checked (each broadcast exactly once, reorderings counted);
    /// deliveries/s and latency percentiles.
    SioFanout(sio_fanout::SioFanoutArgs),
    /// Idle Socket.IO sockets (one connection each, WebSocket or polling, one
    /// namespace joined): opens N, prints `HOLDING <n>`, holds them until released
    /// as `eio-idle`.
    SioIdle(sio_idle::SioIdleArgs),
    /// Connections opened per second (WebSocket handshakes, or Socket.IO connections with
    /// their namespace joined), each closed again; latency is the time to open one.
    ConnectRate(connect_rate::ConnectRateArgs),
    /// Merges `--json` results into one SVG latency plot, one curve per run.
    Plot(plot::PlotArgs),
}

/// Runs a load generator.
pub async fn run(command: BenchCommand) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        BenchCommand::WsEcho(args) => ws_echo::run(args).await,
        BenchCommand::WsIdle(args) => ws_idle::run(args).await,
        BenchCommand::EioHandshake(args) => eio_handshake::run(args).await,
        BenchCommand::EioEcho(args) => eio_echo::run(args).await,
        BenchCommand::EioIdle(args) => eio_idle::run(args).await,
        BenchCommand::SioEcho(args) => sio_echo::run(args).await,
        BenchCommand::SioFanout(args) => sio_fanout::run(args).await,
        BenchCommand::SioIdle(args) => sio_idle::run(args).await,
        BenchCommand::ConnectRate(args) => connect_rate::run(args).await,
        BenchCommand::Plot(args) => plot::run(args),
    }
}
