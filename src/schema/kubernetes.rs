//! Strict validation of Kubernetes objects against JSON Schemas: the built-in kinds of a Kubernetes
//! version (definitions embedded in the binary) and kubeconform-style schema directories.
//!
//! Owns the embedded definitions, their strict/lax variants, one compiled validator per kind (compiled
//! once, cached) and the translation of validation errors into [`Violation`]s with JSON pointers.
//! Does no output and knows nothing about files beyond reading schema directories it is given.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use jsonschema::{Registry, ValidationError, Validator, error::ValidationErrorKind};
use serde_json::Value;

use crate::resource::Gvk;

/// The Kubernetes version validated against when none is chosen.
pub const DEFAULT_VERSION: &str = "1.34";

/// Every distinct definition of the built-in versions, one compact JSON per line, and which line is
/// which definition in which minor (kubernetes-validate 1.37.0, Apache-2.0; see
/// `schemas/kubernetes/README.md`).
const POOL: &str = include_str!("../../schemas/kubernetes/pool.jsonl");
const VERSIONS: &str = include_str!("../../schemas/kubernetes/versions.tsv");

/// The `$id` of the assembled definitions document; kind schemas are `$ref`s into it.
const DEFINITIONS_URI: &str = "https://kubernetes.io/api/_definitions.json";

/// The Kubernetes versions whose schemas are built in.
pub fn available_versions() -> &'static [&'static str] {
    &[
        "1.25", "1.26", "1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35",
        "1.36", "1.37",
    ]
}

/// Whether `minor` is in a list of minors and ranges (`25-29,31`).
pub(crate) fn minors_include(list: &str, minor: u32) -> bool {
    list.split(',').any(|part| match part.split_once('-') {
        Some((a, b)) => match (a.parse::<u32>(), b.parse::<u32>()) {
            (Ok(a), Ok(b)) => (a..=b).contains(&minor),
            _ => false,
        },
        None => part.parse() == Ok(minor),
    })
}

/// The definitions of one minor, as lines of the pool not parsed yet: name → JSON text.
fn definition_lines(minor: u32) -> Result<HashMap<&'static str, &'static str>, String> {
    let lines: Vec<&'static str> = POOL.lines().collect();
    let mut defs = HashMap::new();
    for row in VERSIONS.lines() {
        let mut cols = row.split('\t');
        let (Some(line), Some(name), Some(minors)) = (cols.next(), cols.next(), cols.next()) else {
            return Err(format!("bad versions.tsv row {row:?}"));
        };
        if !minors_include(minors, minor) {
            continue;
        }
        let text = line
            .parse::<usize>()
            .ok()
            .and_then(|i| lines.get(i))
            .ok_or_else(|| format!("versions.tsv names pool line {line}, which is missing"))?;
        defs.insert(name, *text);
    }
    if defs.is_empty() {
        return Err(format!("no definitions for 1.{minor}"));
    }
    Ok(defs)
}

/// The `x-kubernetes-group-version-kind` of a definition's JSON text, read without parsing the
/// rest of it.
fn group_version_kinds(text: &str) -> Vec<Value> {
    const KEY: &str = "\"x-kubernetes-group-version-kind\":";
    let Some(i) = text.find(KEY) else {
        return Vec::new();
    };
    let mut stream =
        serde_json::Deserializer::from_str(&text[i + KEY.len()..]).into_iter::<Value>();
    match stream.next() {
        Some(Ok(Value::Array(a))) => a,
        _ => Vec::new(),
    }
}

/// Every `$ref` target name (`#/$defs/NAME`) in a schema.
fn refs(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Object(m) => {
            for (k, v) in m {
                if k == "$ref" {
                    if let Some(name) = v.as_str().and_then(|r| r.strip_prefix("#/$defs/")) {
                        out.push(name.to_string());
                    }
                } else {
                    refs(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Why schemas could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// `--kubernetes-version` names a version whose schemas are not built in.
    #[error(
        "no built-in schemas for kubernetes version {requested:?}; choose from: {}",
        available.join(", ")
    )]
    UnknownVersion {
        /// What was asked for.
        requested: String,
        /// What is built in.
        available: Vec<String>,
    },
    /// The embedded definitions did not load (a build problem: please report it).
    #[error("internal error: embedded kubernetes {version} definitions do not load: {message}")]
    Embedded {
        /// The version.
        version: String,
        /// What went wrong.
        message: String,
    },
    /// A `--schema-location` that cannot be used.
    #[error("schema location {location:?}: {message}")]
    Location {
        /// The location as given.
        location: String,
        /// What is wrong with it.
        message: String,
    },
    /// A schema file that is not valid JSON or not a valid JSON Schema.
    #[error("{}: {message}", file.display())]
    SchemaFile {
        /// The file.
        file: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

/// One way an object fails its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Stable kebab-case code: `schema-unknown-field`, `schema-type`, `schema-required`,
    /// `schema-enum` or `schema-invalid`.
    pub code: &'static str,
    /// JSON pointer of the offending node (for a missing field: the field's would-be pointer).
    pub pointer: String,
    /// Terse message naming the field.
    pub message: String,
}

/// Normalises a user-given version (`v1.34`, `1.34.2`) to `major.minor`.
pub fn major_minor(version: &str) -> String {
    let v = version.trim().trim_start_matches('v');
    let mut parts = v.split('.');
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => format!("{a}.{b}"),
        _ => v.to_string(),
    }
}

/// The built-in schemas of one Kubernetes version, strict or lax, with a per-kind validator cache.
pub struct BuiltinSchemas {
    version: String,
    strict: bool,
    /// Definition name → its JSON text, parsed only when a kind that needs it is first checked.
    lines: HashMap<&'static str, &'static str>,
    /// `group/version/Kind` → definition name.
    kinds: HashMap<String, String>,
    cache: Mutex<HashMap<String, Arc<Validator>>>,
}

impl std::fmt::Debug for BuiltinSchemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltinSchemas")
            .field("version", &self.version)
            .field("kinds", &self.kinds.len())
            .finish()
    }
}

fn gvk_key(group: &str, version: &str, kind: &str) -> String {
    format!("{group}/{version}/{kind}")
}

impl BuiltinSchemas {
    /// Loads the definitions of `version` (`1.34`, `v1.34`, `1.34.1`). With `strict`, objects reject
    /// unknown fields and required fields reject `null`.
    ///
    /// # Errors
    /// [`SchemaError::UnknownVersion`] when the version is not built in.
    pub fn load(version: &str, strict: bool) -> Result<Self, SchemaError> {
        let mm = major_minor(version);
        let Some(minor) = available_versions()
            .contains(&mm.as_str())
            .then(|| mm.strip_prefix("1.").and_then(|m| m.parse::<u32>().ok()))
            .flatten()
        else {
            return Err(SchemaError::UnknownVersion {
                requested: version.to_string(),
                available: available_versions().iter().map(|s| s.to_string()).collect(),
            });
        };
        let embedded = |message: String| SchemaError::Embedded {
            version: mm.clone(),
            message,
        };
        let lines = definition_lines(minor).map_err(embedded)?;
        let mut kinds = HashMap::new();
        for (name, text) in &lines {
            let gvks = group_version_kinds(text);
            // DeleteOptions and WatchEvent list every group; they are not objects users write.
            if gvks.len() == 1 {
                let g = &gvks[0];
                let s = |k: &str| g.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                kinds.insert(
                    gvk_key(&s("group"), &s("version"), &s("kind")),
                    name.to_string(),
                );
            }
        }
        Ok(BuiltinSchemas {
            version: mm,
            strict,
            lines,
            kinds,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The definitions a kind's schema reaches, prepared, as one registry document.
    fn closure(&self, root: &str) -> Result<Value, String> {
        let mut defs = serde_json::Map::new();
        let mut todo = vec![root.to_string()];
        while let Some(name) = todo.pop() {
            if defs.contains_key(&name) {
                continue;
            }
            // int-or-string and quantities: a union type instead of a oneOf whose branches both
            // allow null (so that `null` would match twice), and faster.
            let def = match name.as_str() {
                "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => {
                    serde_json::json!({"type": ["string", "integer", "null"]})
                }
                "io.k8s.apimachinery.pkg.api.resource.Quantity" => {
                    serde_json::json!({"type": ["string", "number", "null"]})
                }
                _ => {
                    let text = self
                        .lines
                        .get(name.as_str())
                        .ok_or_else(|| format!("no definition {name}"))?;
                    let mut def: Value =
                        serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))?;
                    prepare(&mut def, self.strict);
                    def
                }
            };
            refs(&def, &mut todo);
            defs.insert(name, def);
        }
        Ok(serde_json::json!({ "$id": DEFINITIONS_URI, "$defs": defs }))
    }

    /// The `major.minor` version loaded.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Whether a schema exists for this group/version/kind.
    pub fn has(&self, gvk: &Gvk) -> bool {
        self.kinds
            .contains_key(&gvk_key(&gvk.group, &gvk.version, &gvk.kind))
    }

    /// The validator for a kind, compiled on first use. `None` when the kind is not built in.
    pub fn validator(&self, gvk: &Gvk) -> Option<Arc<Validator>> {
        let key = gvk_key(&gvk.group, &gvk.version, &gvk.kind);
        let def = self.kinds.get(&key)?;
        if let Some(v) = self.lock_cache().get(&key) {
            return Some(v.clone());
        }
        // Compiled without the lock, so that threads compile different kinds at once; a kind
        // two threads compiled at once keeps the first.
        let v = Arc::new(self.compile(def)?);
        Some(self.lock_cache().entry(key).or_insert(v).clone())
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Validator>>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Compiles the validators of the built-in kinds among `gvks` ahead of validation, one kind
    /// per thread on up to `threads` threads (a Deployment's schema alone takes milliseconds).
    pub fn warm(&self, gvks: &[Gvk], threads: usize) {
        let mut todo: Vec<&Gvk> = Vec::new();
        {
            let cache = self.lock_cache();
            let mut seen = std::collections::HashSet::new();
            for g in gvks {
                let key = gvk_key(&g.group, &g.version, &g.kind);
                if self.kinds.contains_key(&key) && !cache.contains_key(&key) && seen.insert(key) {
                    todo.push(g);
                }
            }
        }
        if todo.len() < 2 || threads < 2 {
            for g in todo {
                self.validator(g);
            }
            return;
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..threads.min(todo.len()) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(g) = todo.get(i) else { break };
                        self.validator(g);
                    }
                });
            }
        });
    }

    /// The validator of one definition.
    fn compile(&self, def: &str) -> Option<Validator> {
        let schema = serde_json::json!({ "$ref": format!("{DEFINITIONS_URI}#/$defs/{def}") });
        let doc = self.closure(def).ok()?;
        let registry = Registry::new()
            .add(DEFINITIONS_URI, doc)
            .and_then(|b| b.prepare())
            .ok()?;
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .with_registry(&registry)
            .build(&schema)
            .ok()
    }

    /// Validates an object against its kind's schema. `None` when the kind is not built in.
    pub fn validate(&self, gvk: &Gvk, value: &Value) -> Option<Vec<Violation>> {
        let v = self.validator(gvk)?;
        Some(violations(&v, value))
    }
}

/// Prepares one definition: drops descriptions (smaller, faster to compile) and, when strict,
/// closes objects with `additionalProperties: false` and makes required fields non-nullable.
fn prepare(node: &mut Value, strict: bool) {
    match node {
        Value::Object(map) => {
            map.remove("description");
            if strict && map.contains_key("properties") && !map.contains_key("additionalProperties")
            {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            if strict {
                let required: Vec<String> = map
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| {
                        r.iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some(Value::Object(props)) = map.get_mut("properties") {
                    for r in &required {
                        if let Some(Value::Object(p)) = props.get_mut(r)
                            && let Some(Value::Array(types)) = p.get_mut("type")
                        {
                            types.retain(|t| t != "null");
                        }
                    }
                }
            }
            // Recurse into every schema-valued child; `properties` holds a map of schemas.
            for (k, child) in map.iter_mut() {
                if k == "properties" {
                    if let Value::Object(props) = child {
                        for p in props.values_mut() {
                            prepare(p, strict);
                        }
                    }
                } else if matches!(
                    k.as_str(),
                    "items" | "additionalProperties" | "allOf" | "anyOf" | "oneOf" | "not"
                ) {
                    prepare(child, strict);
                }
            }
        }
        Value::Array(items) => {
            for i in items {
                prepare(i, strict);
            }
        }
        _ => {}
    }
}

/// Escapes a JSON pointer segment.
pub fn escape_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// `/spec/template/spec/containers/0/name` → `spec.template.spec.containers[0].name`.
pub fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    if out.is_empty() { "(root)".into() } else { out }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::Object(_) => "{…}".to_string(),
        Value::Array(_) => "[…]".to_string(),
        other => other.to_string(),
    };
    if s.chars().count() > 40 {
        let t: String = s.chars().take(37).collect();
        format!("{t}…")
    } else {
        s
    }
}

/// Runs a validator and turns every error into a [`Violation`], in document order.
pub fn violations(validator: &Validator, value: &Value) -> Vec<Violation> {
    // The fast path: most objects are valid, and `is_valid` stops early and builds no errors.
    if validator.is_valid(value) {
        return Vec::new();
    }
    let mut out: Vec<Violation> = validator.iter_errors(value).flat_map(convert).collect();
    out.dedup();
    out
}

fn convert(err: ValidationError<'_>) -> Vec<Violation> {
    let pointer = err.instance_path().as_str().to_string();
    let at = dotted(&pointer);
    match err.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|f| {
                let p = format!("{pointer}/{}", escape_segment(f));
                Violation {
                    code: "schema-unknown-field",
                    message: format!("unknown field \"{}\"", dotted(&p)),
                    pointer: p,
                }
            })
            .collect(),
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                jsonschema::error::TypeKind::Single(t) => t.to_string(),
                jsonschema::error::TypeKind::Multiple(set) => {
                    let names: Vec<String> = set
                        .iter()
                        .filter(|t| t.to_string() != "null")
                        .map(|t| t.to_string())
                        .collect();
                    names.join(" or ")
                }
            };
            vec![Violation {
                code: "schema-type",
                message: format!(
                    "{at}: expected {expected}, got {} {}",
                    type_name(err.instance()),
                    short(err.instance())
                ),
                pointer,
            }]
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or("").to_string();
            let p = format!("{pointer}/{}", escape_segment(&name));
            vec![Violation {
                code: "schema-required",
                message: format!("missing required field \"{}\"", dotted(&p)),
                pointer,
            }]
        }
        ValidationErrorKind::Enum { options } => vec![Violation {
            code: "schema-enum",
            message: format!("{at}: {} is not one of {}", short(err.instance()), options),
            pointer,
        }],
        kind => vec![Violation {
            code: "schema-invalid",
            message: format!("{at}: {}", describe(kind, &err)),
            pointer,
        }],
    }
}

/// A validation error in one bounded line: where it is (JSON pointer) and what failed, the value
/// quoted in short (for errors in a schema itself, whose values are whole subschemas).
pub fn describe_error(err: &ValidationError<'_>) -> String {
    let at = err.instance_path().as_str();
    let what = match err.kind() {
        ValidationErrorKind::Type { .. }
        | ValidationErrorKind::Enum { .. }
        | ValidationErrorKind::AdditionalProperties { .. }
        | ValidationErrorKind::Required { .. } => {
            let full = err.to_string();
            let short: String = full.chars().take(120).collect();
            if short.len() < full.len() {
                format!("{short}…")
            } else {
                short
            }
        }
        kind => describe(kind, err),
    };
    if at.is_empty() {
        what
    } else {
        format!("at {at}: {what}")
    }
}

/// What a failed keyword says, quoting the value only in short (the library's own messages quote
/// whole objects and arrays, which can run to thousands of characters).
fn describe(kind: &ValidationErrorKind, err: &ValidationError<'_>) -> String {
    let instance = err.instance();
    let v = short(instance);
    let plural = |n: u64, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    match kind {
        ValidationErrorKind::AnyOf { .. } => "matches none of the allowed forms (anyOf)".into(),
        ValidationErrorKind::OneOfNotValid { .. } => {
            "matches none of the allowed forms (oneOf)".into()
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            "matches more than one of the allowed forms (oneOf: exactly one must match)".into()
        }
        ValidationErrorKind::Not { .. } => "matches a form that is not allowed (not)".into(),
        ValidationErrorKind::Format { format } => format!("{v} is not a valid {format}"),
        ValidationErrorKind::Maximum { limit } => {
            format!("{v} is greater than the maximum {limit}")
        }
        ValidationErrorKind::Minimum { limit } => format!("{v} is less than the minimum {limit}"),
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("{v} must be less than {limit}")
        }
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("{v} must be greater than {limit}")
        }
        ValidationErrorKind::MaxLength { limit } => format!(
            "{v} is longer than {} (length {})",
            plural(*limit, "character", "characters"),
            instance.as_str().map_or(0, |s| s.chars().count())
        ),
        ValidationErrorKind::MinLength { limit } => format!(
            "{v} is shorter than {}",
            plural(*limit, "character", "characters")
        ),
        ValidationErrorKind::MaxItems { limit } => format!(
            "has {} items, more than {}",
            instance.as_array().map_or(0, Vec::len),
            plural(*limit, "item", "items")
        ),
        ValidationErrorKind::MinItems { limit } => format!(
            "has {}, fewer than {}",
            plural(
                count(instance.as_array().map_or(0, Vec::len)),
                "item",
                "items"
            ),
            plural(*limit, "item", "items")
        ),
        ValidationErrorKind::MaxProperties { limit } => format!(
            "has {} fields, more than {}",
            instance.as_object().map_or(0, serde_json::Map::len),
            plural(*limit, "field", "fields")
        ),
        ValidationErrorKind::MinProperties { limit } => format!(
            "has {}, fewer than {}",
            plural(
                count(instance.as_object().map_or(0, serde_json::Map::len)),
                "field",
                "fields"
            ),
            plural(*limit, "field", "fields")
        ),
        ValidationErrorKind::MultipleOf { multiple_of } => {
            format!("{v} is not a multiple of {multiple_of}")
        }
        ValidationErrorKind::UniqueItems => "has duplicate items".into(),
        ValidationErrorKind::Contains => "has no item of the required form (contains)".into(),
        ValidationErrorKind::FalseSchema => format!("{v} is not allowed here"),
        ValidationErrorKind::Constant { expected_value } => {
            format!("{v} must be {}", short(expected_value))
        }
        ValidationErrorKind::Pattern { pattern } => {
            let p: String = pattern.chars().take(80).collect();
            format!("{v} does not match the pattern {p:?}")
        }
        ValidationErrorKind::AdditionalItems { limit } => {
            format!("has more than {}", plural(count(*limit), "item", "items"))
        }
        ValidationErrorKind::Custom { message, .. } => message.clone(),
        _ => err.to_string(),
    }
}

/// kubeconform-style schema locations: directories or path templates holding one JSON Schema per
/// kind. Only local paths: `rollout verify` never uses the network.
#[derive(Debug)]
pub struct SchemaLocations {
    templates: Vec<String>,
    kubernetes_version: String,
    strict: bool,
    cache: Mutex<HashMap<String, Option<Arc<Validator>>>>,
}

impl SchemaLocations {
    /// Accepts directories (looked up as `{dir}/{kind}-{group}-{version}.json`, then kubeconform's
    /// `{dir}/{k8s-version}-standalone{-strict}/…` layout) and templates using kubeconform's
    /// variables (`{{ .ResourceKind }}`, `{{ .ResourceAPIVersion }}`, `{{ .Group }}`,
    /// `{{ .KindSuffix }}`, `{{ .NormalizedKubernetesVersion }}`, `{{ .StrictSuffix }}`).
    ///
    /// # Errors
    /// A URL (no network), or a plain path that is not a directory.
    pub fn new(
        locations: &[String],
        kubernetes_version: &str,
        strict: bool,
    ) -> Result<Self, SchemaError> {
        let mut templates = Vec::new();
        for loc in locations {
            if loc.starts_with("http://") || loc.starts_with("https://") {
                return Err(SchemaError::Location {
                    location: loc.clone(),
                    message: "only local directories are supported (verify never uses the network)"
                        .into(),
                });
            }
            if loc.contains("{{") {
                templates.push(loc.clone());
            } else if Path::new(loc).is_dir() {
                let d = loc.trim_end_matches('/');
                templates.push(format!(
                    "{d}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json"
                ));
                templates.push(format!(
                    "{d}/{{{{ .NormalizedKubernetesVersion }}}}-standalone{{{{ .StrictSuffix }}}}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json"
                ));
            } else {
                return Err(SchemaError::Location {
                    location: loc.clone(),
                    message: "not a directory and not a template (no `{{ .ResourceKind }}`)".into(),
                });
            }
        }
        Ok(SchemaLocations {
            templates,
            kubernetes_version: format!("v{}.0", major_minor(kubernetes_version)),
            strict,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Whether no location was given.
    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    fn expand(&self, template: &str, gvk: &Gvk) -> String {
        let group_first = gvk.group.split('.').next().unwrap_or("");
        let kind_suffix = if gvk.group.is_empty() {
            format!("-{}", gvk.version)
        } else {
            format!("-{}-{}", group_first, gvk.version)
        };
        let mut out = template.to_string();
        for (var, val) in [
            ("ResourceKind", gvk.kind.to_lowercase()),
            ("ResourceAPIVersion", gvk.version.clone()),
            ("Group", gvk.group.clone()),
            ("KindSuffix", kind_suffix),
            (
                "NormalizedKubernetesVersion",
                self.kubernetes_version.clone(),
            ),
            (
                "StrictSuffix",
                if self.strict { "-strict" } else { "" }.to_string(),
            ),
        ] {
            for form in [format!("{{{{ .{var} }}}}"), format!("{{{{.{var}}}}}")] {
                out = out.replace(&form, &val);
            }
        }
        out
    }

    /// The validator for a kind from the first location that has a schema file for it.
    ///
    /// # Errors
    /// A schema file that exists but is not a valid JSON Schema.
    pub fn validator(&self, gvk: &Gvk) -> Result<Option<Arc<Validator>>, SchemaError> {
        let key = gvk_key(&gvk.group, &gvk.version, &gvk.kind);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = cache.get(&key) {
            return Ok(v.clone());
        }
        let mut found = None;
        for t in &self.templates {
            let path = PathBuf::from(self.expand(t, gvk));
            if !path.is_file() {
                continue;
            }
            let bad = |message: String| SchemaError::SchemaFile {
                file: path.clone(),
                message,
            };
            let text =
                crate::fsutil::read_to_string(&path).map_err(|e| bad(e.source.to_string()))?;
            let mut schema: Value =
                serde_json::from_str(&text).map_err(|e| bad(format!("invalid JSON: {e}")))?;
            // openapi2jsonschema writes `"$schema": "http://json-schema.org/schema#"`, which names
            // no draft; kubeconform compiles these as draft 4.
            let draft = match schema.get("$schema").and_then(Value::as_str) {
                Some(s) if s.contains("2020-12") => jsonschema::Draft::Draft202012,
                Some(s) if s.contains("2019-09") => jsonschema::Draft::Draft201909,
                Some(s) if s.contains("draft-07") => jsonschema::Draft::Draft7,
                Some(s) if s.contains("draft-06") => jsonschema::Draft::Draft6,
                _ => jsonschema::Draft::Draft4,
            };
            if let Some(m) = schema.as_object_mut() {
                m.remove("$schema");
            }
            let v = jsonschema::options()
                .with_draft(draft)
                .build(&schema)
                .map_err(|e| bad(format!("invalid JSON Schema: {e}")))?;
            found = Some(Arc::new(v));
            break;
        }
        cache.insert(key, found.clone());
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "auth", "creationTimestamp": null, "generateName": "auth-"},
            "spec": {
                "selector": {"matchLabels": {"app": "auth"}},
                "template": {
                    "metadata": {"labels": {"app": "auth"}, "creationTimestamp": null},
                    "spec": {"containers": [{
                        "name": "auth", "image": "sploot/auth:1",
                        "ports": [{"containerPort": 8080}],
                        "resources": {"limits": {"cpu": "500m", "memory": 1}},
                        "readinessProbe": {"httpGet": {"port": "http", "path": "/"}},
                        "livenessProbe": {"httpGet": {"port": 8080}}
                    }]}
                }
            }
        })
    }

    fn gvk(v: &Value) -> Gvk {
        Gvk::from_api_version(
            v["apiVersion"].as_str().unwrap(),
            v["kind"].as_str().unwrap(),
        )
    }

    #[test]
    fn accepts_what_the_api_server_accepts() {
        let s = BuiltinSchemas::load("1.34", true).unwrap();
        let d = deploy();
        assert_eq!(s.validate(&gvk(&d), &d), Some(vec![]));
    }

    #[test]
    fn table_of_failures() {
        let s = BuiltinSchemas::load("v1.34.2", true).unwrap();
        let cases: Vec<(&str, &str, Value, &str)> = vec![
            (
                "unknown field",
                "/spec/replica",
                json!(2),
                "schema-unknown-field",
            ),
            ("wrong type", "/spec/replicas", json!("3"), "schema-type"),
            (
                "wrong type nested",
                "/spec/template/spec/containers/0/ports/0/containerPort",
                json!("http"),
                "schema-type",
            ),
            (
                "int-or-string rejects bool",
                "/spec/template/spec/containers/0/livenessProbe/httpGet/port",
                json!(true),
                "schema-type",
            ),
        ];
        for (name, pointer, value, code) in cases {
            let mut d = deploy();
            let (parent, last) = pointer.rsplit_once('/').unwrap();
            d.pointer_mut(parent).unwrap()[last] = value;
            let v = s.validate(&gvk(&d), &d).unwrap();
            assert_eq!(v.len(), 1, "{name}: {v:?}");
            assert_eq!(v[0].code, code, "{name}");
            assert_eq!(v[0].pointer, pointer, "{name}");
        }
        let mut d = deploy();
        d["spec"].as_object_mut().unwrap().remove("selector");
        let v = s.validate(&gvk(&d), &d).unwrap();
        assert_eq!(v[0].code, "schema-required");
        assert_eq!(v[0].message, "missing required field \"spec.selector\"");
    }

    #[test]
    fn lax_mode_allows_unknown_fields() {
        let s = BuiltinSchemas::load("1.34", false).unwrap();
        let mut d = deploy();
        d["spec"]["replica"] = json!(2);
        assert_eq!(s.validate(&gvk(&d), &d), Some(vec![]));
    }

    #[test]
    fn unknown_version_lists_choices() {
        let err = BuiltinSchemas::load("1.20", true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no built-in schemas for kubernetes version \"1.20\"; choose from: 1.25, 1.26, 1.27, \
             1.28, 1.29, 1.30, 1.31, 1.32, 1.33, 1.34, 1.35, 1.36, 1.37"
        );
    }

    #[test]
    fn unknown_kind_has_no_schema() {
        let s = BuiltinSchemas::load("1.34", true).unwrap();
        let g = Gvk::from_api_version("example.com/v1", "Widget");
        assert!(!s.has(&g));
        assert_eq!(s.validate(&g, &json!({})), None);
    }

    /// Issue 13: a failed keyword names the field and what was expected, and quotes the value only
    /// in short: a big object under `oneOf` or a long array under `maxItems` is not dumped.
    #[test]
    fn keyword_messages_quote_values_in_short() {
        let schema = json!({"type":"object","properties":{
            "addr":{"type":"object","oneOf":[{"required":["ip"]},{"required":["host"]}]},
            "either":{"anyOf":[{"type":"integer"},{"type":"boolean"}]},
            "list":{"type":"array","maxItems":2},
            "port":{"type":"integer","maximum":65535},
            "name":{"type":"string","maxLength":5}}});
        let v = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .build(&schema)
            .unwrap();
        let long = "x".repeat(5000);
        let got = violations(
            &v,
            &json!({"addr":{"ip":long,"host":"h"},"either":"s","list":[long, long, long],
                "port":70000,"name":"abcdefgh"}),
        );
        let messages: Vec<&str> = got.iter().map(|v| v.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "addr: matches more than one of the allowed forms (oneOf: exactly one must match)",
                "either: matches none of the allowed forms (anyOf)",
                "list: has 3 items, more than 2 items",
                "name: \"abcdefgh\" is longer than 5 characters (length 8)",
                "port: 70000 is greater than the maximum 65535",
            ]
        );
    }

    #[test]
    fn warming_compiles_each_built_in_kind_once_on_its_own_thread() {
        let schemas = BuiltinSchemas::load("1.34", true).unwrap();
        let g = |api: &str, kind: &str| Gvk::from_api_version(api, kind);
        let gvks = [
            g("apps/v1", "Deployment"),
            g("v1", "Service"),
            g("apps/v1", "Deployment"),
            g("example.io/v1", "Widget"),
        ];
        schemas.warm(&gvks, 2);
        let mut cached: Vec<String> = schemas.lock_cache().keys().cloned().collect();
        cached.sort();
        assert_eq!(cached, ["/v1/Service", "apps/v1/Deployment"]);
        // What warming compiled is what validation uses.
        let before = schemas.validator(&gvks[0]).unwrap();
        assert!(Arc::ptr_eq(&before, &schemas.validator(&gvks[2]).unwrap()));
        assert_eq!(
            schemas.validate(&gvks[1], &serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {"bogus": 1}})).map(|v| v.len()),
            Some(1)
        );
    }

    #[test]
    fn dotted_paths() {
        assert_eq!(dotted("/spec/containers/0/name"), "spec.containers[0].name");
        assert_eq!(dotted("/metadata/labels/a~1b"), "metadata.labels.a/b");
        assert_eq!(dotted(""), "(root)");
    }

    #[test]
    fn schema_location_directory_and_template() {
        let dir = tempfile::tempdir().unwrap();
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object",
            "properties": {"size": {"type": "integer"}}, "additionalProperties": false}}});
        std::fs::write(
            dir.path().join("widget-example-v1.json"),
            schema.to_string(),
        )
        .unwrap();
        let g = Gvk::from_api_version("example.com/v1", "Widget");
        let loc = SchemaLocations::new(&[dir.path().display().to_string()], "1.34", true).unwrap();
        let v = loc.validator(&g).unwrap().unwrap();
        let bad = violations(&v, &json!({"spec": {"size": "x", "extra": 1}}));
        let mut codes: Vec<_> = bad.iter().map(|v| (v.code, v.pointer.as_str())).collect();
        codes.sort();
        assert_eq!(
            codes,
            vec![
                ("schema-type", "/spec/size"),
                ("schema-unknown-field", "/spec/extra")
            ]
        );
        let t = format!(
            "{}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
            dir.path().display()
        );
        let loc = SchemaLocations::new(&[t], "1.34", true).unwrap();
        assert!(loc.validator(&g).unwrap().is_some());
        assert!(
            loc.validator(&Gvk::from_api_version("v1", "Pod"))
                .unwrap()
                .is_none()
        );
        assert!(SchemaLocations::new(&["https://x".into()], "1.34", true).is_err());
    }
}
