//! A redacting holder for tokens and other secrets.
//!
//! Owns the rule that a secret never reaches stdout, logs or evidence: `Debug` and `Display` print
//! `***`. The only way to the value is [`Secret::expose`], called where a request header is built.

use std::fmt;

/// A secret string (API token, password). Prints as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value; surrounding whitespace (a trailing newline in a token file) is trimmed.
    /// The value is registered with the masking layer ([`crate::mask`]), so it is scrubbed from
    /// everything `rollout` prints or records, in every encoding.
    pub fn new(value: impl Into<String>) -> Self {
        let v = value.into().trim().to_string();
        crate::mask::register(&v);
        Secret(v)
    }

    /// The secret value, for building an `Authorization` header. Never format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("glsa_abcdef\n");
        assert_eq!(format!("{s:?} {s}"), "*** ***");
        assert_eq!(s.expose(), "glsa_abcdef");
    }
}
