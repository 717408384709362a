//! Field specs as data and the one walker every transformer uses to reach the fields they touch.
//!
//! Owns kustomize's default field-spec table (embedded `fieldspecs.tsv`), the merge of
//! `configurations:` files into it, and path traversal (GVK match with empty as wildcard, `[]` for
//! sequences, `\/` escapes, create only when asked). Does no I/O.

use std::borrow::Cow;
use std::sync::OnceLock;

use crate::value::{Map, Value};

use super::KustomizeError;
use super::resmap::{KRes, kid};
use crate::resource::Gvk;

/// One field spec: which resources (group/version/kind, empty = any) and which path in them.
/// The defaults borrow their text from the binary (generated from `fieldspecs.tsv` by
/// `build.rs`); specs from `configurations:` own theirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    /// API group to match (empty: any).
    pub group: Cow<'static, str>,
    /// Version to match (empty: any).
    pub version: Cow<'static, str>,
    /// Kind to match (empty: any).
    pub kind: Cow<'static, str>,
    /// The path as written (`spec/template/metadata/labels`).
    pub path: Cow<'static, str>,
    /// Path segments, with `\/` unescaped.
    pub segments: Cow<'static, [Cow<'static, str>]>,
    /// Create missing fields along the path.
    pub create: bool,
}

impl FieldSpec {
    /// Builds a field spec from a path and a GVK selector.
    pub fn new(path: &str, group: &str, version: &str, kind: &str, create: bool) -> Self {
        FieldSpec {
            group: Cow::Owned(group.to_string()),
            version: Cow::Owned(version.to_string()),
            kind: Cow::Owned(kind.to_string()),
            path: Cow::Owned(path.to_string()),
            segments: split_path(path).into_iter().map(Cow::Owned).collect(),
            create,
        }
    }

    /// Reads `{path, group, version, kind, create}` (the shape of kustomize's `fieldSpecs`).
    ///
    /// # Errors
    /// When the value is not a mapping or has no `path`.
    pub fn from_value(v: &Value) -> Result<Self, String> {
        Self::parse(v, true)
    }

    /// Reads a field spec of a builtin plugin's config: kustomize decodes those without
    /// strictness, so keys other than a field spec's own (`name: x`) are ignored, as there.
    ///
    /// # Errors
    /// When the value is not a mapping or has no `path`.
    pub fn from_plugin_value(v: &Value) -> Result<Self, String> {
        Self::parse(v, false)
    }

    fn parse(v: &Value, strict: bool) -> Result<Self, String> {
        let m = v.as_object().ok_or("a field spec must be a mapping")?;
        let s = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let path = m
            .get("path")
            .and_then(Value::as_str)
            .ok_or("a field spec needs a `path`")?;
        for k in m.keys().filter(|_| strict) {
            if !matches!(
                k.as_str(),
                "path" | "group" | "version" | "kind" | "create" | "behavior"
            ) {
                return Err(format!("unknown field `{k}` in a field spec"));
            }
        }
        Ok(FieldSpec::new(
            path,
            &s("group"),
            &s("version"),
            &s("kind"),
            m.get("create").and_then(Value::as_bool).unwrap_or(false),
        ))
    }

    /// Whether the spec applies to a resource of this GVK.
    pub fn matches(&self, gvk: &Gvk) -> bool {
        gvk_selects(&self.group, &self.version, &self.kind, gvk)
    }

    fn gvk(&self) -> Gvk {
        Gvk {
            group: self.group.to_string(),
            version: self.version.to_string(),
            kind: self.kind.to_string(),
        }
    }
}

/// Whether a selector (empty parts are wildcards) selects `gvk`.
pub fn gvk_selects(group: &str, version: &str, kind: &str, gvk: &Gvk) -> bool {
    (group.is_empty() || group == gvk.group)
        && (version.is_empty() || version == gvk.version)
        && (kind.is_empty() || kind == gvk.kind)
}

/// Splits a dotted field path as kyaml's smarter path splitter does (replacements and vars): on
/// `.`, `\.` for a literal dot, one leading `.` ignored (`.metadata.name`); a bracketed segment
/// may hold dots: `[k=v]` stays a list selector, `[cert-manager.io/inject-ca-from]` (no `=`)
/// becomes the plain map key. Callers split `a[...]` suffixes their own way.
pub fn split_dotted(path: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for p in path.split('.') {
        match parts.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(p);
            }
            _ => parts.push(p.to_string()),
        }
    }
    if parts.len() > 1 && parts[0].is_empty() {
        parts.remove(0);
    }
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let elem = &parts[i];
        if elem.starts_with('[') && !elem.ends_with(']') {
            let mut joined = elem.clone();
            while i + 1 < parts.len() {
                i += 1;
                joined.push('.');
                joined.push_str(&parts[i]);
                if parts[i].ends_with(']') {
                    break;
                }
            }
            if joined.contains('=') {
                out.push(joined);
            } else {
                out.push(joined.trim_matches(|c| c == '[' || c == ']').to_string());
            }
        } else {
            out.push(elem.clone());
        }
        i += 1;
    }
    out
}

/// Splits `a/b\/c/d` into `["a", "b/c", "d"]`.
pub fn split_path(path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in path.split('/') {
        if let Some(last) = out.last_mut()
            && last.ends_with('\\')
        {
            last.pop();
            last.push('/');
            last.push_str(part);
        } else {
            out.push(part.to_string());
        }
    }
    out
}

/// What to create at the end of the path when it is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// A mapping (labels, annotations).
    Map,
    /// A scalar (namespace, image): the setter receives `Null` and fills it.
    Scalar,
}

/// Walks `value` along `fs` and calls `set` on each field found (or created).
///
/// # Errors
/// When a node on the path has the wrong shape (a scalar where a mapping is needed), or when
/// `set` fails; the message names the path.
pub fn walk(
    value: &mut Value,
    fs: &FieldSpec,
    create: Create,
    set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    walk_at(value, &fs.segments, fs.create, create, set)
        .map_err(|e| format!("field {}: {e}", fs.path))
}

/// Like [`walk`] but never creates missing fields, whatever the spec says.
///
/// # Errors
/// As [`walk`].
pub fn walk_existing(
    value: &mut Value,
    fs: &FieldSpec,
    set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    walk_at(value, &fs.segments, false, Create::Scalar, set)
        .map_err(|e| format!("field {}: {e}", fs.path))
}

/// Walks every spec of `specs` that selects the resource's kind and calls `set` on each field
/// found; missing fields are created as `create` says where the spec asks for it (`None`: never).
/// The one skeleton of the field-spec transformers (namespace, replicas, images, labels,
/// annotations).
///
/// # Errors
/// A field with the wrong shape, or `set` failing, naming the resource and the field.
pub(crate) fn walk_resource<'a>(
    r: &mut KRes,
    specs: impl IntoIterator<Item = &'a FieldSpec>,
    create: Option<Create>,
    set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), KustomizeError> {
    let gvk = r.res.gvk();
    for fs in specs.into_iter().filter(|fs| fs.matches(&gvk)) {
        match create {
            Some(create) => walk(&mut r.res.value, fs, create, set),
            None => walk_existing(&mut r.res.value, fs, set),
        }
        .map_err(|m| KustomizeError::invalid(r.location(""), format!("{}: {m}", kid(&r.id()))))?;
    }
    Ok(())
}

fn walk_at(
    node: &mut Value,
    segs: &[Cow<'static, str>],
    create_missing: bool,
    create: Create,
    set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    let Some((first, rest)) = segs.split_first() else {
        return set(node);
    };
    match node {
        Value::Array(items) => {
            for item in items {
                walk_at(item, segs, create_missing, create, set)?;
            }
            Ok(())
        }
        Value::Object(map) => {
            let (name, is_seq) = match first.strip_suffix("[]") {
                Some(n) => (n, true),
                None => (first.as_ref(), false),
            };
            let present = map.get(name).is_some_and(|v| !v.is_null());
            if !present {
                if is_seq {
                    // kustomize's field-spec filter takes `x[]` as a hint that a null `x` is a
                    // sequence and makes it one (`containers:` → `containers: []`), with or
                    // without `create`; a missing one stays missing.
                    if let Some(v) = map.get_mut(name) {
                        *v = Value::Array(Vec::new());
                    }
                    return Ok(());
                }
                if !create_missing {
                    return Ok(());
                }
                let fresh = if rest.is_empty() {
                    match create {
                        Create::Map => Value::Object(Map::new()),
                        Create::Scalar => Value::Null,
                    }
                } else {
                    Value::Object(Map::new())
                };
                map.insert(name.to_string(), fresh);
            }
            let Some(child) = map.get_mut(name) else {
                return Ok(());
            };
            if is_seq {
                match child {
                    Value::Array(items) => {
                        for item in items {
                            walk_at(item, rest, create_missing, create, set)?;
                        }
                        Ok(())
                    }
                    _ => Err(format!("`{name}` is not a sequence")),
                }
            } else {
                walk_at(child, rest, create_missing, create, set)
            }
        }
        Value::Null => Ok(()),
        _ => Err(format!("`{first}` is below a scalar")),
    }
}

/// Field-spec lists for each builtin transformer, kustomize's `TransformerConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransformerConfig {
    /// `namePrefix` fields.
    pub name_prefix: Vec<FieldSpec>,
    /// `nameSuffix` fields.
    pub name_suffix: Vec<FieldSpec>,
    /// `namespace` fields.
    pub namespace: Vec<FieldSpec>,
    /// `commonLabels` (and `labels` with selectors) fields.
    pub common_labels: Vec<FieldSpec>,
    /// Pod-template label fields (`labels` with `includeTemplates`).
    pub template_labels: Vec<FieldSpec>,
    /// Extra fields for every `labels` entry (a configuration's `labels`; none by default).
    pub labels: Vec<FieldSpec>,
    /// `commonAnnotations` fields.
    pub common_annotations: Vec<FieldSpec>,
    /// `images` fields.
    pub images: Vec<FieldSpec>,
    /// `replicas` fields.
    pub replicas: Vec<FieldSpec>,
    /// `vars` reference fields.
    pub var_reference: Vec<FieldSpec>,
    /// Name references: referred kind → fields that refer to it.
    pub name_reference: Vec<NameBackRef>,
}

/// Fields that refer to resources of one kind by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameBackRef {
    /// Group of the referred kind.
    pub group: String,
    /// Version of the referred kind.
    pub version: String,
    /// The referred kind.
    pub kind: String,
    /// The referring fields.
    pub field_specs: Vec<FieldSpec>,
}

// `DEFAULT_SPECS` and `DEFAULT_NAME_REFS`, generated from `fieldspecs.tsv` by `build.rs`.
include!(concat!(env!("OUT_DIR"), "/fieldspecs.rs"));

/// kustomize's default transformer configuration, assembled once from the compiled-in specs
/// (their text is not copied).
pub fn defaults() -> &'static TransformerConfig {
    static CONFIG: OnceLock<TransformerConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let mut cfg = TransformerConfig::default();
        for (section, fs) in DEFAULT_SPECS {
            if let Some(list) = cfg.section(section) {
                list.push(fs.clone());
            }
        }
        for (group, version, kind, fs) in DEFAULT_NAME_REFS {
            cfg.add_name_ref(group, version, kind, fs.clone());
        }
        cfg
    })
}

impl TransformerConfig {
    /// The list of a `fieldspecs.tsv` section (`namePrefix`, `commonLabels`, ...).
    fn section(&mut self, name: &str) -> Option<&mut Vec<FieldSpec>> {
        Some(match name {
            "namePrefix" => &mut self.name_prefix,
            "nameSuffix" => &mut self.name_suffix,
            "namespace" => &mut self.namespace,
            "commonLabels" => &mut self.common_labels,
            "templateLabels" => &mut self.template_labels,
            "commonAnnotations" => &mut self.common_annotations,
            "images" => &mut self.images,
            "replicas" => &mut self.replicas,
            "varReference" => &mut self.var_reference,
            _ => return None,
        })
    }

    /// Adds a field referring to resources of one kind by name (grouped by that kind).
    fn add_name_ref(&mut self, group: &str, version: &str, kind: &str, fs: FieldSpec) {
        match self
            .name_reference
            .iter_mut()
            .find(|b| b.kind == kind && b.group == group && b.version == version)
        {
            Some(b) => b.field_specs.push(fs),
            None => self.name_reference.push(NameBackRef {
                group: group.to_string(),
                version: version.to_string(),
                kind: kind.to_string(),
                field_specs: vec![fs],
            }),
        }
    }
}

/// Reads the `F`/`R` lines of `fieldspecs.tsv` at run time: the oracle the compiled-in specs
/// are checked against.
#[cfg(test)]
fn parse_table(text: &str) -> TransformerConfig {
    let mut cfg = TransformerConfig::default();
    for line in text.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let spec = |c: &[&str]| FieldSpec::new(c[0], c[1], c[2], c[3], c[4] == "1");
        match cols.as_slice() {
            ["F", section, rest @ ..] if rest.len() == 5 => {
                if let Some(list) = cfg.section(section) {
                    list.push(spec(rest));
                }
            }
            ["R", group, version, kind, rest @ ..] if rest.len() == 5 => {
                cfg.add_name_ref(group, version, kind, spec(rest));
            }
            _ => {}
        }
    }
    cfg
}

/// kustomize's order of field specs: kinds of its legacy output order first, the webhook
/// configurations last, then by `group_version_kind` with `~` for empty parts.
fn kustomize_order(fs: &FieldSpec) -> (i32, String) {
    use super::order::{ORDER_FIRST as FIRST, ORDER_LAST as LAST};
    let rank = if let Some(i) = FIRST.iter().position(|k| *k == fs.kind) {
        i as i32 - FIRST.len() as i32
    } else if let Some(i) = LAST.iter().position(|k| *k == fs.kind) {
        1 + i as i32
    } else {
        0
    };
    let or = |s: &str, d: &str| {
        if s.is_empty() {
            d.to_string()
        } else {
            s.to_string()
        }
    };
    (
        rank,
        format!(
            "{}_{}_{}",
            or(&fs.group, "~G"),
            or(&fs.version, "~V"),
            or(&fs.kind, "~K")
        ),
    )
}

/// Adds `fs` unless a spec for the same path that `fs`'s group/version/kind selects is there
/// already (kustomize's `FsSlice.MergeOne`: a generic spec after a specific one is dropped).
pub fn merge_one(list: &mut Vec<FieldSpec>, fs: FieldSpec) {
    let shadowed = list
        .iter()
        .any(|x| x.path == fs.path && gvk_selects(&fs.group, &fs.version, &fs.kind, &x.gvk()));
    if !shadowed {
        list.push(fs);
    }
}

/// The `properties` of a definition's `Schema` (keys matched case-insensitively, as Go's JSON).
fn schema_props<'a>(defs: &'a crate::value::Map, name: &str) -> Option<&'a crate::value::Map> {
    let def = defs.get(name)?.as_object()?;
    let schema = def
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Schema"))?
        .1;
    schema.get("properties")?.as_object()
}

/// What kustomize makes of defaults merged with `configurations:`: merged, sorted, then merged
/// again into the accumulator, so a generic spec (e.g. the default `metadata/name` for
/// prefixes) gives way to a specific one for the same path that sorts before it.
fn normalize(list: &mut Vec<FieldSpec>) {
    let mut merged = Vec::with_capacity(list.len());
    for fs in list.drain(..) {
        merge_one(&mut merged, fs);
    }
    merged.sort_by_cached_key(kustomize_order);
    for fs in merged {
        merge_one(list, fs);
    }
}

fn push_unique(list: &mut Vec<FieldSpec>, fs: FieldSpec) {
    if !list.contains(&fs) {
        list.push(fs);
    }
}

impl TransformerConfig {
    /// Merges a `configurations:` document (same keys as kustomize's transformer configs).
    ///
    /// # Errors
    /// An unknown key or a malformed field spec, as a message.
    pub fn merge_value(&mut self, v: &Value) -> Result<(), String> {
        self.merge_value_with(v, push_unique)
    }

    fn merge_value_with(
        &mut self,
        v: &Value,
        push: fn(&mut Vec<FieldSpec>, FieldSpec),
    ) -> Result<(), String> {
        let Some(m) = v.as_object() else {
            return Err("a transformer configuration must be a mapping".into());
        };
        // kustomize decodes these strictly, with field names matched case-insensitively.
        const KEYS: [&str; 11] = [
            "namePrefix",
            "nameSuffix",
            "namespace",
            "commonLabels",
            "labels",
            "templateLabels",
            "commonAnnotations",
            "nameReference",
            "varReference",
            "images",
            "replicas",
        ];
        for (key, val) in m {
            let canon = KEYS
                .iter()
                .find(|k| k.eq_ignore_ascii_case(key))
                .copied()
                .unwrap_or(key.as_str());
            let list = match canon {
                "namePrefix" => &mut self.name_prefix,
                "nameSuffix" => &mut self.name_suffix,
                "namespace" => &mut self.namespace,
                "commonLabels" => &mut self.common_labels,
                "labels" => &mut self.labels,
                "templateLabels" => &mut self.template_labels,
                "commonAnnotations" => &mut self.common_annotations,
                "images" => &mut self.images,
                "replicas" => &mut self.replicas,
                "varReference" => &mut self.var_reference,
                "nameReference" => {
                    for r in val.as_array().map(Vec::as_slice).unwrap_or_default() {
                        self.merge_name_ref(r, push)?;
                    }
                    continue;
                }
                other => return Err(format!("unknown transformer configuration `{other}`")),
            };
            for item in val.as_array().map(Vec::as_slice).unwrap_or_default() {
                push(list, FieldSpec::from_value(item)?);
            }
        }
        Ok(())
    }

    fn merge_name_ref(
        &mut self,
        r: &Value,
        push: fn(&mut Vec<FieldSpec>, FieldSpec),
    ) -> Result<(), String> {
        let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let (group, version, kind) = (s("group"), s("version"), s("kind"));
        let specs = r
            .get("fieldSpecs")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(FieldSpec::from_value)
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(existing) = self
            .name_reference
            .iter_mut()
            .find(|b| b.kind == kind && b.group == group && b.version == version)
        {
            for fs in specs {
                push(&mut existing.field_specs, fs);
            }
        } else {
            self.name_reference.push(NameBackRef {
                group,
                version,
                kind,
                field_specs: specs,
            });
        }
        Ok(())
    }

    /// Adds the field specs an OpenAPI definitions document (a `crds:` file: type name →
    /// `{Schema, Dependencies}`) declares through `x-kubernetes-*` extensions on the properties
    /// of Kubernetes-like types (those with `kind`, `apiVersion` and `metadata`), following
    /// `$ref`s: `object-ref-kind`/`-api-version` (and `-name-key`) make a name reference,
    /// `annotation` an annotations field, `label-selector` a labels field, `identity` a prefix
    /// field. The kind is the type name's last `.` part.
    ///
    /// # Errors
    /// A document that is not a mapping of definitions.
    pub fn merge_crd_schemas(&mut self, doc: &Value) -> Result<(), String> {
        let defs = doc
            .as_object()
            .ok_or("a crds file must map type names to OpenAPI definitions")?;
        for name in defs.keys() {
            let props = schema_props(defs, name);
            let k8s = props.is_some_and(|p| {
                ["kind", "apiVersion", "metadata"]
                    .iter()
                    .all(|k| p.contains_key(*k))
            });
            if !k8s {
                continue;
            }
            let kind = name.rsplit('.').next().unwrap_or(name).to_string();
            let mut path = Vec::new();
            self.crd_type(defs, &kind, name, &mut path, 0);
        }
        Ok(())
    }

    fn crd_type(
        &mut self,
        defs: &crate::value::Map,
        kind: &str,
        type_name: &str,
        path: &mut Vec<String>,
        depth: usize,
    ) {
        // kustomize recurses without bound; a self-referencing schema stops here instead.
        if depth > 32 {
            return;
        }
        let Some(props) = schema_props(defs, type_name) else {
            return;
        };
        for (prop, schema) in props {
            path.push(prop.clone());
            let ext = |key: &str| -> Option<&str> {
                schema
                    .as_object()?
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .and_then(|(_, v)| v.as_str())
            };
            let fs = |p: &[String]| FieldSpec::new(&p.join("/"), "", "", kind, false);
            if ext("x-kubernetes-annotation").is_some() {
                merge_one(&mut self.common_annotations, fs(path));
            }
            if ext("x-kubernetes-label-selector").is_some() {
                merge_one(&mut self.common_labels, fs(path));
            }
            if ext("x-kubernetes-identity").is_some() {
                merge_one(&mut self.name_prefix, fs(path));
            }
            if let (Some(version), Some(ref_kind)) = (
                ext("x-kubernetes-object-ref-api-version"),
                ext("x-kubernetes-object-ref-kind"),
            ) {
                let key = ext("x-kubernetes-object-ref-name-key").unwrap_or("name");
                let mut p = path.clone();
                p.push(key.to_string());
                let back = NameBackRef {
                    group: String::new(),
                    version: version.to_string(),
                    kind: ref_kind.to_string(),
                    field_specs: vec![fs(&p)],
                };
                let mut one = TransformerConfig::default();
                one.name_reference.push(back);
                self.merge(&one);
            }
            if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
                self.crd_type(defs, kind, r, path, depth + 1);
            }
            path.pop();
        }
    }

    /// Applies kustomize's merge-and-sort of field specs (see [`normalize`]) to every list.
    pub fn normalize(&mut self) {
        for list in [
            &mut self.name_prefix,
            &mut self.name_suffix,
            &mut self.namespace,
            &mut self.common_labels,
            &mut self.template_labels,
            &mut self.labels,
            &mut self.common_annotations,
            &mut self.images,
            &mut self.replicas,
            &mut self.var_reference,
        ] {
            normalize(list);
        }
    }

    /// Adds everything from `other` not already present.
    pub fn merge(&mut self, other: &TransformerConfig) {
        let pairs: [(&mut Vec<FieldSpec>, &Vec<FieldSpec>); 10] = [
            (&mut self.name_prefix, &other.name_prefix),
            (&mut self.name_suffix, &other.name_suffix),
            (&mut self.namespace, &other.namespace),
            (&mut self.common_labels, &other.common_labels),
            (&mut self.template_labels, &other.template_labels),
            (&mut self.labels, &other.labels),
            (&mut self.common_annotations, &other.common_annotations),
            (&mut self.images, &other.images),
            (&mut self.replicas, &other.replicas),
            (&mut self.var_reference, &other.var_reference),
        ];
        for (mine, theirs) in pairs {
            for fs in theirs {
                push_unique(mine, fs.clone());
            }
        }
        for b in &other.name_reference {
            if let Some(existing) = self
                .name_reference
                .iter_mut()
                .find(|x| x.kind == b.kind && x.group == b.group && x.version == b.version)
            {
                for fs in &b.field_specs {
                    push_unique(&mut existing.field_specs, fs.clone());
                }
            } else {
                self.name_reference.push(b.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn compiled_defaults_match_the_tsv() {
        assert_eq!(*defaults(), parse_table(include_str!("fieldspecs.tsv")));
    }

    #[test]
    fn defaults_load() {
        let d = defaults();
        assert_eq!(d.name_prefix.len(), 1);
        assert!(d.common_labels.len() > 20);
        assert_eq!(d.images.len(), 6);
        assert!(d.name_reference.iter().any(|b| b.kind == "ConfigMap"));
        assert_eq!(d.template_labels.len(), 9);
    }

    /// `configurations:` files are decoded strictly by kustomize, builtin plugin configs not.
    #[test]
    fn unknown_field_spec_keys() {
        let v = json!({"path": "metadata/name", "kind": "ClusterRole", "name": "x"});
        assert!(FieldSpec::from_value(&v).unwrap_err().contains("`name`"));
        let fs = FieldSpec::from_plugin_value(&v).unwrap();
        assert_eq!((&*fs.path, &*fs.kind), ("metadata/name", "ClusterRole"));
        assert!(FieldSpec::from_plugin_value(&json!({"name": "x"})).is_err());
    }

    #[test]
    fn null_sequence_becomes_empty() {
        let v = json!({"spec": {"containers": null, "volumes": null}});
        let want = json!({"spec": {"containers": [], "volumes": null}});
        assert_eq!(run(v.clone(), "spec/containers[]/image", true), want);
        assert_eq!(run(v.clone(), "spec/containers[]/image", false), want);
        assert_eq!(run(v.clone(), "spec/containers/image", false), v);
        assert_eq!(
            run(json!({"spec": {}}), "spec/containers[]/image", true),
            json!({"spec": {}})
        );
    }

    #[test]
    fn split_escapes() {
        assert_eq!(
            split_path("metadata/annotations/a.io\\/b"),
            vec!["metadata", "annotations", "a.io/b"]
        );
    }

    fn run(mut v: Value, path: &str, create: bool) -> Value {
        let fs = FieldSpec::new(path, "", "", "", create);
        walk(&mut v, &fs, Create::Scalar, &mut |n| {
            *n = json!("X");
            Ok(())
        })
        .unwrap();
        v
    }

    #[test]
    fn walker_table() {
        let cases = [
            (
                "through sequences",
                json!({"spec":{"c":[{"image":"a"},{"image":"b"}]}}),
                "spec/c/image",
                false,
                json!({"spec":{"c":[{"image":"X"},{"image":"X"}]}}),
            ),
            (
                "create",
                json!({}),
                "metadata/namespace",
                true,
                json!({"metadata":{"namespace":"X"}}),
            ),
            (
                "no create leaves missing",
                json!({"a":1}),
                "metadata/namespace",
                false,
                json!({"a":1}),
            ),
            (
                "[] never creates",
                json!({"spec":{}}),
                "spec/c[]/image",
                true,
                json!({"spec":{}}),
            ),
        ];
        for (name, input, path, create, want) in cases {
            assert_eq!(run(input, path, create), want, "{name}");
        }
    }

    #[test]
    fn walker_error_names_field() {
        let fs = FieldSpec::new("spec/x/y", "", "", "", true);
        let mut v = json!({"spec":{"x":"scalar"}});
        let err = walk(&mut v, &fs, Create::Map, &mut |_| Ok(())).unwrap_err();
        assert!(err.contains("spec/x/y"), "{err}");
    }
}
