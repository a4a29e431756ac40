//! `HTTP_GET` / `SSL_GET` and their `url { ... }` blocks (spec §2.7).

use std::collections::HashSet;

use crate::diag::Diagnostic;
use crate::model::lvs::{HttpCheck, HttpProtocol, StatusRange, Url};
use crate::token::Token;
use crate::tree::Node;
use crate::values;

use super::super::{Ctx, Keyword, dep, dispatch, kw, util};
use super::checker::{Kind, Parsed};

/// An HTTP checker as written.
#[derive(Default)]
pub(crate) struct Http {
    pub urls: Vec<Url>,
    http_protocol: Option<HttpProtocol>,
    virtualhost: Option<String>,
    fast_recovery: bool,
    enable_sni: bool,
}

impl Http {
    /// The model, with keepalived's default protocol 1.0 and the `Host:` inherited from
    /// the real server, then the virtual server, when the checker names none.
    pub(crate) fn into_model(self, inherited_virtualhost: Option<&String>) -> HttpCheck {
        HttpCheck {
            urls: self.urls,
            http_protocol: self.http_protocol.unwrap_or(HttpProtocol::V1_0),
            virtualhost: self.virtualhost.or_else(|| inherited_virtualhost.cloned()),
            fast_recovery: self.fast_recovery,
            enable_sni: self.enable_sni,
        }
    }
}

fn http(p: &mut Parsed) -> Option<&mut Http> {
    match &mut p.kind {
        Kind::Http(h) | Kind::Ssl(h) => Some(h),
        _ => None,
    }
}

/// `HTTP_GET` / `SSL_GET` keywords beyond the common ones, sorted.
pub(crate) static KEYWORDS: &[Keyword<Parsed>] = &[
    kw("enable_sni", |ctx, node, p| {
        if let (Some(v), Some(h)) = (util::flag(ctx, node), http(p)) {
            h.enable_sni = v;
        }
    }),
    kw("fast_recovery", |ctx, node, p| {
        if let (Some(v), Some(h)) = (util::flag(ctx, node), http(p)) {
            h.fast_recovery = v;
        }
    }),
    kw("http_protocol", |ctx, node, p| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        let protocol = match token.text.as_str() {
            "1.0" => HttpProtocol::V1_0,
            "1.0C" | "1.0c" => HttpProtocol::V1_0C,
            "1.1" => HttpProtocol::V1_1,
            other => {
                ctx.report(
                    Diagnostic::error(
                        Some(token.span),
                        format!("invalid http_protocol version {other}"),
                    )
                    .with_help("expected 1.0|1.0C|1.1"),
                );
                return;
            }
        };
        if let Some(h) = http(p) {
            h.http_protocol = Some(protocol);
        }
    }),
    // keepalived 2.2.7 knows `nb_get_retry` in HTTP_GET/SSL_GET only, with a warning.
    dep("nb_get_retry", "retry", |ctx, node, p| {
        p.written.retry = util::int(ctx, node, 0, i64::from(u32::MAX)).or(p.written.retry)
    }),
    kw("url", url),
    kw("virtualhost", |ctx, node, p| match node.args.first() {
        Some(token) => {
            if let Some(h) = http(p) {
                h.virtualhost = Some(token.text.clone());
            }
        }
        None => ctx.report(Diagnostic::error(
            Some(node.keyword.span),
            "HTTP_GET virtualhost name missing",
        )),
    }),
];

#[cfg(test)]
pub(super) fn keywords_sorted() -> bool {
    URL.windows(2).all(|w| w[0].name < w[1].name)
}

/// A `url` block while it is read.
pub(crate) struct UrlParsed {
    url: Url,
    path_set: bool,
    digests: HashSet<String>,
}

fn url(ctx: &mut Ctx<'_>, node: &Node, p: &mut Parsed) {
    super::expect_block(ctx, node);
    let mut parsed = UrlParsed {
        url: Url {
            path: String::new(),
            status_code: Vec::new(),
            digest: Vec::new(),
            virtualhost: None,
            regex: None,
            regex_no_match: false,
            regex_options: Vec::new(),
            regex_stack: None,
            regex_min_offset: None,
            regex_max_offset: None,
        },
        path_set: false,
        digests: HashSet::new(),
    };
    dispatch(ctx, node.children(), URL, &mut parsed);
    let UrlParsed {
        mut url, path_set, ..
    } = parsed;
    if !path_set {
        let end = node
            .block
            .as_ref()
            .and_then(|b| b.close)
            .unwrap_or(node.keyword.span);
        ctx.report(
            Diagnostic::error(Some(end), "HTTP/SSL_GET checker url has no path - ignoring")
                .with_help("add `path /PATH`"),
        );
        return;
    }
    if let (Some(min), Some(max)) = (url.regex_min_offset, url.regex_max_offset) {
        if min > max {
            ctx.report(Diagnostic::error(
                Some(node.keyword.span),
                format!("regex min offset {min} > regex_max_offset {max} - ignoring"),
            ));
            url.regex_min_offset = None;
            url.regex_max_offset = None;
        }
    }
    // spec §2.7: status_code defaults to 200-299.
    if url.status_code.is_empty() {
        url.status_code.push(StatusRange { min: 200, max: 299 });
    }
    if let Some(h) = http(p) {
        h.urls.push(url);
    }
}

/// PCRE2 options keepalived accepts in `regex_options`.
const REGEX_OPTIONS: &[&str] = &[
    "allow_empty_class",
    "alt_bsux",
    "alt_circumflex",
    "alt_verbnames",
    "auto_callout",
    "caseless",
    "dollar_endonly",
    "dotall",
    "dupnames",
    "extended",
    "firstline",
    "match_unset_backref",
    "multiline",
    "never_backslash_c",
    "never_ucp",
    "never_utf",
    "no_auto_capture",
    "no_auto_possess",
    "no_dotstar_anchor",
    "no_start_optimize",
    "ucp",
    "ungreedy",
    "use_offset_limit",
    "utf",
];

/// `url` keywords, sorted.
pub(crate) static URL: &[Keyword<UrlParsed>] = &[
    kw("digest", |ctx, node, u| {
        let Some(token) = util::arg(ctx, node) else {
            return;
        };
        let Some(digest) = ctx.value(digest(token)) else {
            return;
        };
        if u.digests.insert(digest.clone()) {
            u.url.digest.push(digest);
        } else {
            ctx.report(Diagnostic::error(
                Some(token.span),
                format!("digest '{}' is a duplicate", token.text),
            ));
        }
    }),
    kw("path", |ctx, node, u| {
        if let Some(path) = util::string(ctx, node) {
            u.url.path = path;
            u.path_set = true;
        }
    }),
    kw("regex", |ctx, node, u| match node.args {
        [token] => u.url.regex = Some(token.text.clone()),
        _ => ctx.report(
            Diagnostic::error(Some(node.span()), "regex missing or too many fields")
                .with_help("write `regex \"PATTERN\"`"),
        ),
    }),
    kw("regex_max_offset", |ctx, node, u| {
        u.url.regex_max_offset = util::int(ctx, node, 0, i64::MAX)
    }),
    kw("regex_min_offset", |ctx, node, u| {
        u.url.regex_min_offset = util::int(ctx, node, 0, i64::MAX)
    }),
    kw("regex_no_match", |_, _, u| u.url.regex_no_match = true),
    kw("regex_options", |ctx, node, u| {
        for token in node.args {
            if REGEX_OPTIONS.contains(&token.text.as_str()) {
                u.url.regex_options.push(token.text.clone());
            } else {
                ctx.report(
                    Diagnostic::error(
                        Some(token.span),
                        format!("unknown regex option '{}'", token.text),
                    )
                    .with_help("expected a PCRE2 option name such as caseless or multiline"),
                );
            }
        }
    }),
    kw("regex_stack", |ctx, node, u| {
        let [start, max] = node.args else {
            ctx.report(Diagnostic::error(
                Some(node.span()),
                "regex_stack requires start and max values",
            ));
            return;
        };
        let start = ctx.value(values::int::<u32>(start, 0, i64::from(u32::MAX)));
        let max = ctx.value(values::int::<u32>(max, 0, i64::from(u32::MAX)));
        match (start, max) {
            (Some(start), Some(max)) if start <= max => u.url.regex_stack = Some((start, max)),
            (Some(_), Some(_)) => ctx.report(Diagnostic::error(
                Some(node.span()),
                "regex stack start cannot exceed max value",
            )),
            _ => {}
        }
    }),
    kw("status_code", |ctx, node, u| {
        for token in node.args {
            match status_range(&token.text) {
                Some(range) => u.url.status_code.push(range),
                None => ctx.report(
                    Diagnostic::error(
                        Some(token.span),
                        format!("invalid HTTP_GET status code '{}'", token.text),
                    )
                    .with_help("expected N or N-M with 100 <= N <= M <= 599"),
                ),
            }
        }
    }),
    kw("virtualhost", |ctx, node, u| match node.args.first() {
        Some(token) => u.url.virtualhost = Some(token.text.clone()),
        None => ctx.report(Diagnostic::error(
            Some(node.keyword.span),
            "missing HTTP_GET virtualhost name",
        )),
    }),
];

/// `N` or `N-M`, 100 <= N <= M <= 599.
fn status_range(text: &str) -> Option<StatusRange> {
    let code = |t: &str| -> Option<u16> {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok().filter(|c| (100..=599).contains(c))
    };
    let (min, max) = match text.split_once('-') {
        Some((a, b)) => (code(a)?, code(b)?),
        None => {
            let c = code(text)?;
            (c, c)
        }
    };
    (min <= max).then_some(StatusRange { min, max })
}

/// An MD5 digest: 32 hex digits, kept in lower case.
fn digest(token: &Token) -> Result<String, Diagnostic> {
    let text = &token.text;
    if text.len() != 32 {
        return Err(Diagnostic::error(
            Some(token.span),
            format!(
                "digest '{text}' character length should be 32 rather than {}",
                text.chars().count()
            ),
        )
        .with_help("expected the MD5 of the page as 32 hex digits (keel --genhash)"));
    }
    if let Some(offset) = text.bytes().position(|b| !b.is_ascii_hexdigit()) {
        return Err(Diagnostic::error(
            Some(token.span),
            format!("unable to interpret hex digit in '{text}' at offset {offset}"),
        )
        .with_help("expected 0-9 and a-f only"));
    }
    Ok(text.to_ascii_lowercase())
}
