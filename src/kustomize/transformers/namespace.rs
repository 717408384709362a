//! `namespace`: set `metadata.namespace` on namespaced resources, rename `Namespace` objects,
//! set RoleBinding/ClusterRoleBinding subjects named `default`, and any configured field. No I/O.

use crate::value::Value;

use crate::kustomize::KustomizeError;
use crate::kustomize::fieldspec::{Create, FieldSpec, walk_resource};
use crate::kustomize::resmap::{ResMap, is_cluster_scoped};

/// Which RoleBinding/ClusterRoleBinding subjects get the namespace (`setRoleBindingSubjects`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Subjects {
    /// `defaultOnly` (the default): subjects named `default`.
    #[default]
    DefaultOnly,
    /// `allServiceAccounts`: every subject of kind ServiceAccount.
    AllServiceAccounts,
    /// `none`.
    None,
}

impl Subjects {
    /// Reads kustomize's option value (empty: the default).
    ///
    /// # Errors
    /// Any other value, in kustomize's words.
    pub fn parse(v: &str) -> Result<Self, String> {
        match v {
            "" | "defaultOnly" => Ok(Subjects::DefaultOnly),
            "allServiceAccounts" => Ok(Subjects::AllServiceAccounts),
            "none" => Ok(Subjects::None),
            other => Err(format!(
                "invalid value {other:?} for setRoleBindingSubjects: must be one of \"defaultOnly\", \"none\" or \"allServiceAccounts\""
            )),
        }
    }
}

/// The namespace and the extra fields that hold it.
#[derive(Debug, Clone)]
pub struct Namespace {
    /// The namespace.
    pub namespace: String,
    /// Field specs (the metadata and subjects entries are handled by the rules above).
    pub fields: Vec<FieldSpec>,
    /// `unsetOnly`: only fields that are missing or empty get the namespace.
    pub unset_only: bool,
    /// `setRoleBindingSubjects`.
    pub subjects: Subjects,
}

/// Whether a field may be set: always, or with `unsetOnly` when it is missing or empty.
fn settable(unset_only: bool, v: Option<&Value>) -> bool {
    !unset_only || v.is_none_or(|v| v.is_null() || v.as_str() == Some(""))
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
            let unset_only = self.unset_only;
            if !is_cluster_scoped(&gvk)
                && settable(unset_only, r.res.value.pointer("/metadata/namespace"))
            {
                r.set_namespace(ns);
            }
            let binding = gvk.kind == "RoleBinding" || gvk.kind == "ClusterRoleBinding";
            if binding && let Some(Value::Array(subjects)) = r.res.value.get_mut("subjects") {
                let field = match self.subjects {
                    Subjects::DefaultOnly => Some(("name", "default")),
                    Subjects::AllServiceAccounts => Some(("kind", "ServiceAccount")),
                    Subjects::None => None,
                };
                for s in subjects.iter_mut() {
                    if let Some((k, want)) = field
                        && s.get(k).and_then(Value::as_str) == Some(want)
                        && settable(unset_only, s.get("namespace"))
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
            if core
                && self.fields.iter().any(|fs| renames(fs) && fs.matches(&gvk))
                && settable(unset_only, r.res.value.pointer("/metadata/name"))
            {
                r.set_name(ns);
            }
            // kustomize drops `subjects/namespace` specs of the binding kinds for its own rule
            // (its default table has no subjects entry; a `subjects` spec reaches a list and
            // fails below, as there).
            let subjects_spec = |fs: &FieldSpec| {
                fs.path == "subjects/namespace"
                    && matches!(&*fs.kind, "RoleBinding" | "ClusterRoleBinding")
            };
            let other = self.fields.iter().filter(|fs| {
                !(fs.path == "metadata/namespace"
                    || (binding && subjects_spec(fs))
                    || renames(fs)
                    || (!core && fs.path == "metadata/name"))
            });
            walk_resource(r, other, Some(Create::Scalar), &mut |n| {
                if n.is_array() || n.is_object() {
                    return Err("namespace field specs must target scalar nodes".to_string());
                }
                if settable(unset_only, Some(n)) {
                    *n = Value::String(ns.to_string());
                }
                Ok(())
            })
        })?;
        // Two resources of one name from different namespaces now collide.
        list.check_unique("namespace transformation")
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
            unset_only: false,
            subjects: Subjects::DefaultOnly,
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

    /// The plugin's options: `unsetOnly` keeps namespaces already set, `setRoleBindingSubjects`
    /// picks the subjects, and a `subjects/namespace` spec of the binding kinds does not set
    /// every subject.
    #[test]
    fn plugin_options() {
        let binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: keep}\nsubjects:\n- {kind: ServiceAccount, name: default}\n- {kind: ServiceAccount, name: sa, namespace: other}\n- {kind: ServiceAccount, name: bare}\n- {kind: User, name: u}\n";
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
        let mut fields = defaults().namespace.clone();
        fields.push(FieldSpec::new(
            "subjects/namespace",
            "",
            "",
            "RoleBinding",
            false,
        ));
        let run = |unset_only, subjects, input: &str| {
            let t = Namespace {
                namespace: "media".into(),
                fields: fields.clone(),
                unset_only,
                subjects,
            };
            run_transform(input, |m| t.apply(m))
        };
        let got = run(false, Subjects::DefaultOnly, binding);
        assert!(got.contains("name: sa\n  namespace: other\n"), "{got}");
        assert!(got.contains("name: default\n  namespace: media\n"), "{got}");
        let got = run(false, Subjects::AllServiceAccounts, binding);
        assert!(got.contains("name: sa\n  namespace: media\n"), "{got}");
        assert!(got.contains("name: bare\n  namespace: media\n"), "{got}");
        assert!(!got.contains("name: u\n  namespace"), "{got}");
        let got = run(true, Subjects::AllServiceAccounts, binding);
        assert!(got.contains("name: b\n  namespace: keep\n"), "{got}");
        assert!(got.contains("name: sa\n  namespace: other\n"), "{got}");
        assert!(got.contains("name: bare\n  namespace: media\n"), "{got}");
        let got = run(false, Subjects::None, binding);
        assert!(!got.contains("name: default\n  namespace"), "{got}");
        assert!(run(true, Subjects::None, cm).contains("namespace: media"));
        assert!(Subjects::parse("all").is_err());
        let mut specs = defaults().namespace.clone();
        specs.push(FieldSpec::new("spec/template", "", "", "Deployment", false));
        specs.push(FieldSpec::new("subjects", "", "", "RoleBinding", false));
        let t = Namespace {
            namespace: "media".into(),
            fields: specs,
            unset_only: false,
            subjects: Subjects::DefaultOnly,
        };
        let d = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template: {spec: {}}\n";
        let got = run_transform(d, |m| t.apply(m));
        assert!(
            got.contains("field spec/template: namespace field specs must target scalar nodes"),
            "{got}"
        );
        let rb = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b}\nsubjects: [{kind: User, name: u}]\n";
        let got = run_transform(rb, |m| t.apply(m));
        assert!(
            got.contains("field subjects: namespace field specs must target scalar nodes"),
            "{got}"
        );
        let two = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: b}\n";
        let got = run(false, Subjects::None, two);
        assert!(
            got.contains(
                "namespace transformation produces ID conflict: ConfigMap.v1.[noGrp]/c.media"
            ),
            "{got}"
        );
    }
}
