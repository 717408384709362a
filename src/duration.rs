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

#[cfg(test)]
mod tests {
    use super::*;

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
