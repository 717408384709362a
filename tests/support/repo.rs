//! A throwaway copy of this repo's rollout inputs (spec, chart, overlays) in a temp directory, so
//! tests can run `rollout` against it and edit it freely.

use std::path::{Path, PathBuf};

/// A temp directory holding a copy of the repo's rollout files.
pub struct TempRepo {
    dir: tempfile::TempDir,
}

impl TempRepo {
    /// Copies the rollout inputs: `rollout.yaml`, `charts/`, `overlays/`, `argocd/`, `dashboards/`,
    /// `alerts/`, `fixtures/live/` and `examples/` (those present).
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let src = Path::new(env!("CARGO_MANIFEST_DIR"));
        for entry in [
            "rollout.yaml",
            "charts",
            "overlays",
            "argocd",
            "dashboards",
            "alerts",
            "fixtures/live",
            "examples",
        ] {
            let from = src.join(entry);
            if from.exists() {
                copy(&from, &dir.path().join(entry));
            }
        }
        TempRepo { dir }
    }

    /// The repo root.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the repo.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Reads a file of the repo.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Writes a file of the repo.
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Every file under the repo with its contents, sorted: to prove nothing changed.
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
        let mut out = Vec::new();
        walk(self.path(), &mut out);
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>, std::time::SystemTime)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.file_name().is_some_and(|n| n == ".rollout.lock") {
            // The repository lock is taken by every writer; it holds no generated content.
        } else {
            let meta = std::fs::metadata(&p).unwrap();
            out.push((
                p.clone(),
                std::fs::read(&p).unwrap(),
                meta.modified().unwrap(),
            ));
        }
    }
}

/// Copies a file or a directory tree.
pub fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            copy(&e.path(), &to.join(e.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}
