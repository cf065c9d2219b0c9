//! fastwebsockets echo server, as its examples do it: a hyper HTTP/1 connection with
//! upgrades, `upgrade::upgrade` for the handshake, a `FragmentCollector` so each
//! read yields a whole message, and each data message written straight back.
//!
//! auto-close and auto-pong are fastwebsockets' defaults (on) and are left so. Each
//! connection runs `unconstrained` as the library's example does, so tokio's
//! cooperative budget never forces a yield between frames. `write_frame` writes
//! each echo at once: fastwebsockets has no write buffer to coalesce pipelined
//! echoes, and a user of it gets exactly that behaviour.

use clap::Parser;
use duplex_bench_peers::{ServerArgs, current_thread_runtime};
use fastwebsockets::{FragmentCollector, OpCode, WebSocketError, upgrade};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let args = ServerArgs::parse();
    current_thread_runtime()?.block_on(async move {
        let listener = TcpListener::bind(args.addr).await?;
        println!("LISTENING {}", listener.local_addr()?.port());
        loop {
            let (stream, _) = listener.accept().await?;
            // Loopback benchmarks send small messages: Nagle would add delay, not save work.
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let conn = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(upgrade_request))
                    .with_upgrades();
                // A failed handshake or a vanished peer ends only this connection.
                let _ = conn.await;
            });
        }
    })
}

async fn upgrade_request(
    mut req: Request<Incoming>,
) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let (response, upgraded) = upgrade::upgrade(&mut req)?;
    tokio::spawn(tokio::task::unconstrained(async move {
        let _ = echo(upgraded).await;
    }));
    Ok(response)
}

async fn echo(upgraded: upgrade::UpgradeFut) -> Result<(), WebSocketError> {
    let mut ws = FragmentCollector::new(upgraded.await?);
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => return Ok(()),
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
            _ => {}
        }
    }
}
