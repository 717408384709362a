//! Benchmark: `rollout diff` of 3,000 Deployments against a snapshot (target: under 1 s).
//!
//! Generates, in a temp dir, a rendered stream of 3,000 staging-shaped Deployments (flag, new
//! image, base-image annotation) and a `kubectl get -o yaml` List of their live counterparts
//! (server defaults, managedFields, last-applied annotation, status), both cloned from the
//! committed fixtures. Then times the whole library call (`rollout::diff::run`: parse both,
//! normalize, compare, unified diff, evidence) and its parts. Run: `cargo bench --bench diff`.

use std::path::Path;
use std::time::{Duration, Instant};

use rollout::diff::{DiffOptions, Expectations, LiveOptions, compare_all, render_dir};
use rollout::live::{LiveQuery, Snapshot};
use rollout::resource::{Resource, parse_resources};
use rollout::value::Value;

const N: usize = 3_000;
const RUNS: usize = 5;

fn load(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    parse_resources(&text, path)
        .unwrap()
        .into_iter()
        .map(|r| r.value)
        .collect()
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap()
}

fn renamed(template: &Value, i: usize) -> Value {
    let mut v = template.clone();
    let name = format!("svc-{i:04}");
    v["metadata"]["name"] = name.clone().into();
    v["metadata"]["labels"]["app.kubernetes.io/name"] = name.clone().into();
    v["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] = name.clone().into();
    v["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"] = name.into();
    v
}

/// CPU time of this process (user + system) from /proc, in ms: robust against other load on the
/// machine, unlike wall time. `None` off Linux.
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10.0)
}

fn best<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed());
        last = Some(r);
    }
    (best, last.unwrap())
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rendered_docs = load(&root.join("fixtures/diff/rendered-staging.yaml"));
    let live_docs = load(&root.join("fixtures/live/staging/deployments.yaml"));
    let r_tpl = find(&rendered_docs, "Deployment", "auth");
    let l_tpl = find(&live_docs, "Deployment", "auth");

    let tmp = tempfile::tempdir().unwrap();
    let rendered_path = tmp.path().join("rendered.yaml");
    let live_dir = tmp.path().join("live");
    std::fs::create_dir_all(&live_dir).unwrap();
    let rendered: Vec<Value> = (0..N).map(|i| renamed(r_tpl, i)).collect();
    let live_items: Vec<Value> = (0..N).map(|i| renamed(l_tpl, i)).collect();
    std::fs::write(&rendered_path, rollout::yaml::emit_stream(rendered.iter())).unwrap();
    let list = rollout::json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": live_items});
    std::fs::write(
        live_dir.join("deployments.yaml"),
        rollout::yaml::emit(&list),
    )
    .unwrap();
    let live_json_dir = tmp.path().join("live-json");
    std::fs::create_dir_all(&live_json_dir).unwrap();
    std::fs::write(
        live_json_dir.join("deployments.json"),
        serde_json::to_string_pretty(&list).unwrap(),
    )
    .unwrap();
    // `cargo bench --bench diff -- --inputs DIR`: write the inputs to DIR for profiling the
    // command line (perf, callgrind), and stop.
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--inputs") {
        let dir = Path::new(args.get(i + 1).expect("--inputs DIR"));
        std::fs::create_dir_all(dir.join("live")).unwrap();
        std::fs::copy(&rendered_path, dir.join("rendered.yaml")).unwrap();
        std::fs::copy(
            live_dir.join("deployments.yaml"),
            dir.join("live/deployments.yaml"),
        )
        .unwrap();
        println!("inputs written to {}", dir.display());
        return;
    }
    let mb = |p: &Path| std::fs::metadata(p).unwrap().len() as f64 / 1e6;
    println!(
        "input: {N} Deployments; rendered {:.1} MB, snapshot {:.1} MB",
        mb(&rendered_path),
        mb(&live_dir.join("deployments.yaml"))
    );

    let opts = DiffOptions {
        target: rendered_path.clone(),
        live: LiveOptions::Snapshot(live_dir.clone()),
        prune_selector: None,
        ignore: vec![],
        expect: Expectations::default(),
        environment: Some("bench".into()),
        evidence_markdown: Some(tmp.path().join("evidence.md")),
        evidence_json: Some(tmp.path().join("evidence.json")),
        now: None,
    };
    // Warm-up (page cache, allocator), not measured.
    let _ = rollout::diff::run(&opts).unwrap();
    let cpu0 = cpu_ms();
    let (total, report) = best(|| rollout::diff::run(&opts).unwrap());
    let cpu_run = cpu_ms().zip(cpu0).map(|(b, a)| (b - a) / RUNS as f64);
    let json_opts = DiffOptions {
        live: LiveOptions::Snapshot(live_json_dir.clone()),
        ..opts.clone()
    };
    let (total_json, report_json) = best(|| rollout::diff::run(&json_opts).unwrap());
    let bare_opts = DiffOptions {
        evidence_markdown: None,
        evidence_json: None,
        ..opts.clone()
    };
    let (total_bare, _) = best(|| rollout::diff::run(&bare_opts).unwrap());
    assert_eq!(report_json.summary(), report.summary());
    let text_live = std::fs::read_to_string(live_dir.join("deployments.yaml")).unwrap();
    let (raw_events, n_events) = best(|| {
        let mut p = granit_parser::Parser::new_from_str(&text_live);
        let mut n = 0usize;
        while let Some(Ok(_)) = p.next_event() {
            n += 1;
        }
        n
    });
    let s = report.summary();
    assert_eq!((s.changed, s.unchanged), (N, 0));
    assert!(report.evidence.unexpected.is_empty());
    let (text_t, text) = best(|| rollout::diff::text::render(&report.objects, false));

    let (parse_r, r) = best(|| render_dir(&rendered_path).unwrap());
    let (parse_l, snap) = best(|| Snapshot::load_lean(&live_dir).unwrap());
    let (parse_full, _) = best(|| Snapshot::load(&live_dir).unwrap());
    let query = LiveQuery {
        ids: r.resources.iter().map(Resource::id).collect(),
        ..Default::default()
    };
    let (query_t, live) = best(|| snap.clone().into_live(&query));
    let (cmp, objs) = best(|| compare_all(&r.resources, &live, &[]));
    assert_eq!(objs.len(), N);
    let (ev_t, ev) = best(|| {
        rollout::diff::evidence::build(
            &objs,
            &live.source,
            &rendered_path,
            &Expectations::default(),
            Some("bench"),
            jiff::Timestamp::now(),
            &text,
        )
    });
    let (md_t, md_text) = best(|| ev.to_markdown());
    let md_path = tmp.path().join("probe.md");
    let (write_t, _) = best(|| {
        let _ = std::fs::remove_file(&md_path);
        rollout::fsutil::write_atomic(&md_path, md_text.as_bytes()).unwrap()
    });
    let write_ms = write_t.as_secs_f64() * 1e3;
    println!(
        "  write_atomic of the Markdown evidence ({:.1} MB): {write_ms:.1} ms",
        md_text.len() as f64 / 1e6
    );
    let (js_t, _) = best(|| serde_json::to_string_pretty(&ev.to_json()).unwrap());
    let drop_t = best(|| {
        let s = snap.clone();
        let t = Instant::now();
        drop(s);
        t.elapsed()
    });

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "rollout diff (whole run, evidence written): {:>8.1} ms  (best of {RUNS})",
        ms(total)
    );
    println!(
        "rollout diff, no evidence files written      : {:>5.1} ms  (best of {RUNS})",
        ms(total_bare)
    );
    println!(
        "rollout diff, snapshot as `kubectl get -o json`: {:>5.1} ms  (best of {RUNS})",
        ms(total_json)
    );
    if let Some(c) = cpu_run {
        println!("  CPU time per run (user+sys, both threads): {c:>6.0} ms");
    }
    println!("  rendering and snapshot loading overlap on two threads; parts below are sequential");
    println!(
        "  (floor: YAML events of the snapshot, no values built: {:.1} ms, {n_events} events)",
        ms(raw_events)
    );
    println!(
        "  parse rendered stream                   : {:>8.1} ms",
        ms(parse_r)
    );
    println!(
        "  load snapshot, managedFields skipped    : {:>8.1} ms (all fields: {:.1} ms)",
        ms(parse_l),
        ms(parse_full)
    );
    println!(
        "  normalize + project + compare + YAML    : {:>8.1} ms",
        ms(cmp)
    );
    println!(
        "  snapshot lookup (move objects out)      : {:>8.1} ms",
        ms(query_t)
    );
    println!(
        "  unified diff text ({} lines)         : {:>8.1} ms",
        text.lines().count(),
        ms(text_t)
    );
    println!(
        "  evidence model / Markdown / JSON        : {:>8.1} / {:.1} / {:.1} ms",
        ms(ev_t),
        ms(md_t),
        ms(js_t)
    );
    println!(
        "  dropping the loaded snapshot            : {:>8.1} ms",
        ms(drop_t.1)
    );
    println!(
        "target < 1000 ms (in-process): {}",
        if total < Duration::from_secs(1) {
            "met"
        } else {
            "NOT met"
        }
    );
    cli(tmp.path(), &rendered_path, &live_dir);
}

/// The command line, as a user runs it: wall time and peak RSS of each run (`/usr/bin/time`),
/// median and range, against the issue-16 targets (0.4 s, 150 MB).
fn cli(dir: &Path, rendered: &Path, live: &Path) {
    let exe = env!("CARGO_BIN_EXE_rollout");
    let mut runs: Vec<(f64, f64)> = Vec::new();
    for _ in 0..RUNS {
        let out = std::process::Command::new("/usr/bin/time")
            .args(["-f", "%e %M", exe, "diff"])
            .arg(rendered)
            .arg("--live-dir")
            .arg(live)
            .arg("--evidence")
            .arg(dir.join("cli-evidence.md"))
            .stdout(std::process::Stdio::null())
            .output();
        let Ok(out) = out else {
            println!("command line: /usr/bin/time not available, not measured");
            return;
        };
        assert_eq!(out.status.code(), Some(1), "the bench diff has changes");
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or_default();
        let mut f = last.split(' ').filter_map(|x| x.parse::<f64>().ok());
        if let (Some(wall), Some(kb)) = (f.next(), f.next()) {
            runs.push((wall, kb / 1024.0));
        }
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let Some(&(median, _)) = runs.get(runs.len() / 2) else {
        return;
    };
    let peak = runs.iter().map(|r| r.1).fold(0.0, f64::max);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "command line `rollout diff --live-dir --evidence`: median {median:.2} s (range {:.2}-{:.2} s), peak {peak:.0} MB over {RUNS} runs; load average {}",
        runs[0].0,
        runs[runs.len() - 1].0,
        load.split(' ').next().unwrap_or("?")
    );
    println!(
        "targets (issue 16): <= 0.40 s {}, <= 150 MB {}",
        if median <= 0.4 { "met" } else { "NOT met" },
        if peak <= 150.0 { "met" } else { "NOT met" }
    );
}
