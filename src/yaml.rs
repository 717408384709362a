//! YAML at the edges: the one reader of multi-document streams into JSON values (with source
//! positions, without them, and on several threads for large streams; a repeated key is an error
//! unless the caller asks for the last value to win), and emitting values in the
//! exact style `kubectl kustomize` prints (go-yaml v2 via `sigs.k8s.io/yaml`).
//!
//! Owns scalar resolution (what a plain `1`, `true`, `~` become, as go-yaml v3 decides) and the
//! output style. Does no file I/O: callers pass text in and get text out.

use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};

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
    nodes: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
}

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

fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        col: span.start.col() + 1,
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
    if let Some(docs) = list_chunked(text, skip_keys) {
        return Ok(docs);
    }
    join_parts(on_parts(text, |t| read_stream(t, true, skip_keys)))
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

fn thread_panicked() -> YamlError {
    YamlError::Syntax {
        pos: Pos::default(),
        message: "internal error: parser thread panicked; please report it".into(),
    }
}

/// Below this size a stream is read on the calling thread.
const PARALLEL_FROM_BYTES: usize = 256 * 1024;

/// A single-document List at least this big is read in chunks of items.
const LIST_CHUNKED_FROM_BYTES: usize = 4 << 20;

fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
}

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

/// The stream cut into parts at document starts (`---` ends any scalar or collection, so a cut
/// is where the parser would start a new document anyway), each with the number of lines before
/// it; one part for small texts or when the machine has one CPU.
fn parts(text: &str) -> Vec<(usize, &str)> {
    let threads = threads();
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
/// that positions are those of the whole text. Results in order; `None` where a thread panicked.
fn on_parts<T: Send>(text: &str, f: impl Fn(&str) -> T + Sync) -> Vec<Option<T>> {
    let parts = parts(text);
    if parts.len() == 1 {
        return vec![Some(f(text))];
    }
    let f = &f;
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
        handles.into_iter().map(|h| h.join().ok()).collect()
    })
}

/// The documents of all parts in order, re-indexed; the first error wins.
fn join_parts(
    results: Vec<Option<Result<Vec<Document>, YamlError>>>,
) -> Result<Vec<Document>, YamlError> {
    let mut out = Vec::new();
    for r in results {
        let r = r.unwrap_or_else(|| Err(thread_panicked()));
        for mut d in r? {
            d.index = out.len();
            out.push(d);
        }
    }
    Ok(out)
}

/// Splits the `items:` of a single-document List as kubectl writes it (`items:` at column 0,
/// each item a `- ` line at column 0, everything else of an item indented) into at most `parts`
/// texts, each a valid YAML sequence of whole items, and the rest of the document with
/// `items: []`. `None` when the text is not shaped so.
///
/// At column 0 a YAML document can only hold structure (keys, `- ` entries, comments, markers):
/// block-scalar and folded-scalar lines of an item are indented, so cutting at `- ` lines never
/// cuts inside a value.
fn split_list_items(text: &str, parts: usize) -> Option<(String, Vec<&str>)> {
    let mut offset = 0;
    let mut items_start = None;
    let mut items_line = 0;
    let mut items_end = text.len();
    let mut starts = Vec::new();
    for line in text.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let first = line.as_bytes().first().copied();
        match (items_start, first) {
            (_, Some(b'-')) if line.starts_with("---") || line.starts_with("...") => return None,
            (None, _) if line.trim_end() == "items:" => {
                items_line = at;
                items_start = Some(offset);
            }
            (Some(_), Some(b'-')) if items_end == text.len() && line.starts_with("- ") => {
                starts.push(at)
            }
            (Some(_), Some(b' ' | b'\n' | b'\r')) | (_, None) => {}
            (Some(_), Some(b'#')) => return None,
            (Some(_), Some(_)) if items_end == text.len() => items_end = at,
            (Some(_), Some(b'-')) => return None,
            _ => {}
        }
    }
    let start = items_start?;
    if starts.first() != Some(&start) {
        return None;
    }
    let rest = format!("{}items: []\n{}", &text[..items_line], &text[items_end..]);
    let target = (items_end - start) / parts.max(1) + 1;
    let mut chunks = Vec::new();
    let mut chunk_start = start;
    for &s in &starts[1..] {
        if s - chunk_start >= target {
            chunks.push(&text[chunk_start..s]);
            chunk_start = s;
        }
    }
    chunks.push(&text[chunk_start..items_end]);
    Some((rest, chunks))
}

/// A big kubectl List read in parallel chunks of items (untracked); `None` when the text is small,
/// not one such List, or a chunk fails (the caller then reads it whole, for the error).
fn list_chunked(text: &str, skip_keys: &'static [&'static str]) -> Option<Vec<Document>> {
    list_chunked_from(text, skip_keys, LIST_CHUNKED_FROM_BYTES)
}

fn list_chunked_from(
    text: &str,
    skip_keys: &'static [&'static str],
    min_bytes: usize,
) -> Option<Vec<Document>> {
    let threads = threads();
    if text.len() < min_bytes || threads < 2 {
        return None;
    }
    let (rest, chunks) = split_list_items(text, threads)?;
    let results: Vec<Option<Vec<Document>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|c| scope.spawn(move || read_stream(c, true, skip_keys).ok()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    let mut docs = read_stream(&rest, true, skip_keys).ok()?;
    if docs.len() != 1 {
        return None;
    }
    let mut items = Vec::new();
    for r in results {
        match r?.into_iter().next()?.value {
            Value::Array(a) => items.extend(a),
            _ => return None,
        }
    }
    *docs[0].value.get_mut("items")? = Value::Array(items);
    Some(docs)
}

fn read_stream(
    text: &str,
    untracked: bool,
    skip_keys: &'static [&'static str],
) -> Result<Vec<Document>, YamlError> {
    read_stream_into(
        text,
        untracked,
        skip_keys,
        Duplicates::Reject,
        &mut Vec::new(),
    )
}

/// [`read_stream`] with the choice of what a repeated key does; accepted repeats are pushed to
/// `duplicates`.
fn read_stream_into(
    text: &str,
    untracked: bool,
    skip_keys: &'static [&'static str],
    on_duplicate: Duplicates,
    duplicates: &mut Vec<Duplicate>,
) -> Result<Vec<Document>, YamlError> {
    let eof_without_newline =
        (!text.is_empty() && !text.ends_with('\n')).then(|| text.chars().count());
    let fresh = || Builder {
        untracked,
        skip_keys,
        on_duplicate,
        eof_without_newline,
        ..Builder::default()
    };
    let mut builder = fresh();
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    while let Some(ev) = parser.next_event() {
        let (event, span) = ev.map_err(|e| YamlError::Syntax {
            pos: Pos {
                line: e.marker().line(),
                col: e.marker().col() + 1,
            },
            message: e.info(),
        })?;
        match event {
            Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(..) => {
                builder = fresh();
                builder.doc_start = pos_of(&span);
            }
            Event::DocumentEnd => {
                let index = docs.len();
                let mut b = std::mem::replace(&mut builder, fresh());
                duplicates.append(&mut b.duplicates);
                docs.push(Document {
                    value: b.root.unwrap_or(Value::Null),
                    locations: b.locations,
                    index,
                    start: b.doc_start,
                    blank_nulls: b.blank_nulls,
                });
            }
            other => builder.event(other, &span)?,
        }
    }
    Ok(docs)
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

/// Nodes in a value (scalars and collections).
fn node_count(v: &Value) -> usize {
    let mut n = 0;
    let mut todo = vec![v];
    while let Some(v) = todo.pop() {
        n += 1;
        match v {
            Value::Array(a) => todo.extend(a.iter()),
            Value::Object(m) => todo.extend(m.values()),
            _ => {}
        }
    }
    n
}

enum Frame {
    Seq {
        items: Vec<Value>,
        pointer: String,
        anchor: usize,
    },
    Map {
        map: Map<String, Value>,
        pointer: String,
        anchor: usize,
        key: Option<(String, Pos)>,
        /// Line of each key so far (with positions only: untracked reading checks the map).
        key_lines: Option<HashMap<String, usize>>,
        merge_pending: bool,
    },
}

#[derive(Default)]
struct Builder {
    /// Skip positions (pointers, key lines): faster, for bulk resources.
    untracked: bool,
    stack: Vec<Frame>,
    root: Option<Value>,
    /// See [`Document::blank_nulls`].
    blank_nulls: Vec<String>,
    locations: Locations,
    /// Anchored values with their node counts (what an alias to them costs).
    anchors: HashMap<usize, (Value, usize)>,
    /// Nodes materialised through aliases so far (bounded by [`ALIAS_BUDGET`]).
    aliased: usize,
    doc_start: Pos,
    /// Character count of the input when it does not end in a line break (a block scalar that
    /// runs to there has no final line break to keep).
    eof_without_newline: Option<usize>,
    /// Mapping keys whose values are skipped without being built ([`parse_stream_fast`]).
    skip_keys: &'static [&'static str],
    /// Inside a skipped value: how many collections deep (`Some(0)` right after its key).
    skipping: Option<usize>,
    /// What a repeated mapping key does.
    on_duplicate: Duplicates,
    /// Repeated keys accepted so far ([`Duplicates::LastWins`]).
    duplicates: Vec<Duplicate>,
}

fn escape_pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

impl Builder {
    /// The pointer the next node will have, or `None` when the next scalar is a mapping key.
    /// A blank mapping value (rare): remember where it is.
    #[cold]
    #[inline(never)]
    fn record_blank(&mut self, style: ScalarStyle) {
        if style == ScalarStyle::Plain && matches!(self.stack.last(), Some(Frame::Map { .. })) {
            let at = self.path_here();
            self.blank_nulls.push(at);
        }
    }

    /// A block scalar in a text that ends without a line break: if it runs to the end, it has
    /// no final newline.
    #[cold]
    #[inline(never)]
    fn trim_block_at_eof(&self, text: &mut std::borrow::Cow<'_, str>, span: &Span) {
        if self
            .eof_without_newline
            .is_some_and(|n| span.end.index() >= n)
            && text.ends_with('\n')
        {
            text.to_mut().pop();
        }
    }

    /// The JSON pointer of the node being read, from the open frames (works untracked too).
    fn path_here(&self) -> String {
        let mut out = String::new();
        for f in &self.stack {
            match f {
                Frame::Seq { items, .. } => {
                    out.push('/');
                    out.push_str(&items.len().to_string());
                }
                Frame::Map { key, .. } => {
                    if let Some((k, _)) = key {
                        out.push('/');
                        out.push_str(&escape_pointer_token(k));
                    }
                }
            }
        }
        out
    }

    fn next_pointer(&self) -> Option<String> {
        if self.untracked {
            return match self.stack.last() {
                Some(Frame::Map { key: None, .. }) => None,
                _ => Some(String::new()),
            };
        }
        match self.stack.last() {
            None => Some(String::new()),
            Some(Frame::Seq { items, pointer, .. }) => Some(format!("{pointer}/{}", items.len())),
            Some(Frame::Map {
                key: Some((k, _)),
                pointer,
                ..
            }) => Some(format!("{pointer}/{}", escape_pointer_token(k))),
            Some(Frame::Map { key: None, .. }) => None,
        }
    }

    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<(), YamlError> {
        if let Some(depth) = self.skipping {
            self.skipping = match event {
                Event::SequenceStart(..) | Event::MappingStart(..) => Some(depth + 1),
                Event::SequenceEnd | Event::MappingEnd => depth.checked_sub(1).filter(|&d| d > 0),
                _ if depth == 0 => None,
                _ => Some(depth),
            };
            return Ok(());
        }
        let pos = pos_of(span);
        match event {
            Event::Scalar(mut text, style, anchor, tag) => {
                // `key: |` whose content ends the file with no line break: YAML (and go-yaml)
                // keeps no final newline; the parser reports one.
                if self.eof_without_newline.is_some()
                    && matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                {
                    self.trim_block_at_eof(&mut text, span);
                }
                match self.next_pointer() {
                    None => {
                        // A mapping key.
                        if self.skip_keys.contains(&text.as_ref()) {
                            self.skipping = Some(0);
                            return Ok(());
                        }
                        let untracked = self.untracked;
                        if let Some(Frame::Map {
                            map,
                            key,
                            key_lines,
                            merge_pending,
                            pointer,
                            ..
                        }) = self.stack.last_mut()
                        {
                            if text == "<<" && style == ScalarStyle::Plain {
                                *merge_pending = true;
                                *key = Some((text.to_string(), pos));
                                return Ok(());
                            }
                            if let Some(&first_line) =
                                key_lines.as_ref().and_then(|k| k.get(text.as_ref()))
                            {
                                if self.on_duplicate == Duplicates::Reject {
                                    return Err(YamlError::DuplicateKey {
                                        key: text.to_string(),
                                        pos,
                                        first_line,
                                    });
                                }
                                if self.on_duplicate == Duplicates::FirstWins {
                                    self.duplicates.push(Duplicate {
                                        key: text.to_string(),
                                        pos,
                                        first_line,
                                    });
                                    self.skipping = Some(0);
                                    return Ok(());
                                }
                                // Last wins: forget where the earlier value's nodes were.
                                let at = format!("{pointer}/{}", escape_pointer_token(&text));
                                self.locations.forget(&at);
                                self.duplicates.push(Duplicate {
                                    key: text.to_string(),
                                    pos,
                                    first_line,
                                });
                                *key = Some((text.to_string(), pos));
                                return Ok(());
                            }
                            if !untracked {
                                key_lines
                                    .get_or_insert_default()
                                    .insert(text.to_string(), pos.line);
                            } else if map.contains_key(text.as_ref()) {
                                // Re-parsed with positions by the caller for the message.
                                return Err(YamlError::DuplicateKey {
                                    key: text.to_string(),
                                    pos,
                                    first_line: 0,
                                });
                            }
                            *key = Some((text.to_string(), pos));
                        }
                        Ok(())
                    }
                    Some(pointer) => {
                        // The parser reports a blank value as an empty span (its text is `~`).
                        if span.start.index() == span.end.index() && tag.is_none() {
                            self.record_blank(style);
                        }
                        let tag_suffix = tag.as_ref().map(|t| t.suffix().to_string());
                        let value = resolve_scalar(&text, style, tag_suffix.as_deref());
                        if !self.untracked {
                            self.locations.nodes.insert(pointer, pos);
                        }
                        if anchor != 0 {
                            self.anchors.insert(anchor, (value.clone(), 1));
                        }
                        self.finish_node(value)
                    }
                }
            }
            Event::SequenceStart(_, anchor, _) => {
                let pointer = self.start_collection(pos)?;
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    pointer,
                    anchor,
                });
                Ok(())
            }
            Event::MappingStart(_, anchor, _) => {
                let pointer = self.start_collection(pos)?;
                self.stack.push(Frame::Map {
                    map: Map::new(),
                    pointer,
                    anchor,
                    key: None,
                    key_lines: None,
                    merge_pending: false,
                });
                Ok(())
            }
            Event::SequenceEnd => self.end_collection(false, pos),
            Event::MappingEnd => self.end_collection(true, pos),
            Event::Alias(id) => {
                let (value, nodes) = self
                    .anchors
                    .get(&id)
                    .ok_or(YamlError::UnknownAlias { pos })?;
                self.aliased = self.aliased.saturating_add(*nodes);
                if self.aliased > ALIAS_BUDGET {
                    return Err(YamlError::Syntax {
                        pos,
                        message: format!(
                            "aliases expand to more than {ALIAS_BUDGET} nodes (an alias bomb?)"
                        ),
                    });
                }
                let value = value.clone();
                if self.next_pointer().is_none() {
                    return Err(YamlError::ComplexKey { pos });
                }
                self.finish_node(value)
            }
            _ => Ok(()),
        }
    }

    /// Closes the innermost sequence (`mapping` false) or mapping, records its anchor and
    /// attaches it to its parent.
    fn end_collection(&mut self, mapping: bool, pos: Pos) -> Result<(), YamlError> {
        let (v, anchor) = match (self.stack.pop(), mapping) {
            (Some(Frame::Seq { items, anchor, .. }), false) => (Value::Array(items), anchor),
            (Some(Frame::Map { map, anchor, .. }), true) => (Value::Object(map), anchor),
            _ => {
                return Err(YamlError::Syntax {
                    pos,
                    message: format!(
                        "unbalanced {}",
                        if mapping { "mapping" } else { "sequence" }
                    ),
                });
            }
        };
        if anchor != 0 {
            self.anchors.insert(anchor, (v.clone(), node_count(&v)));
        }
        self.finish_node(v)
    }

    fn start_collection(&mut self, pos: Pos) -> Result<String, YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError::Syntax {
                pos,
                message: format!("collections nested more than {MAX_DEPTH} deep"),
            });
        }
        let pointer = self.next_pointer().ok_or(YamlError::ComplexKey { pos })?;
        if !self.untracked {
            self.locations.nodes.insert(pointer.clone(), pos);
        }
        Ok(pointer)
    }

    fn finish_node(&mut self, value: Value) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(value);
            }
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                map,
                key,
                pointer,
                merge_pending,
                ..
            }) => {
                if let Some((k, kpos)) = key.take() {
                    if *merge_pending {
                        *merge_pending = false;
                        merge_into(map, value);
                    } else {
                        if !self.untracked {
                            self.locations
                                .keys
                                .insert(format!("{pointer}/{}", escape_pointer_token(&k)), kpos);
                        }
                        map.insert(k, value);
                    }
                }
            }
        }
        Ok(())
    }
}

/// YAML merge key (`<<: *base`): keys already present win.
fn merge_into(map: &mut Map<String, Value>, value: Value) {
    let sources = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    for src in sources {
        if let Value::Object(m) = src {
            for (k, v) in m {
                map.entry(k).or_insert(v);
            }
        }
    }
}

/// Resolves a scalar the way kustomize's reader (go-yaml v3) does when it decodes into plain values:
/// only plain scalars are typed; `true`/`True`/`TRUE`, `~`/`null`, ints (decimal, `0x`, `0o`, `0b`,
/// and legacy `0755` octal), floats; everything else (including `yes`, `on`) is a string.
pub fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&str>) -> Value {
    match tag {
        Some("str") => return Value::String(text.to_string()),
        Some("null") => return Value::Null,
        // kustomize (and kubectl) pass every resource through JSON: `!!binary` becomes the
        // decoded text and a timestamp its RFC 3339 form.
        Some("binary") => return Value::String(decode_binary(text)),
        Some("timestamp") => {
            return Value::String(timestamp_rfc3339(text).unwrap_or_else(|| text.to_string()));
        }
        Some("bool") | Some("int") | Some("float") => {}
        _ if style != ScalarStyle::Plain => return Value::String(text.to_string()),
        _ => {}
    }
    if text.len() >= 8
        && text.as_bytes()[4] == b'-'
        && let Some(t) = timestamp_rfc3339(text)
    {
        return Value::String(t);
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = parse_int(text) {
        return Value::Number(n);
    }
    if is_yaml_float(text)
        && let Ok(f) = text.replace('_', "").parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

fn parse_int(text: &str) -> Option<Number> {
    let first = *text.as_bytes().first()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+') {
        return None;
    }
    let plain: std::borrow::Cow<str> = if text.contains('_') {
        text.replace('_', "").into()
    } else {
        text.into()
    };
    let (neg, body) = match plain.as_bytes().first()? {
        b'-' => (true, &plain[1..]),
        b'+' => (false, &plain[1..]),
        _ => (false, &plain[..]),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) =
        if let Some(d) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, d)
        } else if let Some(d) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, d)
        } else if let Some(d) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, d)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            Some(Number::from((magnitude as i128).wrapping_neg() as i64))
        } else {
            None
        }
    } else {
        Some(Number::from(magnitude))
    }
}

fn is_yaml_float(text: &str) -> bool {
    // go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = if let Some(frac) = mantissa.strip_prefix('.') {
        !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit())
    } else {
        let (int, frac) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
    };
    let exp_ok = match exp {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
        }
    };
    mantissa_ok && exp_ok
}

// ---------------------------------------------------------------------------------------------
// Emitting
// ---------------------------------------------------------------------------------------------

const BEST_WIDTH: usize = 80;

/// Emits one document in `kubectl kustomize`'s style: keys sorted, two-space indent, sequences
/// not indented under their key, go-yaml v2 quoting and line folding. Ends with a newline.
pub fn emit(value: &Value) -> String {
    let mut out = String::new();
    emit_into(&mut out, value);
    out
}

/// Appends one document to `out` (which must be empty or end with a newline).
fn emit_into(out: &mut String, value: &Value) {
    match value {
        Value::Object(m) if !m.is_empty() => emit_map(out, m, 0),
        Value::Array(a) if !a.is_empty() => emit_seq(out, a, 0),
        other => {
            out.push_str(&scalar_inline(
                other,
                Col {
                    start: 0,
                    indent: 0,
                },
                false,
            ));
            out.push('\n');
        }
    }
}

/// Emits several documents separated by `---` lines, as `kubectl kustomize` prints a build.
pub fn emit_stream<'a>(values: impl IntoIterator<Item = &'a Value>) -> String {
    let values = values.into_iter();
    // Typical Kubernetes documents print to about 1 KiB.
    let mut out = String::with_capacity(values.size_hint().0.saturating_mul(1024));
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        emit_into(&mut out, v);
    }
    out
}

/// Whether bytewise key order can differ from go-yaml v2's for this key: only digits (compared
/// as numbers), ASCII punctuation that sorts after a letter bytewise, and non-ASCII do.
fn key_may_sort_differently(k: &str) -> bool {
    k.bytes()
        .any(|b| b.is_ascii_digit() || matches!(b, b'['..=b'`' | b'{'..=b'~') || b >= 0x80)
}

/// go-yaml v2's map key order (what `kubectl kustomize` prints): runs of digits compare as
/// numbers (a shorter run first when equal), a non-letter sorts before a letter, letters by code
/// point, and a prefix first.
pub fn go_key_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let digit = |c: char| c.is_ascii_digit();
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let (al, bl) = (ar[i].is_alphabetic(), br[i].is_alphabetic());
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            return if bl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        // The digit run from `i`: its value (on top of `n`) and where it ends.
        let run = |s: &[char], mut n: i64| {
            let mut end = i;
            while end < s.len() && digit(s[end]) {
                n = n
                    .wrapping_mul(10)
                    .wrapping_add(i64::from(s[end] as u8 - b'0'));
                end += 1;
            }
            (n, end)
        };
        let (an, ai) = run(&ar, an);
        let (bn, bi) = run(&br, bn);
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

/// Entries in go-yaml v2's key order. `serde_json::Map` is a `BTreeMap` here (the
/// `preserve_order` feature is off; `map_iteration_is_sorted` guards that), so bytewise order
/// comes for free and only maps with keys where the orders can differ are sorted again.
fn resorted(m: &Map<String, Value>) -> Option<Vec<(&String, &Value)>> {
    if m.len() < 2 || !m.keys().any(|k| key_may_sort_differently(k)) {
        return None;
    }
    let mut entries: Vec<(&String, &Value)> = m.iter().collect();
    entries.sort_by(|a, b| go_key_cmp(a.0, b.0));
    Some(entries)
}

/// Emits a non-empty mapping whose keys start at column `indent`. The first key is written at the
/// current position (the caller has already indented or written `- `).
fn emit_map(out: &mut String, m: &Map<String, Value>, indent: usize) {
    match resorted(m) {
        Some(entries) => {
            for (i, (k, v)) in entries.into_iter().enumerate() {
                emit_entry(out, i, k, v, indent);
            }
        }
        None => {
            for (i, (k, v)) in m.iter().enumerate() {
                emit_entry(out, i, k, v, indent);
            }
        }
    }
}

fn emit_entry(out: &mut String, i: usize, k: &str, v: &Value, indent: usize) {
    {
        if i > 0 {
            push_indent(out, indent);
        }
        out.push_str(&scalar_string(
            k,
            Col {
                start: indent,
                indent,
            },
            true,
        ));
        out.push(':');
        match v {
            Value::Object(child) if !child.is_empty() => {
                out.push('\n');
                push_indent(out, indent + 2);
                emit_map(out, child, indent + 2);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                push_indent(out, indent);
                emit_seq(out, items, indent);
            }
            scalar => {
                out.push(' ');
                let at = Col {
                    start: current_column(out),
                    indent: indent + 2,
                };
                out.push_str(&scalar_inline(scalar, at, false));
                out.push('\n');
            }
        }
    }
}

/// Emits a non-empty sequence whose `- ` markers stand at column `indent`; the first marker is
/// written at the current position.
fn emit_seq(out: &mut String, items: &[Value], indent: usize) {
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            push_indent(out, indent);
        }
        out.push_str("- ");
        match v {
            Value::Object(child) if !child.is_empty() => emit_map(out, child, indent + 2),
            Value::Array(inner) if !inner.is_empty() => emit_seq(out, inner, indent + 2),
            scalar => {
                let at = Col {
                    start: indent + 2,
                    indent: indent + 2,
                };
                out.push_str(&scalar_inline(scalar, at, false));
                out.push('\n');
            }
        }
    }
}

fn current_column(out: &str) -> usize {
    let line_start = out.rfind('\n').map_or(0, |i| i + 1);
    out[line_start..].chars().count()
}

fn push_indent(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = n;
    while left > 0 {
        let k = left.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        left -= k;
    }
}

/// A scalar (or empty collection) as it appears after `key: ` or `- `.
fn scalar_inline(v: &Value, at: Col, is_key: bool) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format_number(n),
        Value::String(s) => scalar_string(s, at, is_key),
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    }
}

/// Formats a number as Go's `strconv.FormatFloat(f, 'g', -1, 64)` for floats, plainly for ints.
pub fn format_number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    // kustomize prints through JSON: Go's encoder writes an integral float below 1e21 without a
    // fraction, which go-yaml then reads back as an int.
    let f = n.as_f64().unwrap_or(0.0);
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return integral_float(f);
    }
    format_go_float(f)
}

fn integral_float(f: f64) -> String {
    let e = format!("{:e}", f);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: usize = exp.parse().unwrap_or(0);
    let sign = if mant.starts_with('-') { "-" } else { "" };
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let zeros = (exp + 1).saturating_sub(digits.len());
    format!("{sign}{digits}{}", "0".repeat(zeros))
}

fn format_go_float(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Shortest round-trip digits via Rust's `{:e}` formatting, then Go's %g layout rules.
    let e = format!("{:e}", f);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let m = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let es = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{es}{:02}", exp.abs());
    }
    let nd = digits.len() as i32;
    if exp >= 0 {
        let int_len = exp + 1;
        if nd <= int_len {
            format!("{sign}{digits}{}", "0".repeat((int_len - nd) as usize))
        } else {
            let (a, b) = digits.split_at(int_len as usize);
            format!("{sign}{a}.{b}")
        }
    } else {
        format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
    }
}

/// Would go-yaml v2 read this plain text back as something other than a string?
fn resolves_to_non_string(s: &str) -> bool {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return true,
        "y" | "Y" | "yes" | "Yes" | "YES" | "n" | "N" | "no" | "No" | "NO" | "true" | "True"
        | "TRUE" | "false" | "False" | "FALSE" | "on" | "On" | "ON" | "off" | "Off" | "OFF" => {
            return true;
        }
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" | "<<" => return true,
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return false;
    }
    parse_int(s).is_some()
        || is_yaml_float(s)
        || is_base60_float(s)
        || timestamp_rfc3339(s).is_some()
}

fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (main, _frac) = match s.find('.') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    if let Some(f) = _frac
        && !f.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    let mut parts = main.split(':');
    let head = parts.next().unwrap_or("");
    if head.is_empty()
        || !head.as_bytes()[0].is_ascii_digit()
        || !head.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    let mut n = 0;
    for p in parts {
        n += 1;
        let ok = match p.len() {
            1 => p.as_bytes()[0].is_ascii_digit(),
            2 => (b'0'..=b'5').contains(&p.as_bytes()[0]) && p.as_bytes()[1].is_ascii_digit(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    n > 0
}

/// The text of a `!!binary` scalar (base64, whitespace ignored); bytes that are not UTF-8 become
/// U+FFFD, as Go's JSON encoder writes them.
fn decode_binary(text: &str) -> String {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => text.to_string(),
    }
}

/// A YAML timestamp as go-yaml resolves it (`2006-1-2`, `2006-1-2T15:4:5.999999999Z07:00`, the
/// same with `t`, or `2006-1-2 15:4:5.999999999`, each a valid date and time), written as Go's
/// JSON encoder writes a `time.Time` (RFC 3339 with nanoseconds, trailing zeros dropped, `Z` for
/// UTC). `None` for anything else.
pub fn timestamp_rfc3339(s: &str) -> Option<String> {
    let b = s.as_bytes();
    // 1 or 2 digits (Go's parsing of `1`, `2`, `15`, `4`, `5`).
    let num = |i: &mut usize, min: usize, max: usize| -> Option<u32> {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - start < max {
            *i += 1;
        }
        if *i - start < min {
            return None;
        }
        s[start..*i].parse().ok()
    };
    let lit = |i: &mut usize, c: u8| -> Option<()> { (b.get(*i) == Some(&c)).then(|| *i += 1) };
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let year: i32 = s[..4].parse().ok()?;
    let mut i = 5;
    let month = num(&mut i, 1, 2)?;
    lit(&mut i, b'-')?;
    let day = num(&mut i, 1, 2)?;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days {
        return None;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if i == b.len() {
        return Some(format!("{date}T00:00:00Z"));
    }
    let zoned = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return None,
    };
    i += 1;
    let hour = num(&mut i, 1, 2)?;
    lit(&mut i, b':')?;
    let min = num(&mut i, 1, 2)?;
    lit(&mut i, b':')?;
    let sec = num(&mut i, 1, 2)?;
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let mut frac = String::new();
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 9 {
            return None;
        }
        frac = s[start..i].trim_end_matches('0').to_string();
    }
    let zone = if !zoned {
        "Z".to_string()
    } else {
        match b.get(i) {
            Some(b'Z') => {
                i += 1;
                "Z".to_string()
            }
            Some(&sign @ (b'+' | b'-')) => {
                i += 1;
                let at = i;
                if b.len() < at + 5 || b[at + 2] != b':' {
                    return None;
                }
                let hh: u32 = s[at..at + 2].parse().ok()?;
                let mm: u32 = s[at + 3..at + 5].parse().ok()?;
                if !s[at..at + 2].bytes().all(|c| c.is_ascii_digit())
                    || !s[at + 3..at + 5].bytes().all(|c| c.is_ascii_digit())
                    || hh > 23
                    || mm > 59
                {
                    return None;
                }
                i = at + 5;
                if hh == 0 && mm == 0 {
                    "Z".to_string()
                } else {
                    format!("{}{hh:02}:{mm:02}", sign as char)
                }
            }
            _ => return None,
        }
    };
    if i != b.len() {
        return None;
    }
    let frac = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    Some(format!("{date}T{hour:02}:{min:02}:{sec:02}{frac}{zone}"))
}

struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7E}' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
        && c != '\u{FEFF}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank_or_end(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => c == ' ' || c == '\t' || is_break(c) || c == '\0',
    }
}

/// libyaml's `yaml_emitter_analyze_scalar`, block context only (we never emit flow collections
/// with content).
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = false;
    let mut flow_indicators = false;
    if s.starts_with("---") || s.starts_with("...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let _ = flow_indicators;
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_by_ws = true;
    let mut followed_by_ws = is_blank_or_end(chars.get(1).copied());
    let n = chars.len();
    for i in 0..n {
        let c = chars[i];
        let indicator = if i == 0 {
            matches!(
                c,
                '#' | ','
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | '&'
                    | '*'
                    | '!'
                    | '|'
                    | '>'
                    | '\''
                    | '"'
                    | '%'
                    | '@'
                    | '`'
            ) || (matches!(c, '?' | ':' | '-') && followed_by_ws)
        } else {
            (c == ':' && followed_by_ws) || (c == '#' && preceded_by_ws)
        };
        if indicator {
            block_indicators = true;
        }
        if !is_printable(c) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i == n - 1 {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            if i == 0 {
                leading_break = true;
            }
            if i == n - 1 {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_break = true;
            prev_space = false;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = is_blank_or_end(Some(c));
        followed_by_ws = is_blank_or_end(chars.get(i + 2).copied());
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks {
        a.block_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

fn choose_style(s: &str, is_key: bool) -> Style {
    let a = analyze(s);
    let mut style = if a.multiline {
        Style::Literal
    } else if !resolves_to_non_string(s) {
        Style::Plain
    } else {
        Style::Double
    };
    if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && is_key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || is_key) {
        style = Style::Double;
    }
    style
}

/// Where a scalar starts on its line and where its continuation lines start.
#[derive(Clone, Copy)]
struct Col {
    /// 0-based column of the scalar's first character.
    start: usize,
    /// Column of continuation lines (folded text, literal block content).
    indent: usize,
}

/// A string scalar in go-yaml v2 style.
fn scalar_string(s: &str, at: Col, is_key: bool) -> String {
    if is_simple_plain(s) {
        return s.to_string();
    }
    match choose_style(s, is_key) {
        Style::Plain => fold_plain(s, at, is_key),
        Style::Single => write_single(s, at, is_key),
        Style::Double => write_double(s, at, is_key),
        Style::Literal => write_literal(s, at.indent),
    }
}

/// A fast path for the common case: a short identifier-like string (`name`, `apps/v1`,
/// `/healthz`, `media-config`) that go-yaml prints plain, with no spaces to fold.
fn is_simple_plain(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == b'_' || first == b'/')
        && b.len() <= 64
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/'))
        && !resolves_to_non_string(s)
}

fn fold_plain(s: &str, at: Col, is_key: bool) -> String {
    if is_key {
        return s.to_string();
    }
    fold_words(s, at, FoldKind::Plain)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FoldKind {
    Plain,
    Single,
}

/// Breaks at a single space once the column passes 80, as libyaml does for plain and single-quoted
/// scalars (a run of spaces is never broken).
fn fold_words(s: &str, at: Col, kind: FoldKind) -> String {
    let indent = at.indent;
    let mut out = String::with_capacity(s.len() + 8);
    let mut column = at.start;
    if kind == FoldKind::Single {
        column += 1;
    }
    let chars: Vec<char> = s.chars().collect();
    let mut spaces = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let next_is_space = chars.get(i + 1) == Some(&' ');
            let allowed = kind == FoldKind::Plain || (i != 0 && i != chars.len() - 1);
            if allowed && !spaces && column > BEST_WIDTH && !next_is_space {
                out.push('\n');
                push_indent(&mut out, indent);
                column = indent;
            } else {
                out.push(' ');
                column += 1;
            }
            spaces = true;
        } else if c == '\'' && kind == FoldKind::Single {
            // Written doubled, and counted as the two columns it takes.
            out.push_str("''");
            column += 2;
            spaces = false;
        } else {
            out.push(c);
            column += 1;
            spaces = false;
        }
    }
    out
}

fn write_single(s: &str, at: Col, is_key: bool) -> String {
    if is_key {
        return format!("'{}'", s.replace('\'', "''"));
    }
    format!("'{}'", fold_words(s, at, FoldKind::Single))
}

fn write_double(s: &str, at: Col, is_key: bool) -> String {
    let indent = at.indent;
    let mut out = String::from("\"");
    let mut column = at.start + 1;
    let chars: Vec<char> = s.chars().collect();
    let mut spaces = false;
    for (i, &c) in chars.iter().enumerate() {
        let escaped: Option<String> =
            if !is_printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                Some(match c {
                    '\0' => "\\0".into(),
                    '\u{7}' => "\\a".into(),
                    '\u{8}' => "\\b".into(),
                    '\t' => "\\t".into(),
                    '\n' => "\\n".into(),
                    '\u{B}' => "\\v".into(),
                    '\u{C}' => "\\f".into(),
                    '\r' => "\\r".into(),
                    '\u{1B}' => "\\e".into(),
                    '"' => "\\\"".into(),
                    '\\' => "\\\\".into(),
                    '\u{85}' => "\\N".into(),
                    '\u{A0}' => "\\_".into(),
                    '\u{2028}' => "\\L".into(),
                    '\u{2029}' => "\\P".into(),
                    c if (c as u32) <= 0xFF => format!("\\x{:02X}", c as u32),
                    c if (c as u32) <= 0xFFFF => format!("\\u{:04X}", c as u32),
                    c => format!("\\U{:08X}", c as u32),
                })
            } else {
                None
            };
        if let Some(e) = escaped {
            column += e.chars().count();
            out.push_str(&e);
            spaces = false;
        } else if c == ' ' {
            if !is_key && !spaces && column > BEST_WIDTH && i != 0 && i != chars.len() - 1 {
                out.push('\n');
                push_indent(&mut out, indent);
                column = indent;
                if chars.get(i + 1) == Some(&' ') {
                    out.push('\\');
                    column += 1;
                }
            } else {
                out.push(' ');
                column += 1;
            }
            spaces = true;
        } else {
            out.push(c);
            column += 1;
            spaces = false;
        }
    }
    out.push('"');
    out
}

fn write_literal(s: &str, indent: usize) -> String {
    let mut out = String::from("|");
    let first = s.chars().next();
    if first == Some(' ') || first.is_some_and(is_break) {
        out.push('2');
    }
    let trailing = s.chars().rev().take_while(|&c| c == '\n').count();
    if trailing == 0 {
        out.push('-');
    } else if trailing >= 2 || s.chars().count() == 1 {
        out.push('+');
    }
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            push_indent(&mut out, indent);
            out.push_str(line);
        }
    }
    out
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
            serde_json::json!({"a": 1, "b": {"e": 2}, "f": {"g": 3}})
        );
        assert!(parse_stream_fast(t, &[]).unwrap() == untracked(t));
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
        let chunked = list_chunked_from(&big, &[], 0);
        if std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2 {
            assert_eq!(chunked, Some(parse_stream_untracked(&big).unwrap()));
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
        // The emitter relies on serde_json's default BTreeMap (no `preserve_order`).
        let mut m = Map::new();
        for k in ["b", "a", "C", "_x", "10", "9"] {
            m.insert(k.to_string(), Value::Null);
        }
        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
        assert_eq!(keys, ["10", "9", "C", "_x", "a", "b"]);
    }

    #[test]
    fn simple_plain_fast_path_agrees() {
        for s in [
            "name",
            "apps/v1",
            "/healthz",
            "media-config",
            "a.b_c",
            "y",
            "no",
            "null",
            "True",
            "_",
        ] {
            if is_simple_plain(s) {
                assert_eq!(choose_style(s, false), Style::Plain, "{s}");
                assert_eq!(choose_style(s, true), Style::Plain, "{s}");
            }
        }
        assert!(!is_simple_plain("y") && !is_simple_plain("null") && !is_simple_plain("1.0"));
    }
    use serde_json::json;

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
        let doc =
            parse_document("a: 2024-01-01\nb: '2024-01-01'\nc: !!binary aGk=\nd: 1999-13-45\n")
                .unwrap();
        assert_eq!(
            doc.value,
            serde_json::json!({"a": "2024-01-01T00:00:00Z", "b": "2024-01-01", "c": "hi", "d": "1999-13-45"})
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
            serde_json::json!({"a": 1, "b": {"x": [1, 2]}, "c": 4})
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
}
