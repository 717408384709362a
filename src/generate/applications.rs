//! The Argo CD Applications of one environment, filled from the spec: `<namespace>-<env>` syncing
//! `overlays/<env>` and its manual-only rollback twin. Pure: spec in, files out.

use std::path::PathBuf;

use super::with_header;
use crate::argocd::application::{
    self as app, ApplicationError, ApplicationParams, Automated, Cluster, SyncPolicy,
};
use crate::fileset::FileSet;
use crate::spec::Spec;
use crate::yaml;

/// Namespace Argo CD watches for Applications.
pub const ARGOCD_NAMESPACE: &str = "argocd";

/// `argocd/<env>/`: the environment's Application and its rollback Application.
///
/// # Errors
/// A name or field from the spec that an Application cannot carry.
pub fn files(spec: &Spec, env: &str) -> Result<FileSet, ApplicationError> {
    let e = &spec.environments[env];
    let base = ApplicationParams {
        name: String::new(),
        path: String::new(),
        namespace: ARGOCD_NAMESPACE.to_string(),
        project: e.argocd.project.clone(),
        repo_url: e.argocd.repo_url.clone(),
        target_revision: e.argocd.target_revision.clone(),
        cluster: Cluster::Server(e.argocd.server.clone()),
        destination_namespace: e.namespace.clone(),
        sync_policy: SyncPolicy {
            automated: e.argocd.automated.then_some(Automated {
                prune: true,
                self_heal: true,
            }),
            sync_options: e.argocd.sync_options.clone(),
            retry: None,
        },
        labels: [(
            "rollout.sploot.io/rollout".to_string(),
            spec.metadata.name.clone(),
        )]
        .into(),
        cascade_delete: false,
    };
    let mut set = FileSet {
        owned_dirs: vec![PathBuf::from(format!("argocd/{env}"))],
        ..Default::default()
    };
    let apps = app::for_env(&e.namespace, env, &base)?
        .into_iter()
        .chain([app::rollback_for_env(&e.namespace, env, &base)?]);
    for a in apps {
        set.insert(a.file, with_header(yaml::emit(&a.manifest)));
    }
    Ok(set)
}
