//! The fast scanner against the full parser: on every YAML file of the conformance corpora and
//! this repository, and on generated and mutated YAML, whatever the scanner accepts it must read
//! exactly as the full parser does (values, positions, blank values, document starts), and it
//! must never accept a text the full parser rejects.

use std::path::{Path, PathBuf};

use super::scanner;
use super::tree::read_events;
use super::{Document, Duplicates};

/// Reads `text` both ways (with and without positions, and with skipped keys); panics on any
/// difference. Returns whether the scanner took the text.
fn both(text: &str, what: &str) -> bool {
    let mut took = false;
    for (untracked, skip) in [
        (false, &[][..]),
        (true, &[][..]),
        (true, &["status", "managedFields"][..]),
    ] {
        let Some(fast) = scanner::read(text, untracked, skip) else {
            continue;
        };
        took = true;
        let slow = read_events(text, untracked, skip, Duplicates::Reject, &mut Vec::new());
        match slow {
            Ok(slow) => assert_docs_eq(&fast, &slow, what, untracked),
            Err(e) => {
                panic!("{what}: the scanner accepted a text the parser rejects ({e}):\n{text}")
            }
        }
    }
    took
}

fn assert_docs_eq(fast: &[Document], slow: &[Document], what: &str, untracked: bool) {
    assert_eq!(
        fast.len(),
        slow.len(),
        "{what} (untracked {untracked}): document count"
    );
    for (f, s) in fast.iter().zip(slow) {
        assert_eq!(
            f.value, s.value,
            "{what} (untracked {untracked}): value of doc {}",
            s.index
        );
        assert_eq!(f.start, s.start, "{what}: start of doc {}", s.index);
        assert_eq!(f.index, s.index, "{what}: index");
        assert_eq!(
            f.blank_nulls, s.blank_nulls,
            "{what}: blank values of doc {}",
            s.index
        );
        if f.locations != s.locations {
            let mut diffs = Vec::new();
            for (p, pos) in &s.locations.nodes {
                if f.locations.nodes.get(p) != Some(pos) {
                    diffs.push(format!(
                        "node {p:?}: parser {pos}, scanner {:?}",
                        f.locations.nodes.get(p)
                    ));
                }
            }
            for (p, pos) in &s.locations.keys {
                if f.locations.keys.get(p) != Some(pos) {
                    diffs.push(format!(
                        "key {p:?}: parser {pos}, scanner {:?}",
                        f.locations.keys.get(p)
                    ));
                }
            }
            diffs.sort();
            diffs.truncate(8);
            panic!(
                "{what}: positions of doc {} differ ({} nodes vs {}, {} keys vs {}):\n{}",
                s.index,
                f.locations.nodes.len(),
                s.locations.nodes.len(),
                f.locations.keys.len(),
                s.locations.keys.len(),
                diffs.join("\n")
            );
        }
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
}

#[test]
fn scanner_reads_every_corpus_file_as_the_parser_does() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let conformance = root.join("../shared/conformance");
    assert!(
        conformance.is_dir(),
        "{} is missing: the differential test reads the conformance corpora",
        conformance.display()
    );
    let mut files = Vec::new();
    for d in [
        "../shared/conformance",
        "fixtures",
        "examples",
        "overlays",
        "argocd",
        "charts",
    ] {
        yaml_files(&root.join(d), &mut files);
    }
    let (mut read, mut took, mut bytes_took) = (0, 0, 0);
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        read += 1;
        if both(&text, &f.display().to_string()) {
            took += 1;
            bytes_took += text.len();
        }
    }
    eprintln!("scanner took {took} of {read} files ({bytes_took} bytes)");
    assert!(read > 1000, "only {read} YAML files found");
    // The scanner must carry real files, not bail on everything.
    assert!(
        took * 10 >= read * 8,
        "the scanner took only {took} of {read} files"
    );
}

/// xorshift64*, seeded: the same inputs every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const SCALARS: &[&str] = &[
    "x",
    "nginx:1.25",
    "1",
    "-1",
    "0x1F",
    "0755",
    "1.5",
    "1e3",
    ".5",
    "true",
    "False",
    "null",
    "~",
    "yes",
    "on",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "a b",
    "http://x:8/y#z",
    "'q'",
    "'it''s'",
    "\"d\"",
    "\"e\\n\\t\\u00e9\\x41\"",
    "\"\"",
    "''",
    "-x",
    "a#b",
    "é",
    "x:y",
    "[]",
    "{}",
    "[a, 1, \"b\"]",
    "{a: 1, b: [x, y]}",
    "{cpu: \"1\", memory: 512Mi}",
    "[a, ]",
    "12:30",
    "1_000",
    "+1",
    ".inf",
    "-.Inf",
    ".nan",
    "0o17",
    "0b101",
    "a  b",
    "3.11-cpu",
];

const KEYS: &[&str] = &[
    "name",
    "image",
    "a",
    "b",
    "app.kubernetes.io/name",
    "\"quoted key\"",
    "'sq'",
    "x~y",
    "with/slash",
    "true",
    "1",
    "key  ",
    "k-1",
    "é",
];

/// A random block node at indentation `indent`, as the lines of a document.
fn gen_node(rng: &mut Rng, indent: usize, depth: usize, out: &mut String, inline: bool) {
    let pad = " ".repeat(indent);
    let kind = if depth > 4 { 0 } else { rng.below(6) };
    match kind {
        0 | 1 => {
            // A scalar, quoted or plain, or a block scalar (not at the root), with maybe a
            // comment.
            if depth > 0 && rng.below(6) == 0 {
                let ind = rng.pick(&["|", "|-", "|+", ">", ">-", ">+"]);
                out.push_str(ind);
                out.push('\n');
                let n = 1 + rng.below(3);
                for i in 0..n {
                    if i > 0 && rng.below(3) == 0 {
                        out.push('\n');
                    }
                    out.push_str(&pad);
                    out.push_str("  ");
                    out.push_str(rng.pick(&[
                        "line",
                        "more text",
                        "# not a comment",
                        "x: y",
                        "- z",
                    ]));
                    out.push('\n');
                }
                if rng.below(3) == 0 {
                    out.push('\n');
                }
                return;
            }
            let scalar = rng.pick(SCALARS);
            if depth > 0 && rng.below(8) == 0 {
                // A quoted scalar over lines (wrapped CRD descriptions and rules).
                let q = rng.pick(&["'", "\""]);
                out.push_str(q);
                out.push_str(rng.pick(&["a b", "", "it''s", "x:y #z", " lead", "trail "]));
                if *q == *"\"" && rng.below(2) == 0 {
                    out.push_str(rng.pick(&["\\n", "\\", "\\\\", "\\ ", "\\x41", "\\\"", "\\t"]));
                }
                for _ in 0..1 + rng.below(3) {
                    out.push_str(rng.pick(&["\n", "\n", "\n\n", "\n  \n", " \n"]));
                    let back = if rng.below(20) == 0 { 2.min(indent) } else { 0 };
                    out.push_str(&" ".repeat(indent + rng.below(3) - back));
                    out.push_str(rng.pick(&["more", "''q''", "- d", "k: v", "# h", "é", "x  "]));
                }
                out.push_str(q);
                out.push('\n');
                return;
            }
            out.push_str(scalar);
            let plain = !scalar.starts_with(['\'', '"', '[', '{']);
            if rng.below(5) == 0 {
                out.push_str(" # c");
            } else if plain && depth > 0 && rng.below(4) == 0 {
                // A plain scalar folded over more lines (wrapped CRD descriptions), some at
                // the holding collection's column or less (which end it), some after empty
                // lines.
                for _ in 0..1 + rng.below(3) {
                    if rng.below(4) == 0 {
                        out.push_str(rng.pick(&["\n", "\n  \n"]));
                    }
                    out.push('\n');
                    let back = if rng.below(20) == 0 { 2.min(indent) } else { 0 };
                    out.push_str(&" ".repeat(indent + rng.below(3) - back));
                    let word = if rng.below(60) == 0 {
                        rng.pick(&["k: v", "# c", "a #b", "\tt"])
                    } else {
                        rng.pick(&[
                            "more words",
                            "x",
                            "1",
                            "- dash",
                            "trailing  ",
                            "a:b",
                            "[x]",
                            "'q'",
                            "é",
                        ])
                    };
                    out.push_str(word);
                }
            }
            out.push('\n');
        }
        2 | 3 => {
            // A mapping.
            if !inline {
                out.push('\n');
            }
            let n = 1 + rng.below(4);
            let mut used = Vec::new();
            for i in 0..n {
                let k = rng.pick(KEYS);
                if used.contains(&k) {
                    continue;
                }
                used.push(k);
                if i > 0 || !inline {
                    out.push_str(&pad);
                }
                out.push_str(k);
                out.push(':');
                match rng.below(5) {
                    0 => {
                        // Blank, maybe with a comment.
                        out.push_str(rng.pick(&["", " ", " # c"]));
                        out.push('\n');
                    }
                    1 if depth < 4 => {
                        // An indentless sequence.
                        out.push('\n');
                        for _ in 0..1 + rng.below(3) {
                            out.push_str(&pad);
                            out.push_str("- ");
                            gen_node(rng, indent + 2, depth + 1, out, true);
                        }
                    }
                    _ => {
                        out.push(' ');
                        gen_node(rng, indent + 2, depth + 1, out, false);
                    }
                }
            }
        }
        _ => {
            // A sequence.
            if !inline {
                out.push('\n');
            }
            for i in 0..1 + rng.below(3) {
                if i > 0 || !inline {
                    out.push_str(&pad);
                }
                if rng.below(6) == 0 {
                    out.push_str("-\n");
                    continue;
                }
                out.push_str("- ");
                gen_node(rng, indent + 2, depth + 1, out, true);
            }
        }
    }
}

fn gen_stream(rng: &mut Rng) -> String {
    let mut out = String::new();
    if rng.below(4) == 0 {
        out.push_str("# head\n");
    }
    for d in 0..1 + rng.below(3) {
        if d > 0 || rng.below(2) == 0 {
            out.push_str(rng.pick(&["---\n", "---\n\n", "---\n# c\n"]));
        }
        if rng.below(8) == 0 {
            continue;
        }
        let mut body = String::new();
        gen_node(rng, 0, 0, &mut body, true);
        out.push_str(body.trim_start_matches('\n'));
        if rng.below(8) == 0 {
            out.push_str("...\n");
        }
    }
    out
}

/// Tokens that reach the corners: what the scanner must hand over, or read exactly.
const MUTATIONS: &[&str] = &[
    " ", "  ", "\n", "- ", ": ", ":", "#", " #", "'", "\"", "\\", "[", "]", "{", "}", ",", "|",
    ">", "&a ", "*a", "!!str ", "? ", "---\n", "...\n", "\t", "\r\n", "%", "@", "`", "-", "~",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut s = text.to_string();
    for _ in 0..1 + rng.below(3) {
        let mut at = rng.below(s.len() + 1);
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        if rng.below(3) == 0 && at < s.len() {
            let mut end = at + 1;
            while !s.is_char_boundary(end) {
                end += 1;
            }
            s.replace_range(at..end, "");
        } else {
            s.insert_str(at, rng.pick(MUTATIONS));
        }
    }
    s
}

#[test]
fn scanner_reads_generated_and_mutated_yaml_as_the_parser_does() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let (mut took, mut total, mut valid, mut mutated_took) = (0, 0, 0, 0);
    for i in 0..4000 {
        let text = gen_stream(&mut rng);
        total += 1;
        // Some generated streams are not YAML (a line folded back under its key's column).
        if read_events(&text, true, &[], Duplicates::Reject, &mut Vec::new()).is_ok() {
            valid += 1;
        }
        if both(&text, &format!("generated #{i}")) {
            took += 1;
        }
        for j in 0..3 {
            let m = mutate(&mut rng, &text);
            if both(&m, &format!("mutated #{i}.{j}")) {
                mutated_took += 1;
            }
        }
    }
    eprintln!(
        "scanner took {took} of {valid} valid generated streams ({total} in all) and {mutated_took} of {} mutations",
        total * 3
    );
    assert!(
        valid * 10 >= total * 9,
        "only {valid} of {total} generated streams are YAML"
    );
    assert!(
        took * 10 >= valid * 9,
        "the scanner took only {took} of {valid} valid generated streams"
    );
    // Mutations break about half of the texts: the scanner must take many of the rest.
    assert!(
        mutated_took * 5 >= total * 3,
        "the scanner took only {mutated_took} mutations"
    );
}
