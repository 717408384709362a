//! `commonLabels` and `labels`: label pairs set through field specs (selectors and templates
//! only when asked). No I/O.

/// Labels to set and the fields to set them in (selectors and templates only when the field
/// specs say so).
pub type Labels = super::MapEntries;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::fieldspec::FieldSpec;
    use crate::kustomize::fieldspec::defaults;
    use crate::kustomize::transformers::run_transform;

    const DEP: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  selector:\n    matchLabels:\n      app: a\n  template:\n    metadata:\n      labels:\n        app: a\n";

    fn labels(fields: Vec<FieldSpec>) -> Labels {
        Labels {
            pairs: [("team".to_string(), "media".to_string())].into(),
            fields,
        }
    }

    #[test]
    fn labels_table() {
        let meta_only = vec![FieldSpec::new("metadata/labels", "", "", "", true)];
        let cases = [
            (
                "commonLabels touch selectors",
                defaults().common_labels.clone(),
                "matchLabels:\n      app: a\n      team: media\n",
                true,
            ),
            (
                "includeSelectors false leaves selectors",
                meta_only.clone(),
                "matchLabels:\n      app: a\n  template",
                true,
            ),
            (
                "includeSelectors false leaves templates",
                meta_only,
                "labels:\n        app: a\n",
                true,
            ),
        ];
        for (name, fields, want, present) in cases {
            let got = run_transform(DEP, |m| labels(fields).apply(m));
            assert_eq!(got.contains(want), present, "{name}:\n{got}");
            assert!(
                got.contains("metadata:\n  labels:\n    team: media\n"),
                "{name}:\n{got}"
            );
        }
    }

    #[test]
    fn crd_selector_untouched() {
        let got = run_transform(
            "apiVersion: x.io/v1\nkind: Foo\nmetadata: {name: f}\nspec:\n  selector:\n    matchLabels: {a: b}\n",
            |m| labels(defaults().common_labels.clone()).apply(m),
        );
        assert!(got.contains("matchLabels:\n      a: b\n"), "{got}");
        assert!(!got.contains("      team"), "{got}");
    }
}
