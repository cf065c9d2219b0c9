//! The files `duplex serve` answers besides Socket.IO, embedded in the binary so the chat works
//! with no internet and no files beside it: the page (web/chat/), our browser client's modules
//! (web/socketio/) and the client as one classic script ([`super::bundle`]).

use std::collections::HashMap;

use bytes::Bytes;

const HTML: &str = "text/html; charset=utf-8";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Where the client's modules are served; the page imports `CLIENT_DIR` + `index.js`.
const CLIENT_DIR: &str = "/socket.io/client/";

/// The path of the client as one classic script defining `io`.
const CLASSIC_SCRIPT: &str = "/socket.io/socket.io.js";

macro_rules! web_files {
    ($dir:literal: $($name:literal),* $(,)?) => {
        &[$(
            ($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/", $dir, "/", $name))),
        )*]
    };
}

/// web/socketio/: every module of the client (a test checks none is missing).
const CLIENT: &[(&str, &str)] = web_files!["socketio":
    "backoff.js", "binary.js", "eio-packet.js", "emitter.js", "engine.js", "index.js",
    "manager.js", "parser.js", "polling.js", "socket.js", "transport-url.js", "websocket.js",
];

/// web/chat/: the page.
const CHAT: &[(&str, &str)] = web_files!["chat": "index.html", "chat.js", "chat.css", "view.js"];

/// One embedded file, ready to send.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: Bytes,
    /// A strong validator of the bytes (a quoted hash), for `ETag` and `If-None-Match`.
    pub etag: String,
}

/// The embedded files by request path.
#[derive(Debug)]
pub struct Assets {
    files: HashMap<String, Asset>,
}

impl Assets {
    /// Every file, with the classic script made from the client's modules; an error names a
    /// module the script cannot be made from.
    pub fn new() -> Result<Assets, String> {
        let mut assets = Assets {
            files: HashMap::new(),
        };
        let page = CHAT
            .iter()
            .find(|(name, _)| *name == "index.html")
            .map(|(_, text)| *text)
            .unwrap_or_default();
        for path in ["/", "/index.html", "/chat/"] {
            assets.add(path, HTML, page.to_owned());
        }
        for (name, text) in CHAT {
            assets.add(
                &format!("/chat/{name}"),
                content_type(name),
                text.to_string(),
            );
        }
        for (name, text) in CLIENT {
            assets.add(&format!("{CLIENT_DIR}{name}"), JAVASCRIPT, text.to_string());
        }
        let script = super::bundle::classic_script(CLIENT, "index.js")?;
        assets.add(CLASSIC_SCRIPT, JAVASCRIPT, script);
        Ok(assets)
    }

    fn add(&mut self, path: &str, content_type: &'static str, text: String) {
        let etag = format!("\"{:016x}\"", fnv1a(text.as_bytes()));
        let asset = Asset {
            content_type,
            body: Bytes::from(text),
            etag,
        };
        self.files.insert(path.to_owned(), asset);
    }

    /// The file served at `path`.
    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.files.get(path)
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => HTML,
        Some("css") => CSS,
        _ => JAVASCRIPT,
    }
}

/// FNV-1a, 64 bits: stable across builds and platforms (the std hasher is not promised to
/// be), and plenty to tell two versions of a file apart.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_web_file_is_embedded_with_its_type() {
        let assets = Assets::new().unwrap();
        let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
        for (dir, served) in [("socketio", CLIENT_DIR), ("chat", "/chat/")] {
            for entry in std::fs::read_dir(web.join(dir)).unwrap() {
                let name = entry.unwrap().file_name().into_string().unwrap();
                let asset = assets
                    .get(&format!("{served}{name}"))
                    .unwrap_or_else(|| panic!("web/{dir}/{name} is not embedded"));
                assert_eq!(
                    asset.body,
                    std::fs::read(web.join(dir).join(&name)).unwrap()
                );
            }
        }
        assert_eq!(assets.get("/").unwrap().content_type, HTML);
        assert_eq!(assets.get("/chat/chat.css").unwrap().content_type, CSS);
        assert_eq!(
            assets.get("/chat/chat.js").unwrap().content_type,
            JAVASCRIPT
        );
        let script = assets.get(CLASSIC_SCRIPT).unwrap();
        assert_eq!(script.content_type, JAVASCRIPT);
        assert!(assets.get("/nothing").is_none());
        assert_ne!(script.etag, assets.get("/").unwrap().etag);
    }

    #[test]
    fn fnv1a_matches_its_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
