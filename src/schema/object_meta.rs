//! ObjectMeta as the API server validates it on create, for every object: a name (or a
//! `generateName`) in the format its kind requires, a namespace that is an RFC 1123 label, label
//! keys that are qualified names and values that are label values, annotation keys that are
//! qualified names and at most 256 KiB of annotations, finalizers that are qualified names. Pod
//! templates' labels and annotations are checked the same way.
//!
//! Owns the per-kind name table and these checks; returns findings at JSON pointers, renders
//! nothing.

use crate::value::Value;

use super::kubernetes::{dotted, escape_segment};
use super::names;
use crate::finding::Finding;

/// The most bytes of annotation keys and values together.
pub const ANNOTATIONS_MAX: usize = 256 * 1024;

/// How a kind's names are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameFormat {
    Subdomain,
    Label,
    Dns1035,
    PathSegment,
    /// CronJob: a subdomain of at most 52 bytes (its Jobs add an 11-byte suffix).
    CronJob,
}

fn name_format(group: &str, kind: &str) -> NameFormat {
    match (group, kind) {
        ("", "Namespace") => NameFormat::Label,
        ("", "Service") => NameFormat::Dns1035,
        (
            "rbac.authorization.k8s.io",
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding",
        ) => NameFormat::PathSegment,
        // Kubelets' bootstrap requests are named `node-csr-<base64url hash>`.
        ("certificates.k8s.io", "CertificateSigningRequest") => NameFormat::PathSegment,
        ("batch", "CronJob") => NameFormat::CronJob,
        _ => NameFormat::Subdomain,
    }
}

fn name_errors(format: NameFormat, name: &str, prefix: bool) -> Vec<String> {
    if prefix && format == NameFormat::PathSegment {
        // A prefix may be `.` or `..`: the suffix makes it a name.
        return names::path_segment(name)
            .into_iter()
            .filter(|m| m.starts_with("may not contain"))
            .collect();
    }
    let name = if prefix && format != NameFormat::PathSegment {
        names::as_prefix(name)
    } else {
        name.to_string()
    };
    match format {
        NameFormat::Subdomain => names::dns1123_subdomain(&name),
        NameFormat::Label => names::dns1123_label(&name),
        NameFormat::Dns1035 => names::dns1035_label(&name),
        NameFormat::PathSegment => names::path_segment(&name),
        NameFormat::CronJob => {
            let mut e = names::dns1123_subdomain(&name);
            if name.len() > 52 && !prefix {
                e.insert(0, "must be no more than 52 characters".into());
            }
            e
        }
    }
}

/// The name the API server makes of a `generateName`: at most 58 bytes of it and five random
/// characters (here a fixed placeholder of the generator's alphabet).
fn generated_name(prefix: &str) -> String {
    const BASE_MAX: usize = 58;
    let mut cut = prefix.len().min(BASE_MAX);
    while !prefix.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}bcdfg", &prefix[..cut])
}

/// The API server's message without its examples and regex (one line stays short).
fn short(msg: &str) -> &str {
    msg.split(" (e.g. ").next().unwrap_or(msg)
}

fn invalid(out: &mut Vec<Finding>, pointer: &str, value: &str, msg: &str) {
    let msg = short(msg);
    let shown: String = if value.chars().count() > 64 {
        format!("{}…", value.chars().take(61).collect::<String>())
    } else {
        value.to_string()
    };
    out.push(Finding::error(
        "object-meta-invalid",
        pointer,
        format!("{}: Invalid value: {shown:?}: {msg}", dotted(pointer)),
    ));
}

/// Every ObjectMeta problem of an object (of group `group`, kind `kind`).
pub fn check(group: &str, kind: &str, value: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    if kind.ends_with("List") || kind.ends_with("Review") {
        return out;
    }
    let meta = value.get("metadata");
    let text = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let format = name_format(group, kind);
    let (name, generate) = (text("name"), text("generateName"));
    if !generate.is_empty() {
        let errors = name_errors(format, generate, true);
        let prefix_ok = errors.is_empty();
        for m in errors {
            invalid(&mut out, "/metadata/generateName", generate, &m);
        }
        // The server generates the name before it validates it: what the prefix allows, the
        // generated name may still break (a CronJob's 52 characters).
        if prefix_ok && name.is_empty() {
            let generated = generated_name(generate);
            for m in name_errors(format, &generated, false) {
                let m = format!(
                    "the name generated from it ({} characters) {m}",
                    generated.len()
                );
                invalid(&mut out, "/metadata/generateName", generate, &m);
            }
        }
    }
    let given = |k: &str| {
        meta.and_then(|m| m.get(k))
            .is_some_and(|v| !v.is_null() && !v.is_string())
    };
    if given("name") || given("generateName") {
        // Not a string: the schema reports it.
    } else if name.is_empty() && generate.is_empty() {
        let at = if meta.is_some() {
            "/metadata/name"
        } else {
            "/metadata"
        };
        out.push(Finding::error(
            "object-meta-required",
            at,
            "metadata.name: Required value: name or generateName is required",
        ));
    } else if !name.is_empty() {
        for m in name_errors(format, name, false) {
            invalid(&mut out, "/metadata/name", name, &m);
        }
    }
    let namespace = text("namespace");
    if !namespace.is_empty() {
        for m in names::dns1123_label(namespace) {
            invalid(&mut out, "/metadata/namespace", namespace, &m);
        }
    }
    labels_and_annotations(meta, "/metadata", &mut out);
    if let Some(meta) = meta {
        super::meta_lists::check(meta, "/metadata", &mut out);
    }
    if let Some(Value::Array(finalizers)) = meta.and_then(|m| m.get("finalizers")) {
        for (i, f) in finalizers.iter().enumerate() {
            let Some(f) = f.as_str() else { continue };
            for m in names::qualified_name(f) {
                invalid(&mut out, &format!("/metadata/finalizers/{i}"), f, &m);
            }
        }
    }
    if let Some(template) = template_metadata(kind, value) {
        labels_and_annotations(Some(template.1), &template.0, &mut out);
    }
    out
}

/// A workload's pod template metadata and its pointer.
fn template_metadata<'a>(kind: &str, value: &'a Value) -> Option<(String, &'a Value)> {
    let at = match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController"
        | "PodTemplate" => "/spec/template/metadata",
        "CronJob" => "/spec/jobTemplate/spec/template/metadata",
        _ => return None,
    };
    let at = if kind == "PodTemplate" {
        "/template/metadata"
    } else {
        at
    };
    value.pointer(at).map(|m| (at.to_string(), m))
}

fn labels_and_annotations(meta: Option<&Value>, at: &str, out: &mut Vec<Finding>) {
    let Some(meta) = meta else { return };
    // Pointers are built only for a bad entry: most objects have none.
    if let Some(Value::Object(labels)) = meta.get("labels") {
        for (k, v) in labels {
            let key = names::qualified_name(k);
            let value = v.as_str().map(|v| (v, names::label_value(v)));
            if key.is_empty() && value.as_ref().is_none_or(|(_, e)| e.is_empty()) {
                continue;
            }
            let p = format!("{at}/labels/{}", escape_segment(k));
            for m in key {
                key_invalid(out, &p, &format!("{at}/labels"), k, &m);
            }
            if let Some((v, errors)) = value {
                for m in errors {
                    invalid(out, &p, v, &m);
                }
            }
        }
    }
    if let Some(Value::Object(annotations)) = meta.get("annotations") {
        let mut total = 0usize;
        for (k, v) in annotations {
            total += k.len() + v.as_str().map_or(0, str::len);
            let key = names::qualified_name(&k.to_ascii_lowercase());
            if key.is_empty() {
                continue;
            }
            let p = format!("{at}/annotations/{}", escape_segment(k));
            for m in key {
                key_invalid(out, &p, &format!("{at}/annotations"), k, &m);
            }
        }
        if total > ANNOTATIONS_MAX {
            let p = format!("{at}/annotations");
            out.push(Finding::error(
                "object-meta-invalid",
                &p,
                format!(
                    "{}: Too long: may not be more than {ANNOTATIONS_MAX} bytes (found {total})",
                    dotted(&p)
                ),
            ));
        }
    }
}

/// A bad key is reported at the key, under the map's name (as the API server words it).
fn key_invalid(out: &mut Vec<Finding>, pointer: &str, map: &str, key: &str, msg: &str) {
    let msg = short(msg);
    out.push(Finding::error(
        "object-meta-invalid",
        pointer,
        format!("{}: Invalid value: {key:?}: {msg}", dotted(map)),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn run(group: &str, kind: &str, v: Value) -> Vec<(String, String)> {
        check(group, kind, &v)
            .into_iter()
            .map(|f| (f.pointer, f.message))
            .collect()
    }

    #[test]
    fn names_per_kind() {
        let obj = |name: &str| json!({"metadata": {"name": name}});
        assert_eq!(run("apps", "Deployment", obj("web.v2")), []);
        assert_eq!(run("", "Service", obj("web.v2")).len(), 1);
        assert_eq!(
            run(
                "certificates.k8s.io",
                "CertificateSigningRequest",
                obj("node-csr-sXCa_1Q")
            ),
            []
        );
        assert_eq!(run("", "Service", obj("2web")).len(), 1);
        assert_eq!(
            run("", "Namespace", obj("team.a")),
            [(
                "/metadata/name".to_string(),
                "metadata.name: Invalid value: \"team.a\": must not contain dots".to_string()
            )]
        );
        assert_eq!(
            run(
                "rbac.authorization.k8s.io",
                "ClusterRole",
                obj("system:aggregate-to-view")
            ),
            []
        );
        assert_eq!(
            run("rbac.authorization.k8s.io", "Role", obj("a/b")),
            [(
                "/metadata/name".to_string(),
                "metadata.name: Invalid value: \"a/b\": may not contain '/'".to_string()
            )]
        );
        assert_eq!(
            run("batch", "CronJob", obj(&"a".repeat(53))),
            [(
                "/metadata/name".to_string(),
                format!(
                    "metadata.name: Invalid value: \"{}\": must be no more than 52 characters",
                    "a".repeat(53)
                )
            )]
        );
        assert_eq!(
            run(
                "",
                "ConfigMap",
                json!({"metadata": {"generateName": "cfg-"}})
            ),
            []
        );
        assert_eq!(
            run("", "ConfigMap", json!({"metadata": {}})),
            [(
                "/metadata/name".to_string(),
                "metadata.name: Required value: name or generateName is required".to_string()
            )]
        );
        assert_eq!(run("", "List", json!({})), []);
    }

    #[test]
    fn generate_name_per_kind_and_the_name_generated_from_it() {
        let prefixed = |name: &str| json!({"metadata": {"generateName": name}});
        assert_eq!(run("", "Service", prefixed("web-")), []);
        assert_eq!(run("", "Service", prefixed("1web-")).len(), 1);
        assert_eq!(run("", "Namespace", prefixed("team.")).len(), 1);
        assert_eq!(run("", "ConfigMap", prefixed("cfg.")).len(), 1);
        // A path-segment prefix may be `.` (the suffix makes it a name), not hold `/`.
        assert_eq!(run("rbac.authorization.k8s.io", "Role", prefixed(".")), []);
        assert_eq!(
            run("rbac.authorization.k8s.io", "Role", prefixed("a/")),
            [(
                "/metadata/generateName".to_string(),
                "metadata.generateName: Invalid value: \"a/\": may not contain '/'".to_string()
            )]
        );
        // A CronJob's generated name (the prefix and five characters) must fit in 52.
        assert_eq!(run("batch", "CronJob", prefixed(&"a".repeat(47))), []);
        assert_eq!(
            run("batch", "CronJob", prefixed(&"a".repeat(48))),
            [(
                "/metadata/generateName".to_string(),
                format!(
                    "metadata.generateName: Invalid value: \"{}\": the name generated from it (53 characters) must be no more than 52 characters",
                    "a".repeat(48)
                )
            )]
        );
        // The generator keeps 58 bytes of a long prefix, so a label-named kind stays within 63.
        assert_eq!(run("", "Namespace", prefixed(&"a".repeat(60))), []);
        // With a name given, the name is what is checked.
        assert_eq!(
            run(
                "batch",
                "CronJob",
                json!({"metadata": {"name": "nightly", "generateName": "a".repeat(50)}})
            ),
            []
        );
    }

    #[test]
    fn owner_references_and_managed_fields_are_checked_in_every_object() {
        let got = run(
            "",
            "ConfigMap",
            json!({"metadata": {"name": "c",
                "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "", "uid": "1"}],
                "managedFields": [{"manager": "m", "operation": "Patch"}]}}),
        );
        let at: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
        assert_eq!(
            at,
            [
                "/metadata/ownerReferences/0/name",
                "/metadata/managedFields/0/operation"
            ]
        );
    }

    #[test]
    fn namespace_labels_and_annotations() {
        let got = run(
            "apps",
            "Deployment",
            json!({"metadata": {
            "name": "web", "namespace": "Media",
            "labels": {"app.kubernetes.io/name": "web", "bad key": "x", "tier": "-front"},
            "annotations": {"example.com/ok": "x", "Example.com/Upper": "fine", "a/b/c": "x"}},
            "spec": {"template": {"metadata": {"labels": {"app": "web!"}}}}}),
        );
        let at: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
        assert_eq!(
            at,
            [
                "/metadata/namespace",
                "/metadata/labels/bad key",
                "/metadata/labels/tier",
                "/metadata/annotations/a~1b~1c",
                "/spec/template/metadata/labels/app"
            ],
            "{got:#?}"
        );
        assert!(got[1].1.starts_with("metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters"), "{}", got[1].1);
        assert!(got[2].1.starts_with("metadata.labels.tier: Invalid value: \"-front\": a valid label must be an empty string or consist of"), "{}", got[2].1);
        let got = run(
            "",
            "ConfigMap",
            json!({"metadata": {"name": "c",
            "finalizers": ["kubernetes.io/pv-protection", "example.com/a b"]}}),
        );
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, "/metadata/finalizers/1");
        assert!(got[0].1.starts_with("metadata.finalizers[1]: Invalid value: \"example.com/a b\": name part must consist of"), "{}", got[0].1);
        let big = "x".repeat(ANNOTATIONS_MAX);
        let got = run(
            "",
            "ConfigMap",
            json!({"metadata": {"name": "c", "annotations": {"a": big}}}),
        );
        assert_eq!(
            got,
            [(
                "/metadata/annotations".to_string(),
                format!(
                    "metadata.annotations: Too long: may not be more than 262144 bytes (found {})",
                    ANNOTATIONS_MAX + 1
                )
            )]
        );
    }
}
