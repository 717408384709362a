//! `rollout evidence redis` against a real redis-server (`tests/support/redis.rs`) with a producer
//! and a slow consumer: the backlog grows and the command says so; a caught-up group passes.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;
use support::redis::{PASSWORD, Redis};

fn rollout(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rollout"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .output()
        .unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    for t in [&o, &e] {
        assert!(!t.contains(PASSWORD), "{t}");
    }
    (out.status.code().unwrap_or(-1), o, e)
}

fn evidence(dir: &Path) -> Value {
    let t = std::fs::read_to_string(dir.join("evidence/redis-backlog.json")).unwrap();
    assert!(!t.contains(PASSWORD), "{t}");
    serde_json::from_str(&t).unwrap()
}

fn setup(redis: &Redis) {
    let mut c = redis.client();
    c.call(&[
        "XGROUP",
        "CREATE",
        "embedding-events",
        "clusterer",
        "$",
        "MKSTREAM",
    ])
    .unwrap();
    c.call(&["XGROUP", "CREATE", "embedding-events", "audit", "$"])
        .unwrap();
}

fn password_file(dir: &Path) -> String {
    let p = dir.join("redis-password");
    std::fs::write(&p, format!("{PASSWORD}\n")).unwrap();
    p.display().to_string()
}

#[test]
fn a_producer_outrunning_a_slow_consumer_grows_the_backlog_and_fails() {
    let redis = Redis::start();
    setup(&redis);
    let stop = Arc::new(AtomicBool::new(false));
    let mut producer = redis.client();
    let mut consumer = redis.client();
    // One entry the consumer reads and never acknowledges: the oldest pending entry ages.
    producer
        .call(&["XADD", "embedding-events", "*", "pet", "0"])
        .unwrap();
    consumer
        .call(&[
            "XREADGROUP",
            "GROUP",
            "clusterer",
            "worker-1",
            "COUNT",
            "1",
            "STREAMS",
            "embedding-events",
            ">",
        ])
        .unwrap();
    let s = stop.clone();
    let p = std::thread::spawn(move || {
        let mut i = 1;
        while !s.load(Ordering::Relaxed) {
            producer
                .call(&["XADD", "embedding-events", "*", "pet", &i.to_string()])
                .unwrap();
            i += 1;
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let s = stop.clone();
    let c = std::thread::spawn(move || {
        while !s.load(Ordering::Relaxed) {
            let r = consumer
                .call(&[
                    "XREADGROUP",
                    "GROUP",
                    "clusterer",
                    "worker-1",
                    "COUNT",
                    "1",
                    "STREAMS",
                    "embedding-events",
                    ">",
                ])
                .unwrap();
            if let Some(id) = format!("{r:?}").split('"').nth(3).map(str::to_string) {
                consumer
                    .call(&["XACK", "embedding-events", "clusterer", &id])
                    .unwrap();
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let pw = password_file(dir.path());
    let (code, out, err) = rollout(
        dir.path(),
        &[
            "evidence",
            "redis",
            "--url",
            &redis.url(),
            "--password-file",
            &pw,
            "--stream",
            "embedding-events",
            "--group",
            "clusterer",
            "--watch",
            "1500ms",
            "--every",
            "300ms",
            "--max-growth",
            "5",
        ],
    );
    stop.store(true, Ordering::Relaxed);
    p.join().unwrap();
    c.join().unwrap();
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.ends_with("backlog-grew\n"), "{out}");
    assert!(err.starts_with("group clusterer backlog grew by "), "{err}");
    let ev = evidence(dir.path());
    assert_eq!(ev["kind"], "redis-backlog");
    assert_eq!(ev["url"], redis.url());
    let samples = ev["samples"].as_array().unwrap();
    assert!(samples.len() >= 5, "{}", samples.len());
    let first = &samples[0];
    let last = samples.last().unwrap();
    assert!(last["length"].as_i64() > first["length"].as_i64());
    let group = |s: &Value, name: &str| {
        s["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .unwrap()
            .clone()
    };
    let (g0, g1) = (group(first, "clusterer"), group(last, "clusterer"));
    assert!(g1["lag"].as_i64() > g0["lag"].as_i64(), "{g0} {g1}");
    assert!(g1["pending"].as_i64() >= Some(1));
    assert!(
        g1["oldestPendingAgeMs"].as_i64() > g0["oldestPendingAgeMs"].as_i64(),
        "{g0} {g1}"
    );
    assert_eq!(
        g1["backlog"].as_i64(),
        Some(g1["pending"].as_i64().unwrap() + g1["lag"].as_i64().unwrap())
    );
    // The group nobody asked about is recorded, not judged.
    assert!(group(last, "audit")["lag"].as_i64() > Some(0));
    let v = &ev["verdicts"][0];
    assert_eq!(v["group"], "clusterer");
    assert_eq!(v["ok"], false);
    assert!(v["growth"].as_i64() > Some(5));
}

#[test]
fn a_caught_up_group_passes_and_two_runs_give_before_and_after() {
    let redis = Redis::start();
    setup(&redis);
    let mut c = redis.client();
    for i in 0..3 {
        c.call(&["XADD", "embedding-events", "*", "pet", &i.to_string()])
            .unwrap();
    }
    c.call(&[
        "XREADGROUP",
        "GROUP",
        "clusterer",
        "w",
        "COUNT",
        "10",
        "STREAMS",
        "embedding-events",
        ">",
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pw = password_file(dir.path());
    let base = [
        "evidence",
        "redis",
        "--url",
        &redis.url(),
        "--password-file",
        &pw,
        "--stream",
        "embedding-events",
        "--group",
        "clusterer",
    ];
    let watch = [&base[..], &["--watch", "600ms", "--every", "200ms"]].concat();
    let (code, out, _) = rollout(dir.path(), &watch);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("group clusterer: backlog 3 → 3 (growth 0, max 0), pending 3, lag 0"),
        "{out}"
    );
    // Run 1 (before), then the producer adds 4 entries, run 2 (after) compares with run 1.
    std::fs::remove_file(dir.path().join("evidence/redis-backlog.json")).unwrap();
    assert_eq!(rollout(dir.path(), &base).0, 0);
    for i in 0..4 {
        c.call(&["XADD", "embedding-events", "*", "pet", &i.to_string()])
            .unwrap();
    }
    let (code, out, _) = rollout(dir.path(), &[&base[..], &["--max-growth", "3"]].concat());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("group clusterer: backlog 3 → 7 (growth 4, max 3) GREW"),
        "{out}"
    );
    assert_eq!(evidence(dir.path())["samples"].as_array().unwrap().len(), 2);
}

#[test]
fn input_errors_are_exit_2_in_one_line_without_the_password() {
    let redis = Redis::start();
    setup(&redis);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{}", redis.port);
    let (code, _, err) = rollout(
        dir.path(),
        &[
            "evidence",
            "redis",
            "--url",
            &url,
            "--stream",
            "embedding-events",
            "--group",
            "nope",
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "error: redis at 127.0.0.1:{}: XINFO GROUPS embedding-events: stream embedding-events has no consumer group \"nope\"; it has: audit, clusterer\n",
            redis.port
        )
    );
    let bad = format!("redis://:wrong-{PASSWORD}@127.0.0.1:{}", redis.port);
    let (code, _, err) = rollout(
        dir.path(),
        &[
            "evidence", "redis", "--url", &bad, "--stream", "s", "--group", "g",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: redis at 127.0.0.1:") && err.contains("AUTH: WRONGPASS"),
        "{err}"
    );
    assert!(!err.contains("wrong-"), "{err}");
    let (code, _, err) = rollout(
        dir.path(),
        &[
            "evidence",
            "redis",
            "--url",
            &redis.url(),
            "--stream",
            "s",
            "--group",
            "g",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("NOAUTH"), "{err}");
    let (code, _, _) = rollout(
        dir.path(),
        &["evidence", "redis", "--url", &url, "--stream", "s"],
    );
    assert_eq!(code, 2, "--group is required");
}

#[test]
fn the_report_shows_the_backlog_item() {
    let redis = Redis::start();
    setup(&redis);
    let mut c = redis.client();
    c.call(&["XADD", "embedding-events", "*", "pet", "1"])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pw = password_file(dir.path());
    let args = [
        "evidence",
        "redis",
        "--url",
        &redis.url(),
        "--password-file",
        &pw,
        "--stream",
        "embedding-events",
        "--group",
        "clusterer",
    ];
    assert_eq!(rollout(dir.path(), &args).0, 0);
    let (_, md, _) = rollout(dir.path(), &["evidence"]);
    assert!(
        md.contains("- [x] Redis backlog (rollout evidence redis) (present)"),
        "{md}"
    );
    assert!(
        md.contains("| Group clusterer | pending 0, lag 1, oldest pending age (not recorded) ms |"),
        "{md}"
    );
    assert!(
        md.contains("| Backlog of clusterer | 1 → 1 (growth 0, max 0) |"),
        "{md}"
    );
}
