//! Builds Argo CD `Application` manifests from plain inputs. Pure: no I/O, no spec parsing, no YAML.
//!
//! One Application per environment overlay (`media-staging` → `overlays/staging`): the overlay is
//! one kustomization, so one Application syncs it atomically, shows one health and one revision, and
//! owns each resource exactly once. One Application per service would make three Applications
//! render the same kustomization and fight over its shared resources.

use crate::json;
use crate::value::{Map, Value};
use std::collections::BTreeMap;

/// The finalizer that makes deleting an Application also delete its resources.
pub const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

/// Where the Application deploys to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cluster {
    /// The cluster's API server URL (`https://kubernetes.default.svc` for Argo CD's own cluster).
    Server(String),
    /// The cluster's name as registered in Argo CD.
    Name(String),
}

/// `spec.syncPolicy.automated`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Automated {
    /// Delete resources that are no longer in git.
    pub prune: bool,
    /// Revert changes made in the cluster.
    pub self_heal: bool,
}

/// `spec.syncPolicy.retry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// Attempts before giving up.
    pub limit: i64,
    /// Backoff between attempts: (duration, factor, maxDuration), e.g. ("5s", 2, "3m").
    pub backoff: Option<(String, i64, String)>,
}

/// `spec.syncPolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncPolicy {
    /// `None`: manual sync only (what `rollout sync` drives).
    pub automated: Option<Automated>,
    /// e.g. `CreateNamespace=false`, `PruneLast=true`, `ServerSideApply=true`.
    pub sync_options: Vec<String>,
    /// Retry of failed syncs.
    pub retry: Option<Retry>,
}

/// Everything one Application needs; `generate::applications` fills it from `rollout.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationParams {
    /// `metadata.name`, e.g. `media-staging`.
    pub name: String,
    /// `metadata.namespace`: where Argo CD watches Applications, usually `argocd`.
    pub namespace: String,
    /// `spec.project`, e.g. `default`.
    pub project: String,
    /// `spec.source.repoURL`: the git repository holding the overlays.
    pub repo_url: String,
    /// `spec.source.targetRevision`: branch, tag or commit.
    pub target_revision: String,
    /// `spec.source.path`: the overlay directory, e.g. `overlays/staging`.
    pub path: String,
    /// `spec.destination.server` or `.name`.
    pub cluster: Cluster,
    /// `spec.destination.namespace`, e.g. `media`.
    pub destination_namespace: String,
    /// `spec.syncPolicy`.
    pub sync_policy: SyncPolicy,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// Add [`RESOURCES_FINALIZER`] (deleting the Application deletes its resources).
    pub cascade_delete: bool,
}

/// A generated Application and its name (callers decide the file it goes in).
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedApplication {
    /// `metadata.name`, e.g. `media-staging`.
    pub name: String,
    /// The manifest.
    pub manifest: Value,
}

/// Invalid input for an Application.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApplicationError {
    /// A name that Kubernetes (and Argo CD's instance label) would reject.
    #[error(
        "application {field} {value:?} is not a valid name: lowercase letters, digits and '-', \
         starting and ending with a letter or digit, at most 63 characters"
    )]
    InvalidName {
        /// Which field (`name`, `namespace`, `destination namespace`).
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// A required field is empty.
    #[error("application {name}: {field} must not be empty")]
    Empty {
        /// The Application.
        name: String,
        /// The empty field.
        field: &'static str,
    },
    /// `path` leaves the repository or is absolute.
    #[error(
        "application {name}: source path {path:?} must be relative and stay inside the repository"
    )]
    BadPath {
        /// The Application.
        name: String,
        /// The path given.
        path: String,
    },
}

/// Builds one `argoproj.io/v1alpha1` Application. Keys come out sorted, so the same
/// params always give the same bytes.
///
/// # Errors
/// Invalid names, empty repo URL / revision / project / server, or a path outside the repository.
pub fn application(p: &ApplicationParams) -> Result<Value, ApplicationError> {
    for (field, value) in [
        ("name", &p.name),
        ("namespace", &p.namespace),
        ("destination namespace", &p.destination_namespace),
    ] {
        if !crate::schema::names::is_dns1123_label(value) {
            return Err(ApplicationError::InvalidName {
                field,
                value: value.clone(),
            });
        }
    }
    let cluster_value = match &p.cluster {
        Cluster::Server(s) | Cluster::Name(s) => s,
    };
    for (field, value) in [
        ("project", &p.project),
        ("repoURL", &p.repo_url),
        ("targetRevision", &p.target_revision),
        ("destination cluster", cluster_value),
    ] {
        if value.trim().is_empty() {
            return Err(ApplicationError::Empty {
                name: p.name.clone(),
                field,
            });
        }
    }
    let path = p.path.trim_end_matches('/');
    if path.is_empty() || path.starts_with('/') || path.split('/').any(|c| c == "..") {
        return Err(ApplicationError::BadPath {
            name: p.name.clone(),
            path: p.path.clone(),
        });
    }

    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(p.name));
    metadata.insert("namespace".into(), json!(p.namespace));
    if !p.labels.is_empty() {
        metadata.insert("labels".into(), json!(p.labels));
    }
    if p.cascade_delete {
        metadata.insert("finalizers".into(), json!([RESOURCES_FINALIZER]));
    }

    let destination = match &p.cluster {
        Cluster::Server(s) => json!({"server": s, "namespace": p.destination_namespace}),
        Cluster::Name(n) => json!({"name": n, "namespace": p.destination_namespace}),
    };

    let mut spec = Map::new();
    spec.insert("project".into(), json!(p.project));
    spec.insert(
        "source".into(),
        json!({"repoURL": p.repo_url, "targetRevision": p.target_revision, "path": path}),
    );
    spec.insert("destination".into(), destination);
    let policy = sync_policy(&p.sync_policy);
    if !policy.is_empty() {
        spec.insert("syncPolicy".into(), Value::Object(policy));
    }

    Ok(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": metadata,
        "spec": spec,
    }))
}

fn sync_policy(p: &SyncPolicy) -> Map {
    let mut m = Map::new();
    if let Some(a) = &p.automated {
        m.insert(
            "automated".into(),
            json!({"prune": a.prune, "selfHeal": a.self_heal}),
        );
    }
    if !p.sync_options.is_empty() {
        m.insert("syncOptions".into(), json!(p.sync_options));
    }
    if let Some(r) = &p.retry {
        let mut retry = Map::new();
        retry.insert("limit".into(), json!(r.limit));
        if let Some((duration, factor, max)) = &r.backoff {
            retry.insert(
                "backoff".into(),
                json!({"duration": duration, "factor": factor, "maxDuration": max}),
            );
        }
        m.insert("retry".into(), Value::Object(retry));
    }
    m
}

/// The Application of one environment: `<prefix>-<env>` syncing `source_path` (the overlay,
/// relative to the git top level, from `layout::Layout::source_path`). `base` supplies everything
/// else; its `name` and `path` are replaced.
///
/// # Errors
/// As [`application`].
pub fn for_env(
    prefix: &str,
    env: &str,
    base: &ApplicationParams,
    source_path: &str,
) -> Result<GeneratedApplication, ApplicationError> {
    let name = format!("{prefix}-{env}");
    let params = ApplicationParams {
        name: name.clone(),
        path: source_path.to_string(),
        ..base.clone()
    };
    Ok(GeneratedApplication {
        manifest: application(&params)?,
        name,
    })
}

/// The rollback Application of an environment: `<prefix>-<env>-rollback` syncing the rollback
/// overlay at `source_path`. Its sync is always manual (no `automated`), whatever `base` says, so
/// a committed rollback overlay waits for `rollout rollback --sync` instead of rolling back on its
/// own.
///
/// # Errors
/// As [`application`].
pub fn rollback_for_env(
    prefix: &str,
    env: &str,
    base: &ApplicationParams,
    source_path: &str,
) -> Result<GeneratedApplication, ApplicationError> {
    let name = format!("{prefix}-{env}-rollback");
    let mut params = ApplicationParams {
        name: name.clone(),
        path: source_path.to_string(),
        ..base.clone()
    };
    params.sync_policy.automated = None;
    Ok(GeneratedApplication {
        manifest: application(&params)?,
        name,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn media_params() -> ApplicationParams {
        ApplicationParams {
            name: "ignored".into(),
            namespace: "argocd".into(),
            project: "default".into(),
            repo_url: "https://github.com/sploot/media-deploy.git".into(),
            target_revision: "main".into(),
            path: "ignored".into(),
            cluster: Cluster::Server("https://kubernetes.default.svc".into()),
            destination_namespace: "media".into(),
            sync_policy: SyncPolicy {
                automated: None,
                sync_options: vec!["CreateNamespace=false".into(), "PruneLast=true".into()],
                retry: Some(Retry {
                    limit: 3,
                    backoff: Some(("5s".into(), 2, "1m".into())),
                }),
            },
            labels: BTreeMap::from([("app.kubernetes.io/part-of".into(), "media".into())]),
            cascade_delete: false,
        }
    }

    #[test]
    fn one_application_per_overlay() {
        let app = for_env("media", "staging", &media_params(), "overlays/staging").unwrap();
        assert_eq!(app.name, "media-staging");
        let m = &app.manifest;
        assert_eq!(m["metadata"]["name"], "media-staging");
        assert_eq!(m["spec"]["source"]["path"], "overlays/staging");
        assert_eq!(m["spec"]["destination"]["namespace"], "media");
        assert!(m["spec"]["syncPolicy"].get("automated").is_none());
        insta::assert_snapshot!("media_staging_application", crate::yaml::emit(m));
    }

    #[test]
    fn automated_policy_and_finalizer_and_cluster_name() {
        let mut p = media_params();
        p.name = "media-staging".into();
        p.path = "overlays/staging/".into();
        p.sync_policy = SyncPolicy {
            automated: Some(Automated {
                prune: true,
                self_heal: false,
            }),
            ..Default::default()
        };
        p.cluster = Cluster::Name("staging-eu".into());
        p.cascade_delete = true;
        let m = application(&p).unwrap();
        assert_eq!(
            m["spec"]["syncPolicy"],
            json!({"automated": {"prune": true, "selfHeal": false}})
        );
        assert_eq!(
            m["spec"]["destination"],
            json!({"name": "staging-eu", "namespace": "media"})
        );
        assert_eq!(m["metadata"]["finalizers"], json!([RESOURCES_FINALIZER]));
        assert_eq!(
            m["spec"]["source"]["path"], "overlays/staging",
            "trailing slash dropped"
        );
    }

    #[test]
    fn empty_policy_is_left_out() {
        let mut p = media_params();
        p.name = "a".into();
        p.sync_policy = SyncPolicy::default();
        assert!(application(&p).unwrap()["spec"].get("syncPolicy").is_none());
    }

    #[test]
    fn rollback_application_is_never_automated() {
        let mut p = media_params();
        p.sync_policy.automated = Some(Automated {
            prune: true,
            self_heal: true,
        });
        let app = rollback_for_env("media", "staging", &p, "overlays/staging-rollback").unwrap();
        assert_eq!(app.name, "media-staging-rollback");
        assert_eq!(
            app.manifest["spec"]["source"]["path"],
            "overlays/staging-rollback"
        );
        assert!(
            app.manifest["spec"]["syncPolicy"]
                .get("automated")
                .is_none()
        );
    }

    #[test]
    fn bad_inputs_are_named() {
        type Mutate = Box<dyn Fn(&mut ApplicationParams)>;
        let table: Vec<(&str, Mutate, &str)> = vec![
            (
                "upper-case name",
                Box::new(|p| p.name = "Media".into()),
                "application name \"Media\"",
            ),
            (
                "64-char name",
                Box::new(|p| p.name = "a".repeat(64)),
                "at most 63",
            ),
            (
                "empty repo",
                Box::new(|p| p.repo_url = " ".into()),
                "repoURL must not be empty",
            ),
            (
                "empty project",
                Box::new(|p| p.project = String::new()),
                "project must not be empty",
            ),
            (
                "absolute path",
                Box::new(|p| p.path = "/overlays/x".into()),
                "must be relative",
            ),
            (
                "escaping path",
                Box::new(|p| p.path = "overlays/../../x".into()),
                "must be relative",
            ),
            (
                "bad dest ns",
                Box::new(|p| p.destination_namespace = "media_x".into()),
                "destination namespace",
            ),
        ];
        for (case, mutate, want) in table {
            let mut p = media_params();
            p.name = "media-staging".into();
            p.path = "overlays/staging".into();
            mutate(&mut p);
            let err = application(&p).expect_err(case).to_string();
            assert!(err.contains(want), "{case}: {err}");
        }
    }
}
