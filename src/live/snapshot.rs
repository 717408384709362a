//! Live state from a snapshot directory: `kubectl get -o yaml` output, single objects and `List`s.
//!
//! Owns reading the directory and matching rendered ids to snapshot objects. No network.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{LiveObjects, LiveQuery, SourceInfo, has_owner, same_object};
use crate::fsutil::{self, FsError};
use crate::resource::{LoadError, Resource, ResourceId, parse_resources};

/// A snapshot that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The directory or a file in it could not be read.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// A file is not valid YAML.
    #[error(transparent)]
    Yaml(#[from] LoadError),
    /// The directory holds no `.yaml`, `.yml` or `.json` file.
    #[error("{}: no .yaml, .yml or .json files in the snapshot directory", dir.display())]
    Empty {
        /// The directory.
        dir: PathBuf,
    },
    /// Two files hold the same object.
    #[error("{}: {id} is also in {}", second.display(), first.display())]
    Duplicate {
        /// The object (`group.version.Kind.namespace.name`).
        id: String,
        /// Where it was first read.
        first: PathBuf,
        /// Where it was read again.
        second: PathBuf,
    },
}

/// The objects of a snapshot directory (read recursively, files in name order).
#[derive(Debug, Clone)]
pub struct Snapshot {
    dir: PathBuf,
    objects: Vec<Resource>,
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), FsError> {
    let rd = std::fs::read_dir(dir).map_err(|source| FsError {
        action: "cannot read directory",
        path: dir.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_files(&p, out)?;
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        {
            out.push(p);
        }
    }
    Ok(())
}

impl Snapshot {
    /// Reads every `.yaml`, `.yml` and `.json` file under `dir`; `List` documents are expanded.
    ///
    /// # Errors
    /// When the directory or a file cannot be read, a file is not YAML, the directory holds no
    /// such file, or one object appears twice.
    pub fn load(dir: &Path) -> Result<Self, SnapshotError> {
        let mut files = Vec::new();
        collect_files(dir, &mut files)?;
        if files.is_empty() {
            return Err(SnapshotError::Empty {
                dir: dir.to_path_buf(),
            });
        }
        let mut objects: Vec<Resource> = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for f in files {
            let text = fsutil::read_to_string(&f)?;
            for r in parse_resources(&text, &f)? {
                let id = r.id();
                let key = (
                    id.gvk.group.clone(),
                    id.gvk.kind.clone(),
                    id.namespace.clone(),
                    id.name.clone(),
                );
                if let Some(first) = seen.insert(key, f.clone()) {
                    return Err(SnapshotError::Duplicate {
                        id: id.to_string(),
                        first,
                        second: f,
                    });
                }
                objects.push(r);
            }
        }
        Ok(Snapshot {
            dir: dir.to_path_buf(),
            objects,
        })
    }

    /// Builds a snapshot from objects already in memory (benchmarks, tests).
    pub fn from_resources(dir: &Path, objects: Vec<Resource>) -> Self {
        Snapshot {
            dir: dir.to_path_buf(),
            objects,
        }
    }

    /// The objects, in file order.
    pub fn objects(&self) -> &[Resource] {
        &self.objects
    }

    /// Answers a query: each id looked up by group, kind, namespace and name (any version); prune
    /// candidates are objects matching the selector, in a rendered namespace, of a rendered or
    /// default prune kind, not owned by a controller and not rendered.
    pub fn query(&self, query: &LiveQuery) -> LiveObjects {
        let mut index = std::collections::HashMap::with_capacity(self.objects.len());
        for (i, r) in self.objects.iter().enumerate() {
            let id = r.id();
            index.insert((id.gvk.group, id.gvk.kind, id.namespace, id.name), i);
        }
        let found = query
            .ids
            .iter()
            .map(|id| {
                index
                    .get(&(
                        id.gvk.group.clone(),
                        id.gvk.kind.clone(),
                        id.namespace.clone(),
                        id.name.clone(),
                    ))
                    .map(|&i| self.objects[i].value.clone())
            })
            .collect();
        let mut prune = Vec::new();
        if let Some(sel) = &query.prune {
            let namespaces: std::collections::BTreeSet<&str> =
                query.ids.iter().map(|i| i.namespace.as_str()).collect();
            let kinds = prune_kinds(&query.ids);
            let mut cands: Vec<(ResourceId, Value)> = self
                .objects
                .iter()
                .filter(|r| {
                    let id = r.id();
                    namespaces.contains(id.namespace.as_str())
                        && kinds.contains(&(id.gvk.group.clone(), id.gvk.kind.clone()))
                        && sel.matches(&r.value)
                        && !has_owner(&r.value)
                        && !query.ids.iter().any(|q| same_object(q, &id))
                })
                .map(|r| (r.id(), r.value.clone()))
                .collect();
            cands.sort_by(|a, b| a.0.cmp(&b.0));
            prune = cands.into_iter().map(|(_, v)| v).collect();
        }
        LiveObjects {
            found,
            namespaces: query.ids.iter().map(|i| i.namespace.clone()).collect(),
            prune,
            source: SourceInfo::Snapshot {
                dir: self.dir.clone(),
            },
        }
    }
}

/// `(group, kind)` of the rendered kinds plus [`super::DEFAULT_PRUNE_KINDS`].
pub(crate) fn prune_kinds(ids: &[ResourceId]) -> std::collections::BTreeSet<(String, String)> {
    let mut kinds: std::collections::BTreeSet<(String, String)> = ids
        .iter()
        .map(|i| (i.gvk.group.clone(), i.gvk.kind.clone()))
        .collect();
    for (g, _, k) in super::DEFAULT_PRUNE_KINDS {
        kinds.insert((g.to_string(), k.to_string()));
    }
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::LabelSelector;
    use crate::resource::Gvk;

    fn id(api: &str, kind: &str, ns: &str, name: &str) -> ResourceId {
        ResourceId {
            gvk: Gvk::from_api_version(api, kind),
            namespace: ns.into(),
            name: name.into(),
        }
    }

    fn fixture() -> Snapshot {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/live/staging");
        Snapshot::load(&dir).unwrap()
    }

    #[test]
    fn reads_lists_and_single_objects() {
        let snap = fixture();
        let ids: Vec<String> = snap.objects().iter().map(|r| r.id().to_string()).collect();
        assert!(
            ids.contains(&"apps.v1.Deployment.media.auth".to_string()),
            "{ids:?}"
        );
        assert!(ids.contains(&"v1.Secret.media.media-redis".to_string()));
        assert!(ids.contains(&"v1.ServiceAccount.media.default".to_string()));
        assert!(!ids.iter().any(|i| i.contains(".List.")), "lists expanded");
    }

    #[test]
    fn lookup_ignores_version_and_reports_missing() {
        let snap = fixture();
        let q = LiveQuery {
            ids: vec![
                id("apps/v1beta2", "Deployment", "media", "auth"),
                id("apps/v1", "Deployment", "media", "nope"),
                id("apps/v1", "Deployment", "other", "auth"),
            ],
            ..Default::default()
        };
        let live = snap.query(&q);
        assert!(live.found[0].is_some());
        assert!(live.found[1].is_none());
        assert!(live.found[2].is_none());
    }

    #[test]
    fn prune_candidates_match_labels_namespace_and_kind() {
        let snap = fixture();
        let q = LiveQuery {
            ids: vec![
                id("apps/v1", "Deployment", "media", "auth"),
                id("v1", "ConfigMap", "media", "media-config"),
            ],
            prune: Some(LabelSelector::parse("app.kubernetes.io/part-of=media").unwrap()),
            ..Default::default()
        };
        let live = snap.query(&q);
        let names: Vec<&str> = live
            .prune
            .iter()
            .map(|v| {
                v.pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            })
            .collect();
        assert_eq!(
            names,
            [
                "embedder-legacy-config", // ConfigMap
                "media-redis",            // Secret
                "auth",                   // Services
                "embedder",
                "media-clustering",
                "embedder", // Deployments (auth is rendered)
                "media-clustering",
            ]
        );
    }

    #[test]
    fn duplicate_objects_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n";
        std::fs::write(dir.path().join("a.yaml"), doc).unwrap();
        std::fs::write(dir.path().join("b.yaml"), doc).unwrap();
        let err = Snapshot::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("b.yaml: v1.ConfigMap.n.a is also in "),
            "{err}"
        );
        assert!(err.ends_with("a.yaml"), "{err}");
    }
}
