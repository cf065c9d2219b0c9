//! Basic authentication of the Admin UI: a username and password in the handshake's auth
//! payload, or the session id a successful login handed out (the UI keeps it in its local
//! storage and reconnects with it alone).

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use duplex_engineio::Sid;
use serde::Deserialize;

use super::InstrumentError;

/// The Admin UI's credentials.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdminAuth {
    /// A username and password, as `@socket.io/admin-ui`'s `{ type: "basic" }`.
    Basic {
        /// The username.
        username: String,
        /// The password.
        password: AdminPassword,
    },
}

impl AdminAuth {
    /// A username and password; the password is read as a bcrypt hash when it is one
    /// (`$2a$`/`$2b$`/`$2y$`, 60 characters: what the package takes), else as the password
    /// itself.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> AdminAuth {
        AdminAuth::Basic {
            username: username.into(),
            password: AdminPassword::detect(password.into()),
        }
    }
}

impl std::fmt::Debug for AdminAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminAuth::Basic { username, password } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", password)
                .finish(),
        }
    }
}

/// A password to check logins against.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdminPassword {
    /// A bcrypt hash (`bcrypt.hashSync("secret", 10)` in Node, `htpasswd -bnBC 10`).
    Bcrypt(String),
    /// The password itself (compared in constant time).
    Plain(String),
}

impl AdminPassword {
    /// A bcrypt hash if `text` looks like one, else a plain password.
    pub fn detect(text: String) -> AdminPassword {
        let looks_hashed = text.len() == 60
            && ["$2a$", "$2b$", "$2y$"].iter().any(|p| text.starts_with(p))
            && text.parse::<bcrypt::HashParts>().is_ok();
        if looks_hashed {
            AdminPassword::Bcrypt(text)
        } else {
            AdminPassword::Plain(text)
        }
    }

    /// Fails as the package does for a hash it cannot read.
    pub(crate) fn validate(&self) -> Result<(), InstrumentError> {
        match self {
            AdminPassword::Bcrypt(hash) => hash
                .parse::<bcrypt::HashParts>()
                .map(|_| ())
                .map_err(|_| InstrumentError::InvalidPasswordHash),
            AdminPassword::Plain(_) => Ok(()),
        }
    }

    /// Whether `candidate` is the password. bcrypt is slow on purpose (tens of
    /// milliseconds): call it off the async threads.
    pub(crate) fn matches(&self, candidate: &str) -> bool {
        match self {
            AdminPassword::Bcrypt(hash) => bcrypt::verify(candidate, hash).unwrap_or(false),
            AdminPassword::Plain(password) => {
                constant_time_eq(password.as_bytes(), candidate.as_bytes())
            }
        }
    }
}

impl std::fmt::Debug for AdminPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AdminPassword::Bcrypt(_) => "Bcrypt(..)",
            AdminPassword::Plain(_) => "Plain(..)",
        })
    }
}

/// Equal slices, in a time that depends on their lengths only (a timing attack learns
/// nothing of where they differ).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What the UI puts in the handshake's auth payload.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Credentials {
    pub(crate) session_id: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
}

/// The session ids handed out, the oldest forgotten past `max`.
#[derive(Debug)]
pub(crate) struct Sessions {
    max: usize,
    ids: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl Sessions {
    pub(crate) fn new(max: usize) -> Sessions {
        Sessions {
            max,
            ids: Mutex::default(),
        }
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        lock(&self.ids).0.contains(id)
    }

    /// A new session id (random, 15 bytes).
    pub(crate) fn open(&self) -> String {
        let id = Sid::generate().to_string();
        let mut ids = lock(&self.ids);
        ids.0.insert(id.clone());
        ids.1.push_back(id.clone());
        while ids.1.len() > self.max {
            if let Some(old) = ids.1.pop_front() {
                ids.0.remove(&old);
            }
        }
        id
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made with Node: require("bcryptjs").hashSync("changeit", 4).
    const HASH: &str = "$2a$04$/Wq0ZzLfqo7JTuxeWYZw6O0tddc8qixBcXAuOCrB1HqWcmTjj2KSK";

    #[test]
    fn bcrypt_hashes_from_bcryptjs_verify() {
        let password = AdminPassword::detect(HASH.to_owned());
        assert!(matches!(password, AdminPassword::Bcrypt(_)));
        assert!(password.validate().is_ok());
        assert!(password.matches("changeit"));
        assert!(!password.matches("changeIt"));
    }

    #[test]
    fn other_text_is_a_plain_password() {
        let password = AdminPassword::detect("$2b$short".to_owned());
        assert!(matches!(password, AdminPassword::Plain(_)));
        assert!(password.matches("$2b$short"));
        assert!(!password.matches("$2b$shorT"));
        assert!(!password.matches(""));
        let bad = AdminPassword::Bcrypt("not a hash".to_owned());
        assert!(bad.validate().is_err());
        assert!(!bad.matches("not a hash"));
    }

    #[test]
    fn sessions_forget_the_oldest() {
        let sessions = Sessions::new(2);
        let a = sessions.open();
        let b = sessions.open();
        assert!(sessions.contains(&a) && sessions.contains(&b));
        let c = sessions.open();
        assert!(!sessions.contains(&a));
        assert!(sessions.contains(&b) && sessions.contains(&c));
        assert!(!sessions.contains("guess"));
    }
}
