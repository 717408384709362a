//! The Kustomize overlay of one environment: `kustomization.yaml` (kustomize v5 fields only) and one
//! patch per service, aimed at the workload the base really contains. Pure: spec, layout and the
//! resolved targets in, files out.
//!
//! Built-in workload kinds get a strategic-merge patch that carries the base object's namespace
//! exactly as the base writes it (none when it has none: kustomize matches a patch by the id the
//! object has before the overlay's own `namespace:` applies). Argo Rollouts are custom resources,
//! whose lists a strategic merge would replace whole: they get a JSON 6902 patch addressing the
//! containers by their index in the base.

use crate::json;
use crate::value::{Map, Value};

use super::{GenerateError, base_image_annotation, environment_label, with_header};
use crate::fileset::FileSet;
use crate::layout::Layout;
use crate::spec::{ScrapeMode, Service, Spec, WorkloadKind};
use crate::target::Target;
use crate::yaml;

/// The patch file name of a service inside the overlay.
pub fn patch_file(service: &str) -> String {
    format!("patch-{service}.yaml")
}

/// The ServiceMonitor file name of a service inside the overlay (`metrics.mode: serviceMonitor`).
pub fn service_monitor_file(service: &str) -> String {
    format!("servicemonitor-{service}.yaml")
}

/// The `prometheus.io/*` annotations a service's pods get (`metrics.mode: annotations`).
fn scrape_annotations(
    svc: &Service,
    t: &Target,
) -> Option<std::collections::BTreeMap<String, String>> {
    let m = svc.metrics.as_ref()?;
    (m.mode == ScrapeMode::Annotations)
        .then(|| t.scrape.as_ref().map(|p| crate::scrape::annotations(m, p)))
        .flatten()
}

/// The overlay's files: `kustomization.yaml` and `patch-<service>.yaml` for every service that has
/// something to patch.
///
/// # Errors
/// [`GenerateError::Namespace`] when the environment's services need different namespaces.
pub fn files(
    spec: &Spec,
    layout: &Layout,
    targets: &[Target],
    env: &str,
    rollback: bool,
) -> Result<FileSet, GenerateError> {
    let dir = layout.overlay_dir(env, rollback);
    let mut set = FileSet {
        owned_dirs: vec![dir.clone()],
        ..Default::default()
    };
    let mut patches = Vec::new();
    let mut monitors = Vec::new();
    for (svc, t) in spec.services.iter().zip(targets) {
        if let (Some(m), Some(p)) = (&svc.metrics, &t.scrape)
            && m.mode == ScrapeMode::ServiceMonitor
            && let Some(sm) =
                crate::scrape::service_monitor(&svc.name, m, p, t.namespace.as_deref())
        {
            let file = service_monitor_file(&svc.name);
            set.insert(dir.join(&file), with_header(yaml::emit(&sm)));
            monitors.push(Value::String(file));
        }
        let Some(body) = patch(spec, svc, t, env, rollback) else {
            continue;
        };
        let file = patch_file(&svc.name);
        let mut entry = json!({ "path": file });
        if t.kind == WorkloadKind::Rollout {
            entry["target"] = patch_target(t);
        }
        patches.push(entry);
        set.insert(dir.join(&file), with_header(yaml::emit(&body)));
    }
    let mut k = kustomization(spec, layout, targets, env, rollback, patches)?;
    if let Some(list) = k.get_mut("resources").and_then(Value::as_array_mut) {
        list.extend(monitors);
    }
    set.insert(dir.join("kustomization.yaml"), with_header(yaml::emit(&k)));
    Ok(set)
}

/// `kustomization.yaml` of the overlay, given its `patches` entries.
///
/// # Errors
/// As [`files`].
pub fn kustomization(
    spec: &Spec,
    layout: &Layout,
    targets: &[Target],
    env: &str,
    rollback: bool,
    patches: Vec<Value>,
) -> Result<Value, GenerateError> {
    let images: Vec<Value> = spec
        .services
        .iter()
        .map(|s| image_entry(spec, s, env))
        .collect();
    let mut k = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [layout.base_from_overlay(env, rollback)],
        "images": images,
        "labels": [{
            "includeSelectors": false,
            "pairs": { environment_label(spec): env },
        }],
    });
    if !patches.is_empty() {
        k["patches"] = Value::Array(patches);
    }
    if let Some(ns) = overlay_namespace(spec, targets, env)? {
        k["namespace"] = Value::String(ns);
    }
    Ok(k)
}

/// The overlay's `namespace:`: set when some workload is not already in the namespace it runs in
/// for `env` (a base without `metadata.namespace`, or one rendered for another environment). One
/// overlay moves every object to one namespace, so the services must agree on it.
fn overlay_namespace(
    spec: &Spec,
    targets: &[Target],
    env: &str,
) -> Result<Option<String>, GenerateError> {
    let mut wanted: Option<(&str, usize)> = None;
    let mut moves = false;
    for (i, (svc, t)) in spec.services.iter().zip(targets).enumerate() {
        let ns = spec.namespace_in(svc, env);
        if t.namespace.as_deref() != Some(ns) {
            moves = true;
        }
        match wanted {
            None => wanted = Some((ns, i)),
            Some((w, j)) if w != ns => {
                return Err(GenerateError::Namespace {
                    at: spec.position(&format!("/services/{i}")),
                    message: format!(
                        "services `{}` and `{}` run in namespaces `{w}` and `{ns}` in environment `{env}`, \
                         and their base objects are not already there: one overlay can move them to one namespace only",
                        spec.services[j].name, svc.name
                    ),
                });
            }
            Some(_) => {}
        }
    }
    Ok(match wanted {
        Some((ns, _)) if moves => Some(ns.to_string()),
        _ => None,
    })
}

fn image_entry(spec: &Spec, svc: &Service, env: &str) -> Value {
    let mut e = json!({ "name": svc.image });
    if let Some(t) = spec.tag_in(svc, env) {
        e["newTag"] = Value::String(t);
    }
    if let Some(d) = &svc.digest {
        e["digest"] = Value::String(d.clone());
    }
    e
}

fn patch_target(t: &Target) -> Value {
    let (group, version) = t
        .api_version
        .rsplit_once('/')
        .unwrap_or(("", &t.api_version));
    let mut target =
        json!({ "group": group, "version": version, "kind": t.kind.kind(), "name": t.name });
    if let Some(ns) = &t.namespace {
        target["namespace"] = Value::String(ns.clone());
    }
    target
}

/// The patch of one service: the base-image annotation on the workload (when the spec names a base
/// image) and, for flagged services, each flag as an env var (a string) of each container it goes
/// to. `None` when there is nothing to patch.
pub fn patch(spec: &Spec, svc: &Service, t: &Target, env: &str, rollback: bool) -> Option<Value> {
    let flags = spec.flags_for(&svc.name, env, rollback);
    let scrape = scrape_annotations(svc, t);
    if spec.base_image.is_none() && flags.is_empty() && scrape.is_none() {
        return None;
    }
    if t.kind == WorkloadKind::Rollout {
        return Some(json_patch(spec, t, &flags, scrape.as_ref()));
    }
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(t.name));
    if let Some(ns) = &t.namespace {
        metadata.insert("namespace".into(), json!(ns));
    }
    if let Some(b) = &spec.base_image {
        metadata.insert(
            "annotations".into(),
            json!({ base_image_annotation(spec): b }),
        );
    }
    let mut p = json!({
        "apiVersion": t.api_version,
        "kind": t.kind.kind(),
        "metadata": metadata,
    });
    let mut template = Map::new();
    if let Some(a) = &scrape {
        template.insert("metadata".into(), json!({ "annotations": a }));
    }
    if !flags.is_empty() {
        let env_vars: Vec<Value> = flags
            .iter()
            .map(|(n, v)| json!({ "name": n, "value": v }))
            .collect();
        let containers: Vec<Value> = t
            .flagged_names()
            .into_iter()
            .map(|c| json!({ "name": c, "env": env_vars }))
            .collect();
        template.insert("spec".into(), json!({ "containers": containers }));
    }
    if !template.is_empty() {
        let path = t.kind.pod_spec_path();
        let mut node = Value::Object(template);
        for key in path[..path.len().saturating_sub(1)].iter().rev() {
            node = json!({ *key: node });
        }
        if let (Some(p), Some(n)) = (p.as_object_mut(), node.as_object_mut()) {
            p.append(n);
        }
    }
    Some(p)
}

/// A JSON 6902 patch (for custom resources): the annotation, then each flag on each flagged
/// container, replacing an entry the base already has.
fn json_patch(
    spec: &Spec,
    t: &Target,
    flags: &[(&str, &str)],
    scrape: Option<&std::collections::BTreeMap<String, String>>,
) -> Value {
    let mut ops = Vec::new();
    if let Some(b) = &spec.base_image {
        let key = base_image_annotation(spec);
        if t.has_annotations {
            ops.push(json!({"op": "add", "path": format!("/metadata/annotations/{}", escape(&key)), "value": b}));
        } else {
            ops.push(json!({"op": "add", "path": "/metadata/annotations", "value": { key: b }}));
        }
    }
    if let (Some(a), Some(p)) = (scrape, &t.scrape) {
        let at = format!(
            "{}/metadata/annotations",
            crate::scrape::template_pointer(t.kind)
        );
        if p.template_has_annotations {
            for (k, v) in a {
                ops.push(json!({"op": "add", "path": format!("{at}/{}", escape(k)), "value": v}));
            }
        } else {
            ops.push(json!({"op": "add", "path": at, "value": a}));
        }
    }
    let pod = format!("/{}", t.kind.pod_spec_path().join("/"));
    for &i in &t.flagged {
        let c = &t.containers[i];
        let base = format!("{pod}/containers/{i}/env");
        let mut names = c.env.clone();
        for (name, value) in flags {
            let entry = json!({ "name": name, "value": value });
            match &mut names {
                None => {
                    ops.push(json!({"op": "add", "path": base, "value": [entry]}));
                    names = Some(vec![name.to_string()]);
                }
                Some(list) => match list.iter().position(|n| n == name) {
                    Some(j) => ops.push(
                        json!({"op": "replace", "path": format!("{base}/{j}"), "value": entry}),
                    ),
                    None => {
                        ops.push(json!({"op": "add", "path": format!("{base}/-"), "value": entry}));
                        list.push(name.to_string());
                    }
                },
            }
        }
    }
    Value::Array(ops)
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn spec() -> Spec {
        crate::spec::parse(
            include_str!("../../rollout.yaml"),
            Path::new("rollout.yaml"),
        )
        .unwrap()
    }

    fn target(kind: WorkloadKind, ns: Option<&str>) -> Target {
        Target {
            service: "auth".into(),
            kind,
            api_version: kind.api_version().into(),
            name: "auth".into(),
            namespace: ns.map(str::to_string),
            containers: vec![crate::target::ContainerInfo {
                name: "auth".into(),
                image: "sploot/auth-service:1".into(),
                env: Some(vec!["LOG_LEVEL".into()]),
            }],
            flagged: vec![0],
            has_annotations: false,
            scrape: None,
        }
    }

    #[test]
    fn flagged_services_get_the_flag_others_only_the_annotation() {
        let s = spec();
        let t = target(WorkloadKind::Deployment, Some("media"));
        let auth = patch(&s, s.service("auth").unwrap(), &t, "staging", false).unwrap();
        assert_eq!(
            auth["spec"]["template"]["spec"]["containers"][0]["env"][0],
            json!({"name": "ENABLE_EMBEDDING_EVENT_STREAMS", "value": "1"})
        );
        assert_eq!(auth["metadata"]["namespace"], "media");
        let mc = patch(
            &s,
            s.service("media-clustering").unwrap(),
            &t,
            "staging",
            false,
        )
        .unwrap();
        assert!(mc.get("spec").is_none());
        assert_eq!(
            mc["metadata"]["annotations"]["rollout.sploot.io/base-image"],
            "sploot/python-base:3.11-cpu"
        );
        let rb = patch(&s, s.service("embedder").unwrap(), &t, "staging", true).unwrap();
        assert_eq!(
            rb["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"],
            "0"
        );
    }

    #[test]
    fn cron_jobs_are_patched_at_their_job_template_and_a_base_without_namespace_gets_none() {
        let s = spec();
        let t = target(WorkloadKind::CronJob, None);
        let p = patch(&s, s.service("auth").unwrap(), &t, "staging", false).unwrap();
        assert_eq!(p["apiVersion"], "batch/v1");
        assert!(p["metadata"].get("namespace").is_none(), "{p}");
        assert_eq!(
            p["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["name"],
            "auth"
        );
    }

    #[test]
    fn argo_rollouts_get_a_json_patch_by_container_index() {
        let s = spec();
        let mut t = target(WorkloadKind::Rollout, None);
        t.containers.insert(
            0,
            crate::target::ContainerInfo {
                name: "proxy".into(),
                image: "envoy".into(),
                env: None,
            },
        );
        t.flagged = vec![1, 0];
        let p = patch(&s, s.service("auth").unwrap(), &t, "staging", false).unwrap();
        assert_eq!(
            p,
            json!([
                {"op": "add", "path": "/metadata/annotations", "value": {"rollout.sploot.io/base-image": "sploot/python-base:3.11-cpu"}},
                {"op": "add", "path": "/spec/template/spec/containers/1/env/-", "value": {"name": "ENABLE_EMBEDDING_EVENT_STREAMS", "value": "1"}},
                {"op": "add", "path": "/spec/template/spec/containers/0/env", "value": [{"name": "ENABLE_EMBEDDING_EVENT_STREAMS", "value": "1"}]},
            ])
        );
        assert_eq!(
            patch_target(&t),
            json!({"group": "argoproj.io", "version": "v1alpha1", "kind": "Rollout", "name": "auth"})
        );
    }

    #[test]
    fn kustomization_uses_v5_fields_only_and_moves_namespace_only_when_needed() {
        let s = spec();
        let layout = Layout::new(&s, ".", "");
        let here: Vec<Target> = (0..3)
            .map(|_| target(WorkloadKind::Deployment, Some("media")))
            .collect();
        let k = kustomization(
            &s,
            &layout,
            &here,
            "staging",
            false,
            vec![json!({"path": "p"})],
        )
        .unwrap();
        let keys: Vec<_> = k.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "apiVersion",
                "images",
                "kind",
                "labels",
                "patches",
                "resources"
            ]
        );
        assert_eq!(k["labels"][0]["includeSelectors"], false);
        let bare: Vec<Target> = (0..3)
            .map(|_| target(WorkloadKind::Deployment, None))
            .collect();
        let k = kustomization(&s, &layout, &bare, "staging", false, vec![]).unwrap();
        assert_eq!(k["namespace"], "media");
        assert!(k.get("patches").is_none());
    }
}
