//! Kubernetes' URL CEL library (`url()`, `isURL()`, `getScheme`, `getHost`, `getHostname`,
//! `getPort`, `getEscapedPath`, `getQuery`), with Go's `net/url` rules as the API server applies
//! them: `isURL` and `url` accept what `url.ParseRequestURI` accepts (an absolute URI or an
//! absolute path, no fragment), and a string `url()` refuses is an evaluation error.
//!
//! Owns the URL value and a parser written after Go's documented behaviour; nothing else.

use std::collections::HashMap;
use std::sync::Arc;

use cel::objects::Opaque;
use cel::{ExecutionError, Value};

use super::{Res, string};

/// A parsed URL (`kubernetes.URL`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Url {
    scheme: String,
    opaque: String,
    host: String,
    path: String,
    raw_path: String,
    raw_query: String,
}

impl Opaque for Url {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.URL"
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Path,
    Host,
    Query,
    User,
}

/// Whether Go's `net/url` escapes byte `c` in a component of this mode.
fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
        return false;
    }
    match mode {
        Mode::Host => !b"!$&'()*+,;=:[]<>\"".contains(&c),
        Mode::Path => !b"$&+,/:;=@".contains(&c),
        Mode::User => !b"$&+,;=:".contains(&c),
        Mode::Query => true,
    }
}

fn unhex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn unescape(s: &str, mode: Mode) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = (
                    b.get(i + 1).copied().and_then(unhex),
                    b.get(i + 2).copied().and_then(unhex),
                );
                let (Some(h), Some(l)) = hex else {
                    let end = (i + 3).min(b.len());
                    return Err(format!(
                        "invalid URL escape {:?}",
                        String::from_utf8_lossy(&b[i..end])
                    ));
                };
                if mode == Mode::Host && &b[i..i + 3] != b"%25" {
                    return Err(format!(
                        "invalid URL escape {:?}",
                        String::from_utf8_lossy(&b[i..i + 3])
                    ));
                }
                out.push(h << 4 | l);
                i += 3;
            }
            b'+' if mode == Mode::Query => {
                out.push(b' ');
                i += 1;
            }
            c => {
                if mode == Mode::Host && c < 0x80 && should_escape(c, mode) {
                    return Err(format!("invalid character {:?} in host name", c as char));
                }
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "invalid UTF-8 after unescaping".to_string())
}

fn escape(s: &str, mode: Mode) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if should_escape(c, mode) {
            out.push_str(&format!("%{c:02X}"));
        } else {
            out.push(c as char);
        }
    }
    out
}

fn valid_optional_port(p: &str) -> bool {
    p.is_empty()
        || p.strip_prefix(':')
            .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
}

fn parse_host(host: &str) -> Result<String, String> {
    let colon_port = if host.starts_with('[') {
        let end = host.rfind(']').ok_or("missing ']' in host")?;
        &host[end + 1..]
    } else {
        host.rfind(':').map_or("", |i| &host[i..])
    };
    if !valid_optional_port(colon_port) {
        return Err(format!("invalid port {colon_port:?} after host"));
    }
    unescape(host, Mode::Host)
}

fn valid_userinfo(s: &str) -> bool {
    s.bytes()
        .all(|c| c.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&c))
}

/// `(scheme, rest)`; no scheme when the text before the first `:` is not one.
fn scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// Go's `url.ParseRequestURI` (`request`) or `url.Parse` without the fragment.
fn parse(raw: &str, request: bool) -> Result<Url, String> {
    let wrap = |e: String| format!("parse {raw:?}: {e}");
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(wrap("net/url: invalid control character in URL".into()));
    }
    if raw.is_empty() && request {
        return Err(wrap("empty url".into()));
    }
    let mut url = Url::default();
    if raw == "*" {
        url.path = "*".into();
        url.raw_path = "*".into();
        return Ok(url);
    }
    let (scheme, mut rest) = scheme(raw).map_err(wrap)?;
    url.scheme = scheme.to_ascii_lowercase();
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        url.raw_query = q.to_string();
        rest = r;
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            url.opaque = rest.to_string();
            return Ok(url);
        }
        if request {
            return Err(wrap("invalid URI for request".into()));
        }
        if let Some(colon) = rest.find(':')
            && rest.find('/').is_none_or(|slash| colon < slash)
        {
            return Err(wrap(
                "first path segment in URL cannot contain colon".into(),
            ));
        }
    }
    if (!url.scheme.is_empty() || !request && !rest.starts_with("///")) && rest.starts_with("//") {
        let authority = &rest[2..];
        let (authority, path) = match authority.find('/') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        };
        let host = match authority.rfind('@') {
            Some(i) => {
                if !valid_userinfo(&authority[..i]) {
                    return Err(wrap("net/url: invalid userinfo".into()));
                }
                unescape(&authority[..i], Mode::User).map_err(wrap)?;
                &authority[i + 1..]
            }
            None => authority,
        };
        url.host = parse_host(host).map_err(wrap)?;
        rest = path;
    }
    url.path = unescape(rest, Mode::Path).map_err(wrap)?;
    url.raw_path = rest.to_string();
    Ok(url)
}

impl Url {
    fn split_host_port(&self) -> (&str, &str) {
        let h = self.host.as_str();
        let (host, port) = match h.rfind(':') {
            Some(i) if valid_optional_port(&h[i..]) => (&h[..i], &h[i + 1..]),
            _ => (h, ""),
        };
        let host = host
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(host);
        (host, port)
    }

    fn escaped_path(&self) -> String {
        let valid = self
            .raw_path
            .bytes()
            .all(|c| b"!$&'()*+,;=:@[]%".contains(&c) || !should_escape(c, Mode::Path));
        if valid || self.path == "*" {
            self.raw_path.clone()
        } else {
            escape(&self.path, Mode::Path)
        }
    }

    fn query(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for pair in self.raw_query.split('&') {
            if pair.is_empty() || pair.contains(';') {
                continue;
            }
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (Ok(k), Ok(v)) = (unescape(k, Mode::Query), unescape(v, Mode::Query)) else {
                continue;
            };
            match out.iter_mut().find(|(key, _)| *key == k) {
                Some((_, vs)) => vs.push(v),
                None => out.push((k, vec![v])),
            }
        }
        out
    }
}

fn url_arg<'a>(args: &'a [Value], f: &str) -> Res<&'a Url> {
    match args.first() {
        Some(Value::Opaque(o)) => o
            .downcast_ref::<Url>()
            .ok_or_else(|| ExecutionError::function_error(f, "expected a URL")),
        _ => Err(ExecutionError::function_error(f, "expected a URL")),
    }
}

/// `url(string)`.
pub fn url(args: &[Value]) -> Res<Value> {
    let s = string(args, 0, "url")?;
    let fail = |e: String| {
        ExecutionError::function_error(
            "url",
            format!("URL parse error during conversion from string: {e}"),
        )
    };
    parse(s, true).map_err(fail)?;
    let without_fragment = s.split_once('#').map_or(s, |(u, _)| u);
    let u = parse(without_fragment, false).map_err(fail)?;
    Ok(Value::Opaque(Arc::new(u)))
}

/// Why Go's `url.ParseRequestURI` refuses a string (`parse "x": invalid URI for request`).
pub fn request_uri_error(s: &str) -> Option<String> {
    parse(s, true).err()
}

/// `isURL(string)`.
pub fn is_url(args: &[Value]) -> Res<Value> {
    Ok(Value::Bool(parse(string(args, 0, "isURL")?, true).is_ok()))
}

/// The getters, by name.
pub fn getter(name: &str, args: &[Value]) -> Res<Value> {
    let u = url_arg(args, name)?;
    Ok(match name {
        "getScheme" => u.scheme.as_str().into(),
        "getHost" => u.host.as_str().into(),
        "getHostname" => u.split_host_port().0.into(),
        "getPort" => u.split_host_port().1.into(),
        "getEscapedPath" => u.escaped_path().into(),
        "getQuery" => {
            let map: HashMap<String, Value> = u
                .query()
                .into_iter()
                .map(|(k, vs)| {
                    let list: Vec<Value> = vs.into_iter().map(Value::from).collect();
                    (k, Value::List(Arc::new(list)))
                })
                .collect();
            Value::from(map)
        }
        _ => return Err(ExecutionError::function_error(name, "no such URL getter")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_uris_as_go_parses_them() {
        for ok in [
            "https://example.com",
            "https://user:pw@example.com:8443/a%20b?x=1#frag",
            "/absolute/path",
            "mailto:someone@example.com",
            "http://[::1]:80/",
            "*",
        ] {
            assert!(parse(ok, true).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("example.com", "invalid URI for request"),
            ("", "empty url"),
            ("://x", "missing protocol scheme"),
            ("http://x:port/", "invalid port \":port\" after host"),
            ("http://[::1/", "missing ']' in host"),
            ("http://a b/", "invalid character ' ' in host name"),
            ("http://x/%zz", "invalid URL escape \"%zz\""),
            ("http://x/\n", "net/url: invalid control character in URL"),
        ] {
            let e = parse(bad, true).unwrap_err();
            assert!(e.ends_with(why), "{bad}: {e}");
        }
        let u = parse("HTTPS://[fe80::1]:8443/p/a%2Fb?k=v&k=w&e=", false).unwrap();
        assert_eq!(u.scheme, "https");
        assert_eq!(u.split_host_port(), ("fe80::1", "8443"));
        assert_eq!(u.escaped_path(), "/p/a%2Fb");
        assert_eq!(
            u.query(),
            [
                ("k".to_string(), vec!["v".to_string(), "w".to_string()]),
                ("e".to_string(), vec![String::new()])
            ]
        );
        assert_eq!(
            parse("http://x/a b", false).unwrap().escaped_path(),
            "/a%20b"
        );
    }
}
