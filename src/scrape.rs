//! Declared scraping (`services[].metrics`): which container port and which Service serve a
//! service's `/metrics`, the `prometheus.io/*` pod annotations and the ServiceMonitor that tell
//! Prometheus so, and whether a metric name is one a service declares it exports.
//!
//! Pure: objects in, values out. `generate` writes what this builds; `verify` checks rendered
//! overlays with the same functions. Reads no file.

use std::collections::BTreeMap;

use crate::json;
use crate::value::Value;

use crate::resource::Resource;
use crate::spec::{Metrics, WorkloadKind};

/// The annotations of the `annotations` mode, as the Prometheus `kubernetes-pods` job reads them.
pub const SCRAPE: &str = "prometheus.io/scrape";
/// The port annotation (a number).
pub const PORT: &str = "prometheus.io/port";
/// The path annotation.
pub const PATH: &str = "prometheus.io/path";

/// One service's declared scraping, as `verify` checks it in a rendered overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapeDecl {
    /// The service.
    pub service: String,
    /// Its workload's kind.
    pub kind: WorkloadKind,
    /// Its workload's name.
    pub workload: String,
    /// `services[].metrics`.
    pub metrics: Metrics,
}

/// Series Prometheus makes itself for every target; no service has to export them.
pub const SYNTHETIC: &[&str] = &[
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
    "ALERTS",
    "ALERTS_FOR_STATE",
];

/// Where a service's metrics are served, resolved against its base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapePoint {
    /// The container with the named port.
    pub container: String,
    /// That port's `containerPort`.
    pub port_number: i64,
    /// The Service selecting the pods with a port of that name, when there is one.
    pub service: Option<BaseService>,
    /// The pod template already carries `metadata.annotations`.
    pub template_has_annotations: bool,
}

/// A Service of the base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseService {
    /// Its name.
    pub name: String,
    /// Its `metadata.labels` (what a ServiceMonitor selects).
    pub labels: BTreeMap<String, String>,
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect()
}

/// An object's `metadata.labels`.
pub fn string_labels(obj: &Value) -> BTreeMap<String, String> {
    string_map(obj.pointer("/metadata/labels"))
}

/// The JSON pointer of the pod template of `kind` (`/spec/template`).
pub fn template_pointer(kind: WorkloadKind) -> String {
    let path = kind.pod_spec_path();
    let parent = &path[..path.len().saturating_sub(1)];
    parent.iter().map(|k| format!("/{k}")).collect()
}

/// The pod template's labels of a workload.
pub fn pod_labels(workload: &Value, kind: WorkloadKind) -> BTreeMap<String, String> {
    string_map(workload.pointer(&format!("{}/metadata/labels", template_pointer(kind))))
}

/// The pod template's annotations of a workload.
pub fn pod_annotations(workload: &Value, kind: WorkloadKind) -> BTreeMap<String, String> {
    string_map(workload.pointer(&format!("{}/metadata/annotations", template_pointer(kind))))
}

/// The container (index, name) and `containerPort` of the port named `port`.
pub fn container_port(
    workload: &Value,
    kind: WorkloadKind,
    port: &str,
) -> Option<(usize, String, i64)> {
    let containers = crate::target::pod_containers(workload, kind)?;
    containers.iter().enumerate().find_map(|(i, c)| {
        let p = c
            .get("ports")
            .and_then(Value::as_array)?
            .iter()
            .find(|p| p.get("name").and_then(Value::as_str) == Some(port))?;
        let n = p.get("containerPort").and_then(Value::as_i64)?;
        let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
        Some((i, name.to_string(), n))
    })
}

/// True when the Service `svc` selects pods labelled `labels` (a non-empty selector, all of it
/// matching).
pub fn selects(svc: &Value, labels: &BTreeMap<String, String>) -> bool {
    let sel = string_map(svc.pointer("/spec/selector"));
    !sel.is_empty() && sel.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// True when the Service has a port named `port`.
pub fn has_port(svc: &Value, port: &str) -> bool {
    svc.pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|p| p.get("name").and_then(Value::as_str) == Some(port))
}

/// The Services in `objects` (in `namespace`, or any when the workload has none) selecting the
/// workload's pods, in order.
pub fn services_for<'a>(
    objects: &'a [Resource],
    workload: &Resource,
    kind: WorkloadKind,
) -> Vec<&'a Resource> {
    let labels = pod_labels(&workload.value, kind);
    objects
        .iter()
        .filter(|r| r.kind() == "Service" && r.api_version() == "v1")
        .filter(|r| r.namespace() == workload.namespace())
        .filter(|r| selects(&r.value, &labels))
        .collect()
}

/// Resolves `m` against the workload and the other objects of its base.
///
/// # Errors
/// A one-line message when no container has the named port, or (`serviceMonitor`) no Service
/// selecting the pods has it or carries labels to select it by.
pub fn resolve(
    m: &Metrics,
    workload: &Resource,
    kind: WorkloadKind,
    base: &[Resource],
) -> Result<ScrapePoint, String> {
    let what = format!("{}/{}", kind.kind(), workload.name());
    let Some((_, container, port_number)) = container_port(&workload.value, kind, &m.port) else {
        return Err(format!(
            "{what} has no container port named `{}`: name the metrics port in the container's `ports` (or fix `metrics.port`)",
            m.port
        ));
    };
    let services = services_for(base, workload, kind);
    let service = services
        .iter()
        .find(|s| has_port(&s.value, &m.port))
        .map(|s| BaseService {
            name: s.name().to_string(),
            labels: string_labels(&s.value),
        });
    if m.mode == crate::spec::ScrapeMode::ServiceMonitor {
        match &service {
            None => {
                let names: Vec<&str> = services.iter().map(|s| s.name()).collect();
                return Err(format!(
                    "a ServiceMonitor scrapes through a Service, and no Service selecting {what}'s pods has a port named `{}` ({}); add the port to the Service, or use `mode: annotations`",
                    m.port,
                    if names.is_empty() {
                        "none selects them".to_string()
                    } else {
                        format!("Services: {}", names.join(", "))
                    }
                ));
            }
            Some(s) if s.labels.is_empty() => {
                return Err(format!(
                    "Service/{} has no labels for a ServiceMonitor to select it by",
                    s.name
                ));
            }
            Some(_) => {}
        }
    }
    let template_has_annotations = workload
        .value
        .pointer(&format!("{}/metadata/annotations", template_pointer(kind)))
        .is_some_and(Value::is_object);
    Ok(ScrapePoint {
        container,
        port_number,
        service,
        template_has_annotations,
    })
}

/// The pod annotations of the `annotations` mode.
pub fn annotations(m: &Metrics, point: &ScrapePoint) -> BTreeMap<String, String> {
    [
        (SCRAPE.to_string(), "true".to_string()),
        (PORT.to_string(), point.port_number.to_string()),
        (PATH.to_string(), m.path.clone()),
    ]
    .into()
}

/// The ServiceMonitor of the `serviceMonitor` mode, named like the service. `None` when the
/// point has no Service (see [`resolve`], which refuses that for this mode).
pub fn service_monitor(
    service: &str,
    m: &Metrics,
    point: &ScrapePoint,
    namespace: Option<&str>,
) -> Option<Value> {
    let svc = point.service.as_ref()?;
    let mut metadata = json!({ "name": service });
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    Some(json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": metadata,
        "spec": {
            "selector": { "matchLabels": svc.labels },
            "endpoints": [{ "port": m.port, "path": m.path }],
        },
    }))
}

/// True when `metric` is one `exports` names: the name itself, a prefix entry ending in `*`,
/// or the series a histogram, summary or counter named there exposes (`_bucket`, `_sum`,
/// `_count`, `_total`, `_created`).
pub fn exported(exports: &[String], metric: &str) -> bool {
    const SUFFIXES: &[&str] = &["_bucket", "_sum", "_count", "_total", "_created"];
    exports.iter().any(|e| match e.strip_suffix('*') {
        Some(prefix) => metric.starts_with(prefix),
        None => {
            metric == e
                || SUFFIXES
                    .iter()
                    .any(|s| metric.strip_suffix(s) == Some(e.as_str()))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ScrapeMode;
    use std::path::Path;

    fn objects(text: &str) -> Vec<Resource> {
        crate::resource::parse_resources(text, Path::new("base.yaml"))
            .unwrap()
            .into_iter()
            .collect()
    }

    const BASE: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api, tier: web}}
    spec:
      containers:
        - name: proxy
          image: envoy
        - name: api
          image: api
          ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9102}]
---
apiVersion: v1
kind: Service
metadata: {name: api-web, namespace: shop, labels: {app: api}}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: api-metrics, namespace: shop, labels: {app: api, scrape: 'yes'}}
spec:
  selector: {app: api, tier: web}
  ports: [{name: metrics, port: 9102, targetPort: metrics}]
---
apiVersion: v1
kind: Service
metadata: {name: other, namespace: shop, labels: {app: other}}
spec:
  selector: {app: other}
  ports: [{name: metrics, port: 9102}]
";

    fn metrics(port: &str, mode: ScrapeMode) -> Metrics {
        Metrics {
            port: port.into(),
            path: "/metrics".into(),
            mode,
            exports: vec![],
        }
    }

    #[test]
    fn resolves_the_container_port_and_the_selecting_service_with_that_port() {
        let base = objects(BASE);
        let m = metrics("metrics", ScrapeMode::ServiceMonitor);
        let p = resolve(&m, &base[0], WorkloadKind::Deployment, &base).unwrap();
        assert_eq!((p.container.as_str(), p.port_number), ("api", 9102));
        assert_eq!(p.service.as_ref().unwrap().name, "api-metrics");
        let sm = service_monitor("api", &m, &p, Some("shop")).unwrap();
        assert_eq!(
            sm["spec"],
            json!({"selector": {"matchLabels": {"app": "api", "scrape": "yes"}},
                   "endpoints": [{"port": "metrics", "path": "/metrics"}]})
        );
        assert_eq!(
            annotations(&m, &p),
            BTreeMap::from([
                (SCRAPE.into(), "true".into()),
                (PORT.into(), "9102".into()),
                (PATH.into(), "/metrics".into())
            ])
        );
    }

    #[test]
    fn a_missing_port_or_service_port_is_an_error_naming_what_exists() {
        let base = objects(BASE);
        let e = resolve(
            &metrics("prom", ScrapeMode::Annotations),
            &base[0],
            WorkloadKind::Deployment,
            &base,
        )
        .unwrap_err();
        assert!(
            e.starts_with("Deployment/api has no container port named `prom`"),
            "{e}"
        );
        // `http` is on the container and on a Service: fine for both modes.
        assert!(
            resolve(
                &metrics("http", ScrapeMode::ServiceMonitor),
                &base[0],
                WorkloadKind::Deployment,
                &base
            )
            .is_ok()
        );
        let only_web: Vec<Resource> = base.iter().take(2).cloned().collect();
        let e = resolve(
            &metrics("metrics", ScrapeMode::ServiceMonitor),
            &only_web[0],
            WorkloadKind::Deployment,
            &only_web,
        )
        .unwrap_err();
        assert!(e.contains("no Service selecting Deployment/api's pods has a port named `metrics` (Services: api-web)"), "{e}");
        // Annotations need no Service.
        assert!(
            resolve(
                &metrics("metrics", ScrapeMode::Annotations),
                &only_web[0],
                WorkloadKind::Deployment,
                &only_web
            )
            .is_ok()
        );
    }

    #[test]
    fn exported_names_prefixes_and_series_suffixes() {
        let ex = vec![
            "media_clustering_*".to_string(),
            "redis_stream_length".to_string(),
            "http_request_duration_seconds".to_string(),
        ];
        for yes in [
            "media_clustering_batches_total",
            "redis_stream_length",
            "http_request_duration_seconds_bucket",
            "http_request_duration_seconds_count",
        ] {
            assert!(exported(&ex, yes), "{yes}");
        }
        for no in [
            "media_cluster",
            "redis_stream_length_max",
            "up",
            "http_request_duration",
        ] {
            assert!(!exported(&ex, no), "{no}");
        }
    }

    #[test]
    fn template_pointers_per_kind() {
        assert_eq!(template_pointer(WorkloadKind::Deployment), "/spec/template");
        assert_eq!(
            template_pointer(WorkloadKind::CronJob),
            "/spec/jobTemplate/spec/template"
        );
    }
}
