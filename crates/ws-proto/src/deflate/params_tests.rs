//! Negotiation tables: offers → resolved parameters or decline, responses → accept or error.

use super::*;

fn params(snct: bool, cnct: bool, server_bits: u8, client_bits: u8) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: snct,
        client_no_context_takeover: cnct,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
    }
}

const PLAIN: DeflateParams = DeflateParams {
    server_no_context_takeover: false,
    client_no_context_takeover: false,
    server_max_window_bits: 15,
    client_max_window_bits: 15,
};

#[test]
fn server_negotiation_table_with_default_config() {
    let config = DeflateConfig::default();
    let table: &[(&[&str], Option<DeflateParams>)] = &[
        (&[], None),
        (&[""], None),
        (&["x-webkit-deflate-frame"], None),
        (&["permessage-deflate"], Some(PLAIN)),
        (&["PerMessage-Deflate"], Some(PLAIN)),
        (&["permessage-deflate; client_max_window_bits"], Some(PLAIN)),
        (
            &["permessage-deflate; client_max_window_bits=15"],
            Some(PLAIN),
        ),
        (
            &["permessage-deflate; client_max_window_bits=10"],
            Some(params(false, false, 15, 10)),
        ),
        (
            &["permessage-deflate; client_max_window_bits=\"8\""],
            Some(params(false, false, 15, 8)),
        ),
        (
            &["permessage-deflate; server_max_window_bits=9"],
            Some(params(false, false, 9, 15)),
        ),
        (
            &["permessage-deflate; server_no_context_takeover"],
            Some(params(true, false, 15, 15)),
        ),
        (
            &["permessage-deflate; client_no_context_takeover"],
            Some(params(false, true, 15, 15)),
        ),
        (
            &[
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
               server_max_window_bits=8; client_max_window_bits=8",
            ],
            Some(params(true, true, 8, 8)),
        ),
        // RFC 7692 §7.1.3: fall back to the second offer when the first is unacceptable.
        (
            &[
                "permessage-deflate; server_max_window_bits=16, permessage-deflate; client_max_window_bits",
            ],
            Some(PLAIN),
        ),
        (
            &[
                "permessage-deflate; foo=1",
                "permessage-deflate; server_no_context_takeover",
            ],
            Some(params(true, false, 15, 15)),
        ),
        (
            &["x-foo, permessage-deflate; server_max_window_bits=12"],
            Some(params(false, false, 12, 15)),
        ),
        // The first acceptable offer wins, even when a later one asks for less.
        (
            &["permessage-deflate; client_no_context_takeover, permessage-deflate"],
            Some(params(false, true, 15, 15)),
        ),
        // Declined: unknown, duplicate, or invalid parameters (RFC 7692 §7).
        (&["permessage-deflate; foo"], None),
        (&["permessage-deflate; server_max_window_bits"], None),
        (&["permessage-deflate; server_max_window_bits=7"], None),
        (&["permessage-deflate; server_max_window_bits=08"], None),
        (&["permessage-deflate; client_max_window_bits=16"], None),
        (
            &["permessage-deflate; server_no_context_takeover=true"],
            None,
        ),
        (
            &["permessage-deflate; client_no_context_takeover; client_no_context_takeover"],
            None,
        ),
        (
            &["permessage-deflate; server_max_window_bits=10; server_max_window_bits=10"],
            None,
        ),
        (
            &["permessage-deflate; server_max_window_bits=\"1 0\""],
            None,
        ),
        (&["permessage-deflate;; client_max_window_bits"], None),
        (&["permessage-deflate; client_max_window_bits=\"9"], None),
    ];
    for (offers, expected) in table {
        assert_eq!(
            DeflateParams::negotiate(offers.iter().copied(), &config),
            *expected,
            "{offers:?}"
        );
    }
}

#[test]
fn server_config_adds_its_own_demands() {
    let strict = DeflateConfig::default()
        .server_no_context_takeover(true)
        .client_no_context_takeover(true)
        .server_max_window_bits(Some(10))
        .client_max_window_bits(Some(11));
    let table: &[(&str, Option<DeflateParams>)] = &[
        // The client did not offer client_max_window_bits: its window stays 15.
        ("permessage-deflate", Some(params(true, true, 10, 15))),
        (
            "permessage-deflate; client_max_window_bits",
            Some(params(true, true, 10, 11)),
        ),
        (
            "permessage-deflate; client_max_window_bits=9",
            Some(params(true, true, 10, 9)),
        ),
        (
            "permessage-deflate; client_max_window_bits=13",
            Some(params(true, true, 10, 11)),
        ),
        // The client's server limit is below ours: use the client's.
        (
            "permessage-deflate; server_max_window_bits=8",
            Some(params(true, true, 8, 15)),
        ),
        (
            "permessage-deflate; server_max_window_bits=12",
            Some(params(true, true, 10, 15)),
        ),
    ];
    for (offer, expected) in table {
        assert_eq!(
            DeflateParams::negotiate([*offer], &strict),
            *expected,
            "{offer}"
        );
    }
}

#[test]
fn response_header_says_only_what_differs_from_defaults() {
    let table = [
        (PLAIN, "permessage-deflate"),
        (
            params(true, false, 15, 15),
            "permessage-deflate; server_no_context_takeover",
        ),
        (
            params(false, true, 15, 15),
            "permessage-deflate; client_no_context_takeover",
        ),
        (
            params(true, true, 9, 10),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=9; client_max_window_bits=10",
        ),
    ];
    for (params, expected) in table {
        assert_eq!(params.response_header(), expected);
    }
}

#[test]
fn offers_follow_the_config() {
    let table = [
        (
            DeflateConfig::default(),
            "permessage-deflate; client_max_window_bits",
        ),
        (
            DeflateConfig::default()
                .client_max_window_bits(Some(15))
                .server_max_window_bits(Some(15)),
            "permessage-deflate; client_max_window_bits",
        ),
        (
            DeflateConfig::default()
                .server_no_context_takeover(true)
                .client_no_context_takeover(true)
                .server_max_window_bits(Some(9))
                .client_max_window_bits(Some(3)),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=9; client_max_window_bits=8",
        ),
    ];
    for (config, expected) in table {
        assert_eq!(DeflateParams::offer(&config), expected);
    }
}

#[test]
fn client_response_table() {
    let plain = DeflateConfig::default();
    let demanding = DeflateConfig::default()
        .server_no_context_takeover(true)
        .server_max_window_bits(Some(10))
        .client_max_window_bits(Some(12));
    let table: &[(&DeflateConfig, &str, Option<DeflateParams>)] = &[
        (&plain, "permessage-deflate", Some(PLAIN)),
        (&plain, " permessage-deflate ", Some(PLAIN)),
        // The server may add these even though we did not ask (RFC 7692 §7.1.1, §7.1.2.1).
        (
            &plain,
            "permessage-deflate; server_no_context_takeover",
            Some(params(true, false, 15, 15)),
        ),
        (
            &plain,
            "permessage-deflate; client_no_context_takeover",
            Some(params(false, true, 15, 15)),
        ),
        (
            &plain,
            "permessage-deflate; server_max_window_bits=8",
            Some(params(false, false, 8, 15)),
        ),
        (
            &plain,
            "permessage-deflate; client_max_window_bits=9",
            Some(params(false, false, 15, 9)),
        ),
        (
            &plain,
            "permessage-deflate; client_max_window_bits=\"9\"",
            Some(params(false, false, 15, 9)),
        ),
        (
            &demanding,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10",
            Some(params(true, false, 10, 12)),
        ),
        (
            &demanding,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=8; client_max_window_bits=10",
            Some(params(true, false, 8, 10)),
        ),
        // Errors.
        (&plain, "", None),
        (&plain, "x-foo", None),
        (&plain, "permessage-deflate, permessage-deflate", None),
        (&plain, "permessage-deflate, x-foo", None),
        (&plain, "permessage-deflate; foo", None),
        (&plain, "permessage-deflate; client_max_window_bits", None),
        (
            &plain,
            "permessage-deflate; client_max_window_bits=16",
            None,
        ),
        (&plain, "permessage-deflate; server_max_window_bits", None),
        (
            &plain,
            "permessage-deflate; server_max_window_bits=07",
            None,
        ),
        (
            &plain,
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            None,
        ),
        (
            &plain,
            "permessage-deflate; client_no_context_takeover=1",
            None,
        ),
        (
            &plain,
            "permessage-deflate; server_max_window_bits=\"9",
            None,
        ),
        (
            &demanding,
            "permessage-deflate; server_max_window_bits=10",
            None,
        ),
        (
            &demanding,
            "permessage-deflate; server_no_context_takeover",
            None,
        ),
        (
            &demanding,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=11",
            None,
        ),
        (
            &demanding,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=13",
            None,
        ),
    ];
    for (config, response, expected) in table {
        let result = DeflateParams::accept_response(response, config);
        match expected {
            Some(expected) => assert_eq!(result, Ok(*expected), "{response}"),
            None => assert!(
                matches!(result, Err(HandshakeError::Extension(_))),
                "{response}: {result:?}"
            ),
        }
    }
}

#[test]
fn client_and_server_agree_for_every_config_pair() {
    let configs = [
        DeflateConfig::default(),
        DeflateConfig::default().server_no_context_takeover(true),
        DeflateConfig::default().client_no_context_takeover(true),
        DeflateConfig::default().server_max_window_bits(Some(9)),
        DeflateConfig::default().client_max_window_bits(Some(8)),
        DeflateConfig::default()
            .server_max_window_bits(Some(12))
            .client_max_window_bits(Some(10))
            .server_no_context_takeover(true),
    ];
    for client in &configs {
        for server in &configs {
            let offer = DeflateParams::offer(client);
            let agreed = DeflateParams::negotiate([offer.as_str()], server).expect("accepted");
            let seen = DeflateParams::accept_response(&agreed.response_header(), client);
            assert_eq!(seen, Ok(agreed), "{offer} / {}", agreed.response_header());
        }
    }
}

#[test]
fn validate_reports_out_of_range_fields() {
    assert_eq!(DeflateConfig::default().validate(), Ok(()));
    for bad in [
        DeflateConfig {
            server_max_window_bits: Some(16),
            ..DeflateConfig::default()
        },
        DeflateConfig {
            client_max_window_bits: Some(7),
            ..DeflateConfig::default()
        },
        DeflateConfig {
            level: 10,
            ..DeflateConfig::default()
        },
    ] {
        assert!(bad.validate().is_err(), "{bad:?}");
    }
    let config = DeflateConfig {
        client_max_window_bits: Some(200),
        ..DeflateConfig::default()
    };
    // Negotiation clamps instead of panicking.
    assert_eq!(
        DeflateParams::offer(&config),
        "permessage-deflate; client_max_window_bits"
    );
}
