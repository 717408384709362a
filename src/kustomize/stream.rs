//! A build's YAML stream, emitted while it is printed.
//!
//! `kubectl kustomize` prints the documents separated by `---` lines. A large build is emitted a
//! batch of documents at a time, each batch on all cores, so its whole text (about three times
//! the size of the input) is never held at once: the printer asks for the next part only after
//! writing the one before.

use std::collections::VecDeque;

use crate::resource::{Resource, ResourceList};

/// Documents per part: one part per core per batch.
const CHUNK: usize = 512;

/// The parts of `resources` in order, separator parts (`---\n`) between them; `first` says
/// whether these are the stream's first documents (no separator before them).
fn emit_batch(resources: &[Resource], first: bool, out: &mut VecDeque<String>) {
    let parts = crate::fsutil::par_chunks(resources, CHUNK, |part| {
        crate::yaml::emit_stream(part.iter().map(|r| &r.value))
    });
    for (i, p) in parts.into_iter().enumerate() {
        if i > 0 || !first {
            out.push_back("---\n".to_string());
        }
        out.push_back(p);
    }
}

/// Every part of a build's stream at once (for callers that keep the whole text).
pub(super) fn all_parts(resources: &[Resource]) -> Vec<String> {
    let mut out = VecDeque::new();
    emit_batch(resources, true, &mut out);
    out.into()
}

/// The parts of a build's stream, emitted a batch at a time as they are asked for; the
/// resources stay here (see [`Emitter::into_resources`]).
#[derive(Debug, Clone, Default)]
pub struct Emitter {
    resources: ResourceList,
    /// The first resource not yet emitted.
    next: usize,
    /// Whether anything was emitted (an empty build is one empty part).
    started: bool,
    ready: VecDeque<String>,
}

impl Emitter {
    /// The stream of `resources`, none of it emitted yet.
    pub fn new(resources: ResourceList) -> Self {
        Self {
            resources,
            ..Self::default()
        }
    }

    /// Holds `resources` with nothing to print (their stream was written elsewhere).
    pub fn finished(resources: ResourceList) -> Self {
        Self {
            next: resources.len(),
            started: true,
            resources,
            ready: VecDeque::new(),
        }
    }

    /// The rendered resources (a CLI about to exit may `std::mem::forget` them rather than pay
    /// for freeing every node).
    pub fn into_resources(self) -> ResourceList {
        self.resources
    }
}

impl Iterator for Emitter {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        if let Some(part) = self.ready.pop_front() {
            return Some(part);
        }
        if self.started && self.next >= self.resources.len() {
            return None;
        }
        let batch = CHUNK * crate::fsutil::cores().clamp(1, 8);
        let end = self.resources.len().min(self.next + batch);
        emit_batch(
            &self.resources[self.next..end],
            !self.started,
            &mut self.ready,
        );
        self.started = true;
        self.next = end;
        self.ready.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resources(n: usize) -> ResourceList {
        let text: String = (0..n)
            .map(|i| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n---\n"))
            .collect();
        crate::resource::parse_resources(&text, std::path::Path::new("test.yaml")).unwrap()
    }

    #[test]
    fn the_stream_in_batches_is_the_stream_at_once() {
        // Across batch and chunk boundaries, and the empty build.
        for n in [0, 1, 2, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK * 8 + 7] {
            let rs = resources(n);
            let whole = all_parts(&rs).concat();
            let parts: Vec<String> = Emitter::new(rs.clone()).collect();
            assert_eq!(parts.concat(), whole, "{n} documents");
            assert_eq!(whole.matches("---\n").count(), n.saturating_sub(1), "{n}");
            assert_eq!(Emitter::new(rs).into_resources().len(), n);
        }
    }

    #[test]
    fn a_large_stream_is_emitted_a_batch_at_a_time() {
        let rs = resources(20 * CHUNK);
        let mut e = Emitter::new(rs);
        let first = e.next().unwrap();
        // Only the first batch has been emitted: at most one part per core waits.
        assert!(e.ready.len() <= 2 * 8, "{} parts waiting", e.ready.len());
        assert!(e.next <= CHUNK * 8, "{} documents emitted", e.next);
        assert!(first.starts_with("apiVersion: v1\n"));
        assert!(e.count() > 0);
    }

    #[test]
    fn a_finished_stream_prints_nothing_and_keeps_its_resources() {
        let mut e = Emitter::finished(resources(3));
        assert_eq!(e.next(), None);
        assert_eq!(e.into_resources().len(), 3);
    }
}
