//! Reads what matters for waiting out of an Application as Argo CD returns it. Pure and tolerant:
//! a missing field reads as `Unknown`/absent, never as an error (servers differ by version).
//!
//! Fields read: `status.sync.{status,revision}`, `status.health.{status,message}`, the top-level
//! `operation` (a requested operation the controller has not finished), `status.operationState`
//! (`phase`, `message`, `startedAt`, `finishedAt`, `syncResult.revision`, `syncResult.resources[]`)
//! and `status.resources[]` (per-resource sync status and health).

use crate::value::Value;

/// An operation phase that will not change any more.
pub fn is_terminal_phase(phase: &str) -> bool {
    matches!(phase, "Succeeded" | "Failed" | "Error")
}

/// `status.operationState`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OperationState {
    /// Running, Terminating, Succeeded, Failed or Error.
    pub phase: String,
    /// The controller's message (`successfully synced (all tasks run)`, or why it failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When the controller started it (RFC 3339); identifies the operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// The revision it synced (`syncResult.revision`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
}

/// One managed resource, from `status.resources[]` joined with `operationState.syncResult.resources[]`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResourceState {
    /// API group, empty for core.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace, empty for cluster-scoped.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Synced, OutOfSync or Unknown.
    pub sync: String,
    /// Healthy, Progressing, Degraded, Suspended, Missing, Unknown; absent for kinds without health.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    /// The health message, or the sync result's message when the apply failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The last sync's result for this resource (Synced, SyncFailed, Pruned, PruneSkipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_result: Option<String>,
}

impl ResourceState {
    /// `group/kind/namespace/name` with empty parts left out (`apps/Deployment/media/auth`).
    pub fn id(&self) -> String {
        [&self.group, &self.kind, &self.namespace, &self.name]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Not fine: health other than Healthy, OutOfSync, or a failed apply.
    pub fn is_problem(&self) -> bool {
        self.health.as_deref().is_some_and(|h| h != "Healthy")
            || self.sync == "OutOfSync"
            || self.sync_result.as_deref() == Some("SyncFailed")
    }
}

/// One poll's view of an Application.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observation {
    /// `status.sync.status` (Synced, OutOfSync, Unknown).
    pub sync: String,
    /// `status.sync.revision`: the revision git was compared at.
    pub revision: Option<String>,
    /// `status.health.status`.
    pub health: String,
    /// `status.health.message`.
    pub health_message: Option<String>,
    /// True when `operation` is set: an operation is requested or running.
    pub operation_pending: bool,
    /// `status.operationState`.
    pub operation: Option<OperationState>,
    /// `spec.source.path` (first source's for multi-source apps).
    pub source_path: Option<String>,
    /// Resources, in Argo CD's order.
    pub resources: Vec<ResourceState>,
}

fn s(v: &Value, ptr: &str) -> Option<String> {
    v.pointer(ptr).and_then(Value::as_str).map(str::to_string)
}

fn non_empty(o: Option<String>) -> Option<String> {
    o.filter(|x| !x.is_empty())
}

/// Reads an Application value.
pub fn observe(app: &Value) -> Observation {
    let operation = app
        .pointer("/status/operationState")
        .filter(|v| v.is_object())
        .map(|op| OperationState {
            phase: s(op, "/phase").unwrap_or_else(|| "Unknown".into()),
            message: non_empty(s(op, "/message")),
            started_at: s(op, "/startedAt"),
            finished_at: s(op, "/finishedAt"),
            revision: s(op, "/syncResult/revision"),
        });
    let results: Vec<&Value> = app
        .pointer("/status/operationState/syncResult/resources")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let empty = Vec::new();
    let resources = app
        .pointer("/status/resources")
        .and_then(Value::as_array)
        .unwrap_or(&empty)
        .iter()
        .map(|r| {
            let mut state = ResourceState {
                group: s(r, "/group").unwrap_or_default(),
                kind: s(r, "/kind").unwrap_or_default(),
                namespace: s(r, "/namespace").unwrap_or_default(),
                name: s(r, "/name").unwrap_or_default(),
                sync: s(r, "/status").unwrap_or_else(|| "Unknown".into()),
                health: s(r, "/health/status"),
                message: non_empty(s(r, "/health/message")),
                sync_result: None,
            };
            let same = |x: &&&Value| {
                s(x, "/kind").unwrap_or_default() == state.kind
                    && s(x, "/name").unwrap_or_default() == state.name
                    && s(x, "/group").unwrap_or_default() == state.group
                    && s(x, "/namespace").unwrap_or_default() == state.namespace
            };
            if let Some(res) = results.iter().find(same) {
                state.sync_result = s(res, "/status");
                if state.sync_result.as_deref() == Some("SyncFailed") {
                    state.message = non_empty(s(res, "/message")).or(state.message);
                }
            }
            state
        })
        .collect();
    Observation {
        sync: s(app, "/status/sync/status").unwrap_or_else(|| "Unknown".into()),
        revision: s(app, "/status/sync/revision"),
        health: s(app, "/status/health/status").unwrap_or_else(|| "Unknown".into()),
        health_message: non_empty(s(app, "/status/health/message")),
        operation_pending: app.get("operation").is_some_and(|o| !o.is_null()),
        operation,
        source_path: s(app, "/spec/source/path").or_else(|| s(app, "/spec/sources/0/path")),
        resources,
    }
}

impl Observation {
    /// The resources that are not fine (see [`ResourceState::is_problem`]).
    pub fn problems(&self) -> Vec<&ResourceState> {
        self.resources.iter().filter(|r| r.is_problem()).collect()
    }

    /// `startedAt` of the current operation state, which tells one operation from the next.
    pub fn operation_started_at(&self) -> Option<&str> {
        self.operation
            .as_ref()
            .and_then(|o| o.started_at.as_deref())
    }

    /// The operation phase, if any.
    pub fn phase(&self) -> Option<&str> {
        self.operation.as_ref().map(|o| o.phase.as_str())
    }

    /// True when an operation is requested or has not reached a terminal phase.
    pub fn operation_running(&self) -> bool {
        self.operation_pending || self.phase().is_some_and(|p| !is_terminal_phase(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn reads_a_degraded_app_with_a_failed_apply() {
        let app = json!({
            "metadata": {"name": "media-staging"},
            "spec": {"source": {"path": "overlays/staging"}},
            "operation": {"sync": {"revision": "abc"}},
            "status": {
                "sync": {"status": "OutOfSync", "revision": "abc"},
                "health": {"status": "Degraded"},
                "operationState": {"phase": "Running", "message": "", "startedAt": "2026-11-27T10:00:00Z",
                    "syncResult": {"revision": "abc", "resources": [
                        {"group": "apps", "kind": "Deployment", "namespace": "media", "name": "embedder",
                         "status": "SyncFailed", "message": "admission webhook denied"}]}},
                "resources": [
                    {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "media", "name": "auth",
                     "status": "Synced", "health": {"status": "Healthy"}},
                    {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "media", "name": "embedder",
                     "status": "OutOfSync", "health": {"status": "Degraded", "message": "Deployment \"embedder\" exceeded its progress deadline"}},
                    {"version": "v1", "kind": "ConfigMap", "namespace": "media", "name": "flags", "status": "Synced"}
                ]}
        });
        let o = observe(&app);
        assert_eq!(
            (o.sync.as_str(), o.health.as_str()),
            ("OutOfSync", "Degraded")
        );
        assert!(o.operation_pending && o.operation_running());
        assert_eq!(o.operation_started_at(), Some("2026-11-27T10:00:00Z"));
        assert_eq!(
            o.operation.as_ref().unwrap().message,
            None,
            "empty message reads as absent"
        );
        assert_eq!(o.source_path.as_deref(), Some("overlays/staging"));
        let p = o.problems();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].id(), "apps/Deployment/media/embedder");
        assert_eq!(
            p[0].message.as_deref(),
            Some("admission webhook denied"),
            "apply failure wins"
        );
        assert_eq!(o.resources[2].id(), "ConfigMap/media/flags");
        assert!(!o.resources[2].is_problem(), "no health is not a problem");
    }

    #[test]
    fn missing_fields_read_as_unknown() {
        let o = observe(&json!({"metadata": {"name": "x"}}));
        assert_eq!((o.sync.as_str(), o.health.as_str()), ("Unknown", "Unknown"));
        assert!(!o.operation_running() && o.operation.is_none() && o.resources.is_empty());
        assert!(!observe(&json!({"operation": null})).operation_pending);
    }
}
