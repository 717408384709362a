//! The CEL environment of CRD validation rules: the CEL standard library (timestamps and
//! durations included), the strings and lists extensions of the `cel` crate, and the Kubernetes
//! libraries this build implements (lists: `isSorted`, `sum`, `min`, `max`, `indexOf`,
//! `lastIndexOf`, `first`, `last`; regex: `find`, `findAll`; `quantity`; URLs; IP and CIDR; semver;
//! format; sets; two-variable comprehensions, in `comprehensions.rs`).
//! [`unsupported`] names a Kubernetes function a rule uses that is not evaluated here, so such a
//! rule is reported as not checked; [`undeclared`] names one the API server does not know at all,
//! so the CRD itself is refused.
//!
//! Owns the function implementations; evaluates no rule.

use std::cmp::Ordering;
use std::sync::{Arc, OnceLock};

use cel::common::types::{DYN_TYPE, INT_TYPE, LIST_TYPE, STRING_TYPE};
use cel::common::value::{CowVal, Val};
use cel::objects::Opaque;
use cel::{Env, ExecutionError, Value};

use super::quantity::Quantity;

/// The functions this build evaluates, by the Kubernetes minor version whose CEL environment
/// added them (0: there from the start): the standard library, the crate's strings and lists
/// extensions, and the Kubernetes libraries implemented here. Operators (`_==_`, `@in`, `!_`) are
/// always known; `format.<name>()` is known for every name of [`format::NAMES`] (1.31).
#[rustfmt::skip]
const EVALUATED: &[(u32, &[&str])] = &[
    (
        0,
        &[
            // standard library, timestamps and durations included
            "size", "contains", "startsWith", "endsWith", "matches", "string", "int", "uint",
            "double", "bool", "bytes", "type", "dyn", "timestamp", "duration", "getFullYear",
            "getMonth", "getDayOfYear", "getDayOfMonth", "getDate", "getDayOfWeek", "getHours",
            "getMinutes", "getSeconds", "getMilliseconds",
            // optional values
            "optional.of", "optional.none", "optional.ofNonZeroValue", "hasValue", "value",
            "orValue", "or",
            // strings extension
            "charAt", "indexOf", "lastIndexOf", "lowerAscii", "upperAscii", "replace", "split",
            "substring", "trim", "join", "format", "strings.quote",
            // Kubernetes lists and regex
            "isSorted", "sum", "min", "max", "find", "findAll",
            // Kubernetes URLs
            "url", "isURL", "getScheme", "getHost", "getHostname", "getPort", "getEscapedPath",
            "getQuery",
            // optional helpers (the crate's macros)
            "optMap", "optFlatMap",
            // shared by quantity and semver
            "isGreaterThan", "isLessThan", "compareTo",
        ],
    ),
    (
        28,
        &[
            "quantity", "isQuantity", "asInteger", "isInteger", "asApproximateFloat", "sign",
            "add", "sub",
        ],
    ),
    (29, &["sets.contains", "sets.equivalent", "sets.intersects"]),
    (
        30,
        &[
            "ip", "isIP", "ip.isCanonical", "family", "isUnspecified", "isLoopback",
            "isLinkLocalMulticast", "isLinkLocalUnicast", "isGlobalUnicast", "cidr", "isCIDR",
            "containsIP", "containsCIDR", "prefixLength", "masked",
        ],
    ),
    (31, &["format.named", "validate"]),
    (33, &["semver", "isSemver", "major", "minor", "patch"]),
    // two-variable comprehensions (comprehensions.rs), named by their expansion's `@entries`
    (
        32,
        &[
            "all", "exists", "exists_one", "existsOne", "transformList", "transformMap",
            "transformMapEntry",
        ],
    ),
    (
        34,
        &[
            "slice", "flatten", "distinct", "sort", "reverse", "lists.range",
            // `sortBy` is named by its expansion's key sort; `first` and `last` in comprehensions.rs
            "sortBy", "first", "last",
        ],
    ),
];

/// Functions of the API server's CEL environment that this build does not evaluate, by the
/// minor version that added them: a rule using one compiles there, so it is reported as not
/// checked here. (`authorizer` is a variable of admission policies; its member functions are
/// listed for rules that name it.)
#[rustfmt::skip]
const NOT_EVALUATED: &[(u32, &[&str])] = &[
    (
        0,
        &[
            // authorizer
            "group", "resource", "subresource", "namespace", "name", "check", "allowed",
            "reason", "errored", "error", "path", "serviceAccount", "fieldSelector",
            "labelSelector", "authorizer",
            // JSON patch (mutating admission only)
            "jsonpatch.escapeKey",
        ],
    ),
];

fn listed(table: &[(u32, &[&str])], f: &str) -> Option<u32> {
    table
        .iter()
        .find(|(_, names)| names.contains(&f))
        .map(|(minor, _)| *minor)
}

/// Every call in an expression, outermost first.
fn for_each_call(e: &cel::IdedExpr, depth: usize, f: &mut dyn FnMut(&cel::common::ast::CallExpr)) {
    use cel::common::ast::{EntryExpr, Expr};
    if depth > 200 {
        return;
    }
    match &e.expr {
        Expr::Call(c) => {
            f(c);
            if let Some(t) = &c.target {
                for_each_call(t, depth + 1, f);
            }
            for a in &c.args {
                for_each_call(a, depth + 1, f);
            }
        }
        Expr::Comprehension(c) => {
            for x in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                for_each_call(x, depth + 1, f);
            }
        }
        Expr::List(l) => {
            for x in &l.elements {
                for_each_call(x, depth + 1, f);
            }
        }
        Expr::Map(m) => {
            for en in &m.entries {
                match &en.expr {
                    EntryExpr::MapEntry(me) => {
                        for_each_call(&me.key, depth + 1, f);
                        for_each_call(&me.value, depth + 1, f);
                    }
                    EntryExpr::StructField(sf) => for_each_call(&sf.value, depth + 1, f),
                }
            }
        }
        Expr::Struct(st) => {
            for en in &st.entries {
                match &en.expr {
                    EntryExpr::MapEntry(me) => for_each_call(&me.value, depth + 1, f),
                    EntryExpr::StructField(sf) => for_each_call(&sf.value, depth + 1, f),
                }
            }
        }
        Expr::Select(sel) => for_each_call(&sel.operand, depth + 1, f),
        _ => {}
    }
}

/// A call's function name, a namespaced one (`ip.isCanonical`, `format.uri`, `sets.contains`)
/// in full.
fn call_name(c: &cel::common::ast::CallExpr) -> String {
    use cel::common::ast::Expr;
    // Macros expanded into calls are named as the rule wrote them.
    if let Some(m) = comprehensions::macro_of(c) {
        return m.to_string();
    }
    if c.func_name == "@sortByAssociatedKeys" {
        return "sortBy".to_string();
    }
    if let Some(Expr::Ident(ns)) = c.target.as_deref().map(|t| &t.expr) {
        let q = format!("{ns}.{}", c.func_name);
        if is_namespaced(&q) {
            return q;
        }
    }
    c.func_name.clone()
}

/// The functions an expression calls.
pub fn called(e: &cel::IdedExpr) -> Vec<String> {
    let mut out = Vec::new();
    for_each_call(e, 0, &mut |c| out.push(call_name(c)));
    out.sort_unstable();
    out.dedup();
    out
}

/// Global functions of one string argument: a literal of another type is a type error.
const STRING_ARGUMENT: &[&str] = &[
    "url",
    "isURL",
    "ip",
    "isIP",
    "ip.isCanonical",
    "cidr",
    "isCIDR",
    "quantity",
    "isQuantity",
    "format.named",
];

/// What the API server's compiler refuses in calls with literal arguments: a literal
/// `duration()`, `timestamp()` or regular expression that does not parse, and a literal of the
/// wrong type for a function that takes a string.
pub fn literal_error(e: &cel::IdedExpr) -> Option<String> {
    use cel::common::ast::{Expr, LiteralValue};
    let mut found = None;
    for_each_call(e, 0, &mut |c| {
        if found.is_some() {
            return;
        }
        let name = call_name(c);
        let literal = |i: usize| match c.args.get(i).map(|a| &a.expr) {
            Some(Expr::Literal(l)) => Some(l),
            _ => None,
        };
        let text = |i: usize| match literal(i) {
            Some(LiteralValue::String(s)) => Some(s.inner().to_string()),
            _ => None,
        };
        let member = c.target.is_some() && !is_namespaced(&name);
        found = match (name.as_str(), member) {
            ("duration", false) => text(0)
                .filter(|d| time::go_duration(d).is_none())
                .map(|d| format!("invalid duration literal {d:?}")),
            ("timestamp", false) => text(0)
                .filter(|t| time::date_time(t).is_none())
                .map(|t| format!("invalid timestamp literal {t:?}")),
            ("matches" | "find" | "findAll", true) => text(0)
                .filter(|p| regex(p, "").is_err())
                .map(|p| format!("invalid regular expression {p:?}")),
            ("matches", false) => text(1)
                .filter(|p| regex(p, "").is_err())
                .map(|p| format!("invalid regular expression {p:?}")),
            (n, false) if STRING_ARGUMENT.contains(&n) && c.args.len() == 1 => literal(0)
                .filter(|l| !matches!(l, LiteralValue::String(_)))
                .map(|l| {
                    let ty = match l {
                        LiteralValue::Boolean(_) => "bool",
                        LiteralValue::Bytes(_) => "bytes",
                        LiteralValue::Double(_) => "double",
                        LiteralValue::Int(_) => "int",
                        LiteralValue::UInt(_) => "uint",
                        _ => "null_type",
                    };
                    format!("found no matching overload for '{n}' applied to '({ty})'")
                }),
            _ => None,
        };
    });
    found
}

/// Whether a dotted name is a namespaced function of the environment (known or not).
fn is_namespaced(name: &str) -> bool {
    [
        "ip.",
        "format.",
        "sets.",
        "strings.",
        "lists.",
        "optional.",
        "jsonpatch.",
        "math.",
        "cel.",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

fn known(f: &str) -> bool {
    f.starts_with(['_', '@', '!', '-'])
        || listed(EVALUATED, f).is_some()
        || f.strip_prefix("format.")
            .is_some_and(|n| format::NAMES.contains(&n))
}

/// The first function `functions` names that this environment does not evaluate (whether or
/// not the API server knows it).
pub fn unsupported<'a>(functions: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut names: Vec<&str> = functions.into_iter().filter(|f| !known(f)).collect();
    names.sort_unstable();
    names.first().copied()
}

/// The first function `functions` names that the API server's CEL environment does not declare
/// (a rule using it does not compile there, so the CRD is refused).
pub fn undeclared<'a>(functions: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut names: Vec<&str> = functions
        .into_iter()
        .filter(|f| !known(f) && listed(NOT_EVALUATED, f).is_none())
        .collect();
    names.sort_unstable();
    names.first().copied()
}

/// The Kubernetes minor version whose CEL environment added a function; 0 for the base one.
pub fn introduced(f: &str) -> u32 {
    if f.starts_with("format.") {
        return 31;
    }
    listed(EVALUATED, f)
        .or_else(|| listed(NOT_EVALUATED, f))
        .unwrap_or(0)
}

/// The first function `functions` names that Kubernetes 1.`minor` does not declare yet, with the
/// version that added it.
pub fn too_new<'a>(
    functions: impl IntoIterator<Item = &'a str>,
    minor: u32,
) -> Option<(&'a str, u32)> {
    let mut names: Vec<(&str, u32)> = functions
        .into_iter()
        .map(|f| (f, introduced(f)))
        .filter(|(_, added)| *added > minor)
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
    comprehensions::register(&mut env)?;
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
    register_network(&mut env)?;
    register_semver_and_format(&mut env)?;
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

fn register_network(env: &mut Env) -> std::result::Result<(), cel::DeclarationError> {
    use cel::common::functions::Function;
    for (name, f) in [
        ("url", url_fn as Function),
        ("isURL", is_url_fn),
        ("ip", ip_fn),
        ("isIP", is_ip_fn),
        ("ip.isCanonical", ip_is_canonical_fn),
        ("cidr", cidr_fn),
        ("isCIDR", is_cidr_fn),
    ] {
        env.add_overload(name, &format!("{name}(string)"), vec![STRING_TYPE], f)?;
    }
    for (name, f) in [
        ("getScheme", get_scheme as Function),
        ("getHost", get_host),
        ("getHostname", get_hostname),
        ("getPort", get_port),
        ("getEscapedPath", get_escaped_path),
        ("getQuery", get_query),
        ("family", family_fn),
        ("isUnspecified", is_unspecified),
        ("isLoopback", is_loopback),
        ("isLinkLocalMulticast", is_link_local_multicast),
        ("isLinkLocalUnicast", is_link_local_unicast),
        ("isGlobalUnicast", is_global_unicast),
        ("ip", cidr_ip_fn),
        ("prefixLength", prefix_length_fn),
        ("masked", masked_fn),
    ] {
        env.add_member_overload(name, &format!("dyn.{name}()"), DYN_TYPE, vec![], f)?;
    }
    for (name, f) in [
        ("containsIP", contains_ip_fn as Function),
        ("containsCIDR", contains_cidr_fn),
    ] {
        env.add_member_overload(
            name,
            &format!("dyn.{name}(dyn)"),
            DYN_TYPE,
            vec![DYN_TYPE],
            f,
        )?;
    }
    env.add_overload(
        "string",
        "string(ip|cidr)",
        vec![DYN_TYPE],
        opaque_to_string,
    )?;
    Ok(())
}

fn register_semver_and_format(env: &mut Env) -> std::result::Result<(), cel::DeclarationError> {
    use cel::common::functions::Function;
    use cel::common::types::BOOL_TYPE;
    env.add_overload("semver", "semver(string)", vec![STRING_TYPE], semver_fn)?;
    env.add_overload(
        "semver",
        "semver(string,bool)",
        vec![STRING_TYPE, BOOL_TYPE],
        semver_fn,
    )?;
    env.add_overload(
        "isSemver",
        "isSemver(string)",
        vec![STRING_TYPE],
        is_semver_fn,
    )?;
    env.add_overload(
        "isSemver",
        "isSemver(string,bool)",
        vec![STRING_TYPE, BOOL_TYPE],
        is_semver_fn,
    )?;
    for (name, f) in [
        ("major", semver_major as Function),
        ("minor", semver_minor),
        ("patch", semver_patch),
    ] {
        env.add_member_overload(name, &format!("semver.{name}()"), DYN_TYPE, vec![], f)?;
    }
    for (name, f) in [
        ("sets.contains", sets_contains as Function),
        ("sets.equivalent", sets_equivalent),
        ("sets.intersects", sets_intersects),
    ] {
        env.add_overload(
            name,
            &format!("{name}(list,list)"),
            vec![LIST_TYPE, LIST_TYPE],
            f,
        )?;
    }
    env.add_overload(
        "format.named",
        "format.named(string)",
        vec![STRING_TYPE],
        format_named,
    )?;
    env.add_member_overload(
        "validate",
        "format.validate(string)",
        DYN_TYPE,
        vec![STRING_TYPE],
        format_validate,
    )?;
    format::register(env)?;
    Ok(())
}

/// A function over plain CEL values, as an overload: arguments converted in, the result out.
macro_rules! overload {
    ($name:ident, $imp:path) => {
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

pub(super) mod comprehensions;
mod format;
mod net;
pub mod semver;
pub mod time;
mod url;

overload!(url_fn, url::url);
overload!(is_url_fn, url::is_url);
overload!(ip_fn, net::ip);
overload!(is_ip_fn, net::is_ip);
overload!(ip_is_canonical_fn, net::is_canonical);
overload!(cidr_fn, net::cidr);
overload!(is_cidr_fn, net::is_cidr);
overload!(family_fn, net::family);
overload!(contains_ip_fn, net::contains_ip);
overload!(contains_cidr_fn, net::contains_cidr);
overload!(cidr_ip_fn, net::cidr_ip);
overload!(prefix_length_fn, net::prefix_length);
overload!(masked_fn, net::masked);
overload!(semver_fn, semver::semver);
overload!(is_semver_fn, semver::is_semver);
overload!(format_named, format::named);
overload!(format_validate, format::validate);
overload!(opaque_to_string, opaque_to_string_impl);
overload!(sets_contains, sets_contains_impl);
overload!(sets_equivalent, sets_equivalent_impl);
overload!(sets_intersects, sets_intersects_impl);

/// Member functions that take their name as an argument.
macro_rules! named {
    ($($fname:ident => $imp:path, $name:literal;)*) => {$(
        fn $fname<'b, 'v>(
            args: Vec<CowVal<'b, 'v>>,
        ) -> std::result::Result<CowVal<'b, 'v>, ExecutionError> {
            fn inner(args: &[Value]) -> Res<Value> {
                $imp($name, args)
            }
            overload!(run, inner);
            run(args)
        }
    )*};
}

named! {
    get_scheme => url::getter, "getScheme";
    get_host => url::getter, "getHost";
    get_hostname => url::getter, "getHostname";
    get_port => url::getter, "getPort";
    get_escaped_path => url::getter, "getEscapedPath";
    get_query => url::getter, "getQuery";
    is_unspecified => net::predicate, "isUnspecified";
    is_loopback => net::predicate, "isLoopback";
    is_link_local_multicast => net::predicate, "isLinkLocalMulticast";
    is_link_local_unicast => net::predicate, "isLinkLocalUnicast";
    is_global_unicast => net::predicate, "isGlobalUnicast";
    semver_major => semver::part, "major";
    semver_minor => semver::part, "minor";
    semver_patch => semver::part, "patch";
}

fn opaque_to_string_impl(args: &[Value]) -> Res<Value> {
    args.first()
        .and_then(net::to_string)
        .map(Value::from)
        .ok_or_else(|| ExecutionError::no_such_overload("string", vec!["dyn".to_string()]))
}

fn two_lists<'a>(args: &'a [Value], f: &str) -> Res<(&'a [Value], &'a [Value])> {
    match (args.first(), args.get(1)) {
        (Some(Value::List(a)), Some(Value::List(b))) => Ok((a.as_slice(), b.as_slice())),
        _ => Err(ExecutionError::function_error(f, "expected two lists")),
    }
}

fn sets_contains_impl(args: &[Value]) -> Res<Value> {
    let (a, b) = two_lists(args, "sets.contains")?;
    Ok(Value::Bool(b.iter().all(|x| a.contains(x))))
}

fn sets_equivalent_impl(args: &[Value]) -> Res<Value> {
    let (a, b) = two_lists(args, "sets.equivalent")?;
    Ok(Value::Bool(
        b.iter().all(|x| a.contains(x)) && a.iter().all(|x| b.contains(x)),
    ))
}

fn sets_intersects_impl(args: &[Value]) -> Res<Value> {
    let (a, b) = two_lists(args, "sets.intersects")?;
    Ok(Value::Bool(a.iter().any(|x| b.contains(x))))
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

/// The order of two quantities or two semantic versions.
fn ordering(args: &[Value], f: &str) -> Res<Ordering> {
    if let Some(a) = args.first().and_then(semver::of) {
        let b = args
            .get(1)
            .and_then(semver::of)
            .ok_or_else(|| ExecutionError::function_error(f, "expected a semver"))?;
        return Ok(a.precedence(b));
    }
    Ok(q_arg(args, 0, f)?.cmp(&q_arg(args, 1, f)?))
}

fn is_greater_than_impl(args: &[Value]) -> Res<Value> {
    Ok(Value::Bool(
        ordering(args, "isGreaterThan")? == Ordering::Greater,
    ))
}

fn is_less_than_impl(args: &[Value]) -> Res<Value> {
    Ok(Value::Bool(ordering(args, "isLessThan")? == Ordering::Less))
}

fn compare_to_impl(args: &[Value]) -> Res<Value> {
    Ok(Value::Int(ordering(args, "compareTo")? as i64))
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
    fn url_library() {
        let t = Ok(Value::Bool(true));
        for expr in [
            "isURL('https://example.com/a') && isURL('/just/a/path') && !isURL('example.com') && !isURL('')",
            "url('https://user@Example.com:8443/a%20b?x=1&x=2&y').getScheme() == 'https'",
            "url('https://example.com:8443/p').getHost() == 'example.com:8443'",
            "url('https://[::1]:8443/p').getHostname() == '::1' && url('https://[::1]:8443/p').getPort() == '8443'",
            "url('https://example.com').getPort() == '' && url('https://example.com').getEscapedPath() == ''",
            "url('https://example.com/a%2Fb c').getEscapedPath() == '/a/b%20c'",
            "url('https://example.com/a%2Fb').getEscapedPath() == '/a%2Fb'",
            "url('https://x/?x=1&x=2&y').getQuery() == {'x': ['1', '2'], 'y': ['']}",
            "url('https://x/p#frag').getEscapedPath() == '/p'",
            "url('https://a/b') == url('https://a/b') && url('https://a/b') != url('https://a/c')",
        ] {
            assert_eq!(eval(expr), t, "{expr}");
        }
        let e = eval("url('not a url')").unwrap_err();
        assert!(e.contains("URL parse error during conversion from string: parse \"not a url\": invalid URI for request"), "{e}");
    }

    #[test]
    fn ip_and_cidr_libraries() {
        let t = Ok(Value::Bool(true));
        for expr in [
            "isIP('10.0.0.1') && isIP('2001:db8::1') && !isIP('10.0.0.256') && !isIP('010.0.0.1') && !isIP('::ffff:1.2.3.4')",
            "ip('10.0.0.1').family() == 4 && ip('::1').family() == 6",
            "ip.isCanonical('2001:db8::1') && !ip.isCanonical('2001:DB8::1') && !ip.isCanonical('2001:db8:0:0:0:0:0:1')",
            "ip('0.0.0.0').isUnspecified() && ip('::').isUnspecified() && !ip('10.0.0.1').isUnspecified()",
            "ip('127.1.2.3').isLoopback() && ip('::1').isLoopback() && !ip('10.0.0.1').isLoopback()",
            "ip('224.0.0.251').isLinkLocalMulticast() && ip('ff02::1').isLinkLocalMulticast() && !ip('224.0.1.1').isLinkLocalMulticast()",
            "ip('169.254.1.1').isLinkLocalUnicast() && ip('fe80::1').isLinkLocalUnicast() && !ip('fec0::1').isLinkLocalUnicast()",
            "ip('10.0.0.1').isGlobalUnicast() && ip('2001:db8::1').isGlobalUnicast() && !ip('255.255.255.255').isGlobalUnicast() && !ip('ff00::1').isGlobalUnicast()",
            "string(ip('2001:0db8::0001')) == '2001:db8::1' && ip('10.0.0.1') == ip('10.0.0.1')",
            "isCIDR('10.0.0.0/8') && !isCIDR('10.0.0.0/33') && !isCIDR('10.0.0.0') && isCIDR('2001:db8::/32')",
            "cidr('10.0.0.0/8').containsIP('10.1.2.3') && !cidr('10.0.0.0/8').containsIP(ip('11.0.0.1'))",
            "cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16') && !cidr('10.1.0.0/16').containsCIDR(cidr('10.0.0.0/8'))",
            "cidr('10.1.2.3/8').ip() == ip('10.1.2.3') && cidr('10.1.2.3/8').prefixLength() == 8",
            "string(cidr('10.1.2.3/8').masked()) == '10.0.0.0/8' && cidr('10.1.2.3/8').masked() == cidr('10.0.0.0/8')",
            "!cidr('10.0.0.0/8').containsIP('::1')",
        ] {
            assert_eq!(eval(expr), t, "{expr}");
        }
        let e = eval("ip('bad')").unwrap_err();
        assert!(
            e.contains("IP Address \"bad\" parse error during conversion from string"),
            "{e}"
        );
        assert!(eval("cidr('10.0.0.0/8').containsIP('x')").is_err());
    }

    #[test]
    fn semver_format_sets_and_time() {
        let t = Ok(Value::Bool(true));
        for expr in [
            "isSemver('1.2.3') && !isSemver('v1.2.3') && isSemver('v1.2', true) && !isSemver('1.2')",
            "semver('1.2.3-rc.1+b5').major() == 1 && semver('1.2.3').minor() == 2 && semver('1.2.3').patch() == 3",
            "semver('1.10.0').isGreaterThan(semver('1.9.9')) && semver('1.0.0-rc.1').isLessThan(semver('1.0.0'))",
            "semver('1.0.0+a').compareTo(semver('1.0.0+b')) == 0 && semver('2.0.0').compareTo(semver('1.0.0')) == 1",
            "semver('v01.2', true) == semver('1.2.0')",
            "quantity('2').isGreaterThan(quantity('1'))",
            "!format.dns1123Label().validate('my-name').hasValue()",
            "format.dns1123Label().validate('My_Name').value().size() == 1",
            "format.dns1123Subdomain().validate('a.b').orValue([]) == []",
            "format.named('labelValue').hasValue() && !format.named('nope').hasValue()",
            "format.named('qualifiedName').value().validate('x/y/z').hasValue()",
            "!format.uri().validate('https://x').hasValue() && format.uuid().validate('nope').hasValue()",
            "sets.contains([1, 2, 3], [2, 3]) && !sets.contains([1], [2]) && sets.equivalent([1, 2], [2, 1, 1])",
            "sets.intersects([1, 2], [2, 3]) && !sets.intersects([1], [])",
            "timestamp('2026-01-02T03:04:05Z').getHours() == 3 && timestamp('2026-01-02T00:00:00Z') > timestamp('2025-12-31T00:00:00Z')",
            "duration('1h30m') == duration('90m') && duration('1h').getMinutes() == 60",
            "timestamp('2026-01-02T00:00:00Z') + duration('24h') == timestamp('2026-01-03T00:00:00Z')",
        ] {
            assert_eq!(eval(expr), t, "{expr}");
        }
        let e = eval("semver('1.2')").unwrap_err();
        assert!(e.contains("No Major.Minor.Patch elements found"), "{e}");
    }

    #[test]
    fn the_environment_builds_with_every_library() {
        // `env()` falls back to the bare standard library rather than fail a run; a declaration
        // that clashes (a macro the crate already has) must fail here instead.
        assert!(build().is_ok(), "{:?}", build().err());
    }

    #[test]
    fn undeclared_is_what_the_api_server_does_not_know() {
        assert_eq!(undeclared(["isURL", "ip", "format.dns1123Label"]), None);
        assert_eq!(undeclared(["transformList", "size"]), None);
        assert_eq!(undeclared(["isIPv4", "size"]), Some("isIPv4"));
        assert_eq!(unsupported(["transformList", "sortBy"]), None);
        assert_eq!(
            unsupported(["jsonpatch.escapeKey"]),
            Some("jsonpatch.escapeKey")
        );
        assert_eq!(undeclared(["format.nope"]), Some("format.nope"));
        assert_eq!(too_new(["reverse"], 33), Some(("reverse", 34)));
        assert_eq!(too_new(["isIP", "size"], 29), Some(("isIP", 30)));
        assert_eq!(
            too_new(["isIP", "format.uri", "semver"], 31),
            Some(("semver", 33))
        );
        assert_eq!(too_new(["isIP", "url", "quantity"], 30), None);
        assert_eq!(introduced("format.dns1123Label"), 31);
    }

    #[test]
    fn unsupported_names_the_missing_function() {
        assert_eq!(unsupported(["_==_", "size", "@in", "!_"]), None);
        assert_eq!(unsupported(["isURL", "size", "ip"]), None);
        assert_eq!(
            unsupported(["isURL", "authorizer", "ip"]),
            Some("authorizer")
        );
    }
}
