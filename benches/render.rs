//! Benchmark: `rollout render` against `kubectl kustomize` on the same generated overlay.
//!
//! Generates N copies of this repo's service set (3 Deployments, 3 Services, 1 ConfigMap per copy)
//! under one staging overlay (namespace, labels, commonAnnotations, images, strategic-merge patches
//! with labelSelector targets, configMapGenerator), then times both tools on the same tree in the
//! same run and prints wall time, peak RSS (from `/usr/bin/time -v`) and the ratio. Outputs are
//! compared byte for byte where both ran.
//!
//! Run: `cargo bench --bench render` (needs `scripts/install-test-tools.sh` for kubectl).
//! `ROLLOUT_BENCH_KUBECTL_MAX` (default 1002) caps the Deployment count kubectl is run on: it
//! grows quadratically (about 11 minutes for 3,000 Deployments on 2 cores).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const SERVICES: [&str; 3] = ["auth", "embedder", "media-clustering"];

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

/// Writes the tree for `copies` copies of the service set; returns the overlay directory.
fn generate(root: &Path, copies: usize) -> PathBuf {
    let mut base_k = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for c in 0..copies {
        let mut text = String::new();
        for s in SERVICES {
            let name = format!("{s}-{c}");
            let _ = write!(
                text,
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    app.kubernetes.io/name: {s}\n    app.kubernetes.io/instance: {name}\n    app.kubernetes.io/part-of: media\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/instance: {name}\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/instance: {name}\n        app.kubernetes.io/name: {s}\n    spec:\n      containers:\n      - name: {s}\n        image: sploot/python-base:3.11-cpu\n        args: [\"--port\", \"8080\"]\n        ports:\n        - containerPort: 8080\n          name: http\n        env:\n        - name: LOG_LEVEL\n          value: info\n        - name: ENABLE_EMBEDDING_EVENT_STREAMS\n          value: \"0\"\n        envFrom:\n        - configMapRef:\n            name: media-config-{c}\n        resources:\n          limits: {{cpu: \"1\", memory: 512Mi}}\n          requests: {{cpu: 100m, memory: 128Mi}}\n        readinessProbe:\n          httpGet: {{path: /healthz, port: http}}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  labels:\n    app.kubernetes.io/name: {s}\nspec:\n  selector:\n    app.kubernetes.io/instance: {name}\n  ports:\n  - port: 80\n    targetPort: http\n---\n"
            );
        }
        let _ = write!(
            text,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: media-config-{c}\ndata:\n  REDIS_URL: redis://redis:6379/0\n  WORKERS: \"4\"\n"
        );
        write(&root.join(format!("base/copy-{c}.yaml")), &text);
        let _ = writeln!(base_k, "- copy-{c}.yaml");
    }
    write(&root.join("base/kustomization.yaml"), &base_k);
    let overlay = root.join("overlays/staging");
    write(
        &overlay.join("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: media\nresources:\n- ../../base\nlabels:\n- pairs:\n    environment: staging\n  includeSelectors: false\ncommonAnnotations:\n  rollout.sploot.io/spec: rollout.yaml\nimages:\n- name: sploot/python-base\n  newTag: 3.11-cpu-20260101\npatches:\n- path: flag-on.yaml\n  target:\n    kind: Deployment\n    labelSelector: app.kubernetes.io/name in (auth,embedder)\n- path: replicas.yaml\n  target:\n    kind: Deployment\n    labelSelector: app.kubernetes.io/part-of=media\nconfigMapGenerator:\n- name: rollout-flags\n  literals:\n  - ENABLE_EMBEDDING_EVENT_STREAMS=1\n",
    );
    write(
        &overlay.join("flag-on.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: any\nspec:\n  template:\n    spec:\n      containers:\n      - name: auth\n        env:\n        - name: ENABLE_EMBEDDING_EVENT_STREAMS\n          value: \"1\"\n",
    );
    write(
        &overlay.join("replicas.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: any\nspec:\n  replicas: 2\n",
    );
    overlay
}

struct Run {
    secs: f64,
    /// User + system CPU seconds (NaN without `/usr/bin/time`).
    cpu: f64,
    peak_mb: f64,
    stdout: Vec<u8>,
}

/// Runs a command under `/usr/bin/time -v` (when present) and returns wall time and peak RSS.
fn run(program: &Path, args: &[&str]) -> Run {
    let time = Path::new("/usr/bin/time");
    let start = Instant::now();
    let out = if time.is_file() {
        Command::new(time)
            .arg("-v")
            .arg(program)
            .args(args)
            .output()
    } else {
        Command::new(program).args(args).output()
    }
    .expect("run");
    let secs = start.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{} failed: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let peak_kb: f64 = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(f64::NAN);
    let field = |name: &str| -> f64 {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(f64::NAN)
    };
    let cpu = field("User time (seconds):") + field("System time (seconds):");
    Run {
        secs,
        cpu,
        peak_mb: peak_kb / 1024.0,
        stdout: out.stdout,
    }
}

/// One run under `/usr/bin/time -v` for CPU time and peak memory, then the best wall time of `n`
/// plain runs (so the wall time does not include the `time` wrapper's own start-up).
fn best_of(n: usize, program: &Path, args: &[&str]) -> Run {
    let mut r = run(program, args);
    for _ in 0..n {
        let start = Instant::now();
        let ok = Command::new(program)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run")
            .success();
        assert!(ok, "{} failed", program.display());
        r.secs = r.secs.min(start.elapsed().as_secs_f64());
    }
    r
}

/// Best time of `n` runs of `f`, in seconds.
fn best_secs(n: usize, mut f: impl FnMut()) -> f64 {
    (0..n)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// The reader alone on the resource files of the 3,000-Deployment tree (one thread): the
/// parser's event rate (granit-parser, what values were built from before the scanner), and
/// `rollout`'s readers, which build values (with and without positions).
fn parse_rates() {
    let tmp = tempfile::tempdir().expect("tempdir");
    generate(tmp.path(), 1000);
    let files: Vec<String> = (0..1000)
        .map(|c| {
            std::fs::read_to_string(tmp.path().join(format!("base/copy-{c}.yaml"))).expect("read")
        })
        .collect();
    let text = files.join("---\n");
    let mb = text.len() as f64 / 1e6;
    let mut events = 0usize;
    let granit = best_secs(5, || {
        events = 0;
        let mut p = granit_parser::Parser::new_from_str(&text);
        while let Some(ev) = p.next_event() {
            ev.expect("valid YAML");
            events += 1;
        }
    });
    // Each file on its own, as the loader reads them (each below the parallel threshold).
    let untracked = best_secs(5, || {
        for f in &files {
            rollout::yaml::parse_stream_untracked(f).expect("valid YAML");
        }
    });
    let tracked = best_secs(5, || {
        for f in &files {
            rollout::yaml::parse_stream(f).expect("valid YAML");
        }
    });
    println!(
        "reader on {mb:.2} MB ({events} events): granit-parser events alone {:.0} MB/s ({:.0} ns/event); \
         rollout values without positions {:.0} MB/s, with positions {:.0} MB/s\n",
        mb / granit,
        granit * 1e9 / events as f64,
        mb / untracked,
        mb / tracked
    );
}

fn main() {
    parse_rates();
    let rollout = PathBuf::from(env!("CARGO_BIN_EXE_rollout"));
    let kubectl = std::env::var_os("ROLLOUT_KUBECTL")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/kubectl"));
    let have_kubectl = kubectl.is_file();
    if !have_kubectl {
        eprintln!(
            "kubectl not found ({}): run scripts/install-test-tools.sh; timing rollout only",
            kubectl.display()
        );
    }
    let kubectl_max: usize = std::env::var("ROLLOUT_BENCH_KUBECTL_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1002);
    let sizes: Vec<usize> = std::env::var("ROLLOUT_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![3, 201, 600, 1002, 3000]);
    println!(
        "| Deployments | documents | rollout wall | rollout CPU | peak RSS | kubectl wall | kubectl CPU | peak RSS | speed-up wall | speed-up CPU | same bytes |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|");
    let mut times = Vec::new();
    let mut cpu_times = Vec::new();
    for deployments in sizes {
        let copies = deployments.div_ceil(3).max(1);
        let tmp = tempfile::tempdir().expect("tempdir");
        // ROLLOUT_BENCH_KEEP=DIR keeps the generated trees (DIR/<deployments>/) for profiling.
        let root = match std::env::var_os("ROLLOUT_BENCH_KEEP") {
            Some(d) => PathBuf::from(d).join(deployments.to_string()),
            None => tmp.path().to_path_buf(),
        };
        let overlay = generate(&root, copies);
        let dir = overlay.to_string_lossy().into_owned();
        let reps = if copies <= 10 { 5 } else { 3 };
        let ours = best_of(reps, &rollout, &["render", &dir]);
        times.push((copies * 3, ours.secs));
        let docs = copies * 7 + 1;
        let cols = if have_kubectl && copies * 3 <= kubectl_max {
            let k = best_of(
                if copies <= 10 { 3 } else { 1 },
                &kubectl,
                &["kustomize", &dir],
            );
            format!(
                "{:.3} s | {:.3} s | {:.0} MB | {:.0}x | {:.0}x | {}",
                k.secs,
                k.cpu,
                k.peak_mb,
                k.secs / ours.secs,
                k.cpu / ours.cpu.max(0.005),
                if k.stdout == ours.stdout { "yes" } else { "NO" }
            )
        } else {
            "skipped | - | - | - | - | -".to_string()
        };
        println!(
            "| {} | {docs} | {:.1} ms | {:.0} ms | {:.0} MB | {cols} |",
            copies * 3,
            ours.secs * 1000.0,
            ours.cpu * 1000.0,
            ours.peak_mb
        );
        cpu_times.push((copies * 3, ours.cpu));
    }
    if let (Some(a), Some(b)) = (
        times.iter().find(|t| t.0 == 1002),
        times.iter().find(|t| t.0 == 3000),
    ) {
        println!(
            "\nlinearity: 3000 vs 1002 Deployments took {:.2}x the wall time (3x the input)",
            b.1 / a.1
        );
    }
    if let (Some(a), Some(b)) = (
        cpu_times.iter().find(|t| t.0 == 1002),
        cpu_times.iter().find(|t| t.0 == 3000),
    ) {
        println!(
            "linearity: 3000 vs 1002 Deployments took {:.2}x the CPU time (3x the input)",
            b.1 / a.1
        );
    }
}
