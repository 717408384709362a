//! Per-environment Helm values files (`charts/<chart>/values-<service>-<env>.yaml`) for teams that
//! deploy the chart with Helm instead of the overlay: the new image tag, the flags, the base-image
//! annotation. Pure: spec and base values in, files out.

use std::collections::BTreeMap;

use crate::json;
use crate::value::Value;

use super::{base_image_annotation, with_header};
use crate::fileset::FileSet;
use crate::spec::Spec;
use crate::yaml;

/// The values file name of a service in an environment.
pub fn values_file(service: &str, env: &str) -> String {
    format!("values-{service}-{env}.yaml")
}

/// The values files `generate` wrote for services no longer in the spec: files in the chart
/// directory named `values-<name>-<env>.yaml` for an environment generated, that carry the
/// generated header and are no current service's file (nor a service's base values file).
///
/// # Errors
/// The chart directory exists but cannot be listed.
pub fn stale(
    spec: &Spec,
    root: &std::path::Path,
    envs: &[&str],
) -> std::io::Result<Vec<std::path::PathBuf>> {
    let Some(chart) = &spec.chart else {
        return Ok(Vec::new());
    };
    let header = crate::hydrate::generated_header("rollout generate");
    let current: std::collections::BTreeSet<std::path::PathBuf> = spec
        .services
        .iter()
        .flat_map(|s| {
            let base = chart.values_path(&s.name);
            spec.environments
                .keys()
                .map(|e| chart.path.join(values_file(&s.name, e)))
                .chain(std::iter::once(base))
                .collect::<Vec<_>>()
        })
        .collect();
    let entries = match std::fs::read_dir(root.join(&chart.path)) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = envs.iter().any(|env| {
            name.strip_prefix("values-")
                .and_then(|n| n.strip_suffix(&format!("-{env}.yaml")))
                .is_some_and(|svc| !svc.is_empty())
        });
        let rel = chart.path.join(&name);
        if !ours || current.contains(&rel) || !entry.path().is_file() {
            continue;
        }
        let generated = crate::fsutil::read_to_string(&entry.path())
            .map(|t| t.starts_with(&header))
            .unwrap_or(false);
        if generated {
            out.push(rel);
        }
    }
    out.sort();
    Ok(out)
}

/// One values file per service (none without a chart). Helm replaces lists, so a flagged
/// service's env list (at the chart's `flagValues` key path) is its base list with each flag set
/// (replaced in place, or appended).
pub fn files(spec: &Spec, env: &str, base: &BTreeMap<String, Value>) -> FileSet {
    let mut set = FileSet::default();
    let Some(chart) = &spec.chart else {
        return set;
    };
    let key_path: Vec<&str> = chart.flag_values.split('.').collect();
    for svc in &spec.services {
        let mut v = json!({
            "image": { "repository": svc.image, "tag": spec.tag_in(svc, env).unwrap_or_default() },
        });
        if let Some(b) = &spec.base_image {
            v["podAnnotations"] = json!({ base_image_annotation(spec): b });
        }
        let flags = spec.flags_for(&svc.name, env, false);
        if !flags.is_empty() {
            let mut list: Vec<Value> = base
                .get(&svc.name)
                .and_then(|b| at_path(b, &key_path))
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
            set_path(&mut v, &key_path, Value::Array(list));
        }
        set.insert(
            chart.path.join(values_file(&svc.name, env)),
            with_header(yaml::emit(&v)),
        );
    }
    set
}

/// The value at a values key path, if every step is a mapping key.
pub fn at_path<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, k| cur.get(*k))
}

fn set_path(v: &mut Value, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for k in parents {
        if !cur.get(*k).is_some_and(Value::is_object) {
            cur[*k] = json!({});
        }
        cur = &mut cur[*k];
    }
    cur[*last] = value;
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

    #[test]
    fn the_flag_goes_where_the_chart_reads_it() {
        let text = include_str!("../../rollout.yaml").replace(
            "  path: charts/media-service\n",
            "  path: charts/media-service\n  flagValues: app.extraEnv\n",
        );
        let spec = crate::spec::parse(&text, Path::new("rollout.yaml")).unwrap();
        let mut base = BTreeMap::new();
        base.insert(
            "auth".to_string(),
            json!({"app": {"extraEnv": [{"name": "A", "value": "b"}]}, "env": [{"name": "LOG_LEVEL", "value": "info"}]}),
        );
        let set = files(&spec, "staging", &base);
        let auth =
            &set.files[&Path::new("charts/media-service/values-auth-staging.yaml").to_path_buf()];
        assert!(auth.contains("app:\n  extraEnv:\n  - name: A\n    value: b\n  - name: ENABLE_EMBEDDING_EVENT_STREAMS\n"), "{auth}");
        assert!(!auth.contains("LOG_LEVEL"), "{auth}");
    }
}
