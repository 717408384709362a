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

/// The largest input file `rollout` reads, in bytes, unless `ROLLOUT_MAX_INPUT_BYTES` says otherwise.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// The size cap per input file: `ROLLOUT_MAX_INPUT_BYTES` (bytes) or [`DEFAULT_MAX_INPUT_BYTES`].
pub fn max_input_bytes() -> u64 {
    static CAP: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *CAP.get_or_init(|| {
        std::env::var("ROLLOUT_MAX_INPUT_BYTES")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or(DEFAULT_MAX_INPUT_BYTES)
    })
}

fn invalid(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, msg)
}

/// Reads a whole input file: refuses what is not a regular file (a FIFO, a device such as
/// `/dev/zero`, a socket) before opening it, caps the size at [`max_input_bytes`], and re-reads when
/// the file changed while it was read (an editor rewriting it), so the bytes are one whole version.
///
/// # Errors
/// When the file cannot be read, is not a regular file, is too large, or keeps changing.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, FsError> {
    use std::io::Read;
    let cap = max_input_bytes();
    let err = |e| FsError::new("cannot read", path, e);
    for _ in 0..5 {
        let before = std::fs::metadata(path).map_err(err)?;
        if !before.file_type().is_file() {
            return Err(err(invalid(format!(
                "not a regular file ({}); give a file",
                file_kind(&before)
            ))));
        }
        if before.len() > cap {
            return Err(err(invalid(format!(
                "{} bytes is over the {cap}-byte input limit (ROLLOUT_MAX_INPUT_BYTES)",
                before.len()
            ))));
        }
        let file = std::fs::File::open(path).map_err(err)?;
        let opened = file.metadata().map_err(err)?;
        if !opened.file_type().is_file() {
            return Err(err(invalid("not a regular file; give a file".into())));
        }
        let mut bytes = Vec::with_capacity(opened.len().min(cap) as usize);
        file.take(cap + 1).read_to_end(&mut bytes).map_err(err)?;
        if bytes.len() as u64 > cap {
            return Err(err(invalid(format!(
                "over the {cap}-byte input limit (ROLLOUT_MAX_INPUT_BYTES)"
            ))));
        }
        let after = std::fs::metadata(path).map_err(err)?;
        let same = |m: &std::fs::Metadata| (m.len(), m.modified().ok());
        if same(&opened) == same(&after) && after.len() == bytes.len() as u64 {
            return Ok(bytes);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Err(err(invalid(
        "the file kept changing while it was read; try again when it is saved".into(),
    )))
}

fn file_kind(m: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// An input as it was when it was read (size, modification time, inode), so that a command can
/// refuse to write output planned from a version that has changed since: an editor rewriting the
/// spec in place can be caught mid-write, and what was read then is a prefix that may still parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    path: PathBuf,
    stamp: Option<(u64, Option<std::time::SystemTime>, u64)>,
}

fn stamp_of(path: &Path) -> Option<(u64, Option<std::time::SystemTime>, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok(), m.ino()))
}

impl Watched {
    /// Reads a UTF-8 input as [`read_to_string`] does and remembers the version read.
    ///
    /// # Errors
    /// As [`read_to_string`].
    pub fn read(path: &Path) -> Result<(String, Watched), FsError> {
        // A file modified in the last moments may be mid-write (truncated, then written in
        // chunks): let it settle first, so that a short pause in the writer is not read as the end.
        const SETTLE: std::time::Duration = std::time::Duration::from_millis(100);
        for _ in 0..20 {
            let age = stamp_of(path)
                .and_then(|(_, m, _)| m)
                .and_then(|m| std::time::SystemTime::now().duration_since(m).ok());
            match age {
                Some(age) if age < SETTLE => std::thread::sleep(SETTLE - age),
                _ => break,
            }
        }
        let before = stamp_of(path);
        let text = read_to_string(path)?;
        let after = stamp_of(path);
        // Changed between the stat and the read: remember no version, so the check fails.
        let stamp = if before == after { after } else { None };
        Ok((
            text,
            Watched {
                path: path.to_path_buf(),
                stamp,
            },
        ))
    }

    /// The path watched.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Succeeds when the file is still the version that was read.
    ///
    /// # Errors
    /// When it was rewritten, replaced or removed since.
    pub fn unchanged(&self) -> Result<(), FsError> {
        if self.stamp.is_some() && stamp_of(&self.path) == self.stamp {
            return Ok(());
        }
        Err(FsError::new(
            "refusing to write from",
            &self.path,
            std::io::Error::other(
                "it changed while rollout was reading it (saved by an editor?); nothing was written, run again",
            ),
        ))
    }
}

/// Reads a UTF-8 input file as [`read_bytes`] does, naming the path on failure.
///
/// # Errors
/// As [`read_bytes`], or when the file is not UTF-8.
pub fn read_to_string(path: &Path) -> Result<String, FsError> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes).map_err(|_| {
        FsError::new(
            "cannot read",
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"),
        )
    })
}

/// `rel` joined to `root`, refused unless it stays inside `root`: no absolute path, no `..` out of
/// it, and no symbolic link on the way (or at the end) that resolves outside it.
///
/// # Errors
/// When the path leaves the repository; the message names it and where it leads.
pub fn contained(root: &Path, rel: &Path) -> Result<PathBuf, FsError> {
    use std::path::Component;
    let outside = |why: String| {
        FsError::new(
            "refusing to write",
            rel,
            std::io::Error::new(std::io::ErrorKind::PermissionDenied, why),
        )
    };
    let mut depth: usize = 0;
    for c in rel.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => depth -= 1,
            _ => return Err(outside("the path leaves the repository".into())),
        }
    }
    let root_real =
        std::fs::canonicalize(root).map_err(|e| FsError::new("cannot resolve", root, e))?;
    let full = root.join(rel);
    // The deepest part of the path that exists, resolved through its links, must be inside.
    let mut probe = full.clone();
    loop {
        match std::fs::symlink_metadata(&probe) {
            Ok(_) => {
                let real = match std::fs::canonicalize(&probe) {
                    Ok(r) => r,
                    // A dangling link: where it points is unknowable, so refuse it.
                    Err(_) => {
                        return Err(outside(format!("{} is a dangling link", probe.display())));
                    }
                };
                if !real.starts_with(&root_real) {
                    return Err(outside(format!(
                        "{} resolves to {}, outside the repository",
                        probe.display(),
                        real.display()
                    )));
                }
                break;
            }
            Err(_) => {
                if !probe.pop() {
                    break;
                }
            }
        }
    }
    Ok(full)
}

/// Whether `name` is one of our temp files (`.rollout-` and six letters or digits).
pub fn is_our_temp_name(name: &str) -> bool {
    name.strip_prefix(".rollout-")
        .is_some_and(|rest| rest.len() == 6 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Our temp files (`.rollout-XXXXXX`) left in `dir` by an interrupted run, sorted.
pub fn temp_leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| is_our_temp_name(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
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
/// directories. A file that already holds exactly these bytes is left alone (its mtime too). A new
/// file gets the mode the umask gives (0644 under the usual 022); a rewritten file keeps its mode.
///
/// # Errors
/// When a directory cannot be created or the temp file cannot be written or renamed; the message
/// names `path`, not the temp file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<WriteResult, FsError> {
    use std::os::unix::fs::PermissionsExt;
    let existing_mode = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {
            if let Ok(existing) = std::fs::read(path)
                && existing == bytes
            {
                return Ok(WriteResult::Unchanged);
            }
            Some(m.permissions().mode() & 0o7777)
        }
        _ => None,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| FsError::new("cannot create directory", &dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".rollout-")
        .rand_bytes(6)
        // The kernel applies the umask to this mode, as it does for any new file.
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(&dir)
        .map_err(|e| FsError::new("cannot write", path, e))?;
    if let Some(mode) = existing_mode {
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(|e| FsError::new("cannot write", path, e))?;
    }
    tmp.write_all(bytes)
        .map_err(|e| FsError::new("cannot write", path, e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| FsError::new("cannot write", path, e))?;
    tmp.persist(path)
        .map_err(|e| FsError::new("cannot rename into", path, e.error))?;
    Ok(WriteResult::Written)
}

/// Writes an evidence or report file: the text goes through the masking layer
/// ([`crate::mask::scrub`]) first, then [`write_atomic`].
///
/// # Errors
/// As [`write_atomic`].
pub fn write_evidence(path: &Path, text: &str) -> Result<WriteResult, FsError> {
    write_atomic(path, crate::mask::scrub(text).as_bytes())
}

/// An exclusive lock on `.rollout.lock` at the repository root, held while a command writes
/// generated files there; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct RepoLock {
    _file: std::fs::File,
}

/// The lock file's name at the repository root.
pub const LOCK_FILE: &str = ".rollout.lock";

/// How long a second writer waits for the lock before giving up.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

impl RepoLock {
    /// Takes the repository lock for `what` (the command line, recorded in the lock file so a
    /// second writer can say who holds it), waiting up to [`LOCK_WAIT`].
    ///
    /// # Errors
    /// When the lock file cannot be opened, or another process holds the lock for longer than the
    /// wait; the message names the holder.
    pub fn acquire(root: &Path, what: &str) -> Result<RepoLock, FsError> {
        let path = root.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| FsError::new("cannot open lock file", &path, e))?;
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    if std::time::Instant::now() >= deadline {
                        let holder = std::fs::read_to_string(&path).unwrap_or_default();
                        let holder = holder.trim();
                        return Err(FsError::new(
                            "repository is locked:",
                            &path,
                            std::io::Error::new(
                                std::io::ErrorKind::WouldBlock,
                                format!(
                                    "held by {} (waited {}); try again when it has finished",
                                    if holder.is_empty() {
                                        "another rollout process"
                                    } else {
                                        holder
                                    },
                                    crate::duration::format(LOCK_WAIT)
                                ),
                            ),
                        ));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(FsError::new("cannot lock", &path, e));
                }
            }
        }
        let mut f = &file;
        let _ = f.set_len(0);
        let _ = writeln!(f, "pid {} ({what})", std::process::id());
        Ok(RepoLock { _file: file })
    }
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

    #[test]
    fn issue_11_new_files_follow_the_umask_and_rewritten_files_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("new.yaml");
        write_atomic(&p, b"a\n").unwrap();
        // A reference file created the ordinary way gets the umask's mode.
        let reference = dir.path().join("reference");
        std::fs::write(&reference, b"").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), mode(&reference));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, b"b\n").unwrap();
        assert_eq!(mode(&p), 0o640);
    }

    #[test]
    fn issue_11_writes_never_leave_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("charts")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("charts/victim")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("f"), root.join("link.yaml")).unwrap();
        for bad in [
            "../x",
            "/etc/passwd",
            "charts/victim/values.yaml",
            "link.yaml",
            "a/../../x",
        ] {
            let e = contained(root, Path::new(bad)).unwrap_err().to_string();
            assert!(e.starts_with(&format!("refusing to write {bad}")), "{e}");
        }
        assert!(contained(root, Path::new("charts/new/values.yaml")).is_ok());
    }

    #[test]
    fn issue_11_inputs_that_are_not_regular_files_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.yaml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let e = read_to_string(&fifo).unwrap_err().to_string();
            assert!(e.contains("fifo.yaml") && e.contains("a FIFO"), "{e}");
        }
        let e = read_to_string(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/dev/zero: not a regular file (a character device)"),
            "{e}"
        );
        let e = read_to_string(dir.path()).unwrap_err().to_string();
        assert!(e.contains("a directory"), "{e}");
    }

    #[test]
    fn issue_11_a_second_writer_waits_then_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let held = RepoLock::acquire(dir.path(), "rollout generate").unwrap();
        let start = std::time::Instant::now();
        let e = RepoLock::acquire(dir.path(), "rollout hydrate")
            .unwrap_err()
            .to_string();
        assert!(start.elapsed() >= LOCK_WAIT, "waited {:?}", start.elapsed());
        assert!(
            e.contains(&format!(
                "held by pid {} (rollout generate)",
                std::process::id()
            )),
            "{e}"
        );
        drop(held);
        assert!(RepoLock::acquire(dir.path(), "rollout hydrate").is_ok());
    }

    #[test]
    fn issue_11_our_temp_names_only() {
        assert!(is_our_temp_name(".rollout-a1B2c3"));
        assert!(!is_our_temp_name(".rollout-a1B2c"));
        assert!(!is_our_temp_name(".rollout.lock"));
        assert!(!is_our_temp_name("rollout-abcdef"));
    }
}

#[cfg(test)]
mod watched_tests {
    use super::Watched;

    #[test]
    fn a_watched_input_is_unchanged_until_rewritten_replaced_or_removed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("spec.yaml");
        std::fs::write(&p, "a: 1\n").unwrap();
        let (text, w) = Watched::read(&p).unwrap();
        assert_eq!(text, "a: 1\n");
        assert!(w.unchanged().is_ok());
        // Rewritten in place with other bytes.
        std::fs::write(&p, "a: 22\n").unwrap();
        assert!(w.unchanged().is_err());
        // Replaced by a rename (a new inode), even with the same size.
        let (_, w) = Watched::read(&p).unwrap();
        let q = dir.path().join("new.yaml");
        std::fs::write(&q, "a: 33\n").unwrap();
        std::fs::rename(&q, &p).unwrap();
        assert!(w.unchanged().is_err());
        // Removed.
        let (_, w) = Watched::read(&p).unwrap();
        std::fs::remove_file(&p).unwrap();
        let e = w.unchanged().unwrap_err().to_string();
        assert!(
            e.contains("spec.yaml") && e.contains("nothing was written"),
            "{e}"
        );
    }
}

/// The cores this process may use, asked once: `available_parallelism` reads the cgroup files
/// on every call, which costs more than parsing a small file.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `f` over consecutive chunks of `items`, one chunk per core (at most eight) when there are at
/// least `min` items, else one chunk on this thread; the results in chunk order. A panic in a
/// chunk is resumed here.
pub fn par_chunks<T: Sync, R: Send>(
    items: &[T],
    min: usize,
    f: impl Fn(&[T]) -> R + Sync,
) -> Vec<R> {
    let threads = cores().min(8);
    if items.len() < min.max(2) || threads < 2 {
        return vec![f(items)];
    }
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|part| s.spawn(move || f(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

#[cfg(test)]
mod par_tests {
    #[test]
    fn chunks_keep_their_order_and_cover_every_item() {
        let items: Vec<usize> = (0..10_001).collect();
        for min in [0, 1, 100, 20_000] {
            let parts = super::par_chunks(&items, min, |c| c.to_vec());
            assert_eq!(parts.concat(), items, "min {min}");
        }
        assert_eq!(super::par_chunks(&items[..0], 0, <[usize]>::len), vec![0]);
    }
}
