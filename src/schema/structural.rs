//! The checks the API server applies to a CustomResourceDefinition itself on create: names that
//! match `metadata.name` (`<plural>.<group>`), exactly one storage version, and schemas that are
//! structural (every node typed unless `x-kubernetes-int-or-string` or
//! `x-kubernetes-preserve-unknown-fields`; no `properties` beside `additionalProperties`; metadata
//! restricted in `name` and `generateName` only; list types and map keys consistent; no `$ref`
//! and the other forbidden keywords; defaults valid against their own schema).
//!
//! Owns only those rules; returns findings with JSON pointers into the CRD, renders nothing.

use crate::value::{Map, Value};

use crate::finding::Finding;

use super::node::MAX_DEPTH;

/// Keywords a structural schema must not use.
const FORBIDDEN: &[&str] = &[
    "$ref",
    "$schema",
    "id",
    "definitions",
    "dependencies",
    "additionalItems",
    "patternProperties",
];

/// Every structural problem of a CRD, as errors at their pointer.
/// Only `apiextensions.k8s.io/v1` is checked: older versions are not served any more (the removed
/// API is reported instead).
pub fn check(crd: &Value) -> Vec<Finding> {
    check_for(crd, None)
}

/// [`check`] for the API server of Kubernetes 1.`minor` (`None`: the newest), whose CEL
/// environment decides which rules compile.
pub fn check_for(crd: &Value, minor: Option<u32>) -> Vec<Finding> {
    let mut out = Vec::new();
    if crd.get("apiVersion").and_then(Value::as_str) != Some("apiextensions.k8s.io/v1") {
        return out;
    }
    names(crd, &mut out);
    // Missing fields are the CRD schema's to report (`schema-required`); these checks are about
    // the values that are there.
    let versions = crd.pointer("/spec/versions").and_then(Value::as_array);
    if versions.is_some_and(|v| v.is_empty()) {
        out.push(err(
            "/spec/versions",
            "spec.versions: Required value: at least one version is needed",
        ));
    }
    let versions = versions.map(Vec::as_slice).unwrap_or_default();
    let storage = versions
        .iter()
        .filter(|v| v.get("storage") == Some(&Value::Bool(true)))
        .count();
    if !versions.is_empty() && storage != 1 {
        out.push(err(
            "/spec/versions",
            format!(
                "spec.versions: Invalid value: must have exactly one version marked as storage version, found {storage}"
            ),
        ));
    }
    if !versions.is_empty()
        && !versions
            .iter()
            .any(|v| v.get("served") == Some(&Value::Bool(true)))
    {
        out.push(err(
            "/spec/versions",
            "spec.versions: Invalid value: at least one version must be served",
        ));
    }
    let mut seen = Vec::new();
    for (i, v) in versions.iter().enumerate() {
        let name = v.get("name").and_then(Value::as_str).unwrap_or("");
        if seen.contains(&name) {
            out.push(err(
                &format!("/spec/versions/{i}/name"),
                format!("spec.versions[{i}].name: Duplicate value: {name:?}"),
            ));
        }
        seen.push(name);
        let Some(schema) = v.pointer("/schema/openAPIV3Schema") else {
            // apiextensions.k8s.io/v1 requires a schema for every version.
            out.push(err(
                &format!("/spec/versions/{i}"),
                format!(
                    "spec.versions[{i}].schema.openAPIV3Schema: Required value: schemas are required"
                ),
            ));
            continue;
        };
        {
            let at = format!("/spec/versions/{i}/schema/openAPIV3Schema");
            root_schema(schema, &at, &mut out);
            let mut total = Total::default();
            rules_compile(schema, &at, minor, (0, Some(1)), &mut total, &mut out);
            total.report(&at, &mut out);
        }
    }
    out
}

fn err(pointer: &str, message: impl Into<String>) -> Finding {
    Finding::error("crd-structural", pointer, message)
}

/// A pointer into the CRD as the field it names, with a schema's `properties` levels left out:
/// `/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/port/type` →
/// `spec.versions[0] schema: spec.port.type`.
fn dotted(pointer: &str) -> String {
    let Some(rest) = pointer.strip_prefix("/spec/versions/") else {
        return super::kubernetes::dotted(pointer);
    };
    let (index, rest) = rest.split_once('/').unwrap_or((rest, ""));
    let Some(rest) = rest.strip_prefix("schema/openAPIV3Schema") else {
        return super::kubernetes::dotted(pointer);
    };
    let mut segments = Vec::new();
    let mut parts = rest.split('/').skip(1).peekable();
    while let Some(seg) = parts.next() {
        if seg == "properties" && parts.peek().is_some() {
            continue;
        }
        segments.push(seg);
    }
    let inner = super::kubernetes::dotted(&format!("/{}", segments.join("/")));
    format!("spec.versions[{index}] schema: {inner}")
}

fn names(crd: &Value, out: &mut Vec<Finding>) {
    let s = |p: &str| crd.pointer(p).and_then(Value::as_str).unwrap_or("");
    let (name, group, plural) = (
        s("/metadata/name"),
        s("/spec/group"),
        s("/spec/names/plural"),
    );
    if plural != plural.to_ascii_lowercase() {
        out.push(err(
            "/spec/names/plural",
            format!("spec.names.plural: Invalid value: {plural:?}: must be lowercase"),
        ));
    }
    if crd.pointer("/spec/group").is_some() && !group.contains('.') {
        out.push(err(
            "/spec/group",
            format!(
                "spec.group: Invalid value: {group:?}: should be a domain with at least one dot"
            ),
        ));
    }
    if !plural.is_empty() && !group.is_empty() && name != format!("{plural}.{group}") {
        out.push(err(
            "/metadata/name",
            format!(
                "metadata.name: Invalid value: {name:?}: must be spec.names.plural+\".\"+spec.group ({plural}.{group})"
            ),
        ));
    }
    let scope = s("/spec/scope");
    if crd.pointer("/spec/scope").is_some() && !["Namespaced", "Cluster"].contains(&scope) {
        out.push(err(
            "/spec/scope",
            format!("spec.scope: Unsupported value: {scope:?}: supported values: \"Cluster\", \"Namespaced\""),
        ));
    }
}

fn root_schema(schema: &Value, at: &str, out: &mut Vec<Finding>) {
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        out.push(err(
            &format!("{at}/type"),
            format!(
                "{}: Invalid value: must be object at the root",
                dotted(&format!("{at}/type"))
            ),
        ));
    }
    if let Some(meta) = schema.pointer("/properties/metadata") {
        metadata(meta, &format!("{at}/properties/metadata"), out);
    }
    node(schema, at, 0, false, out);
    defaults_valid(schema, at, out);
}

/// `metadata` may only restrict `name` and `generateName`.
fn metadata(meta: &Value, at: &str, out: &mut Vec<Finding>) {
    let Some(m) = meta.as_object() else { return };
    for (k, v) in m {
        let ok = match k.as_str() {
            "type" => v == "object",
            "description" => true,
            "properties" => v
                .as_object()
                .is_some_and(|p| p.keys().all(|k| k == "name" || k == "generateName")),
            _ => false,
        };
        if !ok {
            out.push(err(
                &format!("{at}/{k}"),
                format!(
                    "{}: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified",
                    dotted(&format!("{at}/{k}"))
                ),
            ));
        }
    }
}

/// One schema node and, recursively, its children. `in_value` is true inside
/// `allOf`/`anyOf`/`oneOf`/`not`, where types and defaults are not written (except the
/// `anyOf: [{type: integer}, {type: string}]` of an int-or-string).
fn node(schema: &Value, at: &str, depth: usize, in_value: bool, out: &mut Vec<Finding>) {
    node_in(schema, at, depth, in_value, false, out)
}

fn node_in(
    schema: &Value,
    at: &str,
    depth: usize,
    in_value: bool,
    int_or_string_parent: bool,
    out: &mut Vec<Finding>,
) {
    let Some(m) = schema.as_object() else { return };
    if depth > MAX_DEPTH {
        return;
    }
    let here = |k: &str| format!("{at}/{}", super::kubernetes::escape_segment(k));
    let flag = |k: &str| m.get(k) == Some(&Value::Bool(true));
    for k in FORBIDDEN {
        if m.contains_key(*k) {
            out.push(err(
                &here(k),
                format!(
                    "{}: Forbidden: {k} is not supported in a structural schema",
                    dotted(&here(k))
                ),
            ));
        }
    }
    if flag("uniqueItems") {
        out.push(err(
            &here("uniqueItems"),
            format!(
                "{}: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
                dotted(&here("uniqueItems"))
            ),
        ));
    }
    if m.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(false)) {
        out.push(err(
            &here("x-kubernetes-preserve-unknown-fields"),
            format!(
                "{}: Invalid value: false: must be true or undefined",
                dotted(&here("x-kubernetes-preserve-unknown-fields"))
            ),
        ));
    }
    let ty = m.get("type").and_then(Value::as_str).unwrap_or("");
    let int_or_string = flag("x-kubernetes-int-or-string");
    if !in_value {
        if ty.is_empty() && !int_or_string && !flag("x-kubernetes-preserve-unknown-fields") {
            out.push(err(
                &here("type"),
                format!(
                    "{}: Required value: must not be empty for specified object fields",
                    dotted(&here("type"))
                ),
            ));
        }
        // A `type` beside `x-kubernetes-int-or-string` is allowed (the API server's structural
        // invariants do not forbid it; values are checked as integer or string).
        if flag("x-kubernetes-embedded-resource") && ty != "object" {
            out.push(err(
                &here("type"),
                format!("{}: Invalid value: {ty:?}: must be object if x-kubernetes-embedded-resource is true", dotted(&here("type"))),
            ));
        }
    } else {
        for k in [
            "type",
            "default",
            "nullable",
            "x-kubernetes-embedded-resource",
        ] {
            let int_or_string_branch =
                k == "type" && int_or_string_parent && (ty == "integer" || ty == "string");
            if m.contains_key(k) && !int_or_string_branch {
                out.push(err(
                    &here(k),
                    format!(
                        "{}: Forbidden: must be empty to be structural",
                        dotted(&here(k))
                    ),
                ));
            }
        }
    }
    // `additionalProperties: true` beside properties is allowed; `false` or a schema is not.
    let has_properties = m
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    let additional = m
        .get("additionalProperties")
        .is_some_and(|a| a != &Value::Bool(true));
    if has_properties && additional {
        out.push(err(
            &here("additionalProperties"),
            format!(
                "{}: Forbidden: additionalProperties and properties are mutual exclusive",
                dotted(&here("additionalProperties"))
            ),
        ));
    }
    if ty == "array" && !in_value && !m.contains_key("items") {
        out.push(err(
            &here("items"),
            format!(
                "{}: Required value: must be specified",
                dotted(&here("items"))
            ),
        ));
    }
    list_type(m, ty, at, out);
    if let Some(Value::String(p)) = m.get("pattern")
        && let Some(why) = pattern_error(p)
    {
        let shown = crate::finding::bounded(p, 60);
        out.push(err(
            &here("pattern"),
            format!(
                "{}: Invalid value: {shown:?}: must be a valid regular expression, but isn't: {why}",
                dotted(&here("pattern"))
            ),
        ));
    }
    for (p, v, branch) in children(m, at) {
        match branch {
            Branch::Field => node(v, &p, depth + 1, in_value, out),
            Branch::Combinator => node_in(v, &p, depth + 1, true, int_or_string, out),
            Branch::Not => node(v, &p, depth + 1, true, out),
        }
    }
}

/// How a child schema sits under its parent.
enum Branch {
    /// `properties`, `items`, `additionalProperties`.
    Field,
    /// `allOf`, `anyOf`, `oneOf`.
    Combinator,
    /// `not`.
    Not,
}

/// The child schemas of a node, with their pointers.
fn children<'a>(m: &'a Map, at: &str) -> Vec<(String, &'a Value, Branch)> {
    let here = |k: &str| format!("{at}/{}", super::kubernetes::escape_segment(k));
    let mut out = Vec::new();
    if let Some(Value::Object(props)) = m.get("properties") {
        for (k, v) in props {
            let p = format!(
                "{}/{}",
                here("properties"),
                super::kubernetes::escape_segment(k)
            );
            out.push((p, v, Branch::Field));
        }
    }
    for k in ["items", "additionalProperties"] {
        if let Some(v @ Value::Object(_)) = m.get(k) {
            out.push((here(k), v, Branch::Field));
        }
    }
    for k in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(vs)) = m.get(k) {
            for (i, v) in vs.iter().enumerate() {
                out.push((format!("{}/{i}", here(k)), v, Branch::Combinator));
            }
        }
    }
    if let Some(v) = m.get("not") {
        out.push((here("not"), v, Branch::Not));
    }
    out
}

/// The estimated cost of a schema's rules, which the API server bounds as a whole. Rules over
/// their own budget are reported on their own and left out here: one error per cause.
#[derive(Default)]
struct Total {
    sum: u64,
    /// The costliest rules (at least 1% of the limit), at most four, costliest first.
    costliest: Vec<(u64, String)>,
}

impl Total {
    fn observe(&mut self, cost: u64, pointer: &str) {
        if cost > super::cel::RULE_LIMIT {
            return;
        }
        self.sum = self.sum.saturating_add(cost);
        if cost < super::cel::CRD_LIMIT / 100 {
            return;
        }
        self.costliest.push((cost, pointer.to_string()));
        self.costliest.sort_by_key(|c| std::cmp::Reverse(c.0));
        self.costliest.truncate(4);
    }

    fn report(self, at: &str, out: &mut Vec<Finding>) {
        use super::cel::CRD_LIMIT;
        if self.sum <= CRD_LIMIT {
            return;
        }
        for (_, p) in &self.costliest {
            out.push(Finding::error(
                "crd-rule-cost",
                p,
                crate::finding::path_message(
                    &dotted(p),
                    "Forbidden: contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema",
                ),
            ));
        }
        let why = super::cel::over_budget(
            "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema",
            self.sum,
            CRD_LIMIT,
        );
        out.push(Finding::error(
            "crd-rule-cost",
            at,
            crate::finding::path_message(&dotted(at), &format!("Forbidden: {why}")),
        ));
    }
}

/// How many values a schema's children can have per value of it (its `maxItems` or
/// `maxProperties`; one for an object's properties), `None` when unbounded.
fn max_elements(m: &Map) -> Option<u64> {
    let bound = |k: &str| m.get(k).and_then(Value::as_i64).map(|n| n.max(0) as u64);
    match m.get("type").and_then(Value::as_str) {
        Some("object") if m.contains_key("additionalProperties") => bound("maxProperties"),
        Some("array") => bound("maxItems"),
        _ => Some(1),
    }
}

/// A compiled rule's estimated `cost` on `node` times how many times the node can occur in one
/// object (`cardinality`; when an ancestor is unbounded, as many as fit in a request).
fn times_cardinality(
    cost: u64,
    node: &super::node::Node,
    at_root: bool,
    cardinality: Option<u64>,
) -> u64 {
    let times = cardinality
        .unwrap_or_else(|| super::cel::unbounded_cardinality(node, at_root || node.embedded));
    cost.saturating_mul(times)
}

/// Every `x-kubernetes-validations` rule and `messageExpression` under a schema node must compile
/// in the API server's CEL environment (of Kubernetes 1.`minor`), or the CRD is refused; and its
/// estimated cost, times how many times the node can occur in one object (`cardinality`, `None`
/// when an ancestor is unbounded), must be within the API server's budget.
fn rules_compile(
    schema: &Value,
    at: &str,
    minor: Option<u32>,
    (depth, cardinality): (usize, Option<u64>),
    total: &mut Total,
    out: &mut Vec<Finding>,
) {
    let Some(m) = schema.as_object() else { return };
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(Value::Array(rules)) = m.get("x-kubernetes-validations") {
        // The type `self` has in these rules.
        let node = super::node::Node::from_schema(schema);
        for (i, r) in rules.iter().enumerate() {
            for field in ["rule", "messageExpression"] {
                let Some(source) = r.get(field).and_then(Value::as_str) else {
                    continue;
                };
                let message = field == "messageExpression";
                let p = format!("{at}/x-kubernetes-validations/{i}/{field}");
                match super::cel::compile_typed(source, minor, &node, depth == 0, message) {
                    Err(why) => out.push(Finding::error(
                        "crd-rule-compile",
                        &p,
                        crate::finding::path_message(
                            &dotted(&p),
                            &format!("Invalid value: compilation failed: {why}"),
                        ),
                    )),
                    Ok(cost) => {
                        let cost = times_cardinality(cost, &node, depth == 0, cardinality);
                        if cost > super::cel::RULE_LIMIT {
                            let what = if message {
                                "estimated messageExpression cost"
                            } else {
                                "estimated rule cost"
                            };
                            let why = super::cel::over_budget(what, cost, super::cel::RULE_LIMIT);
                            out.push(Finding::error(
                                "crd-rule-cost",
                                &p,
                                crate::finding::path_message(
                                    &dotted(&p),
                                    &format!("Forbidden: {why}"),
                                ),
                            ));
                        }
                        total.observe(cost, &p);
                    }
                }
            }
        }
    }
    let per_child = max_elements(m);
    for (p, v, branch) in children(m, at) {
        let times = match branch {
            Branch::Field => cardinality.zip(per_child).map(|(a, b)| a.saturating_mul(b)),
            _ => cardinality,
        };
        rules_compile(v, &p, minor, (depth + 1, times), total, out);
    }
}

/// Why the API server's regexp package (Go's, RE2 syntax) refuses a `pattern`: what does not
/// parse, or a repeat count over 1,000 (Go's limit; the `regex` crate allows more).
fn pattern_error(pattern: &str) -> Option<String> {
    if let Err(e) = regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
    {
        let text = e.to_string();
        let last = text.lines().last().unwrap_or("").trim();
        return Some(crate::finding::bounded(last, 80));
    }
    let b = pattern.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'{' => {
                let end = b[i..].iter().position(|&c| c == b'}').map(|n| i + n);
                if let Some(end) = end {
                    let counts = &pattern[i + 1..end];
                    let over = counts
                        .split(',')
                        .filter_map(|n| n.trim().parse::<u64>().ok())
                        .any(|n| n > 1000);
                    if over && counts.bytes().all(|c| c.is_ascii_digit() || c == b',') {
                        return Some(format!("invalid repeat count: `{{{counts}}}`"));
                    }
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

fn list_type(m: &Map, ty: &str, at: &str, out: &mut Vec<Finding>) {
    let here = |k: &str| format!("{at}/{k}");
    let list_type = m.get("x-kubernetes-list-type").and_then(Value::as_str);
    let keys = m.get("x-kubernetes-list-map-keys");
    if let Some(lt) = list_type {
        if ty != "array" {
            out.push(err(
                &here("x-kubernetes-list-type"),
                format!(
                    "{}: Invalid value: {lt:?}: must only be used on type array",
                    dotted(&here("x-kubernetes-list-type"))
                ),
            ));
        }
        if !["atomic", "set", "map"].contains(&lt) {
            out.push(err(
                &here("x-kubernetes-list-type"),
                format!(
                    "{}: Unsupported value: {lt:?}: supported values: \"atomic\", \"map\", \"set\"",
                    dotted(&here("x-kubernetes-list-type"))
                ),
            ));
        }
    }
    let items = m.get("items");
    let item_type = items
        .and_then(|i| i.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("");
    match list_type {
        Some("map") => {
            let keys: Vec<&str> = keys
                .and_then(Value::as_array)
                .map(|k| k.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if keys.is_empty() {
                out.push(err(
                    &here("x-kubernetes-list-map-keys"),
                    format!(
                        "{}: Required value: must not be empty if x-kubernetes-list-type is map",
                        dotted(&here("x-kubernetes-list-map-keys"))
                    ),
                ));
            }
            if item_type != "object" {
                out.push(err(
                    &here("items"),
                    format!("{}: Invalid value: must be of type object if x-kubernetes-list-type is map", dotted(&here("items"))),
                ));
            }
            let required: Vec<&str> = items
                .and_then(|i| i.get("required"))
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for key in keys {
                let prop = items.and_then(|i| i.pointer(&format!("/properties/{key}")));
                let message = match prop {
                    None => Some("is not a property of the items".to_string()),
                    Some(p) => {
                        let t = p.get("type").and_then(Value::as_str).unwrap_or("");
                        if !["string", "integer", "number", "boolean"].contains(&t) {
                            Some(format!("must be a scalar property, found type {t:?}"))
                        } else if !required.contains(&key) && p.get("default").is_none() {
                            Some("must be required or have a default".to_string())
                        } else {
                            None
                        }
                    }
                };
                if let Some(msg) = message {
                    out.push(err(
                        &here("x-kubernetes-list-map-keys"),
                        format!(
                            "{}: Invalid value: {key:?}: {msg}",
                            dotted(&here("x-kubernetes-list-map-keys"))
                        ),
                    ));
                }
            }
        }
        Some("set") if item_type == "object" || item_type == "array" => out.push(err(
            &here("items"),
            format!(
                "{}: Invalid value: items of a set must be scalars, found {item_type}",
                dotted(&here("items"))
            ),
        )),
        _ => {
            if keys.is_some() {
                out.push(err(
                    &here("x-kubernetes-list-map-keys"),
                    format!(
                        "{}: Forbidden: must be empty if x-kubernetes-list-type is not map",
                        dotted(&here("x-kubernetes-list-map-keys"))
                    ),
                ));
            }
        }
    }
}

/// The defaults of a schema (not inside `allOf`/`anyOf`/`oneOf`/`not`): pointer, node, value.
fn collect_defaults<'a>(
    schema: &'a Value,
    at: String,
    depth: usize,
    out: &mut Vec<(String, &'a Value, &'a Value)>,
) {
    let Some(m) = schema.as_object() else { return };
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(d) = m.get("default") {
        out.push((format!("{at}/default"), schema, d));
    }
    if let Some(Value::Object(props)) = m.get("properties") {
        for (k, v) in props {
            let p = format!("{at}/properties/{}", super::kubernetes::escape_segment(k));
            collect_defaults(v, p, depth + 1, out);
        }
    }
    for k in ["items", "additionalProperties"] {
        if let Some(v) = m.get(k) {
            collect_defaults(v, format!("{at}/{k}"), depth + 1, out);
        }
    }
}

/// Every default must validate against its own node's schema (unknown fields included); all of
/// one version's defaults are checked with one compiled schema.
fn defaults_valid(schema: &Value, at: &str, out: &mut Vec<Finding>) {
    let mut found = Vec::new();
    collect_defaults(schema, at.to_string(), 0, &mut found);
    let mut props = Map::new();
    let mut instance = Map::new();
    let mut places = Vec::new();
    for (pointer, node, d) in found {
        if d.is_null() {
            if node.get("nullable") != Some(&Value::Bool(true)) {
                let msg = format!(
                    "{}: Invalid value: null: must not be null unless nullable",
                    dotted(&pointer)
                );
                out.push(err(&pointer, msg));
            }
            continue;
        }
        let mut own = node.clone();
        if let Some(m) = own.as_object_mut() {
            m.remove("default");
            m.remove("x-kubernetes-validations");
        }
        let key = places.len().to_string();
        props.insert(key.clone(), own);
        instance.insert(key, d.clone());
        places.push(pointer);
    }
    if places.is_empty() {
        return;
    }
    let crd = crate::json!({
        "spec": {"group": "default.check", "names": {"kind": "D"},
            "versions": [{"name": "v", "schema": {"openAPIV3Schema": {
                "type": "object", "properties": props}}}]}
    });
    let mut schemas = super::crd::CrdSchemas::default();
    if schemas.add(&crd, true).is_err() {
        return;
    }
    let gvk = crate::resource::Gvk::from_api_version("default.check/v", "D");
    let violations = schemas
        .validate(&gvk, &Value::Object(instance))
        .unwrap_or_default();
    let mut reported = std::collections::HashSet::new();
    let mut bad: Vec<(String, String)> = Vec::new();
    for v in violations {
        let index = v
            .pointer
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        let Some(pointer) = index.parse::<usize>().ok().and_then(|i| places.get(i)) else {
            continue;
        };
        if !reported.insert(pointer.clone()) {
            continue;
        }
        // The validator names the field `[<index>].x`; the message says where in the default.
        let msg = v
            .message
            .replace(&format!("[{index}]."), "")
            .replace(&format!("[{index}]: "), "");
        bad.push((
            pointer.clone(),
            format!(
                "{}: Invalid value: the default does not validate: {msg}",
                dotted(pointer)
            ),
        ));
    }
    // A default that fails only through a nested default (applied inside it) is one root cause:
    // the nested one is reported.
    let nested_bad = |p: &str| {
        let base = p.trim_end_matches("/default");
        bad.iter()
            .any(|(q, _)| q != p && q.starts_with(base) && q[base.len()..].starts_with('/'))
    };
    for (pointer, message) in &bad {
        if !nested_bad(pointer) {
            out.push(err(pointer, message.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn crd(schema: Value) -> Value {
        json!({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
            "metadata":{"name":"certificates.cert.example.io"},
            "spec":{"group":"cert.example.io","scope":"Namespaced",
              "names":{"kind":"Certificate","plural":"certificates"},
              "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":schema}}]}})
    }

    fn messages(crd: &Value) -> Vec<(String, String)> {
        check(crd)
            .into_iter()
            .map(|f| (f.pointer, f.message))
            .collect()
    }

    #[test]
    fn a_structural_crd_passes() {
        let c = crd(json!({"type":"object","properties":{
        "metadata":{"type":"object","properties":{"name":{"type":"string","maxLength":63}}},
        "spec":{"type":"object","required":["secretName"],"properties":{
            "secretName":{"type":"string"},
            "duration":{"type":"string","default":"2160h"},
            "port":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]},
            "mark":{"type":"integer","x-kubernetes-int-or-string":true,"pattern":"^.*"},
            "raw":{"x-kubernetes-preserve-unknown-fields":true},
            "labels":{"type":"object","additionalProperties":{"type":"string"}},
            "usages":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
            "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
                "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"}}}}
        }}}}));
        assert_eq!(messages(&c), vec![]);
    }

    #[test]
    fn structural_rules_of_the_api_server() {
        let c = crd(json!({"type":"object","properties":{
        "metadata":{"type":"object","properties":{"labels":{"type":"object"}}},
        "spec":{"type":"object","properties":{
            "untyped":{"description":"no type"},
            "both":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"string"}},
            "ref":{"$ref":"#/definitions/x"},
            "replicas":{"type":"integer","default":"three"},
            "mode":{"type":"string","enum":["a","b"],"default":"c"},
            "ports":{"type":"array","x-kubernetes-list-type":"map","items":{"type":"object","properties":{"name":{"type":"string"}}}},
            "keys":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["id"],
                "items":{"type":"object","properties":{"id":{"type":"string"}}}},
            "tags":{"type":"array","x-kubernetes-list-map-keys":["id"],"items":{"type":"string"}},
            "uniq":{"type":"array","uniqueItems":true,"items":{"type":"string"}}
        }}}}));
        let got = messages(&c);
        let at: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        let base = "/spec/versions/0/schema/openAPIV3Schema";
        for want in [
            "/properties/metadata/properties",
            "/properties/spec/properties/untyped/type",
            "/properties/spec/properties/both/additionalProperties",
            "/properties/spec/properties/ref/$ref",
            "/properties/spec/properties/ref/type",
            "/properties/spec/properties/replicas/default",
            "/properties/spec/properties/mode/default",
            "/properties/spec/properties/ports/x-kubernetes-list-map-keys",
            "/properties/spec/properties/keys/x-kubernetes-list-map-keys",
            "/properties/spec/properties/tags/x-kubernetes-list-map-keys",
            "/properties/spec/properties/uniq/uniqueItems",
        ] {
            let want = format!("{base}{want}");
            assert!(at.contains(&want.as_str()), "{want} not in {got:#?}");
        }
        assert_eq!(got.len(), 11, "{got:#?}");
        let default = got
            .iter()
            .find(|(p, _)| p.ends_with("replicas/default"))
            .unwrap();
        assert!(
            default.1.contains("the default does not validate"),
            "{}",
            default.1
        );
        assert!(!default.1.contains('\n'));
    }

    #[test]
    fn names_and_versions() {
        let mut c = crd(json!({"type":"object"}));
        c["metadata"]["name"] = json!("certs.cert.example.io");
        c["spec"]["versions"] = json!([
            {"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}},
            {"name":"v1","served":false,"storage":true}
        ]);
        let got = messages(&c);
        let at: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        // The second version has no schema, which apiextensions.k8s.io/v1 requires.
        assert_eq!(
            at,
            [
                "/metadata/name",
                "/spec/versions",
                "/spec/versions/1/name",
                "/spec/versions/1"
            ],
            "{got:#?}"
        );
        assert!(got[3].1.ends_with("Required value: schemas are required"));
        assert!(got[0].1.contains("certificates.cert.example.io"));
        c["spec"]["versions"] = json!([{"name":"v1","served":false,"storage":true}]);
        c["spec"]["names"]["plural"] = json!("Certs");
        let got = messages(&c);
        assert!(got.iter().any(|(_, m)| m.contains("must be lowercase")));
        assert!(
            got.iter()
                .any(|(_, m)| m.contains("at least one version must be served"))
        );
    }
}
