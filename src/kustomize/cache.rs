//! A cache of parsed resource files keyed by their content (sha256), shared by many builds: a
//! base, component or resource file that many kustomizations include, or that is the same at two
//! git revisions, is parsed once (`rollout preview` renders hundreds of applications at two
//! revisions with one cache). A kustomization file, whose parse names its own path, is
//! remembered by path and content: a base that many overlays include is parsed once per revision.
//! Paths resolved through symlinks are remembered too: a cache must only be shared by builds of
//! trees that do not change while it lives (new directories may appear; none may be replaced).
//!
//! Owns the map and its memory bound; reads no files (the loader hands it the text) and does not
//! decide what a parse means (the loader's parser does).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use super::kustomization::Kustomization;
use super::patches::Patch;
use crate::resource::Resource;

/// Parsed resource files by content, bounded by the total size of the texts they came from.
pub struct ParseCache {
    entries: Mutex<HashMap<Key, Arc<Vec<Resource>>>>,
    /// Patch files by content (a parsed patch names no file until `from_file`).
    patches: Mutex<HashMap<[u8; 32], Patch>>,
    /// Kustomization files by path and content (a parsed kustomization names its file).
    kustomizations: Mutex<HashMap<FileKey, Arc<Kustomization>>>,
    /// Paths with symlinks resolved (successes only).
    canonical: Mutex<HashMap<PathBuf, PathBuf>>,
    /// Bytes of source text the entries hold parses of.
    held: AtomicUsize,
    limit: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// A file's path and content hash.
type FileKey = (PathBuf, [u8; 32]);

/// The content hash and whether per-node positions were kept (two different parses).
type Key = ([u8; 32], bool);

/// Texts cached in total by [`ParseCache::new`]: past this, files are parsed without caching.
pub const DEFAULT_LIMIT_BYTES: usize = 256 << 20;

impl std::fmt::Debug for ParseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (hits, misses) = self.stats();
        f.debug_struct("ParseCache")
            .field("hits", &hits)
            .field("misses", &misses)
            .field("held_bytes", &self.held.load(Ordering::Relaxed))
            .finish()
    }
}

impl Default for ParseCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ParseCache {
    /// An empty cache holding parses of at most [`DEFAULT_LIMIT_BYTES`] of text.
    pub fn new() -> Self {
        Self::with_limit(DEFAULT_LIMIT_BYTES)
    }

    /// An empty cache holding parses of at most `limit` bytes of text.
    pub fn with_limit(limit: usize) -> Self {
        ParseCache {
            entries: Mutex::new(HashMap::new()),
            patches: Mutex::new(HashMap::new()),
            kustomizations: Mutex::new(HashMap::new()),
            canonical: Mutex::new(HashMap::new()),
            held: AtomicUsize::new(0),
            limit,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// (hits, misses) so far.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// The resources of `text` read from `file`: a copy of the cached parse (its origins renamed
    /// to `file`) when the same text was parsed before with the same `positions`, else
    /// `parse(text)`, remembered when it succeeds and the bound allows.
    ///
    /// # Errors
    /// What `parse` returns (errors are not cached: they name the file they came from).
    pub fn get_or_parse<E>(
        &self,
        text: &str,
        file: &Path,
        positions: bool,
        parse: impl FnOnce(&str) -> Result<Vec<Resource>, E>,
    ) -> Result<Vec<Resource>, E> {
        let key: Key = (Sha256::digest(text.as_bytes()).into(), positions);
        let cached = self.entries.lock().ok().and_then(|m| m.get(&key).cloned());
        if let Some(list) = cached {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(renamed(&list, file));
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let list = parse(text)?;
        if self.held.load(Ordering::Relaxed) + text.len() <= self.limit
            && let Ok(mut m) = self.entries.lock()
            && !m.contains_key(&key)
        {
            self.held.fetch_add(text.len(), Ordering::Relaxed);
            m.insert(key, Arc::new(list.clone()));
        }
        Ok(list)
    }

    /// The kustomization in `text` read from `file`: the cached parse when the same file had the
    /// same text before, else `parse(text)`, remembered when it succeeds and the bound allows.
    ///
    /// # Errors
    /// What `parse` returns.
    pub(super) fn get_or_parse_kustomization<E>(
        &self,
        text: &str,
        file: &Path,
        parse: impl FnOnce(&str) -> Result<Kustomization, E>,
    ) -> Result<Arc<Kustomization>, E> {
        let key = (file.to_path_buf(), Sha256::digest(text.as_bytes()).into());
        let cached = self
            .kustomizations
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned());
        if let Some(k) = cached {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(k);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let k = Arc::new(parse(text)?);
        if self.held.load(Ordering::Relaxed) + text.len() <= self.limit
            && let Ok(mut m) = self.kustomizations.lock()
        {
            self.held.fetch_add(text.len(), Ordering::Relaxed);
            m.entry(key).or_insert_with(|| k.clone());
        }
        Ok(k)
    }

    /// `path.canonicalize()`, remembered when it succeeds (a failure is asked again next time).
    ///
    /// # Errors
    /// As [`Path::canonicalize`].
    pub fn canonical(&self, path: &Path) -> std::io::Result<PathBuf> {
        if let Some(p) = self
            .canonical
            .lock()
            .ok()
            .and_then(|m| m.get(path).cloned())
        {
            return Ok(p);
        }
        let real = path.canonicalize()?;
        if let Ok(mut m) = self.canonical.lock()
            && m.len() < 1 << 20
        {
            m.insert(path.to_path_buf(), real.clone());
        }
        Ok(real)
    }

    /// The patch in `text`: a copy of the cached parse when the same text was parsed before,
    /// else `parse(text)`, remembered when it succeeds and the bound allows.
    ///
    /// # Errors
    /// What `parse` returns (not cached: errors name where the patch is listed).
    pub fn get_or_parse_patch<E>(
        &self,
        text: &str,
        parse: impl FnOnce(&str) -> Result<Patch, E>,
    ) -> Result<Patch, E> {
        let key: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        let cached = self.patches.lock().ok().and_then(|m| m.get(&key).cloned());
        if let Some(p) = cached {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(p);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let patch = parse(text)?;
        if self.held.load(Ordering::Relaxed) + text.len() <= self.limit
            && let Ok(mut m) = self.patches.lock()
            && !m.contains_key(&key)
        {
            self.held.fetch_add(text.len(), Ordering::Relaxed);
            m.insert(key, patch.clone());
        }
        Ok(patch)
    }
}

fn renamed(list: &[Resource], file: &Path) -> Vec<Resource> {
    list.iter()
        .map(|r| {
            let mut r = r.clone();
            if r.origin.file != file {
                r.origin.file = file.to_path_buf();
            }
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::parse_resources_untracked;

    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n";

    fn parse_at(file: &'static str) -> impl FnOnce(&str) -> Result<Vec<Resource>, String> {
        move |t| parse_resources_untracked(t, Path::new(file)).map_err(|e| e.to_string())
    }

    #[test]
    fn same_text_is_parsed_once_and_renamed() {
        let c = ParseCache::new();
        let a = c
            .get_or_parse(CM, Path::new("x/a.yaml"), false, parse_at("x/a.yaml"))
            .unwrap();
        let b = c
            .get_or_parse(CM, Path::new("y/b.yaml"), false, |_| {
                Err::<Vec<Resource>, String>("parsed again".into())
            })
            .unwrap();
        assert_eq!(c.stats(), (1, 1));
        assert_eq!(a[0].value, b[0].value);
        assert_eq!(b[0].origin.file, Path::new("y/b.yaml"));
        // Positions are a different parse; other text is a miss.
        let _ = c.get_or_parse(CM, Path::new("a"), true, parse_at("a"));
        let _ = c.get_or_parse("kind: X\n", Path::new("a"), false, parse_at("a"));
        assert_eq!(c.stats(), (1, 3));
    }

    #[test]
    fn errors_are_not_cached_and_the_bound_holds() {
        let c = ParseCache::with_limit(10);
        let bad = c.get_or_parse("a: [", Path::new("f"), false, parse_at("f"));
        assert!(bad.is_err());
        let bad = c.get_or_parse("a: [", Path::new("f"), false, parse_at("f"));
        assert!(bad.is_err());
        // CM is longer than the limit: parsed each time, never held.
        for _ in 0..2 {
            c.get_or_parse(CM, Path::new("f"), false, parse_at("f"))
                .unwrap();
        }
        assert_eq!(c.stats(), (0, 4));
        assert!(format!("{c:?}").contains("held_bytes: 0"));
    }
}
