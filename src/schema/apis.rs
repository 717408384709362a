//! Which built-in APIs a Kubernetes version serves: removed, not yet served, deprecated (served,
//! with a removal ahead), unknown versions of built-in groups and misspelled kinds.
//!
//! Owns the served-kinds table of the built-in versions (`schemas/kubernetes/kinds.tsv`, generated
//! with the schemas) and the table of removals before the oldest built-in version (1.25), from the
//! Kubernetes deprecated-API migration guide. Pure: no I/O, no output.

use std::collections::HashMap;

use super::kubernetes::minors_include;

use crate::resource::Gvk;

/// `group<TAB>version<TAB>kind<TAB>minors` for every kind a built-in version serves.
const KINDS: &str = include_str!("../../schemas/kubernetes/kinds.tsv");

/// The oldest and newest built-in minors.
const OLDEST: u32 = 25;
const NEWEST: u32 = 37;

/// Kinds removed up to 1.25, which the built-in schemas (1.25 and later) no longer hold:
/// `(group/version, kinds, removed in minor, replacement group/version or "" for none)`.
const REMOVED_EARLY: &[(&str, &[&str], u32, &str)] = &[
    (
        "extensions/v1beta1",
        &["DaemonSet", "Deployment", "ReplicaSet"],
        16,
        "apps/v1",
    ),
    (
        "extensions/v1beta1",
        &["NetworkPolicy"],
        16,
        "networking.k8s.io/v1",
    ),
    ("extensions/v1beta1", &["PodSecurityPolicy"], 16, ""),
    (
        "extensions/v1beta1",
        &["Ingress"],
        22,
        "networking.k8s.io/v1",
    ),
    (
        "apps/v1beta1",
        &["Deployment", "StatefulSet", "ControllerRevision"],
        16,
        "apps/v1",
    ),
    (
        "apps/v1beta2",
        &[
            "DaemonSet",
            "Deployment",
            "ReplicaSet",
            "StatefulSet",
            "ControllerRevision",
        ],
        16,
        "apps/v1",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        22,
        "admissionregistration.k8s.io/v1",
    ),
    (
        "apiextensions.k8s.io/v1beta1",
        &["CustomResourceDefinition"],
        22,
        "apiextensions.k8s.io/v1",
    ),
    (
        "apiregistration.k8s.io/v1beta1",
        &["APIService"],
        22,
        "apiregistration.k8s.io/v1",
    ),
    (
        "authentication.k8s.io/v1beta1",
        &["TokenReview"],
        22,
        "authentication.k8s.io/v1",
    ),
    (
        "authorization.k8s.io/v1beta1",
        &[
            "SubjectAccessReview",
            "LocalSubjectAccessReview",
            "SelfSubjectAccessReview",
            "SelfSubjectRulesReview",
        ],
        22,
        "authorization.k8s.io/v1",
    ),
    (
        "certificates.k8s.io/v1beta1",
        &["CertificateSigningRequest"],
        22,
        "certificates.k8s.io/v1",
    ),
    (
        "coordination.k8s.io/v1beta1",
        &["Lease"],
        22,
        "coordination.k8s.io/v1",
    ),
    (
        "networking.k8s.io/v1beta1",
        &["Ingress", "IngressClass"],
        22,
        "networking.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1beta1",
        &["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1alpha1",
        &["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "scheduling.k8s.io/v1beta1",
        &["PriorityClass"],
        22,
        "scheduling.k8s.io/v1",
    ),
    (
        "scheduling.k8s.io/v1alpha1",
        &["PriorityClass"],
        22,
        "scheduling.k8s.io/v1",
    ),
    (
        "storage.k8s.io/v1beta1",
        &["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"],
        22,
        "storage.k8s.io/v1",
    ),
    ("batch/v1beta1", &["CronJob"], 25, "batch/v1"),
    ("batch/v2alpha1", &["CronJob"], 21, "batch/v1"),
    (
        "discovery.k8s.io/v1beta1",
        &["EndpointSlice"],
        25,
        "discovery.k8s.io/v1",
    ),
    ("events.k8s.io/v1beta1", &["Event"], 25, "events.k8s.io/v1"),
    (
        "autoscaling/v2beta1",
        &["HorizontalPodAutoscaler"],
        25,
        "autoscaling/v2",
    ),
    ("policy/v1beta1", &["PodDisruptionBudget"], 25, "policy/v1"),
    ("policy/v1beta1", &["PodSecurityPolicy"], 25, ""),
    (
        "node.k8s.io/v1beta1",
        &["RuntimeClass"],
        25,
        "node.k8s.io/v1",
    ),
    (
        "node.k8s.io/v1alpha1",
        &["RuntimeClass"],
        22,
        "node.k8s.io/v1",
    ),
];

/// What the target version says about a group/version/kind that has no schema in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiStatus {
    /// Not a built-in group: a custom resource (its CRD or a schema location decides).
    Custom,
    /// Served in earlier versions only.
    Removed {
        /// The minor that stopped serving it (`22` for 1.22).
        removed_in: u32,
        /// What to use instead (`networking.k8s.io/v1 Ingress`), when there is one.
        replacement: Option<String>,
    },
    /// Served only by later versions.
    NotYetServed {
        /// The first minor serving it.
        since: u32,
    },
    /// The kind is built in but spelled with other case (`deployment`).
    KindCase {
        /// The right spelling.
        kind: String,
    },
    /// A version of a built-in group that no built-in version serves (`apps/v1beta3`).
    UnknownVersion {
        /// The versions of the group the target serves.
        served: Vec<String>,
    },
    /// A kind that no version of the built-in group serves.
    UnknownKind {
        /// The kinds of the group the target serves at that version.
        served: Vec<String>,
    },
}

/// One row of the served-kinds table.
struct Row {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    minors: &'static str,
}

/// The served-kinds table, parsed once (it is consulted for every object checked).
fn rows() -> impl Iterator<Item = &'static Row> {
    static ROWS: std::sync::OnceLock<Vec<Row>> = std::sync::OnceLock::new();
    ROWS.get_or_init(|| {
        KINDS
            .lines()
            .filter_map(|line| {
                let mut c = line.split('\t');
                Some(Row {
                    group: c.next()?,
                    version: c.next()?,
                    kind: c.next()?,
                    minors: c.next()?,
                })
            })
            .collect()
    })
    .iter()
}

/// Every kind some built-in version serves (each once per group and version that serves it).
pub fn builtin_kinds() -> impl Iterator<Item = &'static str> {
    rows().map(|r| r.kind)
}

fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// The minors serving `gvk` (empty when none does).
fn served_minors(gvk: &Gvk) -> Vec<u32> {
    // kind → (group, version, minors), built once: verify asks for every object it checks.
    type Served = Vec<(&'static str, &'static str, Vec<u32>)>;
    static BY_KIND: std::sync::OnceLock<HashMap<&'static str, Served>> = std::sync::OnceLock::new();
    let index = BY_KIND.get_or_init(|| {
        let mut m: HashMap<&'static str, Served> = HashMap::new();
        for r in rows() {
            let minors = (OLDEST..=NEWEST)
                .filter(|x| minors_include(r.minors, *x))
                .collect();
            m.entry(r.kind)
                .or_default()
                .push((r.group, r.version, minors));
        }
        m
    });
    index
        .get(gvk.kind.as_str())
        .into_iter()
        .flatten()
        .filter(|(g, v, _)| *g == gvk.group && *v == gvk.version)
        .flat_map(|(_, _, minors)| minors.iter().copied())
        .collect()
}

/// The newest version of the same kind served at `minor` (same group first).
fn replacement(gvk: &Gvk, minor: u32) -> Option<String> {
    let mut candidates: Vec<(bool, &str, &str)> = rows()
        .filter(|r| r.kind == gvk.kind && minors_include(r.minors, minor))
        .filter(|r| !(r.group == gvk.group && r.version == gvk.version))
        .map(|r| (r.group == gvk.group, r.group, r.version))
        .collect();
    // Same group first, then stable before beta before alpha, newest number first.
    candidates.sort_by_key(|(same, _, v)| (!same, version_rank(v)));
    candidates
        .first()
        .map(|(_, g, v)| format!("{} {}", api_version(g, v), gvk.kind))
}

/// Orders Kubernetes API versions: v2 < v1 < v2beta1 < v1beta1 < v1alpha1 (best first).
fn version_rank(v: &str) -> (u8, std::cmp::Reverse<u32>, std::cmp::Reverse<u32>) {
    let rest = v.strip_prefix('v').unwrap_or(v);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let major = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    let (stage, n) = if let Some(n) = tail.strip_prefix("beta") {
        (1, n.parse().unwrap_or(0))
    } else if let Some(n) = tail.strip_prefix("alpha") {
        (2, n.parse().unwrap_or(0))
    } else if tail.is_empty() {
        (0, 0)
    } else {
        (3, 0)
    };
    (stage, std::cmp::Reverse(major), std::cmp::Reverse(n))
}

/// Whether `group` is one of Kubernetes' own (served by some built-in version, or removed early).
pub fn is_builtin_group(group: &str) -> bool {
    rows().any(|r| r.group == group)
        || REMOVED_EARLY
            .iter()
            .any(|(gv, ..)| gv.split_once('/').map_or("", |(g, _)| g) == group)
}

/// What version `1.{minor}` says about `gvk`, which has no schema in it.
pub fn status(gvk: &Gvk, minor: u32) -> ApiStatus {
    let served = served_minors(gvk);
    if let (Some(&first), Some(&last)) = (served.first(), served.last()) {
        if last < minor {
            return ApiStatus::Removed {
                removed_in: last + 1,
                replacement: replacement(gvk, minor),
            };
        }
        if first > minor {
            return ApiStatus::NotYetServed { since: first };
        }
    }
    let gv = api_version(&gvk.group, &gvk.version);
    if let Some((_, _, removed_in, to)) = REMOVED_EARLY
        .iter()
        .find(|(g, kinds, ..)| *g == gv && kinds.contains(&gvk.kind.as_str()))
    {
        return ApiStatus::Removed {
            removed_in: *removed_in,
            replacement: (!to.is_empty()).then(|| format!("{to} {}", gvk.kind)),
        };
    }
    if !is_builtin_group(&gvk.group) {
        return ApiStatus::Custom;
    }
    let at_target = |r: &Row| r.group == gvk.group && minors_include(r.minors, minor);
    if let Some(r) = rows()
        .filter(|r| at_target(r) && r.kind != gvk.kind && r.kind.eq_ignore_ascii_case(&gvk.kind))
        .min_by_key(|r| version_rank(r.version))
    {
        return ApiStatus::KindCase {
            kind: r.kind.to_string(),
        };
    }
    let group_versions: Vec<String> = {
        let mut v: Vec<&str> = rows().filter(|r| at_target(r)).map(|r| r.version).collect();
        v.sort_by_key(|v| version_rank(v));
        v.dedup();
        v.into_iter().map(|v| api_version(&gvk.group, v)).collect()
    };
    let version_known = rows().any(|r| r.group == gvk.group && r.version == gvk.version)
        || REMOVED_EARLY.iter().any(|(g, ..)| *g == gv);
    if !version_known {
        return ApiStatus::UnknownVersion {
            served: group_versions,
        };
    }
    let mut kinds: Vec<String> = rows()
        .filter(|r| at_target(r) && r.version == gvk.version)
        .map(|r| r.kind.to_string())
        .collect();
    kinds.sort();
    kinds.dedup();
    ApiStatus::UnknownKind { served: kinds }
}

/// For a kind the target serves: the minor that removes it, when a built-in version already stops
/// serving it (deprecated, with a removal ahead), with what to use instead.
pub fn removal_ahead(gvk: &Gvk, minor: u32) -> Option<(u32, Option<String>)> {
    let served = served_minors(gvk);
    let last = *served.last()?;
    if !served.contains(&minor) || last >= NEWEST {
        return None;
    }
    Some((last + 1, replacement(gvk, last + 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gvk(api_version: &str, kind: &str) -> Gvk {
        Gvk::from_api_version(api_version, kind)
    }

    #[test]
    fn removed_apis_name_the_release_and_the_replacement() {
        let removed = |av, kind, minor| status(&gvk(av, kind), minor);
        assert_eq!(
            removed("extensions/v1beta1", "Ingress", 34),
            ApiStatus::Removed {
                removed_in: 22,
                replacement: Some("networking.k8s.io/v1 Ingress".into())
            }
        );
        assert_eq!(
            removed("batch/v1beta1", "CronJob", 34),
            ApiStatus::Removed {
                removed_in: 25,
                replacement: Some("batch/v1 CronJob".into())
            }
        );
        // From the built-in tables: served by 1.25 only.
        assert_eq!(
            removed("autoscaling/v2beta2", "HorizontalPodAutoscaler", 34),
            ApiStatus::Removed {
                removed_in: 26,
                replacement: Some("autoscaling/v2 HorizontalPodAutoscaler".into())
            }
        );
        assert_eq!(
            removed("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", 34),
            ApiStatus::Removed {
                removed_in: 32,
                replacement: Some("flowcontrol.apiserver.k8s.io/v1 FlowSchema".into())
            }
        );
        assert_eq!(
            removed("policy/v1beta1", "PodSecurityPolicy", 34),
            ApiStatus::Removed {
                removed_in: 25,
                replacement: None
            }
        );
    }

    #[test]
    fn unknown_versions_kinds_and_case_of_builtin_groups() {
        assert_eq!(
            status(&gvk("apps/v1beta3", "Deployment"), 34),
            ApiStatus::UnknownVersion {
                served: vec!["apps/v1".into()]
            }
        );
        assert_eq!(
            status(&gvk("apps/v1", "deployment"), 34),
            ApiStatus::KindCase {
                kind: "Deployment".into()
            }
        );
        assert_eq!(
            status(&gvk("v1", "configmap"), 34),
            ApiStatus::KindCase {
                kind: "ConfigMap".into()
            }
        );
        assert!(matches!(
            status(&gvk("apps/v1", "Deploymnt"), 34),
            ApiStatus::UnknownKind { served } if served.contains(&"StatefulSet".to_string())
        ));
        assert_eq!(
            status(&gvk("monitoring.coreos.com/v1", "PrometheusRule"), 34),
            ApiStatus::Custom
        );
        // Served from 1.33 on.
        assert_eq!(
            status(&gvk("networking.k8s.io/v1", "ServiceCIDR"), 30),
            ApiStatus::NotYetServed { since: 33 }
        );
    }

    #[test]
    fn a_served_kind_with_a_removal_ahead_says_when() {
        assert_eq!(
            removal_ahead(
                &gvk("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"),
                29
            ),
            Some((
                32,
                Some("flowcontrol.apiserver.k8s.io/v1 FlowSchema".to_string())
            ))
        );
        assert_eq!(removal_ahead(&gvk("apps/v1", "Deployment"), 34), None);
    }

    #[test]
    fn version_order_puts_stable_first() {
        let mut v = vec!["v1alpha1", "v1beta1", "v2", "v1", "v2beta2", "v1beta2"];
        v.sort_by_key(|v| version_rank(v));
        assert_eq!(v, ["v2", "v1", "v2beta2", "v1beta2", "v1beta1", "v1alpha1"]);
    }
}
