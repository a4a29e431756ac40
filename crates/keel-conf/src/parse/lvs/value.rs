//! Argument forms specific to LVS keywords: forwarding methods, persistence granularity,
//! hex strings. Ranges are keepalived 2.2.7's (checked with `keepalived -t`).

use std::net::{IpAddr, Ipv4Addr};

use crate::diag::Diagnostic;
use crate::model::lvs::{Family, Granularity, Method, Tunnel, TunnelChecksum};
use crate::token::Token;
use crate::tree::Node;
use crate::values;

use super::super::{Ctx, util};

/// The largest TIMER keepalived accepts for delays (about 2^64 µs).
pub const TIMER_MAX: f64 = 18_446_744_073_709.0;

/// `persistence_timeout` without a value, and what a zero-port service is given
/// (IPVS_SVC_PERSISTENT_TIMEOUT, spec §2.7 "persistence_timeout [S] (360)").
pub const DEFAULT_PERSISTENCE: u32 = 360;

/// `lvs_method NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`, for a
/// `who` server ("virtual", "real", "sorry"), with keepalived's messages.
pub fn method(ctx: &mut Ctx<'_>, node: &Node, who: &str) -> Option<Method> {
    let token = util::arg(ctx, node)?;
    match token.text.as_str() {
        "NAT" => return Some(Method::Nat),
        "DR" => return Some(Method::Dr),
        "TUN" => {}
        other => {
            ctx.report(
                Diagnostic::error(
                    Some(token.span),
                    format!("unknown [{other}] routing method for {who} server"),
                )
                .with_help("expected NAT|DR|TUN"),
            );
            return None;
        }
    }
    let mut tunnel = Tunnel::Ipip;
    let mut gue_port: Option<(u16, &Token)> = None;
    let mut checksum: Option<(TunnelChecksum, &Token)> = None;
    let mut args = node.args[1..].iter();
    while let Some(option) = args.next() {
        match option.text.as_str() {
            "type" => {
                let Some(kind) = args.next() else {
                    ctx.report(Diagnostic::error(
                        Some(option.span),
                        format!("missing tunnel type for {who} server"),
                    ));
                    break;
                };
                tunnel = match kind.text.as_str() {
                    "ipip" => Tunnel::Ipip,
                    "gue" => Tunnel::Gue { port: 0 },
                    "gre" => Tunnel::Gre,
                    other => {
                        ctx.report(
                            Diagnostic::error(
                                Some(kind.span),
                                format!("unknown tunnel type {other} for {who} server"),
                            )
                            .with_help("expected ipip|gue|gre"),
                        );
                        Tunnel::Ipip
                    }
                };
            }
            "port" => {
                let Some(port) = args.next() else {
                    ctx.report(Diagnostic::error(
                        Some(option.span),
                        format!("missing port for {who} server gue tunnel"),
                    ));
                    break;
                };
                if let Some(value) = ctx.value(values::int(port, 1, 65535)) {
                    gue_port = Some((value, port));
                }
            }
            "nocsum" => checksum = Some((TunnelChecksum::Nocsum, option)),
            "csum" => checksum = Some((TunnelChecksum::Csum, option)),
            "remcsum" => checksum = Some((TunnelChecksum::Remcsum, option)),
            other => ctx.report(
                Diagnostic::error(
                    Some(option.span),
                    format!("invalid tunnel option {other} for {who} server"),
                )
                .with_help("expected type ipip|gue|gre, port N, nocsum|csum|remcsum"),
            ),
        }
    }
    match (&mut tunnel, gue_port) {
        (Tunnel::Gue { port }, Some((value, _))) => *port = value,
        (Tunnel::Gue { .. }, None) | (_, Some(_)) => {
            let span = gue_port.map_or(token.span, |(_, t)| t.span);
            ctx.report(
                Diagnostic::error(
                    Some(span),
                    "gue tunnels require port, otherwise cannot have port",
                )
                .with_help("write `type gue port N`"),
            );
            if matches!(tunnel, Tunnel::Gue { .. }) {
                tunnel = Tunnel::Ipip;
            }
        }
        _ => {}
    }
    let checksum = match (tunnel, checksum) {
        (Tunnel::Ipip, Some((_, token))) => {
            ctx.report(Diagnostic::error(
                Some(token.span),
                "ipip tunnels do not support checksum option",
            ));
            None
        }
        (Tunnel::Gre, Some((TunnelChecksum::Remcsum, token))) => {
            ctx.report(Diagnostic::error(
                Some(token.span),
                "gre tunnels do not support remote checksum option",
            ));
            None
        }
        (_, checksum) => checksum.map(|(c, _)| c),
    };
    Some(Method::Tun { tunnel, checksum })
}

/// `persistence_granularity`: a solid IPv4 netmask, or an IPv6 prefix length 1..128
/// (the family is the service's, or guessed from a `.` in the text as keepalived does).
pub fn granularity(token: &Token, family: Option<Family>) -> Result<Granularity, Diagnostic> {
    let family = family.unwrap_or(if token.text.contains('.') {
        Family::Inet
    } else {
        Family::Inet6
    });
    match family {
        Family::Inet6 => values::int(token, 1, 128).map(Granularity::PrefixLen),
        Family::Inet => {
            let mask: Ipv4Addr = match values::parse_ip(&token.text) {
                Some(IpAddr::V4(mask)) => mask,
                _ => {
                    return Err(Diagnostic::error(
                        Some(token.span),
                        format!(
                            "invalid IPv4 persistence_granularity specified - {}",
                            token.text
                        ),
                    )
                    .with_help("expected a netmask such as 255.255.255.0"));
                }
            };
            let bits = u32::from(mask);
            if bits.leading_ones() + bits.trailing_zeros() != 32 {
                return Err(Diagnostic::error(
                    Some(token.span),
                    format!(
                        "IPv4 persistence_granularity netmask is not solid - {}",
                        token.text
                    ),
                )
                .with_help("expected ones then zeros, such as 255.255.255.0"));
            }
            Ok(Granularity::Netmask(mask))
        }
    }
}

/// Bytes from hex text (`0a0B`); an odd number of digits is an error.
pub fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || text.len() % 2 != 0 {
        return None;
    }
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            let [high, low] = pair else { return None };
            let high = char::from(*high).to_digit(16)?;
            let low = char::from(*low).to_digit(16)?;
            u8::try_from(high * 16 + low).ok()
        })
        .collect()
}

/// Nibbles from hex text where `x` matches any nibble (`require_reply 0axx`).
pub fn hex_pattern(text: &str) -> Option<Vec<Option<u8>>> {
    if text.is_empty() {
        return None;
    }
    text.chars()
        .map(|c| match c {
            'x' | 'X' => Some(None),
            c => c.to_digit(16).and_then(|d| u8::try_from(d).ok()).map(Some),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_payloads_and_wildcard_patterns() {
        // Input: UDP_CHECK payload and require_reply texts.
        // Output: bytes and nibbles; odd length or non-hex digits are rejected.
        assert_eq!(hex_bytes("0a0B"), Some(vec![0x0a, 0x0b]));
        assert_eq!(hex_bytes("0a0"), None);
        assert_eq!(hex_bytes("zz"), None);
        assert_eq!(hex_pattern("0ax"), Some(vec![Some(0), Some(10), None]));
        assert_eq!(hex_pattern("0g"), None);
    }
}
