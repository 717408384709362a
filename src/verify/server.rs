//! What the API server validates beyond an object's schema, for every object verify has a schema
//! for: ObjectMeta ([`crate::schema::object_meta`]) and, in built-in kinds, the duplicates core
//! validation rejects ([`crate::schema::unique`]). Custom resources' set and map lists are checked
//! with their CRD (`crate::schema::crd`).
//!
//! Owns only turning those findings into diagnostics at the object's file:line:col.

use crate::value::Value;

use super::{Ctx, Diagnostic, Obj};
use crate::finding::Finding;
use crate::resource::Gvk;
use crate::schema::{object_meta, unique};

/// The API server's ObjectMeta and uniqueness findings for one object.
pub(super) fn findings(gvk: &Gvk, value: &Value) -> Vec<Finding> {
    let mut out = object_meta::check(&gvk.group, &gvk.kind, value);
    out.extend(unique::built_in(&gvk.group, &gvk.kind, value));
    out
}

impl Ctx<'_> {
    /// Reports [`findings`] at the object's fields.
    pub(super) fn server_checks(&mut self, obj: &Obj, gvk: &Gvk, label: &str) {
        for f in findings(gvk, &obj.value) {
            let pointer = format!("{}{}", obj.prefix, f.pointer);
            let span = self.span(&obj.origin, &pointer, label.to_string());
            self.push(
                Diagnostic::error(f.code, f.message).at(span),
                Some(obj.input),
            );
        }
    }
}
