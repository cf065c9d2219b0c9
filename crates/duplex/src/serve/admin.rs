//! `duplex serve --admin-user/--admin-password`: the Socket.IO Admin UI's `/admin` namespace
//! on the chat server (`duplex_socketio::admin`), for the package's web page (hosted by the
//! Socket.IO project or anywhere else) to watch and steer the chat.

use duplex_socketio::admin::{AdminAuth, AdminOptions, instrument};
use duplex_socketio::{Cors, SocketIo};

/// The credentials in force: both or neither.
pub(super) fn auth(
    user: Option<String>,
    password: Option<String>,
) -> Result<Option<AdminAuth>, String> {
    match (user, password) {
        (Some(user), Some(password)) => Ok(Some(AdminAuth::basic(user, password))),
        (None, None) => Ok(None),
        _ => Err("admin_user and admin_password go together".to_owned()),
    }
}

/// Serves the Admin UI's namespace when credentials are set.
pub(super) fn mount(io: &SocketIo, auth: Option<&AdminAuth>) -> Result<(), String> {
    let Some(auth) = auth else { return Ok(()) };
    instrument(io, AdminOptions::new(Some(auth.clone()))).map_err(|e| e.to_string())?;
    tracing::info!("duplex serve: the Admin UI may connect to namespace /admin");
    Ok(())
}

/// `cors` for the `origins` asked, made usable by the Admin UI's page when it is on: the UI
/// connects with credentials, which browsers refuse under `*` or without
/// `Access-Control-Allow-Credentials`.
pub(super) fn cors(cors: Cors, origins: &[String], admin: bool) -> Cors {
    match (admin, origins.iter().any(|o| o == "*")) {
        (false, _) => cors,
        (true, true) => Cors::mirror().credentials(true),
        (true, false) => cors.credentials(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_go_together() {
        assert!(auth(None, None).unwrap().is_none());
        assert!(auth(Some("a".into()), Some("b".into())).unwrap().is_some());
        assert!(auth(Some("a".into()), None).is_err());
        assert!(auth(None, Some("b".into())).is_err());
    }

    #[test]
    fn the_credentials_may_come_from_the_config_file() {
        let dir = std::env::temp_dir().join(format!("duplex-serve-admin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("serve.toml");
        std::fs::write(&path, "admin_user = \"ops\"\nadmin_password = \"pw\"\n").unwrap();
        let args = super::super::ServeArgs {
            config: Some(path),
            ..Default::default()
        };
        let settings = args.settings();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(settings.unwrap().admin, Some(AdminAuth::basic("ops", "pw")));
        assert_eq!(
            super::super::ServeArgs::default().settings().unwrap().admin,
            None
        );
    }

    #[test]
    fn the_admin_page_gets_credentialed_cors() {
        let any = vec!["*".to_owned()];
        assert_eq!(cors(Cors::any(), &any, false), Cors::any());
        assert_eq!(
            cors(Cors::any(), &any, true),
            Cors::mirror().credentials(true)
        );
        let one = vec!["https://admin.socket.io".to_owned()];
        let listed = Cors::origins(one.clone());
        assert_eq!(cors(listed.clone(), &one, true), listed.credentials(true));
    }
}
