//! Where live state comes from: a Kubernetes API server (through `kube`) or a snapshot directory of
//! `kubectl get -o yaml` output.
//!
//! Owns fetching and identity matching only: what a rendered object is called in the cluster, and
//! which live objects are prune candidates. Does no normalization and no diffing (that is `diff`).

pub mod cluster;
pub use crate::label_selector as selector;
pub mod snapshot;

use std::fmt;
use std::path::PathBuf;

use crate::value::Value;

use crate::resource::ResourceId;

pub use cluster::{ClusterOptions, ClusterSource};
pub use selector::{LabelSelector, SelectorError};
pub use snapshot::Snapshot;

/// Kinds searched for prune candidates besides the rendered ones (kubectl's default prune allowlist,
/// less the controller-owned Pods, ReplicaSets and ReplicationControllers): `(group, version, kind)`.
pub const DEFAULT_PRUNE_KINDS: &[(&str, &str, &str)] = &[
    ("", "v1", "ConfigMap"),
    ("", "v1", "Secret"),
    ("", "v1", "Service"),
    ("", "v1", "PersistentVolumeClaim"),
    ("apps", "v1", "Deployment"),
    ("apps", "v1", "StatefulSet"),
    ("apps", "v1", "DaemonSet"),
    ("batch", "v1", "Job"),
    ("batch", "v1", "CronJob"),
    ("networking.k8s.io", "v1", "Ingress"),
];

/// What the caller asks of a live source.
#[derive(Debug, Clone, Default)]
pub struct LiveQuery {
    /// The rendered objects, in order. An empty namespace on a namespaced kind means the source's
    /// default namespace.
    pub ids: Vec<ResourceId>,
    /// `--prune-selector`: list live objects with these labels that are not rendered.
    pub prune: Option<LabelSelector>,
    /// Custom resource definitions among the rendered objects, as `(group, kind)`: their objects
    /// count as "will be created" when the cluster does not serve the kind yet.
    pub rendered_crds: Vec<(String, String)>,
}

/// Where the live state was read from, for headers and evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceInfo {
    /// A snapshot directory.
    Snapshot {
        /// The directory, as given.
        dir: PathBuf,
    },
    /// A cluster, through a kubeconfig or in-cluster configuration.
    Cluster {
        /// The kubeconfig context used (`None` in-cluster).
        context: Option<String>,
        /// The kubeconfig cluster name (`None` in-cluster).
        cluster: Option<String>,
        /// The API server URL.
        server: String,
    },
}

impl fmt::Display for SourceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceInfo::Snapshot { dir } => write!(f, "snapshot {}", dir.display()),
            SourceInfo::Cluster {
                context,
                cluster,
                server,
            } => {
                write!(f, "cluster {}", cluster.as_deref().unwrap_or("in-cluster"))?;
                if let Some(c) = context {
                    write!(f, " (context {c})")?;
                }
                write!(f, " at {server}")
            }
        }
    }
}

/// What a live source returns.
#[derive(Debug, Clone)]
pub struct LiveObjects {
    /// For each queried id, in order: the live object, or `None` when it does not exist.
    pub found: Vec<Option<Value>>,
    /// The namespace each queried id resolved to (the source's default for an empty namespace on a
    /// namespaced kind), in order.
    pub namespaces: Vec<String>,
    /// Live objects that match the prune selector and are not rendered, sorted by id.
    pub prune: Vec<Value>,
    /// Where this came from.
    pub source: SourceInfo,
}

/// What names one object to the API server: group, kind, namespace and name (any version).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ObjectKey(String, String, String, String);

impl ObjectKey {
    pub(crate) fn of(id: &ResourceId) -> Self {
        ObjectKey(
            id.gvk.group.clone(),
            id.gvk.kind.clone(),
            id.namespace.clone(),
            id.name.clone(),
        )
    }
}

/// Group and kind equal, version ignored: the API server serves one object under every version.
pub(crate) fn same_object(a: &ResourceId, b: &ResourceId) -> bool {
    a.gvk.group == b.gvk.group
        && a.gvk.kind == b.gvk.kind
        && a.namespace == b.namespace
        && a.name == b.name
}

/// True when a live object is owned by a controller (a prune candidate only if it has no owner).
pub(crate) fn has_owner(object: &Value) -> bool {
    object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}
