//! The kustomization file model: reads `kustomization.yaml`, rejects unknown and unsupported
//! fields with file:line:col, and collects the deprecation warnings kustomize v5 prints.
//! Owns field names and shapes; applies nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::value::Value;
use serde::Deserialize;

use super::KustomizeError;
use super::fieldspec::FieldSpec;
use super::selector::Selector;
use crate::yaml::{self, Locations};

/// The file names kustomize looks for, in order.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// `Kustomization` or `Component`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A plain kustomization.
    Kustomization,
    /// `kind: Component` (v1alpha1).
    Component,
}

/// A value with the `file:line:col` it came from.
#[derive(Debug, Clone)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub at: String,
}

/// One entry of `patches` or `patchesJson6902`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchEntry {
    /// A file holding the patch.
    pub path: Option<String>,
    /// The patch inline.
    pub patch: Option<String>,
    /// Which resources to patch.
    pub target: Option<Selector>,
    /// `allowNameChange` / `allowKindChange`.
    #[serde(default)]
    pub options: BTreeMap<String, bool>,
}

/// One entry of `images`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImageEntry {
    /// The image name to match.
    pub name: String,
    /// Replacement name.
    pub new_name: Option<String>,
    /// Replacement tag.
    pub new_tag: Option<String>,
    /// Replacement digest.
    pub digest: Option<String>,
    /// Suffix appended to the tag.
    pub tag_suffix: Option<String>,
}

/// One entry of `replicas`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicaEntry {
    /// Resource name.
    pub name: String,
    /// Replica count (absent: 0, Go's zero value, as kustomize sets it).
    #[serde(default)]
    pub count: i64,
}

/// One entry of `labels`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LabelEntry {
    /// Labels to add.
    #[serde(default)]
    pub pairs: BTreeMap<String, String>,
    /// Also set selectors.
    #[serde(default)]
    pub include_selectors: bool,
    /// Also set pod template labels.
    #[serde(default)]
    pub include_templates: bool,

    /// Extra field specs.
    #[serde(default)]
    pub fields: Vec<Value>,
}

/// `generatorOptions` and per-generator `options`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GeneratorOptions {
    /// Labels on generated resources.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Annotations on generated resources.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// No hash suffix.
    pub disable_name_suffix_hash: Option<bool>,
    /// `immutable: true`.
    pub immutable: Option<bool>,
}

/// One `configMapGenerator` / `secretGenerator` entry.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GeneratorEntry {
    /// Name of the generated resource.
    #[serde(default)]
    pub name: String,
    /// Namespace of the generated resource.
    pub namespace: Option<String>,
    /// `create` (default), `merge` or `replace`.
    pub behavior: Option<String>,
    /// Files (`key=path` or `path`).
    #[serde(default)]
    pub files: Vec<String>,
    /// Env files.
    #[serde(default)]
    pub envs: Vec<String>,
    /// Deprecated single env file.
    pub env: Option<String>,
    /// `key=value` literals.
    #[serde(default)]
    pub literals: Vec<String>,
    /// Secret type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Per-generator options.
    pub options: Option<GeneratorOptions>,
}

/// A parsed kustomization file.
#[derive(Debug, Clone)]
pub struct Kustomization {
    /// The file.
    pub file: PathBuf,
    /// Its directory.
    pub dir: PathBuf,
    /// Kustomization or Component.
    pub kind: Kind,
    /// `resources` then `bases`.
    pub resources: Vec<Located<String>>,
    /// `components`.
    pub components: Vec<Located<String>>,
    /// `namespace`.
    pub namespace: Option<String>,
    /// `namePrefix`.
    pub name_prefix: Option<String>,
    /// `nameSuffix`.
    pub name_suffix: Option<String>,
    /// `commonLabels`.
    pub common_labels: BTreeMap<String, String>,
    /// `labels`.
    pub labels: Vec<Located<LabelEntry>>,
    /// `commonAnnotations`.
    pub common_annotations: BTreeMap<String, String>,
    /// `patches`.
    pub patches: Vec<Located<PatchEntry>>,
    /// `patchesStrategicMerge` (paths or inline patches).
    pub patches_strategic_merge: Vec<Located<String>>,
    /// `patchesJson6902`.
    pub patches_json6902: Vec<Located<PatchEntry>>,
    /// `images` (and deprecated `imageTags`).
    pub images: Vec<ImageEntry>,
    /// `replicas`.
    pub replicas: Vec<ReplicaEntry>,
    /// `configMapGenerator`.
    pub config_map_generator: Vec<Located<GeneratorEntry>>,
    /// `secretGenerator`.
    pub secret_generator: Vec<Located<GeneratorEntry>>,
    /// `generatorOptions`.
    pub generator_options: GeneratorOptions,
    /// `replacements` (inline or `path:` entries).
    pub replacements: Vec<Located<Value>>,
    /// `vars`.
    pub vars: Vec<Located<Value>>,
    /// `openapi.path`.
    pub openapi: Option<Located<String>>,
    /// `openapi.version` (a builtin schema).
    pub openapi_version: Option<Located<String>>,
    /// `sortOptions`.
    pub sort_options: Option<Located<Value>>,
    /// `configurations`.
    pub configurations: Vec<Located<String>>,
    /// `crds` (OpenAPI definition files).
    pub crds: Vec<Located<String>>,
    /// `transformers`.
    pub transformers: Vec<Located<String>>,
    /// `generators`.
    pub generators: Vec<Located<String>>,
    /// `validators`.
    pub validators: Vec<Located<String>>,
    /// `buildMetadata` options (only the build root's count).
    pub build_metadata: Vec<String>,
    /// `helmGlobals` (or the globals of `helmChartInflationGenerator` entries).
    pub helm_globals: Option<Located<Value>>,
    /// `helmCharts`, then the converted `helmChartInflationGenerator` entries.
    pub helm_charts: Vec<Located<Value>>,
    /// Deprecation warnings for this file.
    pub warnings: Vec<String>,
}

fn deprecated(field: &str, instead: &str) -> String {
    let extra = if field == "vars" {
        " [EXPERIMENTAL]"
    } else {
        ""
    };
    format!(
        "# Warning: '{field}' is deprecated. Please use '{instead}' instead.{extra} Run 'kustomize edit fix' to update your Kustomization automatically."
    )
}

struct Ctx<'a> {
    file: &'a Path,
    loc: &'a Locations,
}

impl Ctx<'_> {
    fn at(&self, pointer: &str) -> String {
        match self.loc.nearest(pointer) {
            Some(p) => format!("{}:{}", self.file.display(), p),
            None => self.file.display().to_string(),
        }
    }

    /// Where the value at `pointer` is (its key when it has none).
    fn at_value(&self, pointer: &str) -> String {
        match self.loc.nearest_value(pointer) {
            Some(p) => format!("{}:{}", self.file.display(), p),
            None => self.file.display().to_string(),
        }
    }

    fn strings(&self, v: &Value, key: &str) -> Result<Vec<Located<String>>, KustomizeError> {
        let ptr = format!("/{key}");
        match v {
            Value::Null => Ok(Vec::new()),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let p = format!("{ptr}/{i}");
                    match item {
                        Value::String(s) => Ok(Located {
                            value: s.clone(),
                            at: self.at(&p),
                        }),
                        _ => Err(KustomizeError::invalid(
                            self.at(&p),
                            format!("`{key}` entries must be strings"),
                        )),
                    }
                })
                .collect(),
            _ => Err(KustomizeError::invalid(
                self.at(&ptr),
                format!("`{key}` must be a list of strings"),
            )),
        }
    }

    fn string_map(&self, v: &Value, key: &str) -> Result<BTreeMap<String, String>, KustomizeError> {
        let mut out = BTreeMap::new();
        match v {
            Value::Null => {}
            Value::Object(m) => {
                for (k, val) in m {
                    out.insert(k.clone(), scalar_text(val));
                }
            }
            _ => {
                return Err(KustomizeError::invalid(
                    self.at(&format!("/{key}")),
                    format!("`{key}` must be a mapping"),
                ));
            }
        }
        Ok(out)
    }

    fn typed<T: for<'de> Deserialize<'de>>(
        &self,
        v: &Value,
        key: &str,
    ) -> Result<Vec<Located<T>>, KustomizeError> {
        let items = match v {
            Value::Null => return Ok(Vec::new()),
            Value::Array(items) => items,
            _ => {
                return Err(KustomizeError::invalid(
                    self.at(&format!("/{key}")),
                    format!("`{key}` must be a list"),
                ));
            }
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let at = self.at(&format!("/{key}/{i}"));
                crate::value::from_value::<T>(item.clone())
                    .map(|value| Located {
                        value,
                        at: at.clone(),
                    })
                    .map_err(|e| KustomizeError::invalid(at, format!("invalid `{key}` entry: {e}")))
            })
            .collect()
    }
}

/// Text of a scalar as kustomize reads it into a string field.
pub fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => yaml::format_number(n),
        other => other.to_string(),
    }
}

/// The structure of a kustomization as kustomize's Go types declare it (`api/types`): field
/// names, which Go's `encoding/json` matches case-insensitively (`nameprefix`, `patchesJSON6902`,
/// `Path`), and the type of each field, which it enforces (a number or boolean where a string
/// belongs is an error). Free-form values (`valuesInline`) are `Any`.
enum Shape {
    Fields(&'static [(&'static str, Shape)]),
    ListOf(&'static Shape),
    Str,
    Bool,
    Int,
    /// `map[string]string`.
    StrMap,
    Any,
}

use Shape::{Any, Bool, Fields, Int, ListOf, Str, StrMap};

const STRINGS: Shape = ListOf(&Str);

const SELECTOR: Shape = Fields(&[
    ("group", Str),
    ("version", Str),
    ("kind", Str),
    ("name", Str),
    ("namespace", Str),
    ("labelSelector", Str),
    ("annotationSelector", Str),
]);
const PATCH: Shape = Fields(&[
    ("path", Str),
    ("patch", Str),
    ("target", SELECTOR),
    (
        "options",
        Fields(&[("allowNameChange", Bool), ("allowKindChange", Bool)]),
    ),
]);
const IMAGE: Shape = Fields(&[
    ("name", Str),
    ("newName", Str),
    ("newTag", Str),
    ("digest", Str),
    ("tagSuffix", Str),
]);
const FIELD_SPEC: Shape = Fields(&[
    ("group", Str),
    ("version", Str),
    ("kind", Str),
    ("path", Str),
    ("create", Bool),
]);
const GENERATOR_OPTIONS: Shape = Fields(&[
    ("labels", StrMap),
    ("annotations", StrMap),
    ("disableNameSuffixHash", Bool),
    ("immutable", Bool),
]);
const GENERATOR: Shape = Fields(&[
    ("name", Str),
    ("namespace", Str),
    ("behavior", Str),
    ("files", STRINGS),
    ("envs", STRINGS),
    ("env", Str),
    ("literals", STRINGS),
    ("type", Str),
    ("options", GENERATOR_OPTIONS),
]);
const HELM_CHART: Shape = Fields(&[
    ("name", Str),
    ("version", Str),
    ("repo", Str),
    ("releaseName", Str),
    ("namespace", Str),
    ("additionalValuesFiles", STRINGS),
    ("valuesFile", Str),
    ("valuesInline", Any),
    ("valuesMerge", Str),
    ("includeCRDs", Bool),
    ("skipHooks", Bool),
    ("apiVersions", STRINGS),
    ("kubeVersion", Str),
    ("nameTemplate", Str),
    ("skipTests", Bool),
    ("debug", Bool),
    ("devel", Bool),
]);
const LEGACY_HELM_CHART: Shape = Fields(&[
    ("chartName", Str),
    ("chartVersion", Str),
    ("chartRepoUrl", Str),
    ("chartHome", Str),
    ("chartRepoName", Str),
    ("helmBin", Str),
    ("helmHome", Str),
    ("values", Str),
    ("valuesLocal", Any),
    ("valuesMerge", Str),
    ("releaseName", Str),
    ("releaseNamespace", Str),
    ("extraArgs", STRINGS),
]);
const REPLACEMENT_OPTIONS: Shape = Fields(&[
    ("delimiter", Str),
    ("index", Int),
    ("encoding", Str),
    ("create", Bool),
]);
const REPLACEMENT: Shape = Fields(&[
    ("path", Str),
    (
        "source",
        Fields(&[
            ("group", Str),
            ("version", Str),
            ("kind", Str),
            ("name", Str),
            ("namespace", Str),
            ("fieldPath", Str),
            ("options", REPLACEMENT_OPTIONS),
        ]),
    ),
    ("sourceValue", Str),
    (
        "targets",
        ListOf(&Fields(&[
            ("select", SELECTOR),
            ("reject", ListOf(&SELECTOR)),
            ("fieldPaths", STRINGS),
            ("options", REPLACEMENT_OPTIONS),
        ])),
    ),
]);
const VAR: Shape = Fields(&[
    ("name", Str),
    (
        "objref",
        Fields(&[
            ("group", Str),
            ("version", Str),
            ("kind", Str),
            ("apiVersion", Str),
            ("name", Str),
            ("namespace", Str),
        ]),
    ),
    ("fieldref", Fields(&[("fieldPath", Str)])),
]);
const KUSTOMIZATION: Shape = Fields(&[
    ("apiVersion", Str),
    ("kind", Str),
    (
        "metadata",
        Fields(&[
            ("name", Str),
            ("namespace", Str),
            ("labels", StrMap),
            ("annotations", StrMap),
        ]),
    ),
    ("openapi", StrMap),
    ("namePrefix", Str),
    ("nameSuffix", Str),
    ("namespace", Str),
    ("commonLabels", StrMap),
    (
        "labels",
        ListOf(&Fields(&[
            ("pairs", StrMap),
            ("includeSelectors", Bool),
            ("includeTemplates", Bool),
            ("fields", ListOf(&FIELD_SPEC)),
        ])),
    ),
    ("commonAnnotations", StrMap),
    ("patchesStrategicMerge", STRINGS),
    ("patchesJson6902", ListOf(&PATCH)),
    ("patches", ListOf(&PATCH)),
    ("images", ListOf(&IMAGE)),
    ("imageTags", ListOf(&IMAGE)),
    ("replacements", ListOf(&REPLACEMENT)),
    (
        "replicas",
        ListOf(&Fields(&[("name", Str), ("count", Int)])),
    ),
    ("vars", ListOf(&VAR)),
    (
        "sortOptions",
        Fields(&[
            ("order", Str),
            (
                "legacySortOptions",
                Fields(&[("orderFirst", STRINGS), ("orderLast", STRINGS)]),
            ),
        ]),
    ),
    ("resources", STRINGS),
    ("components", STRINGS),
    ("crds", STRINGS),
    ("bases", STRINGS),
    ("configMapGenerator", ListOf(&GENERATOR)),
    ("secretGenerator", ListOf(&GENERATOR)),
    (
        "helmGlobals",
        Fields(&[("chartHome", Str), ("configHome", Str)]),
    ),
    ("helmCharts", ListOf(&HELM_CHART)),
    ("helmChartInflationGenerator", ListOf(&LEGACY_HELM_CHART)),
    ("generatorOptions", GENERATOR_OPTIONS),
    ("configurations", STRINGS),
    ("generators", STRINGS),
    ("transformers", STRINGS),
    ("validators", STRINGS),
    ("buildMetadata", STRINGS),
]);

/// What a value is, for messages.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

/// Checks every known field's type as Go's decoder would, before anything reads the values: a
/// mismatch is an error at the value naming the field, what kustomize expects and what was found.
fn check_types(
    ctx: &Ctx,
    bool_keys: &super::yaml11::BoolKeys,
    v: &Value,
    shape: &Shape,
    pointer: &str,
    field: &str,
) -> Result<(), KustomizeError> {
    let expected = match (shape, v) {
        (_, Value::Null) | (Any, _) => return Ok(()),
        (Str, Value::String(_)) | (Bool, Value::Bool(_)) => return Ok(()),
        (Int, Value::Number(n)) if n.is_i64() || n.is_u64() => return Ok(()),
        (StrMap, Value::Object(m)) => {
            for (k, x) in m {
                let p = crate::finding::pointer_push(pointer, k);
                if let Some((written, was)) = bool_keys.get(&p) {
                    return Err(KustomizeError::invalid(
                        ctx.at(was),
                        format!(
                            "invalid Kustomization: key `{written}` of `{field}` is read by kustomize as the boolean {k} (YAML 1.1), which a map of strings cannot hold: quote it"
                        ),
                    ));
                }
                if !(x.is_string() || x.is_null()) {
                    return Err(type_error(ctx, &p, &format!("{field}.{k}"), "a string", x));
                }
            }
            return Ok(());
        }
        (ListOf(item), Value::Array(items)) => {
            for (i, x) in items.iter().enumerate() {
                check_types(
                    ctx,
                    bool_keys,
                    x,
                    item,
                    &format!("{pointer}/{i}"),
                    &format!("{field}[{i}]"),
                )?;
            }
            return Ok(());
        }
        (Fields(fields), Value::Object(m)) => {
            for (name, sub) in fields.iter() {
                if let Some(x) = m.get(*name) {
                    let f = if field.is_empty() {
                        name.to_string()
                    } else {
                        format!("{field}.{name}")
                    };
                    check_types(ctx, bool_keys, x, sub, &format!("{pointer}/{name}"), &f)?;
                }
            }
            return Ok(());
        }
        (Str, _) => "a string",
        (Bool, _) => "a boolean (true or false)",
        (Int, _) => "an integer",
        (StrMap, _) | (Fields(_), _) => "a mapping",
        (ListOf(_), _) => "a list",
    };
    Err(type_error(ctx, pointer, field, expected, v))
}

fn type_error(
    ctx: &Ctx,
    pointer: &str,
    field: &str,
    expected: &str,
    found: &Value,
) -> KustomizeError {
    let shown = match found {
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) | Value::Object(_) => String::new(),
        other => format!("`{other}`"),
    };
    let hint = match found {
        Value::Bool(_) | Value::Number(_) if expected == "a string" => {
            " (kustomize reads unquoted yes/no/on/off/y/n as booleans and digits as numbers: quote the value)"
        }
        _ => "",
    };
    let found = if shown.is_empty() {
        format!("a {}", kind_of(found))
    } else {
        format!("the {} {shown}", kind_of(found))
    };
    KustomizeError::invalid(
        ctx.at_value(pointer),
        format!("invalid Kustomization: `{field}` must be {expected}, found {found}{hint}"),
    )
}

/// Renames keys that match a known field name case-insensitively to its canonical spelling,
/// recursively through the known structures (a repeat keeps the last value, as Go's decoder).
fn fold_field_names(v: &mut Value, shape: &Shape) {
    match (shape, v) {
        (Fields(fields), Value::Object(map)) => {
            let needs = map.keys().any(|k| {
                !fields.iter().any(|(f, _)| f == k)
                    && fields.iter().any(|(f, _)| f.eq_ignore_ascii_case(k))
            });
            if needs {
                let old = std::mem::take(map);
                for (k, val) in old {
                    let name = fields
                        .iter()
                        .find(|(f, _)| f.eq_ignore_ascii_case(&k))
                        .map_or(k, |(f, _)| f.to_string());
                    map.remove(&name);
                    map.insert(name, val);
                }
            }
            for (f, sub) in fields.iter() {
                if let Some(x) = map.get_mut(*f) {
                    fold_field_names(x, sub);
                }
            }
        }
        (ListOf(item), Value::Array(items)) => {
            for x in items {
                fold_field_names(x, item);
            }
        }
        _ => {}
    }
}

const FIELD_SPECS: Shape = ListOf(&FIELD_SPEC);

/// The config types of the builtin plugins (`api/internal/builtins`), for the same folding:
/// kustomize decodes a plugin's config with Go's case-insensitive field matching too.
fn plugin_shape(kind: &str) -> Option<Shape> {
    Some(match kind {
        "AnnotationsTransformer" => Fields(&[("annotations", StrMap), ("fieldSpecs", FIELD_SPECS)]),
        "LabelTransformer" => Fields(&[("labels", StrMap), ("fieldSpecs", FIELD_SPECS)]),
        "NamespaceTransformer" => Fields(&[
            ("fieldSpecs", FIELD_SPECS),
            ("unsetOnly", Bool),
            ("setRoleBindingSubjects", Str),
        ]),
        "PrefixTransformer" => Fields(&[("prefix", Str), ("fieldSpecs", FIELD_SPECS)]),
        "SuffixTransformer" => Fields(&[("suffix", Str), ("fieldSpecs", FIELD_SPECS)]),
        "PrefixSuffixTransformer" => Fields(&[
            ("prefix", Str),
            ("suffix", Str),
            ("fieldSpecs", FIELD_SPECS),
        ]),
        "ImageTagTransformer" => Fields(&[("imageTag", IMAGE), ("fieldSpecs", FIELD_SPECS)]),
        "ReplicaCountTransformer" => Fields(&[
            ("replica", Fields(&[("name", Str), ("count", Int)])),
            ("fieldSpecs", FIELD_SPECS),
        ]),
        "PatchTransformer" => PATCH,
        "PatchStrategicMergeTransformer" => Fields(&[("paths", STRINGS), ("patches", Str)]),
        "PatchJson6902Transformer" => {
            Fields(&[("target", SELECTOR), ("path", Str), ("jsonOp", Str)])
        }
        "ReplacementTransformer" => Fields(&[("replacements", ListOf(&REPLACEMENT))]),
        "ValueAddTransformer" => Fields(&[
            ("value", Str),
            (
                "targets",
                ListOf(&Fields(&[
                    ("selector", SELECTOR),
                    ("fieldPath", Str),
                    ("filePathPosition", Int),
                ])),
            ),
            ("targetFilePath", Str),
        ]),
        "ConfigMapGenerator" | "SecretGenerator" => GENERATOR,
        "IAMPolicyGenerator" => Fields(&[
            ("cloud", Str),
            (
                "kubernetesService",
                Fields(&[("namespace", Str), ("name", Str)]),
            ),
            (
                "serviceAccount",
                Fields(&[("name", Str), ("projectId", Str)]),
            ),
        ]),
        _ => return None,
    })
}

/// Whether the config type of the builtin plugin `kind` declares the top-level field `key`
/// (in its canonical spelling).
pub fn plugin_declares(kind: &str, key: &str) -> bool {
    matches!(plugin_shape(kind), Some(Fields(fields)) if fields.iter().any(|(k, _)| *k == key))
}

/// A builtin plugin's config with its field names in their canonical spelling (`Path` →
/// `path`, `imageTag.Digest` → `digest`), as Go's decoder matches them; user data (label and
/// annotation keys, patches) is left alone.
pub fn fold_plugin_config(kind: &str, v: &Value) -> Value {
    let mut out = v.clone();
    if let Some(shape) = plugin_shape(kind) {
        fold_field_names(&mut out, &shape);
    }
    out
}

/// Finds the kustomization file in `dir`.
///
/// # Errors
/// None is there, or several are (kustomize refuses to choose).
pub fn find_file(dir: &Path) -> Result<PathBuf, KustomizeError> {
    let found: Vec<PathBuf> = FILE_NAMES
        .iter()
        .map(|n| dir.join(n))
        .filter(|p| p.is_file())
        .collect();
    match found.len() {
        0 => Err(KustomizeError::NoKustomization {
            dir: dir.to_path_buf(),
        }),
        1 => Ok(found.into_iter().next().unwrap_or_default()),
        _ => Err(KustomizeError::invalid(
            dir.display().to_string(),
            format!(
                "several kustomization files in one directory ({}): keep one",
                found
                    .iter()
                    .filter_map(|p| p.file_name())
                    .map(|n| n.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// Parses a kustomization file's text.
///
/// # Errors
/// Malformed YAML, unknown or unsupported fields, wrong shapes.
pub fn parse(text: &str, file: &Path) -> Result<Kustomization, KustomizeError> {
    // kustomize reads a kustomization as sigs.k8s.io/yaml does: a repeated key keeps its last
    // value, and field names match case-insensitively (Go's encoding/json).
    let stream = yaml::parse_stream_with(text, yaml::Duplicates::LastWins).map_err(|source| {
        KustomizeError::Yaml {
            file: file.to_path_buf(),
            cause: source,
        }
    })?;
    let doc = stream
        .documents
        .into_iter()
        .find(|d| !d.value.is_null())
        .map_or((Value::Null, yaml::Locations::default()), |d| {
            (d.value, d.locations)
        });
    let ctx = Ctx { file, loc: &doc.1 };
    let mut value = doc.0;
    let bool_keys = super::yaml11::reresolve(&mut value, text, &doc.1);
    fold_field_names(&mut value, &KUSTOMIZATION);
    check_types(&ctx, &bool_keys, &value, &KUSTOMIZATION, "", "")?;
    let root = match value {
        Value::Object(m) => m,
        Value::Null => crate::value::Map::new(),
        _ => {
            return Err(KustomizeError::invalid(
                ctx.at(""),
                "a kustomization must be a mapping",
            ));
        }
    };
    if is_empty_kustomization(&root) {
        return Err(KustomizeError::invalid(
            file.display().to_string(),
            "the kustomization is empty: it sets no field (kustomize refuses to build it)",
        ));
    }
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut k = Kustomization {
        file: file.to_path_buf(),
        dir,
        kind: Kind::Kustomization,
        resources: Vec::new(),
        components: Vec::new(),
        namespace: None,
        name_prefix: None,
        name_suffix: None,
        common_labels: BTreeMap::new(),
        labels: Vec::new(),
        common_annotations: BTreeMap::new(),
        patches: Vec::new(),
        patches_strategic_merge: Vec::new(),
        patches_json6902: Vec::new(),
        images: Vec::new(),
        replicas: Vec::new(),
        config_map_generator: Vec::new(),
        secret_generator: Vec::new(),
        generator_options: GeneratorOptions::default(),
        replacements: Vec::new(),
        vars: Vec::new(),
        openapi: None,
        openapi_version: None,
        sort_options: None,
        configurations: Vec::new(),
        crds: Vec::new(),
        transformers: Vec::new(),
        generators: Vec::new(),
        validators: Vec::new(),
        build_metadata: Vec::new(),
        helm_globals: None,
        helm_charts: Vec::new(),
        warnings: Vec::new(),
    };
    let mut bases = Vec::new();
    let mut legacy_helm = Vec::new();
    let mut warn: BTreeMap<&str, &str> = BTreeMap::new();
    match root.get("kind").map(|v| v.as_str()) {
        None | Some(Some("" | "Kustomization")) => {}
        Some(Some("Component")) => k.kind = Kind::Component,
        Some(v) => {
            return Err(KustomizeError::invalid(
                ctx.at("/kind"),
                format!(
                    "kind should be Kustomization or Component, not {}",
                    v.unwrap_or("a non-string")
                ),
            ));
        }
    }
    if let Some(api) = root.get("apiVersion") {
        let (kind, required) = match k.kind {
            Kind::Kustomization => ("Kustomization", "kustomize.config.k8s.io/v1beta1"),
            Kind::Component => ("Component", "kustomize.config.k8s.io/v1alpha1"),
        };
        if !matches!(api.as_str(), Some(a) if a.is_empty() || a == required) {
            return Err(KustomizeError::invalid(
                ctx.at("/apiVersion"),
                format!("apiVersion for {kind} should be {required}, not {api}"),
            ));
        }
    }
    for (key, v) in &root {
        let at = || ctx.at(&format!("/{key}"));
        match key.as_str() {
            "apiVersion" | "metadata" | "kind" => {}
            "resources" => k.resources = ctx.strings(v, key)?,
            "bases" => {
                warn.insert("bases", "resources");
                bases = ctx.strings(v, key)?;
            }
            "components" => k.components = ctx.strings(v, key)?,
            "namespace" => k.namespace = v.as_str().map(str::to_string),
            "namePrefix" => k.name_prefix = v.as_str().map(str::to_string),
            "nameSuffix" => k.name_suffix = v.as_str().map(str::to_string),
            "commonLabels" => {
                warn.insert("commonLabels", "labels");
                k.common_labels = ctx.string_map(v, key)?;
            }
            "labels" => k.labels = ctx.typed(v, key)?,
            "commonAnnotations" => k.common_annotations = ctx.string_map(v, key)?,
            "patches" => k.patches = ctx.typed(v, key)?,
            "patchesStrategicMerge" => {
                warn.insert("patchesStrategicMerge", "patches");
                k.patches_strategic_merge = ctx.strings(v, key)?;
            }
            "patchesJson6902" => {
                warn.insert("patchesJson6902", "patches");
                k.patches_json6902 = ctx.typed(v, key)?;
            }
            "images" | "imageTags" => {
                if key == "imageTags" {
                    warn.insert("imageTags", "images");
                }
                let list: Vec<Located<ImageEntry>> = ctx.typed(v, key)?;
                k.images.extend(list.into_iter().map(|l| l.value));
            }
            "replicas" => {
                let list: Vec<Located<ReplicaEntry>> = ctx.typed(v, key)?;
                k.replicas = list.into_iter().map(|l| l.value).collect();
            }
            "configMapGenerator" => k.config_map_generator = ctx.typed(v, key)?,
            "secretGenerator" => k.secret_generator = ctx.typed(v, key)?,
            "generatorOptions" => {
                // Types checked by `check_types`: labels and annotations hold strings.
                k.generator_options = crate::value::from_value(v.clone()).map_err(|e| {
                    KustomizeError::invalid(at(), format!("invalid `generatorOptions`: {e}"))
                })?;
            }
            "replacements" => k.replacements = located_values(&ctx, v, key)?,
            "vars" => {
                warn.insert("vars", "replacements");
                k.vars = located_values(&ctx, v, key)?;
            }
            "openapi" => {
                // kustomize reads a map of strings and uses `path` and `version`.
                let field = |name: &str| {
                    v.get(name).map(|x| Located {
                        value: scalar_text(x),
                        at: ctx.at(&format!("/openapi/{name}")),
                    })
                };
                if !v.is_null() && !v.is_object() {
                    return Err(KustomizeError::invalid(
                        at(),
                        "`openapi` must be a mapping (`path:` or `version:`)",
                    ));
                }
                k.openapi = field("path");
                k.openapi_version = field("version");
            }
            "sortOptions" => {
                k.sort_options = Some(Located {
                    value: v.clone(),
                    at: at(),
                })
            }
            "configurations" => k.configurations = ctx.strings(v, key)?,
            "crds" => k.crds = ctx.strings(v, key)?,
            "transformers" => k.transformers = ctx.strings(v, key)?,
            "generators" => k.generators = ctx.strings(v, key)?,
            "validators" => k.validators = ctx.strings(v, key)?,
            "buildMetadata" => {
                k.build_metadata = ctx.strings(v, key)?.into_iter().map(|l| l.value).collect()
            }
            "helmCharts" => k.helm_charts = located_values(&ctx, v, key)?,
            "helmGlobals" => {
                if !v.is_null() {
                    k.helm_globals = Some(Located {
                        value: v.clone(),
                        at: at(),
                    });
                }
            }
            "helmChartInflationGenerator" => legacy_helm = located_values(&ctx, v, key)?,
            "inventory" => {
                if !is_empty(v) {
                    return Err(KustomizeError::unsupported(
                        at(),
                        format!("field `{key}` in {}", file.display()),
                    ));
                }
            }
            other => {
                return Err(KustomizeError::invalid(
                    at(),
                    format!("invalid Kustomization: unknown field `{other}`"),
                ));
            }
        }
    }
    k.resources.extend(bases);
    if !legacy_helm.is_empty() {
        let (charts, globals) = super::helm::convert_legacy(&legacy_helm)?;
        k.helm_charts.extend(charts);
        if k.helm_globals.is_none() && !globals.is_empty() {
            k.helm_globals = Some(Located {
                value: Value::Object(globals),
                at: legacy_helm[0].at.clone(),
            });
        }
    }
    // kustomize warns about a deprecated field that is set, even to an empty list or map, but
    // not about one that is null; in its fixed order (which is this map's alphabetical one).
    warn.retain(|f, _| root.get(*f).is_some_and(|v| !v.is_null()));
    k.warnings = warn.into_iter().map(|(f, i)| deprecated(f, i)).collect();
    Ok(k)
}

/// kustomize's `CheckEmpty`: nothing but `apiVersion`/`kind` is set to a non-zero value, where
/// an empty string is zero and so is an empty `bases` or `imageTags` (they are appended into
/// `resources` and `images`), but an empty list or mapping elsewhere is a value.
fn is_empty_kustomization(root: &crate::value::Map) -> bool {
    root.iter().all(|(k, v)| match (k.as_str(), v) {
        ("apiVersion" | "kind", _) | (_, Value::Null) => true,
        (_, Value::String(s)) => s.is_empty(),
        ("bases" | "imageTags", Value::Array(a)) => a.is_empty(),
        _ => false,
    })
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

fn located_values(ctx: &Ctx, v: &Value, key: &str) -> Result<Vec<Located<Value>>, KustomizeError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| Located {
                value: item.clone(),
                at: ctx.at(&format!("/{key}/{i}")),
            })
            .collect()),
        _ => Err(KustomizeError::invalid(
            ctx.at(&format!("/{key}")),
            format!("`{key}` must be a list"),
        )),
    }
}

impl LabelEntry {
    /// The extra field specs, parsed.
    ///
    /// # Errors
    /// A malformed field spec, as a message.
    pub fn field_specs(&self) -> Result<Vec<FieldSpec>, String> {
        self.fields.iter().map(FieldSpec::from_value).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_in_kustomize_order() {
        let k = parse(
            "vars: []\ncommonLabels: {a: b}\nbases: [x]\nresources: [z]\n",
            Path::new("k.yaml"),
        )
        .unwrap();
        assert_eq!(k.resources.len(), 2);
        assert_eq!(k.resources[0].value, "z");
        assert_eq!(k.warnings.len(), 3);
        assert!(k.warnings[0].starts_with("# Warning: 'bases' is deprecated."));
        assert!(k.warnings[2].contains("[EXPERIMENTAL]"));
    }

    #[test]
    fn unknown_field_has_position() {
        let err = parse("resources: []\nfoo: 1\n", Path::new("k.yaml")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "k.yaml:2:1: invalid Kustomization: unknown field `foo`"
        );
    }

    #[test]
    fn unsupported_field_is_named() {
        let err = parse("inventory:\n  type: x\n", Path::new("k.yaml")).unwrap_err();
        assert!(err.to_string().contains("inventory"), "{err}");
    }

    #[test]
    fn legacy_helm_entries_become_charts() {
        let k = parse(
            "helmCharts:\n- name: a\nhelmChartInflationGenerator:\n- chartName: b\n  chartHome: c\n",
            Path::new("k.yaml"),
        )
        .unwrap();
        let names: Vec<&Value> = k.helm_charts.iter().map(|c| &c.value["name"]).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(k.helm_globals.unwrap().value["chartHome"], "c");
    }

    /// kustomize decodes the kustomization into typed Go fields after a YAML 1.1 read: a number
    /// or an unquoted yes/no/on/off where a string belongs is an error (checked against
    /// kubectl kustomize 1.37), named at the value.
    #[test]
    fn typed_fields_refuse_other_types_at_the_value() {
        let err = |text: &str| parse(text, Path::new("k.yaml")).unwrap_err().to_string();
        assert_eq!(
            err("commonAnnotations: {area: 51}\n"),
            "k.yaml:1:27: invalid Kustomization: `commonAnnotations.area` must be a string, found the number `51` (kustomize reads unquoted yes/no/on/off/y/n as booleans and digits as numbers: quote the value)"
        );
        assert_eq!(
            err("resources:\n- a.yaml\n- y\n"),
            "k.yaml:3:3: invalid Kustomization: `resources[1]` must be a string, found the boolean `true` (kustomize reads unquoted yes/no/on/off/y/n as booleans and digits as numbers: quote the value)"
        );
        assert_eq!(
            err("labels:\n- pairs: {a: b}\n  includeSelectors: \"yes\"\n"),
            "k.yaml:3:21: invalid Kustomization: `labels[0].includeSelectors` must be a boolean (true or false), found the string \"yes\""
        );
        assert_eq!(
            err("replicas: [{name: a, count: 1.5}]\n"),
            "k.yaml:1:29: invalid Kustomization: `replicas[0].count` must be an integer, found the number `1.5`"
        );
        assert_eq!(
            err("namePrefix: [a]\n"),
            "k.yaml:1:13: invalid Kustomization: `namePrefix` must be a string, found a list"
        );
        assert_eq!(
            err("commonLabels: {x: a, n: b}\n"),
            "k.yaml:1:22: invalid Kustomization: key `n` of `commonLabels` is read by kustomize as the boolean false (YAML 1.1), which a map of strings cannot hold: quote it"
        );
        let k = parse(
            "commonLabels: {\"on\": \"yes\", d: 2024-01-02}\nlabels:\n- pairs: {\"n\": \"1\"}\n  includeSelectors: yes\nhelmCharts:\n- name: c\n  valuesInline: {on: 1, d: 2024-01-02}\n",
            Path::new("k.yaml"),
        )
        .unwrap();
        assert_eq!(k.common_labels["on"], "yes");
        assert_eq!(k.common_labels["d"], "2024-01-02");
        assert_eq!(
            k.helm_charts[0].value["valuesInline"],
            crate::json!({"true": 1, "d": "2024-01-02"})
        );
        assert_eq!(k.labels[0].value.pairs["n"], "1");
        assert!(k.labels[0].value.include_selectors);
    }

    #[test]
    fn plugin_config_names_fold_but_user_keys_do_not() {
        let v = crate::json!({
            "Labels": {"Team": "a"},
            "FieldSpecs": [{"Path": "metadata/labels", "Create": true}],
            "other": 1
        });
        let got = fold_plugin_config("LabelTransformer", &v);
        assert_eq!(
            got,
            crate::json!({
                "labels": {"Team": "a"},
                "fieldSpecs": [{"path": "metadata/labels", "create": true}],
                "other": 1
            })
        );
        assert_eq!(fold_plugin_config("SomethingElse", &v), v);
    }
}
