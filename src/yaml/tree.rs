//! Building values from parser events: mappings, sequences, anchors and aliases, merge keys,
//! positions by JSON pointer, repeated keys.

use super::*;

pub(super) fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        col: span.start.col() + 1,
    }
}

pub(super) fn read_stream(
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
pub(super) fn read_stream_into(
    text: &str,
    untracked: bool,
    skip_keys: &'static [&'static str],
    on_duplicate: Duplicates,
    duplicates: &mut Vec<Duplicate>,
) -> Result<Vec<Document>, YamlError> {
    // The fast scanner takes what it reads exactly as the parser does (it gives up on a repeated
    // key, so `duplicates` has nothing to record); everything else goes through the parser.
    if let Some(docs) = super::scanner::read(text, untracked, skip_keys) {
        return Ok(docs);
    }
    read_events(text, untracked, skip_keys, on_duplicate, duplicates)
}

/// [`read_stream_into`] through the full parser's events (anything the scanner does not take:
/// anchors, tags, multi-line scalars, errors).
pub(super) fn read_events(
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
        map: Map,
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
            (Some(Frame::Seq { items, anchor, .. }), false) => (Value::array_fitted(items), anchor),
            (Some(Frame::Map { map, anchor, .. }), true) => (Value::object_fitted(map), anchor),
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
fn merge_into(map: &mut Map, value: Value) {
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
