//! `verify` streams its inputs: the peak of heap memory follows the largest input, not the size of
//! the corpus. Measured with a counting allocator in this test binary (bytes, not seconds, so the
//! figure does not depend on how busy the machine is).

use rollout::verify::{PracticeLevel, VerifyOptions, run};
use std::path::Path;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::{Counting, peak_during};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A file of `n` Deployments (one with a schema error when `broken`, so the file is read again
/// with positions).
fn write_file(path: &Path, first: usize, n: usize, broken: bool) {
    let mut text = String::new();
    for i in first..first + n {
        let replicas = if broken && i == first { "\"two\"" } else { "2" };
        text.push_str(&format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\n  namespace: ns\n\
             spec:\n  replicas: {replicas}\n  selector:\n    matchLabels: {{app: a{i}}}\n  template:\n\
             \x20   metadata:\n      labels: {{app: a{i}}}\n    spec:\n      containers:\n\
             \x20     - name: c\n        image: nginx:1.{i}\n        env:\n        - name: X\n\
             \x20         value: \"y\"\n---\n"
        ));
    }
    std::fs::write(path, text).unwrap();
}

/// Peak heap bytes above the starting point while verifying `dir`.
fn peak_while_verifying(dir: &Path) -> (usize, usize) {
    // Findings are kept for the report, so they grow with the corpus by design; the generated
    // Deployments would each get best-practice warnings, so those rules are off here.
    let options = VerifyOptions {
        paths: vec![dir.to_path_buf()],
        practices: PracticeLevel::Off,
        ..VerifyOptions::default()
    };
    // Each run loads its schemas; both runs start from the same state.
    peak_during(|| {
        let report = run(&options).unwrap();
        let objects: usize = report.inputs.iter().map(|i| i.objects).sum();
        objects * 1000 + report.counts().errors
    })
}

#[test]
fn verify_memory_follows_the_largest_input_not_the_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one");
    let many = tmp.path().join("many");
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(&many).unwrap();
    // 400 objects per file: small enough that files are freed on the checking thread.
    write_file(&one.join("f00.yaml"), 0, 400, true);
    for f in 0..30 {
        write_file(
            &many.join(format!("f{f:02}.yaml")),
            f * 400,
            400,
            f % 3 == 0,
        );
    }
    // Warm-up: built-in schemas and other one-time tables.
    let _ = peak_while_verifying(&one);

    let (peak_one, seen_one) = peak_while_verifying(&one);
    let (peak_many, seen_many) = peak_while_verifying(&many);
    // Every object was read and every broken file reported (one error each).
    assert_eq!(seen_one, 400 * 1000 + 1);
    assert_eq!(seen_many, 12_000 * 1000 + 10);
    // 30 times the input: held whole it would need about 30 times the memory.
    assert!(
        peak_many < 3 * peak_one,
        "peak heap while verifying 30 files ({peak_many} bytes) is not bounded by the largest \
         file ({peak_one} bytes for one)"
    );
}
