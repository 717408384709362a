//! CustomResourceDefinitions among the inputs: each is checked as the API server checks it on
//! create (its schema compiles, it is structural, its names and versions are consistent) and
//! registered, so the custom resources beside it are checked against it.
//!
//! Owns only turning those results into diagnostics at the CRD's file:line:col.

use super::{Ctx, Diagnostic, Obj, label};
use crate::schema::crd::is_crd;
use crate::schema::structural;

impl Ctx<'_> {
    /// Registers a CRD and reports what the API server would reject in it; nothing for another
    /// kind.
    pub(super) fn check_crd(&mut self, obj: &Obj) {
        if !is_crd(&obj.value) {
            return;
        }
        if let Err(e) = self.crds.add(&obj.value, self.options.strict) {
            let span = self.span(&obj.origin, &obj.prefix, label(&obj.value));
            self.push(
                Diagnostic::error("crd-invalid-schema", e.to_string()).at(span),
                Some(obj.input),
            );
        }
        let reported = self.crd_rules_reported.contains(&crd_name(&obj.value));
        for f in structural::check_for(&obj.value, self.crd_minor()) {
            if reported && f.code == RULE_COMPILE {
                continue;
            }
            let pointer = format!("{}{}", obj.prefix, f.pointer);
            let span = self.span(&obj.origin, &pointer, label(&obj.value));
            self.push(
                Diagnostic::error(f.code, f.message).at(span),
                Some(obj.input),
            );
        }
    }

    /// Whether a CRD registers and has nothing to report (true for other kinds).
    pub(super) fn crd_is_clean(&mut self, obj: &Obj) -> bool {
        !is_crd(&obj.value)
            || (self.crds.add(&obj.value, self.options.strict).is_ok()
                && structural::check_for(&obj.value, self.crd_minor()).is_empty())
    }

    /// The Kubernetes minor version whose CEL environment CRD rules must compile in.
    fn crd_minor(&self) -> Option<u32> {
        Some(self.target_minor()).filter(|m| *m > 0)
    }

    /// A CRD given with `--crd` is reference material, not an input, but a rule of it that the
    /// API server would not compile is never evaluated on its custom resources: it is reported
    /// on the `--crd` file (once, even if the CRD is an input too).
    pub(super) fn crd_file_rules(&mut self, crd: &crate::resource::Resource) {
        let found: Vec<_> = structural::check_for(&crd.value, self.crd_minor())
            .into_iter()
            .filter(|f| f.code == RULE_COMPILE)
            .collect();
        if found.is_empty() || !self.crd_rules_reported.insert(crd_name(&crd.value)) {
            return;
        }
        for f in found {
            let span = self.span(&crd.origin, &f.pointer, label(&crd.value));
            self.push(Diagnostic::error(f.code, f.message).at(span), None);
        }
    }
}

/// The finding code of a rule that does not compile.
const RULE_COMPILE: &str = "crd-rule-compile";

fn crd_name(crd: &serde_json::Value) -> String {
    crd.pointer("/metadata/name")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
        .to_string()
}
