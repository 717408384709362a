//! The one parser for duration flags (`--timeout`, `--poll-interval`, `--window`): a number with a
//! unit, e.g. `10m`, `30s`, `500ms`, `1h30m`. Pure: no clock, no environment.

use std::time::Duration;

/// Parses a duration such as `10m`, `2s`, `500ms` or `1h30m` (jiff's friendly format, written
/// without spaces; surrounding whitespace is ignored).
///
/// # Errors
/// A value without a unit, a negative one, one with spaces inside, or one that is not a duration.
pub fn parse(s: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {s:?}: use a number with a unit, e.g. 10m, 30s, 500ms");
    let t = s.trim();
    if t.contains(char::is_whitespace) {
        return Err(bad());
    }
    let d: jiff::SignedDuration = t.parse().map_err(|_| bad())?;
    Duration::try_from(d).map_err(|_| bad())
}

/// Like [`parse`], but a bare number (`15`, `0`) is taken as seconds, for flags that took seconds
/// before they took durations (`--confirm-timeout`).
///
/// # Errors
/// What [`parse`] rejects, except a bare non-negative whole number.
pub fn parse_or_seconds(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<u64>().map(Duration::from_secs).map_err(|_| {
            format!("invalid duration {s:?}: use a number with a unit, e.g. 10m, 30s, 500ms")
        });
    }
    parse(s).map_err(|_| {
        format!("invalid duration {s:?}: use a number with a unit (e.g. 15s, 5m, 1h30m) or seconds")
    })
}

/// Prints a duration the way the flags take it: `8s`, `2m30s`, `1h`, `500ms` (rounded to the
/// millisecond below a second, to the second above).
pub fn format(d: Duration) -> String {
    if d < Duration::from_secs(1) && d.as_millis() > 0 {
        return format!("{}ms", d.as_millis());
    }
    let total = d.as_secs() + u64::from(d.subsec_millis() >= 500);
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_11_durations_print_as_the_flags_take_them() {
        assert_eq!(format(Duration::from_nanos(7_999_844_871)), "8s");
        assert_eq!(format(Duration::from_secs(150)), "2m30s");
        assert_eq!(format(Duration::from_secs(3600)), "1h");
        assert_eq!(format(Duration::from_millis(500)), "500ms");
        assert_eq!(format(Duration::ZERO), "0s");
        assert_eq!(format(Duration::from_secs(5400)), "1h30m");
        for d in ["8s", "2m30s", "1h", "500ms"] {
            assert_eq!(format(parse(d).unwrap()), d);
        }
    }

    /// Issue 12: `--confirm-timeout` takes durations like every other duration flag; a bare
    /// number is still seconds.
    #[test]
    fn issue_12_confirm_timeout_takes_durations_and_bare_seconds() {
        for (given, want) in [
            ("15s", Duration::from_secs(15)),
            ("5m", Duration::from_secs(300)),
            ("1h30m", Duration::from_secs(5400)),
            ("500ms", Duration::from_millis(500)),
            ("15", Duration::from_secs(15)),
            ("0", Duration::ZERO),
            (" 7 ", Duration::from_secs(7)),
        ] {
            assert_eq!(parse_or_seconds(given), Ok(want), "{given}");
        }
        for bad in ["", "-1", "1.5", "5 m", "soon", "99999999999999999999999"] {
            let e = parse_or_seconds(bad).unwrap_err();
            assert!(e.starts_with("invalid duration"), "{bad}: {e}");
        }
    }

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse(" 5m "), Ok(Duration::from_secs(300)));
        for bad in [
            "10",
            "-5s",
            "soon",
            "",
            "5 m",
            "5d",
            "99999999999999999999m",
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("use a number with a unit"), "{bad}: {e}");
        }
    }
}
