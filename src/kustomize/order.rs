//! Output order: kustomize's legacy kind order (the default) or FIFO, per `sortOptions`.
//! Owns the comparison only.

use crate::value::Value;

use super::KustomizeError;
use super::resmap::KRes;
use crate::resource::Gvk;

/// Kinds kustomize's legacy order puts first, in order.
pub(super) const ORDER_FIRST: [&str; 22] = [
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// Kinds kustomize's legacy order puts last, in order.
pub(super) const ORDER_LAST: [&str; 2] = [
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// How to order the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Order {
    /// Input order.
    Fifo,
    /// Kinds first/last as listed, the rest by GVK, then by namespace and name.
    Legacy {
        /// Kinds that go first, in order.
        first: Vec<String>,
        /// Kinds that go last, in order.
        last: Vec<String>,
    },
}

impl Default for Order {
    fn default() -> Self {
        Order::Legacy {
            first: ORDER_FIRST.iter().map(|s| s.to_string()).collect(),
            last: ORDER_LAST.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Order {
    /// Reads `sortOptions`.
    ///
    /// # Errors
    /// An unknown `order` or a malformed `legacySortOptions`.
    pub fn from_value(v: &Value, at: &str) -> Result<Self, KustomizeError> {
        if let Some(k) = v.as_object().and_then(|m| {
            m.keys()
                .find(|k| *k != "order" && *k != "legacySortOptions")
        }) {
            return Err(KustomizeError::invalid(
                at,
                format!("unknown field `{k}` in sortOptions"),
            ));
        }
        if v.is_null() {
            return Ok(Order::default());
        }
        let order = v.get("order").and_then(Value::as_str).unwrap_or("");
        if order != "fifo" && order != "legacy" {
            return Err(KustomizeError::invalid(
                at,
                format!("sortOptions.order must be fifo or legacy, not {order:?}"),
            ));
        }
        match order {
            "fifo" => {
                if v.get("legacySortOptions").is_some() {
                    return Err(KustomizeError::invalid(
                        at,
                        "sortOptions.legacySortOptions is set but the order is fifo, not legacy",
                    ));
                }
                Ok(Order::Fifo)
            }
            "legacy" => match v.get("legacySortOptions") {
                None => Ok(Order::default()),
                Some(o) => Ok(Order::Legacy {
                    first: crate::finding::strings_in(o.get("orderFirst")),
                    last: crate::finding::strings_in(o.get("orderLast")),
                }),
            },
            other => Err(KustomizeError::invalid(
                at,
                format!("unknown sortOptions order {other:?}: choose from legacy, fifo"),
            )),
        }
    }

    /// Sorts the list in place (stable).
    pub fn sort(&self, list: &mut Vec<KRes>) {
        let Order::Legacy { first, last } = self else {
            return;
        };
        let rank = |kind: &str| -> i64 {
            if let Some(i) = first.iter().position(|k| k == kind) {
                return i as i64 - first.len() as i64;
            }
            if let Some(i) = last.iter().position(|k| k == kind) {
                return i as i64 + 1;
            }
            0
        };
        let mut keyed: Vec<(i64, String, String, usize)> = list
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let gvk = r.res.gvk();
                let ns = if r.res.namespace().is_empty() {
                    "~X".to_string()
                } else {
                    r.res.namespace().to_string()
                };
                let g = gvk_string(&gvk);
                let legacy = format!("{g}|{ns}|{}", r.res.name());
                (rank(&gvk.kind), g, legacy, i)
            })
            .collect();
        keyed.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.cmp(&b.1))
                .then_with(|| a.2.cmp(&b.2))
        });
        let mut taken: Vec<Option<KRes>> = std::mem::take(list).into_iter().map(Some).collect();
        list.extend(keyed.into_iter().filter_map(|k| taken[k.3].take()));
    }
}

fn gvk_string(g: &Gvk) -> String {
    let or = |s: &str, d: &str| {
        if s.is_empty() {
            d.to_string()
        } else {
            s.to_string()
        }
    };
    format!(
        "{}_{}_{}",
        or(&g.group, "~G"),
        or(&g.version, "~V"),
        or(&g.kind, "~K")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::resource::{Origin, Resource};

    #[test]
    fn legacy_order() {
        let mk = |api: &str, kind: &str, name: &str| {
            KRes::new(Resource::new(
                json!({"apiVersion": api, "kind": kind, "metadata": {"name": name}}),
                Origin::default(),
            ))
        };
        let mut list = vec![
            mk("apps/v1", "Deployment", "b"),
            mk("x.io/v1", "Zed", "a"),
            mk(
                "admissionregistration.k8s.io/v1",
                "ValidatingWebhookConfiguration",
                "v",
            ),
            mk("v1", "Service", "s"),
            mk("apps/v1", "Deployment", "a"),
            mk("v1", "Namespace", "n"),
            mk("apps/v1", "DaemonSet", "d"),
        ];
        Order::default().sort(&mut list);
        let names: Vec<&str> = list.iter().map(|r| r.res.name()).collect();
        assert_eq!(names, ["n", "s", "a", "b", "d", "a", "v"]);
    }
}
