//! Declared scraping, checked (issue 15, item 4): in each rendered overlay the metrics port of
//! every service with `metrics` is on a container and on a Service selecting its pods, and the
//! annotations or the ServiceMonitor `generate` writes are there; across the repository every
//! metric a dashboard queries is exported by some service (`metrics.exports`).
//!
//! Pure over rendered objects and parsed dashboards; the repository walk that feeds
//! [`dashboard_coverage`] is in `wiring.rs`.

use std::path::Path;

use crate::value::Value;

use super::diagnostic::{Diagnostic, Span};
use super::policy::{PolicyFinding, PolicyInput};
use crate::resource::Resource;
use crate::scrape::{self, ScrapeDecl};
use crate::spec::{ScrapeMode, WorkloadKind};

fn finding(code: &'static str, message: String, resource: usize, pointer: String) -> PolicyFinding {
    PolicyFinding {
        code,
        message,
        resource: Some(resource),
        pointer,
    }
}

/// The findings for one environment's rendered overlay `list`.
pub fn check(env: &PolicyInput, list: &[Resource]) -> Vec<PolicyFinding> {
    let mut out = Vec::new();
    for d in &env.scrape {
        if let Some(i) = list.iter().position(|r| {
            WorkloadKind::of(r.api_version(), r.kind()) == Some(d.kind) && r.name() == d.workload
        }) {
            check_one(d, list, i, &mut out);
        }
    }
    out
}

fn check_one(d: &ScrapeDecl, list: &[Resource], i: usize, out: &mut Vec<PolicyFinding>) {
    let r = &list[i];
    let m = &d.metrics;
    let what = format!("{}/{}", d.kind.kind(), d.workload);
    let template = scrape::template_pointer(d.kind);
    let Some((_, _, number)) = scrape::container_port(&r.value, d.kind, &m.port) else {
        out.push(finding(
            "scrape-port-missing",
            format!(
                "service `{}`: no container of {what} has a port named `{}` (services[].metrics.port)",
                d.service, m.port
            ),
            i,
            format!("{template}/spec/containers"),
        ));
        return;
    };
    let services = scrape::services_for(list, r, d.kind);
    let Some(svc) = services
        .iter()
        .find(|s| scrape::has_port(&s.value, &m.port))
    else {
        let names: Vec<&str> = services.iter().map(|s| s.name()).collect();
        out.push(finding(
            "scrape-port-missing",
            format!(
                "service `{}`: no Service selecting {what}'s pods has a port named `{}` ({})",
                d.service,
                m.port,
                if names.is_empty() {
                    "none selects them".to_string()
                } else {
                    format!("Services: {}", names.join(", "))
                }
            ),
            i,
            format!("{template}/metadata/labels"),
        ));
        return;
    };
    match m.mode {
        ScrapeMode::Annotations => {
            let have = scrape::pod_annotations(&r.value, d.kind);
            let want = [
                (scrape::SCRAPE, "true".to_string()),
                (scrape::PORT, number.to_string()),
                (scrape::PATH, m.path.clone()),
            ];
            let wrong: Vec<String> = want
                .iter()
                .filter(|(k, v)| have.get(*k) != Some(v))
                .map(|(k, v)| format!("{k}: {v:?}"))
                .collect();
            if !wrong.is_empty() {
                out.push(finding(
                    "scrape-annotations",
                    format!(
                        "service `{}`: the pods of {what} lack the scrape annotations {}",
                        d.service,
                        wrong.join(", ")
                    ),
                    i,
                    format!("{template}/metadata"),
                ));
            }
        }
        ScrapeMode::ServiceMonitor => {
            let labels = scrape::string_labels(&svc.value);
            let found = list.iter().any(|sm| {
                sm.kind() == "ServiceMonitor"
                    && sm.api_version() == "monitoring.coreos.com/v1"
                    && sm.namespace() == svc.namespace()
                    && selector_matches(sm.value.pointer("/spec/selector/matchLabels"), &labels)
                    && sm
                        .value
                        .pointer("/spec/endpoints")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .any(|e| {
                            e.get("port").and_then(Value::as_str) == Some(m.port.as_str())
                                && e.get("path").and_then(Value::as_str).unwrap_or("/metrics")
                                    == m.path
                        })
            });
            if !found {
                out.push(finding(
                    "scrape-servicemonitor-missing",
                    format!(
                        "service `{}`: no ServiceMonitor selects Service/{} with an endpoint on port `{}` path `{}`",
                        d.service,
                        svc.name(),
                        m.port,
                        m.path
                    ),
                    i,
                    String::new(),
                ));
            }
        }
    }
}

fn selector_matches(
    sel: Option<&Value>,
    labels: &std::collections::BTreeMap<String, String>,
) -> bool {
    let Some(sel) = sel.and_then(Value::as_object) else {
        return false;
    };
    !sel.is_empty()
        && sel.iter().all(|(k, v)| {
            v.as_str()
                .is_some_and(|v| labels.get(k).map(String::as_str) == Some(v))
        })
}

/// One dashboard to check: where it was read and its text (parsed here, with positions).
pub struct DashboardFile<'a> {
    /// The file as shown in findings.
    pub file: &'a Path,
    /// Its text.
    pub text: &'a str,
}

/// Every metric the dashboard queries that no service exports: one finding each, naming the
/// metric and the panel, at the query.
pub fn dashboard_coverage(d: &DashboardFile<'_>, decls: &[ScrapeDecl]) -> Vec<Diagnostic> {
    let Ok(doc) = crate::yaml::parse_document(d.text) else {
        return Vec::new(); // verify reports the parse error on the file itself.
    };
    let (model, prefix) = match doc.value.get("dashboard") {
        Some(inner) if inner.is_object() => (inner, "/dashboard"),
        _ => (&doc.value, ""),
    };
    let title = model
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("(untitled)");
    let exports: Vec<String> = decls
        .iter()
        .flat_map(|s| s.metrics.exports.iter().cloned())
        .collect();
    let lines: Vec<&str> = d.text.lines().collect();
    let mut out = Vec::new();
    let (panels, _) = crate::metrics::panels(model);
    for p in &panels {
        for q in &p.queries {
            for metric in crate::promql::metric_names(&q.expr) {
                if scrape::SYNTHETIC.contains(&metric.as_str())
                    || scrape::exported(&exports, &metric)
                {
                    continue;
                }
                let pointer = format!("{prefix}{}", q.pointer);
                let pos = doc.locations.node(&pointer);
                let (line, col) = pos.map_or((0, 0), |p| (p.line, p.col));
                out.push(
                    Diagnostic::error(
                        "dashboard-metric-unexported",
                        format!(
                            "dashboard `{title}`, panel `{}` (query {}) reads `{metric}`, which no service exports",
                            p.title, q.ref_id
                        ),
                    )
                    .at(Span {
                        file: d.file.to_path_buf(),
                        line,
                        col,
                        label: format!("panel {}", p.id),
                        caret: 0,
 source_line: line
                            .checked_sub(1)
                            .and_then(|l| lines.get(l))
                            .map(|s| s.to_string()),
                    })
                    .help("add it to `metrics.exports` of the service that serves it in rollout.yaml (a prefix ends in `*`)"),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Metrics;

    fn decl(mode: ScrapeMode, exports: &[&str]) -> ScrapeDecl {
        ScrapeDecl {
            service: "api".into(),
            kind: WorkloadKind::Deployment,
            workload: "api".into(),
            metrics: Metrics {
                port: "metrics".into(),
                path: "/metrics".into(),
                mode,
                exports: exports.iter().map(|s| s.to_string()).collect(),
            },
        }
    }

    const RENDERED: &str = "apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop, labels: {app: api}}
spec:
  selector: {app: api}
  ports: [{name: metrics, port: 9102}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: api}
      annotations: {prometheus.io/scrape: 'true', prometheus.io/port: '9102', prometheus.io/path: /metrics}
    spec:
      containers:
        - name: api
          ports: [{name: metrics, containerPort: 9102}]
";

    fn run(text: &str, d: ScrapeDecl) -> Vec<String> {
        let list: Vec<Resource> = crate::resource::parse_resources(text, Path::new("r.yaml"))
            .unwrap()
            .into_iter()
            .collect();
        let env = PolicyInput {
            scrape: vec![d],
            ..Default::default()
        };
        check(&env, &list)
            .into_iter()
            .map(|f| format!("{} {}: {}", f.code, f.pointer, f.message))
            .collect()
    }

    #[test]
    fn annotations_mode_passes_and_each_missing_piece_is_named() {
        assert!(run(RENDERED, decl(ScrapeMode::Annotations, &[])).is_empty());
        let wrong_port =
            RENDERED.replace("prometheus.io/port: '9102'", "prometheus.io/port: '8080'");
        assert_eq!(
            run(&wrong_port, decl(ScrapeMode::Annotations, &[])),
            [
                "scrape-annotations /spec/template/metadata: service `api`: the pods of Deployment/api lack the scrape annotations prometheus.io/port: \"9102\""
            ]
        );
        let no_container_port = RENDERED
            .replace(
                "containerPort: 9102}]\n",
                "containerPort: 9102, name: prom}]\n",
            )
            .replace("[{name: metrics, containerPort", "[{containerPort");
        assert_eq!(
            run(&no_container_port, decl(ScrapeMode::Annotations, &[])),
            [
                "scrape-port-missing /spec/template/spec/containers: service `api`: no container of Deployment/api has a port named `metrics` (services[].metrics.port)"
            ]
        );
        let no_service_port = RENDERED.replace(
            "ports: [{name: metrics, port: 9102}]",
            "ports: [{name: http, port: 80}]",
        );
        assert_eq!(
            run(&no_service_port, decl(ScrapeMode::Annotations, &[])),
            [
                "scrape-port-missing /spec/template/metadata/labels: service `api`: no Service selecting Deployment/api's pods has a port named `metrics` (Services: api)"
            ]
        );
    }

    #[test]
    fn service_monitor_mode_needs_a_monitor_selecting_the_service_on_the_port() {
        let missing = run(RENDERED, decl(ScrapeMode::ServiceMonitor, &[]));
        assert_eq!(missing.len(), 1);
        assert!(
            missing[0].starts_with("scrape-servicemonitor-missing"),
            "{missing:?}"
        );
        let monitored = format!(
            "{RENDERED}---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {{name: api, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: api}}}}\n  endpoints: [{{port: metrics, path: /metrics}}]\n"
        );
        assert!(run(&monitored, decl(ScrapeMode::ServiceMonitor, &[])).is_empty());
        let other_port = monitored.replace("endpoints: [{port: metrics", "endpoints: [{port: http");
        assert_eq!(
            run(&other_port, decl(ScrapeMode::ServiceMonitor, &[])).len(),
            1
        );
    }

    #[test]
    fn dashboard_metrics_not_exported_are_named_with_panel_and_position() {
        let text = r#"{
  "title": "Pipeline",
  "panels": [
    {"id": 1, "title": "Backlog", "targets": [
      {"refId": "A", "expr": "sum(redis_stream_length{stream=\"$s\"})"}]},
    {"id": 2, "title": "Rows", "type": "row", "panels": [
      {"id": 3, "title": "Batches", "targets": [
        {"refId": "B", "expr": "rate(media_clustering_batches_total[5m]) / up"}]}]}
  ]
}"#;
        let f = DashboardFile {
            file: Path::new("dashboards/p.json"),
            text,
        };
        let ds = dashboard_coverage(
            &f,
            &[decl(ScrapeMode::Annotations, &["media_clustering_*"])],
        );
        assert_eq!(ds.len(), 1, "{ds:?}");
        assert_eq!(
            ds[0].message,
            "dashboard `Pipeline`, panel `Backlog` (query A) reads `redis_stream_length`, which no service exports"
        );
        let span = ds[0].span.as_ref().unwrap();
        assert_eq!(
            (span.line, span.file.to_str()),
            (5, Some("dashboards/p.json"))
        );
        assert!(
            dashboard_coverage(
                &f,
                &[decl(
                    ScrapeMode::Annotations,
                    &["media_clustering_*", "redis_stream_length"]
                )]
            )
            .is_empty()
        );
    }
}
