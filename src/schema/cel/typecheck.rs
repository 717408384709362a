//! The part of the API server's CEL type check that a rule's schema decides: a field selected on
//! an object whose schema declares its properties must be one of them (`undefined field 'x'`), a
//! scalar has no fields, operators and the common functions take the types they are declared for
//! (`found no matching overload for '_+_' applied to '(int, string)'`), and a rule evaluates to a
//! bool, a message expression to a string. The API server compiles every rule against the type
//! its schema node gives `self`, so such a rule does not compile and the CRD is refused.
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
    /// A value of a primitive type (a literal, an operator's result).
    Prim(Prim),
}

/// The CEL types the checker tells apart.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Prim {
    Int,
    Uint,
    Double,
    String,
    Bool,
    Bytes,
    Timestamp,
    Duration,
    List,
    Map,
    Null,
}

impl Prim {
    fn name(self) -> &'static str {
        match self {
            Prim::Int => "int",
            Prim::Uint => "uint",
            Prim::Double => "double",
            Prim::String => "string",
            Prim::Bool => "bool",
            Prim::Bytes => "bytes",
            Prim::Timestamp => "google.protobuf.Timestamp",
            Prim::Duration => "google.protobuf.Duration",
            Prim::List => "list",
            Prim::Map => "map",
            Prim::Null => "null_type",
        }
    }

    fn numeric(self) -> bool {
        matches!(self, Prim::Int | Prim::Uint | Prim::Double)
    }
}

/// What a rule or message expression must evaluate to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// `rule`: a bool.
    Bool,
    /// `messageExpression`: a string.
    String,
}

/// The first schema type error of `expr` with `self` (and `oldSelf`) of `node`; `root` when the
/// rule sits on the CRD's root schema.
pub fn error(expr: &IdedExpr, node: &Node, root: bool, output: Output) -> Option<String> {
    let mut check = Check {
        this: Ty::Node { node, root },
        scope: Vec::new(),
        found: None,
    };
    let t = check.ty(expr, 0);
    if check.found.is_none()
        && let Some(p) = prim(t)
    {
        match output {
            Output::Bool if p != Prim::Bool => {
                return Some(format!(
                    "cel expression must evaluate to a bool, not {}",
                    p.name()
                ));
            }
            Output::String if p != Prim::String => {
                return Some(format!(
                    "messageExpression must evaluate to a string, not {}",
                    p.name()
                ));
            }
            _ => {}
        }
    }
    check.found
}

/// The primitive type of `t`, when known.
fn prim(t: Ty<'_>) -> Option<Prim> {
    match t {
        Ty::Prim(p) => Some(p),
        Ty::Node { node, .. } => {
            if node.int_or_string || node.preserve_unknown {
                return None;
            }
            match node.ty.as_deref()? {
                "integer" => Some(Prim::Int),
                "number" => Some(Prim::Double),
                "boolean" => Some(Prim::Bool),
                "string" => match node.format.as_deref() {
                    Some("date-time" | "date") => Some(Prim::Timestamp),
                    Some("duration") => Some(Prim::Duration),
                    Some("byte") => None,
                    _ => Some(Prim::String),
                },
                "array" => Some(Prim::List),
                "object" if node.additional.is_some() => Some(Prim::Map),
                _ => None,
            }
        }
        _ => None,
    }
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
                let field = self.select(t, &s.field);
                // `has(x.f)` is the presence test.
                if s.test { Ty::Prim(Prim::Bool) } else { field }
            }
            Expr::Literal(l) => Ty::Prim(match l {
                LiteralValue::Boolean(_) => Prim::Bool,
                LiteralValue::Bytes(_) => Prim::Bytes,
                LiteralValue::Double(_) => Prim::Double,
                LiteralValue::Int(_) => Prim::Int,
                LiteralValue::Null => Prim::Null,
                LiteralValue::String(_) => Prim::String,
                LiteralValue::UInt(_) => Prim::Uint,
            }),
            Expr::Call(c) => {
                let target = c.target.as_deref().map(|t| self.ty(t, depth + 1));
                let args: Vec<Ty<'a>> = c.args.iter().map(|a| self.ty(a, depth + 1)).collect();
                match (c.func_name.as_str(), target, args.as_slice()) {
                    (operators::INDEX, None, [t, i]) => {
                        // A list takes an int index, a map (string keys) a string.
                        let wrong = match (prim(*t), prim(*i)) {
                            (Some(Prim::List), Some(i)) => !matches!(i, Prim::Int | Prim::Uint),
                            (Some(Prim::Map), Some(i)) => i != Prim::String,
                            _ => false,
                        };
                        if wrong {
                            let args = [prim(*t), prim(*i)];
                            self.found
                                .get_or_insert_with(|| no_overload(operators::INDEX, None, &args));
                            return Ty::Unknown;
                        }
                        element(*t)
                    }
                    (operators::OPT_SELECT, None, [t, _]) => {
                        if let Some(Expr::Literal(LiteralValue::String(f))) =
                            c.args.get(1).map(|a| &a.expr)
                        {
                            self.select(*t, f.inner());
                        }
                        Ty::Unknown
                    }
                    (name, target, args) => {
                        let target = target.map(prim);
                        let args: Vec<Option<Prim>> = args.iter().map(|a| prim(*a)).collect();
                        match overload(name, target, &args) {
                            Ok(Some(p)) => Ty::Prim(p),
                            Ok(None) => Ty::Unknown,
                            Err(()) => {
                                self.found
                                    .get_or_insert_with(|| no_overload(name, target, &args));
                                Ty::Unknown
                            }
                        }
                    }
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
                // What the macro yields: `all` its bool accumulator, `map` its list, a bind
                // the type of its body.
                let out = self.ty(&c.result, depth + 1);
                self.scope.truncate(mark);
                out
            }
            Expr::List(l) => {
                for item in &l.elements {
                    self.ty(item, depth + 1);
                }
                Ty::Prim(Prim::List)
            }
            Expr::Map(m) => {
                for en in &m.entries {
                    if let EntryExpr::MapEntry(me) = &en.expr {
                        self.ty(&me.key, depth + 1);
                        self.ty(&me.value, depth + 1);
                    }
                }
                Ty::Prim(Prim::Map)
            }
            _ => Ty::Unknown,
        }
    }

    /// The type of `t.field`, recording an error when `t` cannot have that field.
    fn select(&mut self, t: Ty<'a>, field: &str) -> Ty<'a> {
        match t {
            Ty::Unknown | Ty::Prim(_) => Ty::Unknown,
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
                let resource = root || node.embedded;
                if resource && field == "metadata" {
                    return if root { Ty::RootMeta } else { Ty::Unknown };
                }
                // Properties are seen under their escaped names, as the rules' values are.
                let property = node
                    .properties
                    .iter()
                    .find(|(name, _)| super::escape_property(name) == field);
                if let Some((_, p)) = property {
                    return Ty::Node {
                        node: p,
                        root: false,
                    };
                }
                if !(resource && matches!(field, "apiVersion" | "kind")) {
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

/// The result type of calling `name` (on `target`) with `args` of the known types, `Ok(None)`
/// when it is not known, `Err` when no overload of the API server's environment takes them.
/// Unknown types (`None`) match anything.
fn overload(
    name: &str,
    target: Option<Option<Prim>>,
    args: &[Option<Prim>],
) -> Result<Option<Prim>, ()> {
    use Prim::*;
    let ok = |p: Prim| Ok(Some(p));
    // Both known, or nothing to say.
    let pair = |a: &[Option<Prim>]| match a {
        [Some(x), Some(y)] => Some((*x, *y)),
        _ => None,
    };
    match (name, target) {
        (operators::LOGICAL_AND | operators::LOGICAL_OR, None) => {
            if args.iter().flatten().any(|p| *p != Bool) {
                return Err(());
            }
            ok(Bool)
        }
        (operators::LOGICAL_NOT, None) => {
            if args.iter().flatten().any(|p| *p != Bool) {
                return Err(());
            }
            ok(Bool)
        }
        // Both branches take one type: `c ? 1 : 'a'` and `c ? 1 : 2.0` have no overload (null
        // stands for any type here).
        (operators::CONDITIONAL, None) => match args {
            [Some(c), ..] if *c != Bool => Err(()),
            [_, Some(a), Some(b)] if a == b => ok(*a),
            [_, Some(a), Some(b)] if *a != Null && *b != Null => Err(()),
            _ => Ok(None),
        },
        (operators::EQUALS | operators::NOT_EQUALS, None) => match pair(args) {
            Some((a, b)) if a != b && a != Null && b != Null && !(a.numeric() && b.numeric()) => {
                Err(())
            }
            _ => ok(Bool),
        },
        (
            operators::LESS
            | operators::LESS_EQUALS
            | operators::GREATER
            | operators::GREATER_EQUALS,
            None,
        ) => match pair(args) {
            Some((a, b)) if a.numeric() && b.numeric() => ok(Bool),
            Some((a, b)) if a == b && matches!(a, String | Bytes | Bool | Timestamp | Duration) => {
                ok(Bool)
            }
            Some(_) => Err(()),
            None => ok(Bool),
        },
        (operators::ADD, None) => match pair(args) {
            Some((a, b))
                if a == b
                    && matches!(a, Int | Uint | Double | String | Bytes | List | Duration) =>
            {
                ok(a)
            }
            Some((Timestamp, Duration) | (Duration, Timestamp)) => ok(Timestamp),
            Some(_) => Err(()),
            None => Ok(None),
        },
        (operators::SUBSTRACT, None) => match pair(args) {
            Some((a, b)) if a == b && matches!(a, Int | Uint | Double | Duration) => ok(a),
            Some((Timestamp, Timestamp)) => ok(Duration),
            Some((Timestamp, Duration)) => ok(Timestamp),
            Some(_) => Err(()),
            None => Ok(None),
        },
        (operators::MULTIPLY | operators::DIVIDE, None) => match pair(args) {
            Some((a, b)) if a == b && a.numeric() => ok(a),
            Some(_) => Err(()),
            None => Ok(None),
        },
        (operators::MODULO, None) => match pair(args) {
            Some((a, b)) if a == b && matches!(a, Int | Uint) => ok(a),
            Some(_) => Err(()),
            None => Ok(None),
        },
        (operators::NEGATE, None) => match args {
            [Some(Int)] => ok(Int),
            [Some(Double)] => ok(Double),
            [Some(_)] => Err(()),
            _ => Ok(None),
        },
        ("size", None) => match args {
            [Some(String | Bytes | List | Map)] => ok(Int),
            [Some(_)] => Err(()),
            _ => ok(Int),
        },
        ("size", Some(t)) if args.is_empty() => match t {
            Some(String | Bytes | List | Map) | None => ok(Int),
            Some(_) => Err(()),
        },
        ("startsWith" | "endsWith" | "matches", Some(t)) => match (t, args) {
            (Some(r), _) if r != String => Err(()),
            (_, [Some(a)]) if *a != String => Err(()),
            _ => ok(Bool),
        },
        ("lowerAscii" | "upperAscii" | "trim", Some(t)) => match t {
            Some(r) if r != String => Err(()),
            _ => ok(String),
        },
        ("int", None) if args.len() == 1 => ok(Int),
        ("uint", None) if args.len() == 1 => ok(Uint),
        ("double", None) if args.len() == 1 => ok(Double),
        ("string", None) if args.len() == 1 => ok(String),
        ("bool", None) if args.len() == 1 => ok(Bool),
        ("duration", None) if args.len() == 1 => ok(Duration),
        ("timestamp", None) if args.len() == 1 => ok(Timestamp),
        (operators::IN | operators::NOT_STRICTLY_FALSE, None) => ok(Bool),
        _ => Ok(None),
    }
}

/// cel-go's message for a call no overload takes.
fn no_overload(name: &str, target: Option<Option<Prim>>, args: &[Option<Prim>]) -> String {
    let names: Vec<&str> = args.iter().map(|a| a.map_or("dyn", Prim::name)).collect();
    let shown = match target {
        Some(t) => format!("{}.({})", t.map_or("dyn", Prim::name), names.join(", ")),
        None => format!("({})", names.join(", ")),
    };
    format!("found no matching overload for '{name}' applied to '{shown}'")
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
