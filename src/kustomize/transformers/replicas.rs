//! `replicas`: set `spec/replicas` on the named resources through the replicas field specs.
//! No I/O.

use serde_json::Value;

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
}

impl Replicas {
    /// Sets the counts.
    ///
    /// # Errors
    /// A field with the wrong shape.
    pub fn apply(&self, list: &mut ResMap) -> Result<(), KustomizeError> {
        for e in &self.entries {
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
        };
        let cases = [
            (
                "sets",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {replicas: 1}\n",
                "replicas: 3",
            ),
            (
                "other name untouched",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\nspec: {replicas: 1}\n",
                "replicas: 1",
            ),
            (
                "other kind untouched",
                "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {}\n",
                "spec: {}",
            ),
        ];
        for (name, input, want) in cases {
            let got = run_transform(input, |m| t.apply(m));
            assert!(got.contains(want), "{name}:\n{got}");
        }
    }
}
