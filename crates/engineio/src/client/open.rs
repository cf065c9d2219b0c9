//! The handshake: from the first request to the open packet, within the connect timeout.

use std::time::Instant;

use duplex_engineio_proto::client::{ClientSession, Event};
use duplex_ws::{ClientRequest, MaybeTlsStream, WebSocket};

use super::dial::Dialer;
use super::driver::Driver;
use super::endpoint::Endpoint;
use super::{ClientConfig, ConnectError, Transport};

/// Opens a session at `url`: the driver, open, with what followed the open packet still in
/// its session.
pub(crate) async fn open(url: &str, config: &ClientConfig) -> Result<Driver, ConnectError> {
    let endpoint = Endpoint::parse(url, config)?;
    if config.transports.is_empty() {
        return Err(ConnectError::InvalidUrl(format!(
            "{url}: no transport configured"
        )));
    }
    let dialer = Dialer::new(&endpoint, config)?;
    let mut driver = Driver::new(endpoint, dialer, config);
    let handshake = async {
        match config.session_options().transport {
            Transport::Polling => open_polling(&mut driver).await,
            Transport::WebSocket => open_websocket(&mut driver, config).await,
        }
    };
    tokio::time::timeout(config.connect_timeout, handshake)
        .await
        .map_err(|_| ConnectError::Timeout(config.connect_timeout))??;
    Ok(driver)
}

/// The GET without `sid` whose answer holds the open packet.
async fn open_polling(driver: &mut Driver) -> Result<(), ConnectError> {
    let target = driver.endpoint.polling_target(None);
    let mut conn = driver.take_get_conn();
    let body = conn.get(&target).await?;
    driver.get_conn = Some(conn);
    driver
        .session
        .handle_poll_body(body, Instant::now())
        .map_err(ConnectError::BadOpen)?;
    opened(&mut driver.session)
}

/// The WebSocket without `sid` whose first message is the open packet.
async fn open_websocket(driver: &mut Driver, config: &ClientConfig) -> Result<(), ConnectError> {
    let mut socket = connect_websocket(&driver.endpoint, &driver.dialer, config, None).await?;
    while !driver.session.is_open() {
        match socket.recv().await {
            Some(Ok(message)) => driver
                .session
                .handle_ws_message(message, Instant::now())
                .map_err(ConnectError::BadOpen)?,
            Some(Err(error)) => return Err(ConnectError::WebSocket(error)),
            None => return Err(ConnectError::Closed),
        }
        if driver.session.is_closed() {
            return Err(ConnectError::Closed);
        }
    }
    driver.ws = Some(socket);
    opened(&mut driver.session)
}

/// Takes the session's `Open` event; the events after it stay for the application.
fn opened(session: &mut ClientSession) -> Result<(), ConnectError> {
    match session.poll_event() {
        Some(Event::Open) => Ok(()),
        _ => Err(ConnectError::BadOpen(
            duplex_engineio_proto::Error::EmptyPacket,
        )),
    }
}

/// Connects the WebSocket transport: a new session without `sid`, an upgrade with it; the
/// stream, the proxy's tunnel and TLS included, within the connect timeout.
pub(crate) async fn connect_websocket(
    endpoint: &Endpoint,
    dialer: &Dialer,
    config: &ClientConfig,
    sid: Option<&str>,
) -> Result<WebSocket<MaybeTlsStream>, ConnectError> {
    let mut request = ClientRequest::new(&endpoint.websocket_url(sid))
        .map_err(|e| ConnectError::WebSocket(e.into()))?;
    for (name, value) in &config.headers {
        request = request.header(name.clone(), value.clone());
    }
    let limits = duplex_ws::Config::default().max_message_size(config.max_response_size);
    let client = duplex_ws::ClientConfig::default().config(limits);
    let work = async {
        let stream = dialer.dial().await?;
        let (socket, _) = duplex_ws::handshake(stream, &request, &client)
            .await
            .map_err(|e| ConnectError::from_ws(e, config.connect_timeout))?;
        Ok(socket)
    };
    tokio::time::timeout(config.connect_timeout, work)
        .await
        .map_err(|_| ConnectError::Timeout(config.connect_timeout))?
}
