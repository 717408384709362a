//! The part of the API server's CEL type check that a rule's schema decides: a field selected on
//! an object whose schema declares its properties must be one of them (`undefined field 'x'`),
//! and a scalar has no fields. The API server compiles every rule against the type its schema
//! node gives `self`, so such a rule does not compile and the CRD is refused.
//!
//! Conservative by construction: a value whose type is not known from the schema (a map's key, a
//! call's result, `x-kubernetes-preserve-unknown-fields`, `x-kubernetes-int-or-string`, an
//! object without declared properties) is never checked. At the root, `apiVersion` and `kind`
//! always exist and only `name` and `generateName` of `metadata` are visible; an embedded
//! resource has `apiVersion`, `kind` and `metadata` whatever its schema lists.
//!
//! Pure: walks an expression and a schema node.

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue, operators};

use crate::schema::node::Node;

/// What the checker knows of a value's type.
#[derive(Clone, Copy)]
enum Ty<'a> {
    Unknown,
    /// A value of a schema node; `root` for the CRD's whole object.
    Node {
        node: &'a Node,
        root: bool,
    },
    /// `metadata` at the root: only `name` and `generateName`.
    RootMeta,
}

/// The first schema type error of `expr` with `self` (and `oldSelf`) of `node`; `root` when the
/// rule sits on the CRD's root schema.
pub fn error(expr: &IdedExpr, node: &Node, root: bool) -> Option<String> {
    let mut check = Check {
        this: Ty::Node { node, root },
        scope: Vec::new(),
        found: None,
    };
    check.ty(expr, 0);
    check.found
}

/// Expressions nest at most this deep before the checker gives up (no finding).
const MAX_DEPTH: usize = 256;

struct Check<'a> {
    this: Ty<'a>,
    scope: Vec<(String, Ty<'a>)>,
    found: Option<String>,
}

impl<'a> Check<'a> {
    fn ty(&mut self, e: &IdedExpr, depth: usize) -> Ty<'a> {
        if self.found.is_some() || depth > MAX_DEPTH {
            return Ty::Unknown;
        }
        match &e.expr {
            Expr::Ident(name) => {
                if let Some((_, t)) = self.scope.iter().rev().find(|(n, _)| n == name) {
                    return *t;
                }
                match name.as_str() {
                    "self" | "oldSelf" => self.this,
                    _ => Ty::Unknown,
                }
            }
            Expr::Select(s) => {
                let t = self.ty(&s.operand, depth + 1);
                self.select(t, &s.field)
            }
            Expr::Call(c) => {
                let target = c.target.as_deref().map(|t| self.ty(t, depth + 1));
                let args: Vec<Ty<'a>> = c.args.iter().map(|a| self.ty(a, depth + 1)).collect();
                match (c.func_name.as_str(), target, args.as_slice()) {
                    (operators::INDEX, None, [t, _]) => element(*t),
                    (operators::OPT_SELECT, None, [t, _]) => {
                        if let Some(Expr::Literal(LiteralValue::String(f))) =
                            c.args.get(1).map(|a| &a.expr)
                        {
                            self.select(*t, f.inner());
                        }
                        Ty::Unknown
                    }
                    _ => Ty::Unknown,
                }
            }
            Expr::Comprehension(c) => {
                let range = self.ty(&c.iter_range, depth + 1);
                let accu = self.ty(&c.accu_init, depth + 1);
                let item = match range {
                    Ty::Node { node, .. } if node.ty.as_deref() == Some("array") => element(range),
                    _ => Ty::Unknown,
                };
                let mark = self.scope.len();
                self.scope.push((c.accu_var.clone(), accu));
                self.scope.push((c.iter_var.clone(), item));
                if let Some(v2) = &c.iter_var2 {
                    self.scope.push((v2.clone(), Ty::Unknown));
                }
                self.ty(&c.loop_cond, depth + 1);
                self.ty(&c.loop_step, depth + 1);
                self.scope.truncate(mark + 1);
                let out = self.ty(&c.result, depth + 1);
                self.scope.truncate(mark);
                // A bind (`cel.bind`, and the expansions that bind a value) is the value's
                // type only inside; what a comprehension yields is not followed.
                let _ = out;
                Ty::Unknown
            }
            Expr::List(l) => {
                for item in &l.elements {
                    self.ty(item, depth + 1);
                }
                Ty::Unknown
            }
            Expr::Map(m) => {
                for en in &m.entries {
                    if let EntryExpr::MapEntry(me) = &en.expr {
                        self.ty(&me.key, depth + 1);
                        self.ty(&me.value, depth + 1);
                    }
                }
                Ty::Unknown
            }
            _ => Ty::Unknown,
        }
    }

    /// The type of `t.field`, recording an error when `t` cannot have that field.
    fn select(&mut self, t: Ty<'a>, field: &str) -> Ty<'a> {
        match t {
            Ty::Unknown => Ty::Unknown,
            Ty::RootMeta => {
                if !matches!(field, "name" | "generateName") {
                    self.fail(field);
                }
                Ty::Unknown
            }
            Ty::Node { node, root } => {
                if node.int_or_string || node.preserve_unknown {
                    return Ty::Unknown;
                }
                if let Some(values) = node.additional.as_deref() {
                    return Ty::Node {
                        node: values,
                        root: false,
                    };
                }
                match node.ty.as_deref() {
                    Some(ty @ ("string" | "integer" | "number" | "boolean")) => {
                        self.found.get_or_insert_with(|| {
                            format!(
                                "type '{}' does not support field selection",
                                cel_type(ty, node.format.as_deref())
                            )
                        });
                        return Ty::Unknown;
                    }
                    Some("object") if !node.properties.is_empty() => {}
                    _ => return Ty::Unknown,
                }
                let name = unescape(field);
                let resource = root || node.embedded;
                if resource && name == "metadata" {
                    return if root { Ty::RootMeta } else { Ty::Unknown };
                }
                if let Some(p) = node.property(&name) {
                    return Ty::Node {
                        node: p,
                        root: false,
                    };
                }
                if !(resource && matches!(name.as_str(), "apiVersion" | "kind")) {
                    self.fail(field);
                }
                Ty::Unknown
            }
        }
    }

    fn fail(&mut self, field: &str) {
        self.found
            .get_or_insert_with(|| format!("undefined field '{field}'"));
    }
}

/// The element type of a list or a map's value type.
fn element(t: Ty<'_>) -> Ty<'_> {
    match t {
        Ty::Node { node, .. } => match (node.items.as_deref(), node.additional.as_deref()) {
            (Some(items), _) => Ty::Node {
                node: items,
                root: false,
            },
            (None, Some(values)) => Ty::Node {
                node: values,
                root: false,
            },
            _ => Ty::Unknown,
        },
        _ => Ty::Unknown,
    }
}

/// The CEL type name the API server gives a scalar schema type.
fn cel_type(ty: &str, format: Option<&str>) -> &'static str {
    match (ty, format) {
        ("string", Some("byte")) => "bytes",
        ("string", Some("duration")) => "google.protobuf.Duration",
        ("string", Some("date" | "date-time")) => "google.protobuf.Timestamp",
        ("string", _) => "string",
        ("integer", _) => "int",
        ("number", _) => "double",
        _ => "bool",
    }
}

/// CEL's reserved words, which a property name is written as `__word__` for.
const RESERVED: &[&str] = &[
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

/// The property name a CEL field name stands for: `__word__` for a reserved word, and
/// `__underscores__`, `__dot__`, `__dash__`, `__slash__` for `__`, `.`, `-`, `/`.
fn unescape(field: &str) -> String {
    if let Some(inner) = field.strip_prefix("__").and_then(|f| f.strip_suffix("__"))
        && RESERVED.contains(&inner)
    {
        return inner.to_string();
    }
    let mut out = String::with_capacity(field.len());
    let mut rest = field;
    'outer: while !rest.is_empty() {
        for (escaped, plain) in [
            ("__underscores__", "__"),
            ("__dot__", "."),
            ("__dash__", "-"),
            ("__slash__", "/"),
        ] {
            if let Some(after) = rest.strip_prefix(escaped) {
                out.push_str(plain);
                rest = after;
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_field_names_are_the_property_names() {
        assert_eq!(unescape("__namespace__"), "namespace");
        assert_eq!(unescape("foo__dash__bar"), "foo-bar");
        assert_eq!(unescape("a__dot__b__slash__c"), "a.b/c");
        assert_eq!(unescape("x__underscores__y"), "x__y");
        assert_eq!(unescape("__other__"), "__other__");
        assert_eq!(unescape("plain"), "plain");
    }
}
