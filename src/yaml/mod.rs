//! YAML at the edges: the one reader of multi-document streams into JSON values (with source
//! positions, without them, and on several threads for large streams; a repeated key is an error
//! unless the caller asks for the last value to win), and emitting values in the
//! exact style `kubectl kustomize` prints (go-yaml v2 via `sigs.k8s.io/yaml`).
//!
//! Owns scalar resolution (what a plain `1`, `true`, `~` become, as go-yaml v3 decides) and the
//! output style. Does no file I/O: callers pass text in and get text out.

use std::collections::HashMap;

use crate::value::{Map, Number, Value};
use granit_parser::{Event, Parser, ScalarStyle, Span};

/// A 1-based line and column in a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Where each node of a document starts, keyed by JSON pointer (`""` is the document root,
/// `/spec/template/spec/containers/0/env`). Keys of mappings are recorded under the pointer of their
/// value with [`Locations::key`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locations {
    nodes: PointerMap,
    keys: PointerMap,
}

/// Positions by JSON pointer, hashed with foldhash (seeded per process) instead of SipHash:
/// recording a position for every node was a fifth of a verify run that reports findings.
type PointerMap = HashMap<String, Pos, foldhash::fast::RandomState>;

impl Locations {
    /// No positions were recorded.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.keys.is_empty()
    }

    /// Position of the node at `pointer`, if it came from the source.
    pub fn node(&self, pointer: &str) -> Option<Pos> {
        self.nodes.get(pointer).copied()
    }

    /// Position of the mapping key whose value is at `pointer`.
    pub fn key(&self, pointer: &str) -> Option<Pos> {
        self.keys.get(pointer).copied()
    }

    /// Best position for `pointer`: the key that introduces it, else the node, else the nearest
    /// ancestor that has one.
    pub fn nearest(&self, pointer: &str) -> Option<Pos> {
        self.nearest_by(pointer, |p| self.key(p).or_else(|| self.node(p)))
    }

    /// Like [`Locations::nearest`], but the value before its key: where a wrong value is.
    pub fn nearest_value(&self, pointer: &str) -> Option<Pos> {
        self.nearest_by(pointer, |p| self.node(p).or_else(|| self.key(p)))
    }

    /// Records where the node at `pointer` starts and, for a mapping value, where its key is (for
    /// readers of other formats, such as verify's strict JSON reader).
    pub fn record(&mut self, pointer: String, key: Option<Pos>, node: Pos) {
        if let Some(k) = key {
            self.keys.insert(pointer.clone(), k);
        }
        self.nodes.insert(pointer, node);
    }

    /// Drops the positions of the node at `pointer` and of everything under it.
    fn forget(&mut self, pointer: &str) {
        let under = |p: &String| {
            p.strip_prefix(pointer)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        self.nodes.retain(|p, _| !under(p));
        self.keys.retain(|p, _| !under(p));
    }

    fn nearest_by(&self, pointer: &str, at: impl Fn(&str) -> Option<Pos>) -> Option<Pos> {
        let mut p = pointer;
        loop {
            if let Some(pos) = at(p) {
                return Some(pos);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return None,
            }
        }
    }
}

/// One document of a YAML stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The document's content as a JSON value (`Null` for an empty document).
    pub value: Value,
    /// Positions of the document's nodes.
    pub locations: Locations,
    /// Index of the document in the stream (0-based, counting empty documents).
    pub index: usize,
    /// Where the document's content starts.
    pub start: Pos,
    /// JSON pointers of mapping values written blank (`key:` with nothing after it), which kyaml
    /// drops when it merges a patch into the document (an explicit `null` or `~` it keeps).
    pub blank_nulls: Vec<String>,
}

/// A YAML text that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YamlError {
    /// The text is not well-formed YAML.
    #[error("{pos}: invalid YAML: {message}")]
    Syntax {
        /// Where the parser stopped.
        pos: Pos,
        /// The parser's message.
        message: String,
    },
    /// A mapping holds the same key twice (kubeconform -strict and the API server reject this).
    #[error("{pos}: duplicate key {key:?} (first at line {first_line})")]
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// The second occurrence.
        pos: Pos,
        /// Line of the first occurrence.
        first_line: usize,
    },
    /// A mapping key that is not a scalar (`? [a, b]: c`): JSON has no such keys.
    #[error("{pos}: mapping keys must be scalars")]
    ComplexKey {
        /// Where the key starts.
        pos: Pos,
    },
    /// An alias to an anchor that was not defined before it.
    #[error("{pos}: unknown alias")]
    UnknownAlias {
        /// Where the alias is.
        pos: Pos,
    },
}

impl YamlError {
    /// The position the error points at.
    pub fn pos(&self) -> Pos {
        match self {
            YamlError::Syntax { pos, .. }
            | YamlError::DuplicateKey { pos, .. }
            | YamlError::ComplexKey { pos }
            | YamlError::UnknownAlias { pos } => *pos,
        }
    }
}

/// Parses a multi-document YAML stream. Empty documents (a lone `---`) are kept as `Value::Null` so
/// document indexes match the source; callers drop them where kustomize does.
///
/// # Errors
/// Malformed YAML, a duplicate key, a non-scalar key or an unknown alias, with its position.
pub fn parse_stream(text: &str) -> Result<Vec<Document>, YamlError> {
    read_stream(text, false, &[])
}

/// Like [`parse_stream`] but records no node positions (`locations` stay empty; `start` is kept):
/// faster and smaller for bulk input. Errors are the same as [`parse_stream`]'s (on an error the
/// text is parsed again with positions to report it).
///
/// # Errors
/// As [`parse_stream`].
pub fn parse_stream_untracked(text: &str) -> Result<Vec<Document>, YamlError> {
    match read_stream(text, true, &[]) {
        Ok(docs) => Ok(docs),
        Err(e) => match parse_stream(text) {
            Err(tracked) => Err(tracked),
            Ok(_) => Err(e),
        },
    }
}

/// Reads a stream as fast as this module can: without positions (`locations` stay empty; `start`
/// is kept), on up to eight threads when the text is large (cut at `---` lines, or a single
/// `kubectl get -o yaml` List cut between its items), and without building the values of the
/// mapping keys in `skip_keys` (at any depth), which are left out.
///
/// # Errors
/// The first error of the stream. A duplicate key's message lacks the first occurrence's line and
/// an alias to an anchor inside a skipped value is unknown: callers that report errors read the
/// text again with [`parse_stream`].
pub fn parse_stream_fast(
    text: &str,
    skip_keys: &'static [&'static str],
) -> Result<Vec<Document>, YamlError> {
    parse_stream_fast_each(text, skip_keys, None)
}

/// [`parse_stream_fast`], applying `each` to every object as soon as it is read (the items of a
/// `List`, else each document), on the thread that read it: a large `kubectl get -o yaml` List is
/// then never held whole as read, only as `each` leaves its objects.
///
/// # Errors
/// As [`parse_stream_fast`].
pub fn parse_stream_fast_each(
    text: &str,
    skip_keys: &'static [&'static str],
    each: EachObject<'_>,
) -> Result<Vec<Document>, YamlError> {
    if let Some(docs) = list_chunked(text, skip_keys, each) {
        return Ok(docs);
    }
    let mut docs = join_parts(on_parts(text, |t| read_stream(t, true, skip_keys)))?;
    if let Some(f) = each {
        for d in &mut docs {
            for_each_object(&mut d.value, f);
        }
    }
    Ok(docs)
}

/// `f` on `value`, or on each of its items when it is a `List` (a kind ending in `List` with an
/// `items` array, as [`crate::resource::resources_from_docs`] expands it).
pub fn for_each_object(value: &mut Value, f: &(dyn Fn(&mut Value) + Sync)) {
    let is_list = value
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"));
    if is_list && let Some(Value::Array(items)) = value.get_mut("items") {
        items.iter_mut().for_each(f);
    } else if value.is_object() {
        f(value);
    }
}

/// Reads a stream without positions, as [`parse_stream_fast`], in chunks of about `chunk_bytes`
/// cut at document starts, on up to eight threads, and hands each chunk's documents to `inspect`
/// on the thread that read them (their `index` counts within the chunk). Meant for a caller that
/// only inspects documents: each thread holds one chunk's values at a time, so memory stays a
/// chunk per thread and the values are still in cache when inspected.
///
/// `None` when a chunk does not read or `inspect` gives `None` for one (the other threads stop
/// at their next chunk); otherwise `inspect`'s results in stream order.
pub fn inspect_chunks<T: Send>(
    text: &str,
    chunk_bytes: usize,
    inspect: impl Fn(Vec<Document>) -> Option<T> + Sync,
) -> Option<Vec<T>> {
    parallel::on_chunks(text, chunk_bytes, inspect)
}

/// [`parse_stream`] on up to eight threads for large texts: the same documents, positions and
/// first error.
///
/// # Errors
/// As [`parse_stream`].
pub fn parse_stream_parallel(text: &str) -> Result<Vec<Document>, YamlError> {
    join_parts(on_parts(text, parse_stream))
}

/// What the reader does with a mapping that holds the same key twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Duplicates {
    /// A [`YamlError::DuplicateKey`], as kubeconform `-strict` and the API server do.
    #[default]
    Reject,
    /// The last value wins, as go-yaml v2 (`sigs.k8s.io/yaml`'s non-strict `Unmarshal`, which
    /// kubeconform uses without `-strict`) reads it; each repeat is listed in [`Stream::duplicates`].
    LastWins,
    /// The first value wins and repeats are skipped, as kyaml (go-yaml v3 nodes, looked up by
    /// key) reads strategic-merge patches; each repeat is listed in [`Stream::duplicates`].
    FirstWins,
}

/// A repeated mapping key that [`Duplicates::LastWins`] accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The repeated key.
    pub key: String,
    /// Where the repeat is (its value is the one kept).
    pub pos: Pos,
    /// Line of the first occurrence.
    pub first_line: usize,
}

/// The documents of a stream read by [`parse_stream_with`], and the repeated keys it accepted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stream {
    /// The documents, as [`parse_stream`] returns them.
    pub documents: Vec<Document>,
    /// Repeated keys in source order (empty with [`Duplicates::Reject`]).
    pub duplicates: Vec<Duplicate>,
}

/// [`parse_stream`] (with positions, on up to eight threads for large texts, as
/// [`parse_stream_parallel`]) with the choice of what a repeated mapping key does. With
/// [`Duplicates::LastWins`] the value and the positions are those of the last occurrence.
///
/// # Errors
/// As [`parse_stream`]; with [`Duplicates::LastWins`], never [`YamlError::DuplicateKey`].
pub fn parse_stream_with(text: &str, duplicates: Duplicates) -> Result<Stream, YamlError> {
    let read = |t: &str| {
        let mut found = Vec::new();
        read_stream_into(t, false, &[], duplicates, &mut found).map(|documents| Stream {
            documents,
            duplicates: found,
        })
    };
    let mut out = Stream::default();
    for part in on_parts(text, read) {
        let part = part.unwrap_or_else(|| Err(thread_panicked()))?;
        out.duplicates.extend(part.duplicates);
        for mut d in part.documents {
            d.index = out.documents.len();
            out.documents.push(d);
        }
    }
    Ok(out)
}

/// Parses a text that must hold exactly one document (a spec, a kustomization).
///
/// # Errors
/// As [`parse_stream`].
pub fn parse_document(text: &str) -> Result<Document, YamlError> {
    let mut docs = parse_stream(text)?;
    docs.retain(|d| !d.value.is_null());
    Ok(docs.into_iter().next().unwrap_or(Document {
        value: Value::Null,
        locations: Locations::default(),
        index: 0,
        start: Pos { line: 1, col: 1 },
        blank_nulls: Vec::new(),
    }))
}

/// Deepest nesting of collections read (go-yaml v3, kustomize's reader, stops at 10,000 too):
/// bounds every recursive walk over a value.
pub const MAX_DEPTH: usize = 10_000;

/// Most nodes that aliases may materialise in one stream: real files stay far below it, a
/// "billion laughs" document reaches it in microseconds.
pub const ALIAS_BUDGET: usize = 1_000_000;

mod emit;
mod parallel;
mod scalar;
mod scanner;
mod tree;

#[cfg(test)]
mod differential_tests;
#[cfg(test)]
mod tests;

pub use emit::{emit, emit_stream, format_number, go_key_cmp};
pub use parallel::EachObject;
use parallel::{join_parts, list_chunked, on_parts, thread_panicked};
pub use scalar::{resolve_scalar, timestamp_rfc3339};
use tree::{read_stream, read_stream_into};
