//! An `alertmanager.yml` in the repository, checked as Alertmanager 0.25 loads it (issue 15,
//! item 6): unknown fields are errors (Alertmanager unmarshals strictly), routes name receivers
//! and time intervals that exist, matchers and regexes parse, durations are Prometheus
//! durations, and the integrations have what they need (a webhook URL, a PagerDuty key, the
//! Slack URL, OpsGenie key or SMTP settings inline or in `global`). Then the synthetic alerts of
//! `alerts/*.json` are routed through the tree (`crate::routes`): none may reach a paging receiver
//! (named in the spec's `verify.pagingReceivers`, or one with `pagerduty_configs` or
//! `opsgenie_configs`) unless another synthetic alert inhibits it, so a lapsed silence pages no one.
//!
//! Pure: texts in, diagnostics out; `wiring.rs` finds the files.
//!
//! # Caveats
//! The fields inside `http_config`, `tls_config` and the integrations other than webhook,
//! PagerDuty, OpsGenie, Slack and email are not checked; templates are not rendered.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::value::Value;

use super::alertmanager_fields as fields;
use super::diagnostic::{Diagnostic, Span};
use crate::routes::{self, Matcher, Op, Route};
use crate::yaml::{Locations, Pos};

/// The top-level keys of an Alertmanager configuration.
pub(super) const CONFIG: &[&str] = &[
    "global",
    "route",
    "inhibit_rules",
    "receivers",
    "templates",
    "mute_time_intervals",
    "time_intervals",
];
const GLOBAL: &[&str] = &[
    "resolve_timeout",
    "http_config",
    "smtp_from",
    "smtp_hello",
    "smtp_smarthost",
    "smtp_auth_username",
    "smtp_auth_password",
    "smtp_auth_password_file",
    "smtp_auth_secret",
    "smtp_auth_identity",
    "smtp_require_tls",
    "slack_api_url",
    "slack_api_url_file",
    "pagerduty_url",
    "opsgenie_api_url",
    "opsgenie_api_key",
    "opsgenie_api_key_file",
    "wechat_api_url",
    "wechat_api_secret",
    "wechat_api_corp_id",
    "victorops_api_url",
    "victorops_api_key",
    "victorops_api_key_file",
    "telegram_api_url",
    "webex_api_url",
];
const ROUTE: &[&str] = &[
    "receiver",
    "group_by",
    "match",
    "match_re",
    "matchers",
    "mute_time_intervals",
    "active_time_intervals",
    "continue",
    "routes",
    "group_wait",
    "group_interval",
    "repeat_interval",
];
const INHIBIT: &[&str] = &[
    "source_match",
    "source_match_re",
    "source_matchers",
    "target_match",
    "target_match_re",
    "target_matchers",
    "equal",
];
const RECEIVER: &[&str] = &[
    "name",
    "discord_configs",
    "email_configs",
    "pagerduty_configs",
    "slack_configs",
    "webhook_configs",
    "opsgenie_configs",
    "wechat_configs",
    "pushover_configs",
    "victorops_configs",
    "sns_configs",
    "telegram_configs",
    "webex_configs",
];
const TIME_INTERVAL: &[&str] = &["name", "time_intervals"];
/// Integrations whose fields are checked, with their fields.
const INTEGRATIONS: &[(&str, &[&str])] = &[
    (
        "webhook_configs",
        // `url_file` came with Alertmanager 0.26; 0.25 refuses it.
        &["send_resolved", "http_config", "url", "max_alerts"],
    ),
    (
        "pagerduty_configs",
        &[
            "send_resolved",
            "http_config",
            "service_key",
            "service_key_file",
            "routing_key",
            "routing_key_file",
            "url",
            "client",
            "client_url",
            "description",
            "details",
            "images",
            "links",
            "source",
            "severity",
            "class",
            "component",
            "group",
        ],
    ),
    (
        "opsgenie_configs",
        &[
            "send_resolved",
            "http_config",
            "api_key",
            "api_key_file",
            "api_url",
            "message",
            "description",
            "source",
            "details",
            "entity",
            "responders",
            "actions",
            "tags",
            "note",
            "priority",
            "update_alerts",
        ],
    ),
    (
        "slack_configs",
        &[
            "send_resolved",
            "http_config",
            "api_url",
            "api_url_file",
            "channel",
            "username",
            "color",
            "title",
            "title_link",
            "pretext",
            "text",
            "fields",
            "short_fields",
            "footer",
            "fallback",
            "callback_id",
            "icon_emoji",
            "icon_url",
            "image_url",
            "thumb_url",
            "link_names",
            "mrkdwn_in",
            "actions",
        ],
    ),
    (
        "email_configs",
        &[
            "send_resolved",
            "to",
            "from",
            "hello",
            "smarthost",
            "auth_username",
            "auth_password",
            "auth_password_file",
            "auth_secret",
            "auth_identity",
            "headers",
            "html",
            "text",
            "require_tls",
            "tls_config",
        ],
    ),
];

/// The repository's Alertmanager configuration and what it is checked with.
pub struct AlertmanagerInput<'a> {
    /// The config file as shown in findings.
    pub file: &'a Path,
    /// Its text.
    pub text: &'a str,
    /// The synthetic alert payloads (`alerts/*.json`): file as shown, text.
    pub alerts: &'a [(PathBuf, String)],
    /// Receivers the spec says page.
    pub paging: &'a [String],
}

struct Out<'a> {
    file: &'a Path,
    lines: Vec<&'a str>,
    locations: &'a Locations,
    diagnostics: Vec<Diagnostic>,
}

impl Out<'_> {
    fn error(&mut self, pointer: &str, key: bool, message: String) {
        let pos = if key {
            self.locations.key(pointer)
        } else {
            self.locations.node(pointer)
        }
        .or_else(|| self.locations.nearest(pointer));
        self.error_at(pos, message);
    }

    fn error_at(&mut self, pos: Option<Pos>, message: String) {
        let d = Diagnostic::error("alertmanager-config", message)
            .at(span(self.file, pos, &self.lines, "Alertmanager config"))
            .help("Alertmanager refuses to load this config (`amtool check-config` says the same)");
        self.diagnostics.push(d);
    }
}

fn span(file: &Path, pos: Option<Pos>, lines: &[&str], label: &str) -> Span {
    let (line, col) = pos.map_or((0, 0), |p| (p.line, p.col));
    Span {
        file: file.to_path_buf(),
        line,
        col,
        label: label.to_string(),
        caret: 0,
        source_line: line
            .checked_sub(1)
            .and_then(|l| lines.get(l))
            .map(|s| s.to_string()),
    }
}

/// Unknown keys of the mapping at `pointer` (`what` names the type in messages).
fn known(out: &mut Out<'_>, v: &Value, pointer: &str, what: &str, fields: &[&str]) {
    let Some(map) = v.as_object() else {
        if !v.is_null() {
            out.error(pointer, false, format!("{what} is not a mapping"));
        }
        return;
    };
    for k in map.keys() {
        if !fields.contains(&k.as_str()) {
            out.error(
                &crate::finding::pointer_push(pointer, k),
                true,
                format!("unknown field `{k}` in {what}"),
            );
        }
    }
}

/// A Prometheus duration (`30s`, `1h30m`, `0`): units y w d h m s ms in that order, each once.
pub fn is_duration(s: &str) -> bool {
    if s == "0" {
        return true;
    }
    let units = ["y", "w", "d", "h", "m", "s", "ms"];
    let mut rest = s;
    let mut next = 0;
    let mut any = false;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        // "ms" before "m", so try the longest unit first among those still allowed.
        let Some((i, u)) = units
            .iter()
            .enumerate()
            .skip(next)
            .filter(|(_, u)| rest.starts_with(**u))
            .max_by_key(|(_, u)| u.len())
        else {
            return false;
        };
        rest = &rest[u.len()..];
        next = i + 1;
        any = true;
    }
    any
}

fn durations(out: &mut Out<'_>, v: &Value, pointer: &str, what: &str, keys: &[&str]) {
    for k in keys {
        match v.get(*k) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if is_duration(s) => {
                let zero = s.chars().filter(char::is_ascii_digit).all(|c| c == '0');
                if zero && matches!(*k, "group_interval" | "repeat_interval") {
                    out.error(
                        &format!("{pointer}/{k}"),
                        false,
                        format!("{what}.{k} cannot be zero"),
                    );
                }
            }
            Some(other) => out.error(
                &format!("{pointer}/{k}"),
                false,
                format!(
                    "{what}.{k}: not a valid duration {}",
                    other
                        .as_str()
                        .map_or(other.to_string(), |s| format!("{s:?}"))
                ),
            ),
        }
    }
}

fn non_empty_str(v: &Value, key: &str) -> bool {
    v.get(key)
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty())
}

fn check_url(out: &mut Out<'_>, pointer: &str, what: &str, url: &str) {
    let scheme_ok = url
        .split_once("://")
        .is_some_and(|(s, rest)| matches!(s, "http" | "https") && !rest.is_empty());
    if !scheme_ok {
        out.error(
            pointer,
            false,
            format!("{what}: {url:?} is not an http(s) URL"),
        );
    }
}

/// What an integration lacks that Alertmanager requires (inline, or in `global` where it has a
/// default there).
fn missing(kind: &str, c: &Value, global: &Value) -> Vec<String> {
    let any = |keys: &[&str], v: &Value| keys.iter().any(|k| non_empty_str(v, k));
    let mut out = Vec::new();
    match kind {
        "webhook_configs" if !any(&["url"], c) => {
            out.push("missing URL in webhook config".to_string());
        }
        "pagerduty_configs"
            if !any(
                &[
                    "routing_key",
                    "routing_key_file",
                    "service_key",
                    "service_key_file",
                ],
                c,
            ) =>
        {
            out.push("missing service or routing key in PagerDuty config".to_string());
        }
        "opsgenie_configs"
            if !any(&["api_key", "api_key_file"], c)
                && !any(&["opsgenie_api_key", "opsgenie_api_key_file"], global) =>
        {
            out.push("no OpsGenie API key, inline or in global (opsgenie_api_key)".to_string());
        }
        "slack_configs"
            if !any(&["api_url", "api_url_file"], c)
                && !any(&["slack_api_url", "slack_api_url_file"], global) =>
        {
            out.push("no Slack API URL, inline or in global (slack_api_url)".to_string());
        }
        "email_configs" => {
            if !non_empty_str(c, "to") {
                out.push("missing `to` address".to_string());
            }
            for (k, g) in [("smarthost", "smtp_smarthost"), ("from", "smtp_from")] {
                if !non_empty_str(c, k) && !non_empty_str(global, g) {
                    out.push(format!("no SMTP {k}, inline or in global ({g})"));
                }
            }
        }
        _ => {}
    }
    out
}

impl Out<'_> {
    fn problems(&mut self, found: Vec<fields::Problem>) {
        for (pointer, key, message) in found {
            self.error(&pointer, key, message);
        }
    }
}

fn receivers(out: &mut Out<'_>, config: &Value, plain: &dyn Fn(&str) -> bool) {
    let global = config.get("global").cloned().unwrap_or(Value::Null);
    let Some(list) = config.get("receivers").and_then(Value::as_array) else {
        return;
    };
    for (i, r) in list.iter().enumerate() {
        let ptr = format!("/receivers/{i}");
        if r.is_object()
            && r.get("name")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        {
            out.error(&ptr, false, "missing name in receiver".into());
        }
        let name = r.get("name").and_then(Value::as_str).unwrap_or("?");
        known(out, r, &ptr, &format!("receiver {name:?}"), RECEIVER);
        // The integrations whose fields are known first, then the others.
        let kinds = INTEGRATIONS.iter().map(|(k, _)| k).chain(
            RECEIVER
                .iter()
                .filter(|k| k.ends_with("_configs") && !INTEGRATIONS.iter().any(|(i, _)| i == *k)),
        );
        for kind in kinds {
            let checked = INTEGRATIONS
                .iter()
                .find(|(k, _)| k == kind)
                .map(|(_, f)| *f);
            for (j, c) in super::practices::items(r, kind) {
                let p = format!("{ptr}/{kind}/{j}");
                out.problems(fields::integration(kind, c, &global, &p));
                out.problems(fields::scalar_types(c, &p, plain));
                if let Some(h) = c.get("http_config") {
                    out.problems(fields::http_config(h, &format!("{p}/http_config"), plain));
                }
                if let Some(t) = c.get("tls_config").filter(|_| *kind == "email_configs") {
                    out.problems(fields::tls_config(t, &format!("{p}/tls_config"), plain));
                }
                let Some(known_fields) = checked else {
                    continue;
                };
                let what = format!("receiver {name:?} {kind}[{j}]");
                known(out, c, &p, &what, known_fields);
                if *kind == "webhook_configs"
                    && let Some(u) = c.get("url").and_then(Value::as_str)
                {
                    check_url(out, &format!("{p}/url"), &what, u);
                }
                for problem in missing(kind, c, &global) {
                    out.error(&p, false, format!("{what}: {problem}"));
                }
            }
        }
    }
}

fn route_fields(out: &mut Out<'_>, v: &Value, pointer: &str, path: &str, intervals: &[String]) {
    known(out, v, pointer, path, ROUTE);
    let group_by: Vec<&str> = v
        .get("group_by")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if group_by.contains(&"...") && group_by.len() > 1 {
        out.error(
            &format!("{pointer}/group_by"),
            false,
            format!("{path}: cannot have wildcard group_by (`...`) and other other labels at the same time"),
        );
    }
    for (i, l) in group_by.iter().enumerate() {
        let valid = *l == "..."
            || l.chars()
                .enumerate()
                .all(|(j, c)| c == '_' || c.is_ascii_alphabetic() || (j > 0 && c.is_ascii_digit()))
                && !l.is_empty();
        if !valid {
            out.error(
                &format!("{pointer}/group_by/{i}"),
                false,
                format!("{path}: invalid label name {l:?} in group_by list"),
            );
        } else if group_by[..i].contains(l) && *l != "..." {
            out.error(
                &format!("{pointer}/group_by/{i}"),
                false,
                format!("{path}: duplicated label {l:?} in group_by"),
            );
        }
    }
    durations(
        out,
        v,
        pointer,
        path,
        &["group_wait", "group_interval", "repeat_interval"],
    );
    for key in ["mute_time_intervals", "active_time_intervals"] {
        for (i, n) in v
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(n) = n.as_str()
                && !intervals.iter().any(|x| x == n)
            {
                out.error(
                    &format!("{pointer}/{key}/{i}"),
                    false,
                    format!("undefined time interval {n:?} used in {path}"),
                );
            }
        }
    }
    for (i, c) in v
        .get("routes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        route_fields(
            out,
            c,
            &format!("{pointer}/routes/{i}"),
            &format!("{path}.routes[{i}]"),
            intervals,
        );
    }
}

/// One inhibition rule, parsed.
#[derive(Debug, Clone)]
pub struct Inhibition {
    pub source: Vec<Matcher>,
    pub target: Vec<Matcher>,
    pub equal: Vec<String>,
}

fn side(out: &mut Out<'_>, rule: &Value, pointer: &str, prefix: &str) -> Option<Vec<Matcher>> {
    let mut ms = Vec::new();
    let mut ok = true;
    for (key, op) in [("match", Op::Equal), ("match_re", Op::Regex)] {
        let k = format!("{prefix}_{key}");
        for (name, value) in rule
            .get(&k)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let value = value.as_str().map_or(value.to_string(), str::to_string);
            match Matcher::new(name, op, &value) {
                Ok(m) => ms.push(m),
                Err(e) => {
                    out.error(&format!("{pointer}/{k}/{name}"), false, e);
                    ok = false;
                }
            }
        }
    }
    let k = format!("{prefix}_matchers");
    for (i, m) in rule
        .get(&k)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        match m.as_str().map(routes::parse_matcher) {
            Some(Ok(m)) => ms.push(m),
            Some(Err(e)) => {
                out.error(&format!("{pointer}/{k}/{i}"), false, e);
                ok = false;
            }
            None => {
                out.error(
                    &format!("{pointer}/{k}/{i}"),
                    false,
                    format!("{k}[{i}] is not a string"),
                );
                ok = false;
            }
        }
    }
    ok.then_some(ms)
}

fn inhibitions(out: &mut Out<'_>, config: &Value) -> Vec<Inhibition> {
    let mut rules = Vec::new();
    for (i, r) in config
        .get("inhibit_rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let ptr = format!("/inhibit_rules/{i}");
        known(out, r, &ptr, &format!("inhibit_rules[{i}]"), INHIBIT);
        let (Some(source), Some(target)) =
            (side(out, r, &ptr, "source"), side(out, r, &ptr, "target"))
        else {
            continue;
        };
        let equal = r
            .get("equal")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        rules.push(Inhibition {
            source,
            target,
            equal,
        });
    }
    rules
}

/// True when Alertmanager's inhibitor mutes `target` given the `firing` alerts: a rule whose
/// target side it matches has a firing source alert (not itself) equal on the `equal` labels; when
/// the alert matches both sides, sources matching both sides do not count (Alertmanager's guard
/// against alerts inhibiting each other).
pub fn inhibited(
    rules: &[Inhibition],
    target: &BTreeMap<String, String>,
    firing: &[BTreeMap<String, String>],
) -> bool {
    let all = |ms: &[Matcher], l: &BTreeMap<String, String>| ms.iter().all(|m| m.matches(l));
    let get = |l: &BTreeMap<String, String>, k: &str| l.get(k).cloned().unwrap_or_default();
    rules.iter().any(|r| {
        if !all(&r.target, target) {
            return false;
        }
        let two_sided = all(&r.source, target);
        firing.iter().any(|s| {
            s != target
                && all(&r.source, s)
                && r.equal.iter().all(|k| get(s, k) == get(target, k))
                && !(two_sided && all(&r.target, s))
        })
    })
}

/// Every finding for the repository's Alertmanager configuration.
pub fn check(input: &AlertmanagerInput<'_>) -> Vec<Diagnostic> {
    let file_shown = input.file.display().to_string();
    let lines: Vec<&str> = input.text.lines().collect();
    let doc = match crate::yaml::parse_document(input.text) {
        Ok(d) => d,
        Err(e) => {
            return vec![
                Diagnostic::error("alertmanager-config", format!("not YAML: {e}")).at(span(
                    input.file,
                    None,
                    &lines,
                    "Alertmanager config",
                )),
            ];
        }
    };
    let mut out = Out {
        file: input.file,
        lines,
        locations: &doc.locations,
        diagnostics: Vec::new(),
    };
    let v = &doc.value;
    known(&mut out, v, "", "the config", CONFIG);
    known(
        &mut out,
        v.get("global").unwrap_or(&Value::Null),
        "/global",
        "global",
        GLOBAL,
    );
    // go-yaml v2 reads a plain `yes` as a boolean: which flags are written plain.
    let text_lines: Vec<&str> = input.text.lines().collect();
    let plain = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .is_some_and(|w| super::yaml11::is_plain_at(&doc.locations, p, w, &text_lines))
    };
    if let Some(g) = v.get("global") {
        durations(&mut out, g, "/global", "global", &["resolve_timeout"]);
        if let Some(h) = g.get("http_config") {
            out.problems(fields::http_config(h, "/global/http_config", &plain));
        }
        out.problems(fields::scalar_types(g, "/global", &plain));
    }
    if v.pointer("/route/continue") == Some(&Value::Bool(true)) {
        out.error(
            "/route/continue",
            true,
            "cannot have continue in root route".into(),
        );
    }
    let mut intervals = Vec::new();
    for key in ["mute_time_intervals", "time_intervals"] {
        for (i, t) in v
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            known(
                &mut out,
                t,
                &format!("/{key}/{i}"),
                &format!("{key}[{i}]"),
                TIME_INTERVAL,
            );
            if let Some(n) = t.get("name").and_then(Value::as_str) {
                intervals.push(n.to_string());
            }
            if let Some(list) = t.get("time_intervals") {
                out.problems(fields::time_ranges(
                    list,
                    &format!("/{key}/{i}/time_intervals"),
                ));
            }
        }
    }
    if let Some(route) = v.get("route") {
        route_fields(&mut out, route, "/route", "route", &intervals);
    }
    receivers(&mut out, v, &plain);
    let rules = inhibitions(&mut out, v);
    let config = match routes::parse_config(&file_shown, input.text) {
        Ok(c) => c,
        Err(e) => {
            out.error_at(e.pos, e.message);
            return out.diagnostics;
        }
    };
    let mut all: Vec<&Route> = Vec::new();
    let mut stack = vec![&config.root];
    while let Some(r) = stack.pop() {
        all.push(r);
        stack.extend(r.routes.iter().rev());
    }
    for r in &all {
        if !config.receivers.contains(&r.receiver) {
            out.error(
                &format!("{}/receiver", r.pointer),
                false,
                format!("{} uses undefined receiver {:?}", r.path, r.receiver),
            );
        }
    }
    if !out.diagnostics.is_empty() {
        return out.diagnostics;
    }
    paging(&mut out, input, v, &config, &rules);
    out.diagnostics
}

/// The receivers that page: named by the spec, or with PagerDuty or OpsGenie integrations.
pub fn paging_receivers(config: &Value, named: &[String]) -> Vec<String> {
    config
        .get("receivers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let name = r.get("name").and_then(Value::as_str)?;
            let integrated = ["pagerduty_configs", "opsgenie_configs"].iter().any(|k| {
                r.get(*k)
                    .and_then(Value::as_array)
                    .is_some_and(|a| !a.is_empty())
            });
            (integrated || named.iter().any(|n| n == name)).then(|| name.to_string())
        })
        .collect()
}

/// One synthetic alert, where it was read.
struct SyntheticAlert<'a> {
    file: &'a Path,
    index: usize,
    labels: BTreeMap<String, String>,
    pos: Option<Pos>,
    lines: Vec<&'a str>,
}

fn paging(
    out: &mut Out<'_>,
    input: &AlertmanagerInput<'_>,
    v: &Value,
    config: &routes::Config,
    rules: &[Inhibition],
) {
    let pagers = paging_receivers(v, input.paging);
    for n in input.paging {
        if !config.receivers.contains(n) {
            out.diagnostics.push(
                Diagnostic::error(
                    "alertmanager-config",
                    format!(
                        "verify.pagingReceivers names {n:?}, which {} does not define",
                        input.file.display()
                    ),
                )
                .help("fix the name in rollout.yaml or define the receiver"),
            );
        }
    }
    let mut alerts: Vec<SyntheticAlert<'_>> = Vec::new();
    for (file, text) in input.alerts {
        let Ok(sets) = routes::alert_labels(&file.display().to_string(), text) else {
            continue; // verify reports a bad payload on the file itself.
        };
        let locations = crate::yaml::parse_document(text).map(|d| d.locations).ok();
        for (i, labels) in sets.into_iter().enumerate() {
            let pos = locations
                .as_ref()
                .and_then(|l| l.node(&format!("/{i}/labels")));
            alerts.push(SyntheticAlert {
                file: file.as_path(),
                index: i,
                labels,
                pos,
                lines: text.lines().collect(),
            });
        }
    }
    let firing: Vec<BTreeMap<String, String>> = alerts.iter().map(|a| a.labels.clone()).collect();
    for a in &alerts {
        let labels = &a.labels;
        let reached: Vec<&Route> = config.root.matching(labels);
        let paged: Vec<&&Route> = reached
            .iter()
            .filter(|r| pagers.contains(&r.receiver))
            .collect();
        if paged.is_empty() || inhibited(rules, labels, &firing) {
            continue;
        }
        let name = labels
            .get("alertname")
            .map_or("(no alertname)", String::as_str);
        let via: Vec<String> = paged
            .iter()
            .map(|r| format!("{:?} ({})", r.receiver, r.path))
            .collect();
        out.diagnostics.push(
            Diagnostic::error(
                "alert-reaches-pager",
                format!(
                    "synthetic alert {name} reaches paging receiver {} of {}: only its silence keeps it from paging",
                    via.join(", "),
                    input.file.display()
                ),
            )
            .at(span(a.file, a.pos, &a.lines, &format!("alert [{}]", a.index)))
            .help("route synthetic=\"true\" alerts to a non-paging receiver first (a route with `continue: false`), or inhibit them"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(config: &str, alerts: &[(&str, &str)], paging: &[&str]) -> Vec<String> {
        let alerts: Vec<(PathBuf, String)> = alerts
            .iter()
            .map(|(f, t)| (PathBuf::from(f), t.to_string()))
            .collect();
        let paging: Vec<String> = paging.iter().map(|s| s.to_string()).collect();
        check(&AlertmanagerInput {
            file: Path::new("alertmanager.yml"),
            text: config,
            alerts: &alerts,
            paging: &paging,
        })
        .into_iter()
        .map(|d| {
            let at = d.span.as_ref().map(|s| s.describe()).unwrap_or_default();
            format!("{at}: {}: {}", d.code, d.message)
        })
        .collect()
    }

    #[test]
    fn durations_as_prometheus_parses_them() {
        for ok in ["0", "30s", "1h30m", "5m", "100ms", "1y2w3d4h5m6s7ms", "0s"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["", "1x", "s", "5", "1m1h", "1.5h", "-1s", "1s1s"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn unknown_fields_and_missing_pieces_are_named_at_their_line() {
        let got = run(
            "route:\n  receiver: a\n  group_wait: 1x\n  bogus: 1\nreceivers:\n  - name: a\n    webhook_configs: [{url: 'http://x', extra: 1}]\n    pagerduty_configs: [{}]\n",
            &[],
            &[],
        );
        assert_eq!(
            got,
            [
                "alertmanager.yml:4:3: alertmanager-config: unknown field `bogus` in route",
                "alertmanager.yml:3:15: alertmanager-config: route.group_wait: not a valid duration \"1x\"",
                "alertmanager.yml:7:41: alertmanager-config: unknown field `extra` in receiver \"a\" webhook_configs[0]",
                "alertmanager.yml:8:25: alertmanager-config: receiver \"a\" pagerduty_configs[0]: missing service or routing key in PagerDuty config",
            ]
        );
    }

    #[test]
    fn undefined_receivers_and_time_intervals() {
        let got = run(
            "route:\n  receiver: a\n  routes:\n    - receiver: ghost\n      mute_time_intervals: [nope]\nreceivers: [{name: a}]\n",
            &[],
            &[],
        );
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got[0].contains("undefined time interval \"nope\" used in route.routes[0]"),
            "{got:?}"
        );
        assert!(
            got[1].ends_with("route.routes[0] uses undefined receiver \"ghost\""),
            "{got:?}"
        );
    }

    const ALERTS: &str = r#"[
  {"labels": {"alertname": "EmbedderErrors", "severity": "critical", "synthetic": "true", "service": "embedder"}},
  {"labels": {"alertname": "EmbedderDown", "severity": "warning", "synthetic": "true", "service": "embedder"}}
]"#;

    #[test]
    fn synthetic_alerts_reaching_a_pager_unless_inhibited() {
        let config = "route:\n  receiver: slack\n  routes:\n    - matchers: [severity=\"critical\"]\n      receiver: pager\nreceivers:\n  - name: slack\n  - name: pager\n    pagerduty_configs: [{routing_key: k}]\n";
        let got = run(config, &[("alerts/embedder.json", ALERTS)], &[]);
        assert_eq!(
            got,
            [
                "alerts/embedder.json:2:14: alert-reaches-pager: synthetic alert EmbedderErrors reaches paging receiver \"pager\" (route.routes[0]) of alertmanager.yml: only its silence keeps it from paging"
            ]
        );
        // The spec can name a pager without an integration.
        let got = run(config, &[("alerts/embedder.json", ALERTS)], &["slack"]);
        assert_eq!(got.len(), 2, "{got:?}");
        // A synthetic route first: no finding.
        let routed = config.replace(
            "  routes:\n",
            "  routes:\n    - matchers: [synthetic=\"true\"]\n      receiver: slack\n",
        );
        assert!(run(&routed, &[("alerts/embedder.json", ALERTS)], &[]).is_empty());
        // Inhibited by the other synthetic alert, equal on service.
        let inhibit = format!(
            "{config}inhibit_rules:\n  - source_matchers: [alertname=\"EmbedderDown\"]\n    target_matchers: [severity=\"critical\"]\n    equal: [service]\n"
        );
        assert!(run(&inhibit, &[("alerts/embedder.json", ALERTS)], &[]).is_empty());
        let unequal = inhibit.replace("equal: [service]", "equal: [team, severity]");
        assert_eq!(
            run(&unequal, &[("alerts/embedder.json", ALERTS)], &[]).len(),
            1
        );
    }

    #[test]
    fn an_alert_matching_both_sides_is_not_inhibited_by_another_such_alert() {
        let rules = vec![Inhibition {
            source: vec![routes::parse_matcher("synthetic=\"true\"").unwrap()],
            target: vec![routes::parse_matcher("synthetic=\"true\"").unwrap()],
            equal: vec![],
        }];
        let a: BTreeMap<String, String> = [
            ("synthetic".into(), "true".into()),
            ("x".into(), "1".into()),
        ]
        .into();
        let b: BTreeMap<String, String> = [
            ("synthetic".into(), "true".into()),
            ("x".into(), "2".into()),
        ]
        .into();
        assert!(!inhibited(&rules, &a, &[a.clone(), b.clone()]));
    }
}
