//! Timestamps and durations as a CRD rule sees them: a string field of `format: date-time` or
//! `date` is a CEL timestamp, one of `format: duration` a CEL duration (the API server converts
//! them before the rule runs). The functions on them (`timestamp()`, `duration()`, `getHours()`,
//! comparisons, arithmetic) are the `cel` crate's.
//!
//! Owns only the conversion of such strings; a string that does not convert stays a string.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};

/// An RFC 3339 date-time (`2026-01-02T15:04:05Z`).
pub fn date_time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

/// A full date (`2026-01-02`) as midnight UTC.
pub fn date(s: &str) -> Option<DateTime<FixedOffset>> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let utc = FixedOffset::east_opt(0)?;
    d.and_hms_opt(0, 0, 0)?.and_local_timezone(utc).single()
}

/// A Go duration (`1h30m`, `-1.5s`, `300ms`, `0`), also with the `d` and `w` units the OpenAPI
/// `duration` format allows.
pub fn duration(s: &str) -> Option<Duration> {
    parse_duration(s, true)
}

/// A Go duration as `time.ParseDuration` reads it (what a CEL `duration()` literal must be).
pub fn go_duration(s: &str) -> Option<Duration> {
    parse_duration(s, false)
}

fn parse_duration(s: &str, extended: bool) -> Option<Duration> {
    let (negative, mut rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(Duration::zero());
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(n);
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return None;
        }
        let u = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(u);
        let nanos: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" if extended => 86_400_000_000_000,
            "w" if extended => 604_800_000_000_000,
            _ => return None,
        };
        let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
        let whole: i128 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let mut part = whole.checked_mul(nanos)?;
        let mut scale = nanos;
        for d in frac.bytes().take(18) {
            scale /= 10;
            part = part.checked_add(i128::from(d - b'0') * scale)?;
        }
        total = total.checked_add(part)?;
        if total > i128::from(i64::MAX) {
            return None;
        }
        rest = tail;
    }
    let total = i64::try_from(if negative { -total } else { total }).ok()?;
    Some(Duration::nanoseconds(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(duration("1h30m"), Some(Duration::minutes(90)));
        assert_eq!(duration("-1.5s"), Some(Duration::milliseconds(-1500)));
        assert_eq!(duration("300ms"), Some(Duration::milliseconds(300)));
        assert_eq!(duration("0"), Some(Duration::zero()));
        assert_eq!(duration("2d"), Some(Duration::hours(48)));
        assert_eq!(go_duration("2d"), None);
        assert_eq!(go_duration("1d2h"), None);
        for bad in ["", "1", "h", "1x", "1..5s", "99999999999h"] {
            assert_eq!(duration(bad), None, "{bad}");
        }
        assert!(date("2026-02-28").is_some() && date("2026-02-30").is_none());
        assert!(
            date_time("2026-02-28T10:00:00+02:00").is_some() && date_time("yesterday").is_none()
        );
    }
}
