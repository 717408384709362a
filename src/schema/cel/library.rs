//! The CEL environment of CRD validation rules: the CEL standard library, the strings and lists
//! extensions of the `cel` crate, and the Kubernetes libraries this build implements (lists:
//! `isSorted`, `sum`, `min`, `max`, `indexOf`, `lastIndexOf`; regex: `find`, `findAll`;
//! `quantity`). [`unsupported`] names what a rule uses that is not here, so such a rule is reported
//! as not checked rather than passed or failed.
//!
//! Owns the function implementations; evaluates no rule.

use std::cmp::Ordering;
use std::sync::{Arc, OnceLock};

use cel::common::types::{DYN_TYPE, INT_TYPE, LIST_TYPE, STRING_TYPE};
use cel::common::value::{CowVal, Val};
use cel::objects::Opaque;
use cel::{Env, ExecutionError, Value};

use super::quantity::Quantity;

/// The functions a rule may call: the standard library, the extensions registered here, and the
/// Kubernetes functions implemented in this file. Operators (`_==_`, `@in`, `!_`) are always known.
const KNOWN: &[&str] = &[
    // standard library
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "string",
    "int",
    "uint",
    "double",
    "bool",
    "bytes",
    "type",
    "dyn",
    "optional.of",
    "optional.none",
    "optional.ofNonZeroValue",
    "hasValue",
    "value",
    "orValue",
    "or", // strings extension
    "charAt",
    "indexOf",
    "lastIndexOf",
    "lowerAscii",
    "upperAscii",
    "replace",
    "split",
    "substring",
    "trim",
    "join",
    "format",
    "reverse",
    "strings.quote", // lists extension
    "slice",
    "flatten",
    "distinct",
    "sort",
    "lists.range", // Kubernetes, implemented here
    "isSorted",
    "sum",
    "min",
    "max",
    "find",
    "findAll",
    "quantity",
    "isQuantity",
    "isGreaterThan",
    "isLessThan",
    "compareTo",
    "asInteger",
    "isInteger",
    "asApproximateFloat",
    "sign",
    "add",
    "sub",
];

/// The first function `functions` names that this environment does not implement.
pub fn unsupported<'a>(functions: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut names: Vec<&str> = functions
        .into_iter()
        .filter(|f| !f.starts_with(['_', '@', '!', '-']) && !KNOWN.contains(f))
        .collect();
    names.sort_unstable();
    names.first().copied()
}

/// The shared environment (built once).
pub fn env() -> Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| Arc::new(build().unwrap_or_else(|_| Env::stdlib())))
        .clone()
}

fn build() -> std::result::Result<Env, cel::DeclarationError> {
    let mut env = Env::stdlib();
    cel::extensions::strings(&mut env)?;
    cel::extensions::lists(&mut env)?;
    env.add_member_overload("isSorted", "list.isSorted()", LIST_TYPE, vec![], is_sorted)?;
    env.add_member_overload("sum", "list.sum()", LIST_TYPE, vec![], sum)?;
    env.add_member_overload("min", "list.min()", LIST_TYPE, vec![], min)?;
    env.add_member_overload("max", "list.max()", LIST_TYPE, vec![], max)?;
    env.add_member_overload(
        "indexOf",
        "list.indexOf(dyn)",
        LIST_TYPE,
        vec![DYN_TYPE],
        index_of,
    )?;
    env.add_member_overload(
        "lastIndexOf",
        "list.lastIndexOf(dyn)",
        LIST_TYPE,
        vec![DYN_TYPE],
        last_index_of,
    )?;
    env.add_member_overload(
        "find",
        "string.find(string)",
        STRING_TYPE,
        vec![STRING_TYPE],
        find,
    )?;
    env.add_member_overload(
        "findAll",
        "string.findAll(string)",
        STRING_TYPE,
        vec![STRING_TYPE],
        find_all,
    )?;
    env.add_member_overload(
        "findAll",
        "string.findAll(string,int)",
        STRING_TYPE,
        vec![STRING_TYPE, INT_TYPE],
        find_all_n,
    )?;
    env.add_overload("quantity", "quantity(string)", vec![STRING_TYPE], quantity)?;
    env.add_overload(
        "isQuantity",
        "isQuantity(string)",
        vec![STRING_TYPE],
        is_quantity,
    )?;
    for (name, f) in [
        (
            "isGreaterThan",
            is_greater_than as cel::common::functions::Function,
        ),
        ("isLessThan", is_less_than),
        ("compareTo", compare_to),
        ("add", q_add),
        ("sub", q_sub),
    ] {
        env.add_member_overload(
            name,
            &format!("quantity.{name}(dyn)"),
            DYN_TYPE,
            vec![DYN_TYPE],
            f,
        )?;
    }
    for (name, f) in [
        ("asInteger", as_integer as cel::common::functions::Function),
        ("isInteger", is_integer),
        ("asApproximateFloat", as_approximate_float),
        ("sign", sign),
    ] {
        env.add_member_overload(name, &format!("quantity.{name}()"), DYN_TYPE, vec![], f)?;
    }
    Ok(env)
}

/// A function over plain CEL values, as an overload: arguments converted in, the result out.
macro_rules! overload {
    ($name:ident, $imp:ident) => {
        fn $name<'b, 'v>(
            args: Vec<CowVal<'b, 'v>>,
        ) -> std::result::Result<CowVal<'b, 'v>, ExecutionError> {
            let values = args
                .iter()
                .map(|a| Value::try_from(a.as_ref()))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let out: Box<dyn Val> = $imp(&values)?.try_into()?;
            Ok(CowVal::Owned(out))
        }
    };
}

overload!(is_sorted, is_sorted_impl);
overload!(sum, sum_impl);
overload!(min, min_impl);
overload!(max, max_impl);
overload!(index_of, index_of_impl);
overload!(last_index_of, last_index_of_impl);
overload!(find, find_impl);
overload!(find_all, find_all_impl);
overload!(find_all_n, find_all_impl);
overload!(quantity, quantity_impl);
overload!(is_quantity, is_quantity_impl);
overload!(is_greater_than, is_greater_than_impl);
overload!(is_less_than, is_less_than_impl);
overload!(compare_to, compare_to_impl);
overload!(q_add, add_impl);
overload!(q_sub, sub_impl);
overload!(as_integer, as_integer_impl);
overload!(is_integer, is_integer_impl);
overload!(as_approximate_float, as_float_impl);
overload!(sign, sign_impl);

type Res<T> = std::result::Result<T, ExecutionError>;

fn list<'a>(args: &'a [Value], f: &str) -> Res<&'a [Value]> {
    match args.first() {
        Some(Value::List(l)) => Ok(l.as_slice()),
        _ => Err(ExecutionError::function_error(f, "expected a list")),
    }
}

fn string<'a>(args: &'a [Value], i: usize, f: &str) -> Res<&'a str> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.as_str()),
        _ => Err(ExecutionError::function_error(f, "expected a string")),
    }
}

/// Orders two values of one comparable type (numbers across int, uint and double).
fn compare(a: &Value, b: &Value, f: &str) -> Res<Ordering> {
    let num = |v: &Value| match v {
        Value::Int(i) => Some(*i as f64),
        Value::UInt(u) => Some(*u as f64),
        Value::Float(x) => Some(*x),
        _ => None,
    };
    let ord = match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            _ => None,
        },
    };
    ord.ok_or_else(|| ExecutionError::function_error(f, "elements are not comparable"))
}

fn is_sorted_impl(args: &[Value]) -> Res<Value> {
    let l = list(args, "isSorted")?;
    for w in l.windows(2) {
        if compare(&w[0], &w[1], "isSorted")? == Ordering::Greater {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn sum_impl(args: &[Value]) -> Res<Value> {
    let l = list(args, "sum")?;
    let overflow = || ExecutionError::function_error("sum", "integer overflow");
    let mut acc = match l.first() {
        Some(Value::Float(_)) => Value::Float(0.0),
        Some(Value::UInt(_)) => Value::UInt(0),
        _ => Value::Int(0),
    };
    for v in l {
        acc = match (&acc, v) {
            (Value::Int(a), Value::Int(b)) => Value::Int(a.checked_add(*b).ok_or_else(overflow)?),
            (Value::UInt(a), Value::UInt(b)) => {
                Value::UInt(a.checked_add(*b).ok_or_else(overflow)?)
            }
            (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
            _ => {
                return Err(ExecutionError::function_error(
                    "sum",
                    "elements are not numbers of one type",
                ));
            }
        };
    }
    Ok(acc)
}

fn extreme(args: &[Value], f: &str, keep: Ordering) -> Res<Value> {
    let l = list(args, f)?;
    let mut best = l
        .first()
        .ok_or_else(|| ExecutionError::function_error(f, "the list is empty"))?;
    for v in &l[1..] {
        if compare(v, best, f)? == keep {
            best = v;
        }
    }
    Ok(best.clone())
}

fn min_impl(args: &[Value]) -> Res<Value> {
    extreme(args, "min", Ordering::Less)
}

fn max_impl(args: &[Value]) -> Res<Value> {
    extreme(args, "max", Ordering::Greater)
}

fn index_of_impl(args: &[Value]) -> Res<Value> {
    let l = list(args, "indexOf")?;
    let x = args.get(1).unwrap_or(&Value::Null);
    Ok(Value::Int(
        l.iter().position(|v| v == x).map_or(-1, |i| i as i64),
    ))
}

fn last_index_of_impl(args: &[Value]) -> Res<Value> {
    let l = list(args, "lastIndexOf")?;
    let x = args.get(1).unwrap_or(&Value::Null);
    Ok(Value::Int(
        l.iter().rposition(|v| v == x).map_or(-1, |i| i as i64),
    ))
}

fn regex(pattern: &str, f: &str) -> Res<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| ExecutionError::function_error(f, e))
}

fn find_impl(args: &[Value]) -> Res<Value> {
    let s = string(args, 0, "find")?;
    let re = regex(string(args, 1, "find")?, "find")?;
    Ok(re.find(s).map_or("", |m| m.as_str()).into())
}

fn find_all_impl(args: &[Value]) -> Res<Value> {
    let s = string(args, 0, "findAll")?;
    let re = regex(string(args, 1, "findAll")?, "findAll")?;
    let limit = match args.get(2) {
        Some(Value::Int(n)) if *n >= 0 => *n as usize,
        _ => usize::MAX,
    };
    let found: Vec<Value> = re
        .find_iter(s)
        .take(limit)
        .map(|m| Value::from(m.as_str()))
        .collect();
    Ok(Value::List(Arc::new(found)))
}

/// A quantity as a CEL value.
#[derive(Debug, PartialEq, Eq)]
struct QuantityVal(Quantity);

impl Opaque for QuantityVal {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.Quantity"
    }
}

fn q_arg(args: &[Value], i: usize, f: &str) -> Res<Quantity> {
    match args.get(i) {
        Some(Value::Opaque(o)) => o
            .downcast_ref::<QuantityVal>()
            .map(|q| q.0)
            .ok_or_else(|| ExecutionError::function_error(f, "expected a quantity")),
        Some(Value::Int(n)) if i > 0 => Ok(Quantity::from_int(*n)),
        _ => Err(ExecutionError::function_error(f, "expected a quantity")),
    }
}

fn q_value(q: Quantity) -> Value {
    Value::Opaque(Arc::new(QuantityVal(q)))
}

fn quantity_impl(args: &[Value]) -> Res<Value> {
    let s = string(args, 0, "quantity")?;
    Quantity::parse(s).map(q_value).ok_or_else(|| {
        ExecutionError::function_error("quantity", format!("invalid quantity {s:?}"))
    })
}

fn is_quantity_impl(args: &[Value]) -> Res<Value> {
    Ok(Value::Bool(
        Quantity::parse(string(args, 0, "isQuantity")?).is_some(),
    ))
}

fn is_greater_than_impl(args: &[Value]) -> Res<Value> {
    Ok(Value::Bool(
        q_arg(args, 0, "isGreaterThan")? > q_arg(args, 1, "isGreaterThan")?,
    ))
}

fn is_less_than_impl(args: &[Value]) -> Res<Value> {
    Ok(Value::Bool(
        q_arg(args, 0, "isLessThan")? < q_arg(args, 1, "isLessThan")?,
    ))
}

fn compare_to_impl(args: &[Value]) -> Res<Value> {
    let o = q_arg(args, 0, "compareTo")?.cmp(&q_arg(args, 1, "compareTo")?);
    Ok(Value::Int(o as i64))
}

fn add_impl(args: &[Value]) -> Res<Value> {
    let a = q_arg(args, 0, "add")?;
    let b = q_arg(args, 1, "add")?;
    a.add(b)
        .map(q_value)
        .ok_or_else(|| ExecutionError::function_error("add", "overflow"))
}

fn sub_impl(args: &[Value]) -> Res<Value> {
    let a = q_arg(args, 0, "sub")?;
    let b = q_arg(args, 1, "sub")?;
    a.add(Quantity { nanos: -b.nanos })
        .map(q_value)
        .ok_or_else(|| ExecutionError::function_error("sub", "overflow"))
}

fn as_integer_impl(args: &[Value]) -> Res<Value> {
    q_arg(args, 0, "asInteger")?
        .as_integer()
        .map(Value::Int)
        .ok_or_else(|| ExecutionError::function_error("asInteger", "not an integer"))
}

fn is_integer_impl(args: &[Value]) -> Res<Value> {
    Ok(Value::Bool(q_arg(args, 0, "isInteger")?.is_integer()))
}

fn as_float_impl(args: &[Value]) -> Res<Value> {
    Ok(Value::Float(
        q_arg(args, 0, "asApproximateFloat")?.as_float(),
    ))
}

fn sign_impl(args: &[Value]) -> Res<Value> {
    Ok(Value::Int(q_arg(args, 0, "sign")?.nanos.signum() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cel::Context;

    fn eval(expr: &str) -> std::result::Result<Value, String> {
        let env = env();
        let p = env.compile(expr).map_err(|e| e.to_string())?;
        let ctx = Context::with_env(env);
        p.execute(&ctx).map_err(|e| e.to_string())
    }

    #[test]
    fn kubernetes_library_functions() {
        let t = Ok(Value::Bool(true));
        for expr in [
            "[1, 2, 2, 5].isSorted() && !['b', 'a'].isSorted()",
            "[1, 2, 3].sum() == 6 && [1.5, 2.5].sum() == 4.0 && [].sum() == 0",
            "[3, 1, 2].min() == 1 && ['a', 'c', 'b'].max() == 'c'",
            "[1, 2, 3, 2].indexOf(2) == 1 && [1, 2, 3, 2].lastIndexOf(2) == 3 && [1].indexOf(9) == -1",
            "'abc'.indexOf('c') == 2",
            "'abc123def456'.find('[0-9]+') == '123' && 'abc'.find('[0-9]') == ''",
            "'a1b2c3'.findAll('[0-9]') == ['1', '2', '3'] && 'a1b2c3'.findAll('[0-9]', 2) == ['1', '2']",
            "quantity('1Gi').isGreaterThan(quantity('1000Mi')) && quantity('500m').isLessThan(quantity('1'))",
            "quantity('1Gi') == quantity('1024Mi') && quantity('2').compareTo(quantity('2000m')) == 0",
            "quantity('3').asInteger() == 3 && !quantity('1500m').isInteger() && quantity('-1').sign() == -1",
            "quantity('1').add(quantity('500m')).asApproximateFloat() == 1.5 && quantity('2').sub(1).asInteger() == 1",
            "isQuantity('100Mi') && !isQuantity('100 apples')",
            "'HeLLo'.lowerAscii() == 'hello' && ' x '.trim() == 'x' && 'a,b'.split(',') == ['a', 'b']",
            "{'a': 1}.?b.orValue(2) == 2",
        ] {
            assert_eq!(eval(expr), t, "{expr}");
        }
        assert!(eval("quantity('lots')").is_err());
        assert!(eval("[].min()").is_err());
    }

    #[test]
    fn unsupported_names_the_missing_function() {
        assert_eq!(unsupported(["_==_", "size", "@in", "!_"]), None);
        assert_eq!(unsupported(["isURL", "size", "ip"]), Some("ip"));
    }
}
