//! A WebSocket client that sends a few messages to an echo server, prints what
//! comes back and what compression was agreed, and closes cleanly.
//!
//! ```sh
//! cargo run --release -p duplex-ws --example echo_server &
//! cargo run --release -p duplex-ws --example echo_client -- ws://127.0.0.1:9001
//! ```

use duplex_ws::{ClientConfig, ClientRequest, DeflateConfig, Message, connect_with};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://127.0.0.1:9001".to_owned());
    // Offer permessage-deflate; the server may accept it or answer without it.
    let request = ClientRequest::new(&url)?.deflate(Some(DeflateConfig::default()));
    let (mut socket, response) = connect_with(request, &ClientConfig::default()).await?;
    let extensions = response
        .headers()
        .get("sec-websocket-extensions")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("(none)");
    println!("connected to {url}");
    println!("negotiated extensions: {extensions}");
    println!("compressed: {}", socket.connection().is_compressed());

    let messages = [
        Message::text("hello"),
        Message::text("ünïcödé ✓ ".repeat(20)),
        Message::binary(vec![0u8, 1, 2, 3, 255]),
        Message::binary(vec![42u8; 4096]),
    ];
    for message in messages {
        socket.send(message.clone()).await?;
        // Pings and pongs may arrive in between; only data messages are echoes.
        let echo = loop {
            match socket.recv().await {
                Some(Ok(echo)) if echo.is_data() => break echo,
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
                None => return Err("the server closed before echoing".into()),
            }
        };
        match &echo {
            Message::Text(text) if text.len() <= 40 => println!("text echo: {text:?}"),
            Message::Text(text) => println!("text echo: {} bytes", text.len()),
            _ => println!("binary echo: {} bytes", echo.len()),
        }
        if echo != message {
            return Err("the echo differs from what was sent".into());
        }
    }

    // Sends a close frame (1000) and waits for the server's answer.
    socket.close(None).await?;
    println!("closed cleanly");
    Ok(())
}
