//! `commonAnnotations`: annotation pairs set through field specs. No I/O.

/// Annotations to set and where.
pub type Annotations = super::MapEntries;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::fieldspec::defaults;
    use crate::kustomize::transformers::run_transform;

    #[test]
    fn annotations_table() {
        let a = Annotations {
            pairs: [("note".to_string(), "51".to_string())].into(),
            fields: defaults().common_annotations.clone(),
        };
        let cases = [
            (
                "deployment template annotated",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n    spec: {}\n",
                "  template:\n    metadata:\n      annotations:\n        note: \"51\"\n",
                true,
            ),
            (
                "crd template untouched",
                "apiVersion: x.io/v1\nkind: Foo\nmetadata: {name: a}\nspec:\n  template:\n    spec: {}\n",
                "  template:\n    metadata:",
                false,
            ),
        ];
        for (name, input, want, present) in cases {
            let got = run_transform(input, |m| a.apply(m));
            assert_eq!(got.contains(want), present, "{name}:\n{got}");
            assert!(
                got.contains("metadata:\n  annotations:\n    note: \"51\"\n"),
                "{name}:\n{got}"
            );
        }
    }
}
