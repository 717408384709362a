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
    /// Single files (relative to the repo root) the command wrote before and no longer produces,
    /// outside an owned directory: deleted when they exist (e.g. a removed service's values file).
    pub stale: Vec<PathBuf>,
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
        self.stale.extend(other.stale);
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
    /// A temp file (`.rollout-XXXXXX`) left by an interrupted run, next to files of the set.
    Leftover {
        /// Repo-relative path.
        path: PathBuf,
    },
}

impl Change {
    /// The repo-relative path the change is about.
    pub fn path(&self) -> &Path {
        match self {
            Change::Create { path, .. }
            | Change::Update { path, .. }
            | Change::Delete { path, .. }
            | Change::Leftover { path } => path,
        }
    }

    /// The same change, reported at another path (the path as the user sees it).
    pub fn shown_at(&self, shown: PathBuf) -> Change {
        let mut c = self.clone();
        match &mut c {
            Change::Create { path, .. }
            | Change::Update { path, .. }
            | Change::Delete { path, .. }
            | Change::Leftover { path } => *path = shown,
        }
        c
    }

    /// A unified diff of the change, with `a/` and `b/` paths as git prints them.
    pub fn unified_diff(&self) -> String {
        let p = self.path().display().to_string();
        let (old, new, a, b) = match self {
            Change::Leftover { .. } => {
                return format!("leftover temp file {p} (from an interrupted run)\n");
            }
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

/// Compares the set with the files under `root`. Every path must stay inside `root` (symbolic links
/// resolved); temp files of an interrupted run next to the set's files are listed as leftovers.
///
/// # Errors
/// When a path leaves `root`, or a file or owned directory exists but cannot be read.
pub fn plan(root: &Path, set: &FileSet) -> Result<Vec<Change>, FsError> {
    for rel in set.files.keys().chain(&set.owned_dirs).chain(&set.stale) {
        fsutil::contained(root, rel)?;
    }
    let mut changes = Vec::new();
    let mut dirs: std::collections::BTreeSet<PathBuf> = set.owned_dirs.iter().cloned().collect();
    for rel in set.files.keys() {
        if let Some(d) = rel.parent() {
            dirs.insert(d.to_path_buf());
        }
    }
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
    let mut stale: Vec<&PathBuf> = set
        .stale
        .iter()
        .filter(|rel| !set.files.contains_key(*rel) && root.join(rel).is_file())
        .collect();
    stale.sort();
    stale.dedup();
    for rel in stale {
        let old = fsutil::read_to_string(&root.join(rel)).unwrap_or_default();
        changes.push(Change::Delete {
            path: rel.clone(),
            old,
        });
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
    for dir in &dirs {
        for leftover in fsutil::temp_leftovers(&root.join(dir)) {
            if let Some(name) = leftover.file_name() {
                changes.push(Change::Leftover {
                    path: dir.join(name),
                });
            }
        }
    }
    Ok(changes)
}

/// Whether `path` is a kustomization file (what a reader opens first).
fn is_kustomization(path: &Path) -> bool {
    path.file_name().is_some_and(|n| {
        n == "kustomization.yaml" || n == "kustomization.yml" || n == "Kustomization"
    })
}

/// What [`apply`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Files written (created or updated).
    pub written: Vec<PathBuf>,
    /// Stale files deleted.
    pub deleted: Vec<PathBuf>,
    /// Leftover temp files of an interrupted run removed.
    pub cleaned: Vec<PathBuf>,
}

/// Carries out planned changes under `root`, in the order that keeps every state a reader can see
/// buildable: first the files a kustomization names, then the kustomizations, then deletions of
/// stale files (which the new kustomizations no longer name) and of leftover temp files. Each write is
/// atomic. Call it holding the repository lock ([`fsutil::RepoLock`]).
///
/// # Errors
/// When an input in `inputs` changed since it was read (nothing is written then), a path leaves
/// `root`, or a file cannot be written or deleted; earlier changes stay applied.
pub fn apply(
    root: &Path,
    changes: &[Change],
    inputs: &[&fsutil::Watched],
) -> Result<Applied, FsError> {
    // Output planned from an input that has changed since is never written, not even in part.
    for input in inputs {
        input.unchanged()?;
    }
    for change in changes {
        fsutil::contained(root, change.path())?;
    }
    let rank = |c: &Change| match c {
        Change::Create { path, .. } | Change::Update { path, .. } => {
            usize::from(is_kustomization(path))
        }
        Change::Delete { .. } => 2,
        Change::Leftover { .. } => 3,
    };
    let mut ordered: Vec<&Change> = changes.iter().collect();
    ordered.sort_by_key(|c| rank(c));
    let mut applied = Applied::default();
    for change in ordered {
        let full = root.join(change.path());
        match change {
            Change::Leftover { .. } => {
                match std::fs::remove_file(&full) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(source) => {
                        return Err(FsError {
                            action: "cannot delete",
                            path: full.clone(),
                            source,
                        });
                    }
                }
                applied.cleaned.push(change.path().to_path_buf());
            }
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
        let applied = apply(root, &changes, &[]).unwrap();
        assert_eq!(applied.written.len(), 2);
        assert_eq!(applied.deleted, vec![PathBuf::from("o/stale.yaml")]);
        assert!(plan(root, &set).unwrap().is_empty());
    }

    #[test]
    fn issue_11_kustomization_is_written_after_the_files_it_names_and_leftovers_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("o")).unwrap();
        std::fs::write(root.join("o/.rollout-Ab12Cd"), "half").unwrap();
        std::fs::write(root.join("o/.keep"), "").unwrap();
        let mut set = FileSet {
            owned_dirs: vec!["o".into()],
            ..Default::default()
        };
        set.insert("o/kustomization.yaml", "patches: [{path: z.yaml}]\n".into());
        set.insert("o/z.yaml", "z\n".into());
        let changes = plan(root, &set).unwrap();
        assert!(changes.contains(&Change::Leftover {
            path: "o/.rollout-Ab12Cd".into()
        }));
        let applied = apply(root, &changes, &[]).unwrap();
        assert_eq!(
            applied.written,
            vec![
                PathBuf::from("o/z.yaml"),
                PathBuf::from("o/kustomization.yaml")
            ]
        );
        assert_eq!(applied.cleaned, vec![PathBuf::from("o/.rollout-Ab12Cd")]);
        assert!(
            root.join("o/.keep").exists(),
            "foreign dotfiles are left alone"
        );
        assert!(plan(root, &set).unwrap().is_empty());
    }
}
