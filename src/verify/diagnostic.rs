//! The one diagnostic model every check reports in, and the report that collects them.
//!
//! Owns codes, severities, spans and counts. Renders nothing (see `report`), reads no files.

use std::path::PathBuf;

use serde::Serialize;

/// How bad a diagnostic is. Only errors fail the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails `rollout verify` (exit 1).
    Error,
    /// Shown, does not fail.
    Warning,
    /// Something that was not checked, or a fact worth knowing.
    Note,
}

impl Severity {
    /// `error`, `warning`, `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A place in a source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    /// The file, as given or found (relative to the repo root when walking the repo).
    pub file: PathBuf,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub col: usize,
    /// What is at that place (`apps/v1 Deployment media/auth`).
    pub label: String,
    /// The source line, for the caret snippet, when known: a window of it around the column
    /// when it is long ([`Span::clipped`]).
    #[serde(skip)]
    pub source_line: Option<String>,
    /// The caret's 1-based column in `source_line` when it is a window (0: `col`).
    #[serde(skip)]
    pub caret: usize,
}

/// A source line longer than this (in characters) is shown as a window around the column.
pub const SNIPPET_CHARS: usize = 120;
/// The window of a long line a diagnostic holds until Secret values are masked in it (wide, so
/// that masking sees whole values; the shown window is cut from it afterwards).
pub const HELD_CHARS: usize = 8192;
/// What a span keeps of its line once its input is checked: what the report shows and 1,024
/// characters either side, where a Secret value found in a later input is still matched whole.
pub const KEPT_CHARS: usize = SNIPPET_CHARS + 2 * 1024;
/// An object label longer than this is cut.
const LABEL_CHARS: usize = 160;

/// Characters between two entries of a line's [`char_checkpoints`].
const STEP: usize = 256;

/// The byte offset of every [`STEP`]th character of `line`: an index that finds a column of a
/// long line without walking it from the start.
pub(super) fn char_checkpoints(line: &str) -> Vec<usize> {
    line.char_indices().step_by(STEP).map(|(i, _)| i).collect()
}

/// The byte offset of character `n` (from 0) of `line`, or its length past the end.
fn byte_of_char(line: &str, n: usize, checkpoints: &[usize]) -> usize {
    let k = (n / STEP).min(checkpoints.len().saturating_sub(1));
    let (first, from) = (k * STEP, checkpoints.get(k).copied().unwrap_or(0));
    line[from..]
        .char_indices()
        .nth(n - first)
        .map_or(line.len(), |(i, _)| from + i)
}

/// `line` cut to `max` characters around column `pos` (`…` where text is left out), and the
/// caret's column in the cut; `None` when the line is not longer than `max` characters.
/// `checkpoints` is the line's [`char_checkpoints`].
pub(super) fn cut(
    line: &str,
    pos: usize,
    max: usize,
    checkpoints: &[usize],
) -> Option<(String, usize)> {
    let last = checkpoints.len().saturating_sub(1);
    let chars = last * STEP
        + line[checkpoints.get(last).copied().unwrap_or(0)..]
            .chars()
            .count();
    if chars <= max {
        return None;
    }
    let at = pos.saturating_sub(1).min(chars);
    let start = at.saturating_sub(max / 2);
    let end = (start + max).min(chars);
    let start = end.saturating_sub(max).min(start);
    let (from, to) = (
        byte_of_char(line, start, checkpoints),
        byte_of_char(line, end, checkpoints),
    );
    // Exactly what it holds: a final push must not double the capacity of a large window.
    let mut window = String::with_capacity(to - from + 2 * '…'.len_utf8());
    if start > 0 {
        window.push('…');
    }
    window.push_str(&line[from..to]);
    if end < chars {
        window.push('…');
    }
    Some((window, at - start + 1 + usize::from(start > 0)))
}

impl Span {
    /// The span with a long source line cut to `max` characters around the caret (`…` where
    /// text is left out) and a long label cut: a one-line minified file does not repeat itself
    /// under every finding. [`Diagnostic::at`] holds [`HELD_CHARS`]; the report shows
    /// [`SNIPPET_CHARS`], cut after Secret values are masked.
    pub fn clipped(mut self, max: usize) -> Span {
        self.clip(max);
        self
    }

    /// [`Span::clipped`] in place.
    pub fn clip(&mut self, max: usize) {
        if let Some(line) = &self.source_line
            && line.len() > max
        {
            let pos = if self.caret > 0 { self.caret } else { self.col };
            if let Some((window, caret)) = cut(line, pos, max, &char_checkpoints(line)) {
                self.caret = caret;
                self.source_line = Some(window);
            }
        }
        if self.label.chars().count() > LABEL_CHARS {
            self.label = crate::finding::bounded(&self.label, LABEL_CHARS);
        }
    }

    /// `file:line:col` (or just `file` when the position is unknown).
    pub fn describe(&self) -> String {
        if self.line == 0 {
            self.file.display().to_string()
        } else {
            format!("{}:{}:{}", self.file.display(), self.line, self.col)
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable kebab-case code (`schema-unknown-field`, `duplicate-key`, `policy-flag-missing`).
    pub code: String,
    /// Severity.
    pub severity: Severity,
    /// Terse message naming the field or object.
    pub message: String,
    /// Where it is.
    pub span: Option<Span>,
    /// `help:` notes, each one line; name the command to run when there is one.
    pub help: Vec<String>,
    /// Index of the input (in [`Report::inputs`]) it belongs to; `None` for repo-wide checks.
    #[serde(skip)]
    pub input: Option<usize>,
}

impl Diagnostic {
    /// A new diagnostic with no span and no help.
    pub fn new(code: impl Into<String>, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            code: code.into(),
            severity,
            message: message.into(),
            span: None,
            help: Vec::new(),
            input: None,
        }
    }

    /// An error.
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }

    /// Sets the span.
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span.clipped(HELD_CHARS));
        self
    }

    /// Adds a help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }
}

/// What an input was taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// Kubernetes objects (apiVersion + kind), one or more documents.
    Manifests,
    /// A kustomization directory, rendered first.
    Kustomization,
    /// A Grafana dashboard (JSON model).
    Dashboard,
    /// An array of Alertmanager alerts (`POST /api/v2/alerts` body).
    Alerts,
    /// Helm chart values (`charts/<chart>/values*.yaml`).
    Values,
    /// Argo CD Applications.
    Argocd,
    /// A rollout spec (`rollout.yaml`), checked against its built-in schema.
    Spec,
    /// An Alertmanager configuration (`alertmanager.yml`), checked as Alertmanager loads it.
    AlertmanagerConfig,
}

impl InputKind {
    /// The kebab-case name the report and `--type` use.
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Manifests => "manifests",
            InputKind::Kustomization => "kustomization",
            InputKind::Dashboard => "dashboard",
            InputKind::Alerts => "alerts",
            InputKind::Values => "values",
            InputKind::Argocd => "argocd",
            InputKind::Spec => "spec",
            InputKind::AlertmanagerConfig => "alertmanager-config",
        }
    }
}

/// One input that was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckedInput {
    /// The file or directory.
    pub path: PathBuf,
    /// What it was taken for.
    pub kind: InputKind,
    /// Why (`by place: dashboards/`, `by content: apiVersion and kind`, `--type`).
    pub reason: String,
    /// How many objects were checked in it (resources, alerts, 1 for a dashboard or values file).
    pub objects: usize,
}

/// The result of `rollout verify`: what was checked and what was found, in input order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The file the repository checks (policy, freshness) are about: the spec
    /// (`rollout.yaml`), in whole-repo mode.
    #[serde(skip)]
    pub spec_file: Option<std::path::PathBuf>,
    /// Every input, in the order checked.
    pub inputs: Vec<CheckedInput>,
    /// Every finding.
    pub diagnostics: Vec<Diagnostic>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Inputs checked.
    pub inputs: usize,
    /// Objects checked.
    pub objects: usize,
    /// Errors.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Notes.
    pub notes: usize,
}

impl Report {
    /// Counts by severity.
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            inputs: self.inputs.len(),
            objects: self.inputs.iter().map(|i| i.objects).sum(),
            ..Counts::default()
        };
        for d in &self.diagnostics {
            match d.severity {
                Severity::Error => c.errors += 1,
                Severity::Warning => c.warnings += 1,
                Severity::Note => c.notes += 1,
            }
        }
        c
    }

    /// Whether any error was found (exit 1).
    pub fn failed(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window cut by walking every character, as a reference.
    fn by_chars(line: &str, pos: usize, max: usize) -> Option<(String, usize)> {
        let chars: Vec<char> = line.chars().collect();
        if chars.len() <= max {
            return None;
        }
        let at = pos.saturating_sub(1).min(chars.len());
        let start = at.saturating_sub(max / 2);
        let end = (start + max).min(chars.len());
        let start = end.saturating_sub(max).min(start);
        let mut w: String = if start > 0 {
            "…".into()
        } else {
            String::new()
        };
        w.extend(&chars[start..end]);
        if end < chars.len() {
            w.push('…');
        }
        Some((w, at - start + 1 + usize::from(start > 0)))
    }

    #[test]
    fn a_long_line_is_cut_by_its_column_index_as_by_walking_it() {
        let line: String = (0..3000)
            .map(|i| match i % 7 {
                0 => 'é',
                3 => '漢',
                5 => '🦀',
                _ => 'a',
            })
            .collect();
        let checkpoints = char_checkpoints(&line);
        for max in [1, 2, 120, 255, 256, 257, 2999, 3000, 3001] {
            for pos in [
                0, 1, 2, 60, 255, 256, 257, 1000, 2940, 2999, 3000, 3001, 9999,
            ] {
                assert_eq!(
                    cut(&line, pos, max, &checkpoints),
                    by_chars(&line, pos, max),
                    "max {max} pos {pos}"
                );
            }
        }
        let w = cut(&line, 1500, 100, &checkpoints).unwrap().0;
        assert!(w.capacity() <= w.len() + 6, "{} {}", w.capacity(), w.len());
    }
}
