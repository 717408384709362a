//! Alertmanager's routing tree, offline: which receivers an alert reaches (`rollout alerts routes`).
//!
//! Owns reading the `route:` tree and `receivers:` of an `alertmanager.yml` (matchers in every form:
//! `matchers: ['a="b"', 'c=~"x.*"', 'd!=e', 'f!~"g"']`, legacy `match` / `match_re`; `continue`,
//! nested `routes`, `receiver` and `group_by` inherited from the parent) and walking it the way
//! Alertmanager's `dispatch.Route.Match` does: a route that matches tries its children in order, stops
//! at the first matching child without `continue`, and is itself the result when no child matched.
//! Regexes are anchored (`^(?:…)$`) and a missing label is the empty string. Does no I/O.

use std::collections::BTreeMap;

use crate::value::Value;
use serde::Serialize;

use crate::yaml::{self, Locations};

/// A config that cannot be used: one line, `file:line:col` where known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", .pos.map(|p| format!(":{p}")).unwrap_or_default())]
pub struct ConfigError {
    pub file: String,
    pub pos: Option<yaml::Pos>,
    pub message: String,
}

/// A matcher's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = "=")]
    Equal,
    #[serde(rename = "!=")]
    NotEqual,
    #[serde(rename = "=~")]
    Regex,
    #[serde(rename = "!~")]
    NotRegex,
}

/// One label matcher.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub name: String,
    pub op: Op,
    pub value: String,
    re: Option<regex::Regex>,
}

impl Matcher {
    /// A matcher; regex operators compile `value` anchored, as Alertmanager does.
    ///
    /// # Errors
    /// An invalid regex.
    pub fn new(name: &str, op: Op, value: &str) -> Result<Self, String> {
        let re = match op {
            Op::Regex | Op::NotRegex => {
                Some(regex::Regex::new(&format!("^(?:{value})$")).map_err(|e| {
                    format!(
                        "invalid regex {value:?} for label {name:?}: {}",
                        first_line(&e.to_string())
                    )
                })?)
            }
            _ => None,
        };
        Ok(Matcher {
            name: name.to_string(),
            op,
            value: value.to_string(),
            re,
        })
    }

    /// Whether the label set matches (a missing label is `""`).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let v = labels.get(&self.name).map_or("", String::as_str);
        match (self.op, &self.re) {
            (Op::Equal, _) => v == self.value,
            (Op::NotEqual, _) => v != self.value,
            (Op::Regex, Some(re)) => re.is_match(v),
            (Op::NotRegex, Some(re)) => !re.is_match(v),
            _ => false,
        }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = match self.op {
            Op::Equal => "=",
            Op::NotEqual => "!=",
            Op::Regex => "=~",
            Op::NotRegex => "!~",
        };
        write!(f, "{}{op}{:?}", self.name, self.value)
    }
}

fn first_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses one `matchers:` entry: `name OP value`, the value bare or double-quoted (Alertmanager's
/// `labels.ParseMatcher`).
///
/// # Errors
/// Not of that shape, a bad label name or quoting, or an invalid regex.
pub fn parse_matcher(s: &str) -> Result<Matcher, String> {
    let t = s.trim();
    let t = t
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(t)
        .trim();
    let name_end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(t.len());
    let name = &t[..name_end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "bad matcher {s:?}: expected name=value, name!=value, name=~regex or name!~regex"
        ));
    }
    let rest = t[name_end..].trim_start();
    let (op, rest) = if let Some(r) = rest.strip_prefix("=~") {
        (Op::Regex, r)
    } else if let Some(r) = rest.strip_prefix("!~") {
        (Op::NotRegex, r)
    } else if let Some(r) = rest.strip_prefix("!=") {
        (Op::NotEqual, r)
    } else if let Some(r) = rest.strip_prefix('=') {
        (Op::Equal, r)
    } else {
        return Err(format!(
            "bad matcher {s:?}: expected name=value, name!=value, name=~regex or name!~regex"
        ));
    };
    let raw = rest.trim();
    let value = if raw.starts_with('"') {
        match serde_json::from_str::<String>(raw) {
            Ok(v) => v,
            Err(_) => {
                return Err(format!(
                    "bad matcher {s:?}: the quoted value is not closed or has a bad escape"
                ));
            }
        }
    } else {
        raw.to_string()
    };
    Matcher::new(name, op, &value)
}

/// One node of the routing tree, with inherited options resolved.
#[derive(Debug, Clone)]
pub struct Route {
    /// `route`, `route.routes[0]`, …
    pub path: String,
    pub pointer: String,
    pub matchers: Vec<Matcher>,
    pub receiver: String,
    pub group_by: Vec<String>,
    pub continue_: bool,
    pub routes: Vec<Route>,
}

impl Route {
    /// Alertmanager's `Route.Match`: the routes an alert ends at, in order.
    pub fn matching<'a>(&'a self, labels: &BTreeMap<String, String>) -> Vec<&'a Route> {
        if !self.matchers.iter().all(|m| m.matches(labels)) {
            return Vec::new();
        }
        let mut all = Vec::new();
        for child in &self.routes {
            let m = child.matching(labels);
            let matched = !m.is_empty();
            all.extend(m);
            if matched && !child.continue_ {
                break;
            }
        }
        if all.is_empty() {
            all.push(self);
        }
        all
    }

    fn walk<'a>(&'a self, out: &mut Vec<&'a Route>) {
        out.push(self);
        for c in &self.routes {
            c.walk(out);
        }
    }
}

/// A parsed `alertmanager.yml`: the tree and the receivers it defines.
#[derive(Debug, Clone)]
pub struct Config {
    pub file: String,
    pub root: Route,
    pub receivers: Vec<String>,
    locations: Locations,
}

/// A route naming a receiver the config does not define.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownReceiver {
    /// `file:line:col: route.routes[1] uses undefined receiver "x"`.
    pub message: String,
}

impl Config {
    /// Routes whose receiver is not in `receivers:` (Alertmanager refuses to load such a config).
    pub fn unknown_receivers(&self) -> Vec<UnknownReceiver> {
        let mut all = Vec::new();
        self.root.walk(&mut all);
        all.iter()
            .filter(|r| !self.receivers.contains(&r.receiver))
            .map(|r| {
                let ptr = format!("{}/receiver", r.pointer);
                let pos = self
                    .locations
                    .node(&ptr)
                    .or_else(|| self.locations.nearest(&r.pointer));
                UnknownReceiver {
                    message: format!(
                        "{}{}: {} uses undefined receiver {:?}",
                        self.file,
                        pos.map(|p| format!(":{p}")).unwrap_or_default(),
                        r.path,
                        r.receiver
                    ),
                }
            })
            .collect()
    }
}

/// Parses the config text of `file`.
///
/// # Errors
/// Not YAML, no `route` or root receiver, a root route with matchers, a field of the wrong shape,
/// a bad matcher or regex, a receiver without a name or defined twice.
pub fn parse_config(file: &str, text: &str) -> Result<Config, ConfigError> {
    let doc = yaml::parse_document(text).map_err(|e| ConfigError {
        file: file.to_string(),
        pos: None,
        message: e.to_string(),
    })?;
    let locations = doc.locations;
    let err = |ptr: &str, message: String| ConfigError {
        file: file.to_string(),
        pos: locations.nearest(ptr),
        message,
    };
    let v = &doc.value;
    let mut receivers = Vec::new();
    for (i, r) in v
        .get("receivers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let ptr = format!("/receivers/{i}");
        let name = r
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| err(&ptr, "a receiver has no name".into()))?;
        if receivers.iter().any(|n| n == name) {
            return Err(err(&ptr, format!("receiver {name:?} is defined twice")));
        }
        receivers.push(name.to_string());
    }
    let route = v.get("route").filter(|r| r.is_object()).ok_or_else(|| {
        err(
            "",
            "no `route:` mapping: Alertmanager needs a root route".into(),
        )
    })?;
    if route.get("receiver").and_then(Value::as_str).is_none() {
        return Err(err("/route", "the root route has no receiver".into()));
    }
    if ["match", "match_re", "matchers"]
        .iter()
        .any(|k| route.get(*k).is_some_and(|m| !m.is_null()))
    {
        return Err(err(
            "/route",
            "the root route must not have any matchers".into(),
        ));
    }
    let root = build(route, "/route", "route", None, &err)?;
    Ok(Config {
        file: file.to_string(),
        root,
        receivers,
        locations,
    })
}

fn build(
    v: &Value,
    ptr: &str,
    path: &str,
    parent: Option<(&str, &[String])>,
    err: &dyn Fn(&str, String) -> ConfigError,
) -> Result<Route, ConfigError> {
    if !v.is_object() {
        return Err(err(ptr, format!("{path} is not a mapping")));
    }
    let mut matchers = Vec::new();
    for (key, op) in [("match", Op::Equal), ("match_re", Op::Regex)] {
        match v.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (name, value) in m {
                    let value = match value {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => {
                            return Err(err(
                                &format!("{ptr}/{key}/{name}"),
                                format!("{path}.{key}.{name} is not a string"),
                            ));
                        }
                    };
                    matchers.push(
                        Matcher::new(name, op, &value)
                            .map_err(|e| err(&format!("{ptr}/{key}/{name}"), e))?,
                    );
                }
            }
            Some(_) => {
                return Err(err(
                    &format!("{ptr}/{key}"),
                    format!("{path}.{key} is not a mapping"),
                ));
            }
        }
    }
    match v.get("matchers") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let p = format!("{ptr}/matchers/{i}");
                let s = item
                    .as_str()
                    .ok_or_else(|| err(&p, format!("{path}.matchers[{i}] is not a string")))?;
                matchers.push(parse_matcher(s).map_err(|e| err(&p, e))?);
            }
        }
        Some(_) => {
            return Err(err(
                &format!("{ptr}/matchers"),
                format!("{path}.matchers is not a list"),
            ));
        }
    }
    let receiver = match v.get("receiver") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        None | Some(Value::Null) => parent.map(|p| p.0.to_string()).unwrap_or_default(),
        Some(Value::String(_)) => parent.map(|p| p.0.to_string()).unwrap_or_default(),
        Some(_) => {
            return Err(err(
                &format!("{ptr}/receiver"),
                format!("{path}.receiver is not a string"),
            ));
        }
    };
    let group_by = match v.get("group_by") {
        None | Some(Value::Null) => parent.map(|p| p.1.to_vec()).unwrap_or_default(),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, x)| {
                x.as_str().map(str::to_string).ok_or_else(|| {
                    err(
                        &format!("{ptr}/group_by/{i}"),
                        format!("{path}.group_by[{i}] is not a string"),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(err(
                &format!("{ptr}/group_by"),
                format!("{path}.group_by is not a list"),
            ));
        }
    };
    let continue_ = match v.get("continue") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(err(
                &format!("{ptr}/continue"),
                format!("{path}.continue is not true or false"),
            ));
        }
    };
    let mut routes = Vec::new();
    match v.get("routes") {
        None | Some(Value::Null) => {}
        Some(Value::Array(children)) => {
            for (i, c) in children.iter().enumerate() {
                routes.push(build(
                    c,
                    &format!("{ptr}/routes/{i}"),
                    &format!("{path}.routes[{i}]"),
                    Some((&receiver, &group_by)),
                    err,
                )?);
            }
        }
        Some(_) => {
            return Err(err(
                &format!("{ptr}/routes"),
                format!("{path}.routes is not a list"),
            ));
        }
    }
    Ok(Route {
        path: path.to_string(),
        pointer: ptr.to_string(),
        matchers,
        receiver,
        group_by,
        continue_,
        routes,
    })
}

/// Where one alert goes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertRoute {
    /// The alert payload file it came from.
    pub file: String,
    pub labels: BTreeMap<String, String>,
    /// Receivers in Alertmanager's order (repeated when two routes name the same one, as amtool prints).
    pub receivers: Vec<String>,
    pub routes: Vec<MatchedRoute>,
}

/// One route an alert ends at.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchedRoute {
    /// `route.routes[0].routes[1]`.
    pub path: String,
    pub receiver: String,
    pub group_by: Vec<String>,
    /// The route's own matchers, as Alertmanager prints them.
    pub matchers: Vec<String>,
    #[serde(rename = "continue")]
    pub continue_: bool,
}

/// Routes each label set through the tree.
pub fn route_alerts(
    config: &Config,
    alerts: &[(String, BTreeMap<String, String>)],
) -> Vec<AlertRoute> {
    alerts
        .iter()
        .map(|(file, labels)| {
            let routes: Vec<MatchedRoute> = config
                .root
                .matching(labels)
                .into_iter()
                .map(|r| MatchedRoute {
                    path: r.path.clone(),
                    receiver: r.receiver.clone(),
                    group_by: r.group_by.clone(),
                    matchers: r.matchers.iter().map(ToString::to_string).collect(),
                    continue_: r.continue_,
                })
                .collect();
            AlertRoute {
                file: file.clone(),
                labels: labels.clone(),
                receivers: routes.iter().map(|r| r.receiver.clone()).collect(),
                routes,
            }
        })
        .collect()
}

/// The label sets of an alert payload file: an array of alerts (or one alert) with `labels`.
///
/// # Errors
/// Not JSON, or an alert without a string map `labels`.
pub fn alert_labels(file: &str, text: &str) -> Result<Vec<BTreeMap<String, String>>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("{file}: not JSON: {e}"))?;
    let items = match v {
        Value::Array(a) => a,
        other => vec![other],
    };
    items
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let labels = a
                .get("labels")
                .and_then(Value::as_object)
                .ok_or_else(|| format!("{file}: alert {i} has no labels map"))?;
            labels
                .iter()
                .map(|(k, v)| {
                    v.as_str()
                        .map(|s| (k.clone(), s.to_string()))
                        .ok_or_else(|| format!("{file}: alert {i}: label {k:?} is not a string"))
                })
                .collect()
        })
        .collect()
}

/// Text output: one line per alert, then the routes it ends at with their grouping.
pub fn render_text(routes: &[AlertRoute]) -> String {
    let mut out = String::new();
    for a in routes {
        let name = a
            .labels
            .get("alertname")
            .map_or("(no alertname)", String::as_str);
        out.push_str(&format!("{name} ({}): {}\n", a.file, a.receivers.join(",")));
        for r in &a.routes {
            out.push_str(&format!(
                "  {} {{{}}} receiver: {} group_by: [{}]{}\n",
                r.path,
                r.matchers.join(","),
                r.receiver,
                r.group_by.join(","),
                if r.continue_ { " continue: true" } else { "" }
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn matcher_forms() {
        let cases = [
            (r#"a="b""#, "a", Op::Equal, "b"),
            ("a=b", "a", Op::Equal, "b"),
            (r#" c =~ "x.*" "#, "c", Op::Regex, "x.*"),
            ("d!=e", "d", Op::NotEqual, "e"),
            (r#"f!~"g|h""#, "f", Op::NotRegex, "g|h"),
            (r#"q="a\"b""#, "q", Op::Equal, "a\"b"),
        ];
        for (s, n, op, v) in cases {
            let m = parse_matcher(s).unwrap();
            assert_eq!((m.name.as_str(), m.op, m.value.as_str()), (n, op, v), "{s}");
        }
        for bad in ["=b", "a", r#"a="b"#, "a=~(", "1a=b"] {
            assert!(parse_matcher(bad).is_err(), "{bad}");
        }
        let re = parse_matcher("s=~embed").unwrap();
        assert!(!re.matches(&labels(&[("s", "embedder")])), "anchored");
        assert!(
            parse_matcher("s!=x").unwrap().matches(&labels(&[])),
            "missing is empty"
        );
        assert!(parse_matcher(r#"s="""#).unwrap().matches(&labels(&[])));
    }

    #[test]
    fn config_errors_name_the_line() {
        let e = parse_config("am.yml", "route:\n  receiver: a\n  routes:\n    - matchers: ['x=~\"(\"']\nreceivers: [{name: a}]\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("am.yml:4:"), "{e}");
        assert!(e.contains("invalid regex"), "{e}");
        let e = parse_config("am.yml", "receivers: []\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no `route:`"), "{e}");
        let e = parse_config(
            "am.yml",
            "route:\n  receiver: a\n  match: {x: y}\nreceivers: [{name: a}]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("root route must not have any matchers"), "{e}");
        let c = parse_config(
            "am.yml",
            "route:\n  receiver: a\n  routes:\n    - receiver: nope\nreceivers: [{name: a}]\n",
        )
        .unwrap();
        let u = c.unknown_receivers();
        assert_eq!(u.len(), 1);
        assert_eq!(
            u[0].message,
            "am.yml:4:17: route.routes[0] uses undefined receiver \"nope\""
        );
    }
}
