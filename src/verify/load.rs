//! Loading inputs with positions: multi-document manifests (with `List` expansion), single JSON or
//! YAML documents, and the fast path that reads values without positions for clean files. A `.json`
//! file is read as strict JSON (see `json`), anything else as YAML.
//!
//! Owns turning text into objects and YAML errors into diagnostics; validates nothing.

use std::path::Path;
use std::sync::Arc;

use crate::value::Value;

use super::VerifyError;
use super::diagnostic::InputKind;
use super::json::{self, is_json_file};
use super::recognise::{FastDocs, Input};
use super::{Ctx, Diagnostic, Doc, Obj, Severity, yaml11};
use crate::resource::Origin;
use crate::yaml::{self, Document, Duplicate, Locations, Pos, YamlError};

fn yaml_diagnostic(file: &Path, err: &YamlError) -> (Diagnostic, Pos) {
    let code = match err {
        YamlError::DuplicateKey { .. } => "duplicate-key",
        _ => "yaml-syntax",
    };
    let msg = err.to_string();
    // YamlError messages start with "line:col: ".
    let msg = msg
        .split_once(": ")
        .map_or(msg.as_str(), |(_, m)| m)
        .to_string();
    let _ = file;
    (Diagnostic::error(code, msg), err.pos())
}

fn origin(file: &Path, doc: &yaml::Document) -> Origin {
    Origin {
        file: file.to_path_buf(),
        document: doc.index,
        locations: None,
        start: doc.start,
        fields: None,
    }
}

impl Ctx<'_> {
    /// Reports the repeated keys a lenient read accepted as warnings at the repeat.
    fn duplicate_warnings(&mut self, file: &Path, found: &[Duplicate], input: usize) {
        for d in found {
            let o = Origin {
                file: file.to_path_buf(),
                start: d.pos,
                ..Origin::default()
            };
            let span = self.span(&o, "", String::new());
            let msg = format!(
                "duplicate key {:?} (first at line {}); the last value is used",
                d.key, d.first_line
            );
            self.push(
                Diagnostic::new("duplicate-key", Severity::Warning, msg)
                    .at(span)
                    .help("remove one of them; with --strict (the default) this is an error"),
                Some(input),
            );
        }
    }

    /// Reports a YAML error as a diagnostic located at its position.
    fn yaml_error(&mut self, file: &Path, err: &YamlError, input: usize) {
        let (d, pos) = yaml_diagnostic(file, err);
        let o = Origin {
            file: file.to_path_buf(),
            start: pos,
            ..Origin::default()
        };
        let span = self.span(&o, "", String::new());
        // A template (Helm, Go, Jinja) is YAML only once rendered: say so rather than what the
        // YAML reader tripped on, when the text around the error holds a template expression.
        let near = (pos.line.saturating_sub(1)..=pos.line + 1)
            .filter_map(|l| self.sources.line(file, l).map(|t| (l, t)))
            .find(|(_, t)| t.contains("{{") || t.contains("{%"));
        if let Some((n, line)) = near
            && !matches!(err, YamlError::DuplicateKey { .. })
        {
            // Quoted unless it sits among a Secret's values.
            let expr = if self.sources.shows_secret(file, n) {
                "{{…}}".to_string()
            } else {
                let at = line.find("{{").or_else(|| line.find("{%")).unwrap_or(0);
                let e: String = line[at..].chars().take(40).collect();
                format!("{:?}", e.trim_end())
            };
            let d = Diagnostic::error(
                "yaml-template",
                format!(
                    "not YAML until rendered: template expression {expr} near line {} ({})",
                    pos.line, d.message
                ),
            )
            .at(span)
            .help("render it first (`helm template`, or the tool that fills it) and verify the output");
            self.push(d, Some(input));
            return;
        }
        self.push(d.at(span), Some(input));
    }

    /// Parses a multi-document YAML file into objects, expanding `List` kinds.
    pub(super) fn load_objects(&mut self, file: &Path, text: &str, input: usize) -> Vec<Obj> {
        self.sources.insert(file, text);
        if is_json_file(file) {
            let mut out = Vec::new();
            if let Some(doc) = self.load_json(file, json::manifest_text(text), input)
                && !doc.value.is_null()
            {
                self.expand(doc.value, doc.origin, String::new(), input, &mut out);
            }
            return out;
        }
        let docs = match yaml::parse_stream_with(text, self.options.duplicates()) {
            Ok(stream) => {
                self.duplicate_warnings(file, &stream.duplicates, input);
                stream.documents
            }
            Err(e) => {
                self.yaml_error(file, &e, input);
                return Vec::new();
            }
        };
        let mut out = Vec::with_capacity(docs.len());
        let mut lines: Option<Vec<&str>> = None;
        for mut doc in docs {
            if doc.value.is_null() {
                continue;
            }
            // What kubectl sends: a plain `yes` or `off` is a boolean to it (go-yaml v2).
            if yaml11::has_bool_words(&doc.value) {
                let lines = lines.get_or_insert_with(|| text.lines().collect());
                yaml11::coerce_plain_bools(&mut doc.value, &doc.locations, lines);
            }
            let locations = Arc::new(std::mem::take(&mut doc.locations));
            let mut o = origin(file, &doc);
            o.locations = Some(locations);
            self.expand(doc.value, o, String::new(), input, &mut out);
        }
        out
    }

    /// Pushes an object, or the items of a `List` kind (each keeping its pointer in the document).
    fn expand(
        &mut self,
        value: Value,
        origin: Origin,
        prefix: String,
        input: usize,
        out: &mut Vec<Obj>,
    ) {
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
        let is_list = kind.ends_with("List") && value.get("items").is_some_and(Value::is_array);
        if !is_list {
            out.push(Obj {
                value,
                origin,
                prefix,
                input,
            });
            return;
        }
        let item_kind = kind.strip_suffix("List").unwrap_or("").to_string();
        let api_version = value.get("apiVersion").cloned();
        if self.options.strict
            && let Value::Object(m) = &value
        {
            for k in m.keys() {
                if !matches!(k.as_str(), "apiVersion" | "kind" | "metadata" | "items") {
                    let p = format!("{prefix}/{}", crate::schema::kubernetes::escape_segment(k));
                    let span = self.span(&origin, &p, kind.to_string());
                    self.push(
                        Diagnostic::error(
                            "schema-unknown-field",
                            format!("unknown field \"{k}\" in {kind}"),
                        )
                        .at(span),
                        Some(input),
                    );
                }
            }
        }
        let Value::Object(mut m) = value else { return };
        let Some(Value::Array(items)) = m.remove("items") else {
            return;
        };
        for (i, mut item) in items.into_iter().enumerate() {
            // Items of a typed list (DeploymentList) may omit their own apiVersion and kind.
            if !item_kind.is_empty()
                && let Value::Object(im) = &mut item
            {
                if !im.contains_key("kind") {
                    im.insert("kind".into(), Value::String(item_kind.clone()));
                }
                if let Some(av) = &api_version
                    && !im.contains_key("apiVersion")
                {
                    im.insert("apiVersion".into(), av.clone());
                }
            }
            self.expand(
                item,
                origin.clone(),
                format!("{prefix}/items/{i}"),
                input,
                out,
            );
        }
    }

    /// Parses a one-document file (JSON or YAML) with positions.
    pub(super) fn load_doc(&mut self, file: &Path, text: &str, input: usize) -> Option<Doc> {
        self.sources.insert(file, text);
        if is_json_file(file) {
            return self.load_json(file, text, input);
        }
        match yaml::parse_stream_with(text, self.options.duplicates()) {
            Ok(stream) => {
                self.duplicate_warnings(file, &stream.duplicates, input);
                let docs = stream.documents;
                let mut docs: Vec<_> = docs.into_iter().filter(|d| !d.value.is_null()).collect();
                if docs.len() > 1 {
                    let o = origin(file, &docs[1]);
                    let span = self.span(&o, "", String::new());
                    self.push(
                        Diagnostic::error(
                            "multiple-documents",
                            "expected one document, found several",
                        )
                        .at(span),
                        Some(input),
                    );
                }
                let mut doc = if docs.is_empty() {
                    yaml::Document {
                        value: Value::Null,
                        locations: Locations::default(),
                        index: 0,
                        start: Pos { line: 1, col: 1 },
                        blank_nulls: Vec::new(),
                    }
                } else {
                    docs.swap_remove(0)
                };
                let mut o = origin(file, &doc);
                o.locations = Some(Arc::new(std::mem::take(&mut doc.locations)));
                Some(Doc {
                    value: doc.value,
                    origin: o,
                })
            }
            Err(e) => {
                self.yaml_error(file, &e, input);
                None
            }
        }
    }

    /// Reads a `.json` file as strict JSON with positions: a syntax error, or (with `--strict`) a
    /// repeated key, is an error and the file is not checked further; without `--strict` a repeated
    /// key is a warning and its last value is used, as Go's `encoding/json` does.
    fn load_json(&mut self, file: &Path, text: &str, input: usize) -> Option<Doc> {
        let at = |pos: Pos| Origin {
            file: file.to_path_buf(),
            start: pos,
            ..Origin::default()
        };
        let value = match json::parse(text) {
            Ok(v) => v,
            Err(e) => {
                let span = self.span(&at(e.pos), "", String::new());
                self.push(
                    Diagnostic::error("json-syntax", e.message).at(span),
                    Some(input),
                );
                return None;
            }
        };
        let (locations, duplicates) = json::scan(text, true);
        if self.options.strict
            && let Some(d) = duplicates.first()
        {
            let span = self.span(&at(d.pos), "", String::new());
            self.push(
                Diagnostic::error(
                    "duplicate-key",
                    format!("duplicate key {:?} (first at line {})", d.key, d.first_line),
                )
                .at(span)
                .help("remove one of them; Grafana and Alertmanager would silently use the last"),
                Some(input),
            );
            return None;
        }
        self.duplicate_warnings(file, &duplicates, input);
        let mut origin = at(Pos { line: 1, col: 1 });
        origin.locations = Some(Arc::new(locations));
        Some(Doc { value, origin })
    }
}

/// Streams at least this big are checked chunk by chunk as they are read ([`chunkable`]).
const CHUNKED_FROM_BYTES: usize = 256 * 1024;

/// About how much text a chunk of a chunked check holds: its values (some 30 times the text)
/// stay in a core's cache while they are checked.
pub(super) const CHUNK_BYTES: usize = 32 * 1024;

/// Whether a YAML manifest text is checked chunk by chunk ([`Ctx::check_chunked`]): large, of
/// several documents, and without CustomResourceDefinitions (which apply to the objects beside
/// them, so the whole file is read before any object is checked).
pub(super) fn chunkable(text: &str) -> bool {
    text.len() >= CHUNKED_FROM_BYTES
        && memchr::memmem::find(text.as_bytes(), b"\n---").is_some()
        && memchr::memmem::find(text.as_bytes(), b"CustomResourceDefinition").is_none()
}

/// The documents of a manifest file read without positions (strict JSON for a `.json` file), or
/// `None` when the file needs the full reader to report a problem.
pub(super) fn fast_docs(file: &Path, text: &str) -> Option<FastDocs> {
    if is_json_file(file) {
        let text = json::manifest_text(text);
        let value = json::parse(text).ok()?;
        if !json::scan(text, false).1.is_empty() {
            return None;
        }
        return Some(vec![Document {
            value,
            locations: Locations::default(),
            index: 0,
            start: Pos { line: 1, col: 1 },
            blank_nulls: Vec::new(),
        }]);
    }
    yaml::parse_stream_fast(text, &[]).ok()
}

/// Objects of a manifest file read without positions, or `None` when the file needs the full
/// reader (any parse problem, a `List` to expand).
pub(super) fn fast_objects(file: &Path, docs: FastDocs, input: usize) -> Option<Vec<Obj>> {
    let mut out = Vec::with_capacity(docs.len());
    for Document {
        value,
        index: document,
        start,
        ..
    } in docs
    {
        if value.is_null() {
            continue;
        }
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind.ends_with("List") && value.get("items").is_some() {
            return None;
        }
        out.push(Obj {
            value,
            origin: Origin {
                file: file.to_path_buf(),
                document,
                locations: None,
                start,
                fields: None,
            },
            prefix: String::new(),
            input,
        });
    }
    Some(out)
}

impl Ctx<'_> {
    /// Checks a large manifest input ([`chunkable`]) chunk by chunk as it is read, on up to one
    /// thread per core, each chunk's values dropped once checked: memory stays a chunk per thread
    /// and the values are checked while still in cache. `Ok(None)` when every object was clean
    /// (nothing to report; the input is counted). Otherwise the input comes back, untouched but
    /// for its text being read, for the full check (or, when [`Input::unconfirmed`], to be
    /// recognised in full first): a `List`, an object with any finding or a chunk that does not
    /// read all need the text read again with positions.
    ///
    /// # Errors
    /// An unreadable file.
    pub(super) fn check_chunked(&mut self, mut input: Input) -> Result<Option<Input>, VerifyError> {
        let eligible = matches!(input.kind, InputKind::Manifests | InputKind::Argocd)
            && !is_json_file(&input.path)
            && !matches!(&input.preloaded, Some((_, Some(_))));
        if !eligible {
            return Ok(Some(input));
        }
        let text = input.take_text()?;
        let clean = chunkable(&text)
            .then(|| {
                let ctx = &*self;
                yaml::inspect_chunks(&text, CHUNK_BYTES, |docs| {
                    ctx.clean_chunk(&input.path, docs)
                })
            })
            .flatten();
        let Some(chunks) = clean else {
            input.preloaded = Some((text, None));
            return Ok(Some(input));
        };
        input.unconfirmed = false;
        let idx = self.add_input(&input, 0);
        self.sources.insert(&input.path, &text);
        let mut objects = 0;
        for (n, secrets) in chunks {
            objects += n;
            for s in secrets {
                super::register_secret_values(&mut self.secrets, &s);
            }
        }
        self.report.inputs[idx].objects = objects;
        Ok(None)
    }

    /// The number of objects of a chunk's documents and its Secrets, when every one is clean.
    fn clean_chunk(&self, file: &Path, docs: FastDocs) -> Option<(usize, Vec<Value>)> {
        let objs = fast_objects(file, docs, 0)?;
        let mut secrets = Vec::new();
        let n = objs.len();
        for obj in objs {
            if !self.is_clean(&obj).ok()? {
                return None;
            }
            if super::is_secret(&obj.value) {
                secrets.push(obj.value);
            }
        }
        Some((n, secrets))
    }
}
