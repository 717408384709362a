//! The parts of an Alertmanager 0.25 configuration below routes and receivers that Alertmanager
//! checks when it loads the file: `http_config` (Prometheus' HTTP client settings and their
//! exclusive options), `tls_config`, time intervals (weekdays, days of the month, months, years,
//! times), the integrations' required fields beyond the URL and keys (Telegram, Discord, Webex,
//! Pushover, VictorOps, SNS, WeChat, Slack actions and fields, OpsGenie responders), and the
//! scalar types of their flags (go-yaml v2: a plain `yes` is a boolean, a quoted one is not).
//!
//! Pure: a parsed value in, `(pointer, key?, message)` problems out; `alertmanager_config` places
//! them.

use crate::value::Value;

use super::practices::items as list;
use crate::finding::pointer_push;

/// One problem: the JSON pointer of the offending node, whether the key (not the value) is meant,
/// and Alertmanager's complaint.
pub type Problem = (String, bool, String);

const HTTP: &[&str] = &[
    "basic_auth",
    "authorization",
    "oauth2",
    "bearer_token",
    "bearer_token_file",
    "tls_config",
    "proxy_url",
    "proxy_connect_header",
    "follow_redirects",
    "enable_http2",
];
const BASIC_AUTH: &[&str] = &["username", "password", "password_file"];
const AUTHORIZATION: &[&str] = &["type", "credentials", "credentials_file"];
const OAUTH2: &[&str] = &[
    "client_id",
    "client_secret",
    "client_secret_file",
    "scopes",
    "token_url",
    "endpoint_params",
    "tls_config",
    "proxy_url",
];
const TLS: &[&str] = &[
    "ca_file",
    "cert_file",
    "key_file",
    "server_name",
    "insecure_skip_verify",
    "min_version",
    "max_version",
];
const TIME_RANGE: &[&str] = &[
    "times",
    "weekdays",
    "days_of_month",
    "months",
    "years",
    "location",
];
const WEEKDAYS: &[&str] = &[
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];
const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
/// Flags that must be booleans wherever they appear in an integration or `http_config`.
const BOOLS: &[&str] = &[
    "send_resolved",
    "require_tls",
    "smtp_require_tls",
    "insecure_skip_verify",
    "follow_redirects",
    "enable_http2",
    "update_alerts",
    "short_fields",
    "link_names",
    "disable_notifications",
];

fn set(v: &Value, key: &str) -> bool {
    match v.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

fn unknown(out: &mut Vec<Problem>, v: &Value, at: &str, what: &str, fields: &[&str]) {
    if let Some(m) = v.as_object() {
        for k in m.keys().filter(|k| !fields.contains(&k.as_str())) {
            out.push((
                pointer_push(at, k),
                true,
                format!("unknown field `{k}` in {what}"),
            ));
        }
    }
}

/// A YAML 1.1 boolean as go-yaml v2 reads a plain scalar (our reader keeps `yes` a string; the
/// caller says whether the scalar was plain).
fn is_bool(v: &Value, plain: &dyn Fn(&str) -> bool, at: &str) -> bool {
    match v {
        Value::Bool(_) => true,
        Value::String(s) => {
            matches!(
                s.as_str(),
                "y" | "Y"
                    | "yes"
                    | "Yes"
                    | "YES"
                    | "n"
                    | "N"
                    | "no"
                    | "No"
                    | "NO"
                    | "on"
                    | "On"
                    | "ON"
                    | "off"
                    | "Off"
                    | "OFF"
            ) && plain(at)
        }
        _ => false,
    }
}

/// Boolean flags and `max_alerts` of one integration (or `http_config`), by type.
pub fn scalar_types(v: &Value, at: &str, plain: &dyn Fn(&str) -> bool) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some(m) = v.as_object() else {
        return out;
    };
    for (k, x) in m {
        let p = pointer_push(at, k);
        if BOOLS.contains(&k.as_str()) && !x.is_null() && !is_bool(x, plain, &p) {
            out.push((
                p,
                false,
                format!("`{k}`: cannot unmarshal {} into bool", shown(x)),
            ));
        } else if k == "max_alerts" && !x.is_null() && x.as_u64().is_none() {
            out.push((
                p,
                false,
                format!("`{k}`: cannot unmarshal {} into uint64", shown(x)),
            ));
        }
    }
    out
}

fn shown(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(39).collect::<String>())
    } else {
        s
    }
}

/// An `http_config` as Prometheus' client library validates it.
pub fn http_config(v: &Value, at: &str, plain: &dyn Fn(&str) -> bool) -> Vec<Problem> {
    let mut out = Vec::new();
    if !v.is_object() {
        return out;
    }
    unknown(&mut out, v, at, "http_config", HTTP);
    out.extend(scalar_types(v, at, plain));
    let basic = v.get("basic_auth").filter(|b| !b.is_null());
    let authz = v.get("authorization").filter(|b| !b.is_null());
    let oauth2 = v.get("oauth2").filter(|b| !b.is_null());
    if let Some(b) = basic {
        unknown(
            &mut out,
            b,
            &pointer_push(at, "basic_auth"),
            "basic_auth",
            BASIC_AUTH,
        );
    }
    if let Some(a) = authz {
        unknown(
            &mut out,
            a,
            &pointer_push(at, "authorization"),
            "authorization",
            AUTHORIZATION,
        );
    }
    if let Some(o) = oauth2 {
        unknown(&mut out, o, &pointer_push(at, "oauth2"), "oauth2", OAUTH2);
        if let Some(t) = o.get("tls_config") {
            out.extend(tls_config(
                t,
                &pointer_push(&pointer_push(at, "oauth2"), "tls_config"),
                plain,
            ));
        }
    }
    if let Some(t) = v.get("tls_config") {
        out.extend(tls_config(t, &pointer_push(at, "tls_config"), plain));
    }
    let bearer = set(v, "bearer_token") || set(v, "bearer_token_file");
    let rule = if set(v, "bearer_token") && set(v, "bearer_token_file") {
        Some("at most one of bearer_token & bearer_token_file must be configured")
    } else if (basic.is_some() || oauth2.is_some()) && bearer {
        Some(
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
        )
    } else if basic.is_some_and(|b| set(b, "password") && set(b, "password_file")) {
        Some("at most one of basic_auth password & password_file must be configured")
    } else if let Some(a) = authz {
        let ty = a.get("type").and_then(Value::as_str).unwrap_or("").trim();
        if bearer {
            Some("authorization is not compatible with bearer_token & bearer_token_file")
        } else if set(a, "credentials") && set(a, "credentials_file") {
            Some("at most one of authorization credentials & credentials_file must be configured")
        } else if ty.eq_ignore_ascii_case("basic") {
            Some("authorization type cannot be set to \"basic\", use \"basic_auth\" instead")
        } else if basic.is_some() || oauth2.is_some() {
            Some("at most one of basic_auth, oauth2 & authorization must be configured")
        } else {
            None
        }
    } else if let Some(o) = oauth2 {
        if basic.is_some() {
            Some("at most one of basic_auth, oauth2 & authorization must be configured")
        } else if !set(o, "client_id") {
            Some("oauth2 client_id must be configured")
        } else if !set(o, "client_secret") && !set(o, "client_secret_file") {
            Some("either oauth2 client_secret or client_secret_file must be configured")
        } else if !set(o, "token_url") {
            Some("oauth2 token_url must be configured")
        } else if set(o, "client_secret") && set(o, "client_secret_file") {
            Some("at most one of oauth2 client_secret & client_secret_file must be configured")
        } else {
            None
        }
    } else {
        None
    };
    if let Some(r) = rule {
        out.push((at.to_string(), false, format!("http_config: {r}")));
    }
    out
}

/// A `tls_config`: known fields, flag types, TLS versions.
pub fn tls_config(v: &Value, at: &str, plain: &dyn Fn(&str) -> bool) -> Vec<Problem> {
    let mut out = Vec::new();
    unknown(&mut out, v, at, "tls_config", TLS);
    out.extend(scalar_types(v, at, plain));
    for k in ["min_version", "max_version"] {
        if let Some(s) = v.get(k).and_then(Value::as_str)
            && !matches!(s, "TLS10" | "TLS11" | "TLS12" | "TLS13")
        {
            out.push((
                pointer_push(at, k),
                false,
                format!("unknown TLS version: {s}"),
            ));
        }
    }
    out
}

/// `HH:MM` from `00:00` to `24:00`, in minutes.
fn minutes(s: &str) -> Option<u32> {
    if s == "24:00" {
        return Some(24 * 60);
    }
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit())) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One range of a time interval list (`monday:friday`, `-3:-1`, `2024`), checked as Alertmanager's
/// `timeinterval` package parses it.
fn range_problem(field: &str, raw: &str) -> Option<String> {
    let (a, b) = match raw.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (raw, None),
    };
    match field {
        "weekdays" => {
            let day = |s: &str| WEEKDAYS.iter().position(|d| *d == s.to_lowercase());
            let start = day(a).ok_or(format!("{a} is not a valid weekday"));
            let end = b.map(|b| day(b).ok_or(format!("{b} is not a valid weekday")));
            match (start, end) {
                (Err(e), _) | (_, Some(Err(e))) => Some(e),
                (Ok(s), Some(Ok(e))) if s > e => Some("start day cannot be before end day".into()),
                _ => None,
            }
        }
        "days_of_month" => {
            let day = |s: &str| -> Result<i64, String> {
                let n: i64 = s
                    .parse()
                    .map_err(|_| format!("{s} is not a valid day of the month"))?;
                if n == 0 || !(-31..=31).contains(&n) {
                    return Err(format!("{n} is not a valid day of the month: out of range"));
                }
                Ok(n)
            };
            let start = day(a);
            let end = b.map(day);
            match (start, end) {
                (Err(e), _) | (_, Some(Err(e))) => Some(e),
                (Ok(s), Some(Ok(e))) if s < 0 && e > 0 => {
                    Some("end day must be negative if start day is negative".into())
                }
                (Ok(s), Some(Ok(e))) if (s > 0) == (e > 0) && e < s => {
                    Some(format!("end day {e} is always before start day {s}"))
                }
                _ => None,
            }
        }
        "months" => {
            let month = |s: &str| -> Result<i64, String> {
                if let Ok(n) = s.parse::<i64>() {
                    return Ok(n);
                }
                MONTHS
                    .iter()
                    .position(|m| *m == s.to_lowercase())
                    .map(|i| i as i64 + 1)
                    .ok_or(format!("{} is not a valid month", s.to_lowercase()))
            };
            match (month(a), b.map(month)) {
                (Err(e), _) | (_, Some(Err(e))) => Some(e),
                (Ok(s), Some(Ok(e))) if e < s => Some(format!(
                    "end month {} is before start month {a}",
                    b.unwrap_or_default()
                )),
                _ => None,
            }
        }
        "years" => {
            let year = |s: &str| -> Result<i64, String> {
                s.parse::<i64>()
                    .map_err(|_| format!("strconv.Atoi: parsing {s:?}: invalid syntax"))
            };
            match (year(a), b.map(year)) {
                (Err(e), _) | (_, Some(Err(e))) => Some(e),
                (Ok(s), Some(Ok(e))) if e < s => {
                    Some(format!("end year {e} is before start year {s}"))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The entries of one named time interval (`time_intervals[i].time_intervals`).
pub fn time_ranges(list: &Value, at: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    for (i, r) in list.as_array().into_iter().flatten().enumerate() {
        let here = format!("{at}/{i}");
        unknown(&mut out, r, &here, "time interval", TIME_RANGE);
        for field in ["weekdays", "days_of_month", "months", "years"] {
            for (j, item) in r
                .get(field)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(problem) = range_problem(field, &text(item)) {
                    out.push((format!("{here}/{field}/{j}"), false, problem));
                }
            }
        }
        for (j, t) in r
            .get("times")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let p = format!("{here}/times/{j}");
            unknown(&mut out, t, &p, "times", &["start_time", "end_time"]);
            let (Some(s), Some(e)) = (t.get("start_time").map(text), t.get("end_time").map(text))
            else {
                out.push((p, false, "both start and end times must be provided".into()));
                continue;
            };
            match (minutes(&s), minutes(&e)) {
                (None, _) => out.push((
                    format!("{p}/start_time"),
                    false,
                    format!("couldn't parse timestamp {s}, invalid format"),
                )),
                (_, None) => out.push((
                    format!("{p}/end_time"),
                    false,
                    format!("couldn't parse timestamp {e}, invalid format"),
                )),
                (Some(a), Some(b)) if a >= b => out.push((
                    p,
                    false,
                    "start time cannot be equal or greater than end time".into(),
                )),
                _ => {}
            }
        }
        if let Some(location) = r.get("location").and_then(Value::as_str)
            && let Some(problem) = super::tz::location_problem(location)
        {
            let p = format!("{here}/location");
            let named = format!("{}: {problem}", crate::schema::kubernetes::dotted(&p));
            out.push((p, false, named));
        }
    }
    out
}

/// What an integration Alertmanager 0.25 checks beyond `alertmanager_config`'s own list lacks.
pub fn integration(kind: &str, c: &Value, global: &Value, at: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut need = |ok: bool, message: &str| {
        if !ok {
            out.push((at.to_string(), false, message.to_string()));
        }
    };
    match kind {
        "telegram_configs" => {
            need(set(c, "bot_token"), "missing bot_token on telegram_config");
            need(set(c, "chat_id"), "missing chat_id on telegram_config");
            let mode = c.get("parse_mode").and_then(Value::as_str).unwrap_or("");
            need(
                matches!(mode, "" | "Markdown" | "MarkdownV2" | "HTML"),
                "unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string",
            );
        }
        "discord_configs" => need(set(c, "webhook_url"), "no discord webhook URL provided"),
        "webex_configs" => {
            need(set(c, "room_id"), "missing room_id on webex_config");
            need(
                c.pointer("/http_config/authorization")
                    .is_some_and(|a| !a.is_null()),
                "missing webex_configs.http_config.authorization",
            );
        }
        "pushover_configs" => {
            need(set(c, "user_key"), "missing user key in Pushover config");
            need(set(c, "token"), "missing token in Pushover config");
        }
        "victorops_configs" => {
            need(
                set(c, "routing_key"),
                "missing Routing key in VictorOps config",
            );
            need(
                set(c, "api_key") || set(global, "victorops_api_key"),
                "no global VictorOps API Key set",
            );
        }
        "sns_configs" => need(
            set(c, "topic_arn") || set(c, "phone_number") || set(c, "target_arn"),
            "must provide either a Target ARN, Topic ARN, or Phone Number for SNS config",
        ),
        "wechat_configs" => {
            need(
                set(c, "api_secret") || set(global, "wechat_api_secret"),
                "no global Wechat ApiSecret set",
            );
            need(
                set(c, "corp_id") || set(global, "wechat_api_corp_id"),
                "no global Wechat CorpID set",
            );
        }
        "slack_configs" => {
            need(
                !(set(c, "api_url") && set(c, "api_url_file")),
                "at most one of api_url & api_url_file must be configured",
            );
            for (i, a) in list(c, "actions") {
                let p = format!("{at}/actions/{i}");
                let msg = if !set(a, "type") {
                    Some("missing type in Slack action configuration")
                } else if !set(a, "text") {
                    Some("missing text in Slack action configuration")
                } else if !set(a, "url") && !set(a, "name") {
                    Some("missing name or url in Slack action configuration")
                } else {
                    None
                };
                if let Some(m) = msg {
                    out.push((p, false, m.into()));
                }
            }
            for (i, f) in list(c, "fields") {
                let p = format!("{at}/fields/{i}");
                if !set(f, "title") {
                    out.push((
                        p,
                        false,
                        "missing title in Slack field configuration".into(),
                    ));
                } else if !set(f, "value") {
                    out.push((
                        p,
                        false,
                        "missing value in Slack field configuration".into(),
                    ));
                }
            }
        }
        "pagerduty_configs" => {
            for (a, b) in [
                ("routing_key", "routing_key_file"),
                ("service_key", "service_key_file"),
            ] {
                if set(c, a) && set(c, b) {
                    out.push((
                        at.to_string(),
                        false,
                        format!("at most one of {a} & {b} must be configured"),
                    ));
                }
            }
        }
        "opsgenie_configs" => {
            if set(c, "api_key") && set(c, "api_key_file") {
                out.push((
                    at.to_string(),
                    false,
                    "at most one of api_key & api_key_file must be configured".into(),
                ));
            }
            for (i, r) in list(c, "responders") {
                let p = format!("{at}/responders/{i}");
                let ty = r.get("type").and_then(Value::as_str).unwrap_or("");
                if !set(r, "id") && !set(r, "username") && !set(r, "name") {
                    out.push((
                        p,
                        false,
                        "opsGenieConfig responder has to have at least one of id, username or name specified".into(),
                    ));
                } else if !ty.contains("{{")
                    && !matches!(ty, "team" | "teams" | "user" | "escalation" | "schedule")
                {
                    out.push((
                        p,
                        false,
                        format!("opsGenieConfig responder type {ty:?} does not match valid options ^(team|teams|user|escalation|schedule)$"),
                    ));
                }
            }
        }
        "email_configs" => {
            let host = c
                .get("smarthost")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .or_else(|| global.get("smtp_smarthost").and_then(Value::as_str));
            if let Some(h) = host.filter(|h| !h.is_empty())
                && !has_port(h)
            {
                out.push((
                    pointer_push(at, "smarthost"),
                    false,
                    format!("address {h}: missing port in address"),
                ));
            }
        }
        _ => {}
    }
    out
}

/// `host:port` (or `[v6]:port`), as Go's `net.SplitHostPort` wants it.
fn has_port(h: &str) -> bool {
    h.rsplit_once(':').is_some_and(|(host, port)| {
        !port.is_empty() && (!host.contains(':') || host.ends_with(']'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn messages(found: Vec<Problem>) -> Vec<String> {
        found.into_iter().map(|(_, _, m)| m).collect()
    }

    #[test]
    fn http_config_exclusive_options_and_fields() {
        let plain = |_: &str| true;
        let cases = [
            (
                json!({"basic_auth": {"username": "a"}, "follow_redirects": true}),
                vec![],
            ),
            (
                json!({"bearer_token": "a", "bearer_token_file": "b"}),
                vec![
                    "http_config: at most one of bearer_token & bearer_token_file must be configured",
                ],
            ),
            (
                json!({"authorization": {"type": "Basic", "credentials": "x"}}),
                vec![
                    "http_config: authorization type cannot be set to \"basic\", use \"basic_auth\" instead",
                ],
            ),
            (
                json!({"oauth2": {"client_id": "a", "token_url": "http://t/"}}),
                vec![
                    "http_config: either oauth2 client_secret or client_secret_file must be configured",
                ],
            ),
            (
                json!({"no_proxy": "x", "tls_config": {"ca": "x", "min_version": "TLS99"}}),
                vec![
                    "unknown field `no_proxy` in http_config",
                    "unknown field `ca` in tls_config",
                    "unknown TLS version: TLS99",
                ],
            ),
            (
                json!({"enable_http2": "yes"}),
                vec!["`enable_http2`: cannot unmarshal \"yes\" into bool"],
            ),
        ];
        for (v, want) in cases {
            let quoted = |_: &str| false;
            let got = messages(http_config(
                &v,
                "/h",
                if want.iter().any(|w| w.contains("unmarshal")) {
                    &quoted
                } else {
                    &plain
                },
            ));
            assert_eq!(got, want, "{v}");
        }
    }

    #[test]
    fn time_intervals_as_alertmanager_parses_them() {
        let list = json!([{
            "weekdays": ["Monday:Friday", "friday:monday", "funday"],
            "days_of_month": ["1:5", "-3:-1", "0", "-3:5", "5:1"],
            "months": ["january:march", "13", "dec", "3:1"],
            "years": ["2020:2022", "2022:2020", "abc"],
            "times": [{"start_time": "00:00", "end_time": "24:00"},
                {"start_time": "9:00", "end_time": "17:00"},
                {"start_time": "17:00", "end_time": "09:00"}, {"start_time": "09:00"}],
            "location": "UTC"
        }, {"location": "Europe/Berlin"}, {"location": "Mars/Olympus"}]);
        assert_eq!(
            messages(time_ranges(&list, "/t")),
            [
                "start day cannot be before end day",
                "funday is not a valid weekday",
                "0 is not a valid day of the month: out of range",
                "end day must be negative if start day is negative",
                "end day 1 is always before start day 5",
                "dec is not a valid month",
                "end month 1 is before start month 3",
                "end year 2020 is before start year 2022",
                "strconv.Atoi: parsing \"abc\": invalid syntax",
                "couldn't parse timestamp 9:00, invalid format",
                "start time cannot be equal or greater than end time",
                "both start and end times must be provided",
                "t[2].location: unknown time zone Mars/Olympus",
            ]
        );
    }

    #[test]
    fn integrations_required_fields() {
        let g = json!({});
        let m = |kind: &str, c: Value| messages(integration(kind, &c, &g, "/r"));
        assert_eq!(
            m("telegram_configs", json!({"bot_token": "t"})),
            ["missing chat_id on telegram_config"]
        );
        assert!(m("telegram_configs", json!({"bot_token": "t", "chat_id": 1})).is_empty());
        assert_eq!(
            m("victorops_configs", json!({"routing_key": "r"})),
            ["no global VictorOps API Key set"]
        );
        assert_eq!(
            m(
                "slack_configs",
                json!({"actions": [{"type": "button", "text": "a"}]})
            ),
            ["missing name or url in Slack action configuration"]
        );
        assert_eq!(
            m("email_configs", json!({"smarthost": "smtp.example.com"})),
            ["address smtp.example.com: missing port in address"]
        );
        assert!(m("email_configs", json!({"smarthost": "[::1]:25"})).is_empty());
        assert!(m("sns_configs", json!({"topic_arn": "a"})).is_empty());
    }
}
