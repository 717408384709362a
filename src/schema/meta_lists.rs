//! The lists in ObjectMeta as the API server validates them on create (apimachinery's
//! `ValidateOwnerReferences`, `ValidateManagedFields`, `ValidateFinalizers`): owner references
//! with a non-empty apiVersion (`<group>/<version>` or `<version>`), kind, name and uid, not an
//! Event as owner, and at most one controller; managed fields entries with an `Apply` or `Update`
//! operation, a `FieldsV1` fields type, a printable manager of at most 128 bytes and a subresource
//! of at most 256; not both the `orphan` and `foregroundDeletion` finalizers.
//!
//! A uid's format is not checked (the server does not). Fields that are missing where the schema
//! requires them are the schema's to report; these checks are about the values that are there.
//!
//! Owns only these rules; returns findings at JSON pointers, renders nothing.

use crate::value::Value;

use super::kubernetes::dotted;
use crate::finding::Finding;

/// The most bytes of a managed fields entry's `manager`.
pub const MANAGER_MAX: usize = 128;
/// The most bytes of a managed fields entry's `subresource`.
pub const SUBRESOURCE_MAX: usize = 256;

const CODE: &str = "object-meta-invalid";

fn error(out: &mut Vec<Finding>, pointer: &str, what: String) {
    out.push(Finding::error(
        CODE,
        pointer,
        format!("{}: {what}", dotted(pointer)),
    ));
}

/// Every problem of `metadata.ownerReferences`, `metadata.managedFields` and the finalizer pair,
/// with `meta` the object's metadata at pointer `at`.
pub fn check(meta: &Value, at: &str, out: &mut Vec<Finding>) {
    if let Some(Value::Array(refs)) = meta.get("ownerReferences") {
        owner_references(refs, &format!("{at}/ownerReferences"), out);
    }
    if let Some(Value::Array(entries)) = meta.get("managedFields") {
        managed_fields(entries, &format!("{at}/managedFields"), out);
    }
    if let Some(Value::Array(finalizers)) = meta.get("finalizers") {
        let has = |f: &str| finalizers.iter().any(|v| v.as_str() == Some(f));
        if has("orphan") && has("foregroundDeletion") {
            let p = format!("{at}/finalizers");
            error(
                out,
                &p,
                "Invalid value: finalizer orphan and foregroundDeletion cannot be both set".into(),
            );
        }
    }
}

fn owner_references(refs: &[Value], at: &str, out: &mut Vec<Finding>) {
    let mut first_controller: Option<String> = None;
    for (i, r) in refs.iter().enumerate() {
        let Some(m) = r.as_object() else { continue };
        let here = format!("{at}/{i}");
        let text = |k: &str| m.get(k).and_then(Value::as_str);
        for field in ["apiVersion", "kind", "name", "uid"] {
            if text(field) == Some("") {
                error(
                    out,
                    &format!("{here}/{field}"),
                    "Required value: must not be empty".into(),
                );
            }
        }
        let api_version = text("apiVersion").unwrap_or("");
        let version = group_version(api_version);
        if !api_version.is_empty() && version.is_none() {
            error(
                out,
                &format!("{here}/apiVersion"),
                format!("Invalid value: {api_version:?}: must be <group>/<version> or <version>"),
            );
        }
        let kind = text("kind").unwrap_or("");
        if version == Some(("", "v1")) && kind == "Event" {
            error(
                out,
                &here,
                "Invalid value: /v1, Kind=Event is disallowed from being an owner".into(),
            );
        }
        if m.get("controller") == Some(&Value::Bool(true)) {
            let this = format!("{kind}/{}", text("name").unwrap_or(""));
            match &first_controller {
                Some(first) => error(
                    out,
                    &format!("{here}/controller"),
                    format!(
                        "Invalid value: Only one reference can have Controller set to true. Found \"true\" in references for {first} and {this}"
                    ),
                ),
                None => first_controller = Some(this),
            }
        }
    }
}

/// `apiVersion` as (group, version), as apimachinery's `ParseGroupVersion` reads it: `v1`,
/// `apps/v1`; `None` for more than one `/` or an empty version.
fn group_version(api_version: &str) -> Option<(&str, &str)> {
    let (group, version) = match api_version.split_once('/') {
        None => ("", api_version),
        Some((_, v)) if v.contains('/') => return None,
        Some(gv) => gv,
    };
    (!version.is_empty()).then_some((group, version))
}

fn managed_fields(entries: &[Value], at: &str, out: &mut Vec<Finding>) {
    for (i, e) in entries.iter().enumerate() {
        let Some(m) = e.as_object() else { continue };
        let here = |k: &str| format!("{at}/{i}/{k}");
        let text = |k: &str| m.get(k).and_then(Value::as_str);
        match text("operation") {
            Some("Apply" | "Update") => {}
            // Not a string: the schema reports it.
            None if m.get("operation").is_some_and(|v| !v.is_null()) => {}
            None | Some("") => error(
                out,
                &here("operation"),
                "Required value: must not be empty".into(),
            ),
            Some(other) => error(
                out,
                &here("operation"),
                format!("Unsupported value: {other:?}: supported values: \"Apply\", \"Update\""),
            ),
        }
        if let Some(t) = text("fieldsType")
            && !t.is_empty()
            && t != "FieldsV1"
        {
            error(
                out,
                &here("fieldsType"),
                format!("Invalid value: {t:?}: must be `FieldsV1`"),
            );
        }
        if let Some(manager) = text("manager") {
            if manager.len() > MANAGER_MAX {
                error(
                    out,
                    &here("manager"),
                    format!("Too long: may not be more than {MANAGER_MAX} bytes"),
                );
            }
            if let Some((pos, c)) = manager.char_indices().find(|(_, c)| !is_print(*c)) {
                error(
                    out,
                    &here("manager"),
                    format!(
                        "Invalid value: invalid character U+{:04X} (at position {pos})",
                        u32::from(c)
                    ),
                );
            }
        }
        if text("subresource").is_some_and(|s| s.len() > SUBRESOURCE_MAX) {
            error(
                out,
                &here("subresource"),
                format!("Too long: may not be more than {SUBRESOURCE_MAX} bytes"),
            );
        }
    }
}

/// Go's `unicode.IsPrint` as far as it matters for a manager name: the ASCII space is printable,
/// control characters and every other kind of space are not.
fn is_print(c: char) -> bool {
    c == ' ' || !(c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn run(meta: Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        check(&meta, "/metadata", &mut out);
        out.into_iter().map(|f| (f.pointer, f.message)).collect()
    }

    fn owner(api_version: &str, kind: &str, name: &str, controller: bool) -> Value {
        json!({"apiVersion": api_version, "kind": kind, "name": name,
               "uid": "d9607e19-f88f-11e6-a518-42010a800195", "controller": controller})
    }

    #[test]
    fn owner_references_as_the_server_checks_them() {
        assert_eq!(
            run(json!({"ownerReferences": [
                owner("apps/v1", "ReplicaSet", "web-7c9", true),
                owner("v1", "ConfigMap", "cfg", false),
            ]})),
            []
        );
        // A uid in any format is accepted, as on the server.
        assert_eq!(
            run(
                json!({"ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "x"}]})
            ),
            []
        );
        let got = run(json!({"ownerReferences": [
            {"apiVersion": "", "kind": "", "name": "", "uid": ""},
            owner("a/b/c", "Thing", "t", false),
            owner("apps/", "Thing", "t", false),
            owner("v1", "Event", "e", false),
            owner("events.k8s.io/v1", "Event", "e", false),
            owner("apps/v1", "Deployment", "a", true),
            owner("apps/v1", "ReplicaSet", "b", true),
            owner("batch/v1", "Job", "c", true),
        ]}));
        let at: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
        assert_eq!(
            at,
            [
                "/metadata/ownerReferences/0/apiVersion",
                "/metadata/ownerReferences/0/kind",
                "/metadata/ownerReferences/0/name",
                "/metadata/ownerReferences/0/uid",
                "/metadata/ownerReferences/1/apiVersion",
                "/metadata/ownerReferences/2/apiVersion",
                "/metadata/ownerReferences/3",
                "/metadata/ownerReferences/6/controller",
                "/metadata/ownerReferences/7/controller",
            ],
            "{got:#?}"
        );
        assert_eq!(
            got[3].1,
            "metadata.ownerReferences[0].uid: Required value: must not be empty"
        );
        assert_eq!(
            got[4].1,
            "metadata.ownerReferences[1].apiVersion: Invalid value: \"a/b/c\": must be <group>/<version> or <version>"
        );
        assert_eq!(
            got[6].1,
            "metadata.ownerReferences[3]: Invalid value: /v1, Kind=Event is disallowed from being an owner"
        );
        assert_eq!(
            got[8].1,
            "metadata.ownerReferences[7].controller: Invalid value: Only one reference can have Controller set to true. Found \"true\" in references for Deployment/a and Job/c"
        );
    }

    #[test]
    fn managed_fields_as_the_server_checks_them() {
        let good = json!({"manager": "kubectl-client-side-apply", "operation": "Update",
            "apiVersion": "apps/v1", "time": "2026-01-01T00:00:00Z",
            "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}});
        assert_eq!(
            run(json!({"managedFields": [good, {"operation": "Apply"}]})),
            []
        );
        let got = run(json!({"managedFields": [
            {"manager": "m"},
            {"manager": "m", "operation": ""},
            {"manager": "m", "operation": "Patch", "fieldsType": "FieldsV2"},
            {"manager": "x".repeat(129), "operation": "Apply", "subresource": "s".repeat(257)},
            {"manager": "tab\there", "operation": "Apply"},
            {"manager": "ok name", "operation": 3},
        ]}));
        assert_eq!(
            got,
            [
                (
                    "/metadata/managedFields/0/operation".to_string(),
                    "metadata.managedFields[0].operation: Required value: must not be empty"
                        .to_string()
                ),
                (
                    "/metadata/managedFields/1/operation".to_string(),
                    "metadata.managedFields[1].operation: Required value: must not be empty"
                        .to_string()
                ),
                (
                    "/metadata/managedFields/2/operation".to_string(),
                    "metadata.managedFields[2].operation: Unsupported value: \"Patch\": supported values: \"Apply\", \"Update\"".to_string()
                ),
                (
                    "/metadata/managedFields/2/fieldsType".to_string(),
                    "metadata.managedFields[2].fieldsType: Invalid value: \"FieldsV2\": must be `FieldsV1`".to_string()
                ),
                (
                    "/metadata/managedFields/3/manager".to_string(),
                    "metadata.managedFields[3].manager: Too long: may not be more than 128 bytes"
                        .to_string()
                ),
                (
                    "/metadata/managedFields/3/subresource".to_string(),
                    "metadata.managedFields[3].subresource: Too long: may not be more than 256 bytes".to_string()
                ),
                (
                    "/metadata/managedFields/4/manager".to_string(),
                    "metadata.managedFields[4].manager: Invalid value: invalid character U+0009 (at position 3)".to_string()
                ),
            ]
        );
    }

    #[test]
    fn orphan_and_foreground_finalizers_together() {
        assert_eq!(run(json!({"finalizers": ["orphan", "example.com/x"]})), []);
        assert_eq!(
            run(json!({"finalizers": ["foregroundDeletion", "orphan"]})),
            [(
                "/metadata/finalizers".to_string(),
                "metadata.finalizers: Invalid value: finalizer orphan and foregroundDeletion cannot be both set".to_string()
            )]
        );
    }
}
