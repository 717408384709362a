//! Scalar resolution as go-yaml v3 decides it: what a plain `1`, `true`, `~` become, `!!binary`
//! and timestamps. Pure functions of the scalar's text, style and tag.

use super::*;

/// Resolves a scalar the way kustomize's reader (go-yaml v3) does when it decodes into plain values:
/// only plain scalars are typed; `true`/`True`/`TRUE`, `~`/`null`, ints (decimal, `0x`, `0o`, `0b`,
/// and legacy `0755` octal), floats; everything else (including `yes`, `on`) is a string.
pub fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&str>) -> Value {
    match tag {
        Some("str") => return Value::String(text.to_string()),
        Some("null") => return Value::Null,
        // kustomize (and kubectl) pass every resource through JSON: `!!binary` becomes the
        // decoded text and a timestamp its RFC 3339 form.
        Some("binary") => return Value::String(decode_binary(text)),
        Some("timestamp") => {
            return Value::String(timestamp_rfc3339(text).unwrap_or_else(|| text.to_string()));
        }
        Some("bool") | Some("int") | Some("float") => {}
        _ if style != ScalarStyle::Plain => return Value::String(text.to_string()),
        _ => {}
    }
    // Most plain scalars are words: one that starts with a letter is a string unless it could
    // be `true`, `false` or `null` in one of their spellings (numbers, timestamps, `~`, `.inf`
    // and `.nan` never start with a letter).
    if let Some(&b0) = text.as_bytes().first()
        && b0.is_ascii_alphabetic()
        && (text.len() > 5 || !matches!(b0, b't' | b'T' | b'f' | b'F' | b'n' | b'N'))
    {
        return Value::String(text.to_string());
    }
    if text.len() >= 8
        && text.as_bytes()[4] == b'-'
        && let Some(t) = timestamp_rfc3339(text)
    {
        return Value::String(t);
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = parse_int(text) {
        return Value::Number(n);
    }
    if is_yaml_float(text)
        && let Ok(f) = text.replace('_', "").parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

pub(super) fn parse_int(text: &str) -> Option<Number> {
    let first = *text.as_bytes().first()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+') {
        return None;
    }
    let plain: std::borrow::Cow<str> = if text.contains('_') {
        text.replace('_', "").into()
    } else {
        text.into()
    };
    let (neg, body) = match plain.as_bytes().first()? {
        b'-' => (true, &plain[1..]),
        b'+' => (false, &plain[1..]),
        _ => (false, &plain[..]),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) =
        if let Some(d) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, d)
        } else if let Some(d) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, d)
        } else if let Some(d) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, d)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            Some(Number::from((magnitude as i128).wrapping_neg() as i64))
        } else {
            None
        }
    } else {
        Some(Number::from(magnitude))
    }
}

pub(super) fn is_yaml_float(text: &str) -> bool {
    // go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = if let Some(frac) = mantissa.strip_prefix('.') {
        !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit())
    } else {
        let (int, frac) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
    };
    let exp_ok = match exp {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
        }
    };
    mantissa_ok && exp_ok
}
/// The text of a `!!binary` scalar (base64, whitespace ignored); bytes that are not UTF-8 become
/// U+FFFD, as Go's JSON encoder writes them.
fn decode_binary(text: &str) -> String {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => text.to_string(),
    }
}

/// A YAML timestamp as go-yaml resolves it (`2006-1-2`, `2006-1-2T15:4:5.999999999Z07:00`, the
/// same with `t`, or `2006-1-2 15:4:5.999999999`, each a valid date and time), written as Go's
/// JSON encoder writes a `time.Time` (RFC 3339 with nanoseconds, trailing zeros dropped, `Z` for
/// UTC). `None` for anything else.
pub fn timestamp_rfc3339(s: &str) -> Option<String> {
    let b = s.as_bytes();
    // 1 or 2 digits (Go's parsing of `1`, `2`, `15`, `4`, `5`).
    let num = |i: &mut usize, min: usize, max: usize| -> Option<u32> {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - start < max {
            *i += 1;
        }
        if *i - start < min {
            return None;
        }
        s[start..*i].parse().ok()
    };
    let lit = |i: &mut usize, c: u8| -> Option<()> { (b.get(*i) == Some(&c)).then(|| *i += 1) };
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let year: i32 = s[..4].parse().ok()?;
    let mut i = 5;
    let month = num(&mut i, 1, 2)?;
    lit(&mut i, b'-')?;
    let day = num(&mut i, 1, 2)?;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days {
        return None;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if i == b.len() {
        return Some(format!("{date}T00:00:00Z"));
    }
    let zoned = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return None,
    };
    i += 1;
    let hour = num(&mut i, 1, 2)?;
    lit(&mut i, b':')?;
    let min = num(&mut i, 1, 2)?;
    lit(&mut i, b':')?;
    let sec = num(&mut i, 1, 2)?;
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let mut frac = String::new();
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 9 {
            return None;
        }
        frac = s[start..i].trim_end_matches('0').to_string();
    }
    let zone = if !zoned {
        "Z".to_string()
    } else {
        match b.get(i) {
            Some(b'Z') => {
                i += 1;
                "Z".to_string()
            }
            Some(&sign @ (b'+' | b'-')) => {
                i += 1;
                let at = i;
                if b.len() < at + 5 || b[at + 2] != b':' {
                    return None;
                }
                let hh: u32 = s[at..at + 2].parse().ok()?;
                let mm: u32 = s[at + 3..at + 5].parse().ok()?;
                if !s[at..at + 2].bytes().all(|c| c.is_ascii_digit())
                    || !s[at + 3..at + 5].bytes().all(|c| c.is_ascii_digit())
                    || hh > 23
                    || mm > 59
                {
                    return None;
                }
                i = at + 5;
                if hh == 0 && mm == 0 {
                    "Z".to_string()
                } else {
                    format!("{}{hh:02}:{mm:02}", sign as char)
                }
            }
            _ => return None,
        }
    };
    if i != b.len() {
        return None;
    }
    let frac = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    Some(format!("{date}T{hour:02}:{min:02}:{sec:02}{frac}{zone}"))
}
