//! Kubernetes' semver CEL library (`semver()`, `isSemver()`, `major`, `minor`, `patch`,
//! `compareTo`, `isGreaterThan`, `isLessThan`): Semantic Versioning 2.0.0, strict unless the
//! second argument asks to normalize (`v` prefix, leading zeros, missing minor or patch), as the
//! API server's library does since 1.33. A string `semver()` refuses is an evaluation error.
//!
//! Owns the version value, its parser and its ordering.

use std::cmp::Ordering;
use std::sync::Arc;

use cel::objects::Opaque;
use cel::{ExecutionError, Value};

use super::{Res, string};

/// A semantic version (`kubernetes.Semver`); build metadata is kept but never ordered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Semver {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<String>,
    build: Vec<String>,
}

impl Opaque for Semver {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.Semver"
    }
}

fn number(s: &str, what: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("Invalid character(s) found in {what} number {s:?}"));
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(format!(
            "{} number must not contain leading zeroes {s:?}",
            capital(what)
        ));
    }
    s.parse()
        .map_err(|_| format!("{} number {s:?} is out of range", capital(what)))
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn ident_ok(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Strict SemVer 2.0.0.
pub fn parse(s: &str) -> Result<Semver, String> {
    if s.is_empty() {
        return Err("Version string empty".into());
    }
    let parts: Vec<&str> = s.splitn(3, '.').collect();
    let [major, minor, rest] = parts.as_slice() else {
        return Err("No Major.Minor.Patch elements found".into());
    };
    let (patch, tail) = match rest.find(['-', '+']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (*rest, ""),
    };
    let (pre, build) = match tail.strip_prefix('-') {
        Some(t) => t.split_once('+').map_or((t, None), |(p, b)| (p, Some(b))),
        None => ("", tail.strip_prefix('+')),
    };
    let mut v = Semver {
        major: number(major, "major")?,
        minor: number(minor, "minor")?,
        patch: number(patch, "patch")?,
        pre: Vec::new(),
        build: Vec::new(),
    };
    if tail.starts_with('-') {
        for p in pre.split('.') {
            if p.is_empty() {
                return Err("Prerelease is empty".into());
            }
            if !ident_ok(p) {
                return Err(format!("Invalid character(s) found in prerelease {p:?}"));
            }
            if p.bytes().all(|b| b.is_ascii_digit()) && p.len() > 1 && p.starts_with('0') {
                return Err(format!(
                    "Prerelease version must not contain leading zeroes {p:?}"
                ));
            }
            v.pre.push(p.to_string());
        }
    }
    if let Some(b) = build {
        for p in b.split('.') {
            if !ident_ok(p) {
                return Err(format!("Invalid character(s) found in build meta {p:?}"));
            }
            v.build.push(p.to_string());
        }
    }
    Ok(v)
}

/// The lenient form: a `v` prefix, leading zeros and a missing minor or patch are accepted.
pub fn parse_normalized(s: &str) -> Result<Semver, String> {
    let s = s.strip_prefix('v').unwrap_or(s);
    let mut parts: Vec<String> = s
        .splitn(3, '.')
        .map(|p| {
            if p.len() > 1 {
                let t = p.trim_start_matches('0');
                if t.is_empty() || !t.starts_with(|c: char| c.is_ascii_digit()) {
                    return format!("0{t}");
                }
                return t.to_string();
            }
            p.to_string()
        })
        .collect();
    if parts.len() < 3 {
        if parts.last().is_some_and(|p| p.contains(['+', '-'])) {
            return Err("short version cannot contain PreRelease/Build meta data".into());
        }
        parts.resize(3, "0".into());
    }
    parse(&parts.join("."))
}

impl Semver {
    /// SemVer precedence: numbers, then pre-release identifiers (a release ranks above them).
    pub fn precedence(&self, other: &Semver) -> Ordering {
        let numbers =
            (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch));
        if numbers != Ordering::Equal {
            return numbers;
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            _ => {}
        }
        for (a, b) in self.pre.iter().zip(&other.pre) {
            let num = |s: &str| {
                s.bytes()
                    .all(|c| c.is_ascii_digit())
                    .then(|| s.parse::<u64>().ok())
                    .flatten()
            };
            let o = match (num(a), num(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => a.cmp(b),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        self.pre.len().cmp(&other.pre.len())
    }
}

fn normalize_flag(args: &[Value]) -> bool {
    matches!(args.get(1), Some(Value::Bool(true)))
}

fn parse_arg(args: &[Value], f: &str) -> Res<Result<Semver, String>> {
    let s = string(args, 0, f)?;
    Ok(if normalize_flag(args) {
        parse_normalized(s)
    } else {
        parse(s)
    })
}

/// `semver(string)` and `semver(string, bool)`.
pub fn semver(args: &[Value]) -> Res<Value> {
    parse_arg(args, "semver")?
        .map(|v| Value::Opaque(Arc::new(v)))
        .map_err(|e| ExecutionError::function_error("semver", e))
}

/// `isSemver(string)` and `isSemver(string, bool)`.
pub fn is_semver(args: &[Value]) -> Res<Value> {
    Ok(Value::Bool(parse_arg(args, "isSemver")?.is_ok()))
}

/// The version in a value, if it is one.
pub fn of(v: &Value) -> Option<&Semver> {
    match v {
        Value::Opaque(o) => o.downcast_ref::<Semver>(),
        _ => None,
    }
}

/// `major()`, `minor()`, `patch()`.
pub fn part(name: &str, args: &[Value]) -> Res<Value> {
    let v = args
        .first()
        .and_then(of)
        .ok_or_else(|| ExecutionError::function_error(name, "expected a semver"))?;
    let n = match name {
        "major" => v.major,
        "minor" => v.minor,
        _ => v.patch,
    };
    i64::try_from(n)
        .map(Value::Int)
        .map_err(|_| ExecutionError::function_error(name, "out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_and_normalized() {
        assert!(parse("1.2.3").is_ok() && parse("1.0.0-alpha.1+build.5").is_ok());
        assert_eq!(
            parse("1.2").unwrap_err(),
            "No Major.Minor.Patch elements found"
        );
        assert_eq!(
            parse("01.2.3").unwrap_err(),
            "Major number must not contain leading zeroes \"01\""
        );
        assert_eq!(
            parse("1.2.x").unwrap_err(),
            "Invalid character(s) found in patch number \"x\""
        );
        assert!(parse("v1.2.3").is_err());
        assert!(parse("1.2.3-").is_err() && parse("1.2.3-01").is_err() && parse("1.2.3+").is_err());
        assert_eq!(parse_normalized("v1.02").unwrap(), parse("1.2.0").unwrap());
        assert!(parse_normalized("1.2-rc").is_err());
        let order = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
        ];
        for w in order.windows(2) {
            assert_eq!(
                parse(w[0]).unwrap().precedence(&parse(w[1]).unwrap()),
                Ordering::Less,
                "{w:?}"
            );
        }
        assert_eq!(
            parse("1.0.0+a")
                .unwrap()
                .precedence(&parse("1.0.0+b").unwrap()),
            Ordering::Equal
        );
    }
}
