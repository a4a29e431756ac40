//! Pure shell-pattern matching: the part of `glob(3)` that needs no file system.
//!
//! keepalived resolves `include` patterns with `glob(GLOB_MARK | GLOB_BRACE)` (spec §2.1).
//! [`expand_braces`] does the csh-style `{a,b}` step, [`matches`] matches one path component
//! against `*`, `?` and `[...]`, and [`select`] applies a whole pattern to a list of paths.
//! The preprocessor and [`crate::memfs::MemoryFs`] use these; the real file system adapter
//! lives in the binary crate.

use std::path::{Component, Path, PathBuf};

/// True if `pattern` contains an unescaped `*`, `?` or `[`.
pub fn has_wildcard(pattern: &str) -> bool {
    let mut escaped = false;
    for c in pattern.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '*' | '?' | '[' => return true,
            _ => {}
        }
    }
    false
}

/// Expands csh-style braces: `a{b,c{d,e}}f` gives `abf`, `acdf`, `acef`, in that order.
///
/// A `{` without a matching `}` is literal, as in glibc. Returns `None` when the expansion
/// would produce more than `limit` patterns, so a hostile pattern cannot exhaust memory.
pub fn expand_braces(pattern: &str, limit: usize) -> Option<Vec<String>> {
    let mut out = Vec::new();
    expand_into(pattern, limit, &mut out)?;
    Some(out)
}

fn expand_into(pattern: &str, limit: usize, out: &mut Vec<String>) -> Option<()> {
    let Some((open, close)) = first_brace_pair(pattern) else {
        if out.len() >= limit {
            return None;
        }
        out.push(pattern.to_string());
        return Some(());
    };
    let prefix = &pattern[..open];
    let suffix = &pattern[close + 1..];
    for alternative in split_top_level(&pattern[open + 1..close]) {
        let candidate = format!("{prefix}{alternative}{suffix}");
        expand_into(&candidate, limit, out)?;
    }
    Some(())
}

/// The byte positions of the first `{` that has a matching `}`.
fn first_brace_pair(pattern: &str) -> Option<(usize, usize)> {
    let bytes = pattern.as_bytes();
    let mut start = 0;
    while let Some(offset) = bytes[start..].iter().position(|&b| b == b'{') {
        let open = start + offset;
        let mut depth = 0usize;
        let mut i = open;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 1,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some((open, i));
                    }
                }
                _ => {}
            }
            i += 1;
        }
        start = open + 1;
    }
    None
}

fn split_top_level(inner: &str) -> Vec<&str> {
    let bytes = inner.as_bytes();
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut last = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                parts.push(&inner[last..i]);
                last = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&inner[last.min(inner.len())..]);
    parts
}

/// Matches one path component (no `/`) against a pattern component.
///
/// `*` matches any run of characters, `?` one character, `[abc]`, `[a-z]`, `[!x]`/`[^x]`
/// a class, `\c` the character `c`. As in POSIX `glob(3)` without `GLOB_PERIOD`, a leading
/// `.` must be matched by a literal `.`.
pub fn matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    if name.first() == Some(&'.') && !matches!(pattern.first(), Some('.')) {
        return false;
    }
    match_from(&pattern, &name)
}

fn match_from(pattern: &[char], name: &[char]) -> bool {
    // Iterative wildcard matching with one backtrack point: linear in practice.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() {
            match pattern[p] {
                '*' => {
                    star = Some((p, n));
                    p += 1;
                    continue;
                }
                '?' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = match_class(pattern, p, name[n]) {
                        if matched {
                            p = next;
                            n += 1;
                            continue;
                        }
                    } else if name[n] == '[' {
                        // An unterminated class is a literal '['.
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
                '\\' if p + 1 < pattern.len() => {
                    if pattern[p + 1] == name[n] {
                        p += 2;
                        n += 1;
                        continue;
                    }
                }
                c => {
                    if c == name[n] {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((star_p, star_n)) => {
                p = star_p + 1;
                n = star_n + 1;
                star = Some((star_p, star_n + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class starting at `pattern[open] == '['`; returns whether it
/// matched and the index after the class, or `None` if the class is not terminated.
fn match_class(pattern: &[char], open: usize, c: char) -> Option<(bool, usize)> {
    let mut i = open + 1;
    let negate = matches!(pattern.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pattern.len() {
        let low = pattern[i];
        if low == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if pattern.get(i + 1) == Some(&'-') && pattern.get(i + 2).is_some_and(|&h| h != ']') {
            let high = pattern[i + 2];
            if low <= c && c <= high {
                matched = true;
            }
            i += 3;
        } else {
            if low == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// Removes `.` components and resolves `..` against the preceding component, without
/// touching the file system (so symlinks are not followed).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The paths of `candidates` that a whole glob pattern matches, component by component,
/// sorted as `glob(3)` sorts them. The pattern is normalized first (see [`normalize`]).
pub fn select<'a>(pattern: &str, candidates: impl IntoIterator<Item = &'a Path>) -> Vec<PathBuf> {
    let pattern = normalize(Path::new(pattern));
    let pattern_parts: Vec<String> = pattern
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let mut found: Vec<PathBuf> = candidates
        .into_iter()
        .filter(|candidate| {
            let parts: Vec<String> = candidate
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            parts.len() == pattern_parts.len()
                && pattern_parts.iter().zip(&parts).all(|(p, n)| {
                    if has_wildcard(p) {
                        matches(p, n)
                    } else {
                        p == n
                    }
                })
        })
        .map(Path::to_path_buf)
        .collect();
    found.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_expand_in_order_and_nest() {
        // Input: the man page's example of csh braces. Output: each alternative, in order.
        assert_eq!(
            expand_braces("a{b,c{d,e}}f", 100).unwrap(),
            vec!["abf", "acdf", "acef"]
        );
        assert_eq!(
            expand_braces("{foo/{,cat,dog},bar}", 100).unwrap(),
            vec!["foo/", "foo/cat", "foo/dog", "bar"]
        );
        // An unmatched brace is literal.
        assert_eq!(expand_braces("a{b", 100).unwrap(), vec!["a{b"]);
        // Too many alternatives: refused rather than exhausting memory.
        assert_eq!(expand_braces("{a,b}{a,b}{a,b}", 7), None);
    }

    #[test]
    fn wildcards_match_one_component() {
        assert!(matches("*.conf", "vi1.conf"));
        assert!(!matches("*.conf", "vi1.conf1"));
        assert!(matches("vi?.conf", "vi1.conf"));
        assert!(matches("vi[0-9].conf", "vi7.conf"));
        assert!(!matches("vi[!0-9].conf", "vi7.conf"));
        assert!(matches("vi[!0-9].conf", "via.conf"));
        assert!(matches("a*b*c", "axxbyyc"));
        assert!(!matches("a*b*c", "axxbyy"));
        // A leading dot is only matched literally, as glob(3) does.
        assert!(!matches("*", ".hidden"));
        assert!(matches(".*", ".hidden"));
        assert!(matches("\\*", "*"));
        assert!(has_wildcard("/etc/*.conf"));
        assert!(!has_wildcard("/etc/a\\*.conf"));
    }

    proptest::proptest! {
        // Input: any pattern and name. Output: an answer, never a panic; a pattern without
        // wildcards or escapes matches exactly itself; brace expansion respects its limit.
        #[test]
        fn matching_and_expansion_never_panic(pattern in "[a-c*?\\[\\]!^{},\\\\.-]{0,12}", name in "[a-c.\\[-]{0,8}") {
            let _ = matches(&pattern, &name);
            if let Some(expanded) = expand_braces(&pattern, 64) {
                proptest::prop_assert!(!expanded.is_empty() && expanded.len() <= 64);
            }
            if !has_wildcard(&name) && !name.contains('\\') {
                proptest::prop_assert!(matches(&name, &name));
            }
        }
    }

    #[test]
    fn select_matches_whole_paths_sorted() {
        let paths = [
            Path::new("/etc/k/b.conf"),
            Path::new("/etc/k/a.conf"),
            Path::new("/etc/k/sub/c.conf"),
            Path::new("/etc/k/a.txt"),
        ];
        assert_eq!(
            select("/etc/k/*.conf", paths),
            vec![
                PathBuf::from("/etc/k/a.conf"),
                PathBuf::from("/etc/k/b.conf")
            ]
        );
        assert_eq!(
            select("/etc/k/./sub/../*/c.conf", paths),
            vec![PathBuf::from("/etc/k/sub/c.conf")]
        );
    }
}
