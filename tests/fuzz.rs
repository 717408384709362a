//! Issue 11: a bounded fuzz test in the normal suite. A few thousand mutated inputs (seeded, so
//! every run tries the same ones) through the YAML reader, specs, resources, kustomizations and
//! patches, snapshots, dashboards and alert payloads: no panic in the library, and the binary exits
//! 0, 1 or 2, within a time limit, on a sample of them.

mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::repo;

/// xorshift64*: small, seeded, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Tokens that reach the interesting corners of YAML, JSON and our schemas.
const TOKENS: &[&str] = &[
    "&a ",
    "*a",
    "<<: *a\n",
    "{",
    "}",
    "[",
    "]",
    "- ",
    ": ",
    "\"",
    "'",
    "\n",
    "\t",
    "  ",
    "!!binary ",
    "!!str ",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "? ",
    "|\n",
    ">-\n",
    "#",
    "null",
    "~",
    "true",
    "0x1F",
    "1e999",
    "-0",
    "\u{feff}",
    "\u{0}",
    "\\u0000",
    "\u{202e}",
    "..",
    "../",
    "/etc/passwd",
    "base",
    "kind: Secret\n",
    "kind: Status\n",
    "apiVersion: v1\n",
    "$patch: delete\n",
    "99999999999999999999",
    ",",
    "\r\n",
    "&b [*a, *a, *a, *a]\n",
];

fn mutate(rng: &mut Rng, seed: &str) -> String {
    let mut b: Vec<u8> = seed.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(b.len() + 1);
        match rng.below(6) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                b.splice(at..at, t.bytes());
            }
            2 if at < b.len() => {
                let end = (at + rng.below(64)).min(b.len());
                b.drain(at..end);
            }
            3 if at < b.len() => {
                let end = (at + rng.below(128)).min(b.len());
                let chunk: Vec<u8> = b[at..end].to_vec();
                b.splice(at..at, chunk);
            }
            4 => b.truncate(at),
            _ => {
                let t = TOKENS[rng.below(TOKENS.len())];
                b.extend_from_slice(t.as_bytes());
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap()
}

/// Runs `f` on each input; returns the inputs that panicked.
fn no_panics(what: &str, inputs: &[String], f: impl Fn(&str)) -> Vec<String> {
    let mut bad = Vec::new();
    for input in inputs {
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(input))).is_err() {
            bad.push(format!("{what}: {input:?}"));
        }
    }
    bad
}

fn corpus(rng: &mut Rng, seeds: &[String], n: usize) -> Vec<String> {
    (0..n)
        .map(|i| mutate(rng, &seeds[i % seeds.len()]))
        .collect()
}

#[test]
fn issue_11_fuzzed_inputs_never_panic_the_library() {
    let start = Instant::now();
    let mut rng = Rng(0x1105_2026_dead_beef);
    let yaml_seeds: Vec<String> = [
        "rollout.yaml",
        "fixtures/live/staging/secret-media-redis.yaml",
        "fixtures/live/staging/deployments.yaml",
        "overlays/staging/kustomization.yaml",
        "overlays/staging/patch-auth.yaml",
        "overlays/base/auth.yaml",
    ]
    .iter()
    .map(|p| read(p))
    .collect();
    let json_seeds = vec![
        read("dashboards/media-clustering-redis-streams.json"),
        read("alerts/embedder.json"),
    ];
    // Panics inside catch_unwind would print their message; keep the output readable.
    std::panic::set_hook(Box::new(|_| {}));
    let mut bad = Vec::new();
    let yaml = corpus(&mut rng, &yaml_seeds, 1000);
    bad.extend(no_panics("yaml", &yaml, |t| {
        let _ = rollout::yaml::parse_stream(t);
    }));
    bad.extend(no_panics("resources", &yaml, |t| {
        let _ = rollout::resource::parse_resources(t, Path::new("x.yaml"));
    }));
    let specs = corpus(&mut rng, &yaml_seeds[..1], 800);
    bad.extend(no_panics("spec", &specs, |t| {
        let _ = rollout::spec::parse(t, Path::new("rollout.yaml"));
    }));
    let json = corpus(&mut rng, &json_seeds, 1000);
    bad.extend(no_panics("dashboard", &json, |t| {
        let _ = rollout::schema::grafana::check_dashboard_text(t, &Default::default());
    }));
    bad.extend(no_panics("alerts", &json, |t| {
        let _ = rollout::schema::alertmanager::check_alerts_text(t);
    }));
    // Kustomizations and patches, built from a directory.
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::write(base.join("auth.yaml"), read("overlays/base/auth.yaml")).unwrap();
    std::fs::write(base.join("kustomization.yaml"), "resources: [auth.yaml]\n").unwrap();
    let overlay = dir.path().join("overlay");
    std::fs::create_dir_all(&overlay).unwrap();
    let k_seed = read("overlays/staging/kustomization.yaml");
    let p_seed = read("overlays/staging/patch-auth.yaml");
    let mut builds = Vec::new();
    for i in 0..300 {
        let (k, p) = if i % 2 == 0 {
            (mutate(&mut rng, &k_seed), p_seed.clone())
        } else {
            (k_seed.clone(), mutate(&mut rng, &p_seed))
        };
        builds.push(format!("{k}\u{0}{p}"));
    }
    bad.extend(no_panics("kustomize", &builds, |t| {
        let (k, p) = t.split_once('\u{0}').unwrap_or((t, ""));
        let _ = std::fs::write(overlay.join("kustomization.yaml"), k);
        let _ = std::fs::write(overlay.join("patch-auth.yaml"), p);
        let _ = rollout::kustomize::build(&overlay);
    }));
    let _ = std::panic::take_hook();
    let total = yaml.len() * 2 + specs.len() + json.len() * 2 + builds.len();
    assert!(
        bad.is_empty(),
        "{} of {total} inputs panicked:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(
        start.elapsed() < Duration::from_secs(120),
        "took {:?}",
        start.elapsed()
    );
}

/// Runs the binary with a time limit; the exit code, or None when it had to be killed.
fn run_bounded(dir: &Path, args: &[&str], limit: Duration) -> Option<i32> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollout"))
        .current_dir(dir)
        .args(args)
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut sink = Vec::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_end(&mut sink);
            }
            return Some(status.code().unwrap_or(-1));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn issue_11_fuzzed_inputs_exit_0_1_or_2() {
    let mut rng = Rng(0x0b0e_1111_2026_0001);
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    std::fs::create_dir_all(dir.join("live")).unwrap();
    std::fs::create_dir_all(dir.join("dashboards")).unwrap();
    let cases: [(&str, &str, &[&str]); 5] = [
        ("rollout.yaml", "rollout.yaml", &["generate", "--check"]),
        (
            "fixtures/live/staging/deployments.yaml",
            "live/deployments.yaml",
            &["diff", "rendered.yaml", "--live-dir", "live"],
        ),
        (
            "dashboards/media-clustering-redis-streams.json",
            "dashboards/d.json",
            &["verify", "dashboards/d.json"],
        ),
        (
            "alerts/embedder.json",
            "alerts.json",
            &["verify", "alerts.json", "--type", "alerts"],
        ),
        (
            "overlays/base/auth.yaml",
            "rendered.yaml",
            &["verify", "rendered.yaml"],
        ),
    ];
    std::fs::write(dir.join("rendered.yaml"), read("overlays/base/auth.yaml")).unwrap();
    let mut bad = Vec::new();
    for i in 0..60 {
        let (seed, target, args) = cases[i % cases.len()];
        let input = mutate(&mut rng, &read(seed));
        std::fs::write(dir.join(target), &input).unwrap();
        match run_bounded(dir, args, Duration::from_secs(20)) {
            Some(0..=2) => {}
            other => bad.push(format!("{args:?} exited {other:?} on {target}: {input:?}")),
        }
        if target == "rendered.yaml" {
            std::fs::write(dir.join("rendered.yaml"), read("overlays/base/auth.yaml")).unwrap();
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
