//! The measured phase of a load generator, bracketed for the driving script (`--sync`):
//! it samples the server's CPU time between the two marks, so connection setup and
//! teardown stay out of the figure.

use std::io::Write;

use tokio::io::AsyncBufReadExt;

/// With `sync`, prints `READY` (every connection is up) and waits for a line on stdin,
/// the script's go.
pub async fn ready(sync: bool) -> std::io::Result<()> {
    if sync {
        println!("READY");
        std::io::stdout().flush()?;
        let mut line = String::new();
        tokio::io::BufReader::new(tokio::io::stdin())
            .read_line(&mut line)
            .await?;
    }
    Ok(())
}

/// With `sync`, prints `DONE`: the load is over (see [`ready`]).
pub fn measured(sync: bool) -> std::io::Result<()> {
    if sync {
        println!("DONE");
        std::io::stdout().flush()?;
    }
    Ok(())
}
