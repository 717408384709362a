//! Per-environment Helm values files (`charts/<chart>/values-<service>-<env>.yaml`) for teams that
//! deploy the chart with Helm instead of the overlay: the new image tag, the flags, the base-image
//! annotation. Pure: spec and base values in, files out.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{BASE_IMAGE_ANNOTATION, with_header};
use crate::fileset::FileSet;
use crate::spec::Spec;
use crate::yaml;

/// The values file name of a service in an environment.
pub fn values_file(service: &str, env: &str) -> String {
    format!("values-{service}-{env}.yaml")
}

/// One values file per service. Helm replaces lists, so a flagged service's `env` is its base
/// `env` with each flag set (replaced in place, or appended).
pub fn files(spec: &Spec, env: &str, base: &BTreeMap<String, Value>) -> FileSet {
    let mut set = FileSet::default();
    for svc in &spec.services {
        let mut v = json!({
            "image": { "repository": svc.image, "tag": svc.tag.clone().unwrap_or_default() },
            "podAnnotations": { BASE_IMAGE_ANNOTATION: spec.base_image },
        });
        let flags = spec.flags_for(&svc.name, env, false);
        if !flags.is_empty() {
            let mut list: Vec<Value> = base
                .get(&svc.name)
                .and_then(|b| b.get("env"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (name, value) in flags {
                let entry = json!({ "name": name, "value": value });
                match list
                    .iter_mut()
                    .find(|e| e.get("name").and_then(Value::as_str) == Some(name))
                {
                    Some(existing) => *existing = entry,
                    None => list.push(entry),
                }
            }
            v["env"] = Value::Array(list);
        }
        set.insert(
            spec.chart.path.join(values_file(&svc.name, env)),
            with_header(yaml::emit(&v)),
        );
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn flag_is_appended_to_base_env_or_replaced() {
        let spec = crate::spec::parse(
            include_str!("../../rollout.yaml"),
            Path::new("rollout.yaml"),
        )
        .unwrap();
        let mut base = BTreeMap::new();
        base.insert(
            "auth".to_string(),
            json!({"env": [{"name": "LOG_LEVEL", "value": "info"}]}),
        );
        base.insert("embedder".to_string(), json!({"env": [{"name": "ENABLE_EMBEDDING_EVENT_STREAMS", "value": "0"}, {"name": "X", "value": "y"}]}));
        let set = files(&spec, "staging", &base);
        let auth =
            &set.files[&Path::new("charts/media-service/values-auth-staging.yaml").to_path_buf()];
        assert!(auth.contains("- name: LOG_LEVEL\n  value: info\n- name: ENABLE_EMBEDDING_EVENT_STREAMS\n  value: \"1\"\n"), "{auth}");
        let emb = &set.files
            [&Path::new("charts/media-service/values-embedder-staging.yaml").to_path_buf()];
        assert!(
            emb.contains("- name: ENABLE_EMBEDDING_EVENT_STREAMS\n  value: \"1\"\n- name: X\n"),
            "{emb}"
        );
        let mc = &set.files
            [&Path::new("charts/media-service/values-media-clustering-staging.yaml").to_path_buf()];
        assert!(!mc.contains("env:"), "{mc}");
        assert!(mc.contains("tag: 0.12.0-python3.11-cpu"), "{mc}");
    }
}
