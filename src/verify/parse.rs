//! Parsing large multi-document YAML streams on several threads, with the same result as
//! `yaml::parse_stream` (values, positions, document indexes, first error).
//!
//! Owns only the splitting: a stream is cut at `---` lines (which end any scalar or collection in
//! YAML, so the cut is where the parser would start a new document anyway), each part is padded
//! with the newlines before it so that lines and columns stay right, and parsed on its own thread.

use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Value};

use crate::yaml::{self, Document, Pos, YamlError};

/// Below this size the stream is parsed on the calling thread.
const PARALLEL_FROM_BYTES: usize = 256 * 1024;

/// Byte offsets of the lines that start a document (`---` alone or followed by a space).
fn document_starts(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end_matches(['\n', '\r']);
        if l == "---" || l.starts_with("--- ") {
            out.push(at);
        }
        at += line.len();
    }
    out
}

/// The stream cut into parts at document starts, each with the number of lines before it; one
/// part for small texts or when the machine has one CPU.
fn parts(text: &str) -> Vec<(usize, &str)> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if threads < 2 || text.len() < PARALLEL_FROM_BYTES || text.starts_with('%') {
        return vec![(0, text)];
    }
    let starts = document_starts(text);
    // Cut points: the document start nearest after each equal share of the text.
    let mut cuts = vec![0];
    for k in 1..threads {
        let target = text.len() * k / threads;
        let last = *cuts.last().unwrap_or(&0);
        if let Some(&s) = starts.iter().find(|&&s| s >= target && s > last) {
            cuts.push(s);
        }
    }
    cuts.push(text.len());
    cuts.windows(2)
        .map(|w| {
            let lines_before = text[..w[0]].bytes().filter(|&b| b == b'\n').count();
            (lines_before, &text[w[0]..w[1]])
        })
        .collect()
}

/// Runs `f` on every part on its own thread, each part padded with the newlines before it so
/// that positions are those of the whole text. Results in order.
fn on_parts<T: Send>(text: &str, f: fn(&str) -> Option<T>) -> Vec<Option<T>> {
    let parts = parts(text);
    if parts.len() == 1 {
        return vec![f(text)];
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .iter()
            .map(|&(lines_before, part)| {
                s.spawn(move || {
                    if lines_before == 0 {
                        f(part)
                    } else {
                        let mut padded = String::with_capacity(lines_before + part.len());
                        padded.extend(std::iter::repeat_n('\n', lines_before));
                        padded.push_str(part);
                        f(&padded)
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    })
}

/// `yaml::parse_stream`, on up to `available_parallelism` threads for large texts.
///
/// # Errors
/// As `yaml::parse_stream`: the first error in the stream.
pub fn parse_stream(text: &str) -> Result<Vec<Document>, YamlError> {
    let results = on_parts(text, |t| Some(yaml::parse_stream(t)));
    let mut out = Vec::new();
    for r in results {
        let r = r.unwrap_or_else(|| {
            Err(YamlError::Syntax {
                pos: Pos::default(),
                message: "internal error: parser thread panicked; please report it".into(),
            })
        });
        for mut d in r? {
            d.index = out.len();
            out.push(d);
        }
    }
    Ok(out)
}

/// [`values_fast`] on up to `available_parallelism` threads for large texts.
pub fn values_fast_parallel(text: &str) -> Option<Vec<(Value, Pos)>> {
    let mut out = Vec::new();
    for part in on_parts(text, values_fast) {
        out.extend(part?);
    }
    Some(out)
}

enum Frame {
    Seq(Vec<Value>, usize),
    Map(Map<String, Value>, Option<String>, usize),
}

/// The values of a stream's documents (with each document's start), built from the same parser
/// events and scalar resolution as `yaml::parse_stream` but without recording positions.
///
/// `None` when the text has anything the fast path leaves to `yaml::parse_stream`: an error, a
/// duplicate key, a merge key (`<<`) or a non-scalar key. Callers then parse with positions.
pub fn values_fast(text: &str) -> Option<Vec<(Value, Pos)>> {
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Value> = HashMap::new();
    let mut root: Option<Value> = None;
    let mut start = Pos::default();
    // Attaches a finished node to its parent (or makes it the document's root).
    fn finish(stack: &mut [Frame], root: &mut Option<Value>, value: Value) {
        match stack.last_mut() {
            None => *root = Some(value),
            Some(Frame::Seq(items, _)) => items.push(value),
            Some(Frame::Map(map, key, _)) => {
                if let Some(k) = key.take() {
                    map.insert(k, value);
                }
            }
        }
    }
    let at_key = |stack: &[Frame]| matches!(stack.last(), Some(Frame::Map(_, None, _)));
    while let Some(ev) = parser.next_event() {
        let (event, span) = ev.ok()?;
        match event {
            Event::DocumentStart(..) => {
                stack.clear();
                anchors.clear();
                root = None;
                start = Pos {
                    line: span.start.line(),
                    col: span.start.col() + 1,
                };
            }
            Event::DocumentEnd => docs.push((root.take().unwrap_or(Value::Null), start)),
            Event::Scalar(text, style, anchor, tag) => {
                if let Some(Frame::Map(map, key @ None, _)) = stack.last_mut() {
                    if (text == "<<" && style == ScalarStyle::Plain)
                        || map.contains_key(text.as_ref())
                    {
                        return None;
                    }
                    *key = Some(text.to_string());
                    continue;
                }
                let tag_suffix = tag.as_ref().map(|t| t.suffix().to_string());
                let value = yaml::resolve_scalar(&text, style, tag_suffix.as_deref());
                if anchor != 0 {
                    anchors.insert(anchor, value.clone());
                }
                finish(&mut stack, &mut root, value);
            }
            Event::SequenceStart(_, anchor, _) => {
                if at_key(&stack) {
                    return None;
                }
                stack.push(Frame::Seq(Vec::new(), anchor));
            }
            Event::MappingStart(_, anchor, _) => {
                if at_key(&stack) {
                    return None;
                }
                stack.push(Frame::Map(Map::new(), None, anchor));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (value, anchor) = match stack.pop()? {
                    Frame::Seq(items, a) => (Value::Array(items), a),
                    Frame::Map(map, _, a) => (Value::Object(map), a),
                };
                if anchor != 0 {
                    anchors.insert(anchor, value.clone());
                }
                finish(&mut stack, &mut root, value);
            }
            Event::Alias(id) => {
                if at_key(&stack) {
                    return None;
                }
                let value = anchors.get(&id)?.clone();
                finish(&mut stack, &mut root, value);
            }
            _ => {}
        }
    }
    Some(docs)
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn same_documents_and_positions_as_sequential() {
        let text = stream(6000);
        assert!(text.len() > PARALLEL_FROM_BYTES);
        let seq = yaml::parse_stream(&text).unwrap();
        let par = parse_stream(&text).unwrap();
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
            std::fs::read_to_string("fixtures/verify/good/deployment.yaml").unwrap(),
            std::fs::read_to_string("fixtures/verify/good/crd.yaml").unwrap(),
        ];
        for t in &texts {
            let slow: Vec<(Value, Pos)> = yaml::parse_stream(t)
                .unwrap()
                .into_iter()
                .map(|d| (d.value, d.start))
                .collect();
            assert_eq!(values_fast(t).unwrap(), slow, "{t}");
        }
        for t in ["a: 1\na: 2\n", "<<: {a: 1}\n", "? [a]\n: 1\n", "a: [\n"] {
            assert_eq!(values_fast(t), None, "{t}");
        }
    }

    #[test]
    fn first_error_wins_with_its_position() {
        let mut text = stream(6000);
        text.push_str("---\na: 1\na: 2\n");
        let seq = yaml::parse_stream(&text).unwrap_err();
        let par = parse_stream(&text).unwrap_err();
        assert_eq!(seq, par);
        assert_eq!(values_fast_parallel(&text), None);
        let text = stream(6000);
        let slow: Vec<(Value, Pos)> = yaml::parse_stream(&text)
            .unwrap()
            .into_iter()
            .map(|d| (d.value, d.start))
            .collect();
        assert!(values_fast_parallel(&text).unwrap() == slow);
    }
}
