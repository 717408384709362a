//! `rollout evidence metrics`: every Prometheus query of a dashboard evaluated over a window
//! through Prometheus' HTTP API (`/api/v1/query_range`), with a small SVG chart per panel.
//!
//! Owns reading the dashboard's queries (panels in rows too), Grafana's variable substitution
//! (`$__rate_interval`, `$__interval`, `$__range`, template variables at their current value),
//! the range queries and the charts. Pure except [`run`], which sends GET requests only.
//! Prints nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::value::Value;
use serde::Serialize;

/// `kind` of `metrics.json`.
pub const KIND: &str = "metrics";
/// The default evidence file name.
pub const EVIDENCE_FILE: &str = "metrics.json";
/// The directory (inside the evidence directory) holding the charts.
pub const CHART_DIR: &str = "metrics";

/// A failure before any query (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// The dashboard cannot be read.
    #[error("{path}: {message}")]
    Dashboard {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A bad flag value.
    #[error("{0}")]
    Usage(String),
    /// Prometheus cannot be reached.
    #[error("prometheus at {url}: {message}")]
    Unreachable {
        /// The base URL (credentials masked).
        url: String,
        /// Why.
        message: String,
    },
}

/// One query of a panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// `refId`.
    pub ref_id: String,
    /// `legendFormat`, if any.
    pub legend: Option<String>,
    /// As the dashboard writes it.
    pub expr: String,
    /// JSON pointer of `expr` in the dashboard (`/panels/2/panels/0/targets/1/expr`).
    pub pointer: String,
}

/// A panel with queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panel {
    pub id: i64,
    pub title: String,
    pub queries: Vec<Query>,
}

/// The panels with Prometheus queries, in dashboard order (panels of collapsed rows included), and
/// the template variables' current values.
pub fn panels(dashboard: &Value) -> (Vec<Panel>, BTreeMap<String, String>) {
    fn walk(list: &[Value], at: &str, out: &mut Vec<Panel>) {
        for (i, p) in list.iter().enumerate() {
            let here = format!("{at}/{i}");
            if let Some(inner) = p.get("panels").and_then(Value::as_array) {
                walk(inner, &format!("{here}/panels"), out);
            }
            let queries: Vec<Query> = p
                .get("targets")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
                .filter(|(_, t)| t.get("hide").and_then(Value::as_bool) != Some(true))
                .filter_map(|(j, t)| {
                    let expr = t.get("expr").and_then(Value::as_str)?.trim();
                    (!expr.is_empty()).then(|| Query {
                        ref_id: t
                            .get("refId")
                            .and_then(Value::as_str)
                            .unwrap_or("A")
                            .to_string(),
                        legend: t
                            .get("legendFormat")
                            .and_then(Value::as_str)
                            .filter(|l| !l.is_empty() && *l != "__auto")
                            .map(str::to_string),
                        expr: expr.to_string(),
                        pointer: format!("{here}/targets/{j}/expr"),
                    })
                })
                .collect();
            if !queries.is_empty() {
                out.push(Panel {
                    id: p.get("id").and_then(Value::as_i64).unwrap_or(0),
                    title: p
                        .get("title")
                        .and_then(Value::as_str)
                        .unwrap_or("(untitled)")
                        .to_string(),
                    queries,
                });
            }
        }
    }
    let mut out = Vec::new();
    walk(
        dashboard
            .get("panels")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice),
        "/panels",
        &mut out,
    );
    let vars = dashboard
        .pointer("/templating/list")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| {
            let name = v.get("name").and_then(Value::as_str)?;
            let cur = v.pointer("/current/value")?;
            let value = match cur {
                Value::String(s) => s.clone(),
                Value::Array(a) => a.first().and_then(Value::as_str)?.to_string(),
                _ => return None,
            };
            Some((name.to_string(), value))
        })
        .collect();
    (out, vars)
}

/// Prometheus duration text: whole seconds (`90s`), or milliseconds below a second.
fn prom_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Grafana's substitutions: `$__rate_interval` = max(step + scrape interval, 4 × scrape interval),
/// `$__interval` = step, `$__range` = the window, `$__range_s`, and each variable as `$name`,
/// `${name}` or `[[name]]` (longest names first, so `$ns` does not eat `$nsx`).
pub fn substitute(
    expr: &str,
    vars: &BTreeMap<String, String>,
    step: Duration,
    scrape: Duration,
    range: Duration,
) -> String {
    let rate = (step + scrape).max(scrape * 4);
    let mut out = expr
        .replace("$__rate_interval", &prom_duration(rate))
        .replace("${__rate_interval}", &prom_duration(rate))
        .replace("$__interval_ms", &step.as_millis().to_string())
        .replace("$__interval", &prom_duration(step))
        .replace("${__interval}", &prom_duration(step))
        .replace("$__range_s", &range.as_secs().to_string())
        .replace("$__range", &prom_duration(range))
        .replace("${__range}", &prom_duration(range));
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for n in names {
        let v = &vars[n];
        out = out
            .replace(&format!("${{{n}}}"), v)
            .replace(&format!("[[{n}]]"), v)
            .replace(&format!("${n}"), v);
    }
    out
}

/// One series of a range query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// `[unix seconds, value]`.
    pub values: Vec<(f64, f64)>,
    pub first: Option<f64>,
    pub last: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// One evaluated query.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetRecord {
    pub ref_id: String,
    /// As the dashboard writes it.
    pub expr: String,
    /// As sent.
    pub query: String,
    /// `ok`, `no-data` or `error`.
    pub result: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub series: Vec<Series>,
}

/// One panel's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PanelRecord {
    pub id: i64,
    pub title: String,
    /// The chart, relative to the evidence directory.
    pub chart: String,
    pub targets: Vec<TargetRecord>,
}

/// The record of `rollout evidence metrics`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub kind: &'static str,
    pub schema_version: u32,
    pub prometheus_url: String,
    pub dashboard: String,
    pub from: String,
    pub to: String,
    pub step_seconds: f64,
    pub scrape_interval_seconds: f64,
    pub variables: BTreeMap<String, String>,
    /// `ok` (every query returned data), `no-data` or `failed`.
    pub result: String,
    pub panels: Vec<PanelRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Report {
    /// Every query returned data.
    pub fn ok(&self) -> bool {
        self.result == "ok"
    }
}

/// What `rollout evidence metrics` needs.
#[derive(Debug, Clone)]
pub struct MetricsOptions {
    pub prometheus_url: String,
    pub dashboard: PathBuf,
    pub from: jiff::Timestamp,
    pub to: jiff::Timestamp,
    /// `None`: the window / 100, at least 1 s.
    pub step: Option<Duration>,
    pub scrape_interval: Duration,
    /// Overrides of template variables.
    pub vars: BTreeMap<String, String>,
    pub timeout: Duration,
    /// Where charts go (the evidence directory).
    pub evidence_dir: PathBuf,
}

fn parse_matrix(body: &Value) -> Result<Vec<Series>, String> {
    if body.get("status").and_then(Value::as_str) != Some("success") {
        return Err(format!(
            "{}: {}",
            body.get("errorType")
                .and_then(Value::as_str)
                .unwrap_or("error"),
            body.get("error").and_then(Value::as_str).unwrap_or("")
        ));
    }
    let result = body
        .pointer("/data/result")
        .and_then(Value::as_array)
        .ok_or("the answer has no data.result")?;
    Ok(result
        .iter()
        .map(|r| {
            let labels = r
                .get("metric")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            let values: Vec<(f64, f64)> = r
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    let t = p.get(0)?.as_f64()?;
                    let v: f64 = p.get(1)?.as_str()?.parse().ok()?;
                    Some((t, v))
                })
                .collect();
            let finite: Vec<f64> = values
                .iter()
                .map(|p| p.1)
                .filter(|v| v.is_finite())
                .collect();
            Series {
                first: values.first().map(|p| p.1),
                last: values.last().map(|p| p.1),
                min: finite.iter().copied().reduce(f64::min),
                max: finite.iter().copied().reduce(f64::max),
                labels,
                values,
            }
        })
        .collect())
}

/// A small SVG line chart of every series of a panel: 480×160, the value range on the left, the
/// window's ends below.
pub fn chart(title: &str, targets: &[TargetRecord], from: f64, to: f64) -> String {
    const COLORS: &[&str] = &[
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    ];
    let (w, h, left, top, bottom) = (480.0, 160.0, 56.0, 20.0, 22.0);
    let all: Vec<f64> = targets
        .iter()
        .flat_map(|t| &t.series)
        .flat_map(|s| s.values.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if all.is_empty() {
        (0.0, 1.0)
    } else if hi > lo {
        (lo, hi)
    } else {
        (lo - 1.0, hi + 1.0)
    };
    let span = if to > from { to - from } else { 1.0 };
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"10\">\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n\
         <text x=\"{left}\" y=\"13\" font-size=\"12\">{}</text>\n\
         <line x1=\"{left}\" y1=\"{}\" x2=\"{w}\" y2=\"{}\" stroke=\"#999\"/>\n\
         <text x=\"2\" y=\"{}\">{}</text>\n<text x=\"2\" y=\"{}\">{}</text>\n",
        esc(title),
        h - bottom,
        h - bottom,
        top + 8.0,
        fmt_num(hi),
        h - bottom,
        fmt_num(lo),
    );
    let mut n = 0;
    for t in targets {
        for s in &t.series {
            let pts: Vec<String> = s
                .values
                .iter()
                .filter(|p| p.1.is_finite())
                .map(|(x, y)| {
                    let px = left + (x - from) / span * (w - left - 4.0);
                    let py = top + (hi - y) / (hi - lo) * (h - top - bottom);
                    format!("{px:.1},{py:.1}")
                })
                .collect();
            if pts.is_empty() {
                continue;
            }
            let color = COLORS[n % COLORS.len()];
            n += 1;
            svg.push_str(&format!(
                "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{}\"><title>{}</title></polyline>\n",
                pts.join(" "),
                esc(&series_name(t, s))
            ));
        }
    }
    if n == 0 {
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\">no data</text>\n",
            w / 2.0 - 20.0,
            h / 2.0
        ));
    }
    svg.push_str(&format!(
        "<text x=\"{left}\" y=\"{}\">{}</text>\n<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n</svg>\n",
        h - 6.0,
        ts_text(from),
        w - 4.0,
        h - 6.0,
        ts_text(to)
    ));
    svg
}

fn ts_text(t: f64) -> String {
    jiff::Timestamp::from_second(t as i64)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn fmt_num(v: f64) -> String {
    if v.abs() >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

/// A series' name: its labels, or the query's refId when it has none.
pub fn series_name(t: &TargetRecord, s: &Series) -> String {
    if s.labels.is_empty() {
        t.ref_id.clone()
    } else {
        let l: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{} {{{}}}", t.ref_id, l.join(", "))
    }
}

/// Evaluates every query of the dashboard over the window and writes one chart per panel into
/// `evidence_dir/metrics/`.
///
/// # Errors
/// An unreadable dashboard, a bad window, an unreachable Prometheus; a query that Prometheus
/// refuses is recorded (`result: error`), not an error.
pub async fn run(opts: &MetricsOptions) -> Result<Report, MetricsError> {
    let text =
        crate::fsutil::read_to_string(&opts.dashboard).map_err(|e| MetricsError::Dashboard {
            path: opts.dashboard.clone(),
            message: e.source.to_string(),
        })?;
    let dashboard: Value = serde_json::from_str(&text).map_err(|e| MetricsError::Dashboard {
        path: opts.dashboard.clone(),
        message: format!("invalid JSON: {e}"),
    })?;
    let (panels, mut vars) = panels(&dashboard);
    if panels.is_empty() {
        return Err(MetricsError::Dashboard {
            path: opts.dashboard.clone(),
            message: "no panel has a Prometheus query (targets[].expr)".into(),
        });
    }
    vars.extend(opts.vars.clone());
    if opts.to <= opts.from {
        return Err(MetricsError::Usage(format!(
            "--to {} is not after --from {}",
            opts.to, opts.from
        )));
    }
    let range = Duration::from_secs((opts.to.as_second() - opts.from.as_second()).max(1) as u64);
    let step = opts
        .step
        .unwrap_or_else(|| (range / 100).max(Duration::from_secs(1)));
    crate::live::cluster::install_crypto_provider();
    let shown = crate::mask::url(&opts.prometheus_url);
    let client = reqwest::Client::builder()
        .timeout(opts.timeout)
        .build()
        .map_err(|e| MetricsError::Unreachable {
            url: shown.clone(),
            message: e.to_string(),
        })?;
    let base = opts.prometheus_url.trim_end_matches('/').to_string();
    let (from, to) = (opts.from.as_second() as f64, opts.to.as_second() as f64);
    let mut records = Vec::new();
    let mut failed = Vec::new();
    let mut empty = Vec::new();
    for p in &panels {
        let mut targets = Vec::new();
        for q in &p.queries {
            let query = substitute(&q.expr, &vars, step, opts.scrape_interval, range);
            let mut url =
                reqwest::Url::parse(&format!("{base}/api/v1/query_range")).map_err(|e| {
                    MetricsError::Usage(format!("invalid --prometheus-url {shown}: {e}"))
                })?;
            url.query_pairs_mut()
                .append_pair("query", &query)
                .append_pair("start", &opts.from.as_second().to_string())
                .append_pair("end", &opts.to.as_second().to_string())
                .append_pair("step", &step.as_secs_f64().to_string());
            let resp = client
                .get(url)
                .send()
                .await
                .map_err(|e| MetricsError::Unreachable {
                    url: shown.clone(),
                    message: crate::mask::scrub(&e.to_string()).into_owned(),
                })?;
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or_else(|e| {
                crate::json!({"status": "error", "errorType": format!("HTTP {status}"), "error": e.to_string()})
            });
            let mut rec = TargetRecord {
                ref_id: q.ref_id.clone(),
                expr: q.expr.clone(),
                query,
                result: "ok".into(),
                error: None,
                series: Vec::new(),
            };
            match parse_matrix(&body) {
                Ok(series) if series.is_empty() => {
                    rec.result = "no-data".into();
                    empty.push(format!("panel {:?} {}", p.title, q.ref_id));
                }
                Ok(series) => rec.series = series,
                Err(e) => {
                    rec.result = "error".into();
                    failed.push(format!("panel {:?} {}: {e}", p.title, q.ref_id));
                    rec.error = Some(e);
                }
            }
            targets.push(rec);
        }
        let chart_rel = format!("{CHART_DIR}/panel-{}.svg", p.id);
        let svg = chart(&p.title, &targets, from, to);
        crate::fsutil::write_evidence(&opts.evidence_dir.join(&chart_rel), &svg)
            .map_err(|e| MetricsError::Usage(format!("cannot write {chart_rel}: {e}")))?;
        records.push(PanelRecord {
            id: p.id,
            title: p.title.clone(),
            chart: chart_rel,
            targets,
        });
    }
    let (result, error) = if !failed.is_empty() {
        (
            "failed",
            Some(format!("queries refused: {}", failed.join("; "))),
        )
    } else if !empty.is_empty() {
        ("no-data", Some(format!("no data for {}", empty.join(", "))))
    } else {
        ("ok", None)
    };
    Ok(Report {
        kind: KIND,
        schema_version: crate::evidence::SCHEMA_VERSION,
        prometheus_url: shown,
        dashboard: opts.dashboard.display().to_string(),
        from: opts.from.to_string(),
        to: opts.to.to_string(),
        step_seconds: step.as_secs_f64(),
        scrape_interval_seconds: opts.scrape_interval.as_secs_f64(),
        variables: vars,
        result: result.into(),
        panels: records,
        error,
    })
}

/// [`run`] on its own runtime.
///
/// # Errors
/// As [`run`].
pub fn run_blocking(opts: &MetricsOptions) -> Result<Report, MetricsError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| MetricsError::Usage(format!("cannot start the runtime: {e}")))?;
    rt.block_on(run(opts))
}

/// Parses `--from`/`--to`: RFC 3339, `now`, or `now-30m`.
///
/// # Errors
/// A message naming the accepted forms.
pub fn parse_time(s: &str, now: jiff::Timestamp) -> Result<jiff::Timestamp, String> {
    if s == "now" {
        return Ok(now);
    }
    if let Some(ago) = s.strip_prefix("now-") {
        let d = crate::duration::parse(ago)?;
        let d = jiff::SignedDuration::try_from(d).map_err(|e| e.to_string())?;
        return now.checked_sub(d).map_err(|e| e.to_string());
    }
    s.parse().map_err(|_| {
        format!("invalid time {s:?}: use RFC 3339 (2026-12-01T10:00:00Z), now or now-30m")
    })
}

/// The report as text: one line per query.
pub fn render_text(r: &Report) -> String {
    let mut out = format!(
        "{} from {} to {} (step {}s) at {}\n",
        r.dashboard, r.from, r.to, r.step_seconds, r.prometheus_url
    );
    for p in &r.panels {
        for t in &p.targets {
            let summary = match t.result.as_str() {
                "ok" => {
                    let s = &t.series[0];
                    format!(
                        "{} series, first {} last {}",
                        t.series.len(),
                        s.first.map_or("-".into(), fmt_num),
                        s.last.map_or("-".into(), fmt_num)
                    )
                }
                other => format!(
                    "{other}{}",
                    t.error.as_ref().map_or(String::new(), |e| format!(": {e}"))
                ),
            };
            out.push_str(&format!("{} [{}]: {summary}\n", p.title, t.ref_id));
        }
    }
    out.push_str(&format!("{}\n", r.result));
    out
}

/// The evidence path of a chart.
pub fn chart_path(evidence_dir: &Path, chart: &str) -> PathBuf {
    evidence_dir.join(chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutions() {
        let vars: BTreeMap<String, String> = [
            ("namespace".into(), "media".into()),
            ("ns".into(), "x".into()),
        ]
        .into();
        let s = |e: &str| {
            substitute(
                e,
                &vars,
                Duration::from_secs(30),
                Duration::from_secs(15),
                Duration::from_secs(3600),
            )
        };
        assert_eq!(
            s("rate(a{namespace=\"$namespace\"}[$__rate_interval])"),
            "rate(a{namespace=\"media\"}[60s])"
        );
        assert_eq!(
            s("rate(a[${__rate_interval}]) ${ns} [[ns]] $__range $__interval"),
            "rate(a[60s]) x x 3600s 30s"
        );
        assert_eq!(
            substitute(
                "rate(a[$__rate_interval])",
                &vars,
                Duration::from_secs(120),
                Duration::from_secs(15),
                Duration::from_secs(3600)
            ),
            "rate(a[135s])"
        );
    }

    #[test]
    fn the_pipeline_dashboard_has_its_queries_and_namespace() {
        let d: Value = serde_json::from_str(include_str!(
            "../dashboards/media-clustering-redis-streams.json"
        ))
        .unwrap();
        let (p, vars) = panels(&d);
        assert_eq!(vars.get("namespace").map(String::as_str), Some("media"));
        assert_eq!(p.len(), 12, "rows carry no queries");
        assert_eq!(p[0].title, "Stream backlog");
        assert_eq!(p.iter().map(|p| p.queries.len()).sum::<usize>(), 20);
    }

    #[test]
    fn matrices_and_errors() {
        let ok = crate::json!({"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"stream": "s"}, "values": [[100, "1"], [110, "3"], [120, "2"]]}]}});
        let s = parse_matrix(&ok).unwrap();
        assert_eq!(
            (s[0].first, s[0].last, s[0].min, s[0].max),
            (Some(1.0), Some(2.0), Some(1.0), Some(3.0))
        );
        let bad = crate::json!({"status": "error", "errorType": "bad_data", "error": "parse error at char 5"});
        assert_eq!(
            parse_matrix(&bad).unwrap_err(),
            "bad_data: parse error at char 5"
        );
        let t = TargetRecord {
            ref_id: "A".into(),
            expr: String::new(),
            query: String::new(),
            result: "ok".into(),
            error: None,
            series: s,
        };
        let svg = chart("Backlog <1>", &[t], 100.0, 120.0);
        assert!(
            svg.contains("<polyline")
                && svg.contains("Backlog &lt;1&gt;")
                && svg.contains("A {stream=s}"),
            "{svg}"
        );
    }
}
