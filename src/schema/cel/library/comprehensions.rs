//! Two-variable comprehensions (`all`, `exists`, `existsOne`, `transformList`, `transformMap`,
//! `transformMapEntry` with an index or key and a value, Kubernetes 1.32) and the lists
//! functions `first` and `last`, which the `cel` crate does not provide.
//!
//! The crate evaluates one-variable comprehensions only, so each two-variable macro is expanded
//! at parse time into one: the target's entries (`[index, element]` of a list, `[key, value]` of
//! a map, from `@entries`) are iterated, and the two names are bound to an entry's halves
//! (`cel.bind`-style, as the crate's own `sortBy` expansion binds its input) around the user's
//! expression. The accumulators follow the standard macros, so errors are absorbed as they are
//! in `all` and `exists`.
//!
//! Owns the expansions and their runtime helpers; registers them on an environment.

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::ast::operators;
use cel::common::ast::{CallExpr, ComprehensionExpr, Expr, IdedExpr, ListExpr, LiteralValue};
use cel::common::types::{DYN_TYPE, LIST_TYPE};
use cel::common::value::{CowVal, Val};
use cel::objects::{Key, Map, OptionalValue};
use cel::parser::{Macro, MacroExprHelper, ParseError};
use cel::{Env, ExecutionError, Value};

use super::Res;

/// The runtime helper a two-variable macro iterates over; its second argument names the macro,
/// so that [`macro_of`] can tell which macro a rule used.
pub const ENTRIES: &str = "@entries";
const PAIRS_TO_MAP: &str = "@pairsToMap";
const MERGE_MAPS: &str = "@mergeMaps";
/// The iteration variable of an expansion (not a name a rule can write).
const ENTRY: &str = "@entry";
const RESULT: &str = "@result";

/// The two-variable macros, by name.
pub const MACROS: &[&str] = &[
    "all",
    "exists",
    "existsOne",
    "exists_one",
    "transformList",
    "transformMap",
    "transformMapEntry",
];

/// The macro a call to [`ENTRIES`] was expanded from.
pub fn macro_of(c: &CallExpr) -> Option<&'static str> {
    if c.func_name != ENTRIES {
        return None;
    }
    match c.args.get(1).map(|a| &a.expr) {
        Some(Expr::Literal(LiteralValue::String(s))) => {
            MACROS.iter().copied().find(|m| *m == s.inner())
        }
        _ => None,
    }
}

/// Registers the macros and their helpers on `env`.
pub fn register(env: &mut Env) -> Result<(), cel::DeclarationError> {
    for name in MACROS {
        let arities: &[usize] = match *name {
            "transformList" | "transformMap" | "transformMapEntry" => &[3, 4],
            _ => &[3],
        };
        for &n in arities {
            env.add_macro(Macro::receiver(*name, n, move |h, t, a| {
                two_variable(h, t, a, name).map(Some)
            }))?;
        }
    }
    env.add_overload(
        ENTRIES,
        "@entries(dyn,dyn)",
        vec![DYN_TYPE, DYN_TYPE],
        entries,
    )?;
    env.add_overload(
        PAIRS_TO_MAP,
        "@pairsToMap(list)",
        vec![LIST_TYPE],
        pairs_to_map,
    )?;
    env.add_overload(MERGE_MAPS, "@mergeMaps(list)", vec![LIST_TYPE], merge_maps)?;
    env.add_member_overload("first", "list.first()", LIST_TYPE, vec![], first)?;
    env.add_member_overload("last", "list.last()", LIST_TYPE, vec![], last)?;
    Ok(())
}

/// Builds expressions with fresh ids.
struct Build<'h, 'a> {
    h: &'h mut MacroExprHelper<'a>,
}

impl Build<'_, '_> {
    fn expr(&mut self, e: Expr) -> IdedExpr {
        self.h.next_expr(e)
    }
    fn ident(&mut self, name: &str) -> IdedExpr {
        self.expr(Expr::Ident(name.to_string()))
    }
    fn bool(&mut self, b: bool) -> IdedExpr {
        self.expr(Expr::Literal(LiteralValue::Boolean(b.into())))
    }
    fn int(&mut self, i: i64) -> IdedExpr {
        self.expr(Expr::Literal(LiteralValue::Int(i.into())))
    }
    fn string(&mut self, s: &str) -> IdedExpr {
        self.expr(Expr::Literal(LiteralValue::String(s.to_string().into())))
    }
    fn list(&mut self, items: Vec<IdedExpr>) -> IdedExpr {
        self.expr(Expr::List(ListExpr::new(items)))
    }
    fn call(&mut self, name: &str, args: Vec<IdedExpr>) -> IdedExpr {
        self.expr(Expr::Call(CallExpr {
            func_name: name.to_string(),
            target: None,
            args,
        }))
    }
    /// `name` bound to `value` in `body` (a comprehension over nothing whose accumulator is the
    /// name, as `cel.bind` expands).
    fn bind(&mut self, name: &str, value: IdedExpr, body: IdedExpr) -> IdedExpr {
        let range = self.list(Vec::new());
        let cond = self.bool(false);
        let step = self.ident(name);
        self.comprehension(range, "#unused", name, value, cond, step, body)
    }
    #[allow(clippy::too_many_arguments)]
    fn comprehension(
        &mut self,
        iter_range: IdedExpr,
        iter_var: &str,
        accu_var: &str,
        accu_init: IdedExpr,
        loop_cond: IdedExpr,
        loop_step: IdedExpr,
        result: IdedExpr,
    ) -> IdedExpr {
        self.expr(Expr::Comprehension(Box::new(ComprehensionExpr {
            iter_range,
            iter_var: iter_var.to_string(),
            iter_var2: None,
            accu_var: accu_var.to_string(),
            accu_init,
            loop_cond,
            loop_step,
            result,
        })))
    }
}

fn name_of(h: &MacroExprHelper<'_>, e: IdedExpr) -> Result<String, ParseError> {
    match e.expr {
        Expr::Ident(name) => Ok(name),
        _ => Err(h.new_error(e.id, "argument must be a simple name")),
    }
}

/// `target.<macro>(k, v, [filter,] expr)` as a one-variable comprehension over `@entries`.
fn two_variable(
    h: &mut MacroExprHelper<'_>,
    target: &mut Option<IdedExpr>,
    args: &mut Vec<IdedExpr>,
    macro_name: &str,
) -> Result<IdedExpr, ParseError> {
    let target = target
        .take()
        .ok_or_else(|| h.new_error(0, "expected a target"))?;
    let mut args = std::mem::take(args).into_iter();
    let (Some(k), Some(v)) = (args.next(), args.next()) else {
        return Err(h.new_error(target.id, "expected two variable names"));
    };
    let v_id = v.id;
    let (k, v) = (name_of(h, k)?, name_of(h, v)?);
    if k == v {
        return Err(h.new_error(v_id, format!("duplicate variable name: {v}")));
    }
    for name in [&k, &v] {
        if name == RESULT || name.starts_with('@') {
            return Err(h.new_error(
                v_id,
                format!("iteration variable overwrites accumulator variable: {name}"),
            ));
        }
    }
    let rest: Vec<IdedExpr> = args.collect();
    let (filter, expr) = match <[IdedExpr; 2]>::try_from(rest) {
        Ok([f, e]) => (Some(f), e),
        Err(rest) => match <[IdedExpr; 1]>::try_from(rest) {
            Ok([e]) => (None, e),
            Err(_) => return Err(h.new_error(target.id, "wrong number of arguments")),
        },
    };
    let mut b = Build { h };
    let name = b.string(macro_name);
    let range = b.call(ENTRIES, vec![target, name]);
    let acc = |b: &mut Build| b.ident(RESULT);
    // What one step computes from the bound names; the accumulator's start, the loop condition
    // and the result around it.
    let (init, cond, step, result) = match macro_name {
        "all" | "exists" => {
            let all = macro_name == "all";
            let init = b.bool(all);
            let a = acc(&mut b);
            let cond = if all {
                b.call(operators::NOT_STRICTLY_FALSE, vec![a])
            } else {
                let not = b.call(operators::LOGICAL_NOT, vec![a]);
                b.call(operators::NOT_STRICTLY_FALSE, vec![not])
            };
            let a = acc(&mut b);
            let op = if all {
                operators::LOGICAL_AND
            } else {
                operators::LOGICAL_OR
            };
            let step = b.call(op, vec![a, expr]);
            let result = acc(&mut b);
            (init, cond, step, result)
        }
        "existsOne" | "exists_one" => {
            let init = b.int(0);
            let cond = b.bool(true);
            let a = acc(&mut b);
            let one = b.int(1);
            let plus = b.call(operators::ADD, vec![a, one]);
            let a = acc(&mut b);
            let step = b.call(operators::CONDITIONAL, vec![expr, plus, a]);
            let a = acc(&mut b);
            let one = b.int(1);
            let result = b.call(operators::EQUALS, vec![a, one]);
            (init, cond, step, result)
        }
        _ => {
            // transformList appends the value; transformMap the [key, value] pair;
            // transformMapEntry the map the expression makes.
            let init = b.list(Vec::new());
            let cond = b.bool(true);
            let item = match macro_name {
                "transformMap" => {
                    let key = b.ident(&k);
                    b.list(vec![key, expr])
                }
                _ => expr,
            };
            let a = acc(&mut b);
            let one = b.list(vec![item]);
            let mut step = b.call(operators::ADD, vec![a, one]);
            if let Some(f) = filter {
                let a = acc(&mut b);
                step = b.call(operators::CONDITIONAL, vec![f, step, a]);
            }
            let a = acc(&mut b);
            let result = match macro_name {
                "transformMap" => b.call(PAIRS_TO_MAP, vec![a]),
                "transformMapEntry" => b.call(MERGE_MAPS, vec![a]),
                _ => a,
            };
            (init, cond, step, result)
        }
    };
    // The step sees k and v bound to the current entry's halves.
    let entry = b.ident(ENTRY);
    let zero = b.int(0);
    let first = b.call(operators::INDEX, vec![entry, zero]);
    let entry = b.ident(ENTRY);
    let one = b.int(1);
    let second = b.call(operators::INDEX, vec![entry, one]);
    let inner = b.bind(&v, second, step);
    let step = b.bind(&k, first, inner);
    Ok(b.comprehension(range, ENTRY, RESULT, init, cond, step, result))
}

overload!(entries, entries_impl);
overload!(pairs_to_map, pairs_to_map_impl);
overload!(merge_maps, merge_maps_impl);
overload!(first, first_impl);
overload!(last, last_impl);

fn first_impl(args: &[Value]) -> Res<Value> {
    end_impl(args, false)
}

fn last_impl(args: &[Value]) -> Res<Value> {
    end_impl(args, true)
}

fn key_value(k: &Key) -> Value {
    match k {
        Key::Int(i) => Value::Int(*i),
        Key::Uint(u) => Value::UInt(*u),
        Key::Bool(b) => Value::Bool(*b),
        Key::String(s) => Value::String(s.clone()),
    }
}

fn value_key(v: &Value, f: &str) -> Res<Key> {
    Ok(match v {
        Value::Int(i) => Key::Int(*i),
        Value::UInt(u) => Key::Uint(*u),
        Value::Bool(b) => Key::Bool(*b),
        Value::String(s) => Key::String(s.clone()),
        _ => {
            return Err(ExecutionError::function_error(
                f,
                "unsupported map key type",
            ));
        }
    })
}

/// Orders map keys for a stable iteration: booleans, integers, then strings.
fn key_order(k: &Key) -> (u8, i128, &str) {
    match k {
        Key::Bool(b) => (0, i128::from(*b), ""),
        Key::Int(i) => (1, i128::from(*i), ""),
        Key::Uint(u) => (1, i128::from(*u), ""),
        Key::String(s) => (2, 0, s.as_str()),
    }
}

/// `[index, element]` of every element of a list, `[key, value]` of every entry of a map (in
/// key order: CEL leaves a map's order open, and a fixed one keeps results reproducible).
fn entries_impl(args: &[Value]) -> Res<Value> {
    let pair = |k: Value, v: Value| Value::List(Arc::new(vec![k, v]));
    let out: Vec<Value> = match args.first() {
        Some(Value::List(l)) => l
            .iter()
            .enumerate()
            .map(|(i, v)| pair(Value::Int(i as i64), v.clone()))
            .collect(),
        Some(Value::Map(m)) => {
            let mut keys: Vec<&Key> = m.map.keys().collect();
            keys.sort_by(|a, b| key_order(a).cmp(&key_order(b)));
            keys.into_iter()
                .map(|k| pair(key_value(k), m.map[k].clone()))
                .collect()
        }
        _ => {
            let name = match args.get(1) {
                Some(Value::String(s)) => s.as_str().to_string(),
                _ => "comprehension".to_string(),
            };
            return Err(ExecutionError::function_error(
                &name,
                "expected a list or a map",
            ));
        }
    };
    Ok(Value::List(Arc::new(out)))
}

fn pairs_to_map_impl(args: &[Value]) -> Res<Value> {
    let Some(Value::List(pairs)) = args.first() else {
        return Err(ExecutionError::function_error(
            "transformMap",
            "expected a list",
        ));
    };
    let mut map = HashMap::with_capacity(pairs.len());
    for p in pairs.iter() {
        let Value::List(kv) = p else {
            return Err(ExecutionError::function_error(
                "transformMap",
                "expected pairs",
            ));
        };
        let (Some(k), Some(v)) = (kv.first(), kv.get(1)) else {
            return Err(ExecutionError::function_error(
                "transformMap",
                "expected pairs",
            ));
        };
        map.insert(value_key(k, "transformMap")?, v.clone());
    }
    Ok(Value::Map(Map { map: Arc::new(map) }))
}

/// The maps `transformMapEntry`'s expression made, as one; a key made twice is an error, as in
/// cel-go.
fn merge_maps_impl(args: &[Value]) -> Res<Value> {
    const F: &str = "transformMapEntry";
    let Some(Value::List(maps)) = args.first() else {
        return Err(ExecutionError::function_error(F, "expected a list"));
    };
    let mut out: HashMap<Key, Value> = HashMap::new();
    for m in maps.iter() {
        let Value::Map(m) = m else {
            return Err(ExecutionError::function_error(
                F,
                "the expression must return a map",
            ));
        };
        for (k, v) in m.map.iter() {
            if out.insert(k.clone(), v.clone()).is_some() {
                return Err(ExecutionError::function_error(
                    F,
                    format!("insert failed: key {} already exists", key_text(k)),
                ));
            }
        }
    }
    Ok(Value::Map(Map { map: Arc::new(out) }))
}

fn key_text(k: &Key) -> String {
    match k {
        Key::Int(i) => i.to_string(),
        Key::Uint(u) => u.to_string(),
        Key::Bool(b) => b.to_string(),
        Key::String(s) => s.to_string(),
    }
}

/// `list.first()` / `list.last()`: the element as an optional, `optional.none()` when empty.
fn end_impl(args: &[Value], last: bool) -> Res<Value> {
    let Some(Value::List(l)) = args.first() else {
        let f = if last { "last" } else { "first" };
        return Err(ExecutionError::function_error(f, "expected a list"));
    };
    let item = if last { l.last() } else { l.first() };
    let v = match item {
        Some(v) => OptionalValue::of(v.clone()),
        None => OptionalValue::none(),
    };
    Ok(Value::Opaque(Arc::new(v)))
}
