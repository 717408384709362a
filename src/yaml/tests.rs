//! Tests of the YAML reader and emitter.

use super::emit::{Col, Style, choose_style, format_go_float, is_simple_plain, scalar_string};
use super::parallel::{PARALLEL_FROM_BYTES, list_chunked_from, split_list_items};
use super::*;

fn stream(n: usize) -> String {
    let mut docs = Vec::new();
    for i in 0..n {
        docs.push(format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  text: |\n    line {i}\n    more\n  n: \"{i}\"\n"
            ));
    }
    format!("---\n{}", docs.join("---\n"))
}

/// Documents without positions: what the untracked readers must return.
fn untracked(text: &str) -> Vec<Document> {
    parse_stream(text)
        .unwrap()
        .into_iter()
        .map(|d| Document {
            locations: Locations::default(),
            ..d
        })
        .collect()
}

#[test]
fn parallel_reading_keeps_documents_and_positions() {
    let text = stream(6000);
    assert!(text.len() > PARALLEL_FROM_BYTES);
    let seq = parse_stream(&text).unwrap();
    let par = parse_stream_parallel(&text).unwrap();
    assert_eq!(seq.len(), par.len());
    assert!(seq == par, "documents differ");
    let last = par.last().unwrap();
    assert_eq!(
        last.locations.key("/data/n").unwrap().line,
        text.lines().count()
    );
}

#[test]
fn fast_values_equal_positioned_values() {
    let texts = [
            stream(50),
            "a: &x {b: 1, c: [1, 2]}\nd: *x\ne: !!str 1\nf: '2'\ng: 0755\nh: yes\ni: ~\nj: 1.5e3\nk: |\n  x\n  y\n".to_string(),
            "---\n---\n- 1\n- [a, {b: c}]\n...\n---\nkey: \"v\"\n".to_string(),
            "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n".to_string(),
            std::fs::read_to_string("fixtures/verify/good/deployment.yaml").unwrap(),
            std::fs::read_to_string("fixtures/verify/good/crd.yaml").unwrap(),
        ];
    for t in &texts {
        assert!(parse_stream_fast(t, &[]).unwrap() == untracked(t), "{t}");
        assert!(parse_stream_untracked(t).unwrap() == untracked(t), "{t}");
    }
    for t in ["a: 1\na: 2\n", "? [a]\n: 1\n", "a: [\n", "a: *nope\n"] {
        assert!(parse_stream_fast(t, &[]).is_err(), "{t}");
    }
}

#[test]
fn fast_reading_skips_the_given_keys_at_any_depth() {
    let t = "a: 1\nmanagedFields:\n- {x: [1, {y: 2}]}\n- z\nb:\n  managedFields: {c: [d]}\n  e: 2\nf: {managedFields: s, g: 3}\n";
    let docs = parse_stream_fast(t, &["managedFields"]).unwrap();
    assert_eq!(
        docs[0].value,
        crate::json!({"a": 1, "b": {"e": 2}, "f": {"g": 3}})
    );
    assert!(parse_stream_fast(t, &[]).unwrap() == untracked(t));
    // Nothing inside a skipped value is built, so nothing there is checked either (a repeated
    // key included), by the scanner and the full parser alike.
    let t = "a: 1\nmanagedFields:\n- manager: m\n  manager: n\n  fieldsV1:\n    f:spec: {}\n    'q': \"x\"\nb: 2\n";
    assert_eq!(
        parse_stream_fast(t, &["managedFields"]).unwrap()[0].value,
        crate::json!({"a": 1, "b": 2})
    );
    assert_eq!(
        super::tree::read_events(
            t,
            true,
            &["managedFields"],
            Duplicates::Reject,
            &mut Vec::new()
        )
        .unwrap()[0]
            .value,
        crate::json!({"a": 1, "b": 2})
    );
    assert!(parse_stream_fast(t, &[]).is_err());
}

#[test]
fn first_error_wins_with_its_position() {
    let mut text = stream(6000);
    text.push_str("---\na: 1\na: 2\n");
    let seq = parse_stream(&text).unwrap_err();
    let par = parse_stream_parallel(&text).unwrap_err();
    assert_eq!(seq, par);
    assert_eq!(parse_stream_fast(&text, &[]).unwrap_err().pos(), seq.pos());
    let text = stream(6000);
    assert!(parse_stream_fast(&text, &[]).unwrap() == untracked(&text));
}

#[test]
fn chunked_list_reading_equals_whole_reading() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/live/staging/deployments.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let whole = parse_stream_untracked(&text).unwrap();
    for parts in [1, 2, 3, 8] {
        let (rest, chunks) = split_list_items(&text, parts).unwrap();
        assert!(rest.contains("items: []\nkind: List\n"), "{rest}");
        assert!(
            (1..=parts.min(3)).contains(&chunks.len()),
            "3 items, {parts} parts"
        );
        assert!(
            chunks
                .iter()
                .all(|c| c.starts_with("- apiVersion: apps/v1\n"))
        );
        assert_eq!(
            chunks.concat().len() + rest.len(),
            text.len() + "items: []\n".len() - "items:\n".len()
        );
    }
    // The chunked path (threshold 0) on the fixture's items repeated ten times.
    let (_, chunks) = split_list_items(&text, 1).unwrap();
    let mut big = String::from("apiVersion: v1\nitems:\n");
    for _ in 0..10 {
        big.push_str(chunks[0]);
    }
    big.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
    let chunked = list_chunked_from(&big, &[], 0, None);
    if std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2 {
        assert_eq!(chunked, Some(parse_stream_untracked(&big).unwrap()));
        // A step on each item, applied as its chunk is read (small chunks, any worker), gives
        // what applying it to the whole read gives, in order.
        let step = |v: &mut Value| {
            if let Some(m) = v.as_object_mut() {
                m.remove("status");
                m.insert("seen".into(), Value::Bool(true));
            }
        };
        let stepped = list_chunked_from(&big, &[], 0, Some(&step)).unwrap();
        let mut want = parse_stream_untracked(&big).unwrap();
        for_each_object(&mut want[0].value, &step);
        assert_eq!(stepped, want);
        assert_eq!(stepped[0].value["items"].as_array().unwrap().len(), 30);
        assert!(stepped[0].value["items"][29].get("status").is_none());
        // The same step through the public reader, on a stream that is not one List.
        let stream = "a: 1\n---\nkind: List\nitems:\n- {b: 2, status: x}\n";
        let docs = parse_stream_fast_each(stream, &[], Some(&step)).unwrap();
        assert_eq!(docs[0].value["seen"], true);
        assert_eq!(
            docs[1].value["items"][0],
            crate::json!({"b": 2, "seen": true})
        );
    }
    assert_eq!(whole[0].value["items"].as_array().unwrap().len(), 3);
    // Negative cases: not a kubectl List, several documents, comments at column 0.
    assert!(split_list_items("a: 1\n", 2).is_none());
    assert!(split_list_items("items:\n- a: 1\n---\nitems:\n- b: 2\n", 2).is_none());
    assert!(split_list_items("items:\n- a: 1\n# note\n- b: 2\n", 2).is_none());
    assert!(split_list_items("items:\n  - a: 1\n", 2).is_none());
}

#[test]
fn map_iteration_is_sorted() {
    // The emitter relies on the value tree's maps iterating in bytewise key order.
    let mut m = Map::new();
    for k in ["b", "a", "C", "_x", "10", "9"] {
        m.insert(k.to_string(), Value::Null);
    }
    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
    assert_eq!(keys, ["10", "9", "C", "_x", "a", "b"]);
}

/// The full analysis, as `scalar_string` runs it when the fast path declines.
fn full_path(s: &str, is_key: bool) -> Option<String> {
    (choose_style(s, is_key) == Style::Plain).then(|| s.to_string())
}

#[test]
fn simple_plain_fast_path_agrees() {
    for s in [
        "name",
        "apps/v1",
        "/healthz",
        "media-config",
        "a.b_c",
        "sploot/python-base:3.11-cpu",
        "http://example.com:8080/x?y=1#z",
        "key=value",
        "-x",
        "?x",
        ":x",
        "a:",
        "a,b",
        "y",
        "no",
        "null",
        "True",
        "_",
        "---x",
        "...",
        "1:20",
        "0x1F",
        "2001-12-14",
        "1e3",
        ".inf",
        "~",
        "<<",
    ] {
        if is_simple_plain(s) {
            assert_eq!(full_path(s, false).as_deref(), Some(s), "{s}");
            assert_eq!(full_path(s, true).as_deref(), Some(s), "{s}");
        }
    }
    // Every string of up to three characters over an alphabet of the characters that matter.
    let alphabet: Vec<char> = "a1-.:?#,[]{}&*!|>'\"%@`/=_~+ \u{e9}".chars().collect();
    let mut strings = vec![String::new()];
    for _ in 0..3 {
        let mut next = Vec::new();
        for s in &strings {
            for &c in &alphabet {
                next.push(format!("{s}{c}"));
            }
        }
        strings.extend(next.clone());
        strings = {
            let mut all = strings;
            all.sort();
            all.dedup();
            all
        };
    }
    let mut fast = 0;
    for s in &strings {
        if is_simple_plain(s) {
            fast += 1;
            assert_eq!(full_path(s, false).as_deref(), Some(s.as_str()), "{s:?}");
            assert_eq!(full_path(s, true).as_deref(), Some(s.as_str()), "{s:?}");
        }
    }
    assert!(fast > 1000, "the fast path took only {fast} strings");
    for s in ["y", "null", "1.0", "a:", "-", "#x", "a b", "---", "x\u{e9}"] {
        assert!(!is_simple_plain(s), "{s:?}");
    }
}
use crate::json;

#[test]
fn parses_documents_with_positions() {
    let text = "a: 1\nb:\n  - x\n  - {c: d}\n---\n---\nkind: K\n";
    let docs = parse_stream(text).unwrap();
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[0].value, json!({"a": 1, "b": ["x", {"c": "d"}]}));
    assert_eq!(
        docs[0].locations.node("/b/1/c"),
        Some(Pos { line: 4, col: 9 })
    );
    assert_eq!(docs[0].locations.key("/b"), Some(Pos { line: 2, col: 1 }));
    assert!(docs[1].value.is_null());
    assert_eq!(docs[2].value, json!({"kind": "K"}));
    assert_eq!(
        docs[2].locations.node("/kind"),
        Some(Pos { line: 7, col: 7 })
    );
}

#[test]
fn scalars_resolve_as_kustomize_reads_them() {
    let docs = parse_stream("a: yes\nb: 'true'\nc: TRUE\nd: ~\ne: 0x1F\nf: 0755\ng: 1.5\nh: 1e3\ni: \"8080\"\nj: on\nk: -3\n").unwrap();
    assert_eq!(
        docs[0].value,
        json!({"a": "yes", "b": "true", "c": true, "d": null, "e": 31, "f": 493, "g": 1.5, "h": 1000.0, "i": "8080", "j": "on", "k": -3})
    );
}

#[test]
fn words_that_look_like_booleans_and_nulls_resolve_by_exact_spelling() {
    let typed = [
        ("true", json!(true)),
        ("True", json!(true)),
        ("TRUE", json!(true)),
        ("false", json!(false)),
        ("False", json!(false)),
        ("FALSE", json!(false)),
        ("null", json!(null)),
        ("Null", json!(null)),
        ("NULL", json!(null)),
    ];
    for (text, want) in typed {
        assert_eq!(
            resolve_scalar(text, ScalarStyle::Plain, None),
            want,
            "{text}"
        );
    }
    for text in [
        "tRUE",
        "truee",
        "nul",
        "nulls",
        "falsey",
        "f",
        "n",
        "N",
        "t",
        "yes",
        "No",
        "off",
        "nan",
        "inf",
        "e5",
        "E5",
        "Infinity",
        "trueish-name",
        "a",
        "Z1",
        "x0x1",
    ] {
        assert_eq!(
            resolve_scalar(text, ScalarStyle::Plain, None),
            json!(text),
            "{text}"
        );
    }
}

#[test]
fn duplicate_keys_and_bad_yaml_are_errors_with_positions() {
    let err = parse_stream("a: 1\nb: 2\na: 3\n").unwrap_err();
    assert_eq!(
        err,
        YamlError::DuplicateKey {
            key: "a".into(),
            pos: Pos { line: 3, col: 1 },
            first_line: 1
        }
    );
    let err = parse_stream("a: [1, 2\nb: 3\n").unwrap_err();
    assert!(matches!(err, YamlError::Syntax { .. }), "{err:?}");
}

#[test]
fn duplicate_keys_last_wins_with_the_last_positions() {
    let text = "a:\n  x: 1\n  y: 2\nb: 2\na:\n  z: 3\n---\nc: 1\nc: [4, 5]\nc: 6\n";
    let s = parse_stream_with(text, Duplicates::LastWins).unwrap();
    assert_eq!(s.documents.len(), 2);
    assert_eq!(s.documents[0].value, json!({"a": {"z": 3}, "b": 2}));
    assert_eq!(s.documents[1].value, json!({"c": 6}));
    let l = &s.documents[0].locations;
    assert_eq!(l.key("/a"), Some(Pos { line: 5, col: 1 }));
    assert_eq!(l.node("/a"), Some(Pos { line: 6, col: 3 }));
    assert_eq!(l.key("/a/z"), Some(Pos { line: 6, col: 3 }));
    // Nothing of the first value is left to point at.
    assert_eq!(l.key("/a/x"), None);
    assert_eq!(l.node("/a/y"), None);
    assert_eq!(l.nearest("/a/x"), Some(Pos { line: 5, col: 1 }));
    let l = &s.documents[1].locations;
    assert_eq!(l.node("/c"), Some(Pos { line: 10, col: 4 }));
    assert_eq!(l.node("/c/0"), None);
    let dup = |key: &str, line, col, first_line| Duplicate {
        key: key.into(),
        pos: Pos { line, col },
        first_line,
    };
    assert_eq!(
        s.duplicates,
        vec![dup("a", 5, 1, 1), dup("c", 9, 1, 8), dup("c", 10, 1, 8)]
    );
}

#[test]
fn timestamps_resolve_as_go_yaml_and_print_as_go_json() {
    for (input, want) in [
        ("2024-01-01", Some("2024-01-01T00:00:00Z")),
        ("2024-1-1", Some("2024-01-01T00:00:00Z")),
        ("2024-01-01 10:00:00", Some("2024-01-01T10:00:00Z")),
        (
            "2001-12-14t21:59:43.10-05:00",
            Some("2001-12-14T21:59:43.1-05:00"),
        ),
        ("2024-02-29T01:02:03.000Z", Some("2024-02-29T01:02:03Z")),
        ("2024-01-01T10:00:00+00:00", Some("2024-01-01T10:00:00Z")),
        ("2023-02-29", None),
        ("1999-13-45", None),
        ("2024-01-01T10:00:00", None),
        ("20240101", None),
        ("2024-01-01x", None),
    ] {
        assert_eq!(timestamp_rfc3339(input).as_deref(), want, "{input}");
    }
    let doc = parse_document("a: 2024-01-01\nb: '2024-01-01'\nc: !!binary aGk=\nd: 1999-13-45\n")
        .unwrap();
    assert_eq!(
        doc.value,
        crate::json!({"a": "2024-01-01T00:00:00Z", "b": "2024-01-01", "c": "hi", "d": "1999-13-45"})
    );
    // Only a valid timestamp needs quoting to stay a string.
    assert_eq!(
        emit(&doc.value),
        "a: \"2024-01-01T00:00:00Z\"\nb: \"2024-01-01\"\nc: hi\nd: 1999-13-45\n"
    );
}

#[test]
fn blank_mapping_values_are_recorded_in_both_modes() {
    let text = "a:\nb: null\nc:\n  d:\n  e: [~, ]\nf:\n- g:\n";
    for docs in [
        parse_stream(text).unwrap(),
        parse_stream_untracked(text).unwrap(),
    ] {
        assert_eq!(docs[0].blank_nulls, ["/a", "/c/d", "/f/0/g"]);
    }
}

#[test]
fn duplicate_keys_first_wins_skips_the_repeat() {
    let s = parse_stream_with(
        "a: 1\nb: {x: [1, 2]}\nb: {y: 3}\na: 2\nc: 4\n",
        Duplicates::FirstWins,
    )
    .unwrap();
    assert_eq!(
        s.documents[0].value,
        crate::json!({"a": 1, "b": {"x": [1, 2]}, "c": 4})
    );
    assert_eq!(s.duplicates.len(), 2);
}

#[test]
fn duplicate_keys_are_rejected_unless_asked() {
    let text = "a: 1\nb:\n  c: 2\n  c: 3\n";
    let want = YamlError::DuplicateKey {
        key: "c".into(),
        pos: Pos { line: 4, col: 3 },
        first_line: 3,
    };
    assert_eq!(parse_stream(text).unwrap_err(), want);
    assert_eq!(parse_stream_untracked(text).unwrap_err(), want);
    assert_eq!(parse_stream_parallel(text).unwrap_err(), want);
    assert!(matches!(
        parse_stream_fast(text, &[]).unwrap_err(),
        YamlError::DuplicateKey { .. }
    ));
    assert_eq!(
        parse_stream_with(text, Duplicates::Reject).unwrap_err(),
        want
    );
    assert_eq!(Duplicates::default(), Duplicates::Reject);
    // Without repeats both choices read what parse_stream reads.
    let clean = "a: 1\nb:\n  c: 2\n";
    for d in [Duplicates::Reject, Duplicates::LastWins] {
        let s = parse_stream_with(clean, d).unwrap();
        assert_eq!(s.documents, parse_stream(clean).unwrap());
        assert!(s.duplicates.is_empty());
    }
}

#[test]
fn duplicate_keys_last_wins_on_several_threads() {
    let mut text = stream(6000);
    text.push_str("---\na: 1\na: 2\n");
    assert!(text.len() > PARALLEL_FROM_BYTES);
    let lines = text.lines().count();
    let s = parse_stream_with(&text, Duplicates::LastWins).unwrap();
    assert_eq!(s.documents.len(), 6001);
    assert!(s.documents.iter().enumerate().all(|(i, d)| d.index == i));
    assert_eq!(s.documents[6000].value, json!({"a": 2}));
    assert_eq!(
        s.documents[6000].locations.node("/a"),
        Some(Pos {
            line: lines,
            col: 4
        })
    );
    assert_eq!(
        s.duplicates,
        vec![Duplicate {
            key: "a".into(),
            pos: Pos {
                line: lines,
                col: 1
            },
            first_line: lines - 1,
        }]
    );
    let mut without = s.documents;
    without.pop();
    assert_eq!(without, parse_stream(&stream(6000)).unwrap());
}

#[test]
fn anchors_and_merge_keys_expand() {
    let docs = parse_stream("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n").unwrap();
    assert_eq!(docs[0].value["other"], json!({"x": 1, "y": 3}));
}

#[test]
fn emits_in_kubectl_style() {
    let v = json!({
        "kind": "Deployment",
        "metadata": {"name": "auth", "labels": {}},
        "spec": {"template": {"spec": {"containers": [
            {"name": "auth", "env": [{"name": "A", "value": "1"}], "args": ["--x", "y: z"]}
        ]}}},
        "items": [["a", "b"], []],
        "n": null, "t": true, "f": 0.5, "big": 1000000.0,
    });
    let expected = "\
big: 1000000
f: 0.5
items:
- - a
  - b
- []
kind: Deployment
metadata:
  labels: {}
  name: auth
\"n\": null
spec:
  template:
    spec:
      containers:
      - args:
        - --x
        - 'y: z'
        env:
        - name: A
          value: \"1\"
        name: auth
t: true
";
    assert_eq!(emit(&v), expected);
}

#[test]
fn string_styles_follow_go_yaml_v2() {
    let cases = [
        ("plain", "plain"),
        ("", "\"\""),
        ("yes", "\"yes\""),
        ("on", "\"on\""),
        ("1.0", "\"1.0\""),
        ("0755", "\"0755\""),
        ("1:20", "\"1:20\""),
        ("2024-01-02", "\"2024-01-02\""),
        ("null", "\"null\""),
        ("a: b", "'a: b'"),
        ("#x", "'#x'"),
        ("*", "'*'"),
        ("- x", "'- x'"),
        ("it's", "it's"),
        (" lead", "' lead'"),
        ("tab\there", "\"tab\\there\""),
        ("line1\nline2\n", "|\n  line1\n  line2"),
        ("line1\nline2", "|-\n  line1\n  line2"),
        ("x\n\n", "|+\n  x\n"),
        ("a \nb", "\"a \\nb\""),
        ("ünïcode", "ünïcode"),
    ];
    for (input, want) in cases {
        assert_eq!(
            scalar_string(
                input,
                Col {
                    start: 5,
                    indent: 2
                },
                false
            ),
            want,
            "input {input:?}"
        );
    }
}

#[test]
fn go_float_formatting() {
    for (f, want) in [
        (1.5, "1.5"),
        (1e6, "1e+06"),
        (100000.0, "100000"),
        (1e-5, "1e-05"),
        (0.0001, "0.0001"),
        (1e21, "1e+21"),
        (1234567.5, "1.2345675e+06"),
    ] {
        assert_eq!(format_go_float(f), want, "{f}");
    }
}
