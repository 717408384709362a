//! Schema registry: what each kind of input is validated against (Kubernetes built-in kinds,
//! kubeconform-style schema directories, CRD `openAPIV3Schema`s, Helm `values.schema.json`, Grafana
//! dashboards, Alertmanager alert payloads) and the extra rules the real servers apply.
//!
//! Owns schemas and their compiled validators; no I/O, no output, no verdicts: callers hand in
//! parsed JSON and get findings back.

pub mod alertmanager;
pub mod apis;
pub mod cel;
pub mod crd;
pub mod defaults;
pub mod grafana;
pub mod kubernetes;
pub mod meta_lists;
pub mod names;
pub mod node;
pub mod object_meta;
pub mod structural;
pub mod unique;
pub mod values;

use serde_json::Value;

use crate::finding::Finding;

/// Runs a built-in schema's `validator` over `doc`: one `schema-violation` error per root cause (at
/// its instance path; nothing under a place already reported), each saying what was expected and
/// what was found; or one `internal-error` naming the
/// `what` schema when it did not compile.
pub(crate) fn violations(
    validator: &Result<jsonschema::Validator, String>,
    doc: &Value,
    what: &str,
) -> Vec<Finding> {
    let v = match validator {
        Ok(v) => v,
        Err(e) => {
            return vec![Finding::error(
                "internal-error",
                "",
                format!("built-in {what} schema does not compile ({e}); please report a bug"),
            )];
        }
    };
    let mut out: Vec<Finding> = Vec::new();
    for e in v.iter_errors(doc) {
        let pointer = e.instance_path().to_string();
        let under = |p: &str, base: &str| {
            p.strip_prefix(base)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if out.iter().any(|f| under(&pointer, &f.pointer)) {
            continue;
        }
        out.retain(|f| !under(&f.pointer, &pointer));
        let (at, message) = describe(&e, &pointer);
        out.push(Finding::error("schema-violation", at, message));
    }
    out
}

/// Where a schema error is (a missing field at the field's own path) and what is wrong there (the
/// caller names the path and bounds the length).
fn describe(e: &jsonschema::ValidationError<'_>, pointer: &str) -> (String, String) {
    use jsonschema::error::{TypeKind, ValidationErrorKind as K};
    let found = crate::finding::preview(&e.instance().as_ref().clone().into());
    let mut at = pointer.to_string();
    let what = match e.kind() {
        K::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!("expected {expected}, found {found}")
        }
        K::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            at = crate::finding::pointer_push(pointer, name);
            "required field is missing".to_string()
        }
        K::AdditionalProperties { unexpected } => {
            format!("unknown field {}", unexpected.join(", "))
        }
        K::Enum { options } => format!(
            "expected one of {}, found {found}",
            crate::finding::bounded(&options.to_string(), 80)
        ),
        K::Minimum { limit } => format!("expected at least {limit}, found {found}"),
        K::Maximum { limit } => format!("expected at most {limit}, found {found}"),
        K::MinLength { limit } => {
            format!("expected at least {limit} character(s), found {found}")
        }
        K::Format { format } => format!("expected a {format}, found {found}"),
        K::OneOfNotValid { .. } | K::AnyOf { .. } => {
            format!("matches none of the allowed shapes, found {found}")
        }
        _ => e.to_string(),
    };
    (at, what)
}
