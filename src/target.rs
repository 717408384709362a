//! Which object of the base each service addresses, and which of its containers a flag goes to.
//!
//! Owns matching the spec's `workload` and `container` against what the base really contains
//! (kind, name, namespace as written in the base, container names and positions). Pure: the
//! caller renders the base; nothing here reads files.

use crate::value::Value;

use crate::resource::Resource;
use crate::spec::{Service, Spec, WorkloadKind};

/// One service's workload in the base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The service.
    pub service: String,
    /// Its workload kind.
    pub kind: WorkloadKind,
    /// `apiVersion` as the base writes it.
    pub api_version: String,
    /// The workload's name.
    pub name: String,
    /// `metadata.namespace` as the base writes it; `None` when the base leaves it out (a patch
    /// must then leave it out too, or kustomize matches nothing).
    pub namespace: Option<String>,
    /// Every container of the pod, in order.
    pub containers: Vec<ContainerInfo>,
    /// Indexes into `containers` of those a flag goes to (empty when the service has no flag).
    pub flagged: Vec<usize>,
    /// The base object carries `metadata.annotations`.
    pub has_annotations: bool,
    /// Where its metrics are served (`services[].metrics`), when the spec declares them.
    pub scrape: Option<crate::scrape::ScrapePoint>,
}

/// A container of the base workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    /// Its name.
    pub name: String,
    /// Its image, as in the base.
    pub image: String,
    /// The names of its `env` entries, in order; `None` when it has no `env`.
    pub env: Option<Vec<String>>,
}

impl Target {
    /// The names of the containers a flag goes to.
    pub fn flagged_names(&self) -> Vec<&str> {
        self.flagged
            .iter()
            .map(|&i| self.containers[i].name.as_str())
            .collect()
    }

    /// `Kind/name`, for messages.
    pub fn describe(&self) -> String {
        format!("{}/{}", self.kind.kind(), self.name)
    }
}

/// A service that does not match the base.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TargetError {
    /// JSON pointer into the spec of what is wrong.
    pub pointer: String,
    /// What is wrong and what the base contains.
    pub message: String,
}

/// The containers of a pod-carrying object of `kind`, at its pod spec.
pub fn pod_containers(value: &Value, kind: WorkloadKind) -> Option<&Vec<Value>> {
    let mut cur = value;
    for k in kind.pod_spec_path() {
        cur = cur.get(k)?;
    }
    cur.get("containers")?.as_array()
}

/// Resolves every service of `spec` against the rendered `base` (shown as `base_shown` in
/// messages).
///
/// # Errors
/// The first service whose workload or container the base does not contain; the message names
/// what it does contain.
pub fn resolve(
    spec: &Spec,
    base: &[Resource],
    base_shown: &str,
) -> Result<Vec<Target>, TargetError> {
    spec.services
        .iter()
        .enumerate()
        .map(|(i, svc)| resolve_one(spec, i, svc, base, base_shown))
        .collect()
}

fn flagged_anywhere(spec: &Spec, svc: &Service) -> bool {
    spec.flags
        .iter()
        .any(|f| f.services.iter().any(|s| s == &svc.name))
}

fn resolve_one(
    spec: &Spec,
    i: usize,
    svc: &Service,
    base: &[Resource],
    base_shown: &str,
) -> Result<Target, TargetError> {
    let kind = svc.workload.kind;
    let name = svc.workload_name();
    let workload_ptr = if svc.workload.name.is_some() {
        format!("/services/{i}/workload/name")
    } else {
        format!("/services/{i}/name")
    };
    let mut found: Vec<&Resource> = base
        .iter()
        .filter(|r| WorkloadKind::of(r.api_version(), r.kind()) == Some(kind) && r.name() == name)
        .collect();
    if let Some(ns) = &svc.workload.namespace {
        found.retain(|r| r.namespace().is_empty() || r.namespace() == ns);
    }
    let r = match found.as_slice() {
        [one] => *one,
        [] => {
            let workloads: Vec<String> = base
                .iter()
                .filter(|r| WorkloadKind::of(r.api_version(), r.kind()).is_some())
                .map(describe)
                .collect();
            let contains = if workloads.is_empty() {
                let all: Vec<String> = base.iter().map(describe).collect();
                if all.is_empty() {
                    "it contains no objects".to_string()
                } else {
                    format!("it contains no workload, only {}", all.join(", "))
                }
            } else {
                format!("it contains {}", workloads.join(", "))
            };
            return Err(TargetError {
                pointer: workload_ptr,
                message: format!(
                    "service `{}`: the base {base_shown} has no {} named `{name}`{}; {contains} (set `workload.kind` and `workload.name`)",
                    svc.name,
                    kind.kind(),
                    svc.workload
                        .namespace
                        .as_deref()
                        .map(|n| format!(" in namespace `{n}`"))
                        .unwrap_or_default(),
                ),
            });
        }
        many => {
            let nss: Vec<&str> = many.iter().map(|r| r.namespace()).collect();
            return Err(TargetError {
                pointer: format!("/services/{i}"),
                message: format!(
                    "service `{}`: the base {base_shown} has {} {} objects named `{name}` (namespaces {}); set `workload.namespace`",
                    svc.name,
                    many.len(),
                    kind.kind(),
                    nss.join(", ")
                ),
            });
        }
    };
    let containers: Vec<ContainerInfo> = pod_containers(&r.value, kind)
        .map(|cs| {
            cs.iter()
                .map(|c| ContainerInfo {
                    name: str_of(c, "name").to_string(),
                    image: str_of(c, "image").to_string(),
                    env: c
                        .get("env")
                        .and_then(Value::as_array)
                        .map(|e| e.iter().map(|v| str_of(v, "name").to_string()).collect()),
                })
                .collect()
        })
        .unwrap_or_default();
    let target_text = format!("{}/{name}", kind.kind());
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    let listed = || {
        if names.is_empty() {
            "no containers".to_string()
        } else {
            format!("containers {}", names.join(", "))
        }
    };
    let mut flagged = Vec::new();
    if let Some(wanted) = &svc.container {
        for (j, w) in wanted.names().into_iter().enumerate() {
            let ptr = match wanted {
                crate::spec::Containers::One(_) => format!("/services/{i}/container"),
                crate::spec::Containers::Many(_) => format!("/services/{i}/container/{j}"),
            };
            match names.iter().position(|n| *n == w) {
                Some(k) if !flagged.contains(&k) => flagged.push(k),
                Some(_) => {}
                None => {
                    return Err(TargetError {
                        pointer: ptr,
                        message: format!(
                            "service `{}`: {target_text} in the base {base_shown} has no container `{w}`; it has {}",
                            svc.name,
                            listed()
                        ),
                    });
                }
            }
        }
    } else if flagged_anywhere(spec, svc) {
        let k = if containers.len() == 1 {
            Some(0)
        } else {
            names.iter().position(|n| *n == svc.name)
        };
        match k {
            Some(k) => flagged.push(k),
            None => {
                return Err(TargetError {
                    pointer: format!("/services/{i}"),
                    message: format!(
                        "service `{}`: {target_text} in the base {base_shown} has {}, none named `{}`: say which the flag goes to with `container:`",
                        svc.name,
                        listed(),
                        svc.name
                    ),
                });
            }
        }
    }
    let namespace = match r.namespace() {
        "" => None,
        ns => Some(ns.to_string()),
    };
    let scrape = match &svc.metrics {
        None => None,
        Some(m) => {
            Some(
                crate::scrape::resolve(m, r, kind, base).map_err(|message| TargetError {
                    pointer: format!("/services/{i}/metrics/port"),
                    message: format!("service `{}`: {message}", svc.name),
                })?,
            )
        }
    };
    Ok(Target {
        service: svc.name.clone(),
        kind,
        api_version: r.api_version().to_string(),
        name: name.to_string(),
        namespace,
        containers,
        flagged,
        has_annotations: r.value.pointer("/metadata/annotations").is_some(),
        scrape,
    })
}

fn describe(r: &Resource) -> String {
    if r.namespace().is_empty() {
        format!("{}/{}", r.kind(), r.name())
    } else {
        format!("{}/{} (namespace {})", r.kind(), r.name(), r.namespace())
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const SPEC: &str = "apiVersion: rollout/v1alpha1
kind: Rollout
metadata: {name: shop}
base: {path: base}
environments:
  dev: {namespace: shop-dev, cluster: dev, argocd: {project: p, repoURL: r}}
services:
  - {name: api, image: shop/api, tag: '1'}
  - {name: db, image: postgres, tag: '16', workload: {kind: StatefulSet, name: shop-db}}
  - {name: report, image: shop/report, tag: '2', workload: {kind: CronJob}}
flags:
  - {name: NEW_CHECKOUT, services: [api, report], values: {dev: '1'}}
";

    const BASE: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
      - {name: api, image: shop/api:0.9, env: [{name: A, value: b}]}
      - {name: envoy, image: envoy:1}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: shop-db, namespace: data}
spec: {template: {spec: {containers: [{name: postgres, image: postgres:15}]}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, annotations: {x: y}}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: run, image: shop/report:1}]}}}}}
";

    fn run(spec: &str, base: &str) -> Result<Vec<Target>, TargetError> {
        let spec = crate::spec::parse(spec, Path::new("rollout.yaml")).unwrap();
        let base = crate::resource::parse_resources(base, Path::new("base.yaml")).unwrap();
        resolve(&spec, &base, "base")
    }

    #[test]
    fn kinds_names_namespaces_and_containers_come_from_the_base() {
        let t = run(SPEC, BASE).unwrap();
        assert_eq!(
            (t[0].kind, t[0].namespace.as_deref(), t[0].flagged_names()),
            (WorkloadKind::Deployment, None, vec!["api"])
        );
        assert_eq!(
            t[0].containers[0].env.as_deref(),
            Some(&["A".to_string()][..])
        );
        assert_eq!(t[0].containers[1].env, None);
        assert_eq!(
            (t[1].name.as_str(), t[1].namespace.as_deref()),
            ("shop-db", Some("data"))
        );
        assert!(t[1].flagged.is_empty(), "db has no flag");
        assert_eq!(t[2].kind, WorkloadKind::CronJob);
        assert_eq!(t[2].flagged_names(), vec!["run"], "the only container");
        assert!(t[2].has_annotations && !t[0].has_annotations);
    }

    #[test]
    fn a_missing_workload_names_what_the_base_contains() {
        let spec = SPEC.replace("workload: {kind: CronJob}", "workload: {kind: Job}");
        let e = run(&spec, BASE).unwrap_err();
        assert_eq!(e.pointer, "/services/2/name");
        assert_eq!(
            e.message,
            "service `report`: the base base has no Job named `report`; it contains Deployment/api, \
             StatefulSet/shop-db (namespace data), CronJob/report (set `workload.kind` and `workload.name`)"
        );
        let spec = SPEC.replace("name: shop-db}", "name: shop-db, namespace: other}");
        let e = run(&spec, BASE).unwrap_err();
        assert!(
            e.message
                .contains("no StatefulSet named `shop-db` in namespace `other`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn containers_default_to_the_one_named_like_the_service_else_an_error_lists_them() {
        let base = BASE.replace("{name: api, image", "{name: app, image");
        let e = run(SPEC, &base).unwrap_err();
        assert_eq!(e.pointer, "/services/0");
        assert!(
            e.message.contains(
                "Deployment/api in the base base has containers app, envoy, none named `api`"
            ),
            "{}",
            e.message
        );
        let spec = SPEC.replace(
            "{name: api, image: shop/api, tag: '1'}",
            "{name: api, image: shop/api, tag: '1', container: [envoy, app]}",
        );
        let t = run(&spec, &base).unwrap();
        assert_eq!(t[0].flagged_names(), vec!["envoy", "app"]);
        let spec = SPEC.replace("tag: '1'}", "tag: '1', container: sidecar}");
        let e = run(&spec, BASE).unwrap_err();
        assert_eq!(e.pointer, "/services/0/container");
        assert!(
            e.message
                .contains("has no container `sidecar`; it has containers api, envoy"),
            "{}",
            e.message
        );
    }
}
