//! `~SEQ(var, start, step, end) rest`, `~SEQx(...)` and `~LST(var, v1, v2, ...)` /
//! `~LST({a,b},{1,2},...)`: lines that repeat the rest of the line with a variable set
//! (keepalived.conf(5) "Sequence blocks" and "List blocks"; `add_seq()` in `lib/parser.c`).

/// How a repeated line sets its variables, one assignment per repetition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// `~SEQ`/`~SEQx`: `var` runs from `next` by `step` while not past `last`.
    Seq {
        var: String,
        next: i64,
        step: i64,
        last: i64,
        hex: bool,
        finished: bool,
    },
    /// `~LST`: each row gives one value per variable (missing values are empty).
    List {
        vars: Vec<String>,
        rows: Vec<Vec<String>>,
        next: usize,
    },
}

impl Repeat {
    /// How many repetitions remain.
    pub(crate) fn remaining(&self) -> u64 {
        match self {
            Repeat::Seq { finished: true, .. } => 0,
            Repeat::Seq {
                next, step, last, ..
            } => {
                let distance = (i128::from(*last) - i128::from(*next)) / i128::from(*step);
                u64::try_from(distance + 1).unwrap_or(0)
            }
            Repeat::List { rows, next, .. } => {
                u64::try_from(rows.len().saturating_sub(*next)).unwrap_or(u64::MAX)
            }
        }
    }

    /// The assignments of the next repetition, or `None` when done.
    pub(crate) fn next_assignments(&mut self) -> Option<Vec<(String, String)>> {
        match self {
            Repeat::Seq {
                var,
                next,
                step,
                last,
                hex,
                finished,
            } => {
                if *finished || (*step > 0 && *next > *last) || (*step < 0 && *next < *last) {
                    return None;
                }
                // keepalived prints ~SEQx values with "%lx": lowercase, no prefix.
                let value = if *hex {
                    format!("{:x}", *next)
                } else {
                    next.to_string()
                };
                match next.checked_add(*step) {
                    Some(n) => *next = n,
                    // Stepping past the representable range is stepping past `last`.
                    None => *finished = true,
                }
                Some(vec![(var.clone(), value)])
            }
            Repeat::List { vars, rows, next } => {
                let row = rows.get(*next)?;
                *next += 1;
                Some(
                    vars.iter()
                        .enumerate()
                        .map(|(i, var)| (var.clone(), row.get(i).cloned().unwrap_or_default()))
                        .collect(),
                )
            }
        }
    }
}

/// A parsed `~SEQ`/`~LST` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directive {
    /// The repetition.
    pub repeat: Repeat,
    /// Byte offset of the text to repeat (after `)` and blanks).
    pub rest: usize,
    /// Byte offset just after the closing `)`.
    pub end: usize,
}

/// Parses the directive at the start of `line` (which starts with `~SEQ` or `~LST`).
/// `substitute` replaces definitions in the argument list, as keepalived does, and returns
/// `None` when a multi-line definition is used there. Errors are keepalived's messages.
pub(crate) fn parse(
    line: &str,
    mut substitute: impl FnMut(&str) -> Option<String>,
) -> Result<Directive, String> {
    if let Some(after) = line.strip_prefix("~LST") {
        return parse_list(line, after, &mut substitute);
    }
    let after = line
        .strip_prefix("~SEQ")
        .ok_or_else(|| specification(line))?;
    let (hex, after) = match after.strip_prefix('x') {
        Some(rest) => (true, rest),
        None => (false, after),
    };
    let offset = line.len() - after.len();
    let bytes = line.as_bytes();
    let mut p = skip_blanks(bytes, offset);
    if bytes.get(p) != Some(&b'(') {
        return Err(specification(line));
    }
    p = skip_blanks(bytes, p + 1);
    let var_start = p;
    while p < bytes.len() && !matches!(bytes[p], b' ' | b'\t' | b',' | b')') {
        p += 1;
    }
    let var = &line[var_start..p];
    p = skip_blanks(bytes, p);
    if p >= bytes.len() || bytes[p] == b')' || var.is_empty() {
        return Err(format!("Invalid ~SEQ definition '{line}'"));
    }
    p += 1;
    let close = line[p..]
        .find(')')
        .map(|i| p + i)
        .ok_or_else(|| format!("Invalid ~SEQ definition '{line}'"))?;
    let args = substitute(&line[p..close])
        .ok_or_else(|| format!("~SEQ parameter is multiline definition '{line}'"))?;
    let numbers: Vec<&str> = args.split(',').collect();
    let mut values = Vec::new();
    for number in &numbers {
        values.push(
            parse_long(number.trim_matches([' ', '\t']))
                .ok_or_else(|| format!("Invalid ~SEQ definition '{line}'"))?,
        );
    }
    let (start, step, end) = match values[..] {
        [end] => (
            if end < 0 { -1 } else { 1 },
            if end < 1 { -1 } else { 1 },
            end,
        ),
        [start, end] => (start, if start <= end { 1 } else { -1 }, end),
        [start, step, end] => {
            if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
                return Err(format!("Invalid ~SEQ values '{line}'"));
            }
            (start, step, end)
        }
        _ => return Err(format!("Invalid ~SEQ definition '{line}'")),
    };
    if hex && (start < 0 || end < 0) {
        return Err(format!("~SEQx is only valid for positive numbers '{line}'"));
    }
    Ok(Directive {
        repeat: Repeat::Seq {
            var: var.to_string(),
            next: start,
            step,
            last: end,
            hex,
            finished: false,
        },
        rest: skip_blanks(bytes, close + 1),
        end: close + 1,
    })
}

fn parse_list(
    line: &str,
    after: &str,
    substitute: &mut impl FnMut(&str) -> Option<String>,
) -> Result<Directive, String> {
    let bytes = line.as_bytes();
    let mut p = skip_blanks(bytes, line.len() - after.len());
    if bytes.get(p) != Some(&b'(') {
        return Err(list_specification(line));
    }
    p += 1;
    let close = matching_paren(bytes, p).ok_or_else(|| list_specification(line))?;
    let args = substitute(&line[p..close]).ok_or_else(|| list_specification(line))?;
    let mut items = split_items(&args).into_iter();
    let vars: Vec<String> = match items.next() {
        Some(Item::Group(names)) => names,
        Some(Item::Plain(name)) => vec![name],
        None => return Err(list_specification(line)),
    };
    let valid_name = |n: &String| !n.is_empty() && !n.contains([' ', '\t']);
    if vars.is_empty() || !vars.iter().all(valid_name) {
        return Err(list_specification(line));
    }
    let rows: Vec<Vec<String>> = items
        .map(|item| match item {
            Item::Group(values) => values,
            Item::Plain(value) => vec![value],
        })
        .collect();
    if rows.is_empty() {
        return Err(list_specification(line));
    }
    if rows.iter().any(|row| row.len() > vars.len()) {
        return Err(format!("~LST specification has too many values '{line}'"));
    }
    Ok(Directive {
        repeat: Repeat::List {
            vars,
            rows,
            next: 0,
        },
        rest: skip_blanks(bytes, close + 1),
        end: close + 1,
    })
}

enum Item {
    Plain(String),
    Group(Vec<String>),
}

/// Splits `a, {b, c}, d` into items at top-level commas; `{...}` items are groups.
fn split_items(args: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let trim = |s: &str| s.trim_matches([' ', '\t']).to_string();
    let push = |raw: &str, items: &mut Vec<Item>| {
        let raw = raw.trim_matches([' ', '\t']);
        match raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            Some(inner) => items.push(Item::Group(inner.split(',').map(trim).collect())),
            None => items.push(Item::Plain(raw.to_string())),
        }
    };
    for (i, b) in args.bytes().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                push(&args[start..i], &mut items);
                start = i + 1;
            }
            _ => {}
        }
    }
    push(&args[start..], &mut items);
    items
}

fn matching_paren(bytes: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        match b {
            b'(' => depth += 1,
            b')' if depth == 0 => return Some(i),
            b')' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn skip_blanks(bytes: &[u8], mut p: usize) -> usize {
    while matches!(bytes.get(p), Some(b' ' | b'\t')) {
        p += 1;
    }
    p
}

fn specification(line: &str) -> String {
    format!("Invalid ~SEQ specification '{line}'")
}

fn list_specification(line: &str) -> String {
    format!("Invalid ~LST specification '{line}'")
}

/// `strtol(s, &end, 0)` that must consume the whole (trimmed) string: decimal, `0x` hex or
/// leading-`0` octal, with an optional sign.
fn parse_long(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, hex)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(mut repeat: Repeat) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(assignments) = repeat.next_assignments() {
            out.push(
                assignments
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
        out
    }

    fn parse_plain(line: &str) -> Result<Directive, String> {
        parse(line, |s| Some(s.to_string()))
    }

    #[test]
    fn seq_forms_follow_the_man_page() {
        // Input: the three argument forms of ~SEQ and the hex form.
        // Output: the values keepalived.conf(5) lists.
        let d = parse_plain("~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1").unwrap();
        assert_eq!(
            values(d.repeat.clone()),
            vec!["SUBNET=0", "SUBNET=1", "SUBNET=2", "SUBNET=3"]
        );
        assert_eq!(
            &"~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1"[d.rest..],
            "ip_address 10.0.${SUBNET}.1"
        );
        let d = parse_plain("~SEQx(S, 0x90, 0x10, 0xc0) x").unwrap();
        assert_eq!(values(d.repeat), vec!["S=90", "S=a0", "S=b0", "S=c0"]);
        assert_eq!(
            values(parse_plain("~SEQ(I,3) x").unwrap().repeat),
            vec!["I=1", "I=2", "I=3"]
        );
        assert_eq!(
            values(parse_plain("~SEQ(I,-2) x").unwrap().repeat),
            vec!["I=-1", "I=-2"]
        );
        assert_eq!(
            values(parse_plain("~SEQ(I,5,3) x").unwrap().repeat),
            vec!["I=5", "I=4", "I=3"]
        );
        assert_eq!(
            values(parse_plain("~SEQ(I,0x12,-1,0x10) x").unwrap().repeat),
            vec!["I=18", "I=17", "I=16"]
        );
        assert_eq!(
            parse_plain("~SEQ(I,1,1000000) x")
                .unwrap()
                .repeat
                .remaining(),
            1_000_000
        );
    }

    #[test]
    fn bad_seq_gives_keepalived_messages() {
        assert_eq!(
            parse_plain("~SEQ(I,1,2,3,4) a").unwrap_err(),
            "Invalid ~SEQ definition '~SEQ(I,1,2,3,4) a'"
        );
        assert_eq!(
            parse_plain("~SEQ(I) a").unwrap_err(),
            "Invalid ~SEQ definition '~SEQ(I) a'"
        );
        assert_eq!(
            parse_plain("~SEQ(,1) a").unwrap_err(),
            "Invalid ~SEQ definition '~SEQ(,1) a'"
        );
        assert_eq!(
            parse_plain("~SEQ(I,1,-1,3) a").unwrap_err(),
            "Invalid ~SEQ values '~SEQ(I,1,-1,3) a'"
        );
        assert_eq!(
            parse_plain("~SEQx(I,-1,2) a").unwrap_err(),
            "~SEQx is only valid for positive numbers '~SEQx(I,-1,2) a'"
        );
        assert_eq!(
            parse_plain("~SEQ I,1,2 a").unwrap_err(),
            "Invalid ~SEQ specification '~SEQ I,1,2 a'"
        );
        assert_eq!(
            parse_plain("~SEQ(I,1,a) x").unwrap_err(),
            "Invalid ~SEQ definition '~SEQ(I,1,a) x'"
        );
        assert_eq!(
            parse_plain("~SEQ(I,1,2").unwrap_err(),
            "Invalid ~SEQ definition '~SEQ(I,1,2'"
        );
    }

    #[test]
    fn seq_at_the_edge_of_the_integer_range_ends() {
        let d = parse_plain("~SEQ(I,9223372036854775806,9223372036854775807) x").unwrap();
        assert_eq!(values(d.repeat).len(), 2);
        let d = parse_plain("~SEQ(I,-9223372036854775807,-1,-9223372036854775808) x").unwrap();
        assert_eq!(values(d.repeat).len(), 2);
    }

    #[test]
    fn lists_single_and_grouped() {
        let d = parse_plain("~LST(IP, 1, 2, 3) x").unwrap();
        assert_eq!(values(d.repeat), vec!["IP=1", "IP=2", "IP=3"]);
        let d = parse_plain("~LST({IP, IP1}, {10,1},{20,4}) 192.168.${IP}.${IP1}").unwrap();
        assert_eq!(values(d.repeat), vec!["IP=10,IP1=1", "IP=20,IP1=4"]);
        // Missing values are empty; an empty value is allowed.
        assert_eq!(
            values(parse_plain("~LST({A,B},{1}) x").unwrap().repeat),
            vec!["A=1,B="]
        );
        assert_eq!(
            values(parse_plain("~LST(I,) x").unwrap().repeat),
            vec!["I="]
        );
        assert_eq!(
            parse_plain("~LST({A,B},{1,2},{3,4,5}) a").unwrap_err(),
            "~LST specification has too many values '~LST({A,B},{1,2},{3,4,5}) a'"
        );
        assert_eq!(
            parse_plain("~LST(I) a").unwrap_err(),
            "Invalid ~LST specification '~LST(I) a'"
        );
    }
}
