//! A set of generated files and how it compares with what is on disk.
//!
//! Owns "write what changed, touch nothing else, delete what is stale" and the `--check` diff that
//! `generate` and `hydrate` share. Planning reads the disk; only [`apply`] writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::fsutil::{self, FsError, WriteResult};

/// Files a command owns: their contents, and the directories it owns entirely (files found there
/// that the set does not hold are stale and get deleted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSet {
    /// Path (relative to the repo root) → contents.
    pub files: BTreeMap<PathBuf, String>,
    /// Directories (relative to the repo root) whose every file belongs to this set.
    pub owned_dirs: Vec<PathBuf>,
}

impl FileSet {
    /// Adds a file.
    pub fn insert(&mut self, path: impl Into<PathBuf>, contents: String) {
        self.files.insert(path.into(), contents);
    }

    /// Adds the files and owned directories of `other`.
    pub fn extend(&mut self, other: FileSet) {
        self.files.extend(other.files);
        self.owned_dirs.extend(other.owned_dirs);
    }
}

/// How one file on disk differs from the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The file does not exist yet.
    Create {
        /// Repo-relative path.
        path: PathBuf,
        /// Contents to write.
        new: String,
    },
    /// The file exists with other contents.
    Update {
        /// Repo-relative path.
        path: PathBuf,
        /// Contents on disk.
        old: String,
        /// Contents to write.
        new: String,
    },
    /// The file is in an owned directory but not in the set.
    Delete {
        /// Repo-relative path.
        path: PathBuf,
        /// Contents on disk.
        old: String,
    },
}

impl Change {
    /// The repo-relative path the change is about.
    pub fn path(&self) -> &Path {
        match self {
            Change::Create { path, .. }
            | Change::Update { path, .. }
            | Change::Delete { path, .. } => path,
        }
    }

    /// A unified diff of the change, with `a/` and `b/` paths as git prints them.
    pub fn unified_diff(&self) -> String {
        let p = self.path().display().to_string();
        let (old, new, a, b) = match self {
            Change::Create { new, .. } => {
                ("", new.as_str(), "/dev/null".to_string(), format!("b/{p}"))
            }
            Change::Update { old, new, .. } => (
                old.as_str(),
                new.as_str(),
                format!("a/{p}"),
                format!("b/{p}"),
            ),
            Change::Delete { old, .. } => {
                (old.as_str(), "", format!("a/{p}"), "/dev/null".to_string())
            }
        };
        similar::TextDiff::from_lines(old, new)
            .unified_diff()
            .context_radius(3)
            .header(&a, &b)
            .to_string()
    }
}

/// Compares the set with the files under `root`.
///
/// # Errors
/// When a file or owned directory exists but cannot be read.
pub fn plan(root: &Path, set: &FileSet) -> Result<Vec<Change>, FsError> {
    let mut changes = Vec::new();
    for (rel, new) in &set.files {
        let full = root.join(rel);
        match std::fs::read(&full) {
            Ok(bytes) if bytes == new.as_bytes() => {}
            Ok(bytes) => changes.push(Change::Update {
                path: rel.clone(),
                old: String::from_utf8_lossy(&bytes).into_owned(),
                new: new.clone(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => changes.push(Change::Create {
                path: rel.clone(),
                new: new.clone(),
            }),
            Err(source) => {
                return Err(FsError {
                    action: "cannot read",
                    path: full,
                    source,
                });
            }
        }
    }
    for dir in &set.owned_dirs {
        let full = root.join(dir);
        let entries = match std::fs::read_dir(&full) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(FsError {
                    action: "cannot list",
                    path: full,
                    source,
                });
            }
        };
        let mut stale = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| FsError {
                action: "cannot list",
                path: full.clone(),
                source,
            })?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') || !entry.path().is_file() {
                continue;
            }
            let rel = dir.join(&name);
            if !set.files.contains_key(&rel) {
                let old = fsutil::read_to_string(&entry.path()).unwrap_or_default();
                stale.push(Change::Delete { path: rel, old });
            }
        }
        stale.sort_by(|a, b| a.path().cmp(b.path()));
        changes.extend(stale);
    }
    Ok(changes)
}

/// What [`apply`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Files written (created or updated).
    pub written: Vec<PathBuf>,
    /// Stale files deleted.
    pub deleted: Vec<PathBuf>,
}

/// Carries out planned changes under `root`: atomic writes, deletions of stale files.
///
/// # Errors
/// When a file cannot be written or deleted; earlier changes stay applied (each is atomic).
pub fn apply(root: &Path, changes: &[Change]) -> Result<Applied, FsError> {
    let mut applied = Applied::default();
    for change in changes {
        let full = root.join(change.path());
        match change {
            Change::Create { new, .. } | Change::Update { new, .. } => {
                if fsutil::write_atomic(&full, new.as_bytes())? == WriteResult::Written {
                    applied.written.push(change.path().to_path_buf());
                }
            }
            Change::Delete { .. } => {
                std::fs::remove_file(&full).map_err(|source| FsError {
                    action: "cannot delete",
                    path: full.clone(),
                    source,
                })?;
                applied.deleted.push(change.path().to_path_buf());
            }
        }
    }
    Ok(applied)
}

/// The `--check` report: one unified diff per change, then a hint naming the command to run.
pub fn check_report(changes: &[Change], fix_command: &str) -> String {
    let mut out = String::new();
    for c in changes {
        out.push_str(&c.unified_diff());
    }
    out + &format!(
        "{} file{} out of date; run `{fix_command}` and commit the result\n",
        changes.len(),
        if changes.len() == 1 { " is" } else { "s are" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_creates_updates_and_stale_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("o")).unwrap();
        std::fs::write(root.join("o/same.yaml"), "a: 1\n").unwrap();
        std::fs::write(root.join("o/changed.yaml"), "a: 1\n").unwrap();
        std::fs::write(root.join("o/stale.yaml"), "x\n").unwrap();
        let mut set = FileSet {
            owned_dirs: vec!["o".into()],
            ..Default::default()
        };
        set.insert("o/same.yaml", "a: 1\n".into());
        set.insert("o/changed.yaml", "a: 2\n".into());
        set.insert("o/new.yaml", "n\n".into());
        let changes = plan(root, &set).unwrap();
        let paths: Vec<_> = changes
            .iter()
            .map(|c| c.path().display().to_string())
            .collect();
        assert_eq!(paths, ["o/changed.yaml", "o/new.yaml", "o/stale.yaml"]);
        assert!(changes[0].unified_diff().contains("-a: 1\n+a: 2\n"));
        let applied = apply(root, &changes).unwrap();
        assert_eq!(applied.written.len(), 2);
        assert_eq!(applied.deleted, vec![PathBuf::from("o/stale.yaml")]);
        assert!(plan(root, &set).unwrap().is_empty());
    }
}
