//! CRD `x-kubernetes-validations` (CEL rules) evaluated against custom resources, as the API server
//! does on create: `self` is the value at the schema node that declares the rule, for every
//! instance of that node (array items, map values); `message`, `messageExpression`, `reason` and
//! `fieldPath` shape the error. Transition rules (those naming `oldSelf`) run on update only,
//! unless `optionalOldSelf` makes them run on create with `oldSelf` absent.
//!
//! A rule is never passed silently: one that uses a function this build does not evaluate
//! (`authorizer`) or whose cost is over the budget is reported as not
//! checked. One the API server would not compile ([`compile_error`]) is an error on the CRD and
//! is silent on its resources. `format: date-time`, `date` and `duration` strings are CEL
//! timestamps and durations, as on the server. Owns rule compilation (once per CRD version) and
//! evaluation; reads no files.

mod cost;
mod library;
mod limits;
mod quantity;
mod typecheck;

use crate::value::Value;

use super::node::{MAX_DEPTH, Node, RuleSpec};

/// The largest estimated cost (elements visited) of one rule on one value.
pub const RULE_COST_LIMIT: u64 = 1_000_000;

/// Rule evaluations per custom resource at most; beyond it the rest are reported as not checked.
pub const EVALUATIONS_LIMIT: usize = 10_000;

/// What a rule check found.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The rule is false (or failed to evaluate, as the API server reports it): an error.
    Failed {
        /// Where (the rule's node or its `fieldPath`).
        pointer: String,
        /// The message, with the reason.
        message: String,
    },
    /// A transition rule, which the API server runs on update only: a note.
    Transition {
        /// The rule's node.
        pointer: String,
        /// What was not checked.
        message: String,
    },
    /// The rule could not be checked here: a warning.
    NotChecked {
        /// The rule's node.
        pointer: String,
        /// Why.
        message: String,
    },
}

/// The compiled rules of one CRD version, in the shape of its schema.
#[derive(Default)]
pub struct Rules {
    tree: RuleTree,
}

#[derive(Default)]
struct RuleTree {
    rules: Vec<Compiled>,
    properties: Vec<(String, RuleTree)>,
    items: Option<Box<RuleTree>>,
    additional: Option<Box<RuleTree>>,
}

struct Compiled {
    spec: RuleSpec,
    state: State,
    message: Option<Program>,
}

enum State {
    /// Ready to run; `depth` is how deeply its comprehensions nest.
    Ready {
        program: Program,
        depth: u32,
        old_self: bool,
    },
    /// A transition rule, which the API server does not run on create.
    Transition,
    /// Cannot be checked here, and why.
    NotChecked(String),
    /// Does not compile: the API server refuses the CRD (reported on the CRD, not its
    /// resources).
    Refused,
}

impl Rules {
    /// Compiles the rules of a schema tree; `None` when it has none.
    pub fn compile(root: &Node) -> Option<Rules> {
        root.has_rules().then(|| Rules {
            tree: tree(root, 0),
        })
    }

    /// Runs every rule on every instance of its node in `value` (a defaulted custom resource).
    /// Rules whose node is at or under a pointer in `skip` (values the schema already rejected)
    /// do not run; rules above them do.
    pub fn check(&self, value: &Value, root: &Node, skip: &[String]) -> Vec<Outcome> {
        let mut walk = Walk {
            out: Vec::new(),
            evaluations: 0,
            skip,
        };
        walk.node(value, root, &self.tree, String::new(), 0);
        walk.out
    }
}

fn tree(node: &Node, depth: usize) -> RuleTree {
    let sub = |n: &Node| n.has_rules().then(|| Box::new(tree(n, depth + 1)));
    RuleTree {
        rules: node.rules.iter().map(compile).collect(),
        properties: node
            .properties
            .iter()
            .filter(|(_, n)| n.has_rules() && depth < MAX_DEPTH)
            .map(|(k, n)| (k.clone(), tree(n, depth + 1)))
            .collect(),
        items: node.items.as_deref().and_then(sub),
        additional: node.additional.as_deref().and_then(sub),
    }
}

fn compile(spec: &RuleSpec) -> Compiled {
    let message = spec
        .message_expression
        .as_deref()
        .and_then(|m| parse(m).ok());
    let state = match checked(&spec.rule, None) {
        Err(_) => State::Refused,
        Ok(program) => {
            let refs = program.references();
            let old_self = refs.has_variable("oldSelf");
            let called = library::called(&program);
            if refs.has_variable("authorizer") {
                State::NotChecked("uses authorizer".into())
            } else if let Some(f) = library::unsupported(called.iter().map(String::as_str)) {
                State::NotChecked(format!("uses {f}"))
            } else if old_self && !spec.optional_old_self {
                State::Transition
            } else {
                let depth = comprehension_depth(&program.expr, 0);
                State::Ready {
                    program,
                    depth,
                    old_self,
                }
            }
        }
    };
    Compiled {
        spec: spec.clone(),
        state,
        message,
    }
}

/// Why the API server refuses to compile a rule or message expression (so it refuses the CRD),
/// or `None` when it compiles: a syntax error, a function its CEL environment does not declare,
/// or a literal argument it rejects (a bad `duration()`, `timestamp()` or regex literal, a
/// literal of the wrong type). Rules that compile but call functions this build does not
/// evaluate (`authorizer`) are not refused here.
pub fn compile_error(source: &str) -> Option<String> {
    compile_error_for(source, None)
}

/// [`compile_error`] for Kubernetes 1.`minor`: a function added to the API server's CEL
/// environment in a later minor version is undeclared there. `None` is the newest version.
pub fn compile_error_for(source: &str, minor: Option<u32>) -> Option<String> {
    checked(source, minor).err()
}

/// A parsed rule or message expression (macros expanded), evaluated with [`run`].
type Program = cel::parser::Expression;

/// `source` parsed, within the parser's limits (a hostile rule never reaches the parser). The
/// parser recurses as deep as cel-go's may (250 levels of one grammar rule): the caller's thread
/// needs [`STACK_BYTES`] of stack for the deepest.
fn parse(source: &str) -> Result<Program, String> {
    if let Some(why) = limits::exceeded(source) {
        return Err(why);
    }
    library::env()
        .parser()
        .max_recursion_depth(limits::MAX_NESTING as u16)
        .parse(source)
        .map_err(|e| {
            let line = first_line(&e.to_string());
            let line = line.strip_prefix("ERROR: <input>:").unwrap_or(&line);
            format!("syntax error: {line}")
        })
}

/// Stack a thread parsing or evaluating rules needs for the deepest one the limits let through
/// (the parser and the interpreter recurse once per level; address space only, touched as deep
/// as the rule goes).
pub const STACK_BYTES: usize = 256 << 20;

/// `program` evaluated in `ctx`.
fn run(program: &Program, ctx: &cel::Context) -> cel::ResolveResult {
    cel::Value::resolve(program, ctx)
}

/// The program of `source` when the API server would compile it for Kubernetes 1.`minor`, or
/// why not ([`compile_error_for`]).
fn checked(source: &str, minor: Option<u32>) -> Result<Program, String> {
    let program = parse(source)?;
    let called = library::called(&program);
    if let Some(f) = library::undeclared(called.iter().map(String::as_str)) {
        return Err(format!("undeclared reference to '{f}'"));
    }
    if let Some(minor) = minor
        && let Some((f, added)) = library::too_new(called.iter().map(String::as_str), minor)
    {
        return Err(format!(
            "undeclared reference to '{f}' (Kubernetes 1.{minor}; it was added in 1.{added})"
        ));
    }
    match library::literal_error(&program) {
        Some(why) => Err(why),
        None => Ok(program),
    }
}

/// [`compile_error_for`], then the type check against the schema node the rule sits on
/// (`root`: the CRD's root schema): a field the node's schema does not declare, or a field of a
/// scalar, does not compile on the API server either.
pub fn compile_error_typed(
    source: &str,
    minor: Option<u32>,
    node: &Node,
    root: bool,
    message: bool,
) -> Option<String> {
    compile_typed(source, minor, node, root, message).err()
}

/// [`compile_error_typed`] as a result: when the rule compiles, the API server's static cost
/// estimate of it (its maximum), from the one parse.
///
/// # Errors
/// Why the API server would not compile it.
pub fn compile_typed(
    source: &str,
    minor: Option<u32>,
    node: &Node,
    root: bool,
    message: bool,
) -> Result<u64, String> {
    let program = checked(source, minor)?;
    let output = if message {
        typecheck::Output::String
    } else {
        typecheck::Output::Bool
    };
    if let Some(why) = typecheck::error(&program, node, root, output) {
        return Err(why);
    }
    // A resource's root (the CRD's, or an embedded resource) sees its declared metadata.
    Ok(cost::estimate(&program, node, root || node.embedded).max)
}

pub use cost::{CRD_LIMIT, RULE_LIMIT, over_budget, unbounded_cardinality};

/// The API server's static cost estimate (its maximum) of `source` as a rule or message
/// expression on `node` (`resource`: a resource's root), when it compiles.
#[cfg(test)]
pub fn estimated_cost(
    source: &str,
    minor: Option<u32>,
    node: &Node,
    resource: bool,
) -> Option<u64> {
    let program = checked(source, minor).ok()?;
    Some(cost::estimate(&program, node, resource).max)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

/// How deeply comprehensions (`all`, `exists`, `map`, `filter`, ...) nest in an expression.
fn comprehension_depth(e: &cel::common::ast::Expr, guard: u32) -> u32 {
    use cel::common::ast::{EntryExpr, Expr};
    // Deeper than any rule within the parser's limits: counted as that deep (over any budget).
    if guard > 1000 {
        return guard;
    }
    let max = |it: &mut dyn Iterator<Item = u32>| it.max().unwrap_or(0);
    match e {
        Expr::Comprehension(c) => {
            let inner = [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ];
            1 + max(&mut inner
                .iter()
                .map(|x| comprehension_depth(&x.expr, guard + 1)))
        }
        Expr::Call(c) => max(&mut c
            .target
            .iter()
            .map(|t| comprehension_depth(&t.expr, guard + 1))
            .chain(
                c.args
                    .iter()
                    .map(|a| comprehension_depth(&a.expr, guard + 1)),
            )),
        Expr::List(l) => max(&mut l
            .elements
            .iter()
            .map(|a| comprehension_depth(&a.expr, guard + 1))),
        Expr::Map(m) => max(&mut m.entries.iter().map(|en| match &en.expr {
            EntryExpr::MapEntry(me) => comprehension_depth(&me.key.expr, guard + 1)
                .max(comprehension_depth(&me.value.expr, guard + 1)),
            EntryExpr::StructField(f) => comprehension_depth(&f.value.expr, guard + 1),
        })),
        Expr::Struct(s) => max(&mut s.entries.iter().map(|en| match &en.expr {
            EntryExpr::MapEntry(me) => comprehension_depth(&me.value.expr, guard + 1),
            EntryExpr::StructField(f) => comprehension_depth(&f.value.expr, guard + 1),
        })),
        Expr::Select(s) => comprehension_depth(&s.operand.expr, guard + 1),
        _ => 0,
    }
}

struct Walk<'a> {
    out: Vec<Outcome>,
    evaluations: usize,
    skip: &'a [String],
}

impl Walk<'_> {
    fn node(&mut self, value: &Value, node: &Node, tree: &RuleTree, pointer: String, depth: usize) {
        if depth > MAX_DEPTH || value.is_null() {
            return;
        }
        let skipped = self.skip.iter().any(|s| under(&pointer, s));
        if !tree.rules.is_empty() && !skipped {
            let converted = to_cel(value, Some(node), 0);
            let size = largest(value, 0);
            for rule in &tree.rules {
                self.rule(rule, &converted, size, &pointer);
            }
        }
        match value {
            Value::Object(map) => {
                for (k, t) in &tree.properties {
                    if let (Some(v), Some(n)) = (map.get(k), node.property(k)) {
                        self.node(v, n, t, child_pointer(&pointer, k), depth + 1);
                    }
                }
                if let (Some(t), Some(n)) = (tree.additional.as_deref(), node.additional.as_deref())
                {
                    for (k, v) in map {
                        if node.property(k).is_none() {
                            self.node(v, n, t, child_pointer(&pointer, k), depth + 1);
                        }
                    }
                }
            }
            Value::Array(items) => {
                if let (Some(t), Some(n)) = (tree.items.as_deref(), node.items.as_deref()) {
                    for (i, v) in items.iter().enumerate() {
                        self.node(v, n, t, format!("{pointer}/{i}"), depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    fn not_checked(&mut self, rule: &Compiled, pointer: &str, why: &str) {
        self.out.push(Outcome::NotChecked {
            pointer: pointer.to_string(),
            message: format!(
                "{}: rule not checked: {why} (rule {:?})",
                super::kubernetes::dotted(pointer),
                rule.spec.rule
            ),
        });
    }

    fn rule(&mut self, rule: &Compiled, value: &cel::Value, size: u64, pointer: &str) {
        let (program, depth, old_self) = match &rule.state {
            State::Transition => {
                self.out.push(Outcome::Transition {
                    pointer: pointer.to_string(),
                    message: format!(
                        "{}: not checked: transition rule {:?} (the API server runs it on update only)",
                        super::kubernetes::dotted(pointer),
                        rule.spec.rule
                    ),
                });
                return;
            }
            State::NotChecked(why) => return self.not_checked(rule, pointer, why),
            State::Refused => return,
            State::Ready {
                program,
                depth,
                old_self,
            } => (program, *depth, *old_self),
        };
        self.evaluations += 1;
        if self.evaluations > EVALUATIONS_LIMIT {
            if self.evaluations == EVALUATIONS_LIMIT + 1 {
                self.not_checked(
                    rule,
                    pointer,
                    &format!("more than {EVALUATIONS_LIMIT} rule evaluations in one resource"),
                );
            }
            return;
        }
        let cost = (size + 1).saturating_pow(depth);
        if cost > RULE_COST_LIMIT {
            return self.not_checked(
                rule,
                pointer,
                &format!("its estimated cost {cost} is over the budget of {RULE_COST_LIMIT}"),
            );
        }
        let env = library::env();
        let mut ctx = cel::Context::with_env(env);
        ctx.add_variable_from_value("self", value.clone());
        if old_self {
            ctx.add_variable_from_value(
                "oldSelf",
                cel::Value::Opaque(std::sync::Arc::new(cel::objects::OptionalValue::none())),
            );
        }
        match run(program, &ctx) {
            Ok(cel::Value::Bool(true)) => {}
            Ok(cel::Value::Bool(false)) => {
                let message = self.message(rule, &ctx);
                self.failed(rule, pointer, message);
            }
            Ok(other) => self.not_checked(
                rule,
                pointer,
                &format!("evaluates to {:?}, not a boolean", other.type_of()),
            ),
            Err(e) => match classify(&e) {
                Some(why) => self.not_checked(rule, pointer, &why),
                None => self.failed(rule, pointer, format!("evaluation error: {e}")),
            },
        }
    }

    fn message(&self, rule: &Compiled, ctx: &cel::Context) -> String {
        if let Some(p) = &rule.message
            && let Ok(cel::Value::String(s)) = run(p, ctx)
            && !s.trim().is_empty()
        {
            return first_line(&s);
        }
        match &rule.spec.message {
            Some(m) => first_line(m),
            None => format!("failed rule: {}", rule.spec.rule),
        }
    }

    fn failed(&mut self, rule: &Compiled, pointer: &str, message: String) {
        let at = rule
            .spec
            .field_path
            .as_deref()
            .and_then(|f| field_path_pointer(pointer, f))
            .unwrap_or_else(|| pointer.to_string());
        let reason = match rule.spec.reason.as_deref() {
            Some("FieldValueForbidden") => "Forbidden",
            Some("FieldValueRequired") => "Required value",
            Some("FieldValueDuplicate") => "Duplicate value",
            _ => "Invalid value",
        };
        self.out.push(Outcome::Failed {
            message: format!("{}: {reason}: {message}", super::kubernetes::dotted(&at)),
            pointer: at,
        });
    }
}

/// Errors that come from this build's limits or typing (a rule the API server type-checks would
/// not meet them): not checked. Data errors (a missing key, a bad quantity, division by zero)
/// fail the rule, as in the API server.
fn classify(e: &cel::ExecutionError) -> Option<String> {
    use cel::ExecutionError as E;
    match e {
        E::UndeclaredReference(name) => Some(format!("uses {name}")),
        E::NoSuchOverload(o) => Some(format!("uses {} on these types", o.function())),
        E::NoSuchKey(_)
        | E::DivisionByZero(_)
        | E::RemainderByZero(_)
        | E::Overflow(..)
        | E::IndexOutOfBounds(_)
        | E::FunctionError { .. }
        | E::DuplicateKey(_) => None,
        other => Some(format!(
            "evaluation failed here ({})",
            first_line(&other.to_string())
        )),
    }
}

fn under(pointer: &str, base: &str) -> bool {
    pointer
        .strip_prefix(base)
        .is_some_and(|r| r.is_empty() || r.starts_with('/'))
}

fn child_pointer(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", super::kubernetes::escape_segment(key))
}

/// `fieldPath` (`.spec.replicas`, `.labels['app.kubernetes.io/name']`, `.items[0]`) under the
/// rule's node as a JSON pointer; `None` when it is not in that form.
fn field_path_pointer(base: &str, path: &str) -> Option<String> {
    let mut out = base.to_string();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return None;
            }
            out = child_pointer(&out, &r[..end]);
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix("['") {
            let end = r.find("']")?;
            out = child_pointer(&out, &r[..end]);
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let index: usize = r[..end].parse().ok()?;
            out = format!("{out}/{index}");
            rest = &r[end + 1..];
        } else {
            return None;
        }
    }
    Some(out)
}

/// The largest list, map or string length in a value: the size a rule's comprehensions iterate.
fn largest(value: &Value, depth: usize) -> u64 {
    if depth > MAX_DEPTH {
        return 0;
    }
    match value {
        Value::Array(a) => {
            (a.len() as u64).max(a.iter().map(|v| largest(v, depth + 1)).max().unwrap_or(0))
        }
        Value::Object(m) => {
            (m.len() as u64).max(m.values().map(|v| largest(v, depth + 1)).max().unwrap_or(0))
        }
        _ => 0,
    }
}

/// CEL keywords: a property named so is `__name__` in a rule.
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

/// A property name as a rule sees it (the API server's escaping).
fn escape_property(name: &str) -> String {
    if RESERVED.contains(&name) {
        return format!("__{name}__");
    }
    name.replace("__", "__underscores__")
        .replace('.', "__dot__")
        .replace('-', "__dash__")
        .replace('/', "__slash__")
}

/// A JSON value as the CEL value a rule sees: declared properties under their escaped names, map
/// keys as written, `number` fields as doubles, integers as ints.
fn to_cel(value: &Value, node: Option<&Node>, depth: usize) -> cel::Value {
    use std::collections::HashMap;
    use std::sync::Arc;
    if depth > MAX_DEPTH {
        return cel::Value::Null;
    }
    match value {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => {
            let double = node.and_then(|n| n.ty.as_deref()) == Some("number");
            match (n.as_i64(), double) {
                (Some(i), false) => cel::Value::Int(i),
                _ => cel::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            }
        }
        Value::String(s) => {
            use library::time;
            let converted = match node.and_then(|n| n.format.as_deref()) {
                Some("date-time") => time::date_time(s).map(cel::Value::Timestamp),
                Some("date") => time::date(s).map(cel::Value::Timestamp),
                Some("duration") => time::duration(s).map(cel::Value::Duration),
                _ => None,
            };
            converted.unwrap_or_else(|| cel::Value::String(Arc::new(s.clone())))
        }
        Value::Array(a) => {
            let item = node.and_then(|n| n.items.as_deref());
            cel::Value::List(Arc::new(
                a.iter().map(|v| to_cel(v, item, depth + 1)).collect(),
            ))
        }
        Value::Object(m) => {
            let mut out: HashMap<String, cel::Value> = HashMap::with_capacity(m.len());
            for (k, v) in m {
                let declared = node.and_then(|n| n.property(k));
                let (key, child) = match declared {
                    Some(c) => (escape_property(k), Some(c)),
                    None => (k.clone(), node.and_then(|n| n.additional.as_deref())),
                };
                out.insert(key, to_cel(v, child, depth + 1));
            }
            cel::Value::from(out)
        }
    }
}

#[cfg(test)]
mod tests;
