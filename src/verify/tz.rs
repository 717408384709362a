//! Time zone names as Alertmanager loads them for `time_intervals[].location`: Go's
//! `time.LoadLocation`, which takes `UTC` (or nothing) and `Local` as they are and reads any other
//! name from the system zoneinfo. The names are the IANA tz database's, in a list generated from
//! Debian's `tzdata` (`scripts/gen-tz-names.sh`, public domain), plus what that zoneinfo holds
//! beside them (`posixrules`, `localtime`, the `posix/` and `right/` copies).
//!
//! Owns only that lookup; no I/O (the list is compiled in), no positions.

/// One name a line, sorted; `#` lines are comments.
const NAMES: &str = include_str!("tz_names.txt");

/// Whether `name` is in the tz database.
fn is_iana(name: &str) -> bool {
    NAMES.lines().any(|l| l == name)
}

/// What Alertmanager says of a `location` it cannot load, or `None` when it loads.
pub(super) fn location_problem(name: &str) -> Option<String> {
    if matches!(name, "" | "UTC" | "Local") {
        return None;
    }
    // Go refuses a name that could leave the zoneinfo directory.
    if name.contains("..") || name.starts_with('/') || name.starts_with('\\') {
        return Some("time: invalid location name".into());
    }
    let bare = name
        .strip_prefix("posix/")
        .or_else(|| name.strip_prefix("right/"))
        .unwrap_or(name);
    if is_iana(bare) || matches!(name, "posixrules" | "localtime") {
        return None;
    }
    Some(format!("unknown time zone {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_go_loads_them_from_zoneinfo() {
        // Verdicts of amtool 0.25 check-config on this machine's zoneinfo.
        for ok in [
            "Europe/Berlin",
            "US/Eastern",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+5",
            "Factory",
            "posixrules",
            "posix/Europe/Berlin",
            "right/UTC",
            "Local",
            "UTC",
            "",
        ] {
            assert_eq!(location_problem(ok), None, "{ok}");
        }
        for (bad, why) in [
            ("Mars/Olympus", "unknown time zone Mars/Olympus"),
            ("EUROPE/BERLIN", "unknown time zone EUROPE/BERLIN"),
            ("etc/utc", "unknown time zone etc/utc"),
            ("Europe/Berlin ", "unknown time zone Europe/Berlin "),
            ("CEST", "unknown time zone CEST"),
            ("../etc/passwd", "time: invalid location name"),
            ("/etc/localtime", "time: invalid location name"),
        ] {
            assert_eq!(location_problem(bad).as_deref(), Some(why), "{bad}");
        }
    }

    #[test]
    fn the_list_is_sorted_and_complete_enough() {
        let names: Vec<&str> = NAMES.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        assert!(names.len() > 500, "{}", names.len());
        assert!(names.iter().all(|n| !n.contains(' ') && !n.is_empty()));
    }
}
