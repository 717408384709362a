//! `namespace`: set `metadata.namespace` on namespaced resources, rename `Namespace` objects,
//! set RoleBinding/ClusterRoleBinding subjects named `default`, and any configured field. No I/O.

use serde_json::Value;

use crate::kustomize::KustomizeError;
use crate::kustomize::fieldspec::{Create, FieldSpec, walk_resource};
use crate::kustomize::resmap::{ResMap, is_cluster_scoped};

/// The namespace and the extra fields that hold it.
#[derive(Debug, Clone)]
pub struct Namespace {
    /// The namespace.
    pub namespace: String,
    /// Field specs (the metadata and subjects entries are handled by the rules above).
    pub fields: Vec<FieldSpec>,
}

impl Namespace {
    /// Moves every namespaced resource into the namespace.
    ///
    /// # Errors
    /// A field with the wrong shape.
    pub fn apply(&self, list: &mut ResMap) -> Result<(), KustomizeError> {
        let ns = self.namespace.as_str();
        super::par_try_each(&mut list.list, |r| {
            if r.helm_generated {
                return Ok(());
            }
            let gvk = r.res.gvk();
            // kustomize records every resource's id here, moved or not (name references
            // then count it as a possible target under its current name).
            r.store_previous_id();
            if !is_cluster_scoped(&gvk) {
                r.set_namespace(ns);
            }
            let binding = gvk.kind == "RoleBinding" || gvk.kind == "ClusterRoleBinding";
            if binding && let Some(Value::Array(subjects)) = r.res.value.get_mut("subjects") {
                for s in subjects.iter_mut() {
                    if s.get("name").and_then(Value::as_str) == Some("default")
                        && let Value::Object(m) = s
                    {
                        m.insert("namespace".into(), Value::String(ns.to_string()));
                    }
                }
            }
            // A `Namespace` object's name is the namespace (through the resource's name history).
            // Only core `v1` Namespaces: a custom kind named Namespace keeps its name.
            let core = r.res.api_version() == "v1";
            let renames = |fs: &FieldSpec| fs.path == "metadata/name" && gvk.kind == "Namespace";
            if core && self.fields.iter().any(|fs| renames(fs) && fs.matches(&gvk)) {
                r.set_name(ns);
            }
            let other = self.fields.iter().filter(|fs| {
                !(fs.path == "metadata/namespace"
                    || (binding && fs.path == "subjects")
                    || renames(fs)
                    || (!core && fs.path == "metadata/name"))
            });
            walk_resource(r, other, Some(Create::Scalar), &mut |n| {
                *n = Value::String(ns.to_string());
                Ok(())
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::fieldspec::defaults;
    use crate::kustomize::transformers::run_transform;

    #[test]
    fn namespace_table() {
        let t = Namespace {
            namespace: "media".into(),
            fields: defaults().namespace.clone(),
        };
        let cases = [
            (
                "namespaced",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: old}\n",
                "namespace: media",
                true,
            ),
            (
                "cluster-scoped untouched",
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: a}\n",
                "namespace",
                false,
            ),
            (
                "namespace renamed",
                "apiVersion: v1\nkind: Namespace\nmetadata: {name: old}\n",
                "name: media",
                true,
            ),
            (
                "default subject",
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: a}\nsubjects:\n- {kind: ServiceAccount, name: default}\n",
                "  name: default\n  namespace: media\n",
                true,
            ),
            (
                "other subject untouched",
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: a}\nsubjects:\n- {kind: ServiceAccount, name: x, namespace: o}\n",
                "  name: x\n  namespace: o\n",
                true,
            ),
        ];
        for (name, input, want, present) in cases {
            let got = run_transform(input, |m| t.apply(m));
            assert_eq!(got.contains(want), present, "{name}:\n{got}");
        }
    }
}
