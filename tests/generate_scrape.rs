//! Declared scraping (issue 15, item 4) end to end: `services[].metrics` makes `generate` write
//! the `prometheus.io/*` pod annotations (one service) and a ServiceMonitor (another); the real
//! Prometheus (`tests/support/prometheus.rs`) then scrapes two `/metrics` endpoints this test
//! serves, through scrape jobs derived from what `rollout render` outputs: the annotations go
//! through Prometheus' own `kubernetes-pods` relabelling (the annotations as `__meta_` labels of a
//! static target), the ServiceMonitor's endpoint is resolved as the Prometheus Operator does
//! (Service port name, its targetPort, the container port), and both targets must be up with a
//! metric ingested. `verify` then names a dashboard metric no service exports and a Service
//! without the metrics port.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use rollout::value::Value;
use support::http_server::HttpServer;
use support::prometheus::Prometheus;

fn rollout(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rollout"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SPEC: &str = "apiVersion: rollout/v1alpha1
kind: Rollout
metadata: {name: shop}
base: {path: k8s/base}
environments:
  dev:
    namespace: shop
    cluster: dev-eu-1
    argocd: {project: shop, repoURL: https://github.com/sploot/shop.git}
services:
  - name: api
    image: ghcr.io/shop/api
    tag: 1.4.0
    metrics:
      port: metrics
      path: /stats/prometheus
      exports: [api_requests_total]
  - name: worker
    image: ghcr.io/shop/worker
    tag: 2.0.1
    metrics:
      port: metrics
      mode: serviceMonitor
      exports: ['worker_*']
";

fn deployment(name: &str, port: u16) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - image: ghcr.io/shop/{name}:0.0.1
        name: {name}
        ports:
        - containerPort: 8080
          name: http
        - containerPort: {port}
          name: metrics
"
    )
}

fn service(name: &str, with_metrics_port: bool) -> String {
    let extra = if with_metrics_port {
        "  - name: metrics\n    port: 9100\n    targetPort: metrics\n"
    } else {
        ""
    };
    format!(
        "apiVersion: v1
kind: Service
metadata:
  labels:
    app: {name}
  name: {name}
  namespace: shop
spec:
  ports:
  - name: http
    port: 80
    targetPort: http
{extra}  selector:
    app: {name}
"
    )
}

/// The base: the api and worker Deployments with their metrics ports, api's Service without a
/// metrics port, worker's with one.
fn write_base(base: &Path, api_port: u16, worker_port: u16) {
    std::fs::write(
        base.join("workloads.yaml"),
        format!(
            "{}---\n{}---\n{}---\n{}",
            deployment("api", api_port),
            deployment("worker", worker_port),
            service("api", false),
            service("worker", true)
        ),
    )
    .unwrap();
    std::fs::write(
        base.join("kustomization.yaml"),
        "resources:\n- workloads.yaml\n",
    )
    .unwrap();
}

const DASHBOARD: &str = r#"{
  "title": "Shop",
  "uid": "shop",
  "schemaVersion": 39,
  "panels": [
    {"id": 1, "type": "timeseries", "title": "Requests", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
     "targets": [{"refId": "A", "expr": "sum(rate(api_requests_total[5m]))"}]},
    {"id": 2, "type": "timeseries", "title": "Jobs", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8},
     "targets": [{"refId": "A", "expr": "sum by (queue) (worker_jobs_total) / on() group_left orphan_queue_depth"}]}
  ]
}
"#;

fn port_of(server: &HttpServer) -> u16 {
    server
        .url()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap()
}

fn docs(text: &str) -> Vec<Value> {
    rollout::yaml::parse_stream(text)
        .unwrap()
        .into_iter()
        .map(|d| d.value)
        .collect()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name} in the render"))
}

/// The scrape job Prometheus' example `kubernetes-pods` job makes of a pod with these
/// annotations, the pod (its IP) being 127.0.0.1.
fn pod_job(annotations: &rollout::value::Map) -> String {
    let mut labels = String::new();
    for (k, v) in annotations {
        let meta = format!(
            "__meta_kubernetes_pod_annotation_{}",
            k.replace(['.', '/', '-'], "_")
        );
        labels += &format!("          {meta}: '{}'\n", v.as_str().unwrap());
    }
    format!(
        "  - job_name: kubernetes-pods
    static_configs:
      - targets: ['127.0.0.1']
        labels:
{labels}    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        action: keep
        regex: 'true'
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
        action: replace
        target_label: __metrics_path__
        regex: (.+)
      - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
        action: replace
        regex: ([^:]+)(?::\\d+)?;(\\d+)
        replacement: $1:$2
        target_label: __address__
"
    )
}

/// The job the Prometheus Operator makes of a ServiceMonitor endpoint: the Service port of that
/// name, its targetPort (a container port name) resolved to the number on the selected pod.
fn monitor_job(monitor: &Value, service: &Value, deployment: &Value) -> String {
    let ep = &monitor["spec"]["endpoints"][0];
    let port_name = ep["port"].as_str().unwrap();
    let path = ep["path"].as_str().unwrap_or("/metrics");
    let svc_port = service["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == port_name)
        .expect("the ServiceMonitor's port is on the Service");
    let target = &svc_port["targetPort"];
    let container_port = deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| match target {
            Value::String(n) => p["name"] == *n,
            n => p["containerPort"] == *n,
        })
        .expect("the targetPort is on the container")["containerPort"]
        .as_u64()
        .unwrap();
    format!(
        "  - job_name: serviceMonitor/shop/{}/0
    metrics_path: {path}
    static_configs:
      - targets: ['127.0.0.1:{container_port}']
",
        monitor["metadata"]["name"].as_str().unwrap()
    )
}

fn wait_for(prom: &Prometheus, what: &str, ok: impl Fn(&Value) -> bool, path: &str) -> Value {
    let start = Instant::now();
    loop {
        if let Some(v) = prom
            .api(path)
            .and_then(|b| serde_json::from_str::<Value>(&b).ok())
            && ok(&v)
        {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what}: last answer {:?}",
            prom.api(path)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn prometheus_scrapes_through_the_generated_annotations_and_service_monitor() {
    let api_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(api_dir.path().join("stats")).unwrap();
    std::fs::write(
        api_dir.path().join("stats/prometheus"),
        "# TYPE api_requests_total counter\napi_requests_total{code=\"200\"} 42\n",
    )
    .unwrap();
    let worker_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        worker_dir.path().join("metrics"),
        "# TYPE worker_jobs_total counter\nworker_jobs_total{queue=\"embed\"} 7\n",
    )
    .unwrap();
    let api_http = HttpServer::files(api_dir.path());
    let worker_http = HttpServer::files(worker_dir.path());

    let repo = tempfile::tempdir().unwrap();
    let base = repo.path().join("k8s/base");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::create_dir_all(repo.path().join("dashboards")).unwrap();
    std::fs::write(repo.path().join("rollout.yaml"), SPEC).unwrap();
    std::fs::write(repo.path().join("dashboards/shop.json"), DASHBOARD).unwrap();
    write_base(&base, port_of(&api_http), port_of(&worker_http));

    let (code, out, err) = rollout(repo.path(), &["generate"]);
    assert_eq!(code, 0, "{out}{err}");
    let kustomization =
        std::fs::read_to_string(repo.path().join("overlays/dev/kustomization.yaml")).unwrap();
    assert!(
        kustomization.contains("- servicemonitor-worker.yaml\n"),
        "{kustomization}"
    );
    let (code, rendered, err) = rollout(repo.path(), &["render", "overlays/dev"]);
    assert_eq!(code, 0, "{err}");
    let objects = docs(&rendered);
    let api = find(&objects, "Deployment", "api");
    let annotations = api["spec"]["template"]["metadata"]["annotations"]
        .as_object()
        .expect("annotations on the api pod template");
    assert_eq!(annotations["prometheus.io/scrape"], "true");
    assert_eq!(
        annotations["prometheus.io/port"],
        port_of(&api_http).to_string()
    );
    assert_eq!(annotations["prometheus.io/path"], "/stats/prometheus");
    let worker = find(&objects, "Deployment", "worker");
    assert!(
        worker["spec"]["template"]["metadata"]
            .get("annotations")
            .is_none(),
        "serviceMonitor mode writes no annotations"
    );
    let monitor = find(&objects, "ServiceMonitor", "worker");
    assert_eq!(monitor["apiVersion"], "monitoring.coreos.com/v1");
    assert_eq!(monitor["metadata"]["namespace"], "shop");
    assert_eq!(
        monitor["spec"]["selector"]["matchLabels"],
        rollout::json!({"app": "worker"})
    );

    let jobs =
        pod_job(annotations) + &monitor_job(monitor, find(&objects, "Service", "worker"), worker);
    let prom = Prometheus::with_scrape_configs(&jobs);
    let targets = wait_for(
        &prom,
        "both targets up",
        |v| {
            let active = v["data"]["activeTargets"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            active.len() == 2 && active.iter().all(|t| t["health"] == "up")
        },
        "/api/v1/targets",
    );
    let urls: Vec<&str> = targets["data"]["activeTargets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["scrapeUrl"].as_str().unwrap())
        .collect();
    assert!(
        urls.contains(
            &format!("http://127.0.0.1:{}/stats/prometheus", port_of(&api_http)).as_str()
        ),
        "{urls:?}"
    );
    for (metric, value) in [("api_requests_total", "42"), ("worker_jobs_total", "7")] {
        let v = wait_for(
            &prom,
            metric,
            |v| {
                v["data"]["result"]
                    .as_array()
                    .is_some_and(|r| !r.is_empty())
            },
            &format!("/api/v1/query?query={metric}"),
        );
        assert_eq!(v["data"]["result"][0]["value"][1], value, "{v}");
    }

    // verify: the dashboard's unexported metric and api's Service without the metrics port.
    let (code, out, err) = rollout(repo.path(), &["verify"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("dashboard `Shop`, panel `Jobs` (query A) reads `orphan_queue_depth`, which no service exports"),
        "{out}"
    );
    assert!(
        !out.contains("reads `worker_jobs_total`") && !out.contains("reads `api_requests_total`"),
        "{out}"
    );
    assert!(
        out.contains(
            "no Service selecting Deployment/api's pods has a port named `metrics` (Services: api)"
        ),
        "{out}"
    );
    assert!(!out.contains("Deployment/worker's pods"), "{out}");
}

#[test]
fn a_service_monitor_without_a_service_port_is_a_generate_error_at_the_spec() {
    let repo = tempfile::tempdir().unwrap();
    let base = repo.path().join("k8s/base");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::write(
        repo.path().join("rollout.yaml"),
        SPEC.replace(
            "      exports: [api_requests_total]\n",
            "      mode: serviceMonitor\n",
        ),
    )
    .unwrap();
    write_base(&base, 9102, 9103);
    let (code, out, err) = rollout(repo.path(), &["generate"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("rollout.yaml:15:7")
            && err.contains("service `api`: a ServiceMonitor scrapes through a Service, and no Service selecting Deployment/api's pods has a port named `metrics` (Services: api)"),
        "{err}"
    );
}
