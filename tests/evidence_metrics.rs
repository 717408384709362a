//! `rollout evidence metrics` against a real Prometheus (`tests/support/prometheus.rs`) scraping a
//! `/metrics` file this test serves and rewrites: every query of the pipeline dashboard over the
//! window, values and a chart per panel, the report embedding the charts.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;
use support::http_server::HttpServer;
use support::prometheus::Prometheus;

/// The exposition at tick `k`: every metric the dashboard queries, in namespace media.
fn exposition(k: u64) -> String {
    let mut s = String::new();
    let ns = "namespace=\"media\"";
    s += &format!(
        "media_clustering_stream_pending_messages{{{ns},stream=\"embedding-events\",group=\"clusterer\"}} {}\n",
        10 + k
    );
    s += &format!(
        "media_clustering_stream_consumer_lag_seconds{{{ns},stream=\"embedding-events\",group=\"clusterer\"}} {}\n",
        k as f64 * 0.5
    );
    s += &format!(
        "media_clustering_stream_length{{{ns},stream=\"embedding-events\"}} {}\n",
        100 + 3 * k
    );
    s += &format!(
        "media_clustering_stream_group_lag_messages{{{ns},stream=\"embedding-events\",group=\"clusterer\"}} {}\n",
        2 * k
    );
    s += &format!(
        "embedder_stream_events_published_total{{{ns},stream=\"embedding-events\"}} {}\n",
        5 * k
    );
    s += &format!(
        "media_clustering_stream_events_acked_total{{{ns},stream=\"embedding-events\"}} {}\n",
        3 * k
    );
    s += &format!(
        "embedder_embeddings_total{{{ns},model=\"clip\"}} {}\n",
        10 * k
    );
    s += &format!(
        "embedder_embedding_errors_total{{{ns},reason=\"timeout\"}} {}\n",
        k / 2
    );
    s += &format!("media_clustering_jobs_total{{{ns}}} {}\n", 4 * k);
    s += &format!(
        "media_clustering_jobs_failed_total{{{ns},reason=\"oom\"}} {}\n",
        k / 3
    );
    for (name, scale) in [
        ("embedder_embedding_duration_seconds", 1),
        ("media_clustering_job_duration_seconds", 2),
    ] {
        for (le, frac) in [("0.1", 1), ("0.5", 3), ("1", 5), ("+Inf", 6)] {
            s += &format!("{name}_bucket{{{ns},le=\"{le}\"}} {}\n", frac * k * scale);
        }
        s += &format!("{name}_sum{{{ns}}} {}\n", k * scale);
        s += &format!("{name}_count{{{ns}}} {}\n", 6 * k * scale);
    }
    s
}

fn rollout(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rollout"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_dashboard_query_over_the_window_with_charts_in_the_report() {
    let served = tempfile::tempdir().unwrap();
    std::fs::write(served.path().join("metrics"), exposition(0)).unwrap();
    let http = HttpServer::files(served.path());
    let target = http
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let prom = Prometheus::start(&target);
    let from = jiff::Timestamp::now();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let dir_served = served.path().to_path_buf();
    let writer = std::thread::spawn(move || {
        let mut k = 1;
        while !s.load(Ordering::Relaxed) {
            let tmp = dir_served.join("metrics.tmp");
            std::fs::write(&tmp, exposition(k)).unwrap();
            std::fs::rename(&tmp, dir_served.join("metrics")).unwrap();
            k += 1;
            std::thread::sleep(Duration::from_millis(500));
        }
    });
    // Enough scrapes for rate() over the 4 s $__rate_interval.
    std::thread::sleep(Duration::from_secs(9));
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let to = jiff::Timestamp::now();
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("dashboards")).unwrap();
    std::fs::copy(
        support::repo().join("dashboards/media-clustering-redis-streams.json"),
        work.path()
            .join("dashboards/media-clustering-redis-streams.json"),
    )
    .unwrap();
    let (code, out, err) = rollout(
        work.path(),
        &[
            "evidence",
            "metrics",
            "--prometheus-url",
            &prom.url,
            "--from",
            &from.to_string(),
            "--to",
            &to.to_string(),
            "--step",
            "1s",
            "--scrape-interval",
            "1s",
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.ends_with("\nok\n"), "{out}");
    let ev: Value = serde_json::from_str(
        &std::fs::read_to_string(work.path().join("evidence/metrics.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(ev["kind"], "metrics");
    assert_eq!(ev["variables"]["namespace"], "media");
    let panels = ev["panels"].as_array().unwrap();
    assert_eq!(panels.len(), 12);
    for p in panels {
        for t in p["targets"].as_array().unwrap() {
            assert_eq!(t["result"], "ok", "{t}");
            assert!(!t["query"].as_str().unwrap().contains('$'), "{t}");
        }
        let svg = std::fs::read_to_string(
            work.path()
                .join("evidence")
                .join(p["chart"].as_str().unwrap()),
        )
        .unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("<polyline"),
            "{svg}"
        );
    }
    // The backlog the endpoint served, before and after.
    let backlog = &panels[0]["targets"][0];
    assert_eq!(
        backlog["query"],
        "sum(media_clustering_stream_pending_messages{namespace=\"media\"})"
    );
    let series = &backlog["series"][0];
    let (first, last) = (
        series["first"].as_f64().unwrap(),
        series["last"].as_f64().unwrap(),
    );
    assert!(first >= 10.0 && last > first && last <= 30.0, "{series}");
    assert_eq!(last.fract(), 0.0, "a served gauge value: {last}");
    let published = panels
        .iter()
        .find(|p| p["title"] == "Events published vs consumed")
        .unwrap();
    assert!(
        published["targets"][0]["query"]
            .as_str()
            .unwrap()
            .contains("[4s]"),
        "max(step + scrape, 4 × scrape)"
    );
    let rate = published["targets"][0]["series"][0]["max"]
        .as_f64()
        .unwrap();
    assert!(
        rate > 0.5 && rate <= 15.0,
        "5 events per 0.5 s tick, at most 10/s: {rate}"
    );

    std::fs::create_dir_all(work.path().join("docs")).unwrap();
    let (_, _, err) = rollout(work.path(), &["evidence", "--out", "docs/report.md"]);
    let md = std::fs::read_to_string(work.path().join("docs/report.md")).unwrap();
    assert!(
        md.contains("- [x] Metrics before and after (Prometheus) (present)"),
        "{err}\n{md}"
    );
    assert!(
        md.contains("![Stream backlog](../evidence/metrics/panel-2.svg)"),
        "{md}"
    );
    assert!(md.contains("| Stream backlog [A] | "), "{md}");

    // A query Prometheus refuses, and one with no data: exit 1, each named.
    std::fs::write(
        work.path().join("bad.json"),
        r#"{"title": "bad", "panels": [
            {"id": 1, "type": "timeseries", "title": "Broken", "targets": [{"refId": "A", "expr": "sum(rate(x[5m]"}]},
            {"id": 2, "type": "timeseries", "title": "Absent", "targets": [{"refId": "B", "expr": "no_such_metric_total"}]}]}"#,
    )
    .unwrap();
    let (code, out, err) = rollout(
        work.path(),
        &[
            "evidence",
            "metrics",
            "--prometheus-url",
            &prom.url,
            "--from",
            &from.to_string(),
            "--to",
            &to.to_string(),
            "--dashboard",
            "bad.json",
        ],
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("Broken [A]: error: bad_data: "), "{out}");
    assert!(out.contains("Absent [B]: no-data"), "{out}");
    assert!(out.ends_with("failed\n"), "{out}");
}

#[test]
fn bad_input_is_exit_2_in_one_line() {
    let work = tempfile::tempdir().unwrap();
    let (code, _, err) = rollout(
        work.path(),
        &[
            "evidence",
            "metrics",
            "--prometheus-url",
            "http://127.0.0.1:9",
            "--from",
            "yesterday",
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: --from: invalid time \"yesterday\": use RFC 3339 (2026-12-01T10:00:00Z), now or now-30m\n"
    );
    let (code, _, err) = rollout(
        work.path(),
        &[
            "evidence",
            "metrics",
            "--prometheus-url",
            "http://127.0.0.1:9",
            "--from",
            "now-1h",
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: no dashboards/*.json here: pass --dashboard FILE\n"
    );
    std::fs::write(
        work.path().join("d.json"),
        r#"{"panels": [{"id": 1, "targets": [{"expr": "up"}]}]}"#,
    )
    .unwrap();
    let (code, _, err) = rollout(
        work.path(),
        &[
            "evidence",
            "metrics",
            "--prometheus-url",
            "http://127.0.0.1:9",
            "--from",
            "now-1h",
            "--dashboard",
            "d.json",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: prometheus at http://127.0.0.1:9: ") && err.lines().count() == 1,
        "{err}"
    );
}
