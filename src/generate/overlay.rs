//! The Kustomize overlay of one environment: `kustomization.yaml` (kustomize v5 fields only) and one
//! strategic-merge patch per service. Pure: spec in, files out.

use std::path::Path;

use serde_json::{Value, json};

use super::{BASE_IMAGE_ANNOTATION, ENVIRONMENT_LABEL, overlay_dir, with_header};
use crate::fileset::FileSet;
use crate::spec::{Service, Spec};
use crate::yaml;

/// The patch file name of a service inside the overlay.
pub fn patch_file(service: &str) -> String {
    format!("patch-{service}.yaml")
}

/// The overlay's files: `kustomization.yaml` and `patch-<service>.yaml` for every service.
pub fn files(spec: &Spec, env: &str, rollback: bool) -> FileSet {
    let dir = overlay_dir(env, rollback);
    let mut set = FileSet {
        owned_dirs: vec![dir.clone()],
        ..Default::default()
    };
    set.insert(
        dir.join("kustomization.yaml"),
        with_header(yaml::emit(&kustomization(spec, env))),
    );
    for svc in &spec.services {
        let patch = patch(spec, svc, env, rollback);
        set.insert(
            dir.join(patch_file(&svc.name)),
            with_header(yaml::emit(&patch)),
        );
    }
    set
}

/// `kustomization.yaml` of the overlay.
pub fn kustomization(spec: &Spec, env: &str) -> Value {
    let namespace = &spec.environments[env].namespace;
    let images: Vec<Value> = spec.services.iter().map(image_entry).collect();
    let patches: Vec<Value> = spec
        .services
        .iter()
        .map(|s| json!({ "path": patch_file(&s.name) }))
        .collect();
    let base = Path::new("..").join("base");
    let mut k = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [base.to_string_lossy()],
        "patches": patches,
        "images": images,
        "labels": [{
            "includeSelectors": false,
            "pairs": { ENVIRONMENT_LABEL: env },
        }],
    });
    if namespace != spec.base_namespace() {
        k["namespace"] = Value::String(namespace.clone());
    }
    k
}

fn image_entry(svc: &Service) -> Value {
    let mut e = json!({ "name": svc.image });
    if let Some(t) = &svc.tag {
        e["newTag"] = Value::String(t.clone());
    }
    if let Some(d) = &svc.digest {
        e["digest"] = Value::String(d.clone());
    }
    e
}

/// The strategic-merge patch of one service: the base-image annotation on the workload and, for
/// flagged services, the flag as an env var of the service's container (a string value). It
/// carries the base objects' namespace, or kustomize would match nothing.
pub fn patch(spec: &Spec, svc: &Service, env: &str, rollback: bool) -> Value {
    let mut p = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": svc.name,
            "namespace": spec.base_namespace(),
            "annotations": { BASE_IMAGE_ANNOTATION: spec.base_image },
        },
    });
    let flags = spec.flags_for(&svc.name, env, rollback);
    if !flags.is_empty() {
        let env_vars: Vec<Value> = flags
            .iter()
            .map(|(n, v)| json!({ "name": n, "value": v }))
            .collect();
        p["spec"] = json!({
            "template": { "spec": { "containers": [{ "name": svc.container_name(), "env": env_vars }] } }
        });
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        crate::spec::parse(
            include_str!("../../rollout.yaml"),
            Path::new("rollout.yaml"),
        )
        .unwrap()
    }

    #[test]
    fn flagged_services_get_the_flag_others_only_the_annotation() {
        let s = spec();
        let auth = patch(&s, s.service("auth").unwrap(), "staging", false);
        assert_eq!(
            auth["spec"]["template"]["spec"]["containers"][0]["env"][0],
            json!({"name": "ENABLE_EMBEDDING_EVENT_STREAMS", "value": "1"})
        );
        assert_eq!(auth["metadata"]["namespace"], "media");
        let mc = patch(&s, s.service("media-clustering").unwrap(), "staging", false);
        assert!(mc.get("spec").is_none());
        assert_eq!(
            mc["metadata"]["annotations"][BASE_IMAGE_ANNOTATION],
            "sploot/python-base:3.11-cpu"
        );
        let rb = patch(&s, s.service("embedder").unwrap(), "staging", true);
        assert_eq!(
            rb["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"],
            "0"
        );
    }

    #[test]
    fn kustomization_uses_v5_fields_only() {
        let k = kustomization(&spec(), "staging");
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
    }
}
