//! The plain finding a content check returns: a stable code, a severity, a JSON pointer and a message.
//!
//! Owns only the data shape shared by the dashboard and alert checks (`schema::grafana`,
//! `schema::alertmanager`); it renders nothing and knows no file: the verify report adds the file name
//! and chooses the format.

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Grafana or Alertmanager would reject the document, or it would not work as intended.
    Error,
    /// Accepted as is, but probably not what was meant (or deprecated).
    Warning,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding about one place in a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable kebab-case code, e.g. `panel-id-duplicate`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// RFC 6901 JSON pointer to the offending value (`""` is the whole document).
    pub pointer: String,
    /// A terse lowercase message naming the field and value.
    pub message: String,
}

impl Finding {
    /// A finding of `severity`.
    pub fn new(
        severity: Severity,
        code: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            code,
            severity,
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    /// An error finding.
    pub fn error(
        code: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding::new(Severity::Error, code, pointer, message)
    }

    /// A warning finding.
    pub fn warning(
        code: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding::new(Severity::Warning, code, pointer, message)
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(
            f,
            "{}[{}] at {}: {}",
            self.severity.as_str(),
            self.code,
            at,
            self.message
        )
    }
}

/// True when any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

/// Appends one RFC 6901 reference token (escaping `~` and `/`) to a JSON pointer.
pub fn pointer_push(base: &str, token: &str) -> String {
    format!("{base}/{}", token.replace('~', "~0").replace('/', "~1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(pointer_push("/labels", "a/b~c"), "/labels/a~1b~0c");
        assert_eq!(pointer_push("", "panels"), "/panels");
    }

    #[test]
    fn display_names_code_and_pointer() {
        let f = Finding::error("panel-type-missing", "/panels/0", "panel 3 has no type");
        assert_eq!(
            f.to_string(),
            "error[panel-type-missing] at /panels/0: panel 3 has no type"
        );
    }
}
