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
        for f in structural::check_for(&obj.value, Some(self.target_minor()).filter(|m| *m > 0)) {
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
                && structural::check_for(&obj.value, Some(self.target_minor()).filter(|m| *m > 0))
                    .is_empty())
    }
}
