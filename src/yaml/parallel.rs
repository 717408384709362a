//! Reading large streams on several threads: cutting a stream at document starts, or a big
//! kubectl List between its items, and joining the parts' documents in order.

use super::*;

pub(super) fn thread_panicked() -> YamlError {
    YamlError::Syntax {
        pos: Pos::default(),
        message: "internal error: parser thread panicked; please report it".into(),
    }
}

/// Below this size a stream is read on the calling thread.
pub(super) const PARALLEL_FROM_BYTES: usize = 256 * 1024;

/// A single-document List at least this big is read in chunks of items.
const LIST_CHUNKED_FROM_BYTES: usize = 4 << 20;

fn threads() -> usize {
    crate::fsutil::cores().min(8)
}

/// Offset of the first line at or after `from` that starts a document (`---` alone or followed
/// by a space), found with a vectorised search for `\n---` rather than a walk over every line.
fn document_start_from(text: &str, from: usize) -> Option<usize> {
    let b = text.as_bytes();
    let is_start = |at: usize| {
        b[at..].starts_with(b"---")
            && matches!(b.get(at + 3), None | Some(b'\n' | b'\r' | b' '))
            && (b.get(at + 3) != Some(&b'\r') || b.get(at + 4) == Some(&b'\n'))
    };
    if from == 0 && is_start(0) {
        return Some(0);
    }
    // A line starting at `from` is found by searching from the line feed before it.
    let mut at = from.saturating_sub(1);
    let finder = memchr::memmem::Finder::new(b"\n---");
    while let Some(n) = finder.find(&b[at..]) {
        let start = at + n + 1;
        if start >= from && is_start(start) {
            return Some(start);
        }
        at = start;
    }
    None
}

/// The stream cut into parts at document starts (`---` ends any scalar or collection, so a cut
/// is where the parser would start a new document anyway), each with the number of lines before
/// it; one part for small texts or when the machine has one CPU.
fn parts(text: &str) -> Vec<(usize, &str)> {
    let threads = threads();
    if threads < 2 || text.len() < PARALLEL_FROM_BYTES || text.starts_with('%') {
        return vec![(0, text)];
    }
    // Cut points: the document start nearest after each equal share of the text.
    let mut cuts = vec![0];
    for k in 1..threads {
        let target = text.len() * k / threads;
        let last = *cuts.last().unwrap_or(&0);
        if let Some(s) = document_start_from(text, target.max(last + 1)) {
            cuts.push(s);
        }
    }
    cuts.push(text.len());
    let mut lines_before = 0;
    let mut out = Vec::with_capacity(cuts.len() - 1);
    for w in cuts.windows(2) {
        out.push((lines_before, &text[w[0]..w[1]]));
        lines_before += memchr::memchr_iter(b'\n', &text.as_bytes()[w[0]..w[1]]).count();
    }
    out
}

/// Runs `f` on every part on its own thread, each part padded with the newlines before it so
/// that positions are those of the whole text. Results in order; `None` where a thread panicked.
pub(super) fn on_parts<T: Send>(text: &str, f: impl Fn(&str) -> T + Sync) -> Vec<Option<T>> {
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

/// The stream cut at document starts into chunks of about `target` bytes (a chunk holds at least
/// one whole document); the whole text when it cannot be cut (directives, one document).
pub(super) fn chunks(text: &str, target: usize) -> Vec<&str> {
    if text.starts_with('%') {
        return vec![text];
    }
    let target = target.max(1);
    let mut out = Vec::with_capacity(text.len() / target + 1);
    let mut start = 0;
    while start + target < text.len()
        && let Some(cut) = document_start_from(text, start + target)
    {
        out.push(&text[start..cut]);
        start = cut;
    }
    out.push(&text[start..]);
    out
}

/// Reads `text` in chunks ([`chunks`]) on up to `threads()` threads, each taking the next chunk
/// when done with its last, and hands each chunk's documents (untracked, indexes counted within
/// the chunk) to `f` on the thread that read them, so that a caller that only inspects documents
/// holds one chunk per thread at a time. Stops at the first chunk that does not read or for
/// which `f` gives `None`, and then gives `None`; otherwise `f`'s results in chunk order.
pub(super) fn on_chunks<T: Send>(
    text: &str,
    target: usize,
    f: impl Fn(Vec<Document>) -> Option<T> + Sync,
) -> Option<Vec<T>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let chunks = chunks(text, target);
    let threads = threads().min(chunks.len());
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = || {
        let mut done = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(chunk) = chunks.get(i) else { break };
            match read_stream(chunk, true, &[]).ok().and_then(&f) {
                Some(t) => done.push((i, t)),
                None => failed.store(true, Ordering::Relaxed),
            }
        }
        done
    };
    let mut done = if threads < 2 {
        work()
    } else {
        let parts: Vec<Option<Vec<(usize, T)>>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
            handles.into_iter().map(|h| h.join().ok()).collect()
        });
        let mut all = Vec::with_capacity(chunks.len());
        for p in parts {
            all.extend(p?);
        }
        all
    };
    if failed.load(Ordering::Relaxed) {
        return None;
    }
    done.sort_unstable_by_key(|(i, _)| *i);
    Some(done.into_iter().map(|(_, t)| t).collect())
}

/// The documents of all parts in order, re-indexed; the first error wins.
pub(super) fn join_parts(
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
pub(super) fn split_list_items(text: &str, parts: usize) -> Option<(String, Vec<&str>)> {
    let mut items_start = None;
    let mut items_line = 0;
    let mut items_end = text.len();
    let mut starts = Vec::new();
    let b = text.as_bytes();
    // Only lines that start at column 0 with something other than a space or a line break
    // matter: they are found by a vectorised search for line feeds, not a walk over every line.
    let line_starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', b).map(|i| i + 1));
    for at in line_starts {
        let first = b.get(at).copied();
        if matches!(first, Some(b' ' | b'\n' | b'\r')) {
            continue;
        }
        let offset = memchr::memchr(b'\n', &b[at..]).map_or(b.len(), |n| at + n + 1);
        let line = &text[at..offset];
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
/// A step applied to each object as soon as its part of the text is read, on the thread that
/// read it (to shrink objects while the rest of a large stream is still being read).
pub type EachObject<'a> = Option<&'a (dyn Fn(&mut Value) + Sync)>;

pub(super) fn list_chunked(
    text: &str,
    skip_keys: &'static [&'static str],
    each: EachObject<'_>,
) -> Option<Vec<Document>> {
    list_chunked_from(text, skip_keys, LIST_CHUNKED_FROM_BYTES, each)
}

/// A single-document List read in parts of its items, one worker per core taking the next part.
/// With an `each` step the parts are small, so that each worker holds one small part's objects
/// as read and the rest as `each` left them.
/// About how much of a List's text one part is when each object is handed on as read: the
/// objects of one part per worker are held at a time.
const EACH_PART_BYTES: usize = 256 << 10;

pub(super) fn list_chunked_from(
    text: &str,
    skip_keys: &'static [&'static str],
    min_bytes: usize,
    each: EachObject<'_>,
) -> Option<Vec<Document>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
    let threads = threads();
    // With an `each` step the parts bound memory, so one thread reads them too.
    if text.len() < min_bytes || (threads < 2 && each.is_none()) {
        return None;
    }
    let parts = if each.is_some() {
        (threads * 16).max(text.len() / EACH_PART_BYTES)
    } else {
        threads
    };
    let (rest, chunks) = split_list_items(text, parts)?;
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let read = |c: &str| -> Option<Vec<Value>> {
        let mut items = match read_stream(c, true, skip_keys)
            .ok()?
            .into_iter()
            .next()?
            .value
        {
            Value::Array(a) => a,
            _ => return None,
        };
        if let Some(f) = each {
            items.iter_mut().for_each(f);
        }
        Some(items)
    };
    type Parts = Vec<(usize, Vec<Value>)>;
    let results: Vec<Option<Parts>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(chunks.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Relaxed);
                        if i >= chunks.len() || failed.load(Relaxed) {
                            return Some(done);
                        }
                        match read(chunks[i]) {
                            Some(items) => done.push((i, items)),
                            None => {
                                failed.store(true, Relaxed);
                                return None;
                            }
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    let mut docs = read_stream(&rest, true, skip_keys).ok()?;
    if docs.len() != 1 || failed.load(Relaxed) {
        return None;
    }
    let mut parts: Vec<(usize, Vec<Value>)> = Vec::with_capacity(chunks.len());
    for r in results {
        parts.extend(r?);
    }
    parts.sort_unstable_by_key(|p| p.0);
    let mut items = Vec::new();
    for (_, p) in parts {
        items.extend(p);
    }
    *docs[0].value.get_mut("items")? = Value::Array(items);
    Some(docs)
}

#[cfg(test)]
mod cut_tests {
    use super::*;

    /// Every line start that begins a document, by walking lines (the definition).
    fn starts_by_lines(text: &str) -> Vec<usize> {
        let mut out = Vec::new();
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            let l = line.strip_suffix('\n').unwrap_or(line);
            let l = l.strip_suffix('\r').unwrap_or(l);
            if l == "---" || l.starts_with("--- ") {
                out.push(at);
            }
            at += line.len();
        }
        out
    }

    #[test]
    fn document_starts_found_from_any_offset_as_a_line_walk_finds_them() {
        let texts = [
            "---\na: 1\n---\nb: 2\n--- # c\nc: 3\n",
            "a: 1\n----\nb: ---\n---x\n--- |\n  t\n---\r\nd: 4\n---",
            "x: \"---\"\n ---\n---",
            "",
            "---",
        ];
        for text in texts {
            let want = starts_by_lines(text);
            for from in 0..=text.len() {
                let expect = want.iter().copied().find(|&s| s >= from);
                assert_eq!(
                    document_start_from(text, from),
                    expect,
                    "{text:?} from {from}"
                );
            }
        }
    }

    #[test]
    fn chunks_cover_the_text_and_start_at_documents() {
        let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
        let text: String = std::iter::repeat_n(format!("---\n{doc}"), 500).collect();
        for target in [1, 100, 4096, 1 << 20] {
            let chunks = chunks(&text, target);
            assert_eq!(chunks.concat(), text, "target {target}");
            assert!(
                chunks.iter().all(|c| c.starts_with("---\n")),
                "target {target}"
            );
            let want = if target == 1 {
                500
            } else {
                text.len().div_ceil(target).min(500)
            };
            assert!(
                chunks.len() >= want.min(2) && chunks.len() <= want + 1,
                "{target}: {}",
                chunks.len()
            );
        }
        assert_eq!(chunks("%YAML 1.2\n---\na: 1\n---\nb: 2\n", 1).len(), 1);
    }

    #[test]
    fn chunks_are_read_in_order_and_a_failure_stops_them() {
        let text: String = (0..300).map(|i| format!("---\nn: {i}\n")).collect();
        let got = on_chunks(&text, 64, |docs| {
            Some(
                docs.iter()
                    .map(|d| d.value["n"].as_i64().unwrap())
                    .collect::<Vec<_>>(),
            )
        })
        .unwrap();
        assert_eq!(got.concat(), (0..300).collect::<Vec<i64>>());
        let bad = format!("{text}---\n[unclosed\n");
        assert!(on_chunks(&bad, 64, |docs| Some(docs.len())).is_none());
        let refused = on_chunks(&text, 64, |docs| {
            docs.iter().all(|d| d.value["n"] != 250).then_some(())
        });
        assert!(refused.is_none());
    }

    #[test]
    fn parts_cover_the_text_with_the_lines_before_each() {
        let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
        let text: String = std::iter::repeat_n(format!("---\n{doc}"), 20_000).collect();
        let parts = parts(&text);
        let joined: String = parts.iter().map(|p| p.1).collect();
        assert_eq!(joined, text);
        let mut lines = 0;
        for (before, part) in &parts {
            assert_eq!(*before, lines);
            assert!(part.starts_with("---\n"));
            lines += part.matches('\n').count();
        }
    }
}
