//! CustomResourceDefinitions among the inputs: each is checked as the API server checks it on
//! create (its schema compiles, it is structural, its names and versions are consistent) and
//! registered, so the custom resources beside it are checked against it.
//!
//! A CRD the API server refuses on create (a rule of it does not compile, its schema is not
//! structural, its names or versions are inconsistent: any of the errors above) is never served,
//! so its custom resources get one finding each naming the refused CRD and the place of its first
//! error, instead of being checked against it.
//!
//! Owns only turning those results into diagnostics at the CRD's file:line:col.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::value::Value;

use super::{Ctx, Diagnostic, Obj, label};
use crate::finding::Finding;
use crate::resource::{Gvk, Origin};
use crate::schema::crd::is_crd;
use crate::schema::structural;

/// What the API server's checks of a CRD found, by the CRD's content and the Kubernetes minor:
/// a CRD is met in the first pass, the clean check and the full check, and checked once.
pub(super) type Checked = HashMap<(u64, Option<u32>), Arc<Vec<Finding>>>;

/// CRDs the API server refuses, by the (group, kind) they would define.
pub(super) type Refused = HashMap<(String, String), RefusedCrd>;

/// Why a CRD is refused, and where.
#[derive(Debug, Clone)]
pub(super) struct RefusedCrd {
    /// `metadata.name` of the CRD.
    name: String,
    /// `file:line:col` of the first error (the file alone when the place is not known).
    at: String,
    /// The code of that error.
    code: &'static str,
}

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
        let found = self.crd_findings(&obj.value);
        self.note_refused(&obj.value, &obj.origin, &obj.prefix, &found);
        for f in found.iter().cloned() {
            if reported {
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
                && self.crd_findings(&obj.value).is_empty())
    }

    /// [`structural::check_for`] of a CRD for the target version, checked once per content.
    fn crd_findings(&mut self, crd: &Value) -> Arc<Vec<Finding>> {
        let key = (fingerprint(crd), self.crd_minor());
        if let Some(found) = self.crd_checked.get(&key) {
            return found.clone();
        }
        let found = Arc::new(structural::check_for(crd, self.crd_minor()));
        self.crd_checked.insert(key, found.clone());
        found
    }

    /// The Kubernetes minor version whose CEL environment CRD rules must compile in.
    fn crd_minor(&self) -> Option<u32> {
        Some(self.target_minor()).filter(|m| *m > 0)
    }

    /// A CRD given with `--crd` is reference material, not an input, but one the API server
    /// would refuse is never served, so its custom resources are refused and its errors are
    /// reported on the `--crd` file (once, even if the CRD is an input too).
    pub(super) fn crd_file_rules(&mut self, crd: &crate::resource::Resource, text: &str) {
        let found = self.crd_findings(&crd.value);
        if found.is_empty() {
            return;
        }
        // A CRD inside a `List` is found again in the text, for the place of its fields.
        let (origin, prefix) = locate(&crd.origin.file, text, &crd.value)
            .unwrap_or_else(|| (crd.origin.clone(), String::new()));
        self.note_refused(&crd.value, &origin, &prefix, &found);
        if !self.crd_rules_reported.insert(crd_name(&crd.value)) {
            return;
        }
        for f in found.iter().cloned() {
            let span = self.span(
                &origin,
                &format!("{prefix}{}", f.pointer),
                label(&crd.value),
            );
            self.push(Diagnostic::error(f.code, f.message).at(span), None);
        }
    }
}

impl Ctx<'_> {
    /// Remembers a CRD among the inputs that the API server refuses (first pass: before any
    /// custom resource is checked). `text` is the file's; the CRD is looked up in it again with
    /// positions, which only a refused CRD costs.
    pub(super) fn note_refused_in(&mut self, path: &Path, text: &str, crd: &Value) {
        let found = self.crd_findings(crd);
        if found.is_empty() {
            return;
        }
        let (origin, prefix) = locate(path, text, crd).unwrap_or_else(|| {
            let origin = Origin {
                file: path.to_path_buf(),
                ..Origin::default()
            };
            (origin, String::new())
        });
        self.note_refused(crd, &origin, &prefix, &found);
    }

    /// [`Ctx::note_refused_in`] for a CRD that comes with its positions (a rendered overlay).
    pub(super) fn note_refused_resource(&mut self, crd: &crate::resource::Resource) {
        let found = self.crd_findings(&crd.value);
        self.note_refused(&crd.value, &crd.origin, "", &found);
    }

    /// Records `crd` as refused when `found` (the API server's create-time errors of it) is not
    /// empty.
    fn note_refused(&mut self, crd: &Value, origin: &Origin, prefix: &str, found: &[Finding]) {
        let Some(first) = found.first() else {
            return;
        };
        let s = |p: &str| crd.pointer(p).and_then(Value::as_str).unwrap_or("");
        let key = (
            s("/spec/group").to_string(),
            s("/spec/names/kind").to_string(),
        );
        if self.refused_crds.contains_key(&key) {
            return;
        }
        let at = match origin.locate(&format!("{prefix}{}", first.pointer)) {
            Some((file, pos)) => format!("{}:{}:{}", file.display(), pos.line, pos.col),
            None if origin.start.line > 0 => format!(
                "{}:{}:{}",
                origin.file.display(),
                origin.start.line,
                origin.start.col
            ),
            None => origin.file.display().to_string(),
        };
        let name = crd_name(crd);
        let code = first.code;
        self.refused_crds.insert(key, RefusedCrd { name, at, code });
    }

    /// The refused CRD that would define `gvk`, if any.
    pub(super) fn refused_crd(&self, gvk: &Gvk) -> Option<&RefusedCrd> {
        if self.refused_crds.is_empty() {
            return None;
        }
        self.refused_crds
            .get(&(gvk.group.clone(), gvk.kind.clone()))
    }

    /// One error on a custom resource whose CRD the API server refuses; true when reported (the
    /// object is then not checked against that CRD).
    pub(super) fn refused_resource(&mut self, gvk: &Gvk, obj: &Obj, label: &str) -> bool {
        let Some(refused) = self.refused_crd(gvk).cloned() else {
            return false;
        };
        let version = if gvk.group.is_empty() {
            gvk.version.clone()
        } else {
            format!("{}/{}", gvk.group, gvk.version)
        };
        let span = self.span(
            &obj.origin,
            &format!("{}/kind", obj.prefix),
            label.to_string(),
        );
        let (why, what) = if refused.code == RULE_COMPILE {
            ("a rule of it does not compile", "the rule")
        } else {
            ("it fails the API server's checks", "its first error")
        };
        let message = format!(
            "no matches for kind \"{}\" in version \"{version}\": its CustomResourceDefinition {} is refused by the API server ({why})",
            gvk.kind, refused.name
        );
        let help = format!(
            "{what} is at {}: fix it first ({})",
            refused.at, refused.code
        );
        self.push(
            Diagnostic::error(CRD_REFUSED, message).at(span).help(help),
            Some(obj.input),
        );
        true
    }
}

/// A hash of a value's content (its tree, without writing it out as text).
fn fingerprint(value: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    fn walk(v: &Value, h: &mut std::collections::hash_map::DefaultHasher) {
        match v {
            Value::Null => 0u8.hash(h),
            Value::Bool(b) => (1u8, *b).hash(h),
            Value::Number(n) => (2u8, n.as_f64().map(f64::to_bits), n.as_i64()).hash(h),
            Value::String(s) => (3u8, s).hash(h),
            Value::Array(items) => {
                (4u8, items.len()).hash(h);
                for i in items {
                    walk(i, h);
                }
            }
            Value::Object(m) => {
                (5u8, m.len()).hash(h);
                for (k, v) in m {
                    k.hash(h);
                    walk(v, h);
                }
            }
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    walk(value, &mut h);
    h.finish()
}

/// The document of `text` that holds `crd` (itself or as an item of a `List`), with positions,
/// and the pointer prefix of the CRD in it.
fn locate(path: &Path, text: &str, crd: &Value) -> Option<(Origin, String)> {
    let docs = crate::yaml::parse_stream(text).ok()?;
    for doc in docs {
        let prefix = if &doc.value == crd {
            Some(String::new())
        } else {
            doc.value
                .get("items")
                .and_then(Value::as_array)
                .and_then(|items| items.iter().position(|i| i == crd))
                .map(|i| format!("/items/{i}"))
        };
        if let Some(prefix) = prefix {
            let origin = Origin {
                file: path.to_path_buf(),
                document: doc.index,
                locations: Some(std::sync::Arc::new(doc.locations)),
                start: doc.start,
                fields: None,
            };
            return Some((origin, prefix));
        }
    }
    None
}

/// The finding code of a custom resource whose CRD is refused.
const CRD_REFUSED: &str = "crd-refused";

/// The finding code of a rule that does not compile.
const RULE_COMPILE: &str = "crd-rule-compile";

fn crd_name(crd: &crate::value::Value) -> String {
    crd.pointer("/metadata/name")
        .and_then(crate::value::Value::as_str)
        .unwrap_or("")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn fingerprints_follow_content() {
        let a = json!({"spec": {"versions": [{"name": "v1", "served": true}], "n": 1}});
        let same = json!({"spec": {"versions": [{"name": "v1", "served": true}], "n": 1}});
        assert_eq!(fingerprint(&a), fingerprint(&same));
        for other in [
            json!({"spec": {"versions": [{"name": "v2", "served": true}], "n": 1}}),
            json!({"spec": {"versions": [{"name": "v1", "served": false}], "n": 1}}),
            json!({"spec": {"versions": [{"name": "v1", "served": true}], "n": 1.5}}),
            json!({"spec": {"versions": [{"name": "v1", "served": true}], "n": "1"}}),
            json!({"spec": {"versions": [], "n": 1}}),
        ] {
            assert_ne!(fingerprint(&a), fingerprint(&other), "{other}");
        }
    }
}
