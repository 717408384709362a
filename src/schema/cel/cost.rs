//! The API server's static cost estimate of a CRD rule (cel-go's checker cost model with
//! Kubernetes' function costs and schema size estimates). The API server refuses a CRD whose rule
//! is estimated over [`RULE_LIMIT`] (the rule's cost times how often its node can occur in one
//! object) or whose rules add up over [`CRD_LIMIT`]: such a rule could run too long at admission,
//! so it is refused at create time, whatever the resources.
//!
//! The model, as the API server computes it: selecting a field or reading a variable costs 1,
//! a constant 0, `has()` 0 beyond its operand, creating a list 10 and a map 30, a call 1 plus
//! its arguments unless the function is priced by the size of what it reads (string traversal at
//! 0.1 per character, a regex at 0.25 per pattern character, `in` per list item); a
//! comprehension (`all`, `exists`, `map`, ...) costs its range size times its loop body. Sizes
//! come from the schema: `maxItems`, `maxProperties`, `maxLength` (times 4, bytes per code
//! point), a string enum's longest value, the fixed length of dates and durations, or when
//! unbounded, how many of the smallest possible item fit in a 3 MiB request.
//!
//! Pure: walks an expression and a schema node.

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue, operators};

use super::library::comprehensions::ENTRIES;
use crate::schema::node::Node;

/// The largest estimated cost of one rule (times its node's cardinality).
pub const RULE_LIMIT: u64 = 10_000_000;
/// The largest estimated cost of all rules of one schema.
pub const CRD_LIMIT: u64 = 100_000_000;
/// The API server's largest request, the bound of every size it cannot read from the schema.
const MAX_REQUEST: i64 = 3 * 1024 * 1024;
/// `metadata.name`'s length limit (a DNS subdomain), which bounds rules that read it.
const NAME_MAX: i64 = 253;

const TRAVERSAL: f64 = 0.1;
const REGEX: f64 = 0.25;
/// Expressions nest at most this deep before the estimate gives up (the parser's limit is 250).
const MAX_DEPTH: usize = 300;

/// An estimated range (of a cost or a size), saturating at `u64::MAX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub min: u64,
    pub max: u64,
}

impl Range {
    const UNKNOWN: Range = Range {
        min: 0,
        max: u64::MAX,
    };
    const ZERO: Range = Range::fixed(0);

    const fn fixed(n: u64) -> Range {
        Range { min: n, max: n }
    }
    fn add(self, o: Range) -> Range {
        Range {
            min: self.min.saturating_add(o.min),
            max: self.max.saturating_add(o.max),
        }
    }
    fn mul(self, o: Range) -> Range {
        Range {
            min: self.min.saturating_mul(o.min),
            max: self.max.saturating_mul(o.max),
        }
    }
    /// Each bound times `f`, rounded up (cel-go's `MultiplyByCostFactor`).
    fn factor(self, f: f64) -> Range {
        Range {
            min: factor(self.min, f),
            max: factor(self.max, f),
        }
    }
    fn union(self, o: Range) -> Range {
        Range {
            min: self.min.min(o.min),
            max: self.max.max(o.max),
        }
    }
}

fn factor(x: u64, f: f64) -> u64 {
    let v = (x as f64 * f).ceil();
    if v >= 18_446_744_073_709_551_616.0 {
        u64::MAX
    } else {
        v as u64
    }
}

/// The estimated cost of `expr` as a rule (or message expression) on `node`; `resource` when the
/// node is a resource's root (the CRD's root or an embedded resource).
pub fn estimate(expr: &IdedExpr, node: &Node, resource: bool) -> Range {
    let root = Decl::Node { node, resource };
    let mut c = Coster {
        root,
        scope: Vec::new(),
    };
    c.cost(expr, 0).cost
}

/// How often a node can occur in one object when its ancestors do not bound it: as many times
/// as its smallest serialized form fits in a request.
pub fn unbounded_cardinality(node: &Node, resource: bool) -> u64 {
    let min = Decl::Node { node, resource }.min_size();
    (MAX_REQUEST / (min + 1)) as u64
}

/// cel-go's message for a cost over `limit`, as the API server words it.
pub fn over_budget(what: &str, cost: u64, limit: u64) -> String {
    let f = cost as f64 / limit as f64;
    let factor = if f > 100.0 {
        "more than 100x".to_string()
    } else if f < 1.5 {
        format!("{f:.6}x")
    } else {
        format!("{f:.1}x")
    };
    format!(
        "{what} exceeds budget by factor of {factor} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"
    )
}

/// A type as the API server declares it for a schema node (its `DeclType`).
#[derive(Clone, Copy)]
enum Decl<'a> {
    Node {
        node: &'a Node,
        resource: bool,
    },
    /// A resource's `metadata`: only `name` and `generateName`, bounded.
    Meta,
    /// A string of at most `max` bytes (`kind`, `apiVersion`, map keys).
    Str {
        max: i64,
    },
}

impl<'a> Decl<'a> {
    /// `MaxElements`: a string's bytes, a list's items, a map's entries; 0 for scalars and
    /// objects.
    fn max_elements(self) -> i64 {
        let node = match self {
            Decl::Node { node, .. } => node,
            Decl::Meta => return 0,
            Decl::Str { max } => return max,
        };
        let unbounded = MAX_REQUEST - 2;
        if node.int_or_string {
            return node.max_length.map_or(unbounded, |m| m.max(0) * 4);
        }
        match node.ty.as_deref() {
            Some("array") => match node.max_items {
                Some(m) => m.max(0),
                None => match node.items.as_deref().and_then(|i| Decl::of(i, i.embedded)) {
                    Some(items) => unbounded / (items.min_size() + 1),
                    None => 0,
                },
            },
            Some("object") => match (node.additional.as_deref(), node.max_properties) {
                (Some(_), Some(m)) => m.max(0),
                (Some(v), None) => match Decl::of(v, v.embedded) {
                    Some(values) => unbounded / (values.min_size() + 6),
                    None => 0,
                },
                (None, _) => 0,
            },
            Some("string") => match node.format.as_deref() {
                Some("byte") => node.max_length.map_or(unbounded, |m| m.max(0)),
                Some("duration") | Some("date-time") => 32,
                Some("date") => 12,
                _ => match (node.max_length, node.enum_max_len) {
                    (Some(m), _) => m.max(0) * 4,
                    (None, Some(e)) => e as i64,
                    (None, None) => unbounded,
                },
            },
            _ => 0,
        }
    }

    /// `MinSerializedSize`: the fewest bytes a value of the type takes in JSON.
    fn min_size(self) -> i64 {
        let node = match self {
            Decl::Node { node, .. } => node,
            Decl::Meta | Decl::Str { .. } => return 2,
        };
        if node.int_or_string {
            return 1;
        }
        match node.ty.as_deref() {
            Some("array") => 2,
            Some("object") if node.additional.is_some() => 2,
            Some("object") => {
                let mut size = 2;
                for name in &node.required {
                    if let Some(p) = node.property(name)
                        && p.default.is_none()
                        && let Some(d) = self.field_raw(name)
                    {
                        size += name.len() as i64 + d.min_size() + 4;
                    }
                }
                size
            }
            Some("string") => match node.format.as_deref() {
                Some("duration") => 3,
                Some("date") => 12,
                Some("date-time") => 21,
                _ => 2,
            },
            Some("boolean") => 4,
            _ => 1,
        }
    }

    /// The declared type of `node`, `None` when the API server declares none (no `type`, or a
    /// list or map of such), so that rules cannot see it.
    fn of(node: &'a Node, resource: bool) -> Option<Decl<'a>> {
        if node.int_or_string {
            return Some(Decl::Node { node, resource });
        }
        let declared = match node.ty.as_deref() {
            Some("array") => node
                .items
                .as_deref()
                .is_some_and(|i| Decl::of(i, false).is_some()),
            Some("object") => node
                .additional
                .as_deref()
                .is_none_or(|v| Decl::of(v, false).is_some()),
            Some("string" | "boolean" | "number" | "integer") => true,
            _ => false,
        };
        declared.then_some(Decl::Node { node, resource })
    }

    /// Whether a resource root's schema already declares `kind`, `apiVersion` and
    /// `metadata.name`/`generateName` as strings (else the API server declares them itself).
    fn declares_meta(node: &Node) -> bool {
        let is = |n: Option<&Node>, t: &str| n.is_some_and(|n| n.ty.as_deref() == Some(t));
        let meta = node.property("metadata");
        is(node.property("kind"), "string")
            && is(node.property("apiVersion"), "string")
            && is(meta, "object")
            && meta.is_some_and(|m| {
                is(m.property("name"), "string") && is(m.property("generateName"), "string")
            })
    }

    /// The field `name` (as written in the schema) of an object type.
    fn field_raw(self, name: &str) -> Option<Decl<'a>> {
        match self {
            Decl::Node { node, resource } => {
                if node.additional.is_some() || node.ty.as_deref() != Some("object") {
                    return None;
                }
                if resource && !Decl::declares_meta(node) {
                    match name {
                        "kind" | "apiVersion" => {
                            return Some(Decl::Str {
                                max: MAX_REQUEST - 2,
                            });
                        }
                        "metadata" => return Some(Decl::Meta),
                        _ => {}
                    }
                }
                let p = node.property(name)?;
                Decl::of(p, p.embedded)
            }
            Decl::Meta => match name {
                "name" => Some(Decl::Str { max: NAME_MAX * 4 }),
                "generateName" => Some(Decl::Str {
                    max: (NAME_MAX - 1) * 4,
                }),
                _ => None,
            },
            Decl::Str { .. } => None,
        }
    }

    /// The field a rule selects as `name` (property names are seen escaped).
    fn field(self, name: &str) -> Option<Decl<'a>> {
        if let Decl::Node { node, .. } = self
            && let Some((raw, _)) = node
                .properties
                .iter()
                .find(|(k, _)| super::escape_property(k) == name)
        {
            return self.field_raw(raw);
        }
        self.field_raw(name)
    }

    /// A list's items or a map's values.
    fn element(self) -> Option<Decl<'a>> {
        let Decl::Node { node, .. } = self else {
            return None;
        };
        let e = match node.ty.as_deref() {
            Some("array") => node.items.as_deref()?,
            Some("object") => node.additional.as_deref()?,
            _ => return None,
        };
        Decl::of(e, e.embedded)
    }

    fn keys(self) -> Option<Decl<'a>> {
        match self {
            Decl::Node { node, .. } if node.additional.is_some() => Some(Decl::Str { max: 0 }),
            _ => None,
        }
    }

    fn ty(self) -> Ty<'a> {
        let node = match self {
            Decl::Node { node, .. } => node,
            Decl::Meta => return Ty::Struct,
            Decl::Str { .. } => return Ty::String,
        };
        if node.int_or_string {
            return Ty::Dyn;
        }
        match node.ty.as_deref() {
            Some("array") => Ty::List(self.element()),
            Some("object") if node.additional.is_some() => Ty::Map(self.element()),
            Some("object") => Ty::Struct,
            Some("string") => match node.format.as_deref() {
                Some("byte") => Ty::Bytes,
                Some("duration") => Ty::Scalar,
                Some("date" | "date-time") => Ty::Scalar,
                _ => Ty::String,
            },
            Some("boolean" | "number" | "integer") => Ty::Scalar,
            _ => Ty::Dyn,
        }
    }
}

/// What the estimate needs to know of a value's type.
#[derive(Clone, Copy)]
enum Ty<'a> {
    /// A fixed-size value (bool, int, uint, double, timestamp, duration): size 1.
    Scalar,
    String,
    Bytes,
    /// A list, with its items' declared type when the schema gives it.
    List(Option<Decl<'a>>),
    /// A map, with its values' declared type.
    Map(Option<Decl<'a>>),
    /// An object (selecting a field costs 1).
    Struct,
    Null,
    /// A Kubernetes library value whose equality has a fixed cost.
    Opaque(u64),
    Dyn,
}

impl Ty<'_> {
    fn fixed_size(self) -> Option<Range> {
        matches!(self, Ty::Scalar).then_some(Range::fixed(1))
    }
    fn selectable(self) -> bool {
        matches!(self, Ty::Map(_) | Ty::Struct)
    }
}

/// A path through the declared types (`self.spec.items.@items`), after its first variable; `None`
/// when the value is not reached from a variable.
type Path = Option<Vec<Seg>>;

#[derive(Clone)]
enum Seg {
    Field(String),
    Items,
    Keys,
    /// A list's indices (no declared type).
    Indices,
}

/// `path` with `seg` appended. A value reached from no variable gets a path whose first part is
/// `seg`, which the API server's size estimate skips as it skips a variable: such a path
/// resolves to the rule's own node, as there.
fn extend(path: &Path, seg: Seg) -> Path {
    match path {
        Some(p) => {
            let mut p = p.clone();
            p.push(seg);
            Some(p)
        }
        None => Some(Vec::new()),
    }
}

/// `path` with `seg` appended when there is one (the items of a list the estimator sizes).
fn child(path: &Path, seg: Seg) -> Path {
    path.as_ref().and_then(|_| extend(path, seg))
}

/// The sizes of a literal or built list's or map's entries.
#[derive(Clone, Copy)]
struct Entry {
    list: bool,
    key: Range,
    val: Range,
}

fn union_entry(a: Option<Entry>, b: Option<Entry>) -> Option<Entry> {
    let (a, b) = (a?, b?);
    Some(Entry {
        list: a.list,
        key: a.key.union(b.key),
        val: a.val.union(b.val),
    })
}

/// One expression's estimate. `C` is how its cost is known: a [`Range`] for an expression,
/// [`Priced`] for what a function yields before its arguments are counted (an [`Out`]).
#[derive(Clone)]
struct Est<'a, C = Range> {
    cost: C,
    ty: Ty<'a>,
    /// Where the value is reached from a variable (an index reaches the list's `@items`).
    path: Path,
    /// The size when known (cel-go's computed size), else from the path or the type.
    size: Option<Range>,
    entry: Option<Entry>,
}

impl<'a, C> Est<'a, C> {
    fn new(cost: C, ty: Ty<'a>) -> Est<'a, C> {
        Est {
            cost,
            ty,
            path: None,
            size: None,
            entry: None,
        }
    }
}

struct Local<'a> {
    name: String,
    path: Path,
    size: Option<Range>,
    entry: Option<Entry>,
    ty: Ty<'a>,
}

struct Coster<'a> {
    root: Decl<'a>,
    scope: Vec<Local<'a>>,
}

impl<'a> Coster<'a> {
    /// The declared type at `path`, from the rule's node.
    fn resolve(&self, path: &Path) -> Option<Decl<'a>> {
        let mut d = self.root;
        for seg in path.as_ref()? {
            d = match seg {
                Seg::Field(f) => d.field(f)?,
                Seg::Items => d.element()?,
                Seg::Keys => d.keys()?,
                Seg::Indices => return None,
            };
        }
        Some(d)
    }

    /// The size the schema gives the value at `path`.
    fn path_size(&self, path: &Path) -> Option<Range> {
        self.resolve(path).map(|d| Range {
            min: 0,
            max: d.max_elements() as u64,
        })
    }

    /// The size of a value reached by `path` of type `ty` (cel-go's `computeSize` after the
    /// computed sizes): the schema's, else a fixed-size type's.
    fn size_of(&self, path: &Path, ty: Ty<'a>) -> Option<Range> {
        self.path_size(path).or_else(|| ty.fixed_size())
    }

    fn cost(&mut self, e: &IdedExpr, depth: usize) -> Est<'a> {
        if depth > MAX_DEPTH {
            return Est::new(Range::UNKNOWN, Ty::Dyn);
        }
        match &e.expr {
            Expr::Literal(l) => {
                let (size, ty) = match l {
                    LiteralValue::String(s) => (s.inner().chars().count() as u64, Ty::String),
                    LiteralValue::Bytes(b) => (b.len() as u64, Ty::Bytes),
                    LiteralValue::Null => (1, Ty::Null),
                    _ => (1, Ty::Scalar),
                };
                Est {
                    size: Some(Range::fixed(size)),
                    ..Est::new(Range::ZERO, ty)
                }
            }
            Expr::Ident(name) => {
                let (path, ty, local_size, entry) =
                    match self.scope.iter().rev().find(|l| &l.name == name) {
                        Some(l) => (l.path.clone(), l.ty, l.size, l.entry),
                        None => (Some(Vec::new()), self.root.ty(), None, None),
                    };
                let size = self.size_of(&path, ty).or(local_size);
                Est {
                    cost: Range::fixed(1),
                    ty,
                    path,
                    size,
                    entry,
                }
            }
            Expr::Select(s) => {
                let operand = self.cost(&s.operand, depth + 1);
                if s.test {
                    // `has()`: free beyond its operand on the API server.
                    return Est {
                        size: Some(Range::fixed(1)),
                        ..Est::new(operand.cost, Ty::Scalar)
                    };
                }
                let mut cost = operand.cost;
                if operand.ty.selectable() {
                    cost = cost.add(Range::fixed(1));
                }
                let path = extend(&operand.path, Seg::Field(s.field.clone()));
                let ty = match (self.resolve(&path), operand.ty) {
                    (Some(d), _) => d.ty(),
                    (None, Ty::Map(Some(values))) => values.ty(),
                    (None, _) => Ty::Dyn,
                };
                let size = self.size_of(&path, ty);
                Est {
                    cost,
                    ty,
                    path,
                    size,
                    entry: None,
                }
            }
            Expr::List(l) => {
                let mut cost = Range::fixed(10);
                let mut item = if l.elements.is_empty() {
                    Range::ZERO
                } else {
                    Range {
                        min: u64::MAX,
                        max: 0,
                    }
                };
                for el in &l.elements {
                    let x = self.cost(el, depth + 1);
                    cost = cost.add(x.cost);
                    item = item.union(x.size.unwrap_or(Range::UNKNOWN));
                }
                Est {
                    size: Some(Range::fixed(l.elements.len() as u64)),
                    entry: Some(Entry {
                        list: true,
                        key: Range::fixed(1),
                        val: item,
                    }),
                    ..Est::new(cost, Ty::List(None))
                }
            }
            Expr::Map(m) => {
                let mut cost = Range::fixed(30);
                let empty = m.entries.is_empty();
                let start = Range {
                    min: if empty { 0 } else { u64::MAX },
                    max: 0,
                };
                let (mut key, mut val) = (start, start);
                for en in &m.entries {
                    if let EntryExpr::MapEntry(me) = &en.expr {
                        let k = self.cost(&me.key, depth + 1);
                        let v = self.cost(&me.value, depth + 1);
                        cost = cost.add(k.cost).add(v.cost);
                        key = key.union(k.size.unwrap_or(Range::UNKNOWN));
                        val = val.union(v.size.unwrap_or(Range::UNKNOWN));
                    }
                }
                Est {
                    size: Some(Range::fixed(m.entries.len() as u64)),
                    entry: Some(Entry {
                        list: false,
                        key,
                        val,
                    }),
                    ..Est::new(cost, Ty::Map(None))
                }
            }
            Expr::Struct(s) => {
                let mut cost = Range::fixed(40);
                for en in &s.entries {
                    let v = match &en.expr {
                        EntryExpr::StructField(f) => &f.value,
                        EntryExpr::MapEntry(me) => &me.value,
                    };
                    cost = cost.add(self.cost(v, depth + 1).cost);
                }
                Est::new(cost, Ty::Struct)
            }
            Expr::Comprehension(c) => self.comprehension(c, depth),
            Expr::Call(c) => self.call(c, depth),
            _ => Est::new(Range::ZERO, Ty::Dyn),
        }
    }

    fn comprehension(&mut self, c: &cel::common::ast::ComprehensionExpr, depth: usize) -> Est<'a> {
        // `cel.bind(name, value, body)`: a comprehension over an empty list.
        let is_bind = matches!(&c.iter_range.expr, Expr::List(l) if l.elements.is_empty())
            && matches!(&c.loop_cond.expr, Expr::Literal(LiteralValue::Boolean(b)) if !**b)
            && c.accu_var != "@result";
        if is_bind {
            let range = self.cost(&c.iter_range, depth + 1);
            let init = self.cost(&c.accu_init, depth + 1);
            let cost = range.cost.add(init.cost);
            self.push(&c.accu_var, &init);
            let body = self.cost(&c.result, depth + 1);
            self.scope.pop();
            return Est {
                cost: cost.add(body.cost),
                ..body
            };
        }
        // The two-variable macros iterate `@entries(target)` with both names bound in the step.
        let two = match &c.iter_range.expr {
            Expr::Call(call) if call.func_name == ENTRIES => call.args.first(),
            _ => None,
        };
        let range = self.cost(two.unwrap_or(&c.iter_range), depth + 1);
        let init = self.cost(&c.accu_init, depth + 1);
        let mut cost = range.cost.add(init.cost);
        let mark = self.scope.len();
        self.push(&c.accu_var, &init);
        let list = match range.entry {
            Some(e) => e.list,
            None => matches!(range.ty, Ty::List(_)),
        };
        let elem_ty = match range.ty {
            Ty::List(Some(d)) | Ty::Map(Some(d)) => d.ty(),
            _ => Ty::Dyn,
        };
        let key_ty = if list { Ty::Scalar } else { Ty::String };
        let (step_expr, bound) = match two {
            Some(_) => two_variable_step(&c.loop_step),
            None => (&c.loop_step, None),
        };
        match bound {
            Some((k, v)) => {
                let key_seg = if list { Seg::Indices } else { Seg::Keys };
                self.scope.push(Local {
                    name: k.to_string(),
                    path: extend(&range.path, key_seg),
                    size: range.entry.map(|e| e.key),
                    entry: None,
                    ty: key_ty,
                });
                self.scope.push(Local {
                    name: v.to_string(),
                    path: extend(&range.path, Seg::Items),
                    size: range.entry.map(|e| e.val),
                    entry: None,
                    ty: elem_ty,
                });
            }
            None => {
                let (seg, size, ty) = if list {
                    (Seg::Items, range.entry.map(|e| e.val), elem_ty)
                } else {
                    (Seg::Keys, range.entry.map(|e| e.key), key_ty)
                };
                self.scope.push(Local {
                    name: c.iter_var.clone(),
                    path: extend(&range.path, seg),
                    size,
                    entry: None,
                    ty,
                });
            }
        }
        let cond = self.cost(&c.loop_cond, depth + 1);
        let step = self.cost(step_expr, depth + 1);
        self.scope.truncate(mark + 1);
        let result = self.cost(&c.result, depth + 1);
        self.scope.truncate(mark);
        let count = range.size.unwrap_or(Range::UNKNOWN);
        cost = cost
            .add(result.cost)
            .add(count.mul(step.cost.add(cond.cost)));
        let (size, entry) = match &c.accu_init.expr {
            Expr::Literal(_) => (init.size, None),
            Expr::List(_) | Expr::Map(_) => (Some(count), step.entry),
            _ => (None, None),
        };
        let ty = match &c.accu_init.expr {
            Expr::List(_) => step.ty,
            _ => result.ty,
        };
        Est {
            cost,
            ty,
            path: None,
            size: size.or_else(|| ty.fixed_size()),
            entry,
        }
    }

    fn push(&mut self, name: &str, value: &Est<'a>) {
        self.scope.push(Local {
            name: name.to_string(),
            path: value.path.clone(),
            size: value.size,
            entry: value.entry,
            ty: value.ty,
        });
    }

    fn call(&mut self, c: &cel::common::ast::CallExpr, depth: usize) -> Est<'a> {
        let f = c.func_name.as_str();
        if f == "dyn" && c.target.is_none() && c.args.len() == 1 {
            let a = self.cost(&c.args[0], depth + 1);
            return Est {
                cost: a.cost.add(Range::fixed(1)),
                ty: Ty::Dyn,
                ..a
            };
        }
        let target = c.target.as_deref().map(|t| self.cost(t, depth + 1));
        let args: Vec<Est<'a>> = c.args.iter().map(|a| self.cost(a, depth + 1)).collect();
        let arg_sum = args.iter().fold(Range::ZERO, |s, a| s.add(a.cost));
        let out = self.function(f, target.as_ref(), &args, &c.args);
        let fn_cost = match out.cost {
            Priced::Total(c) => c,
            Priced::Own(c) => c.add(arg_sum),
        };
        let cost = match &target {
            Some(t) => t.cost.add(fn_cost),
            None => fn_cost,
        };
        let size = out.size.or_else(|| self.size_of(&out.path, out.ty));
        Est {
            cost,
            ty: out.ty,
            path: out.path,
            size,
            entry: out.entry,
        }
    }

    /// The size of a value as the cost functions read it: its computed or schema size, else
    /// unknown.
    fn size(e: &Est<'_>) -> Range {
        e.size.unwrap_or(Range::UNKNOWN)
    }

    /// What calling `f` costs and yields.
    fn function(
        &self,
        f: &str,
        target: Option<&Est<'a>>,
        args: &[Est<'a>],
        exprs: &[IdedExpr],
    ) -> Out<'a> {
        use operators as op;
        let own = |c: Range, ty: Ty<'a>| Out::own(c, ty);
        let one = Range::fixed(1);
        let arg = |i: usize| args.get(i).map(Self::size).unwrap_or(Range::UNKNOWN);
        let arg_ty = |i: usize| args.get(i).map(|a| a.ty).unwrap_or(Ty::Dyn);
        // Kubernetes' library first, by function name.
        if let Some(out) = self.kubernetes(f, target, args, exprs) {
            return out;
        }
        match (f, target) {
            (op::LOGICAL_AND | op::LOGICAL_OR, None) if args.len() == 2 => Out {
                cost: Priced::Total(Range {
                    min: args[0].cost.min,
                    max: args[0].cost.max.saturating_add(args[1].cost.max),
                }),
                ..Out::own(Range::ZERO, Ty::Scalar)
            },
            (op::CONDITIONAL, None) if args.len() == 3 => {
                let ty = args[1].ty;
                Out {
                    cost: Priced::Total(args[0].cost.add(args[1].cost.union(args[2].cost))),
                    size: Some(arg(1).union(arg(2))),
                    entry: union_entry(args[1].entry, args[2].entry),
                    ..Out::own(Range::ZERO, ty)
                }
            }
            (op::ADD, None) if args.len() == 2 => {
                let size = arg(0).add(arg(1));
                let entry = union_entry(args[0].entry, args[1].entry);
                let text = Out {
                    size: Some(size),
                    entry,
                    ..own(size.factor(TRAVERSAL), Ty::String)
                };
                let list = Out {
                    size: Some(size),
                    entry,
                    ..own(one, Ty::List(None))
                };
                match (arg_ty(0), arg_ty(1)) {
                    (Ty::String, _) | (_, Ty::String) => text,
                    (Ty::Bytes, _) | (_, Ty::Bytes) => Out {
                        ty: Ty::Bytes,
                        ..text
                    },
                    (Ty::List(d), _) | (_, Ty::List(d)) => Out {
                        ty: Ty::List(d),
                        ..list
                    },
                    (Ty::Dyn, _) | (_, Ty::Dyn) => Out {
                        cost: Priced::Own(one.union(size.factor(TRAVERSAL))),
                        ty: Ty::Dyn,
                        ..text
                    },
                    _ => own(one, Ty::Scalar),
                }
            }
            (op::EQUALS | op::NOT_EQUALS, None) if args.len() == 2 => {
                if let (Ty::Opaque(max), Ty::Opaque(other)) = (arg_ty(0), arg_ty(1))
                    && max == other
                {
                    return own(
                        Range { min: 1, max }.factor(if max > 1 { TRAVERSAL } else { 1.0 }),
                        Ty::Scalar,
                    );
                }
                own(compare(arg(0), arg(1)), Ty::Scalar)
            }
            (op::LESS | op::LESS_EQUALS | op::GREATER | op::GREATER_EQUALS, None)
                if args.len() == 2 =>
            {
                match (arg_ty(0), arg_ty(1)) {
                    (Ty::String | Ty::Bytes, _) | (_, Ty::String | Ty::Bytes) => {
                        own(compare(arg(0), arg(1)), Ty::Scalar)
                    }
                    (Ty::Dyn, _) | (_, Ty::Dyn) => {
                        own(one.union(compare(arg(0), arg(1))), Ty::Scalar)
                    }
                    _ => own(one, Ty::Scalar),
                }
            }
            (op::INDEX, None) if args.len() == 2 => {
                // A list's items and a map's values resolve alike.
                let ty = match args[0].ty {
                    Ty::List(d) | Ty::Map(d) => d.map_or(Ty::Dyn, |d| d.ty()),
                    _ => Ty::Dyn,
                };
                Out {
                    path: extend(&args[0].path, Seg::Items),
                    size: args[0].entry.map(|e| e.val),
                    ..own(one, ty)
                }
            }
            (op::IN, None) if args.len() == 2 => match args[1].ty {
                Ty::Map(_) => own(one, Ty::Scalar),
                Ty::List(_) => own(arg(1), Ty::Scalar),
                _ => own(one.union(arg(1)), Ty::Scalar),
            },
            ("matches", Some(t)) if args.len() == 1 => {
                let text = Self::size(t).add(one).factor(TRAVERSAL);
                let regex = arg(0).factor(REGEX);
                own(text.mul(regex), Ty::Scalar)
            }
            ("contains", Some(t)) if args.len() == 1 => {
                let text = Self::size(t).factor(TRAVERSAL);
                own(text.mul(arg(0).factor(TRAVERSAL)), Ty::Scalar)
            }
            ("startsWith" | "endsWith", Some(_)) if args.len() == 1 => {
                own(arg(0).factor(TRAVERSAL), Ty::Scalar)
            }
            ("format", Some(t)) => own(Self::size(t).factor(TRAVERSAL), Ty::String),
            ("bytes", None) if args.len() == 1 && matches!(arg_ty(0), Ty::String) => {
                let s = arg(0);
                Out {
                    size: Some(Range {
                        min: s.min,
                        max: s.max.saturating_mul(4),
                    }),
                    ..own(s.factor(TRAVERSAL), Ty::Bytes)
                }
            }
            ("string", None) if args.len() == 1 && matches!(arg_ty(0), Ty::Bytes) => {
                let s = arg(0);
                Out {
                    size: Some(Range {
                        min: s.min / 4,
                        max: s.max,
                    }),
                    ..own(s.factor(TRAVERSAL), Ty::String)
                }
            }
            _ => own(one, result_type(f, target, args)),
        }
    }

    /// Kubernetes' own function costs (its cost estimator answers before cel-go's).
    fn kubernetes(
        &self,
        f: &str,
        target: Option<&Est<'a>>,
        args: &[Est<'a>],
        exprs: &[IdedExpr],
    ) -> Option<Out<'a>> {
        let one = Range::fixed(1);
        let own = |c: Range, ty: Ty<'a>| Some(Out::own(c, ty));
        let arg = |i: usize| args.get(i).map(Self::size).unwrap_or(Range::UNKNOWN);
        match f {
            "check" => own(Range::fixed(350_000), Ty::Dyn),
            "serviceAccount" | "path" | "group" | "resource" | "subresource" | "namespace"
            | "name" | "allowed" | "reason" | "error" | "errored" => own(one, Ty::Dyn),
            "fieldSelector" | "labelSelector" if args.len() == 1 => {
                let len = arg(0);
                let cost = Range::fixed(10)
                    .add(len.factor(TRAVERSAL))
                    .add(len.factor(0.5).factor(50.0));
                own(cost, Ty::Dyn)
            }
            "isSorted" | "sum" | "max" | "min" | "indexOf" | "lastIndexOf" | "includes" => {
                let t = target?;
                let ty = match f {
                    "isSorted" | "includes" | "indexOf" | "lastIndexOf" => Ty::Scalar,
                    _ => Ty::Dyn,
                };
                match t.ty {
                    Ty::List(d) => {
                        let mut el = one;
                        let elem_path = child(&t.path, Seg::Items);
                        let elem_ty = d.map_or(Ty::Dyn, |d| d.ty());
                        if matches!(elem_ty, Ty::String | Ty::Bytes) {
                            let size = self.path_size(&elem_path).unwrap_or(Range::UNKNOWN);
                            el = el.add(size.factor(TRAVERSAL));
                        }
                        own(Self::size(t).mul(el), ty)
                    }
                    _ => own(Self::size(t).factor(TRAVERSAL), ty),
                }
            }
            "url" | "jsonpatch.escapeKey" if args.len() == 1 && target.is_none() => {
                let s = arg(0);
                let ty = if f == "url" {
                    Ty::Opaque(1)
                } else {
                    Ty::String
                };
                Some(Out {
                    size: Some(s),
                    ..Out::own(s.factor(TRAVERSAL), ty)
                })
            }
            "lowerAscii" | "upperAscii" | "substring" | "trim" => {
                let s = Self::size(target?);
                Some(Out {
                    size: Some(s),
                    ..Out::own(s.factor(TRAVERSAL), Ty::String)
                })
            }
            "replace" if args.len() >= 2 => {
                let sz = Self::size(target?);
                let (from, to) = (arg(0), arg(1));
                let (mut count, mut kept) = (Range::ZERO, Range::ZERO);
                if from.min == 0 {
                    count.max = sz.max.saturating_add((sz.max < u64::MAX) as u64);
                    kept.max = sz.max;
                } else if to.max <= from.min {
                    kept.max = sz.max;
                } else {
                    count.max = (sz.max as f64 / from.min as f64).ceil() as u64;
                }
                if from.max == 0 {
                    count.min = sz.min.saturating_add((sz.min < u64::MAX) as u64);
                    kept.min = sz.min;
                } else if from.max <= to.min {
                    kept.min = sz.min;
                } else {
                    count.min = (sz.min as f64 / from.max as f64).ceil() as u64;
                }
                Some(Out {
                    size: Some(count.mul(to).add(kept)),
                    ..Out::own(sz.factor(2.0 * TRAVERSAL), Ty::String)
                })
            }
            "split" => {
                let sz = Self::size(target?);
                // A literal limit bounds the parts (as an unsigned number: -1 is no limit).
                let max = match exprs.get(1).map(|e| &e.expr) {
                    Some(Expr::Literal(LiteralValue::Int(i))) => **i as u64,
                    _ => sz.max,
                };
                Some(Out {
                    size: Some(Range { min: 0, max }),
                    ..Out::own(sz.factor(2.0 * TRAVERSAL), Ty::List(None))
                })
            }
            "join" => {
                let t = target?;
                let list = Self::size(t);
                let mut sz = Range::ZERO;
                if let Ty::List(_) = t.ty {
                    let elem = self
                        .path_size(&child(&t.path, Seg::Items))
                        .unwrap_or(Range::UNKNOWN);
                    sz = list.mul(elem);
                }
                if !args.is_empty() {
                    let seps = Range {
                        min: list.min.saturating_sub(1),
                        max: list.max.saturating_sub(1),
                    };
                    sz = sz.add(arg(0).mul(seps));
                }
                Some(Out {
                    size: Some(sz),
                    ..Out::own(sz.factor(TRAVERSAL), Ty::String)
                })
            }
            "find" | "findAll" if !args.is_empty() => {
                let sz = Self::size(target?);
                let text = sz.add(one).factor(TRAVERSAL);
                let ty = if f == "find" {
                    Ty::String
                } else {
                    Ty::List(None)
                };
                Some(Out {
                    size: Some(Range {
                        min: 0,
                        max: sz.max,
                    }),
                    ..Out::own(text.mul(arg(0).factor(REGEX)), ty)
                })
            }
            "cidr" | "isIP" | "isCIDR" if !args.is_empty() => {
                let ty = if f == "cidr" {
                    Ty::Opaque(1)
                } else {
                    Ty::Scalar
                };
                own(arg(0).factor(TRAVERSAL), ty)
            }
            "ip" => match (target, args.first()) {
                (Some(_), _) => own(one, Ty::Opaque(1)),
                (None, Some(_)) => own(arg(0).factor(TRAVERSAL), Ty::Opaque(1)),
                _ => None,
            },
            "ip.isCanonical" if !args.is_empty() => own(arg(0).factor(2.0 * TRAVERSAL), Ty::Scalar),
            "masked" => own(one, Ty::Opaque(1)),
            "prefixLength"
            | "family"
            | "isUnspecified"
            | "isLoopback"
            | "isLinkLocalMulticast"
            | "isLinkLocalUnicast"
            | "isGlobalUnicast" => own(one, Ty::Scalar),
            "containsIP" | "containsCIDR" if !args.is_empty() => {
                let ip = Range { min: 4, max: 16 };
                let mut cost = ip.add(ip).factor(TRAVERSAL);
                if f == "containsCIDR" {
                    cost = cost.add(ip.factor(TRAVERSAL)).add(one);
                }
                if matches!(args[0].ty, Ty::String) {
                    cost = cost.add(arg(0).factor(TRAVERSAL));
                }
                own(cost, Ty::Scalar)
            }
            "quantity" | "semver" if !args.is_empty() => {
                own(arg(0).factor(TRAVERSAL), Ty::Opaque(1))
            }
            "isQuantity" | "isSemver" if !args.is_empty() => {
                own(arg(0).factor(TRAVERSAL), Ty::Scalar)
            }
            "validate" if !args.is_empty() => own(
                arg(0).factor(TRAVERSAL).factor(128.0 * REGEX),
                Ty::List(None),
            ),
            "format.named" => own(one, Ty::Opaque(64)),
            "sign" | "asInteger" | "isInteger" | "asApproximateFloat" | "isGreaterThan"
            | "isLessThan" | "compareTo" | "major" | "minor" | "patch" => own(one, Ty::Scalar),
            "add" | "sub" => own(one, Ty::Opaque(1)),
            "getScheme" | "getHostname" | "getHost" | "getPort" | "getEscapedPath" | "getQuery" => {
                own(one, Ty::String)
            }
            _ => None,
        }
    }
}

/// What a function costs and yields.
type Out<'a> = Est<'a, Priced>;

impl<'a> Out<'a> {
    fn own(cost: Range, ty: Ty<'a>) -> Out<'a> {
        Est::new(Priced::Own(cost), ty)
    }
}

enum Priced {
    /// The function's own cost; its arguments' are added.
    Own(Range),
    /// The whole cost, arguments included (`&&`, `||`, `?:`).
    Total(Range),
}

/// Equality and string comparison: the shorter operand traversed.
fn compare(a: Range, b: Range) -> Range {
    let shortest = a.max.min(b.max);
    Range {
        min: (shortest > 0) as u64,
        max: shortest,
    }
    .factor(TRAVERSAL)
}

/// The type the common functions yield, for what follows them.
fn result_type<'a>(f: &str, target: Option<&Est<'a>>, args: &[Est<'a>]) -> Ty<'a> {
    match f {
        "size" | "int" | "uint" | "double" | "bool" | "timestamp" | "duration" | "charAt"
        | "getHours" | "getMinutes" | "getSeconds" | "getMilliseconds" | "getDayOfMonth"
        | "getDayOfWeek" | "getDayOfYear" | "getDate" | "getMonth" | "getFullYear" | "isURL"
        | "hasValue" => Ty::Scalar,
        operators::LOGICAL_NOT | operators::NOT_STRICTLY_FALSE | operators::IN => Ty::Scalar,
        operators::SUBSTRACT
        | operators::MULTIPLY
        | operators::DIVIDE
        | operators::MODULO
        | operators::NEGATE => Ty::Scalar,
        "string" | "reverse" | "quote" | "strings.quote" => Ty::String,
        "orValue" | "value" => target.map_or(Ty::Dyn, |t| t.ty),
        "optional.of" => args.first().map_or(Ty::Dyn, |a| a.ty),
        _ => Ty::Dyn,
    }
}

/// The user's step inside a two-variable expansion (`bind(k, @entry[0], bind(v, @entry[1],
/// step))`), with the two names.
fn two_variable_step(step: &IdedExpr) -> (&IdedExpr, Option<(&str, &str)>) {
    fn bind(e: &IdedExpr) -> Option<(&str, &IdedExpr)> {
        match &e.expr {
            Expr::Comprehension(c) if matches!(&c.iter_range.expr, Expr::List(l) if l.elements.is_empty()) => {
                Some((c.accu_var.as_str(), &c.result))
            }
            _ => None,
        }
    }
    match bind(step).and_then(|(k, inner)| Some((k, bind(inner)?))) {
        Some((k, (v, body))) => (body, Some((k, v))),
        None => (step, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::value::Value;

    fn cost(rule: &str, schema: Value) -> u64 {
        let node = Node::from_schema(&schema);
        super::super::estimated_cost(rule, None, &node, false).expect(rule)
    }

    fn array(items: Value, max: Option<i64>) -> Value {
        let mut s = json!({"type": "array", "items": items});
        if let Some(m) = max {
            s["maxItems"] = json!(m);
        }
        s
    }

    fn map(values: Value, max: Option<i64>) -> Value {
        let mut s = json!({"type": "object", "additionalProperties": values});
        if let Some(m) = max {
            s["maxProperties"] = json!(m);
        }
        s
    }

    fn string(max: Option<i64>) -> Value {
        let mut s = json!({"type": "string"});
        if let Some(m) = max {
            s["maxLength"] = json!(m);
        }
        s
    }

    #[test]
    fn unbounded_lists_hold_as_many_of_their_smallest_item_as_a_request_fits() {
        let all = "self.all(x, true)";
        // 3 per item (the loop condition and the step) and 2 outside, over (3 MiB - 2) / (min + 1)
        // items: a number is 1 byte, a string 2 (""), a bool 4 (true), a duration 3, a date 12,
        // a date-time 21, an object 2 plus its required fields.
        for (items, want) in [
            (json!({"type": "number"}), 4_718_591),
            (json!({"type": "string"}), 3_145_727),
            (json!({"type": "boolean"}), 1_887_437),
            (json!({"x-kubernetes-int-or-string": true}), 4_718_591),
            (json!({"type": "string", "format": "duration"}), 2_359_295),
            (json!({"type": "string", "format": "date"}), 725_936),
            (json!({"type": "string", "format": "date-time"}), 428_963),
            (array(json!({"type": "number"}), None), 3_145_727),
            (
                json!({"type": "object", "required": ["required"],
                    "properties": {"required": {"type": "string"}}}),
                555_128,
            ),
        ] {
            assert_eq!(cost(all, array(items.clone(), None)), want, "{items}");
        }
        assert_eq!(cost(all, array(json!({"type": "number"}), Some(10))), 32);
        assert_eq!(cost(all, array(json!({"type": "string"}), Some(20))), 62);
        // Maps: each entry also takes its key's quotes, colon and comma.
        assert_eq!(cost(all, map(json!({"type": "number"}), None)), 1_348_169);
        assert_eq!(cost(all, map(json!({"type": "number"}), Some(10))), 32);
        assert_eq!(
            cost(
                all,
                map(json!({"type": "string", "format": "duration"}), None)
            ),
            1_048_577
        );
        // A declared bound larger than the estimate is taken as written.
        let big = array(json!({"type": "number"}), Some(3 * 1024 * 2048));
        assert_eq!(cost("self.all(x, x == 0.0)", big), 25_165_826);
    }

    #[test]
    fn nested_loops_multiply() {
        let numbers = |max| array(json!({"type": "number"}), max);
        let n2 = "self.all(x, self.all(y, true))";
        assert!(cost(n2, numbers(None)) > RULE_LIMIT);
        assert_eq!(cost(n2, numbers(Some(10))), 352);
        let n3 = "self.all(x, self.all(y, self.all(z, true)))";
        assert_eq!(cost(n3, numbers(Some(10))), 3_552);
        // Two-variable macros cost as their one-variable forms, not as their expansion here.
        assert_eq!(cost("self.all(i, x, x > 0.0)", numbers(Some(10))), 52);
        let strings = map(string(Some(10)), Some(10));
        assert_eq!(cost("self.all(x, x.contains(self[x]))", strings), 72);
        // Map keys have no size of their own (0), so `contains` on a key costs nothing.
        let unbounded = map(string(None), None);
        assert_eq!(
            cost("self.all(x, x.contains(self[x]))", unbounded),
            2_752_507
        );
    }

    #[test]
    fn string_functions_are_priced_by_the_sizes_they_read() {
        // maxLength counts code points: up to 4 bytes each.
        assert_eq!(cost("self.contains('test')", string(None)), 314_574);
        assert_eq!(cost("self.contains('test')", string(Some(10))), 5);
        // startsWith and endsWith read the prefix only.
        assert_eq!(cost("self.startsWith('test')", string(None)), 2);
        assert_eq!(cost("self.endsWith('test')", string(Some(30))), 2);
        let concat = r#"size(self + "hello") > size("hello")"#;
        assert_eq!(cost(concat, string(None)), 314_578);
        assert_eq!(cost(concat, string(Some(4))), 7);
        assert_eq!(cost(r#"self.matches("x")"#, string(None)), 314_574);
        assert_eq!(cost(r#"self.matches("x")"#, string(Some(50))), 22);
        assert_eq!(
            cost(r#""".matches("(((((((((())))))))))[0-9]")"#, string(None)),
            7
        );
        assert_eq!(cost(r#"self.matches("")"#, string(None)), 1);
        assert_eq!(cost("self.find('[0-9]+') == ''", string(None)), 629_147);
        assert_eq!(cost("self.find('[0-9]+') == ''", string(Some(10))), 11);
        assert_eq!(cost("self.lowerAscii() == 'lower!'", string(None)), 314_575);
        assert_eq!(cost("self.lowerAscii() == 'lower!'", string(Some(10))), 6);
        let strs = |max| {
            json!({"type": "object", "properties": {
                "str": string(max), "separator": string(max),
                "before": string(Some(2)), "after": string(Some(4))}})
        };
        let replace = "self.str.replace(self.before, self.after) == 'does not matter'";
        assert_eq!(cost(replace, strs(None)), 629_154);
        assert_eq!(cost(replace, strs(Some(4))), 12);
        // A list literal costs 10 to create.
        assert_eq!(
            cost("self.str.split(self.separator) == []", strs(None)),
            629_160
        );
        assert_eq!(
            cost("self.str.split(self.separator) == []", strs(Some(10))),
            22
        );
        // An enum bounds a string by its longest value.
        let e = json!({"type": "string", "enum": ["A", "B", "C", "LongValue"]});
        assert_eq!(cost("self.contains('A')", e), 2);
        let e = json!({"type": "string", "maxLength": 1000, "enum": ["A", "LongValue"]});
        assert_eq!(cost("self.contains('A')", e), 401);
        let join = "self.join(' ') == 'aa bb'";
        assert_eq!(cost(join, array(string(None), None)), 329_853_068_905);
        assert_eq!(cost(join, array(string(Some(10)), Some(10))), 43);
        let sorted = "self.isSorted() == true";
        assert_eq!(cost(sorted, array(string(None), None)), 329_854_432_052);
        assert_eq!(cost(sorted, array(string(Some(10)), Some(10))), 52);
        let quantity = |max: Option<i64>| {
            let mut s = json!({"x-kubernetes-int-or-string": true});
            if let Some(m) = max {
                s["maxLength"] = json!(m);
            }
            s
        };
        assert_eq!(cost("isQuantity(self)", quantity(None)), 314_574);
        assert_eq!(cost("isQuantity(self)", quantity(Some(20))), 9);
    }

    #[test]
    fn equality_reads_the_shorter_side_and_scalars_cost_nothing_to_compare() {
        let numbers = array(json!({"type": "number"}), None);
        assert_eq!(cost("self[1] == 0.0", numbers.clone()), 2);
        assert_eq!(cost("self[0][0] == -1.0", array(numbers, None)), 3);
        let strings = array(string(None), Some(8));
        assert_eq!(cost("self[1] == self[1]", strings), 314_577);
        assert_eq!(cost("self == 'x'", string(Some(0))), 1);
        assert_eq!(cost("self == 'x'", string(None)), 2);
        let ios = array(json!({"x-kubernetes-int-or-string": true}), None);
        assert_eq!(cost("self[0] == 5", ios), 3);
        let maps = array(map(json!({"type": "number"}), None), None);
        assert_eq!(cost("self.all(x, x.y == 25.2)", maps.clone()), 6_291_452);
        assert_eq!(cost("self[0].x > 2.0", maps), 4);
        let dates = array(json!({"type": "string", "format": "date"}), None);
        assert_eq!(cost("self[2].getDayOfMonth() == 13", dates), 4);
        let times = map(json!({"type": "string", "format": "date-time"}), None);
        assert_eq!(cost(r#"self["a"] == self["b"]"#, times), 8);
        let ints = map(json!({"type": "integer"}), Some(10));
        assert_eq!(cost("oldSelf.size() == self.size()", ints), 5);
        assert_eq!(cost("has(self.x)", map(json!({"type": "number"}), None)), 1);
    }

    #[test]
    fn a_resource_root_sees_its_name_bounded() {
        let root = Node::from_schema(&json!({"type": "object"}));
        let c = |rule| super::super::estimated_cost(rule, None, &root, true).unwrap();
        // 253 characters of 4 bytes: 102 to traverse, times the 1 of 'x', and three selections.
        assert_eq!(c("self.metadata.name.contains('x')"), 105);
        assert!(c("self.kind.contains('x')") > 300_000);
        assert_eq!(unbounded_cardinality(&root, true), 1_048_576);
    }

    #[test]
    fn folded_and_bracketed_rules_cost_what_they_evaluate() {
        // The parser folds pairs of `!`: one negation is left, costing 1.
        let nots = format!("{}true", "!".repeat(21));
        assert_eq!(cost(&nots, string(None)), 1);
        let parens = format!("{}self.size(){} > 0", "(".repeat(8), ")".repeat(8));
        assert_eq!(cost(&parens, string(None)), 3);
        // List literals cost 10 each to create, then size() and >.
        assert_eq!(cost("size([[[1]]]) > 0", string(None)), 32);
    }

    #[test]
    fn the_refusal_is_worded_as_the_api_server_words_it() {
        let m = over_budget("estimated rule cost", 15_000_000, RULE_LIMIT);
        assert!(m.starts_with("estimated rule cost exceeds budget by factor of 1.5x (try"));
        let m = over_budget("estimated rule cost", 12_000_000, RULE_LIMIT);
        assert!(m.contains("factor of 1.200000x"));
        let m = over_budget("estimated rule cost", u64::MAX, RULE_LIMIT);
        assert!(m.contains("factor of more than 100x"));
    }
}
