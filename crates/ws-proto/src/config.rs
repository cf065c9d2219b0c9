//! Limits and behaviour of a connection, with documented defaults.

use std::time::Duration;

/// Connection settings. Every limit is enforced on what the peer sends; exceeding
/// `max_frame_size` or `max_message_size` fails the connection with close code 1009.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Largest frame payload accepted. Default 16 MiB.
    pub max_frame_size: usize,
    /// Largest message accepted, after inflation when compressed (the defence
    /// against compression bombs). Default 64 MiB.
    pub max_message_size: usize,
    /// Answer pings with pongs automatically. Default `true`.
    pub auto_pong: bool,
    /// Split outgoing data messages into frames of at most this many payload bytes.
    /// Default `None`: one frame a message.
    pub fragment_size: Option<usize>,
    /// How long to wait for the peer's close frame after we sent ours, or for the
    /// TCP close after the close handshake. Default 5 s.
    pub close_timeout: Duration,
    /// Bytes queued for writing past which sending waits for the peer to read
    /// (backpressure), and reading pauses so that automatic replies cannot pile up.
    /// Default 1 MiB.
    pub write_buffer_high_water: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
            auto_pong: true,
            fragment_size: None,
            close_timeout: Duration::from_secs(5),
            write_buffer_high_water: 1 << 20,
        }
    }
}

impl Config {
    /// Sets [`Config::max_frame_size`].
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// Sets [`Config::max_message_size`].
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Sets [`Config::auto_pong`].
    pub fn auto_pong(mut self, on: bool) -> Self {
        self.auto_pong = on;
        self
    }

    /// Sets [`Config::fragment_size`]; zero is taken as `None`.
    pub fn fragment_size(mut self, bytes: Option<usize>) -> Self {
        self.fragment_size = bytes.filter(|&n| n > 0);
        self
    }

    /// Sets [`Config::close_timeout`].
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Sets [`Config::write_buffer_high_water`].
    pub fn write_buffer_high_water(mut self, bytes: usize) -> Self {
        self.write_buffer_high_water = bytes;
        self
    }
}
