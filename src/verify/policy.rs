//! The rollout policy over one environment's rendered resources: the feature flag on exactly the
//! listed services, every service image pinned to its expected build, no `:latest` and no image
//! without a tag or digest.
//!
//! Owns the rules only. Reads no spec: the caller fills [`PolicyInput`] (from `rollout.yaml`).

use crate::value::Value;

use crate::resource::Resource;

/// One service's expected image.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceImage {
    /// The workload name, e.g. `auth`.
    pub name: String,
    /// The container that runs the image; `None`: the one named like the workload, else the first.
    pub container: Option<String>,
    /// The image repository, e.g. `sploot/auth`.
    pub image_repo: String,
    /// The tag of the expected build, e.g. `3.11-cpu-4f2a9c1`.
    pub expected_tag: String,
}

/// What the policy checks one environment against.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicyInput {
    /// The environment (`staging`); its overlay is `overlays/<environment>/` unless `overlay` says
    /// otherwise.
    pub environment: String,
    /// The overlay directory relative to the verified root, `/`-separated; empty for
    /// `overlays/<environment>`.
    pub overlay: String,
    /// Per flagged workload, the containers that must carry the flag (others must not); a workload
    /// not listed: every container.
    pub flag_containers: std::collections::BTreeMap<String, Vec<String>>,
    /// The namespace the services run in (`media`).
    pub namespace: String,
    /// The flag's env var (`ENABLE_EMBEDDING_EVENT_STREAMS`).
    pub flag_name: String,
    /// The environment's value of the flag (`"1"`).
    pub flag_value: String,
    /// The services that must carry the flag; no other workload may.
    pub flagged_services: Vec<String>,
    /// Every service of the rollout with its expected image.
    pub services: Vec<ServiceImage>,
    /// The services' declared scraping (`services[].metrics`), checked by `super::scrape`.
    pub scrape: Vec<crate::scrape::ScrapeDecl>,
}

/// One policy violation, located in the resource at `resource` (index into the checked list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFinding {
    /// `policy-flag-missing`, `policy-flag-value`, `policy-flag-unexpected`, `policy-service-missing`,
    /// `policy-image-pin`, `policy-image-latest` or `policy-image-untagged`.
    pub code: &'static str,
    /// Terse message.
    pub message: String,
    /// Index of the resource, `None` when the finding is about something absent.
    pub resource: Option<usize>,
    /// JSON pointer inside that resource.
    pub pointer: String,
}

/// Where the pod spec sits in a workload kind.
pub(super) fn pod_spec_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "Rollout"
        | "ReplicationController" => Some("/spec/template/spec"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        "Pod" => Some("/spec"),
        _ => None,
    }
}

/// A container of a workload: its pointer and value.
struct Container<'a> {
    pointer: String,
    value: &'a Value,
    init: bool,
}

fn containers<'a>(r: &'a Resource) -> Vec<Container<'a>> {
    let Some(base) = pod_spec_pointer(r.kind()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (field, init) in [("containers", false), ("initContainers", true)] {
        let p = format!("{base}/{field}");
        if let Some(Value::Array(items)) = r.value.pointer(&p) {
            for (i, c) in items.iter().enumerate() {
                out.push(Container {
                    pointer: format!("{p}/{i}"),
                    value: c,
                    init,
                });
            }
        }
    }
    out
}

fn name_of(c: &Value) -> &str {
    c.get("name").and_then(Value::as_str).unwrap_or("")
}

/// Splits an image reference into (repository, tag, digest).
pub fn split_image(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].rfind(':') {
        Some(i) => {
            let at = last_slash + i;
            (&rest[..at], Some(&rest[at + 1..]), digest)
        }
        None => (rest, None, digest),
    }
}

/// Checks one environment's rendered resources against the policy.
pub fn check(input: &PolicyInput, resources: &[Resource]) -> Vec<PolicyFinding> {
    let mut out = Vec::new();
    let in_ns = |r: &Resource| r.namespace().is_empty() || r.namespace() == input.namespace;
    let workload = |name: &str| {
        resources
            .iter()
            .position(|r| pod_spec_pointer(r.kind()).is_some() && r.name() == name && in_ns(r))
    };

    // The flag: on every container of the listed services, with the environment's value.
    for svc in &input.flagged_services {
        let Some(idx) = workload(svc) else {
            out.push(PolicyFinding {
                code: "policy-service-missing",
                message: format!(
                    "service {svc} (flagged in {}) has no workload in namespace {}",
                    input.environment, input.namespace
                ),
                resource: None,
                pointer: String::new(),
            });
            continue;
        };
        let only = input.flag_containers.get(svc);
        let goes_to = |c: &Container| only.is_none_or(|l| l.iter().any(|n| n == name_of(c.value)));
        for c in containers(&resources[idx])
            .into_iter()
            .filter(|c| !c.init && goes_to(c))
        {
            let env = c.value.get("env").and_then(Value::as_array);
            let found = env.and_then(|e| {
                e.iter()
                    .position(|v| v.get("name").and_then(Value::as_str) == Some(&input.flag_name))
            });
            match found {
                None => out.push(PolicyFinding {
                    code: "policy-flag-missing",
                    message: format!(
                        "{} is not set on container {} of {svc}; {} needs {}={:?}",
                        input.flag_name,
                        name_of(c.value),
                        input.environment,
                        input.flag_name,
                        input.flag_value
                    ),
                    resource: Some(idx),
                    pointer: if env.is_some() {
                        format!("{}/env", c.pointer)
                    } else {
                        c.pointer.clone()
                    },
                }),
                Some(j) => {
                    let entry = env.map(|e| &e[j]);
                    let value = entry.and_then(|e| e.get("value")).and_then(Value::as_str);
                    if value != Some(input.flag_value.as_str()) {
                        let got = match value {
                            Some(v) => format!("{v:?}"),
                            None => "no literal value".into(),
                        };
                        out.push(PolicyFinding {
                            code: "policy-flag-value",
                            message: format!(
                                "{} on container {} of {svc} is {got}, {} needs {:?}",
                                input.flag_name,
                                name_of(c.value),
                                input.environment,
                                input.flag_value
                            ),
                            resource: Some(idx),
                            // The value itself when there is one: where to change it.
                            pointer: if value.is_some() {
                                format!("{}/env/{j}/value", c.pointer)
                            } else {
                                format!("{}/env/{j}", c.pointer)
                            },
                        });
                    }
                }
            }
        }
    }

    // No other workload carries the flag.
    for (idx, r) in resources.iter().enumerate() {
        let listed = in_ns(r) && input.flagged_services.iter().any(|s| s == r.name());
        let only = input.flag_containers.get(r.name());
        for c in containers(r) {
            let goes_to = only.is_none_or(|l| l.iter().any(|n| n == name_of(c.value)));
            if listed && !c.init && goes_to {
                continue;
            }
            if let Some(Value::Array(env)) = c.value.get("env")
                && let Some(j) = env
                    .iter()
                    .position(|v| v.get("name").and_then(Value::as_str) == Some(&input.flag_name))
            {
                out.push(PolicyFinding {
                    code: "policy-flag-unexpected",
                    message: format!(
                        "{} is set on {}container {} of {} {}, which the spec does not flag",
                        input.flag_name,
                        if c.init { "init " } else { "" },
                        name_of(c.value),
                        r.kind(),
                        r.name()
                    ),
                    resource: Some(idx),
                    pointer: format!("{}/env/{j}", c.pointer),
                });
            }
        }
    }

    // Every service image pinned to its expected build.
    for svc in &input.services {
        let Some(idx) = workload(&svc.name) else {
            if !input.flagged_services.contains(&svc.name) {
                out.push(PolicyFinding {
                    code: "policy-service-missing",
                    message: format!(
                        "service {} has no workload in namespace {}",
                        svc.name, input.namespace
                    ),
                    resource: None,
                    pointer: String::new(),
                });
            }
            continue;
        };
        let cs = containers(&resources[idx]);
        let wanted = svc.container.as_deref().unwrap_or(&svc.name);
        let main = cs
            .iter()
            .filter(|c| !c.init)
            .find(|c| name_of(c.value) == wanted)
            .or_else(|| cs.iter().find(|c| !c.init));
        let Some(c) = main else { continue };
        let image = c.value.get("image").and_then(Value::as_str).unwrap_or("");
        let (repo, tag, _) = split_image(image);
        if repo != svc.image_repo || tag != Some(svc.expected_tag.as_str()) {
            out.push(PolicyFinding {
                code: "policy-image-pin",
                message: format!(
                    "{} runs {image:?}, expected {}:{}",
                    svc.name, svc.image_repo, svc.expected_tag
                ),
                resource: Some(idx),
                pointer: format!("{}/image", c.pointer),
            });
        }
    }

    // No :latest, no image without a tag or digest, anywhere.
    for (idx, r) in resources.iter().enumerate() {
        for c in containers(r) {
            let Some(image) = c.value.get("image").and_then(Value::as_str) else {
                continue;
            };
            let (_, tag, digest) = split_image(image);
            let (code, why) = match (tag, digest) {
                (_, Some(_)) => continue,
                (Some("latest"), None) => ("policy-image-latest", "uses the :latest tag"),
                (None, None) => ("policy-image-untagged", "has neither tag nor digest"),
                _ => continue,
            };
            out.push(PolicyFinding {
                code,
                message: format!(
                    "image {image:?} of container {} in {} {} {why}",
                    name_of(c.value),
                    r.kind(),
                    r.name()
                ),
                resource: Some(idx),
                pointer: format!("{}/image", c.pointer),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::parse_resources;
    use std::path::Path;

    fn input() -> PolicyInput {
        PolicyInput {
            environment: "staging".into(),
            namespace: "media".into(),
            flag_name: "ENABLE_EMBEDDING_EVENT_STREAMS".into(),
            flag_value: "1".into(),
            flagged_services: vec!["auth".into(), "embedder".into()],
            services: ["auth", "embedder", "media-clustering"]
                .iter()
                .map(|s| ServiceImage {
                    name: s.to_string(),
                    image_repo: format!("sploot/{s}"),
                    expected_tag: "3.11-cpu-abc".into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn deploy(name: &str, image: &str, env: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: media\nspec:\n  template:\n    spec:\n      containers:\n      - name: {name}\n        image: {image}\n{env}"
        )
    }

    const FLAG: &str =
        "        env:\n        - name: ENABLE_EMBEDDING_EVENT_STREAMS\n          value: \"1\"\n";

    fn run(docs: &[String]) -> Vec<(&'static str, String)> {
        let text = docs.join("---\n");
        let list = parse_resources(&text, Path::new("r.yaml")).unwrap();
        check(&input(), &list)
            .into_iter()
            .map(|f| {
                let at = f
                    .resource
                    .map(|i| list[i].origin.describe(&f.pointer))
                    .unwrap_or_default();
                (f.code, at)
            })
            .collect()
    }

    #[test]
    fn clean_rollout_passes() {
        let got = run(&[
            deploy("auth", "sploot/auth:3.11-cpu-abc", FLAG),
            deploy("embedder", "sploot/embedder:3.11-cpu-abc", FLAG),
            deploy(
                "media-clustering",
                "sploot/media-clustering:3.11-cpu-abc",
                "",
            ),
        ]);
        assert_eq!(got, vec![]);
    }

    #[test]
    fn table_of_violations() {
        let other = FLAG.replace("\"1\"", "\"0\"");
        type Case<'a> = (&'a str, Vec<String>, Vec<(&'a str, &'a str)>);
        let cases: Vec<Case> = vec![
            (
                "flag missing on embedder, unexpected on clustering",
                vec![
                    deploy("auth", "sploot/auth:3.11-cpu-abc", FLAG),
                    deploy("embedder", "sploot/embedder:3.11-cpu-abc", ""),
                    deploy(
                        "media-clustering",
                        "sploot/media-clustering:3.11-cpu-abc",
                        FLAG,
                    ),
                ],
                vec![
                    ("policy-flag-missing", "r.yaml:25:9"),
                    ("policy-flag-unexpected", "r.yaml:40:11"),
                ],
            ),
            (
                "wrong value, latest, untagged, wrong pin",
                vec![
                    deploy("auth", "sploot/auth:latest", &other),
                    deploy("embedder", "sploot/embedder", FLAG),
                    deploy("media-clustering", "sploot/media-clustering:old", ""),
                ],
                vec![
                    ("policy-flag-value", "r.yaml:14:11"),
                    ("policy-image-pin", "r.yaml:11:9"),
                    ("policy-image-pin", "r.yaml:26:9"),
                    ("policy-image-pin", "r.yaml:41:9"),
                    ("policy-image-latest", "r.yaml:11:9"),
                    ("policy-image-untagged", "r.yaml:26:9"),
                ],
            ),
            (
                "service missing",
                vec![deploy("auth", "sploot/auth:3.11-cpu-abc", FLAG)],
                vec![
                    ("policy-service-missing", ""),
                    ("policy-service-missing", ""),
                ],
            ),
        ];
        for (name, docs, want) in cases {
            let got = run(&docs);
            let got: Vec<(&str, &str)> = got.iter().map(|(c, a)| (*c, a.as_str())).collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn issue_12_a_flag_on_one_container_of_a_two_container_pod() {
        let two = |first_env: &str, second_env: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: auth\n  namespace: media\nspec:\n  template:\n    spec:\n      containers:\n      - name: auth\n        image: sploot/auth:3.11-cpu-abc\n{first_env}      - name: proxy\n        image: envoy:1\n{second_env}"
            )
        };
        let mut input = input();
        input.flagged_services = vec!["auth".into()];
        input.services.truncate(1);
        input
            .flag_containers
            .insert("auth".into(), vec!["auth".into()]);
        let codes = |doc: String| -> Vec<&'static str> {
            let list = parse_resources(&doc, Path::new("r.yaml")).unwrap();
            check(&input, &list).into_iter().map(|f| f.code).collect()
        };
        assert_eq!(
            codes(two(FLAG, "")),
            Vec::<&str>::new(),
            "the sidecar needs no flag"
        );
        assert_eq!(
            codes(two(FLAG, FLAG)),
            vec!["policy-flag-unexpected"],
            "nor may it carry one"
        );
        assert_eq!(
            codes(two("", FLAG)),
            vec!["policy-flag-missing", "policy-flag-unexpected"]
        );
    }

    #[test]
    fn image_references() {
        assert_eq!(split_image("a/b:1"), ("a/b", Some("1"), None));
        assert_eq!(split_image("reg:5000/a/b"), ("reg:5000/a/b", None, None));
        assert_eq!(
            split_image("reg:5000/a@sha256:ff"),
            ("reg:5000/a", None, Some("sha256:ff"))
        );
    }
}
