//! The fast reader: a zero-copy scanner for the block-style YAML that Kubernetes files are made
//! of (block mappings and sequences, plain and quoted scalars, also folded over lines in a block
//! collection, literal and folded block scalars, comments, document markers, single-line flow
//! collections), building values directly, with the same values, positions and blank values as
//! the full parser.
//!
//! It never guesses: anything outside that subset (anchors, aliases, tags, merge keys, complex
//! keys, multi-line scalars at the top level or with a comment or escaped space at a break,
//! indentation indicators, tabs, directives, repeated keys, every error) makes it give up on the
//! whole text, and the caller reads it with the full parser. Does no I/O.

use std::borrow::Cow;

use crate::value::{Map, Value};
use granit_parser::ScalarStyle;

use super::scalar::resolve_scalar;
use super::{Document, Locations, Pos};

/// Deepest nesting the scanner follows before it hands the text to the full parser (which
/// reports [`super::MAX_DEPTH`]); well above real files, well below the stack's limit.
const MAX_NESTING: usize = 256;

/// Longest implicit key the scanner reads (YAML limits them to 1,024 characters; the full parser
/// judges those near the limit).
const MAX_KEY: usize = 1000;

/// The scanner gave up: the full parser reads the text.
struct Bail;

type R<T> = Result<T, Bail>;

/// Reads `text` with the fast scanner; `None` when the text is not in its subset (or is not
/// valid YAML), so the caller must read it with the full parser.
pub(super) fn read(text: &str, untracked: bool, skip_keys: &[&str]) -> Option<Vec<Document>> {
    let ascii = precheck(text)?;
    let mut s = Scanner {
        text,
        b: text.as_bytes(),
        i: 0,
        line: 1,
        line_start: 0,
        ascii,
        tracked: !untracked,
        skip_keys,
        skipping: 0,
        path: String::new(),
        segs: Vec::new(),
        content_at: usize::MAX,
        locations: Locations::default(),
        blank_nulls: Vec::new(),
        depth: 0,
        entries: Vec::new(),
        items: Vec::new(),
    };
    s.stream().ok()
}

/// Characters the scanner accepts: printable text and line feeds (no tabs, carriage returns,
/// byte-order marks, or the line and paragraph separators). `Some(true)` for ASCII text.
fn precheck(text: &str) -> Option<bool> {
    let b = text.as_bytes();
    if has_control(b) {
        return None;
    }
    if b.is_ascii() {
        return Some(true);
    }
    let ok = text.chars().all(|c| {
        matches!(c, '\n' | '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
            && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
    });
    ok.then_some(false)
}

/// Does `b` hold a control byte other than a line feed (or DEL)? Checked 64 bytes at a time
/// without an early exit inside a block, which the compiler turns into vector instructions: the
/// byte-at-a-time search with an exit at every byte cost about 12 instructions per byte, a tenth
/// of all the work of reading a `kubectl get -o yaml` snapshot.
fn has_control(b: &[u8]) -> bool {
    let bad = |c: u8| (c < 0x20 && c != b'\n') || c == 0x7f;
    let mut blocks = b.chunks_exact(64);
    for block in blocks.by_ref() {
        if block.iter().fold(false, |acc, &c| acc | bad(c)) {
            return true;
        }
    }
    blocks.remainder().iter().any(|&c| bad(c))
}

/// What [`Scanner::next_content`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// Content at this 0-based column.
    At(usize),
    /// A `---` line (the cursor is on it).
    Start,
    /// A `...` line (the cursor is on it).
    End,
    /// The end of the text.
    Eof,
}

struct Scanner<'a, 'k> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    /// 1-based line of the cursor.
    line: usize,
    /// Byte offset where the cursor's line starts.
    line_start: usize,
    ascii: bool,
    tracked: bool,
    skip_keys: &'k [&'k str],
    /// Inside the value of a skipped key (nothing is recorded there).
    skipping: usize,
    /// JSON pointer of the node being read (kept when positions are recorded).
    path: String,
    /// The same pointer as segments, when positions are not recorded: only a blank value needs
    /// its pointer then, so it is built only for those.
    segs: Vec<Seg<'a>>,
    /// Where [`Scanner::next_content`] last found content (asking again there finds it again).
    content_at: usize,
    locations: Locations,
    blank_nulls: Vec<String>,
    depth: usize,
    /// The entries of the mappings being read, innermost last: each mapping is allocated once,
    /// to its size, when it ends.
    entries: Vec<(String, Value)>,
    /// The items of the sequences being read, the same way.
    items: Vec<Value>,
}

impl<'a> Scanner<'a, '_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    /// 0-based column of byte offset `i` on the cursor's line.
    fn col_of(&self, i: usize) -> usize {
        if self.ascii {
            i - self.line_start
        } else {
            self.text[self.line_start..i].chars().count()
        }
    }

    fn pos_at(&self, i: usize) -> Pos {
        Pos {
            line: self.line,
            col: self.col_of(i) + 1,
        }
    }

    /// [`Scanner::pos_at`] for a position that is only recorded: nothing to compute when
    /// positions are not kept.
    fn mark_at(&self, i: usize) -> Pos {
        if self.tracked {
            self.pos_at(i)
        } else {
            Pos::default()
        }
    }

    /// The cursor moves past a line feed at `self.i`.
    fn newline(&mut self) {
        self.i += 1;
        self.line += 1;
        self.line_start = self.i;
    }

    fn recording(&self) -> bool {
        self.tracked && self.skipping == 0
    }

    /// Is the line starting at `i` a document marker (`---` or `...` alone on its line)?
    /// Markers followed by more text on the line are not in the subset.
    fn marker_at(&self, i: usize) -> R<Option<Next>> {
        let m = match self.b.get(i..i + 3) {
            Some(b"---") => Next::Start,
            Some(b"...") => Next::End,
            _ => return Ok(None),
        };
        match self.at(i + 3) {
            None | Some(b'\n') => Ok(Some(m)),
            Some(b' ') => Err(Bail),
            Some(_) => Ok(None),
        }
    }

    /// Skips spaces, comments and line breaks up to the next content, a marker or the end.
    /// The cursor must be at a line start or after content (then the rest of the line must be
    /// blank or a comment).
    fn next_content(&mut self) -> R<Next> {
        if self.i == self.content_at {
            return Ok(Next::At(self.col_of(self.i)));
        }
        loop {
            if self.i == self.line_start
                && let Some(m) = self.marker_at(self.i)?
            {
                return Ok(m);
            }
            let start = self.i;
            self.i = spaces_end(self.b, self.i);
            match self.peek() {
                None => return Ok(Next::Eof),
                Some(b'\n') => self.newline(),
                Some(b'#') => {
                    if self.i > self.line_start && self.i == start && self.b[self.i - 1] != b' ' {
                        return Err(Bail);
                    }
                    self.skip_line();
                }
                Some(_) => {
                    if self.i == start && self.i != self.line_start {
                        // Content right after content: not a separation.
                        return Err(Bail);
                    }
                    self.content_at = self.i;
                    return Ok(Next::At(self.col_of(self.i)));
                }
            }
        }
    }

    /// Moves the cursor to the line feed that ends the line (or the end of the text).
    fn skip_line(&mut self) {
        match memchr(b'\n', &self.b[self.i..]) {
            Some(n) => self.i += n,
            None => self.i = self.b.len(),
        }
    }

    /// After a value on its line: only spaces and a comment may follow.
    fn end_of_line(&mut self) -> R<()> {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
        match self.peek() {
            None | Some(b'\n') => Ok(()),
            // A comment needs a space before it (a plain scalar stops just before ` #`).
            Some(b'#') if self.i > 0 && self.b[self.i - 1] == b' ' => {
                self.skip_line();
                Ok(())
            }
            _ => Err(Bail),
        }
    }

    fn stream(&mut self) -> R<Vec<Document>> {
        let mut docs = Vec::new();
        loop {
            match self.next_content()? {
                Next::Eof => return Ok(docs),
                Next::End => return Err(Bail),
                Next::Start => {
                    let start = self.pos_at(self.i);
                    self.i += 3;
                    let blank = self.mark_at(self.i);
                    if self.peek() == Some(b'\n') {
                        self.newline();
                    }
                    match self.next_content()? {
                        Next::At(col) => self.document(&mut docs, start, col)?,
                        Next::Start | Next::Eof => self.push_empty(&mut docs, start, blank),
                        Next::End => {
                            self.push_empty(&mut docs, start, blank);
                            self.after_end()?;
                        }
                    }
                }
                Next::At(col) => {
                    let start = self.pos_at(self.i);
                    self.document(&mut docs, start, col)?;
                }
            }
        }
    }

    /// Past a `...` line.
    fn after_end(&mut self) -> R<()> {
        self.i += 3;
        if self.peek() == Some(b'\n') {
            self.newline();
        }
        Ok(())
    }

    fn push_empty(&mut self, docs: &mut Vec<Document>, start: Pos, blank: Pos) {
        let mut locations = Locations::default();
        if self.tracked {
            locations.nodes.insert(String::new(), blank);
        }
        docs.push(Document {
            value: Value::Null,
            locations,
            index: docs.len(),
            start,
            blank_nulls: Vec::new(),
        });
    }

    /// One document whose root node starts at the cursor (column `col`).
    fn document(&mut self, docs: &mut Vec<Document>, start: Pos, col: usize) -> R<()> {
        self.path.clear();
        self.segs.clear();
        self.entries.clear();
        self.items.clear();
        let value = self.node(col, None)?;
        match self.next_content()? {
            Next::At(_) => return Err(Bail),
            Next::End => self.after_end()?,
            Next::Start | Next::Eof => {}
        }
        docs.push(Document {
            value,
            locations: std::mem::take(&mut self.locations),
            index: docs.len(),
            start,
            blank_nulls: std::mem::take(&mut self.blank_nulls),
        });
        Ok(())
    }

    /// Goes down into the value of mapping key `key`; the mark returned goes back up.
    // A `&Cow`, not a `&str`: cloning it keeps a key borrowed from the text borrowed.
    #[allow(clippy::ptr_arg)]
    fn enter_key(&mut self, key: &Cow<'a, str>) -> usize {
        if self.tracked {
            let mark = self.path.len();
            push_token(&mut self.path, key);
            mark
        } else {
            self.segs.push(Seg::Key(key.clone()));
            self.segs.len() - 1
        }
    }

    /// Goes down into item `i` of a sequence; the mark returned goes back up.
    fn enter_index(&mut self, i: usize) -> usize {
        if self.tracked {
            let mark = self.path.len();
            self.path.push('/');
            self.path.push_str(itoa(i).as_str());
            mark
        } else {
            self.segs.push(Seg::Index(i));
            self.segs.len() - 1
        }
    }

    /// Back up to where [`Scanner::enter_key`] or [`Scanner::enter_index`] was called.
    fn leave(&mut self, mark: usize) {
        if self.tracked {
            self.path.truncate(mark);
        } else {
            self.segs.truncate(mark);
        }
    }

    /// JSON pointer of the node being read.
    fn pointer(&self) -> String {
        if self.tracked {
            return self.path.clone();
        }
        let mut out = String::new();
        for seg in &self.segs {
            match seg {
                Seg::Key(k) => push_token(&mut out, k),
                Seg::Index(i) => {
                    out.push('/');
                    out.push_str(itoa(*i).as_str());
                }
            }
        }
        out
    }

    fn record(&mut self, pos: Pos) {
        if self.recording() {
            self.locations.nodes.insert(self.path.clone(), pos);
        }
    }

    /// A block node at the cursor, at column `col`; `parent` is the indentation of the
    /// collection holding it (`None` at the root).
    fn node(&mut self, col: usize, parent: Option<usize>) -> R<Value> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(Bail);
        }
        let b0 = self.peek().ok_or(Bail)?;
        let v = if b0 == b'-' && matches!(self.at(self.i + 1), None | Some(b' ' | b'\n')) {
            let pos = self.mark_at(self.i);
            self.sequence(col, pos)
        } else if self.line_has_key()? {
            self.mapping(col)
        } else {
            let pos = self.mark_at(self.i);
            self.record(pos);
            self.inline_value(parent)
        };
        self.depth -= 1;
        v
    }

    /// Does the line at the cursor start with a mapping key (`key:` followed by a space, the
    /// line's end or the text's end)?
    fn line_has_key(&self) -> R<bool> {
        match self.peek() {
            // A flow collection as a key is a complex key: the value's own check bails on it.
            Some(b'[' | b'{') => Ok(false),
            Some(b'"' | b'\'') => {
                // A quoted key ends at its closing quote; a quoted value fills the line (or
                // goes on over lines: no key is).
                let Ok(end) = self.quoted_end(self.i) else {
                    return Ok(false);
                };
                let mut j = end;
                while self.at(j) == Some(b' ') {
                    j += 1;
                }
                Ok(self.at(j) == Some(b':') && matches!(self.at(j + 1), None | Some(b' ' | b'\n')))
            }
            _ => Ok(self.plain_key_end(self.i).is_some()),
        }
    }

    /// End (exclusive) of a plain key starting at `i` on its line: the `:` that follows it.
    fn plain_key_end(&self, i: usize) -> Option<usize> {
        let mut j = i;
        loop {
            j = self.next_stop(j);
            match self.at(j) {
                None | Some(b'\n') => return None,
                Some(b':') if matches!(self.at(j + 1), None | Some(b' ' | b'\n')) => {
                    return Some(j);
                }
                Some(b'#') if j > i && self.b[j - 1] == b' ' => return None,
                _ => j += 1,
            }
        }
    }

    /// Offset of the first `:`, `#` or line feed at or after `j` (the text's end if none): where
    /// a plain key or scalar may end.
    fn next_stop(&self, j: usize) -> usize {
        let rest = self.b.get(j..).unwrap_or_default();
        j + rest
            .iter()
            .position(|&c| matches!(c, b':' | b'\n' | b'#'))
            .unwrap_or(rest.len())
    }

    /// Byte offset just past the closing quote of the quoted scalar at `i` (on its line).
    fn quoted_end(&self, i: usize) -> R<usize> {
        let q = self.b[i];
        let mut j = i + 1;
        loop {
            match self.at(j).ok_or(Bail)? {
                b'\n' => return Err(Bail),
                b'\'' if q == b'\'' => {
                    if self.at(j + 1) == Some(b'\'') {
                        j += 2;
                    } else {
                        return Ok(j + 1);
                    }
                }
                b'"' if q == b'"' => return Ok(j + 1),
                // An escaped line break: the scalar goes on over lines.
                b'\\' if q == b'"' && self.at(j + 1) == Some(b'\n') => return Err(Bail),
                b'\\' if q == b'"' => j += 2,
                _ => j += 1,
            }
        }
    }

    /// The mapping whose entries start at `base` on the entry stack; a repeated key is left to
    /// the full parser.
    fn finish_mapping(&mut self, base: usize) -> R<Value> {
        let entries: Vec<(String, Value)> = self.entries.drain(base..).collect();
        Map::from_unique_entries(entries)
            .map(Value::Object)
            .ok_or(Bail)
    }

    /// The sequence whose items start at `base` on the item stack.
    fn finish_sequence(&mut self, base: usize) -> Value {
        Value::Array(self.items.drain(base..).collect())
    }

    /// A block mapping whose first key is at the cursor (column `col`).
    fn mapping(&mut self, col: usize) -> R<Value> {
        let pos = self.mark_at(self.i);
        self.record(pos);
        let base = self.entries.len();
        loop {
            let key_pos = self.mark_at(self.i);
            let key = self.key()?;
            if key == "<<" || key.is_empty() {
                return Err(Bail);
            }
            // `:`
            self.i += 1;
            let skip = self.skip_keys.contains(&key.as_ref());
            if skip {
                self.skipping += 1;
            }
            let mark = self.enter_key(&key);
            if self.recording() {
                self.locations.keys.insert(self.path.clone(), key_pos);
            }
            let value = self.map_value(col)?;
            self.leave(mark);
            if skip {
                self.skipping -= 1;
            } else if self.skipping == 0 {
                // Inside a skipped value nothing is kept (nor checked for repeated keys).
                self.entries.push((key.into_owned(), value));
            }
            match self.next_content()? {
                Next::At(c) if c == col => {
                    if self.peek() == Some(b'-')
                        && matches!(self.at(self.i + 1), None | Some(b' ' | b'\n'))
                    {
                        return Err(Bail);
                    }
                }
                Next::At(c) if c > col => return Err(Bail),
                _ => return self.finish_mapping(base),
            }
        }
    }

    /// A mapping key at the cursor; leaves the cursor on its `:`.
    fn key(&mut self) -> R<Cow<'a, str>> {
        match self.peek() {
            Some(b'"' | b'\'') => {
                let start = self.i;
                let k = self.quoted()?;
                if self.i - start > MAX_KEY {
                    return Err(Bail);
                }
                while self.peek() == Some(b' ') {
                    self.i += 1;
                }
                if self.peek() != Some(b':')
                    || !matches!(self.at(self.i + 1), None | Some(b' ' | b'\n'))
                {
                    return Err(Bail);
                }
                Ok(k)
            }
            _ => {
                if !plain_start(self.b, self.i, false) {
                    return Err(Bail);
                }
                let end = self.plain_key_end(self.i).ok_or(Bail)?;
                let text = self.text[self.i..end].trim_end_matches(' ');
                if text.len() > MAX_KEY {
                    return Err(Bail);
                }
                self.i = end;
                Ok(Cow::Borrowed(text))
            }
        }
    }

    /// The value after a block mapping key's `:` (cursor just past it); the mapping is at
    /// column `col`.
    fn map_value(&mut self, col: usize) -> R<Value> {
        // The parser places a blank value at its key's `:`.
        let blank_at = self.mark_at(self.i - 1);
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
        match self.peek() {
            None | Some(b'\n' | b'#') => {
                // On a later line: a nested node, an indentless sequence, or nothing.
                let save = (self.i, self.line, self.line_start);
                match self.next_content()? {
                    Next::At(c)
                        if c > col
                            || (c == col
                                && self.peek() == Some(b'-')
                                && matches!(self.at(self.i + 1), None | Some(b' ' | b'\n'))) =>
                    {
                        if c == col {
                            self.indentless_sequence(col)
                        } else {
                            self.node(c, Some(col))
                        }
                    }
                    _ => {
                        (self.i, self.line, self.line_start) = save;
                        Ok(self.blank(blank_at, true))
                    }
                }
            }
            Some(_) => {
                let pos = self.mark_at(self.i);
                self.record(pos);
                self.inline_value(Some(col))
            }
        }
    }

    /// A blank node (`key:` or `-` with nothing after it).
    fn blank(&mut self, pos: Pos, in_map: bool) -> Value {
        self.record(pos);
        if in_map && self.skipping == 0 {
            let pointer = self.pointer();
            self.blank_nulls.push(pointer);
        }
        Value::Null
    }

    /// A block sequence that is a mapping value at the mapping's own indentation (`key:` then
    /// `- item` lines at the key's column).
    fn indentless_sequence(&mut self, col: usize) -> R<Value> {
        // The full parser places such a sequence after its first `-` and the spaces after it.
        let mut j = self.i + 1;
        while self.at(j) == Some(b' ') {
            j += 1;
        }
        if self.at(j) == Some(b'#') {
            return Err(Bail);
        }
        let pos = self.mark_at(j);
        self.sequence(col, pos)
    }

    /// A block sequence whose first `-` is at the cursor (column `col`), placed at `pos`.
    fn sequence(&mut self, col: usize, pos: Pos) -> R<Value> {
        self.record(pos);
        let base = self.items.len();
        loop {
            // `-`
            self.i += 1;
            while self.peek() == Some(b' ') {
                self.i += 1;
            }
            let mark = self.enter_index(self.items.len() - base);
            let item = match self.peek() {
                Some(b'#') => return Err(Bail),
                None | Some(b'\n') => {
                    let blank_at = self.mark_at(self.i);
                    let save = (self.i, self.line, self.line_start);
                    match self.next_content()? {
                        Next::At(c) if c > col => self.node(c, Some(col))?,
                        _ => {
                            (self.i, self.line, self.line_start) = save;
                            self.blank(blank_at, false)
                        }
                    }
                }
                Some(_) => {
                    let c = self.col_of(self.i);
                    self.node(c, Some(col))?
                }
            };
            self.leave(mark);
            if self.skipping == 0 {
                self.items.push(item);
            }
            match self.next_content()? {
                Next::At(c) if c == col => {
                    if !(self.peek() == Some(b'-')
                        && matches!(self.at(self.i + 1), None | Some(b' ' | b'\n')))
                    {
                        // A key after an indentless sequence ends it; anything else at a
                        // sequence's column is the caller's to judge.
                        return Ok(self.finish_sequence(base));
                    }
                }
                Next::At(c) if c > col => return Err(Bail),
                _ => return Ok(self.finish_sequence(base)),
            }
        }
    }

    /// A scalar, a block scalar or a flow collection starting at the cursor, filling the rest
    /// of its line; `parent` is the indentation of the collection that holds it.
    fn inline_value(&mut self, parent: Option<usize>) -> R<Value> {
        let v = match self.peek().ok_or(Bail)? {
            b'"' | b'\'' => {
                let text = match (self.quoted(), parent) {
                    (Ok(t), _) => t,
                    // Not closed on its line: a quoted scalar folded over lines.
                    (Err(Bail), Some(_)) => Cow::Owned(self.quoted_lines()?),
                    (Err(e), None) => return Err(e),
                };
                if self.skipping > 0 {
                    Value::Null
                } else {
                    Value::String(text.into_owned())
                }
            }
            b'|' | b'>' => return self.block_scalar(parent.ok_or(Bail)?),
            b'[' | b'{' => self.flow(0)?,
            _ => {
                if !plain_start(self.b, self.i, false) {
                    return Err(Bail);
                }
                let start = self.i;
                let mut j = self.i;
                let end = loop {
                    j = self.next_stop(j);
                    match self.at(j) {
                        None | Some(b'\n') => break j,
                        Some(b':') if matches!(self.at(j + 1), None | Some(b' ' | b'\n')) => {
                            return Err(Bail);
                        }
                        Some(b'#') if self.b[j - 1] == b' ' => break j,
                        _ => j += 1,
                    }
                };
                self.i = end;
                let text = self.text[start..end].trim_end_matches(' ');
                let folded = match (parent, self.at(end)) {
                    (Some(p), Some(b'\n')) => self.plain_continuation(text, p)?,
                    _ => None,
                };
                if self.skipping > 0 {
                    Value::Null
                } else {
                    let text = folded.as_deref().unwrap_or(text);
                    resolve_scalar(text, ScalarStyle::Plain, None)
                }
            }
        };
        self.end_of_line()?;
        Ok(v)
    }

    /// The lines that continue a plain scalar whose first line, `first`, ends at the cursor (a
    /// line feed): every following line indented more than `parent` (the holding collection's
    /// column), folded as YAML folds them (a line break is a space, each empty line between
    /// two lines a line feed). `None` when the next content line ends the scalar; the cursor then
    /// stays. A comment line ends the scalar; continuation lines with a comment after text, a
    /// `: ` or a tab are left to the full parser.
    fn plain_continuation(&mut self, first: &str, parent: usize) -> R<Option<String>> {
        let b = self.b;
        let mut folded: Option<String> = None;
        let mut breaks = 0usize;
        // The line feed before the line looked at, the lines passed, and where the last
        // continuation line ends and starts.
        let mut k = self.i;
        let mut lines = 0usize;
        let mut last: Option<(usize, usize, usize)> = None;
        loop {
            let line_start = k + 1;
            let q = spaces_end(b, line_start);
            match b.get(q) {
                None => break,
                Some(b'\n') => {
                    breaks += 1;
                    lines += 1;
                    k = q;
                    continue;
                }
                Some(b'\t' | b'\r') => return Err(Bail),
                Some(_) => {}
            }
            // A comment line ends the scalar (a line after it is the caller's to judge).
            if q - line_start <= parent || b[q] == b'#' {
                break;
            }
            let e = q + memchr(b'\n', &b[q..]).unwrap_or(b.len() - q);
            let line = self.text[q..e].trim_end_matches(' ');
            if line.contains(": ") || line.ends_with(':') || line.contains(" #") {
                return Err(Bail);
            }
            let out = folded.get_or_insert_with(|| first.to_string());
            push_fold(out, breaks);
            out.push_str(line);
            breaks = 0;
            lines += 1;
            last = Some((e, line_start, lines));
            if e == b.len() {
                break;
            }
            k = e;
        }
        if let Some((end, line_start, passed)) = last {
            self.i = end;
            self.line += passed;
            self.line_start = line_start;
        }
        Ok(folded)
    }

    /// A single-line quoted scalar at the cursor; the cursor moves past its closing quote.
    fn quoted(&mut self) -> R<Cow<'a, str>> {
        let q = self.b[self.i];
        let start = self.i + 1;
        let end = self.quoted_end(self.i)?;
        let body = &self.text[start..end - 1];
        let text = if q == b'\'' {
            if body.contains('\'') {
                Cow::Owned(body.replace("''", "'"))
            } else {
                Cow::Borrowed(body)
            }
        } else if !body.contains('\\') {
            Cow::Borrowed(body)
        } else {
            Cow::Owned(unescape(body)?)
        };
        // The cursor moves only when the scalar is read: a caller may read it another way.
        self.i = end;
        Ok(text)
    }

    /// A quoted scalar at the cursor that goes on over the following lines (at any indentation
    /// but the margin, as the full parser takes them), folded as YAML folds them: a line break
    /// between two lines is a space, each empty line a line feed, the spaces around a break are
    /// dropped. The cursor moves past its closing quote; escapes are resolved, an escaped line break joins two lines. Tabs, and an
    /// escaped break before an empty line, are left to the full parser.
    fn quoted_lines(&mut self) -> R<String> {
        let b = self.b;
        let q = b[self.i];
        let mut out = String::new();
        let mut j = self.i + 1;
        let mut seg = j;
        loop {
            match *b.get(j).ok_or(Bail)? {
                b'\\' if q == b'"' => match b.get(j + 1) {
                    // An escaped line break joins the lines with nothing between them.
                    Some(b'\n') => {
                        out.push_str(&self.text[seg..j]);
                        self.i = j + 1;
                        self.newline();
                        j = spaces_end(b, self.i);
                        if matches!(b.get(j), None | Some(b'\n')) || j == self.line_start {
                            return Err(Bail);
                        }
                        seg = j;
                    }
                    // Other escapes are resolved when the scalar is whole.
                    Some(_) => j += 2,
                    None => return Err(Bail),
                },
                b'\t' | b'\r' => return Err(Bail),
                c if c == q => {
                    if q == b'\'' && b.get(j + 1) == Some(&b'\'') {
                        out.push_str(&self.text[seg..=j]);
                        j += 2;
                        seg = j;
                        continue;
                    }
                    out.push_str(&self.text[seg..j]);
                    self.i = j + 1;
                    return if q == b'"' { unescape(&out) } else { Ok(out) };
                }
                b'\n' => {
                    let line = self.text[seg..j].trim_end_matches(' ');
                    // An escaped space before the break is kept: left to the full parser.
                    if q == b'"' && line.ends_with('\\') {
                        return Err(Bail);
                    }
                    out.push_str(line);
                    // Empty lines, then the next line's indentation.
                    let mut breaks = 0;
                    loop {
                        self.i = j;
                        self.newline();
                        j = spaces_end(b, self.i);
                        match b.get(j) {
                            Some(b'\n') => breaks += 1,
                            None => return Err(Bail),
                            Some(_) => break,
                        }
                    }
                    // The full parser takes any indentation here, as libyaml does; a line at
                    // the margin could be a document marker.
                    if j == self.line_start {
                        return Err(Bail);
                    }
                    push_fold(&mut out, breaks);
                    seg = j;
                }
                _ => j += 1,
            }
        }
    }

    /// A literal or folded block scalar whose indicator is at the cursor, inside a collection
    /// at indentation `parent`.
    fn block_scalar(&mut self, parent: usize) -> R<Value> {
        let folded = self.b[self.i] == b'>';
        self.i += 1;
        let chomp = match self.peek() {
            Some(b'-') => {
                self.i += 1;
                Chomp::Strip
            }
            Some(b'+') => {
                self.i += 1;
                Chomp::Keep
            }
            _ => Chomp::Clip,
        };
        if !matches!(self.peek(), None | Some(b' ' | b'\n')) {
            return Err(Bail);
        }
        self.end_of_line()?;
        if self.peek() != Some(b'\n') {
            return Err(Bail);
        }
        self.newline();
        // The first line sets the indentation; leading blank lines are left to the full parser.
        let mut n = 0;
        while self.at(self.i + n) == Some(b' ') {
            n += 1;
        }
        if n <= parent || matches!(self.at(self.i + n), None | Some(b'\n')) {
            return Err(Bail);
        }
        if self.i == self.line_start && self.marker_at(self.i)?.is_some() {
            return Err(Bail);
        }
        let pos = Pos {
            line: self.line,
            col: n + 1,
        };
        self.record(pos);
        // Lines: content (`Some(text after the indentation)`) or empty (`None`).
        let mut out = String::new();
        let mut pending_breaks = 0usize;
        let mut first = true;
        let mut prev_more_indented = false;
        loop {
            // The cursor is at a line start.
            let ls = self.i;
            let mut k = 0;
            while self.at(ls + k) == Some(b' ') {
                k += 1;
            }
            match self.at(ls + k) {
                None => {
                    if k > 0 {
                        return Err(Bail);
                    }
                    break;
                }
                Some(b'\n') => {
                    if k > n {
                        return Err(Bail);
                    }
                    pending_breaks += 1;
                    self.i = ls + k;
                    self.newline();
                    continue;
                }
                Some(_) if k < n => break,
                Some(_) => {}
            }
            let line_end = match memchr(b'\n', &self.b[ls..]) {
                Some(e) => ls + e,
                // A block scalar that runs to the end of a text without a final line break.
                None => return Err(Bail),
            };
            let content = &self.text[ls + n..line_end];
            let more_indented = content.starts_with(' ');
            if folded && more_indented {
                return Err(Bail);
            }
            if !first {
                if folded && !prev_more_indented {
                    if pending_breaks == 0 {
                        out.push(' ');
                    }
                } else {
                    out.push('\n');
                }
            }
            for _ in 0..pending_breaks {
                out.push('\n');
            }
            pending_breaks = 0;
            out.push_str(content);
            first = false;
            prev_more_indented = more_indented;
            self.i = line_end;
            self.newline();
        }
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => out.push('\n'),
            Chomp::Keep => {
                out.push('\n');
                for _ in 0..pending_breaks {
                    out.push('\n');
                }
            }
        }
        Ok(Value::String(out))
    }

    /// A flow collection at the cursor, on one line.
    fn flow(&mut self, depth: usize) -> R<Value> {
        if self.depth + depth > MAX_NESTING {
            return Err(Bail);
        }
        let open = self.b[self.i];
        let pos = self.mark_at(self.i);
        self.record(pos);
        self.i += 1;
        let close = if open == b'[' { b']' } else { b'}' };
        let mut items = Vec::new();
        let mut map = Map::new();
        loop {
            self.flow_space()?;
            if self.peek() == Some(close) {
                self.i += 1;
                break;
            }
            if open == b'[' {
                let mark = self.enter_index(items.len());
                let v = self.flow_node(depth)?;
                self.leave(mark);
                items.push(v);
            } else {
                let key_pos = self.mark_at(self.i);
                let key = match self.peek() {
                    Some(b'"' | b'\'') => self.quoted()?,
                    _ => self.flow_plain_text()?,
                };
                if key == "<<" || key.is_empty() || key.len() > MAX_KEY {
                    return Err(Bail);
                }
                self.flow_space()?;
                if self.peek() != Some(b':') {
                    return Err(Bail);
                }
                self.i += 1;
                if !matches!(self.peek(), Some(b' ')) {
                    return Err(Bail);
                }
                self.flow_space()?;
                if matches!(self.peek(), Some(b',' | b'}' | b']')) {
                    return Err(Bail);
                }
                let skip = self.skip_keys.contains(&key.as_ref());
                if skip {
                    self.skipping += 1;
                }
                let mark = self.enter_key(&key);
                if self.recording() {
                    self.locations.keys.insert(self.path.clone(), key_pos);
                }
                let v = self.flow_node(depth)?;
                self.leave(mark);
                if skip {
                    self.skipping -= 1;
                } else if map.insert(key.into_owned(), v).is_some() {
                    return Err(Bail);
                }
            }
            self.flow_space()?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(c) if c == close => {
                    self.i += 1;
                    break;
                }
                _ => return Err(Bail),
            }
        }
        Ok(if open == b'[' {
            Value::Array(items)
        } else {
            Value::Object(map)
        })
    }

    /// Spaces inside a flow collection (a line break or comment there is left to the full parser).
    fn flow_space(&mut self) -> R<()> {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
        match self.peek() {
            None | Some(b'\n' | b'#') => Err(Bail),
            _ => Ok(()),
        }
    }

    /// A node inside a flow collection: a scalar or a nested collection.
    fn flow_node(&mut self, depth: usize) -> R<Value> {
        let pos = self.mark_at(self.i);
        match self.peek().ok_or(Bail)? {
            b'[' | b'{' => self.flow(depth + 1),
            b'"' | b'\'' => {
                self.record(pos);
                let s = self.quoted()?.into_owned();
                Ok(Value::String(s))
            }
            _ => {
                self.record(pos);
                let t = self.flow_plain_text()?;
                Ok(resolve_scalar(&t, ScalarStyle::Plain, None))
            }
        }
    }

    /// A plain scalar inside a flow collection (one line, no flow indicators).
    fn flow_plain_text(&mut self) -> R<Cow<'a, str>> {
        if !plain_start(self.b, self.i, true) {
            return Err(Bail);
        }
        let start = self.i;
        let mut j = self.i;
        loop {
            match self.at(j) {
                None | Some(b'\n') => return Err(Bail),
                Some(b',' | b'[' | b']' | b'{' | b'}') => break,
                Some(b':') => {
                    if matches!(self.at(j + 1), Some(b' ' | b',' | b']' | b'}') | None) {
                        break;
                    }
                    return Err(Bail);
                }
                Some(b'#') if self.b[j - 1] == b' ' => return Err(Bail),
                _ => j += 1,
            }
        }
        self.i = j;
        let t = self.text[start..j].trim_end_matches(' ');
        if t.is_empty() {
            return Err(Bail);
        }
        Ok(Cow::Borrowed(t))
    }
}

/// One step of a JSON pointer: a mapping key or a sequence index.
enum Seg<'a> {
    Key(Cow<'a, str>),
    Index(usize),
}

#[derive(Clone, Copy)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

/// Can a plain scalar start at `i`? Not with an indicator, except `-`, `?`, `:` before a
/// non-space (and, in flow context, a non-flow-indicator).
fn plain_start(b: &[u8], i: usize, flow: bool) -> bool {
    match b.get(i) {
        None | Some(b' ' | b'\n') => false,
        Some(b'-') => match b.get(i + 1) {
            None | Some(b' ' | b'\n') => false,
            Some(b',' | b'[' | b']' | b'{' | b'}') => !flow,
            Some(_) => true,
        },
        Some(
            b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
            | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`',
        ) => false,
        Some(_) => true,
    }
}

/// Appends `/token` to a JSON pointer (`~` and `/` escaped).
fn push_token(path: &mut String, token: &str) {
    path.push('/');
    if token.contains(['~', '/']) {
        path.push_str(&token.replace('~', "~0").replace('/', "~1"));
    } else {
        path.push_str(token);
    }
}

/// A small decimal without allocating.
fn itoa(n: usize) -> ItoaBuf {
    let mut buf = ItoaBuf {
        bytes: [0; 20],
        start: 20,
    };
    let mut n = n;
    loop {
        buf.start -= 1;
        buf.bytes[buf.start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf
}

struct ItoaBuf {
    bytes: [u8; 20],
    start: usize,
}

impl ItoaBuf {
    fn as_str(&self) -> &str {
        // Only ASCII digits are written.
        std::str::from_utf8(&self.bytes[self.start..]).unwrap_or("0")
    }
}

/// The text of a single-line double-quoted scalar's body; `Err` on an escape the scanner does
/// not take (the full parser reads it, or reports it).
fn unescape(body: &str) -> R<String> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or(Bail)?;
        let simple = match e {
            '0' => Some('\0'),
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            't' => Some('\t'),
            'n' => Some('\n'),
            'v' => Some('\u{b}'),
            'f' => Some('\u{c}'),
            'r' => Some('\r'),
            'e' => Some('\u{1b}'),
            ' ' => Some(' '),
            '"' => Some('"'),
            '/' => Some('/'),
            '\\' => Some('\\'),
            'N' => Some('\u{85}'),
            '_' => Some('\u{a0}'),
            'L' => Some('\u{2028}'),
            'P' => Some('\u{2029}'),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        let digits = match e {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ => return Err(Bail),
        };
        let mut code = 0u32;
        for _ in 0..digits {
            let d = chars.next().and_then(|h| h.to_digit(16)).ok_or(Bail)?;
            code = code * 16 + d;
        }
        out.push(char::from_u32(code).ok_or(Bail)?);
    }
    Ok(out)
}

/// Where a folded scalar's lines meet: a space, or a line feed for each empty line between.
fn push_fold(out: &mut String, empty_lines: usize) {
    if empty_lines == 0 {
        out.push(' ');
    } else {
        out.extend(std::iter::repeat_n('\n', empty_lines));
    }
}

/// The first offset at or after `i` that is not a space (the text's length if none): eight
/// bytes at a time, as indentation in generated CRDs runs to dozens of spaces a line.
fn spaces_end(b: &[u8], mut i: usize) -> usize {
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    while let Some(chunk) = b.get(i..i + 8) {
        let word = u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8]));
        if word != SPACES {
            break;
        }
        i += 8;
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    i
}

/// First offset of `needle` in `hay`.
fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

#[cfg(test)]
mod control_tests {
    use super::{has_control, spaces_end};

    /// Every byte value at every offset of texts shorter and longer than a block, against the
    /// byte-at-a-time definition.
    #[test]
    fn indentation_ends_where_a_byte_walk_ends_it() {
        for n in 0..40 {
            for tail in ["", "x", "\n", " "] {
                let text = format!("{}{}", " ".repeat(n), tail);
                let b = text.as_bytes();
                for start in 0..=b.len() {
                    let walk = start
                        + b[start..]
                            .iter()
                            .position(|&c| c != b' ')
                            .unwrap_or(b.len() - start);
                    assert_eq!(
                        spaces_end(b, start),
                        walk,
                        "{n} spaces then {tail:?}, from {start}"
                    );
                }
            }
        }
    }

    #[test]
    fn control_bytes_are_found_at_any_offset_as_a_byte_walk_finds_them() {
        let slow = |b: &[u8]| b.iter().any(|&c| (c < 0x20 && c != b'\n') || c == 0x7f);
        for len in [0usize, 1, 63, 64, 65, 130, 200] {
            for at in 0..len {
                for c in 0..=255u8 {
                    let mut b = vec![b'a'; len];
                    b[at] = c;
                    assert_eq!(has_control(&b), slow(&b), "byte {c:#x} at {at} of {len}");
                }
            }
        }
        assert!(!has_control(b"key: value\n  - item\n"));
        assert!(has_control(b"key:\tvalue\n"));
    }
}
