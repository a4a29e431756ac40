//! Typed values of keyword arguments, each parsed from one token with its span.
//!
//! Every parser returns the value or a [`Diagnostic`] that points at the offending token
//! and says what was expected, so a keyword handler is a line of glue. The accepted
//! spellings follow keepalived 2.2.7 (spec §2.1): BOOL is `on|off|true|false|yes|no`,
//! TIMER is decimal seconds with microsecond resolution.

use std::net::IpAddr;
use std::str::FromStr;

use crate::diag::Diagnostic;
use crate::model::{Prefix, Seconds};
use crate::source::Span;
use crate::token::Token;

/// An integer in `min..=max` (keepalived: "number 'x' outside range [min, max]").
pub fn integer(token: &Token, min: i64, max: i64) -> Result<i64, Diagnostic> {
    let expected = || format!("expected an integer {min}..{max}");
    let value: i64 = token.text.parse().map_err(|_| {
        Diagnostic::error(Some(token.span), format!("invalid number '{}'", token.text))
            .with_help(expected())
    })?;
    if value < min || value > max {
        return Err(Diagnostic::error(
            Some(token.span),
            format!("number '{}' outside range [{min}, {max}]", token.text),
        )
        .with_help(expected()));
    }
    Ok(value)
}

/// An integer in `min..=max`, converted to the model's type.
pub fn int<T: TryFrom<i64>>(token: &Token, min: i64, max: i64) -> Result<T, Diagnostic> {
    let value = integer(token, min, max)?;
    T::try_from(value).map_err(|_| {
        Diagnostic::error(
            Some(token.span),
            format!("number '{}' does not fit", token.text),
        )
    })
}

/// A boolean: `on|off|true|false|yes|no`, any case.
pub fn boolean(token: &Token) -> Result<bool, Diagnostic> {
    match token.text.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err(Diagnostic::error(
            Some(token.span),
            format!("invalid boolean '{}'", token.text),
        )
        .with_help("expected on|off|true|false|yes|no")),
    }
}

/// A flag keyword with an optional BOOL argument: a bare flag means true.
pub fn flag(args: &[Token]) -> Result<bool, Diagnostic> {
    match args.first() {
        None => Ok(true),
        Some(token) => boolean(token),
    }
}

/// Decimal seconds with up to 6 fractional digits, in `min..=max` seconds.
pub fn timer(token: &Token, min: f64, max: f64) -> Result<Seconds, Diagnostic> {
    let expected = || format!("expected decimal seconds {min}..{max}");
    let micros = parse_micros(&token.text).ok_or_else(|| {
        Diagnostic::error(Some(token.span), format!("invalid time '{}'", token.text))
            .with_help(expected())
    })?;
    let seconds = Seconds::from_micros(micros);
    let value = seconds.as_f64();
    if value < min || value > max {
        return Err(Diagnostic::error(
            Some(token.span),
            format!("time '{}' outside range [{min}, {max}]", token.text),
        )
        .with_help(expected()));
    }
    Ok(seconds)
}

/// An IPv4 or IPv6 address.
pub fn ip(token: &Token) -> Result<IpAddr, Diagnostic> {
    parse_ip(&token.text).ok_or_else(|| {
        Diagnostic::error(
            Some(token.span),
            format!("invalid IP address '{}'", token.text),
        )
        .with_help("expected an IPv4 or IPv6 address")
    })
}

/// An address with an optional `/LEN` (0..32 for IPv4, 0..128 for IPv6).
pub fn prefix(token: &Token) -> Result<Prefix, Diagnostic> {
    parse_prefix(&token.text).ok_or_else(|| {
        Diagnostic::error(
            Some(token.span),
            format!("invalid IP address '{}'", token.text),
        )
        .with_help("expected ADDRESS[/LEN]")
    })
}

/// One of a fixed set of words (case-sensitive unless the caller lowercases).
pub fn choice<'a>(token: &Token, words: &[&'a str]) -> Result<&'a str, Diagnostic> {
    words
        .iter()
        .find(|w| **w == token.text)
        .copied()
        .ok_or_else(|| {
            Diagnostic::error(Some(token.span), format!("invalid value '{}'", token.text))
                .with_help(format!("expected one of {}", words.join("|")))
        })
}

/// The first argument of a keyword that needs one.
pub fn required<'a>(keyword: &Token, args: &'a [Token]) -> Result<&'a Token, Diagnostic> {
    args.first().ok_or_else(|| {
        Diagnostic::error(
            Some(keyword.span),
            format!("{} requires a value", keyword.text),
        )
    })
}

/// Parses an IP address, accepting IPv6 zone-less text only.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    IpAddr::from_str(text).ok()
}

/// Parses `ADDR[/LEN]`.
pub fn parse_prefix(text: &str) -> Option<Prefix> {
    let (addr, len) = match text.split_once('/') {
        Some((addr, len)) => (addr, Some(len)),
        None => (text, None),
    };
    let address = parse_ip(addr)?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(len) => {
            if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let value: u8 = len.parse().ok()?;
            if value > max {
                return None;
            }
            Some(value)
        }
        None => None,
    };
    Some(Prefix { address, len })
}

/// Decimal seconds to microseconds (keepalived's TIMER: `read_decimal_unsigned_strvec`
/// with 6 decimal places).
pub fn parse_micros(text: &str) -> Option<u64> {
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut micros = 0u64;
    for (i, digit) in fraction.bytes().take(6).enumerate() {
        micros += u64::from(digit - b'0') * 10u64.pow(5 - u32::try_from(i).unwrap_or(5));
    }
    whole.checked_mul(1_000_000)?.checked_add(micros)
}

/// Splits a script command line the way keepalived does for script-valued keywords
/// (spec §2.1): whitespace separates words, `'...'` and `"..."` group, and backslash
/// escapes `\a \b \E \f \n \r \t \v \nnn \xXX \cC` and any other character.
///
/// `"pidof nginx "` gives `["pidof", "nginx"]`; `"/x arg1 'arg two'"` gives
/// `["/x", "arg1", "arg two"]`. An unterminated quote is an error.
pub fn split_command(text: &str, span: Span) -> Result<Vec<String>, Diagnostic> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (Some('\''), c) => word.push(c),
            (_, '\\') => {
                in_word = true;
                word.push(unescape(&mut chars));
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (_, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(
            Diagnostic::error(Some(span), "unterminated quote in script")
                .with_help("close the ' or \" quote"),
        );
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// The character after a backslash.
fn unescape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> char {
    let Some(c) = chars.next() else { return '\\' };
    match c {
        'a' => '\u{7}',
        'b' => '\u{8}',
        'E' => '\u{1b}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\u{b}',
        'x' => {
            let mut value = 0u32;
            for _ in 0..2 {
                match chars.peek().and_then(|c| c.to_digit(16)) {
                    Some(d) => {
                        value = value * 16 + d;
                        chars.next();
                    }
                    None => break,
                }
            }
            char::from_u32(value).unwrap_or('?')
        }
        'c' => match chars.next() {
            Some(ctl) => char::from_u32(u32::from(ctl.to_ascii_uppercase()) ^ 0x40).unwrap_or('?'),
            None => 'c',
        },
        '0'..='7' => {
            let mut value = c.to_digit(8).unwrap_or(0);
            for _ in 0..2 {
                match chars.peek().and_then(|c| c.to_digit(8)) {
                    Some(d) => {
                        value = value * 8 + d;
                        chars.next();
                    }
                    None => break,
                }
            }
            char::from_u32(value).unwrap_or('?')
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::token::TokenKind;

    fn word(text: &str) -> Token {
        Token {
            kind: TokenKind::Word,
            text: text.into(),
            span: Span {
                file: FileId(0),
                line: 3,
                col: 14,
                len: text.len() as u32,
            },
        }
    }

    #[test]
    fn integer_range_errors_point_at_the_token() {
        // Input: `priority 300` with range 1..255.
        // Output: an error at the token with "expected an integer 1..255".
        let err = integer(&word("300"), 1, 255).expect_err("out of range");
        assert_eq!(err.message, "number '300' outside range [1, 255]");
        assert_eq!(err.help.as_deref(), Some("expected an integer 1..255"));
        assert_eq!(err.span.map(|s| (s.line, s.col)), Some((3, 14)));
        assert_eq!(integer(&word("-3"), -253, 253), Ok(-3));
        assert!(integer(&word("12x"), 0, 100).is_err());
        assert!(integer(&word("$PRI"), 0, 100).is_err());
    }

    #[test]
    fn booleans_and_flags() {
        // Input: keepalived's six spellings; a bare flag.
        // Output: true/false; anything else is an error.
        for (text, value) in [
            ("on", true),
            ("YES", true),
            ("true", true),
            ("off", false),
            ("no", false),
            ("false", false),
        ] {
            assert_eq!(boolean(&word(text)), Ok(value));
        }
        assert!(boolean(&word("maybe")).is_err());
        assert_eq!(flag(&[]), Ok(true));
        assert_eq!(flag(&[word("off")]), Ok(false));
    }

    #[test]
    fn timers_are_decimal_seconds_with_microsecond_resolution() {
        // Input: "1", "0.5", "2.0000019", ".25", "-1", "1e3".
        // Output: 1 s, 0.5 s, 2.000001 s (truncated), 0.25 s; errors for the last two.
        assert_eq!(
            timer(&word("1"), 0.0, 100.0).map(|s| s.micros()),
            Ok(1_000_000)
        );
        assert_eq!(
            timer(&word("0.5"), 0.0, 100.0).map(|s| s.micros()),
            Ok(500_000)
        );
        assert_eq!(
            timer(&word("2.0000019"), 0.0, 100.0).map(|s| s.micros()),
            Ok(2_000_001)
        );
        assert_eq!(
            timer(&word(".25"), 0.0, 100.0).map(|s| s.micros()),
            Ok(250_000)
        );
        assert!(timer(&word("-1"), 0.0, 100.0).is_err());
        assert!(timer(&word("1e3"), 0.0, 100.0).is_err());
        assert!(timer(&word("200"), 0.0, 100.0).is_err());
    }

    #[test]
    fn addresses_and_prefixes() {
        // Input: IPv4/IPv6 with and without a length; the sample's broken `192.168.100./24`.
        // Output: parsed values; errors for bad text and lengths over the family's maximum.
        let p = prefix(&word("192.168.1.199/24")).expect("valid");
        assert_eq!(p.address.to_string(), "192.168.1.199");
        assert_eq!(p.len, Some(24));
        assert_eq!(prefix(&word("fe80::1")).map(|p| p.len), Ok(None));
        assert!(prefix(&word("192.168.100./24")).is_err());
        assert!(prefix(&word("10.0.0.1/33")).is_err());
        assert!(prefix(&word("2001:db8::1/129")).is_err());
        assert!(prefix(&word("10.0.0.1/")).is_err());
        assert!(ip(&word("nonsense")).is_err());
    }

    #[test]
    fn commands_split_like_a_shell() {
        // Input: keepalived's examples of script strings.
        // Output: program and arguments, quotes removed, trailing blanks ignored.
        let span = word("x").span;
        assert_eq!(
            split_command("pidof nginx ", span),
            Ok(vec!["pidof".into(), "nginx".into()])
        );
        assert_eq!(
            split_command("/x arg1 'arg two'", span),
            Ok(vec!["/x".into(), "arg1".into(), "arg two".into()])
        );
        assert_eq!(
            split_command(r"a\tb c\x41 \101", span),
            Ok(vec!["a\tb".into(), "cA".into(), "A".into()])
        );
        assert_eq!(
            split_command("echo ''", span),
            Ok(vec!["echo".into(), String::new()])
        );
        assert!(split_command("echo 'open", span).is_err());
    }
}
