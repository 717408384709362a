//! Benchmark of schema validation after parsing: loads a generated render (see
//! `scripts/gen-deployments.py`), parses it once, then times strict validation of every object
//! against the built-in Kubernetes 1.34 schemas (validators compiled once, cached per kind).
//!
//! Run through `scripts/bench-verify.sh`, which also times the end-to-end comparison against
//! `kubernetes-validate --strict`. Usage: `cargo bench --bench verify -- FILE [ROUNDS]`.

use std::path::Path;
use std::time::Instant;

use rollout::resource::parse_resources;
use rollout::schema::kubernetes::BuiltinSchemas;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(file) = args.first() else {
        eprintln!("usage: cargo bench --bench verify -- FILE [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: u32 = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(20);
    let text = std::fs::read_to_string(file).expect("readable bench input");

    let t = Instant::now();
    let list = parse_resources(&text, Path::new(file)).expect("valid YAML");
    let parse = t.elapsed();

    let t = Instant::now();
    let fast = rollout::yaml::parse_stream_untracked(&text).expect("valid YAML");
    let fast_parse = t.elapsed();
    assert_eq!(fast.len(), list.len());

    let t = Instant::now();
    let schemas = BuiltinSchemas::load("1.34", true).expect("built-in schemas");
    let load = t.elapsed();

    let gvks: Vec<_> = list.iter().map(|r| r.gvk()).collect();
    // The schema crate reads `serde_json` values: converted once, outside the timing.
    let json: Vec<serde_json::Value> = list.iter().map(|r| (&r.value).into()).collect();
    let t = Instant::now();
    for ((r, g), j) in list.iter().zip(&gvks).zip(&json) {
        let v = schemas.validate(g, j).expect("built-in kind");
        assert!(v.is_empty(), "{}: {v:?}", r.id());
    }
    let first = t.elapsed();

    let t = Instant::now();
    for _ in 0..rounds {
        for (g, j) in gvks.iter().zip(&json) {
            std::hint::black_box(schemas.validate(g, j));
        }
    }
    let warm = t.elapsed();
    let n = list.len() as f64;
    println!("objects:                     {}", list.len());
    println!(
        "parse (YAML with positions): {:.1} ms ({:.1} µs/object)",
        parse.as_secs_f64() * 1e3,
        parse.as_secs_f64() * 1e6 / n
    );
    println!(
        "parse (values only):         {:.1} ms ({:.1} µs/object)",
        fast_parse.as_secs_f64() * 1e3,
        fast_parse.as_secs_f64() * 1e6 / n
    );
    println!(
        "load schemas (1.34, strict): {:.1} ms",
        load.as_secs_f64() * 1e3
    );
    println!(
        "first pass (compiles kinds): {:.1} ms",
        first.as_secs_f64() * 1e3
    );
    println!(
        "validation after parsing:    {:.2} µs/object (mean of {rounds} rounds)",
        warm.as_secs_f64() * 1e6 / n / f64::from(rounds)
    );
}
