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
use serde_json::Value;

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
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": live_items});
    std::fs::write(
        live_dir.join("deployments.yaml"),
        rollout::yaml::emit(&list),
    )
    .unwrap();
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
        evidence_markdown: Some(tmp.path().join("evidence.md")),
        evidence_json: Some(tmp.path().join("evidence.json")),
        now: None,
    };
    let (total, report) = best(|| rollout::diff::run(&opts).unwrap());
    let s = report.summary();
    assert_eq!((s.changed, s.unchanged), (N, 0));
    assert!(report.evidence.unexpected.is_empty());
    let (text_t, text) = best(|| report.render_text(false));

    let (parse_r, r) = best(|| render_dir(&rendered_path).unwrap());
    let (parse_l, snap) = best(|| Snapshot::load(&live_dir).unwrap());
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
            jiff::Timestamp::now(),
            &text,
        )
    });
    let (md_t, _) = best(|| ev.to_markdown());
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
        "  parse rendered stream                   : {:>8.1} ms",
        ms(parse_r)
    );
    println!(
        "  load snapshot (List)                    : {:>8.1} ms",
        ms(parse_l)
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
        "target < 1000 ms: {}",
        if total < Duration::from_secs(1) {
            "met"
        } else {
            "NOT met"
        }
    );
}
