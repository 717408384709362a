//! `namePrefix` / `nameSuffix`: add affixes to names (not to Namespaces, CRDs or APIServices),
//! remembering the old names so references can follow. No I/O.

use crate::value::Value;

use crate::kustomize::KustomizeError;
use crate::kustomize::fieldspec::{FieldSpec, walk_existing};
use crate::kustomize::resmap::{KRes, ResMap, kid};

/// A prefix or suffix and the fields it applies to.
#[derive(Debug, Clone)]
pub struct PrefixSuffix {
    /// Prefix (may be empty).
    pub prefix: String,
    /// Suffix (may be empty).
    pub suffix: String,
    /// Fields for the prefix.
    pub prefix_fields: Vec<FieldSpec>,
    /// Fields for the suffix.
    pub suffix_fields: Vec<FieldSpec>,
}

fn skipped(r: &KRes) -> bool {
    let g = &r.org_gvk;
    g.kind == "CustomResourceDefinition"
        || g.kind == "Namespace"
        || (g.kind == "APIService" && g.group == "apiregistration.k8s.io")
}

fn affix(
    r: &mut KRes,
    fields: &[FieldSpec],
    text: &str,
    prefix: bool,
) -> Result<(), KustomizeError> {
    if text.is_empty() {
        return Ok(());
    }
    let gvk = r.org_gvk.clone();
    for fs in fields.iter().filter(|fs| fs.matches(&gvk)) {
        if fs.path == "metadata/name" {
            let name = r.res.name().to_string();
            let new = if prefix {
                format!("{text}{name}")
            } else {
                format!("{name}{text}")
            };
            r.set_name(&new);
            if prefix {
                r.prefixes.push(text.to_string());
            } else {
                r.suffixes.push(text.to_string());
            }
            continue;
        }
        walk_existing(&mut r.res.value, fs, &mut |n| {
            if let Value::String(s) = n {
                *s = if prefix {
                    format!("{text}{s}")
                } else {
                    format!("{s}{text}")
                };
            }
            Ok(())
        })
        .map_err(|m| KustomizeError::invalid(r.location(""), format!("{}: {m}", kid(&r.id()))))?;
    }
    Ok(())
}

impl PrefixSuffix {
    /// Renames every resource that takes affixes.
    ///
    /// # Errors
    /// A field with the wrong shape.
    pub fn apply(&self, list: &mut ResMap) -> Result<(), KustomizeError> {
        for r in list.list.iter_mut().filter(|r| !skipped(r)) {
            affix(r, &self.prefix_fields, &self.prefix, true)?;
            affix(r, &self.suffix_fields, &self.suffix, false)?;
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
    fn affix_table() {
        let t = PrefixSuffix {
            prefix: "p-".into(),
            suffix: "-s".into(),
            prefix_fields: defaults().name_prefix.clone(),
            suffix_fields: defaults().name_suffix.clone(),
        };
        let cases = [
            (
                "renamed",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
                "name: p-a-s",
            ),
            (
                "namespace kept",
                "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
                "name: a\n",
            ),
            (
                "crd kept",
                "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: a}\n",
                "name: a\n",
            ),
        ];
        for (name, input, want) in cases {
            let got = run_transform(input, |m| t.apply(m));
            assert!(got.contains(want), "{name}:\n{got}");
        }
    }
}
