//! Kubernetes' format CEL library (since 1.31): `format.dns1123Label()` and the other named
//! formats, `format.named(name)` (an optional format) and `<format>.validate(string)`, which is
//! `optional.none()` for a valid string and otherwise the API server's messages.
//!
//! Owns the table of formats; the name checks themselves are in [`crate::schema::names`].

use std::sync::Arc;

use cel::objects::{Opaque, OptionalValue};
use cel::{ExecutionError, Value};

use super::{Res, string};
use crate::schema::names;

/// A named format (`kubernetes.NamedFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format(&'static str);

impl Opaque for Format {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.NamedFormat"
    }
}

/// The formats, by the name `format.<name>()` uses, and their registration: one list.
macro_rules! formats {
    ($($name:literal),* $(,)?) => {
        /// The formats, by the name `format.<name>()` uses.
        pub const NAMES: &[&str] = &[$($name),*];

        /// Declares `format.<name>()` for every format.
        pub fn register(env: &mut cel::Env) -> Result<(), cel::DeclarationError> {
            use cel::common::value::{CowVal, Val};
            $(
                env.add_overload(concat!("format.", $name), concat!("format.", $name, "()"), vec![], |_| {
                    let v: Box<dyn Val> = named_constant($name).try_into()?;
                    Ok(CowVal::Owned(v))
                })?;
            )*
            Ok(())
        }
    };
}

formats!(
    "dns1123Label",
    "dns1123Subdomain",
    "dns1035Label",
    "qualifiedName",
    "dns1123LabelPrefix",
    "dns1123SubdomainPrefix",
    "dns1035LabelPrefix",
    "labelValue",
    "uri",
    "uuid",
    "byte",
    "date",
    "datetime",
);

fn check(name: &str, s: &str) -> Vec<String> {
    let one = |ok: bool, msg: &str| {
        if ok {
            Vec::new()
        } else {
            vec![msg.to_string()]
        }
    };
    match name {
        "dns1123Label" => names::dns1123_label(s),
        "dns1123Subdomain" => names::dns1123_subdomain(s),
        "dns1035Label" => names::dns1035_label(s),
        "qualifiedName" => names::qualified_name(s),
        "dns1123LabelPrefix" => names::dns1123_label(&names::as_prefix(s)),
        "dns1123SubdomainPrefix" => names::dns1123_subdomain(&names::as_prefix(s)),
        "dns1035LabelPrefix" => names::dns1035_label(&names::as_prefix(s)),
        "labelValue" => names::label_value(s),
        "uri" => super::url::request_uri_error(s).into_iter().collect(),
        "uuid" => one(is_uuid(s), "does not match the UUID format"),
        "byte" => one(is_base64(s), "invalid base64"),
        "date" => one(
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
            "invalid date",
        ),
        "datetime" => one(
            chrono::DateTime::parse_from_rfc3339(s).is_ok(),
            "invalid datetime",
        ),
        _ => Vec::new(),
    }
}

fn is_uuid(s: &str) -> bool {
    let hex = |p: &str| p.bytes().all(|b| b.is_ascii_hexdigit());
    if s.len() == 32 {
        return hex(s);
    }
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| hex(p))
}

fn is_base64(s: &str) -> bool {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).is_ok()
}

/// `format.<name>()`.
pub fn named_constant(name: &'static str) -> Value {
    Value::Opaque(Arc::new(Format(name)))
}

/// `format.named(string)`: the format, or `optional.none()` for an unknown name.
pub fn named(args: &[Value]) -> Res<Value> {
    let s = string(args, 0, "format.named")?;
    let v = match NAMES.iter().find(|n| **n == s) {
        Some(n) => OptionalValue::of(named_constant(n)),
        None => OptionalValue::none(),
    };
    Ok(Value::Opaque(Arc::new(v)))
}

/// `<format>.validate(string)`.
pub fn validate(args: &[Value]) -> Res<Value> {
    let f = match args.first() {
        Some(Value::Opaque(o)) => o.downcast_ref::<Format>().copied(),
        _ => None,
    }
    .ok_or_else(|| ExecutionError::function_error("validate", "expected a format"))?;
    let errors = check(f.0, string(args, 1, "validate")?);
    let v = if errors.is_empty() {
        OptionalValue::none()
    } else {
        let list: Vec<Value> = errors.into_iter().map(Value::from).collect();
        OptionalValue::of(Value::List(Arc::new(list)))
    };
    Ok(Value::Opaque(Arc::new(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_formats() {
        assert!(check("uuid", "123e4567-e89b-12d3-a456-426614174000").is_empty());
        assert_eq!(check("uri", "x"), ["parse \"x\": invalid URI for request"]);
        assert_eq!(
            check("uri", "https://x:y/"),
            ["parse \"https://x:y/\": invalid port \":y\" after host"]
        );
        assert!(check("uuid", "123e4567e89b12d3a456426614174000").is_empty());
        assert_eq!(check("uuid", "123"), ["does not match the UUID format"]);
        assert!(check("byte", "aGVsbG8=").is_empty());
        assert_eq!(check("byte", "aGVsbG8"), ["invalid base64"]);
        assert!(check("date", "2026-02-28").is_empty() && !check("date", "2026-02-30").is_empty());
        assert!(check("datetime", "2026-02-28T10:00:00Z").is_empty());
        assert!(check("dns1123LabelPrefix", "web-").is_empty());
        assert!(!check("dns1123Label", "web-").is_empty());
    }
}
