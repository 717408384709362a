//! The uniqueness the API server enforces in lists: `x-kubernetes-list-type: set` (no two equal
//! items) and `map` (no two items with the same `x-kubernetes-list-map-keys` tuple) in custom
//! resources, and in built-in kinds the duplicates core validation rejects: container names
//! across `containers`, `initContainers` and `ephemeralContainers`, volume names, port names
//! within a container, host ports (with protocol and host IP) within a container list, and a
//! Service's port/protocol pairs. Mount paths and Service port names are left to the API
//! validation of pod specs and Services. Duplicate env names and image pull secrets are accepted
//! by the server (the best-practice rules cover env).
//!
//! Owns only these checks; reports each duplicate once, at the later item.

use std::collections::HashSet;

use crate::value::Value;

use super::kubernetes::{dotted, escape_segment};
use super::node::{MAX_DEPTH, Node};
use crate::finding::Finding;

fn duplicate(out: &mut Vec<Finding>, pointer: String, shown: String) {
    out.push(Finding::error(
        "duplicate-value",
        &pointer,
        format!("{}: Duplicate value: {shown}", dotted(&pointer)),
    ));
}

/// A value as text with object keys sorted: equal values give equal text (duplicates are found
/// in linear time, whatever the list's length).
fn canonical(v: &Value) -> String {
    fn go(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for k in keys {
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    go(&m[k], out);
                    out.push(',');
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for x in a {
                    go(x, out);
                    out.push(',');
                }
                out.push(']');
            }
            // 1 and 1.0 are one number; integers keep every digit.
            Value::Number(n) if n.is_f64() => {
                out.push_str(&n.as_f64().map_or_else(|| n.to_string(), |f| f.to_string()))
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    go(v, &mut out);
    out
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(77).collect::<String>())
    } else {
        s
    }
}

/// Duplicates in the lists of a custom resource (already defaulted) that its schema declares as
/// sets or maps.
pub fn list_duplicates(value: &Value, node: &Node) -> Vec<Finding> {
    let mut out = Vec::new();
    walk(value, node, String::new(), 0, &mut out);
    out
}

fn walk(value: &Value, node: &Node, at: String, depth: usize, out: &mut Vec<Finding>) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                if let Some(child) = node.child(k) {
                    walk(
                        v,
                        child,
                        format!("{at}/{}", escape_segment(k)),
                        depth + 1,
                        out,
                    );
                }
            }
        }
        Value::Array(items) => {
            match node.list_type.as_deref() {
                Some("set") => {
                    let mut seen = HashSet::new();
                    for (j, item) in items.iter().enumerate() {
                        if !seen.insert(canonical(item)) {
                            duplicate(out, format!("{at}/{j}"), compact(item));
                        }
                    }
                }
                Some("map") if !node.map_keys.is_empty() => {
                    let key = |item: &Value| -> Vec<Value> {
                        node.map_keys
                            .iter()
                            .map(|k| item.get(k).cloned().unwrap_or(Value::Null))
                            .collect()
                    };
                    let mut seen = HashSet::new();
                    for (j, item) in items.iter().enumerate() {
                        let k = key(item);
                        if !seen.insert(canonical(&Value::Array(k.clone()))) {
                            let shown: crate::value::Map =
                                node.map_keys.iter().cloned().zip(k).collect();
                            duplicate(out, format!("{at}/{j}"), compact(&Value::Object(shown)));
                        }
                    }
                }
                _ => {}
            }
            if let Some(item_node) = node.items.as_deref() {
                for (j, item) in items.iter().enumerate() {
                    walk(item, item_node, format!("{at}/{j}"), depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

/// Where the pod spec sits in a built-in workload kind.
fn pod_spec(group: &str, kind: &str) -> Option<&'static str> {
    match (group, kind) {
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("batch", "Job")
        | ("", "ReplicationController" | "PodTemplate") => Some(if kind == "PodTemplate" {
            "/template/spec"
        } else {
            "/spec/template/spec"
        }),
        ("batch", "CronJob") => Some("/spec/jobTemplate/spec/template/spec"),
        ("", "Pod") => Some("/spec"),
        _ => None,
    }
}

/// The later of two items with the same `field` in `list` (at pointer `at`).
fn by_field<'a>(
    list: Option<&'a Value>,
    at: &str,
    field: &str,
    seen: &mut HashSet<&'a str>,
    out: &mut Vec<Finding>,
) {
    let Some(Value::Array(items)) = list else {
        return;
    };
    for (j, item) in items.iter().enumerate() {
        let Some(name) = item
            .get(field)
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        else {
            continue;
        };
        if !seen.insert(name) {
            duplicate(out, format!("{at}/{j}/{field}"), format!("{name:?}"));
        }
    }
}

/// A `hostPort` already taken (with the same protocol and host IP) by a container of the same
/// list.
fn host_port_twins(
    container: &Value,
    at: &str,
    taken: &mut HashSet<String>,
    out: &mut Vec<Finding>,
) {
    let Some(Value::Array(ports)) = container.get("ports") else {
        return;
    };
    for (j, p) in ports.iter().enumerate() {
        let Some(host_port) = p
            .get("hostPort")
            .and_then(Value::as_i64)
            .filter(|h| *h != 0)
        else {
            continue;
        };
        let s =
            |k: &str, d: &'static str| p.get(k).and_then(Value::as_str).unwrap_or(d).to_string();
        let key = format!("{}/{}/{host_port}", s("protocol", "TCP"), s("hostIP", ""));
        if !taken.insert(key.clone()) {
            duplicate(out, format!("{at}/ports/{j}/hostPort"), format!("{key:?}"));
        }
    }
}

/// The duplicates core validation rejects in a built-in object.
pub fn built_in(group: &str, kind: &str, value: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(at) = pod_spec(group, kind)
        && let Some(spec) = value.pointer(at)
    {
        let mut names = HashSet::new();
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            let Some(containers @ Value::Array(cs)) = spec.get(list) else {
                continue;
            };
            let here = format!("{at}/{list}");
            by_field(Some(containers), &here, "name", &mut names, &mut out);
            let mut host_ports = HashSet::new();
            for (i, c) in cs.iter().enumerate() {
                let here = format!("{here}/{i}");
                let mut ports = HashSet::new();
                by_field(
                    c.get("ports"),
                    &format!("{here}/ports"),
                    "name",
                    &mut ports,
                    &mut out,
                );
                host_port_twins(c, &here, &mut host_ports, &mut out);
            }
        }
        by_field(
            spec.get("volumes"),
            &format!("{at}/volumes"),
            "name",
            &mut HashSet::new(),
            &mut out,
        );
    }
    if (group, kind) == ("", "Service") {
        let ports = value.pointer("/spec/ports");
        if let Some(Value::Array(items)) = ports {
            let mut seen = HashSet::new();
            for (j, p) in items.iter().enumerate() {
                let Some(port) = p.get("port").and_then(Value::as_i64) else {
                    continue;
                };
                let proto = p
                    .get("protocol")
                    .and_then(Value::as_str)
                    .unwrap_or("TCP")
                    .to_string();
                if !seen.insert((port, proto.clone())) {
                    let at = format!("/spec/ports/{j}");
                    duplicate(
                        &mut out,
                        at,
                        format!("{{\"port\":{port},\"protocol\":{proto:?}}}"),
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn sets_and_maps_in_custom_resources() {
        let node = Node::from_schema(&json!({"type": "object", "properties": {
            "usages": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
            "ports": {"type": "array", "x-kubernetes-list-type": "map",
                      "x-kubernetes-list-map-keys": ["port", "protocol"],
                      "items": {"type": "object", "properties": {"port": {"type": "integer"}, "protocol": {"type": "string"}}}},
            "tags": {"type": "array", "x-kubernetes-list-type": "atomic", "items": {"type": "string"}}
        }}));
        let got: Vec<(String, String)> = list_duplicates(
            &json!({"usages": ["a", "b", "a"], "tags": ["x", "x"],
                    "ports": [{"port": 80, "protocol": "TCP"}, {"port": 80, "protocol": "UDP"}, {"protocol": "TCP", "port": 80}]}),
            &node,
        )
        .into_iter()
        .map(|f| (f.pointer, f.message))
        .collect();
        assert_eq!(
            got,
            [
                (
                    "/ports/2".to_string(),
                    "ports[2]: Duplicate value: {\"port\":80,\"protocol\":\"TCP\"}".to_string()
                ),
                (
                    "/usages/2".to_string(),
                    "usages[2]: Duplicate value: \"a\"".to_string()
                ),
            ]
        );
    }

    #[test]
    fn equal_values_are_duplicates_whatever_their_key_order_and_long_lists_are_linear() {
        assert_eq!(
            canonical(&json!({"a": 1, "b": [1.0]})),
            canonical(&json!({"b": [1], "a": 1}))
        );
        assert_ne!(
            canonical(&json!(9007199254740993u64)),
            canonical(&json!(9007199254740992u64))
        );
        let node = Node::from_schema(&json!({"type": "array", "x-kubernetes-list-type": "set",
            "items": {"type": "integer"}}));
        let mut items: Vec<i64> = (0..200_000).collect();
        items.push(7);
        let found = list_duplicates(&json!(items), &node);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].pointer, "/200000");
    }

    #[test]
    fn what_core_validation_rejects() {
        let pod = json!({"spec": {"template": {"spec": {
            "initContainers": [{"name": "app"}],
            "containers": [{"name": "app", "ports": [{"name": "http", "containerPort": 80}, {"name": "http", "containerPort": 81}],
                            "env": [{"name": "A"}, {"name": "A"}],
                            "volumeMounts": [{"name": "data", "mountPath": "/d"}, {"name": "data", "mountPath": "/d"}]},
                           {"name": "side", "ports": [{"containerPort": 80, "hostPort": 8080}, {"containerPort": 81, "hostPort": 8080, "protocol": "UDP"}]},
                           {"name": "side2", "ports": [{"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}]}],
            "volumes": [{"name": "data"}, {"name": "data"}],
            "imagePullSecrets": [{"name": "r"}, {"name": "r"}]}}}});
        let at: Vec<String> = built_in("apps", "Deployment", &pod)
            .into_iter()
            .map(|f| f.message)
            .collect();
        assert_eq!(
            at,
            [
                "spec.template.spec.containers[0].ports[1].name: Duplicate value: \"http\"",
                "spec.template.spec.containers[2].ports[0].hostPort: Duplicate value: \"TCP//8080\"",
                "spec.template.spec.initContainers[0].name: Duplicate value: \"app\"",
                "spec.template.spec.volumes[1].name: Duplicate value: \"data\"",
            ]
        );
        let svc = json!({"spec": {"ports": [{"name": "a", "port": 80}, {"name": "a", "port": 80, "protocol": "TCP"}, {"name": "b", "port": 80, "protocol": "UDP"}]}});
        let got: Vec<String> = built_in("", "Service", &svc)
            .into_iter()
            .map(|f| f.message)
            .collect();
        assert_eq!(
            got,
            ["spec.ports[1]: Duplicate value: {\"port\":80,\"protocol\":\"TCP\"}"]
        );
        assert!(built_in("argoproj.io", "Rollout", &pod).is_empty());
    }
}
