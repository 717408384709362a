//! Filesystem edges: atomic writes and reads with path context.
//!
//! Owns "nothing half-written": every file `rollout` writes goes to a temporary file in the same
//! directory and is renamed into place. Unchanged files are not touched.

use std::io::Write;
use std::path::{Path, PathBuf};

/// An I/O failure with the path it happened on.
#[derive(Debug, thiserror::Error)]
#[error("{action} {path}: {source}")]
pub struct FsError {
    /// What was being done ("cannot read", "cannot write", ...).
    pub action: &'static str,
    /// The path involved.
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: std::io::Error,
}

impl FsError {
    fn new(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        FsError {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Reads a UTF-8 file, naming the path on failure.
///
/// # Errors
/// When the file cannot be read or is not UTF-8.
pub fn read_to_string(path: &Path) -> Result<String, FsError> {
    std::fs::read_to_string(path).map_err(|e| FsError::new("cannot read", path, e))
}

/// The `*.json` files directly in `dir`, sorted by path.
///
/// # Errors
/// When the directory cannot be read.
pub fn json_files(dir: &Path) -> Result<Vec<PathBuf>, FsError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| FsError::new("cannot read directory", dir, e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// What [`write_atomic`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteResult {
    /// The file did not exist or had other bytes, and now holds the new ones.
    Written,
    /// The file already held exactly these bytes; it was not touched.
    Unchanged,
}

/// Writes `bytes` to `path` through a temp file in the same directory and a rename, creating parent
/// directories. A file that already holds exactly these bytes is left alone (its mtime too).
///
/// # Errors
/// When a directory cannot be created or the temp file cannot be written or renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<WriteResult, FsError> {
    if let Ok(existing) = std::fs::read(path)
        && existing == bytes
    {
        return Ok(WriteResult::Unchanged);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| FsError::new("cannot create directory", &dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".rollout-")
        .tempfile_in(&dir)
        .map_err(|e| FsError::new("cannot create temp file in", &dir, e))?;
    tmp.write_all(bytes)
        .map_err(|e| FsError::new("cannot write", tmp.path(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| FsError::new("cannot write", path, e))?;
    tmp.persist(path)
        .map_err(|e| FsError::new("cannot rename into", path, e.error))?;
    Ok(WriteResult::Written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_then_leaves_identical_bytes_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/c.yaml");
        assert_eq!(write_atomic(&p, b"x: 1\n").unwrap(), WriteResult::Written);
        assert_eq!(write_atomic(&p, b"x: 1\n").unwrap(), WriteResult::Unchanged);
        assert_eq!(write_atomic(&p, b"x: 2\n").unwrap(), WriteResult::Written);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "x: 2\n");
        let leftovers: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp file left behind");
    }
}
