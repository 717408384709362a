//! The seam between `verify` and the checks other modules own: dashboard and alert schemas + lint
//! (`schema::grafana`, `schema::alertmanager`), the Argo CD Application schema, the rollout policy
//! inputs from `rollout.yaml` and the freshness checks (`generate --check`, hydrate).
//!
//! Owns only the trait and the finding shape those checks return. Implements none of them; see
//! `wiring.rs` for the production table and the tests for doubles.

use std::path::Path;

use crate::value::Value;

use super::diagnostic::{Diagnostic, Severity};
use super::policy::PolicyInput;

/// A finding from a schema or lint check, located by JSON pointer inside the checked document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable kebab-case code (`dashboard-duplicate-panel-id`, `alert-empty-labels`).
    pub code: String,
    /// Severity.
    pub severity: Severity,
    /// JSON pointer of the offending node in the checked document.
    pub pointer: String,
    /// Terse message.
    pub message: String,
}

/// The checks `verify` calls but does not own. Every method has a default meaning "not available in
/// this build"; verify reports that as a note instead of passing silently. `Sync`: objects are
/// checked on several threads.
pub trait Checks: Sync {
    /// Schema + lint of one Grafana dashboard (the JSON model, or a `{"dashboard": …}` body).
    fn dashboard(&self, _dashboard: &Value) -> Option<Vec<Finding>> {
        None
    }

    /// Schema + server checks of one `POST /api/v2/alerts` body (an array of alerts).
    fn alerts(&self, _alerts: &Value) -> Option<Vec<Finding>> {
        None
    }

    /// Schema check of one Argo CD `Application` (argoproj.io/v1alpha1).
    fn argocd_application(&self, _application: &Value) -> Option<Vec<Finding>> {
        None
    }

    /// A rollout spec (`rollout.yaml`) against its built-in schema and cross-references; `path`
    /// is where it was read (its paths are relative to that file's directory).
    fn spec(&self, _path: &Path, _text: &str) -> Option<Vec<Finding>> {
        None
    }

    /// The policy inputs, one per environment, from the spec under `root` (`rollout.yaml`).
    /// `Ok(None)` when the build has no spec reader.
    ///
    /// # Errors
    /// A spec that cannot be read (reported as an input error, exit 2).
    fn policy_inputs(&self, _root: &Path) -> Result<Option<Vec<PolicyInput>>, String> {
        Ok(None)
    }

    /// Freshness of generated files under `root`: committed overlays against `rollout generate`
    /// (`overlay-stale`), `overlays/base/` against `rollout hydrate` (`base-stale`, or a note
    /// "not checked: helm not found"). `None` when the build has no freshness check.
    fn freshness(&self, _root: &Path) -> Option<Vec<Diagnostic>> {
        None
    }

    /// Checks across the repository's files under `root` (the dashboards' metrics against the
    /// services' `metrics.exports`, an `alertmanager.yml` against the synthetic alerts). `None`
    /// when the build has none.
    fn repository(&self, _root: &Path) -> Option<Vec<Diagnostic>> {
        None
    }
}
