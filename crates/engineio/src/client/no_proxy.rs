//! `NO_PROXY` matching: which servers the client reaches without the proxy. The rules are
//! on [`ProxyConfig`](super::ProxyConfig).

use std::net::IpAddr;

/// Whether `list` (a `NO_PROXY` value) exempts the server at `host:port`, `host` without
/// IPv6 brackets.
pub(crate) fn bypasses(list: &str, host: &str, port: u16) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let ip: Option<IpAddr> = host.parse().ok();
    list.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .any(|entry| entry == "*" || matches(entry, &host, ip, port))
}

/// One entry against the lower-cased `host` (its address if it is one) and `port`.
fn matches(entry: &str, host: &str, ip: Option<IpAddr>, port: u16) -> bool {
    let Some((pattern, entry_port)) = split_port(entry) else {
        return false;
    };
    if entry_port.is_some_and(|p| p != port) {
        return false;
    }
    if let Some((network, bits)) = pattern.split_once('/') {
        return match (ip, network.parse::<IpAddr>(), bits.parse::<u8>()) {
            (Some(ip), Ok(network), Ok(bits)) => in_network(ip, network, bits),
            _ => false,
        };
    }
    // An address is matched as one, never as a domain suffix (`2.3` must not cover
    // `10.1.2.3`).
    if let Some(ip) = ip {
        return pattern.parse::<IpAddr>() == Ok(ip);
    }
    // `.example.com` and `*.example.com` mean `example.com`, as curl reads them.
    let domain = pattern
        .trim_start_matches('*')
        .trim_start_matches('.')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    !domain.is_empty()
        && (host == domain
            || host
                .strip_suffix(domain.as_str())
                .is_some_and(|rest| rest.ends_with('.')))
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`, a bare IPv6 address (more than one colon) or a
/// CIDR block; `None` for a port that is not a number.
fn split_port(entry: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = entry.strip_prefix('[') {
        let (address, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => Some((address, Some(port.parse().ok()?))),
            None if after.is_empty() => Some((address, None)),
            None => None,
        };
    }
    match entry.split_once(':') {
        Some((host, port)) if !port.contains(':') => Some((host, Some(port.parse().ok()?))),
        _ => Some((entry, None)),
    }
}

/// Whether `ip` is in `network/bits` (an IPv4-mapped IPv6 address is not an IPv4 one here).
fn in_network(ip: IpAddr, network: IpAddr, bits: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(network)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(network)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_their_subdomains_only_at_a_dot() {
        for list in [
            "example.com",
            ".example.com",
            "*.example.com",
            "EXAMPLE.com.",
        ] {
            assert!(bypasses(list, "example.com", 80), "{list}");
            assert!(bypasses(list, "api.Example.com", 80), "{list}");
            assert!(!bypasses(list, "badexample.com", 80), "{list}");
            assert!(!bypasses(list, "example.org", 80), "{list}");
        }
    }

    #[test]
    fn ports_narrow_an_entry() {
        assert!(bypasses("example.com:8080", "example.com", 8080));
        assert!(!bypasses("example.com:8080", "example.com", 80));
        assert!(bypasses("[::1]:3000", "::1", 3000));
        assert!(!bypasses("[::1]:3000", "::1", 3001));
        assert!(bypasses("[::1]", "::1", 1));
        assert!(!bypasses("example.com:http", "example.com", 80));
        assert!(!bypasses("[::1", "::1", 1));
    }

    #[test]
    fn addresses_match_exactly_or_by_block() {
        assert!(bypasses("127.0.0.1", "127.0.0.1", 80));
        assert!(!bypasses("127.0.0.1", "127.0.0.2", 80));
        assert!(bypasses("::1", "0:0::1", 80));
        assert!(bypasses("10.0.0.0/8", "10.200.3.4", 80));
        assert!(!bypasses("10.0.0.0/8", "11.0.0.1", 80));
        assert!(bypasses("0.0.0.0/0", "8.8.8.8", 80));
        assert!(bypasses("fd00::/8", "fd12::1", 80));
        assert!(!bypasses("fd00::/8", "fe80::1", 80));
        assert!(!bypasses("10.0.0.0/33", "10.0.0.1", 80));
        assert!(!bypasses("10.0.0.0/8", "ten.example", 80));
        assert!(!bypasses("2.3", "10.1.2.3", 80));
    }

    #[test]
    fn lists_split_on_commas_and_spaces_and_star_is_everything() {
        assert!(bypasses("a.test, b.test", "b.test", 1));
        assert!(bypasses("a.test b.test", "b.test", 1));
        assert!(bypasses("*", "anything", 1));
        assert!(!bypasses("", "anything", 1));
        assert!(!bypasses(" , ", "anything", 1));
        assert!(!bypasses(".", "anything", 1));
    }

    #[test]
    fn loopback_is_not_special() {
        assert!(!bypasses("example.com", "localhost", 80));
        assert!(!bypasses("example.com", "127.0.0.1", 80));
        assert!(!bypasses("example.com", "::1", 80));
    }
}
