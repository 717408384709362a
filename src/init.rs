//! `rollout init`: a commented `rollout.yaml` written from what an existing base contains (workload
//! kinds, names, containers, images), which `rollout generate` accepts as is.
//!
//! Owns the text of the first spec. Pure: the caller renders the base (our kustomize engine, or
//! `helm template` for a chart) and writes the file.

use crate::value::Value;

use crate::resource::Resource;
use crate::spec::WorkloadKind;
use crate::target::pod_containers;
use crate::verify::policy::split_image;

/// What the first spec is written from.
#[derive(Debug, Clone)]
pub struct InitInput<'a> {
    /// `metadata.name`.
    pub name: String,
    /// `base: {path}` (a kustomize directory) or `chart: {path}`, relative to the spec.
    pub base: InitBase,
    /// The first environment.
    pub env: String,
    /// Its namespace.
    pub namespace: String,
    /// The git repository Argo CD reads, when known.
    pub repo_url: Option<String>,
    /// The rendered base.
    pub resources: &'a [Resource],
}

/// The kind of base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitBase {
    /// A kustomize directory, relative to the spec.
    Kustomize(String),
    /// A Helm chart directory, relative to the spec, and the release (service) name.
    Chart(String, String),
}

/// The base cannot be described.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InitError {
    /// No workload in it.
    #[error(
        "the base contains no workload (Deployment, StatefulSet, DaemonSet, CronJob, Job or Rollout); it contains {0}"
    )]
    NoWorkload(String),
    /// A container's image carries neither tag nor digest.
    #[error(
        "container `{container}` of {workload} runs image {image:?} without a tag or digest: pin it in the base first"
    )]
    Untagged {
        /// `Kind/name`.
        workload: String,
        /// Container.
        container: String,
        /// Image.
        image: String,
    },
}

fn quote(s: &str) -> String {
    let plain = crate::yaml::parse_document(&format!("k: {s}\n"))
        .ok()
        .is_some_and(|d| d.value.get("k") == Some(&Value::String(s.to_string())));
    if plain && !s.contains(['#', ':']) {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

/// The spec text.
///
/// # Errors
/// A base without workloads, or a workload image without tag or digest.
pub fn spec_text(input: &InitInput<'_>) -> Result<String, InitError> {
    let workloads: Vec<(&Resource, WorkloadKind)> = input
        .resources
        .iter()
        .filter_map(|r| WorkloadKind::of(r.api_version(), r.kind()).map(|k| (r, k)))
        .collect();
    if workloads.is_empty() {
        let all: Vec<String> = input
            .resources
            .iter()
            .map(|r| format!("{}/{}", r.kind(), r.name()))
            .collect();
        return Err(InitError::NoWorkload(if all.is_empty() {
            "no objects".into()
        } else {
            all.join(", ")
        }));
    }
    let mut out = String::new();
    out.push_str(&format!(
        "# The rollout spec of {}, written by `rollout init` from what its base contains.\n\
         # Edit it, run `rollout generate`, and commit what it writes; CI runs `rollout generate --check`.\n\
         # `rollout schema spec` prints every field.\n",
        input.name
    ));
    out.push_str("apiVersion: rollout/v1alpha1\nkind: Rollout\nmetadata:\n");
    out.push_str(&format!("  name: {}\n", quote(&input.name)));
    out.push_str("# Prefix of the labels and annotations rollout writes.\ndomain: rollout\n");
    match &input.base {
        InitBase::Kustomize(p) => {
            out.push_str("# The kustomize base the overlays build on (relative to this file).\n");
            out.push_str(&format!("base:\n  path: {}\n", quote(p)));
        }
        InitBase::Chart(p, _) => {
            out.push_str("# The Helm chart; `rollout hydrate` renders it into overlays/base/.\n");
            out.push_str(&format!(
                "chart:\n  path: {}\n  # Every service reads the chart's own values.yaml; use `values-{{service}}.yaml` for one file each.\n  valuesFile: values.yaml\n  # The values key of the env list the chart gives the container (checked by `rollout hydrate`).\n  flagValues: env\n",
                quote(p)
            ));
        }
    }
    out.push_str("# Where generated files go (relative to this file).\nlayout:\n  overlays: overlays\n  argocd: argocd\n");
    out.push_str("environments:\n");
    out.push_str(&format!("  {}:\n", input.env));
    out.push_str(&format!("    namespace: {}\n", input.namespace));
    out.push_str(&format!(
        "    # The cluster's name, as Argo CD and your kubeconfig know it.\n    cluster: {}\n",
        input.env
    ));
    out.push_str("    argocd:\n      project: default\n");
    match &input.repo_url {
        Some(u) => out.push_str(&format!("      repoURL: {}\n", quote(u))),
        None => out.push_str(
            "      # The git repository Argo CD reads (no `origin` remote was found).\n      repoURL: https://git.example.com/CHANGE-ME.git\n",
        ),
    }
    out.push_str("      targetRevision: main\n");
    out.push_str("    # Per-service tag overrides in this environment (`rollout promote` writes them).\n    tags: {}\n");
    out.push_str("services:\n");
    let chart_release = match &input.base {
        InitBase::Chart(_, release) => Some(release.as_str()),
        InitBase::Kustomize(_) => None,
    };
    let mut names = Vec::new();
    for (r, kind) in &workloads {
        // A chart is one release: one service, its first workload.
        if chart_release.is_some() && !names.is_empty() {
            out.push_str(&format!(
                "  # The chart also renders {}/{} (a release is one service).\n",
                kind.kind(),
                r.name()
            ));
            continue;
        }
        let service = chart_release.unwrap_or(r.name()).to_string();
        let containers: Vec<(&str, &str)> = pod_containers(&r.value, *kind)
            .map(|cs| {
                cs.iter()
                    .map(|c| {
                        (
                            c.get("name").and_then(Value::as_str).unwrap_or(""),
                            c.get("image").and_then(Value::as_str).unwrap_or(""),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let main = containers
            .iter()
            .find(|(n, _)| *n == service)
            .or_else(|| containers.first());
        let Some((cname, image)) = main else { continue };
        let (repo, tag, digest) = split_image(image);
        if tag.is_none() && digest.is_none() {
            return Err(InitError::Untagged {
                workload: format!("{}/{}", kind.kind(), r.name()),
                container: cname.to_string(),
                image: image.to_string(),
            });
        }
        out.push_str(&format!("  - name: {}\n", quote(&service)));
        out.push_str(&format!("    image: {}\n", quote(repo)));
        if let Some(t) = tag {
            out.push_str(&format!("    tag: {}\n", quote(t)));
        }
        if let Some(d) = digest {
            out.push_str(&format!("    digest: {}\n", quote(d)));
        }
        if *kind != WorkloadKind::Deployment || r.name() != service {
            out.push_str(&format!("    workload:\n      kind: {}\n", kind.kind()));
            if r.name() != service {
                out.push_str(&format!("      name: {}\n", quote(r.name())));
            }
        }
        if containers.len() > 1 {
            let list: Vec<&str> = containers.iter().map(|(n, _)| *n).collect();
            out.push_str(&format!(
                "    # Containers: {}; a flag goes to `{cname}`.\n    container: {}\n",
                list.join(", "),
                quote(cname)
            ));
        }
        names.push(service);
    }
    let example = names.first().cloned().unwrap_or_default();
    out.push_str(&format!(
        "# Feature flags: env vars set per environment on the services' containers.\nflags: []\n\
         # flags:\n\
         #   - name: NEW_FEATURE\n\
         #     services: [{example}]\n\
         #     values:\n\
         #       {}: \"1\"\n\
         #     rollback: \"0\"\n",
        input.env
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_written_spec_is_valid_and_addresses_what_the_base_contains() {
        let base = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: shop-db}\nspec: {template: {spec: {containers: [{name: pg, image: postgres:16.4}, {name: exporter, image: 'exp@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}]}}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: x}\n";
        let list = crate::resource::parse_resources(base, Path::new("b.yaml")).unwrap();
        let input = InitInput {
            name: "shop".into(),
            base: InitBase::Kustomize("../k8s/base".into()),
            env: "dev".into(),
            namespace: "shop".into(),
            repo_url: None,
            resources: &list,
        };
        let text = spec_text(&input).unwrap();
        let spec = crate::spec::parse(&text, Path::new("rollout.yaml")).unwrap();
        let s = &spec.services[0];
        assert_eq!(
            (s.name.as_str(), s.image.as_str(), s.tag.as_deref()),
            ("shop-db", "postgres", Some("16.4"))
        );
        assert_eq!(s.workload.kind, WorkloadKind::StatefulSet);
        assert!(
            text.contains("# Containers: pg, exporter; a flag goes to `pg`.\n    container: pg\n"),
            "{text}"
        );
        let t = crate::target::resolve(&spec, &list, "base").unwrap();
        assert_eq!(t[0].name, "shop-db");

        let bare = crate::resource::parse_resources(
            &base.replace("postgres:16.4", "postgres"),
            Path::new("b.yaml"),
        )
        .unwrap();
        let e = spec_text(&InitInput {
            resources: &bare,
            ..input.clone()
        })
        .unwrap_err();
        assert!(e.to_string().contains("without a tag or digest"), "{e}");
        let none = crate::resource::parse_resources(
            "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n",
            Path::new("b.yaml"),
        )
        .unwrap();
        let e = spec_text(&InitInput {
            resources: &none,
            ..input
        })
        .unwrap_err();
        assert!(e.to_string().ends_with("it contains Service/x"), "{e}");
    }
}
