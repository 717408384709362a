//! `rollout verify`, the pre-merge gate: recognise each input, load it with positions, dispatch it
//! to its schema or lint, apply the rollout policy, and collect one [`Report`] of diagnostics.
//!
//! Owns recognition, dispatch and locating findings (file:line:col). Owns no schema (see
//! `crate::schema` and the [`Checks`] seam) and prints nothing (see [`report`]).

pub mod alertmanager_config;
mod alertmanager_fields;
mod apivalidation;
pub mod checks;
mod config_data;
mod configmap_dashboards;
mod crds;
pub mod diagnostic;
mod json;
mod load;
pub mod policy;
pub mod practices;
mod recognise;
pub mod render;
pub mod report;
pub mod scrape;
mod secret_lines;
mod server;
mod tz;
pub mod wiring;
mod yaml11;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::value::Value;

use crate::resource::{Gvk, Origin, Resource};
use crate::schema::apis;
use crate::schema::crd::{CrdSchemas, is_crd};
use crate::schema::kubernetes::{BuiltinSchemas, SchemaError, SchemaLocations, Violation};
use crate::yaml::Pos;
use load::{fast_docs, fast_objects};
use recognise::{Input, candidates, read, recognise, recognise_in_full, under};

pub use checks::{Checks, Finding};
pub use diagnostic::{CheckedInput, Counts, Diagnostic, InputKind, Report, Severity, Span};
pub use policy::{PolicyInput, ServiceImage};

/// What `rollout verify` checks and how.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Files and directories to verify; empty: the whole repo under `root`.
    pub paths: Vec<PathBuf>,
    /// The repository root (for the whole-repo mode and the spec).
    pub root: PathBuf,
    /// Unknown fields and duplicate keys fail (kubeconform `-strict`); without it a repeated key's
    /// last value is used and the repeat is a warning (kubeconform without `-strict`).
    pub strict: bool,
    /// Kubernetes version of the built-in schemas (`1.34`).
    pub kubernetes_version: String,
    /// Files holding CustomResourceDefinitions whose schemas validate custom resources.
    pub crds: Vec<PathBuf>,
    /// kubeconform-style schema directories or templates, tried before the built-in schemas.
    pub schema_locations: Vec<String>,
    /// An object with no schema is an error instead of a warning.
    pub require_schemas: bool,
    /// Take every input as this kind instead of recognising it.
    pub kind: Option<InputKind>,
    /// How best-practice findings count ([`practices`]).
    pub practices: PracticeLevel,
    /// Per-rule levels overriding `practices` (rule name → level).
    pub rule_levels: std::collections::BTreeMap<String, PracticeLevel>,
    /// Best-practice findings accepted until a date.
    pub waivers: Vec<WaiverRule>,
    /// The date waivers are judged against (today).
    pub today: jiff::civil::Date,
    /// Kustomization directories checked against another Kubernetes version than
    /// `kubernetes_version` (an environment's `kubernetesVersion`).
    pub versions_by_dir: Vec<(PathBuf, String)>,
}

/// A waiver from `rollout.yaml`: one rule on matching objects, until a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaiverRule {
    /// The rule (`pdb`).
    pub rule: String,
    /// The object kind.
    pub kind: String,
    /// The namespace, when the waiver names one.
    pub namespace: Option<String>,
    /// The object name, or `*` for any.
    pub name: String,
    /// Why.
    pub reason: String,
    /// The last day it holds.
    pub expires: jiff::civil::Date,
    /// Where the waiver is written (for the expired error).
    pub at: Span,
}

impl WaiverRule {
    /// The object as the spec writes it: `Kind/name` or `Kind/namespace/name`.
    fn object(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{ns}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }

    fn matches(&self, rule: &str, value: &Value) -> bool {
        let s = |p: &str| crate::finding::str_at_pointer(value, p);
        self.rule == rule
            && self.kind == s("/kind")
            && self
                .namespace
                .as_deref()
                .is_none_or(|n| n == s("/metadata/namespace"))
            && (self.name == "*" || self.name == s("/metadata/name"))
    }
}

/// How the best-practice rules ([`practices::RULES`]) report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PracticeLevel {
    /// As warnings (the default).
    #[default]
    Warn,
    /// As errors (`--policy strict`).
    Strict,
    /// Not at all.
    Off,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            paths: Vec::new(),
            root: PathBuf::from("."),
            strict: true,
            kubernetes_version: crate::schema::kubernetes::DEFAULT_VERSION.to_string(),
            crds: Vec::new(),
            schema_locations: Vec::new(),
            require_schemas: false,
            kind: None,
            practices: PracticeLevel::Warn,
            rule_levels: std::collections::BTreeMap::new(),
            waivers: Vec::new(),
            today: jiff::Zoned::now().date(),
            versions_by_dir: Vec::new(),
        }
    }
}

/// Why verification could not run (exit 2). Findings are never errors: they are in the [`Report`].
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Schemas could not be loaded (`--kubernetes-version`, `--schema-location`).
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A path that does not exist.
    #[error("{}: no such file or directory", path.display())]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// A file that could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file that is neither recognised by place nor by content.
    #[error(
        "{}: cannot tell what this file is; pass --type (choose from: manifests, kustomization, dashboard, alerts, values, argocd, spec, alertmanager-config)",
        path.display()
    )]
    Unrecognized {
        /// The file.
        path: PathBuf,
    },
    /// A named file with nothing in it: no YAML document (only comments, blank lines or `---`),
    /// or a `.json` file of white space only.
    #[error("{}: is empty (only blank lines or comments): nothing to verify", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A `--crd` file that holds no usable CustomResourceDefinition.
    #[error("--crd {}: {message}", path.display())]
    Crd {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The whole-repo mode found nothing to verify.
    #[error(
        "nothing to verify under {}: no overlays/, charts/, argocd/, dashboards/ or alerts/; pass paths to verify",
        root.display()
    )]
    Nothing {
        /// The root.
        root: PathBuf,
    },
    /// The spec (rollout.yaml) could not be read for the policy check.
    #[error("{0}")]
    Spec(String),
    /// The check could not start (no thread could be made for it).
    #[error("internal error: {0}")]
    Internal(String),
    /// `--type kustomization` on something that is not a directory.
    #[error("{}: --type kustomization needs a directory with a kustomization.yaml", path.display())]
    NotKustomization {
        /// The path.
        path: PathBuf,
    },
}

impl VerifyOptions {
    /// What the YAML reader does with a repeated mapping key under these options.
    fn duplicates(&self) -> crate::yaml::Duplicates {
        if self.strict {
            crate::yaml::Duplicates::Reject
        } else {
            crate::yaml::Duplicates::LastWins
        }
    }
}

/// Verifies with the checks wired into this build.
///
/// # Errors
/// See [`verify`].
pub fn run(options: &VerifyOptions) -> Result<Report, VerifyError> {
    verify(options, &wiring::Wired)
}

/// A Kubernetes object with where it came from; `prefix` is the pointer of the object inside its
/// document (`/items/3` for a List item, empty otherwise).
struct Obj {
    value: Value,
    origin: Origin,
    prefix: String,
    input: usize,
}

/// A parsed single document (dashboard, alerts, values) with positions.
struct Doc {
    value: Value,
    origin: Origin,
}

/// Source texts of files, for snippets, with where each line starts (so a snippet costs one
/// lookup, not a scan of the file: a large file may have thousands of findings).
#[derive(Default)]
struct Sources {
    texts: HashMap<PathBuf, Option<Indexed>>,
    /// Per file, the lines that may show a Secret's values (found when first asked).
    secret_lines: HashMap<PathBuf, std::collections::BTreeSet<usize>>,
    /// Per long line (file, line), its column index ([`diagnostic::char_checkpoints`]).
    long_lines: HashMap<(PathBuf, usize), Vec<usize>>,
}

/// A text and the byte offset where each of its lines starts.
type Indexed = (Arc<str>, Vec<usize>);

/// The byte offset where each line of `text` starts.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

impl Sources {
    /// Holds a file's text; its lines are indexed when a snippet is first asked for (most
    /// files have none).
    fn insert(&mut self, path: &Path, text: &str) {
        self.texts
            .insert(path.to_path_buf(), Some((Arc::from(text), Vec::new())));
    }

    fn line(&mut self, path: &Path, line: usize) -> Option<String> {
        let (text, range) = self.line_at(path, line)?;
        Some(text[range].to_string())
    }

    /// A file's text and the byte range of its 1-based `line` (without its line break).
    fn line_at(&mut self, path: &Path, line: usize) -> Option<(Arc<str>, std::ops::Range<usize>)> {
        let (text, starts) = self.indexed(path).filter(|_| line > 0)?;
        let start = *starts.get(line - 1)?;
        let end = starts.get(line).map_or(text.len(), |e| e - 1).max(start);
        let l = text.get(start..end)?;
        let end = start + l.strip_suffix('\r').unwrap_or(l).len();
        Some((text.clone(), start..end))
    }

    /// [`Sources::line`] as a span holds it: a line longer than [`diagnostic::HELD_CHARS`] cut
    /// to [`diagnostic::KEPT_CHARS`] around column `col`, with the caret's column in the cut
    /// (0: at `col`). A long line's index of columns is made once, so many findings on one
    /// minified line each cost their window, not the line.
    fn held_line(&mut self, path: &Path, line: usize, col: usize) -> Option<(String, usize)> {
        let (text, range) = self.line_at(path, line)?;
        let l = &text[range];
        if l.len() <= diagnostic::HELD_CHARS {
            return Some((l.to_string(), 0));
        }
        let checkpoints = self
            .long_lines
            .entry((path.to_path_buf(), line))
            .or_insert_with(|| diagnostic::char_checkpoints(l));
        Some(
            // What a checked input keeps (two characters fewer: with its `…` marks the cut is
            // not cut again), so that many findings on one minified line hold a little each.
            diagnostic::cut(l, col, diagnostic::KEPT_CHARS - 2, checkpoints)
                .unwrap_or_else(|| (l.to_string(), 0)),
        )
    }

    /// A file's text and line starts, read when first needed.
    fn indexed(&mut self, path: &Path) -> Option<&Indexed> {
        let held = self
            .texts
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                crate::fsutil::read_to_string(path)
                    .ok()
                    .map(|t| (Arc::from(t.as_str()), Vec::new()))
            })
            .as_mut()?;
        // Every text has a first line: no starts yet means not indexed yet.
        if held.1.is_empty() {
            held.1 = line_starts(&held.0);
        }
        Some(held)
    }

    /// Whether a line of a file may show a Secret's values (see [`secret_lines`]).
    fn shows_secret(&mut self, path: &Path, line: usize) -> bool {
        if !self.secret_lines.contains_key(path) {
            let found = match self.indexed(path) {
                Some((text, _)) => secret_lines::secret_value_lines(text, json::is_json_file(path)),
                None => Default::default(),
            };
            self.secret_lines.insert(path.to_path_buf(), found);
        }
        self.secret_lines
            .get(path)
            .is_some_and(|lines| lines.contains(&line))
    }
}

/// A schema's errors, and what else it reported (severity, finding).
type Checked = (Vec<Violation>, Vec<(Severity, Violation)>);

/// What [`Ctx::schema_violations`] gives for one object.
type SchemaCheck = Result<Option<Checked>, VerifyError>;

/// `f` over consecutive chunks of `objs`, one per thread (`threads` of them), each thread with the
/// stack a CRD's rules may need: each chunk with its result, `None` where its thread could not
/// start or panicked.
fn par_check<R: Send>(
    objs: &[Obj],
    threads: usize,
    f: impl Fn(&[Obj]) -> R + Sync,
) -> Vec<(&[Obj], Option<R>)> {
    let chunk = objs.len().div_ceil(threads.max(1)).max(1);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = objs
            .chunks(chunk)
            .map(|part| {
                let h = std::thread::Builder::new()
                    .name("verify-check".into())
                    .stack_size(crate::schema::cel::STACK_BYTES)
                    .spawn_scoped(s, move || f(part));
                (part, h)
            })
            .collect();
        handles
            .into_iter()
            .map(|(part, h)| (part, h.ok().and_then(|h| h.join().ok())))
            .collect()
    })
}

/// Everything the dispatch needs.
struct Ctx<'a> {
    options: &'a VerifyOptions,
    checks: &'a dyn Checks,
    builtin: BuiltinSchemas,
    /// Schemas of other versions, for directories checked against them, and the one in use.
    versioned: HashMap<String, BuiltinSchemas>,
    active: Option<String>,
    locations: SchemaLocations,
    crds: CrdSchemas,
    /// CRDs (by name) whose rules that do not compile were reported on their `--crd` file.
    crd_rules_reported: std::collections::HashSet<String>,
    /// CRDs the API server refuses, so their custom resources cannot be created.
    refused_crds: crds::Refused,
    /// The API server's findings on each CRD met, checked once.
    crd_checked: crds::Checked,
    sources: Sources,
    /// Secret values met so far, masked in the quoted source lines.
    secrets: crate::mask::LocalSecrets,
    /// Waivers (by index) that covered a finding.
    waivers_used: std::collections::BTreeSet<usize>,
    report: Report,
}

impl Ctx<'_> {
    fn span(&mut self, origin: &Origin, pointer: &str, label: String) -> Span {
        // The file that wrote the field: the patch that set it, else the source document.
        let (file, pos) = origin
            .locate(pointer)
            .map(|(f, p)| (f.to_path_buf(), p))
            .unwrap_or((origin.file.clone(), origin.start));
        let (source_line, caret) = self
            .sources
            .held_line(&file, pos.line, pos.col)
            .map_or((None, 0), |(l, c)| (Some(l), c));
        Span {
            line: pos.line,
            col: pos.col,
            caret,
            source_line,
            file,
            label,
        }
    }

    fn push(&mut self, mut d: Diagnostic, input: Option<usize>) {
        d.input = input;
        // Every message and help line is one line of bounded length, whatever check made it.
        let max = crate::finding::MESSAGE_MAX;
        d.message = crate::finding::bounded(&d.message, max);
        for h in &mut d.help {
            *h = crate::finding::bounded(h, max);
        }
        self.report.diagnostics.push(d);
    }

    fn add_input(&mut self, input: &Input, objects: usize) -> usize {
        self.report.inputs.push(CheckedInput {
            path: input.path.clone(),
            kind: input.kind,
            reason: input.reason.clone(),
            objects,
        });
        self.report.inputs.len() - 1
    }
}

fn label(value: &Value) -> String {
    let s = |p: &str| crate::finding::str_at_pointer(value, p);
    let ns = s("/metadata/namespace");
    let name = if s("/metadata/name").is_empty() {
        s("/metadata/generateName")
    } else {
        s("/metadata/name")
    };
    let id = if ns.is_empty() {
        name.to_string()
    } else {
        format!("{ns}/{name}")
    };
    format!("{} {} {id}", s("/apiVersion"), s("/kind"))
}

fn is_secret(value: &Value) -> bool {
    value.get("apiVersion").and_then(Value::as_str) == Some("v1")
        && value.get("kind").and_then(Value::as_str) == Some("Secret")
}

/// Adds a Secret's `data` and `stringData` values to those masked in the source lines the report
/// quotes (messages about them never show them: see [`secret_value_at`]).
fn register_secret_values(secrets: &mut crate::mask::LocalSecrets, value: &Value) {
    if !is_secret(value) {
        return;
    }
    for (field, encoded) in [("data", true), ("stringData", false)] {
        if let Some(Value::Object(m)) = value.get(field) {
            for v in m.values() {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if encoded {
                    secrets.add_secret_data(&text);
                } else {
                    secrets.add(&text);
                }
            }
        }
    }
}

/// For a violation inside a Secret's `data` or `stringData`, the message to show instead: the key
/// and the type of what is there, never the value.
fn secret_value_at(value: &Value, pointer: &str) -> Option<String> {
    if !is_secret(value) {
        return None;
    }
    let mut parts = pointer.trim_start_matches('/').splitn(3, '/');
    let field = parts.next()?;
    if field != "data" && field != "stringData" {
        return None;
    }
    let key = parts
        .next()
        .map(|k| k.replace("~1", "/").replace("~0", "~"));
    let what = match value.pointer(pointer) {
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "a boolean",
        Some(Value::Number(_)) => "a number",
        Some(Value::String(_)) => "a string",
        Some(Value::Array(_)) => "a list",
        Some(Value::Object(_)) => "a mapping",
        None => "missing",
    };
    let expected = if field == "data" {
        "a base64 string"
    } else {
        "a string"
    };
    Some(match key {
        Some(k) => {
            format!("Secret {field} key \"{k}\": expected {expected}, got {what} (value not shown)")
        }
        None => {
            format!("Secret {field}: expected a mapping of strings, got {what} (value not shown)")
        }
    })
}

impl Ctx<'_> {
    fn violations_to_diagnostics(
        &mut self,
        value: &Value,
        found: Vec<Violation>,
        origin: &Origin,
        prefix: &str,
        label: &str,
        input: usize,
    ) {
        for v in found {
            let mut span = self.span(origin, &format!("{prefix}{}", v.pointer), label.to_string());
            let mut message = v.message;
            if let Some(secret) = secret_value_at(value, &v.pointer) {
                // Never the value, in any renderer: the key and the type only, and no source line.
                // The API server's own data checks never quote a value: their message stays.
                if v.code != "api-validation" {
                    message = secret;
                }
                span.source_line = None;
            }
            let mut d = Diagnostic::error(v.code, message);
            if v.code == "schema-type"
                && value.pointer(&v.pointer).is_some_and(Value::is_boolean)
                && span
                    .source_line
                    .as_deref()
                    .is_some_and(yaml11::ends_in_bool_word)
            {
                d = d.help(
                    "kubectl reads a plain yes/no/on/off/y/n as a boolean (YAML 1.1): quote it",
                );
            }
            self.push(d.at(span), Some(input));
        }
    }

    fn findings_to_diagnostics(
        &mut self,
        found: Vec<Finding>,
        origin: &Origin,
        prefix: &str,
        label: &str,
        input: usize,
    ) {
        for f in found {
            let span = self.span(origin, &format!("{prefix}{}", f.pointer), label.to_string());
            self.push(
                Diagnostic::new(f.code, f.severity, f.message).at(span),
                Some(input),
            );
        }
    }

    fn not_checked(&mut self, what: &str, origin: &Origin, input: usize) {
        let span = self.span(origin, "", String::new());
        self.push(
            Diagnostic::new(
                "not-checked",
                Severity::Note,
                format!("not checked: {what} is not available in this build"),
            )
            .at(span),
            Some(input),
        );
    }

    /// Whether an object has a schema and passes it (so that checking it would report nothing).
    fn is_clean(&self, obj: &Obj) -> Result<bool, VerifyError> {
        let api_version = obj.value.get("apiVersion").and_then(Value::as_str);
        let kind = obj.value.get("kind").and_then(Value::as_str);
        let (Some(api_version), Some(kind)) = (api_version, kind) else {
            return Ok(false);
        };
        let gvk = Gvk::from_api_version(api_version, kind);
        // A YAML 1.1 boolean word needs positions to tell plain from quoted.
        if yaml11::has_bool_words(&obj.value)
            || self.refused_crd(&gvk).is_some()
            || practices::selector_mismatch(&obj.value).is_some()
            || !apivalidation::check(&gvk.group, &gvk.kind, &obj.value).is_empty()
            || (self.practices_on() && !practices::object_findings(&obj.value, 0).is_empty())
            || apis::removal_ahead(&gvk, self.target_minor()).is_some()
            || !server::findings(&gvk, &obj.value).is_empty()
            || !self.configmap_dashboards(&gvk, &obj.value).is_empty()
        {
            return Ok(false);
        }
        Ok(self
            .schema_violations(&gvk, &obj.value)?
            .is_some_and(|(v, other)| v.is_empty() && other.is_empty()))
    }

    /// [`Ctx::is_clean`] of every object, on up to one thread per core for large files (the
    /// first thread to find a dirty object stops the others).
    fn all_clean(&self, objs: &[Obj]) -> Result<bool, VerifyError> {
        let threads = self.check_threads(objs);
        if threads < 2 {
            for obj in objs {
                if !self.is_clean(obj)? {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        let dirty = std::sync::atomic::AtomicBool::new(false);
        let results = par_check(objs, threads, |part| -> Result<bool, VerifyError> {
            for obj in part {
                if dirty.load(std::sync::atomic::Ordering::Relaxed) {
                    return Ok(false);
                }
                if !self.is_clean(obj)? {
                    dirty.store(true, std::sync::atomic::Ordering::Relaxed);
                    return Ok(false);
                }
            }
            Ok(true)
        });
        // A panicking thread, or one that could not start, counts as dirty: the full path
        // checks the file again.
        let mut clean = true;
        for (_, r) in results {
            clean &= r.unwrap_or(Ok(false))?;
        }
        Ok(clean)
    }

    /// How many threads check `objs` (1: this one), with the built-in kinds' validators among
    /// them compiled first, different kinds on different threads: checking would otherwise start
    /// with every thread waiting for the one compiling its first kind.
    fn check_threads(&self, objs: &[Obj]) -> usize {
        /// Fewer objects than this per thread are checked on the calling thread.
        const PER_THREAD: usize = 200;
        let threads = crate::fsutil::cores().min(objs.len() / PER_THREAD);
        if threads < 2 {
            return 1;
        }
        let mut gvks: Vec<Gvk> = Vec::new();
        let mut seen: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
        for obj in objs {
            let get = |k: &str| obj.value.get(k).and_then(Value::as_str);
            if let (Some(a), Some(k)) = (get("apiVersion"), get("kind"))
                && seen.insert((a, k))
            {
                gvks.push(Gvk::from_api_version(a, k));
            }
        }
        self.schemas().warm(&gvks, threads);
        threads
    }

    /// The schema check of each object ([`Ctx::schema_violations`]), the bulk of checking a
    /// large file, on all cores; `None` where it is left to [`Ctx::check_object`] (a small file,
    /// an object without a kind, a thread that could not start).
    fn schema_checks(&self, objs: &[Obj]) -> Vec<Option<SchemaCheck>> {
        let threads = self.check_threads(objs);
        if threads < 2 {
            return objs.iter().map(|_| None).collect();
        }
        let parts = par_check(objs, threads, |part| {
            part.iter()
                .map(|obj| {
                    let get = |k: &str| obj.value.get(k).and_then(Value::as_str);
                    let (a, k) = (get("apiVersion")?, get("kind")?);
                    Some(self.schema_violations(&Gvk::from_api_version(a, k), &obj.value))
                })
                .collect::<Vec<_>>()
        });
        parts
            .into_iter()
            .flat_map(|(objs, p)| p.unwrap_or_else(|| objs.iter().map(|_| None).collect()))
            .collect()
    }

    /// Violations from the first schema that knows the kind: a CRD, a `--schema-location`, the
    /// built-in kinds; and a CRD's rules that were not checked (warnings, notes). `None` when no
    /// schema knows the kind.
    fn schema_violations(&self, gvk: &Gvk, value: &Value) -> Result<Option<Checked>, VerifyError> {
        if let Some(c) = self.crds.check(gvk, value) {
            let other = (c.warnings.into_iter().map(|v| (Severity::Warning, v)))
                .chain(c.notes.into_iter().map(|v| (Severity::Note, v)))
                .collect();
            return Ok(Some((c.violations, other)));
        }
        if let Some(v) = self.locations.validator(gvk)? {
            let found = crate::schema::kubernetes::violations(&v, &serde_json::Value::from(value));
            return Ok(Some((found, Vec::new())));
        }
        Ok(self
            .schemas()
            .validate(gvk, &serde_json::Value::from(value))
            .map(|v| (v, Vec::new())))
    }

    /// Validates one Kubernetes object against the first schema that knows its kind.
    fn check_object(&mut self, obj: &Obj, checked: Option<SchemaCheck>) -> Result<(), VerifyError> {
        // Whatever is reported about a Secret (a duplicate key, a type), its values stay masked.
        register_secret_values(&mut self.secrets, &obj.value);
        let label = label(&obj.value);
        let api_version = obj.value.get("apiVersion").and_then(Value::as_str);
        let kind = obj.value.get("kind").and_then(Value::as_str);
        let (Some(api_version), Some(kind)) = (api_version, kind) else {
            let span = self.span(&obj.origin, &obj.prefix, label);
            let msg = if obj.value.is_object() {
                "not a Kubernetes object: apiVersion and kind are required"
            } else {
                "not a Kubernetes object: expected a mapping"
            };
            self.push(
                Diagnostic::error("schema-missing-kind", msg).at(span),
                Some(obj.input),
            );
            return Ok(());
        };
        let gvk = Gvk::from_api_version(api_version, kind);
        if self.refused_resource(&gvk, obj, &label) {
            return Ok(());
        }
        self.practices(obj, &label);
        let checked = match checked {
            Some(c) => c,
            None => self.schema_violations(&gvk, &obj.value),
        };
        if let Some((mut found, other)) = checked? {
            // What the API server's own validation refuses, once the schema accepts the object.
            if found.is_empty() {
                found = apivalidation::check(&gvk.group, &gvk.kind, &obj.value);
            }
            self.removal_ahead(&gvk, obj, &label);
            self.server_checks(obj, &gvk, &label);
            self.check_configmap_dashboards(&gvk, obj, &label);
            for (severity, v) in other {
                let span = self.span(
                    &obj.origin,
                    &format!("{}{}", obj.prefix, v.pointer),
                    label.clone(),
                );
                self.push(
                    Diagnostic::new(v.code, severity, v.message).at(span),
                    Some(obj.input),
                );
            }
            self.violations_to_diagnostics(
                &obj.value,
                found,
                &obj.origin,
                &obj.prefix,
                &label,
                obj.input,
            );
            return Ok(());
        }
        if gvk.group == "argoproj.io" && gvk.kind == "Application" {
            match self.checks.argocd_application(&obj.value) {
                Some(f) => {
                    self.findings_to_diagnostics(f, &obj.origin, &obj.prefix, &label, obj.input)
                }
                None => {
                    let o = obj.origin.clone();
                    self.not_checked("the Argo CD Application schema", &o, obj.input)
                }
            }
            return Ok(());
        }
        if self.not_served(&gvk, obj, &label) {
            return Ok(());
        }
        if let Some(instead) = self.crds.served_instead(&gvk) {
            let (field, message, help) = match instead {
                crate::schema::crd::ServedInstead::Versions(v) => (
                    "apiVersion",
                    format!(
                        "no matches for kind \"{kind}\" in version \"{api_version}\": its CustomResourceDefinition serves {}",
                        bounded_list(&v)
                    ),
                    "use a version the CustomResourceDefinition serves".to_string(),
                ),
                crate::schema::crd::ServedInstead::Kind(k) => (
                    "kind",
                    format!(
                        "no matches for kind \"{kind}\" in version \"{api_version}\"; did you mean \"{k}\"?"
                    ),
                    format!("kinds are case-sensitive: write kind: {k}"),
                ),
            };
            let span = self.span(&obj.origin, &format!("{}/{field}", obj.prefix), label);
            self.push(
                Diagnostic::error("crd-not-served", message)
                    .at(span)
                    .help(help),
                Some(obj.input),
            );
            return Ok(());
        }
        let severity = if self.options.require_schemas {
            Severity::Error
        } else {
            Severity::Warning
        };
        let span = self.span(&obj.origin, &format!("{}/kind", obj.prefix), label);
        self.push(
            Diagnostic::new(
                "schema-missing",
                severity,
                format!("no schema for {api_version} {kind}"),
            )
            .at(span)
            .help("pass its CustomResourceDefinition with --crd, or a schema directory with --schema-location"),
            Some(obj.input),
        );
        Ok(())
    }
}

/// Verifies the inputs the options name (or the whole repo) with the given checks.
///
/// # Errors
/// Usage and input errors only (exit 2): an unknown Kubernetes version, a missing or unreadable
/// path, an unrecognised file, an unusable `--crd` or `--schema-location`, an unreadable spec.
/// Findings are in the returned [`Report`].
pub fn verify(options: &VerifyOptions, checks: &dyn Checks) -> Result<Report, VerifyError> {
    // CRD rules are parsed and evaluated by recursion, as deep as the API server's parser allows:
    // on a thread whose stack is reserved for it, whatever thread calls.
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("verify".into())
            .stack_size(crate::schema::cel::STACK_BYTES)
            .spawn_scoped(s, || verify_here(options, checks))
            .map_err(|e| VerifyError::Internal(format!("cannot start the check: {e}")))?
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

fn verify_here(options: &VerifyOptions, checks: &dyn Checks) -> Result<Report, VerifyError> {
    let builtin = BuiltinSchemas::load(&options.kubernetes_version, options.strict)?;
    let locations = SchemaLocations::new(
        &options.schema_locations,
        &options.kubernetes_version,
        options.strict,
    )?;
    let (mut candidates, mut walked) = candidates(options)?;
    let mut ctx = Ctx {
        options,
        checks,
        builtin,
        versioned: HashMap::new(),
        active: None,
        locations,
        crds: CrdSchemas::default(),
        crd_rules_reported: Default::default(),
        refused_crds: Default::default(),
        crd_checked: Default::default(),
        sources: Sources::default(),
        secrets: crate::mask::LocalSecrets::default(),
        waivers_used: Default::default(),
        report: Report::default(),
    };
    for w in &options.waivers {
        if w.expires < options.today {
            ctx.push(
                Diagnostic::error(
                    "waiver-expired",
                    format!(
                        "the waiver of {} for {} expired on {}",
                        w.rule,
                        w.object(),
                        w.expires
                    ),
                )
                .at(w.at.clone())
                .help("fix the finding, or renew the waiver with a reason and a new date"),
                None,
            );
        }
    }
    // CRDs named with --crd.
    for path in &options.crds {
        let text = read(path)?;
        let list = crate::resource::parse_resources(&text, path).map_err(|e| VerifyError::Crd {
            path: path.clone(),
            message: e.source.to_string(),
        })?;
        let mut n = 0;
        for r in list.iter().filter(|r| is_crd(&r.value)) {
            n += ctx
                .crds
                .add(&r.value, options.strict)
                .map_err(|e| VerifyError::Crd {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
            ctx.crd_file_rules(r, &text);
        }
        if n == 0 {
            return Err(VerifyError::Crd {
                path: path.clone(),
                message: "no CustomResourceDefinition with a schema".into(),
            });
        }
    }

    // CRDs among the inputs validate custom resources anywhere, so a first pass registers them;
    // the second checks one input at a time, so memory follows the largest input, not the corpus.
    let mut rendered = RenderCache::default();
    // Each kustomization is rendered here once, recording what its build read: its CRDs register,
    // and the files beside it that the build does not read become inputs of their own (a
    // kustomization among them is rendered in turn).
    let mut known: std::collections::HashSet<PathBuf> =
        candidates.iter().map(|c| c.path.clone()).collect();
    let mut i = 0;
    while i < candidates.len() {
        if candidates[i].is_kustomization() {
            let path = candidates[i].path.clone();
            match render::render_dir_reading(&path) {
                Ok((list, reads)) => {
                    for r in list.iter().filter(|r| is_crd(&r.value)) {
                        let _ = ctx.crds.add(&r.value, options.strict);
                        ctx.note_refused_resource(r);
                    }
                    let reads: std::collections::HashSet<PathBuf> = reads
                        .into_iter()
                        .map(|p| p.canonicalize().unwrap_or(p))
                        .collect();
                    let mut extra = Vec::new();
                    recognise::strays(&path, &reads, &mut walked, &mut extra)?;
                    candidates.extend(extra.into_iter().filter(|c| known.insert(c.path.clone())));
                    rendered.keep(&path, Ok(list));
                }
                Err(e) => rendered.keep(&path, Err(e)),
            }
        }
        i += 1;
    }
    for c in candidates.iter().filter(|c| !c.is_kustomization()) {
        if c.may_hold_objects() && c.path.is_file() {
            // A walked file that cannot be read is reported when its turn comes.
            let text = match read(&c.path) {
                Ok(t) => t,
                Err(_) if c.walked() => continue,
                Err(e) => return Err(e),
            };
            if text.contains("CustomResourceDefinition") {
                for crd in crds_in(&c.path, &text) {
                    let _ = ctx.crds.add(&crd, options.strict);
                    ctx.note_refused_in(&c.path, &text, &crd);
                }
            }
        }
    }
    let mut notes = Vec::new();
    for c in candidates {
        let Some(input) = recognise(c, None, options, &mut notes)? else {
            continue;
        };
        let rest = match ctx.check_chunked(input)? {
            Some(back) if back.unconfirmed => recognise_in_full(back, options, &mut notes)?,
            other => other,
        };
        let first = ctx.report.diagnostics.len();
        if let Some(input) = rest {
            ctx.check_input(input, &mut rendered)?;
        }
        ctx.active = None;
        // This input's snippets masked with the Secrets known so far and cut to what the report
        // shows plus a margin (where a Secret found later may still be matched whole): many
        // findings on one long line hold a little each.
        ctx.mask_and_clip(first, diagnostic::KEPT_CHARS);
        // Snippets of this input are taken; its texts are not needed any more (which of its
        // lines show a Secret is kept: the end of the run masks again without reading it).
        ctx.sources = Sources {
            secret_lines: std::mem::take(&mut ctx.sources.secret_lines),
            ..Sources::default()
        };
    }
    for n in notes.into_iter().chain(walked.notes()) {
        ctx.push(n, None);
    }

    // Whole repo: the rollout policy per environment and freshness of generated files.
    if options.paths.is_empty() {
        ctx.report.spec_file = Some(recognise::under(&options.root, "rollout.yaml"));
        match checks
            .policy_inputs(&options.root)
            .map_err(VerifyError::Spec)?
        {
            Some(envs) => {
                for env in envs {
                    let dir = if env.overlay.is_empty() {
                        under(&options.root, "overlays").join(&env.environment)
                    } else {
                        under(&options.root, &env.overlay)
                    };
                    let list = match rendered.take(&dir) {
                        Ok(l) => l,
                        Err(message) => {
                            ctx.push(Diagnostic::error("render-failed", message), None);
                            continue;
                        }
                    };
                    ctx.check_policy(&env, &list);
                }
            }
            None => ctx.push(
                Diagnostic::new(
                    "not-checked",
                    Severity::Note,
                    "not checked: rollout policy (no spec reader in this build)",
                ),
                None,
            ),
        }
        ctx.unused_waivers();
        match checks.freshness(&options.root) {
            Some(ds) => {
                for d in ds {
                    ctx.push(d, None);
                }
            }
            None => ctx.push(
                Diagnostic::new(
                    "not-checked",
                    Severity::Note,
                    "not checked: freshness of generated overlays and overlays/base/",
                ),
                None,
            ),
        }
    }
    // Whole repo: checks across files (dashboard metrics against the services' exports, the
    // Alertmanager configuration against the synthetic alerts).
    if options.paths.is_empty()
        && let Some(ds) = checks.repository(&options.root)
    {
        for d in ds {
            ctx.push(d, None);
        }
    }
    // Within an input, findings in source order.
    // Repo-wide checks stay in the order they ran.
    // An object reached twice (a base file and the overlay rendering it) is reported once.
    let mut seen = std::collections::HashSet::new();
    ctx.report.diagnostics.retain(|d| {
        let at = d.span.as_ref().map(|s| (s.file.clone(), s.line, s.col));
        at.is_none() || seen.insert((d.code.clone(), d.message.clone(), at))
    });
    ctx.report.diagnostics.sort_by_key(|d| match d.input {
        Some(i) => (i, d.span.as_ref().map(|s| (s.file.clone(), s.line, s.col))),
        None => (usize::MAX, None),
    });
    ctx.mask_and_clip(0, diagnostic::SNIPPET_CHARS);
    Ok(ctx.report)
}

impl Ctx<'_> {
    /// Source lines are the one place file text is shown: any Secret value met so far in the run
    /// is masked in those of the diagnostics from `first` on (the Secret may come after the line
    /// that repeats its value, so the end of the run does it again), and lines of a Secret's data
    /// are masked whether or not the Secret parsed; then each is cut to `max` characters.
    fn mask_and_clip(&mut self, first: usize, max: usize) {
        for d in self.report.diagnostics.iter_mut().skip(first) {
            let Some(span) = d.span.as_mut() else {
                continue;
            };
            let Some(line) = span.source_line.as_mut() else {
                continue;
            };
            if self.sources.shows_secret(&span.file, span.line) {
                *line = secret_lines::masked(line);
            }
            if let std::borrow::Cow::Owned(masked) = self.secrets.mask(line) {
                *line = masked;
            }
            span.clip(max);
        }
    }
}

impl Ctx<'_> {
    fn check_policy(&mut self, env: &PolicyInput, list: &[Resource]) {
        for f in policy::check(env, list)
            .into_iter()
            .chain(scrape::check(env, list))
        {
            let mut d = Diagnostic::error(f.code, format!("{}: {}", env.environment, f.message));
            if let Some(i) = f.resource {
                let r = &list[i];
                let span = self.span(&r.origin, &f.pointer, label(&r.value));
                d = d.at(span);
            }
            if f.code.starts_with("policy-flag") || f.code == "policy-image-pin" {
                d = d.help("run `rollout generate` and commit the result");
            }
            self.push(d, None);
        }
    }

    /// A values file merged over its chart's `values.yaml`, checked against `values.schema.json`.
    fn check_values(&mut self, doc: &Doc, idx: usize) -> Result<(), VerifyError> {
        let file = doc.origin.file.clone();
        let mut chart = file.parent().unwrap_or(Path::new("."));
        // chart-testing's `ci/*.yaml` belong to the chart above.
        if chart.file_name().is_some_and(|n| n == "ci")
            && let Some(up) = chart.parent()
            && up.join("Chart.yaml").is_file()
        {
            chart = up;
        }
        let schema_path = chart.join("values.schema.json");
        if !schema_path.is_file() {
            let span = self.span(&doc.origin, "", String::new());
            self.push(
                Diagnostic::new(
                    "not-checked",
                    Severity::Note,
                    format!("not checked: {} has no values.schema.json", chart.display()),
                )
                .at(span),
                Some(idx),
            );
            return Ok(());
        }
        let schema_text = read(&schema_path)?;
        let schema: Value = match serde_json::from_str(&schema_text) {
            Ok(s) => s,
            Err(e) => {
                let o = Origin {
                    file: schema_path.clone(),
                    start: Pos {
                        line: e.line(),
                        col: e.column(),
                    },
                    ..Origin::default()
                };
                let span = self.span(&o, "", String::new());
                self.push(
                    Diagnostic::error("json-syntax", format!("invalid JSON: {e}")).at(span),
                    Some(idx),
                );
                return Ok(());
            }
        };
        let defaults_path = chart.join("values.yaml");
        let is_defaults = file.file_name() == defaults_path.file_name();
        if is_defaults && options_has_siblings(chart) {
            // The chart's defaults are checked as the base of every values file beside them; alone
            // they may leave required values empty on purpose.
            let span = self.span(&doc.origin, "", String::new());
            self.push(
                Diagnostic::new(
                    "values-base",
                    Severity::Note,
                    "checked as the base every values file of the chart is merged over",
                )
                .at(span),
                Some(idx),
            );
            return Ok(());
        }
        let mut defaults = if is_defaults {
            None
        } else if defaults_path.is_file() {
            let text = read(&defaults_path)?;
            self.load_doc(&defaults_path, &text, idx)
        } else {
            None
        };
        // `values-auth-staging.yaml` is layered over `values-auth.yaml`, as
        // `helm -f values-auth.yaml -f values-auth-staging.yaml` applies them.
        if let Some(parent) = parent_values_file(&file)
            && let Some(d) = defaults.as_mut()
        {
            let text = read(&parent)?;
            if let Some(p) = self.load_doc(&parent, &text, idx) {
                d.value = crate::schema::values::coalesce(&d.value, &p.value);
            }
        }
        let result = match &defaults {
            Some(d) => crate::schema::values::check(&d.value, Some(&doc.value), &schema),
            None => crate::schema::values::check(&doc.value, None, &schema),
        };
        let found = match result {
            Ok(f) => f,
            Err(e) => {
                let o = Origin {
                    file: schema_path.clone(),
                    start: Pos { line: 1, col: 1 },
                    ..Origin::default()
                };
                let span = self.span(&o, "", String::new());
                self.push(
                    Diagnostic::error("schema-invalid-schema", e.to_string()).at(span),
                    Some(idx),
                );
                return Ok(());
            }
        };
        let label = "values (merged over the chart's values.yaml)".to_string();
        for v in found {
            let has = |o: &Origin| {
                o.locations
                    .as_ref()
                    .is_some_and(|l| l.key(&v.pointer).or_else(|| l.node(&v.pointer)).is_some())
            };
            let origin = match &defaults {
                Some(d) if !has(&doc.origin) && has(&d.origin) => &d.origin,
                _ => &doc.origin,
            };
            let span = self.span(origin, &v.pointer, label.clone());
            self.push(Diagnostic::error(v.code, v.message).at(span), Some(idx));
        }
        Ok(())
    }
}

/// True when the chart directory holds values files besides `values.yaml`.
fn options_has_siblings(chart: &Path) -> bool {
    std::fs::read_dir(chart).is_ok_and(|rd| {
        rd.filter_map(Result::ok).any(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("values-") && (n.ends_with(".yaml") || n.ends_with(".yml"))
        })
    })
}

/// The values file `file` is layered over: the longest `values-<prefix>.yaml` beside it whose
/// prefix is a `-`-separated head of its own name (`values-auth-staging.yaml` → `values-auth.yaml`).
fn parent_values_file(file: &Path) -> Option<std::path::PathBuf> {
    let name = file.file_name()?.to_string_lossy().into_owned();
    let (stem, ext) = name.rsplit_once('.')?;
    let rest = stem.strip_prefix("values-")?;
    let mut cut = rest.len();
    while let Some(i) = rest[..cut].rfind('-') {
        let candidate = file.with_file_name(format!("values-{}.{ext}", &rest[..i]));
        if candidate.is_file() {
            return Some(candidate);
        }
        cut = i;
    }
    None
}

impl Ctx<'_> {
    /// The built-in schemas of the version the current input is checked against.
    fn schemas(&self) -> &BuiltinSchemas {
        self.active
            .as_ref()
            .and_then(|v| self.versioned.get(v))
            .unwrap_or(&self.builtin)
    }

    /// Checks what follows against the version configured for `dir`, if any.
    fn use_version_for(&mut self, dir: &Path) -> Result<(), VerifyError> {
        self.active = None;
        let Some((_, version)) = self
            .options
            .versions_by_dir
            .iter()
            .find(|(d, _)| crate::layout::normal(d) == crate::layout::normal(dir))
        else {
            return Ok(());
        };
        if !self.versioned.contains_key(version) {
            let loaded = BuiltinSchemas::load(version, self.options.strict)?;
            self.versioned.insert(version.clone(), loaded);
        }
        self.active = Some(version.clone());
        Ok(())
    }

    fn practice_severity(&self, rule: &str) -> Option<Severity> {
        let level = self
            .options
            .rule_levels
            .get(rule)
            .copied()
            .unwrap_or(self.options.practices);
        match level {
            PracticeLevel::Warn => Some(Severity::Warning),
            PracticeLevel::Strict => Some(Severity::Error),
            PracticeLevel::Off => None,
        }
    }

    /// Whether any best-practice rule is on.
    fn practices_on(&self) -> bool {
        self.options.practices != PracticeLevel::Off
            || self
                .options
                .rule_levels
                .values()
                .any(|l| *l != PracticeLevel::Off)
    }

    /// A best-practice finding as a diagnostic: at its rule's severity, or a note when a waiver
    /// that has not expired covers it. `None` when the rule is off.
    fn practice_diagnostic(
        &mut self,
        f: practices::PracticeFinding,
        value: &Value,
        span: Span,
    ) -> Option<Diagnostic> {
        let severity = self.practice_severity(f.rule)?;
        let code = format!("practice-{}", f.rule);
        let waiver = self
            .options
            .waivers
            .iter()
            .position(|w| w.expires >= self.options.today && w.matches(f.rule, value));
        if let Some(i) = waiver {
            self.waivers_used.insert(i);
        }
        Some(match waiver.map(|i| &self.options.waivers[i]) {
            Some(w) => Diagnostic::new(
                code,
                Severity::Note,
                format!("waived until {}: {} ({})", w.expires, f.message, w.reason),
            )
            .at(span),
            None => Diagnostic::new(code, severity, f.message).at(span),
        })
    }

    /// The per-object best-practice rules, and the selector check the API server applies.
    fn practices(&mut self, obj: &Obj, label: &str) {
        if let Some((pointer, message)) = practices::selector_mismatch(&obj.value) {
            let span = self.span(
                &obj.origin,
                &format!("{}{pointer}", obj.prefix),
                label.into(),
            );
            self.push(
                Diagnostic::error("selector-mismatch", message).at(span),
                Some(obj.input),
            );
        }
        if !self.practices_on() {
            return;
        }
        for f in practices::object_findings(&obj.value, 0) {
            let span = self.span(
                &obj.origin,
                &format!("{}{}", obj.prefix, f.pointer),
                label.into(),
            );
            if let Some(d) = self.practice_diagnostic(f, &obj.value, span) {
                self.push(d, Some(obj.input));
            }
        }
    }

    /// Waivers that covered no finding of the whole repository (their rule on, not expired): a
    /// warning at the waiver, which otherwise hides a typo in its object or a fixed finding.
    fn unused_waivers(&mut self) {
        let options = self.options;
        for (i, w) in options.waivers.iter().enumerate() {
            if self.waivers_used.contains(&i)
                || w.expires < options.today
                || self.practice_severity(&w.rule).is_none()
            {
                continue;
            }
            self.push(
                Diagnostic::new(
                    "waiver-unused",
                    Severity::Warning,
                    format!(
                        "the waiver of {} for {} covers no finding",
                        w.rule,
                        w.object()
                    ),
                )
                .at(w.at.clone())
                .help(
                    "remove it, or correct its rule or object (Kind/name or Kind/namespace/name)",
                ),
                None,
            );
        }
    }

    /// The best-practice rules across the objects of one render.
    fn render_practices(&mut self, objects: &[Obj]) {
        if !self.practices_on() {
            return;
        }
        let values: Vec<&Value> = objects.iter().map(|o| &o.value).collect();
        for f in practices::render_findings(&values) {
            let obj = &objects[f.object];
            let span = self.span(&obj.origin, &f.pointer, label(&obj.value));
            if let Some(d) = self.practice_diagnostic(f, &obj.value, span) {
                self.push(d, Some(obj.input));
            }
        }
    }

    /// The minor of the Kubernetes version checked against (`34` for 1.34).
    fn target_minor(&self) -> u32 {
        self.schemas()
            .version()
            .strip_prefix("1.")
            .and_then(|m| m.parse().ok())
            .unwrap_or(0)
    }

    /// A built-in API the target version serves but a later built-in version removes: a warning
    /// naming the release that removes it and what to use instead.
    fn removal_ahead(&mut self, gvk: &Gvk, obj: &Obj, label: &str) {
        let minor = self.target_minor();
        let Some((removed_in, replacement)) = apis::removal_ahead(gvk, minor) else {
            return;
        };
        let span = self.span(
            &obj.origin,
            &format!("{}/apiVersion", obj.prefix),
            label.to_string(),
        );
        let instead = replacement.map_or(String::new(), |r| format!("; use {r}"));
        let message = format!(
            "{} {} is deprecated: Kubernetes 1.{removed_in} no longer serves it{instead}",
            gvk.api_version(),
            gvk.kind
        );
        self.push(
            Diagnostic::new("api-deprecated", Severity::Warning, message).at(span),
            Some(obj.input),
        );
    }

    /// An object of a built-in group that the target version does not serve (removed, not yet
    /// served, an unknown version or kind, a kind in the wrong case): an error. `false` for
    /// custom resources, which are left to CRDs and schema locations.
    fn not_served(&mut self, gvk: &Gvk, obj: &Obj, label: &str) -> bool {
        let minor = self.target_minor();
        let av = gvk.api_version();
        // The core group has no name (`v1`); `core/v1` is what its documentation calls it, not an
        // apiVersion any server serves (and a custom group needs a dot).
        let status = if gvk.group == "core" {
            apis::ApiStatus::UnknownVersion {
                served: vec![gvk.version.clone()],
            }
        } else {
            apis::status(gvk, minor)
        };
        let (field, code, message, help) = match status {
            apis::ApiStatus::Custom => return false,
            apis::ApiStatus::Removed {
                removed_in,
                replacement,
            } => (
                "apiVersion",
                "api-removed",
                format!(
                    "{av} {} was removed in Kubernetes 1.{removed_in} (checking against 1.{minor})",
                    gvk.kind
                ),
                match replacement {
                    Some(r) => format!("use {r}"),
                    None => "the API has no replacement; remove the object".to_string(),
                },
            ),
            apis::ApiStatus::NotYetServed { since } => (
                "apiVersion",
                "api-not-served",
                format!(
                    "{av} {} is not served by Kubernetes 1.{minor}; it is served from 1.{since}",
                    gvk.kind
                ),
                "pass the cluster's version with --kubernetes-version".to_string(),
            ),
            apis::ApiStatus::KindCase { kind } => (
                "kind",
                "api-unknown-kind",
                format!(
                    "unknown kind \"{}\" in {av}; did you mean \"{kind}\"?",
                    gvk.kind
                ),
                format!("kinds are case-sensitive: write kind: {kind}"),
            ),
            apis::ApiStatus::UnknownVersion { served } => (
                "apiVersion",
                "api-unknown-version",
                format!(
                    "{av} is not a version of the built-in group {:?}; Kubernetes 1.{minor} serves {}",
                    gvk.group,
                    bounded_list(&served)
                ),
                "use a served version".to_string(),
            ),
            apis::ApiStatus::UnknownKind { served } => (
                "kind",
                "api-unknown-kind",
                format!(
                    "{av} has no kind \"{}\"; Kubernetes 1.{minor} serves {}",
                    gvk.kind,
                    bounded_list(&served)
                ),
                "check the spelling of kind".to_string(),
            ),
        };
        let span = self.span(
            &obj.origin,
            &format!("{}/{field}", obj.prefix),
            label.to_string(),
        );
        self.push(
            Diagnostic::error(code, message).at(span).help(help),
            Some(obj.input),
        );
        true
    }
}

/// At most eight names, then how many more.
fn bounded_list(names: &[String]) -> String {
    if names.is_empty() {
        return "none".to_string();
    }
    let mut out = names.iter().take(8).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 8 {
        out.push_str(&format!(" and {} more", names.len() - 8));
    }
    out
}

/// Rendered kustomization directories kept between the CRD pass, the check and the policy check,
/// up to a budget of objects; beyond it a directory is rendered again when needed, so memory stays
/// bounded on a repository of many overlays.
#[derive(Default)]
struct RenderCache {
    kept: HashMap<PathBuf, Result<Vec<Resource>, String>>,
    objects: usize,
}

/// Objects the render cache holds at most.
const RENDER_CACHE_OBJECTS: usize = 50_000;

impl RenderCache {
    fn render(&mut self, dir: &Path) -> Result<Vec<Resource>, String> {
        match self.kept.get(dir) {
            Some(r) => r.clone(),
            None => render::render_dir(dir),
        }
    }

    fn keep(&mut self, dir: &Path, list: Result<Vec<Resource>, String>) {
        let n = list.as_ref().map_or(0, Vec::len);
        if self.objects + n <= RENDER_CACHE_OBJECTS && !self.kept.contains_key(dir) {
            self.objects += n;
            self.kept.insert(dir.to_path_buf(), list);
        }
    }

    /// The rendered directory, from the cache or rendered now.
    fn take(&mut self, dir: &Path) -> Result<Vec<Resource>, String> {
        match self.kept.remove(dir) {
            Some(r) => {
                self.objects -= r.as_ref().map_or(0, Vec::len);
                r
            }
            None => render::render_dir(dir),
        }
    }
}

/// The CustomResourceDefinitions in a manifest text (inside `List` kinds too); nothing when it
/// does not parse (the check reports that).
fn crds_in(path: &Path, text: &str) -> Vec<Value> {
    fn collect(value: Value, out: &mut Vec<Value>) {
        if is_crd(&value) {
            out.push(value);
            return;
        }
        let is_list = value
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"));
        if let (true, Value::Object(mut m)) = (is_list, value)
            && let Some(Value::Array(items)) = m.remove("items")
        {
            for item in items {
                collect(item, out);
            }
        }
    }
    let docs = match fast_docs(path, text) {
        Some(docs) => docs,
        None if json::is_json_file(path) => match json::parse(json::manifest_text(text)) {
            Ok(value) => vec![crate::yaml::Document {
                value,
                locations: crate::yaml::Locations::default(),
                index: 0,
                start: Pos { line: 1, col: 1 },
                blank_nulls: Vec::new(),
            }],
            Err(_) => return Vec::new(),
        },
        None => match crate::yaml::parse_stream_with(text, crate::yaml::Duplicates::LastWins) {
            Ok(stream) => stream.documents,
            Err(_) => return Vec::new(),
        },
    };
    let mut out = Vec::new();
    for d in docs {
        collect(d.value, &mut out);
    }
    out
}

impl Ctx<'_> {
    /// Loads and checks one input, then lets go of it.
    fn check_input(
        &mut self,
        mut input: Input,
        rendered: &mut RenderCache,
    ) -> Result<(), VerifyError> {
        match input.kind {
            InputKind::AlertmanagerConfig => {
                let text = input.take_text()?;
                let idx = self.add_input(&input, 1);
                self.sources.insert(&input.path, &text);
                let found = alertmanager_config::check(&alertmanager_config::AlertmanagerInput {
                    file: &input.path,
                    text: &text,
                    alerts: &[],
                    paging: &[],
                });
                for d in found {
                    self.push(d, Some(idx));
                }
            }
            InputKind::Manifests | InputKind::Argocd => {
                let (text, fast) = match input.preloaded.take() {
                    Some((text, Some(fast))) => (text, Some(fast)),
                    Some((text, None)) => {
                        let fast = fast_docs(&input.path, &text);
                        (text, fast)
                    }
                    None => {
                        let text = read(&input.path)?;
                        let fast = fast_docs(&input.path, &text);
                        (text, fast)
                    }
                };
                let idx = self.add_input(&input, 0);
                // Read without positions first; a file with any finding is read again with
                // positions and checked in full, so its findings are located.
                if let Some(objs) = fast.and_then(|docs| fast_objects(&input.path, docs, idx)) {
                    self.report.inputs[idx].objects = objs.len();
                    let crds_clean = objs.iter().all(|obj| self.crd_is_clean(obj));
                    if crds_clean && self.all_clean(&objs)? {
                        for obj in &objs {
                            register_secret_values(&mut self.secrets, &obj.value);
                        }
                        drop_large(objs);
                        return Ok(());
                    }
                    drop_large(objs);
                }
                let objs = self.load_objects(&input.path, &text, idx);
                self.report.inputs[idx].objects = objs.len();
                self.check_objects(&objs)?;
                drop_large(objs);
            }
            InputKind::Kustomization => {
                self.use_version_for(&input.path)?;
                let idx = self.add_input(&input, 0);
                match rendered.render(&input.path) {
                    Ok(list) => {
                        self.report.inputs[idx].objects = list.len();
                        let objs: Vec<Obj> = list
                            .iter()
                            .map(|r| Obj {
                                value: r.value.clone(),
                                origin: r.origin.clone(),
                                prefix: String::new(),
                                input: idx,
                            })
                            .collect();
                        self.check_objects(&objs)?;
                        self.render_practices(&objs);
                        rendered.keep(&input.path, Ok(list));
                    }
                    Err(message) => {
                        let span = Span {
                            file: input.path.clone(),
                            line: 0,
                            col: 0,
                            label: String::new(),
                            caret: 0,
                            source_line: None,
                        };
                        self.push(
                            Diagnostic::error("render-failed", message.clone()).at(span),
                            Some(idx),
                        );
                        rendered.keep(&input.path, Err(message));
                    }
                }
            }
            InputKind::Dashboard | InputKind::Alerts | InputKind::Values | InputKind::Spec => {
                let text = input.take_text()?;
                let idx = self.add_input(&input, 0);
                let Some(doc) = self.load_doc(&input.path, &text, idx) else {
                    return Ok(());
                };
                self.report.inputs[idx].objects = match (&input.kind, &doc.value) {
                    (InputKind::Alerts, Value::Array(a)) => a.len(),
                    _ => 1,
                };
                match input.kind {
                    InputKind::Dashboard => match self.checks.dashboard(&doc.value) {
                        Some(f) => {
                            self.findings_to_diagnostics(f, &doc.origin, "", "dashboard", idx)
                        }
                        None => self.not_checked("the Grafana dashboard schema", &doc.origin, idx),
                    },
                    InputKind::Alerts => match self.checks.alerts(&doc.value) {
                        Some(f) => self.findings_to_diagnostics(f, &doc.origin, "", "alerts", idx),
                        None => {
                            self.not_checked("the Alertmanager alerts schema", &doc.origin, idx)
                        }
                    },
                    InputKind::Spec => match self.checks.spec(&input.path, &text) {
                        Some(f) => self.findings_to_diagnostics(f, &doc.origin, "", "spec", idx),
                        None => self.not_checked("the rollout spec schema", &doc.origin, idx),
                    },
                    _ => self.check_values(&doc, idx)?,
                }
            }
        }
        Ok(())
    }

    /// Checks objects of one input: a CRD's own schema must compile, every object its schema.
    fn check_objects(&mut self, objects: &[Obj]) -> Result<(), VerifyError> {
        for obj in objects {
            self.check_crd(obj);
        }
        let checked = self.schema_checks(objects);
        for (obj, checked) in objects.iter().zip(checked) {
            self.check_object(obj, checked)?;
        }
        Ok(())
    }
}

/// Freeing a large parsed file costs a noticeable share of a run: a background thread does it.
fn drop_large(objects: Vec<Obj>) {
    if objects.len() > 1000 {
        std::thread::spawn(move || drop(objects));
    }
}
