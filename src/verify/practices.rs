//! Best-practice rules over workloads, the ones kube-linter and Polaris users rely on: pinned
//! images, resource requests and limits, probes, privilege, host namespaces, duplicate env names
//! (per object), and, over one rendered kustomization, Service selectors, PodDisruptionBudgets and
//! references to ConfigMaps and Secrets (across objects).
//!
//! Pure: values in, findings (rule, JSON pointer, message) out. Severity and waivers are the
//! caller's; so are positions.

use std::collections::{BTreeMap, HashSet};

use crate::value::Value;

/// Every rule, with what it checks (for `--help`, the README and waivers).
pub const RULES: &[(&str, &str)] = &[
    (
        "image-tag",
        "an image is pinned to a tag or digest that is not latest",
    ),
    (
        "resources",
        "a container requests CPU and memory and limits memory",
    ),
    (
        "probes",
        "a long-running container has readiness and liveness probes",
    ),
    (
        "privileged",
        "no container runs privileged or allows privilege escalation",
    ),
    (
        "run-as-non-root",
        "runAsNonRoot is true for the pod or every container",
    ),
    ("host-namespaces", "no hostNetwork, hostPID or hostIPC"),
    (
        "duplicate-env",
        "a container's env names are unique (a repeat silently wins)",
    ),
    (
        "service-selector",
        "a Service's selector matches a workload in the render",
    ),
    (
        "pdb",
        "a workload with more than one replica has a PodDisruptionBudget in the render",
    ),
    (
        "missing-reference",
        "ConfigMaps and Secrets that env and volumes name are in the render (or optional)",
    ),
];

/// One finding of a rule in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeFinding {
    /// The rule (`image-tag`); the diagnostic code is `practice-<rule>`.
    pub rule: &'static str,
    /// Which object of the list.
    pub object: usize,
    /// JSON pointer in the object.
    pub pointer: String,
    /// One line, naming the container or field.
    pub message: String,
}

/// Where the pod spec of a workload is (`None`: not a workload): the policy's table of kinds,
/// for the API groups that serve them.
fn pod_spec_pointer(value: &Value) -> Option<&'static str> {
    let kind = value.get("kind")?.as_str()?;
    let api = value.get("apiVersion")?.as_str()?;
    let served = match kind {
        "Pod" | "ReplicationController" => api == "v1",
        "Job" | "CronJob" => api.starts_with("batch/"),
        "Rollout" => api.starts_with("argoproj.io/"),
        _ => api.starts_with("apps/"),
    };
    served
        .then(|| super::policy::pod_spec_pointer(kind))
        .flatten()
}

/// Workloads whose containers run until stopped (probes apply), as opposed to Jobs: a bare Pod
/// is one when it restarts always (its default), as a Deployment's pods do.
fn long_running(value: &Value) -> bool {
    match value.get("kind").and_then(Value::as_str) {
        Some("Job" | "CronJob") => false,
        Some("Pod") => s(value, "/spec/restartPolicy").is_none_or(|p| p == "Always"),
        _ => true,
    }
}

fn s<'a>(v: &'a Value, p: &str) -> Option<&'a str> {
    v.pointer(p).and_then(Value::as_str)
}

fn truthy(v: &Value, p: &str) -> bool {
    v.pointer(p).and_then(Value::as_bool) == Some(true)
}

/// Whether an image reference names a digest, or a tag other than `latest`.
fn pinned(image: &str) -> Result<(), String> {
    if image.contains('@') {
        return Ok(());
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, "latest")) => Err(format!("image {image:?} uses the mutable tag latest")),
        Some((_, tag)) if !tag.is_empty() => Ok(()),
        _ => Err(format!(
            "image {image:?} is not pinned to a tag or digest (it means latest)"
        )),
    }
}

/// The per-object rules for one object.
pub fn object_findings(value: &Value, object: usize) -> Vec<PracticeFinding> {
    let mut out = Vec::new();
    let Some(pod) = pod_spec_pointer(value) else {
        return out;
    };
    let Some(spec) = value.pointer(pod) else {
        return out;
    };
    let mut push = |rule, pointer: String, message: String| {
        out.push(PracticeFinding {
            rule,
            object,
            pointer,
            message,
        })
    };
    for field in ["hostNetwork", "hostPID", "hostIPC"] {
        if truthy(spec, &format!("/{field}")) {
            push(
                "host-namespaces",
                format!("{pod}/{field}"),
                format!("the pod shares the node's namespace: {field} is true"),
            );
        }
    }
    let pod_non_root = truthy(spec, "/securityContext/runAsNonRoot");
    for list in ["initContainers", "containers"] {
        let Some(containers) = spec.get(list).and_then(Value::as_array) else {
            continue;
        };
        for (i, c) in containers.iter().enumerate() {
            let at = format!("{pod}/{list}/{i}");
            let name = s(c, "/name").unwrap_or("?");
            if let Some(image) = s(c, "/image")
                && let Err(why) = pinned(image)
            {
                push(
                    "image-tag",
                    format!("{at}/image"),
                    format!("container {name:?}: {why}"),
                );
            }
            let missing: Vec<&str> = [
                ("/resources/requests/cpu", "CPU request"),
                ("/resources/requests/memory", "memory request"),
                ("/resources/limits/memory", "memory limit"),
            ]
            .into_iter()
            .filter(|(p, _)| c.pointer(p).is_none_or(Value::is_null))
            .map(|(_, what)| what)
            .collect();
            if !missing.is_empty() {
                push(
                    "resources",
                    format!("{at}/resources"),
                    format!("container {name:?} sets no {}", missing.join(", ")),
                );
            }
            if list == "containers" && long_running(value) {
                for probe in ["readinessProbe", "livenessProbe"] {
                    if c.get(probe).is_none_or(Value::is_null) {
                        push(
                            "probes",
                            at.clone(),
                            format!("container {name:?} has no {probe}"),
                        );
                    }
                }
            }
            if truthy(c, "/securityContext/privileged") {
                push(
                    "privileged",
                    format!("{at}/securityContext/privileged"),
                    format!("container {name:?} runs privileged"),
                );
            }
            if truthy(c, "/securityContext/allowPrivilegeEscalation") {
                push(
                    "privileged",
                    format!("{at}/securityContext/allowPrivilegeEscalation"),
                    format!("container {name:?} allows privilege escalation"),
                );
            }
            let own = c
                .pointer("/securityContext/runAsNonRoot")
                .and_then(Value::as_bool);
            if !own.unwrap_or(pod_non_root) {
                push(
                    "run-as-non-root",
                    at.clone(),
                    format!(
                        "container {name:?} may run as root: set securityContext.runAsNonRoot: true"
                    ),
                );
            }
            let mut seen = HashSet::new();
            for (j, e) in c
                .get("env")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(n) = s(e, "/name")
                    && !seen.insert(n)
                {
                    push(
                        "duplicate-env",
                        format!("{at}/env/{j}/name"),
                        format!("container {name:?} sets env {n:?} twice; the last one wins"),
                    );
                }
            }
        }
    }
    out
}

/// The entries of the list at `key` of `v`, with their indexes (none when it is not a list).
pub(super) fn items<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = (usize, &'a Value)> {
    v.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

fn namespace(v: &Value) -> &str {
    s(v, "/metadata/namespace").unwrap_or("")
}

fn labels_match(selector: &crate::value::Map, labels: Option<&Value>) -> bool {
    let labels = labels.and_then(Value::as_object);
    selector
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

/// The rules across the objects of one render (a kustomization's output).
pub fn render_findings(objects: &[&Value]) -> Vec<PracticeFinding> {
    let mut out = Vec::new();
    // Pod templates by namespace: (object, labels, replicas).
    let workloads: Vec<(usize, &Value)> = objects
        .iter()
        .enumerate()
        .filter(|(_, v)| pod_spec_pointer(v).is_some())
        .map(|(i, v)| (i, *v))
        .collect();
    // The pod's labels sit beside its spec (`/spec/template/metadata/labels`; a Pod's own).
    let template_labels = |v: &Value| -> Option<Value> {
        let pod = pod_spec_pointer(v)?;
        let meta = pod.strip_suffix("/spec").unwrap_or("");
        v.pointer(&format!("{meta}/metadata/labels")).cloned()
    };
    let kind = |v: &Value| s(v, "/kind").unwrap_or("").to_string();
    let mut names: BTreeMap<(&str, &str), HashSet<&str>> = BTreeMap::new();
    for v in objects {
        if let (Some(k), Some(n)) = (s(v, "/kind"), s(v, "/metadata/name"))
            && s(v, "/apiVersion") == Some("v1")
            && matches!(k, "ConfigMap" | "Secret")
        {
            names.entry((k, namespace(v))).or_default().insert(n);
        }
    }
    for (i, v) in objects.iter().enumerate() {
        if kind(v) != "Service" || s(v, "/apiVersion") != Some("v1") {
            continue;
        }
        if s(v, "/spec/type") == Some("ExternalName") {
            continue;
        }
        let Some(selector) = v.pointer("/spec/selector").and_then(Value::as_object) else {
            continue;
        };
        if selector.is_empty() {
            continue;
        }
        let matched = workloads.iter().any(|(_, w)| {
            namespace(w) == namespace(v) && labels_match(selector, template_labels(w).as_ref())
        });
        if !matched {
            out.push(PracticeFinding {
                rule: "service-selector",
                object: i,
                pointer: "/spec/selector".into(),
                message: format!(
                    "Service {:?} selects no pod template in the render",
                    s(v, "/metadata/name").unwrap_or("?")
                ),
            });
        }
    }
    let pdbs: Vec<&Value> = objects
        .iter()
        .filter(|v| kind(v) == "PodDisruptionBudget")
        .copied()
        .collect();
    for (i, w) in &workloads {
        if !matches!(kind(w).as_str(), "Deployment" | "StatefulSet" | "Rollout") {
            continue;
        }
        let replicas = w
            .pointer("/spec/replicas")
            .and_then(Value::as_u64)
            .unwrap_or(1);
        if replicas <= 1 {
            continue;
        }
        let labels = template_labels(w);
        let covered = pdbs.iter().any(|p| {
            namespace(p) == namespace(w)
                && p.pointer("/spec/selector/matchLabels")
                    .and_then(Value::as_object)
                    .is_some_and(|sel| labels_match(sel, labels.as_ref()))
        });
        if !covered {
            out.push(PracticeFinding {
                rule: "pdb",
                object: *i,
                pointer: "/spec/replicas".into(),
                message: format!(
                    "{} {:?} runs {replicas} replicas with no PodDisruptionBudget in the render",
                    kind(w),
                    s(w, "/metadata/name").unwrap_or("?")
                ),
            });
        }
    }
    for (i, w) in &workloads {
        let Some(pod) = pod_spec_pointer(w) else {
            continue;
        };
        let ns = namespace(w);
        let mut check =
            |kind: &'static str, name: Option<&str>, optional: bool, pointer: String| {
                let Some(name) = name else { return };
                if optional || names.get(&(kind, ns)).is_some_and(|n| n.contains(name)) {
                    return;
                }
                out.push(PracticeFinding {
                    rule: "missing-reference",
                    object: *i,
                    pointer,
                    message: format!("{kind} {name:?} is referenced but not in the render"),
                });
            };
        let spec = w.pointer(pod).unwrap_or(&Value::Null);
        // (where the references are listed, the reference inside an entry, kind, name field)
        const REFS: [(&str, &str, &str, &str); 6] = [
            ("env", "/valueFrom/configMapKeyRef", "ConfigMap", "name"),
            ("env", "/valueFrom/secretKeyRef", "Secret", "name"),
            ("envFrom", "/configMapRef", "ConfigMap", "name"),
            ("envFrom", "/secretRef", "Secret", "name"),
            ("volumes", "/configMap", "ConfigMap", "name"),
            ("volumes", "/secret", "Secret", "secretName"),
        ];
        let mut owners = vec![(pod.to_string(), spec)];
        for list in ["initContainers", "containers"] {
            for (ci, c) in items(spec, list) {
                owners.push((format!("{pod}/{list}/{ci}"), c));
            }
        }
        // A projected volume lists its ConfigMaps and Secrets as sources.
        for (j, volume) in items(spec, "volumes") {
            let Some(projected) = volume.pointer("/projected") else {
                continue;
            };
            for (k, source) in items(projected, "sources") {
                for (field, kind) in [("configMap", "ConfigMap"), ("secret", "Secret")] {
                    if let Some(r) = source.get(field) {
                        check(
                            kind,
                            s(r, "/name"),
                            truthy(r, "/optional"),
                            format!("{pod}/volumes/{j}/projected/sources/{k}/{field}/name"),
                        );
                    }
                }
            }
        }
        for (at, owner) in owners {
            for (list, inner, kind, name_field) in REFS {
                for (j, entry) in items(owner, list) {
                    if let Some(r) = entry.pointer(inner) {
                        check(
                            kind,
                            s(r, &format!("/{name_field}")),
                            truthy(r, "/optional"),
                            format!("{at}/{list}/{j}{inner}/{name_field}"),
                        );
                    }
                }
            }
        }
    }
    out
}

/// For workloads: a selector the pod template's labels do not satisfy (the API server refuses
/// such a workload). `None` when it matches or there is nothing to check.
pub fn selector_mismatch(value: &Value) -> Option<(String, String)> {
    let kind = s(value, "/kind")?;
    if !matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
    ) || !s(value, "/apiVersion")?.starts_with("apps/")
    {
        return None;
    }
    let selector = value
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)?;
    // Without a pod template the schema's `spec.template` error is the one cause.
    value.pointer("/spec/template").filter(|t| t.is_object())?;
    let labels = value.pointer("/spec/template/metadata/labels");
    if labels_match(selector, labels) {
        return None;
    }
    let missing: Vec<String> = selector
        .iter()
        .filter(|(k, v)| labels.and_then(|l| l.get(k.as_str())) != Some(v))
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("?")))
        .collect();
    Some((
        "/spec/selector/matchLabels".into(),
        format!(
            "selector does not match the pod template labels (missing {}); the API server refuses it",
            missing.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn deployment(container: Value) -> Value {
        json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop"},
            "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
            "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[container]}}}})
    }

    fn rules(found: &[PracticeFinding]) -> Vec<(&str, &str)> {
        found.iter().map(|f| (f.rule, f.pointer.as_str())).collect()
    }

    #[test]
    fn a_hardened_container_passes_every_object_rule() {
        let good = deployment(json!({"name":"web","image":"shop/web:1.2.3",
            "resources":{"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"memory":"128Mi"}},
            "readinessProbe":{"httpGet":{"path":"/","port":80}},
            "livenessProbe":{"httpGet":{"path":"/","port":80}},
            "securityContext":{"runAsNonRoot":true,"allowPrivilegeEscalation":false},
            "env":[{"name":"A","value":"1"}]}));
        assert_eq!(object_findings(&good, 0), vec![]);
        assert_eq!(selector_mismatch(&good), None);
    }

    #[test]
    fn a_bare_pod_that_restarts_always_needs_probes_and_a_batch_pod_does_not() {
        let pod = |restart: Option<&str>| {
            let mut p = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
                "spec":{"containers":[{"name":"c","image":"i:1"}]}});
            if let Some(r) = restart {
                p["spec"]["restartPolicy"] = json!(r);
            }
            object_findings(&p, 0)
                .into_iter()
                .filter(|f| f.rule == "probes")
                .map(|f| f.message)
                .collect::<Vec<_>>()
        };
        let both = vec![
            "container \"c\" has no readinessProbe".to_string(),
            "container \"c\" has no livenessProbe".to_string(),
        ];
        assert_eq!(pod(None), both);
        assert_eq!(pod(Some("Always")), both);
        assert_eq!(pod(Some("Never")), Vec::<String>::new());
        assert_eq!(pod(Some("OnFailure")), Vec::<String>::new());
    }

    #[test]
    fn each_object_rule_fires_at_its_field() {
        let mut bad = deployment(json!({"name":"web","image":"shop/web",
            "securityContext":{"privileged":true,"allowPrivilegeEscalation":true},
            "env":[{"name":"A","value":"1"},{"name":"A","value":"2"}]}));
        bad["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
        let c = "/spec/template/spec/containers/0";
        assert_eq!(
            rules(&object_findings(&bad, 0)),
            vec![
                ("host-namespaces", "/spec/template/spec/hostNetwork"),
                ("image-tag", &format!("{c}/image")[..]),
                ("resources", &format!("{c}/resources")[..]),
                ("probes", c),
                ("probes", c),
                ("privileged", &format!("{c}/securityContext/privileged")[..]),
                (
                    "privileged",
                    &format!("{c}/securityContext/allowPrivilegeEscalation")[..]
                ),
                ("run-as-non-root", c),
                ("duplicate-env", &format!("{c}/env/1/name")[..]),
            ]
        );
        let latest = deployment(json!({"name":"web","image":"registry:5000/web:latest"}));
        assert!(
            object_findings(&latest, 0)[0]
                .message
                .contains("mutable tag latest")
        );
        // A registry port is not a tag; a digest pins.
        assert!(pinned("registry:5000/web").is_err());
        assert!(pinned("web@sha256:0123").is_ok());
    }

    #[test]
    fn cross_object_rules_look_at_the_whole_render() {
        let web = deployment(json!({"name":"web","image":"web:1",
            "envFrom":[{"configMapRef":{"name":"web-env"}}],
            "env":[{"name":"T","valueFrom":{"secretKeyRef":{"name":"token","key":"t","optional":true}}}]}));
        let svc = json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"api","namespace":"shop"},
            "spec":{"selector":{"app":"api"}}});
        let found = render_findings(&[&web, &svc]);
        assert_eq!(
            rules(&found),
            vec![
                ("service-selector", "/spec/selector"),
                ("pdb", "/spec/replicas"),
                (
                    "missing-reference",
                    "/spec/template/spec/containers/0/envFrom/0/configMapRef/name"
                ),
            ]
        );
        let cm = json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"web-env","namespace":"shop"}});
        let pdb = json!({"apiVersion":"policy/v1","kind":"PodDisruptionBudget",
            "metadata":{"name":"web","namespace":"shop"},"spec":{"selector":{"matchLabels":{"app":"web"}}}});
        let svc_ok = json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop"},
            "spec":{"selector":{"app":"web"}}});
        assert_eq!(render_findings(&[&web, &cm, &pdb, &svc_ok]), vec![]);
    }

    #[test]
    fn a_selector_that_misses_the_template_is_refused() {
        let mut d = deployment(json!({"name":"web","image":"web:1"}));
        d["spec"]["template"]["metadata"]["labels"] = json!({"app":"other"});
        let (pointer, message) = selector_mismatch(&d).unwrap();
        assert_eq!(pointer, "/spec/selector/matchLabels");
        assert!(message.contains("missing app=web"), "{message}");
    }
}
