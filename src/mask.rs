//! The masking layer: every byte `rollout` prints or records (stdout, stderr, error messages,
//! JSON, Markdown, JUnit, GitHub annotations, evidence files) goes through [`scrub`] on its way out.
//!
//! Owns the list of values that must never be shown, in every encoding we can derive: tokens
//! (registered by [`crate::secret::Secret::new`]), URL passwords, and Secret `data` values seen by
//! `diff` (raw, base64 with and without a trailing newline, line-wrapped base64, JSON-escaped). It
//! also masks, whatever was registered, URL user-info (`https://user:pass@host`) and
//! `Authorization` header values. Never prints anything itself.

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};

use base64::Engine;
use regex::Regex;

/// What a masked value is replaced with.
pub const MASK: &str = "***";

/// Shorter values are not scrubbed from free text (masking every `1` would garble output); they
/// are still masked where they are known to be secret (Secret data in a diff).
pub const MIN_SCRUB_LEN: usize = 4;

/// The registered values, and one matcher for all of them (built when first needed after a
/// change), so scrubbing is one pass over the text however many values there are.
#[derive(Default)]
struct Registry {
    values: std::collections::HashSet<String>,
    matcher: Option<Regex>,
}

impl Registry {
    fn add(&mut self, v: String) {
        if v.len() >= MIN_SCRUB_LEN && !v.contains(MASK) && self.values.insert(v) {
            self.matcher = None;
        }
    }

    fn matcher(&mut self) -> Option<&Regex> {
        if self.matcher.is_none() && !self.values.is_empty() {
            let mut all: Vec<&String> = self.values.iter().collect();
            // Longest first: leftmost-first matching then masks a value whole before any shorter
            // one inside it.
            all.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
            let pattern = all
                .iter()
                .map(|v| regex::escape(v))
                .collect::<Vec<_>>()
                .join("|");
            self.matcher = regex::RegexBuilder::new(&pattern)
                .size_limit(256 << 20)
                .build()
                .ok();
        }
        self.matcher.as_ref()
    }
}

fn registry() -> &'static Mutex<Registry> {
    static R: OnceLock<Mutex<Registry>> = OnceLock::new();
    R.get_or_init(|| Mutex::new(Registry::default()))
}

/// JSON string escaping without the quotes (`a"b\c` → `a\"b\\c`).
fn json_escaped(v: &str) -> String {
    let q = serde_json::to_string(v).unwrap_or_default();
    q[1..q.len().saturating_sub(1).max(1)].to_string()
}

/// Every encoding of `v` that may show up in output: raw, JSON-escaped (twice, for JSON embedded in
/// JSON such as a last-applied annotation), base64 (standard and URL-safe, with and without padding,
/// wrapped at 64/70/76 columns) of `v` and of `v` with a trailing newline.
pub fn encodings(v: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let mut out = Vec::new();
    let mut texts = vec![v.to_string()];
    let trimmed = v.trim_end_matches(['\n', '\r']);
    if trimmed != v {
        texts.push(trimmed.to_string());
    } else {
        texts.push(format!("{v}\n"));
    }
    for t in &texts {
        out.push(t.clone());
        let j = json_escaped(t);
        out.push(json_escaped(&j));
        out.push(j);
        for e in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            let b = e.encode(t.as_bytes());
            for width in [64, 70, 76] {
                if b.len() > width {
                    let lines: Vec<&str> = b
                        .as_bytes()
                        .chunks(width)
                        .map(|c| std::str::from_utf8(c).unwrap_or_default())
                        .collect();
                    out.push(lines.join("\n"));
                    out.push(lines.join("\\n"));
                    out.push(lines.join("\r\n"));
                }
            }
            out.push(b);
        }
    }
    // Percent-encoding of the characters that URLs and forms escape.
    let pct: String = v
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    out.push(pct);
    out
}

impl Registry {
    fn add_value(&mut self, value: &str) {
        let v = value.trim();
        if v.len() < MIN_SCRUB_LEN {
            return;
        }
        for e in encodings(v) {
            self.add(e);
        }
    }

    fn add_secret_data(&mut self, encoded: &str) {
        let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&compact)
            && let Ok(text) = String::from_utf8(bytes)
        {
            self.add_value(&text);
        }
        self.add_value(&compact);
        self.add_value(encoded);
    }

    /// `text` with every value masked, longest first.
    fn mask<'a>(&mut self, text: &'a str) -> Cow<'a, str> {
        if let Some(re) = self.matcher() {
            return if re.is_match(text) {
                Cow::Owned(re.replace_all(text, MASK).into_owned())
            } else {
                Cow::Borrowed(text)
            };
        }
        // The one matcher could not be built (too many values): one value at a time, longest first.
        let mut out: Cow<'_, str> = Cow::Borrowed(text);
        let mut all: Vec<&String> = self.values.iter().collect();
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for s in all {
            if out.contains(s.as_str()) {
                out = Cow::Owned(out.replace(s.as_str(), MASK));
            }
        }
        out
    }
}

/// Registers a secret (a token, a password): from now on [`scrub`] masks it in every encoding.
pub fn register(value: &str) {
    registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .add_value(value);
}

/// Registers the value of a Secret's `data` entry as the API holds it (base64, maybe wrapped or
/// with a trailing newline): the encoded text as written, and everything derived from the
/// decoded bytes.
pub fn register_secret_data(encoded: &str) {
    registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .add_secret_data(encoded);
}

/// Secret values masked in one kind of text only, not process-wide: `verify` masks the Secret
/// values of the files it reads in the source lines it quotes, and leaves file names and field
/// paths alone (a Secret whose password is `admin` must not turn `admin-secret.yaml` into
/// `***-secret.yaml` in every location it prints).
#[derive(Default)]
pub struct LocalSecrets(Registry);

impl LocalSecrets {
    /// Adds a plain secret value (a Secret's `stringData` entry), in every encoding.
    pub fn add(&mut self, value: &str) {
        self.0.add_value(value);
    }

    /// Adds a Secret's `data` entry as written (base64) and everything derived from its bytes.
    pub fn add_secret_data(&mut self, encoded: &str) {
        self.0.add_secret_data(encoded);
    }

    /// `text` with every added value masked.
    pub fn mask<'a>(&mut self, text: &'a str) -> Cow<'a, str> {
        if self.0.values.is_empty() {
            return Cow::Borrowed(text);
        }
        self.0.mask(text)
    }
}

/// Registers the password (and the whole user-info) of a URL such as `https://user:pass@host`.
pub fn register_url(url: &str) {
    if let Some(rest) = url.split_once("://").map(|(_, r)| r)
        && let Some((userinfo, _)) = rest.split('/').next().and_then(|a| a.rsplit_once('@'))
    {
        if let Some((_, pass)) = userinfo.split_once(':') {
            register(pass);
        }
        register(userinfo);
    }
}

/// A URL with its user-info removed (`https://user:pass@host/x` → `https://***@host/x`).
pub fn url(u: &str) -> String {
    scrub(u).into_owned()
}

fn patterns() -> &'static [(Regex, &'static str)] {
    static P: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    P.get_or_init(|| {
        [
            // URL user-info.
            (r"([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s]+@", "${1}***@"),
            // Authorization / cookie header values, as echoed by servers or proxies.
            (
                r#"(?i)\b(authorization|proxy-authorization|cookie|set-cookie|x-auth-token|x-api-key)(\\?"?\s*[:=]\s*\\?"?)(?:(bearer|basic|token)\s+)?(?:\\.|[^"\s,;\\])+"#,
                "${1}${2}${3} ***",
            ),
            // A credential after Bearer/Basic, JSON escapes (`\"`, `\\`) included.
            (r#"\b([Bb]earer|BEARER)\s+(?:\\.|[^\s"\\,;]){8,}"#, "${1} ***"),
            (r"\b(Basic)\s+[A-Za-z0-9+/]{8,}={0,2}", "${1} ***"),
        ]
        .into_iter()
        .map(|(r, w)| (Regex::new(r).expect("built-in mask pattern compiles"), w))
        .collect()
    })
}

/// `text` with every registered secret masked (and nothing else).
pub fn scrub_registered(text: &str) -> Cow<'_, str> {
    let mut reg = registry().lock().unwrap_or_else(|p| p.into_inner());
    match reg.matcher() {
        Some(re) if re.is_match(text) => Cow::Owned(re.replace_all(text, MASK).into_owned()),
        _ => Cow::Borrowed(text),
    }
}

/// `text` with every registered secret, URL user-info and `Authorization` value masked.
pub fn scrub(text: &str) -> Cow<'_, str> {
    if text.is_empty() {
        // Nothing to mask (and no matcher to build: compiling the patterns was a fifth of a
        // small render's instructions when its stderr was empty).
        return Cow::Borrowed(text);
    }
    let mut reg = registry().lock().unwrap_or_else(|p| p.into_inner());
    let mut out = reg.mask(text);
    drop(reg);
    for (re, with) in patterns() {
        if re.is_match(&out) {
            out = Cow::Owned(re.replace_all(&out, *with).replace("  ***", " ***"));
        }
    }
    out
}

/// A writer that scrubs what passes through it (for live progress lines written as they happen).
#[derive(Debug)]
pub struct ScrubWriter<W>(pub W);

impl<W: std::io::Write> std::io::Write for ScrubWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_11_tokens_with_quotes_and_backslashes_are_masked_in_every_encoding() {
        let token = r#"tok"en\with"quotes-1234"#;
        register(token);
        for e in encodings(token) {
            let text = format!("before {e} after");
            let got = scrub(&text);
            assert!(!got.contains(&e), "{e:?} survived: {got}");
        }
        let json = crate::json!({ "t": token }).to_string();
        assert!(!scrub(&json).contains("quotes-1234"), "{}", scrub(&json));
    }

    #[test]
    fn issue_11_wrapped_and_newline_terminated_base64_secret_data_is_masked() {
        let value = "s3cr3t-value-that-is-long-enough-to-wrap-over-seventy-six-columns-of-base64!";
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{value}\n"));
        let wrapped: String = b64
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap().to_string() + "\n")
            .collect();
        register_secret_data(&wrapped);
        for shown in [
            value.to_string(),
            b64.clone(),
            wrapped.clone(),
            json_escaped(&wrapped),
        ] {
            assert_eq!(scrub(&format!("x {shown} y")), "x *** y", "{shown:?}");
        }
    }

    #[test]
    fn issue_11_url_user_info_and_authorization_values_never_show() {
        assert_eq!(
            scrub("POST https://admin:pa55word@grafana.example/api failed"),
            "POST https://***@grafana.example/api failed"
        );
        let s = scrub(
            "echo: Authorization: Bearer abcdefgh12345678 and {\"authorization\":\"Basic dXNlcjpwYXNz\"}",
        );
        assert!(
            !s.contains("abcdefgh12345678") && !s.contains("dXNlcjpwYXNz"),
            "{s}"
        );
    }
}
