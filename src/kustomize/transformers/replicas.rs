//! `replicas`: set `spec/replicas` on the named resources through the replicas field specs.
//! No I/O.

use crate::value::Value;

use crate::kustomize::KustomizeError;
use crate::kustomize::fieldspec::{Create, FieldSpec, walk_resource};
use crate::kustomize::kustomization::ReplicaEntry;
use crate::kustomize::resmap::ResMap;

/// The `replicas` entries and where replica counts live.
#[derive(Debug, Clone)]
pub struct Replicas {
    /// Name → count.
    pub entries: Vec<ReplicaEntry>,
    /// Where counts are.
    pub fields: Vec<FieldSpec>,
    /// The kustomization file, for messages.
    pub at: String,
}

impl Replicas {
    /// Sets the counts.
    ///
    /// # Errors
    /// A field with the wrong shape, or an entry that names no resource of a kind the replica
    /// field specs cover (kustomize refuses it rather than ignoring it).
    pub fn apply(&self, list: &mut ResMap) -> Result<(), KustomizeError> {
        for e in &self.entries {
            let covered = |r: &crate::kustomize::resmap::KRes| {
                r.had_name(&e.name) && self.fields.iter().any(|fs| fs.matches(&r.id().gvk))
            };
            if !list.list.iter().any(covered) {
                let kinds: Vec<String> = self
                    .fields
                    .iter()
                    .map(|fs| {
                        let or = |s: &str, none: &str| {
                            if s.is_empty() {
                                none.to_string()
                            } else {
                                s.to_string()
                            }
                        };
                        format!(
                            "{}.{}.{}",
                            or(&fs.kind, "[noKind]"),
                            or(&fs.version, "[noVer]"),
                            or(&fs.group, "[noGrp]")
                        )
                    })
                    .collect();
                return Err(KustomizeError::invalid(
                    self.at.clone(),
                    format!(
                        "resource with name {} does not match a config with the following GVK [{}]",
                        e.name,
                        kinds.join(" ")
                    ),
                ));
            }
            for r in list.list.iter_mut().filter(|r| r.had_name(&e.name)) {
                walk_resource(r, &self.fields, Some(Create::Scalar), &mut |n| {
                    *n = Value::from(e.count);
                    Ok(())
                })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::fieldspec::defaults;
    use crate::kustomize::transformers::run_transform;

    #[test]
    fn replicas_table() {
        let t = Replicas {
            entries: vec![ReplicaEntry {
                name: "a".into(),
                count: 3,
            }],
            fields: defaults().replicas.clone(),
            at: "k.yaml".into(),
        };
        let cases = [
            (
                "sets",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 1}\n",
                "replicas: 3",
            ),
            (
                "other name untouched",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\nspec: {replicas: 1}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n",
                "replicas: 1",
            ),
            (
                "other kind untouched",
                "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {}\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: a}\n",
                "spec: {}",
            ),
        ];
        for (name, input, want) in cases {
            let got = run_transform(input, |m| t.apply(m));
            assert!(got.contains(want), "{name}:\n{got}");
        }
    }

    /// kustomize refuses an entry that names no workload of a kind with replica counts
    /// (checked against kubectl kustomize: a ConfigMap `c`, or no resource at all).
    #[test]
    fn an_entry_that_names_no_workload_is_an_error() {
        let t = Replicas {
            entries: vec![ReplicaEntry {
                name: "c".into(),
                count: 1,
            }],
            fields: defaults().replicas.clone(),
            at: "k.yaml".into(),
        };
        let mut m = crate::kustomize::resmap::ResMap::default();
        let docs = crate::resource::parse_resources(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
            std::path::Path::new("r.yaml"),
        )
        .unwrap();
        for d in docs {
            m.list.push(crate::kustomize::resmap::KRes::new(d));
        }
        let err = t.apply(&mut m).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "k.yaml: resource with name c does not match a config with the following GVK ["
            ),
            "{err}"
        );
        assert!(err.contains("Deployment.[noVer].[noGrp]"), "{err}");
    }
}
