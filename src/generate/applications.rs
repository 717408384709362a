//! The Argo CD Applications of one environment, filled from the spec: `<namespace>-<env>` syncing
//! the environment's overlay and its manual-only rollback twin, each reading its overlay at the path
//! the layout gives relative to the git top level. Pure: spec and layout in, files out.

use super::with_header;
use crate::argocd::application::{
    self as app, ApplicationError, ApplicationParams, Automated, Cluster, SyncPolicy,
};
use crate::fileset::FileSet;
use crate::layout::Layout;
use crate::spec::Spec;
use crate::yaml;

/// Namespace Argo CD watches for Applications.
pub const ARGOCD_NAMESPACE: &str = "argocd";

/// `<argocd>/<env>/`: the environment's Application and its rollback Application.
///
/// # Errors
/// A name or field from the spec that an Application cannot carry.
pub fn files(spec: &Spec, layout: &Layout, env: &str) -> Result<FileSet, ApplicationError> {
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
        labels: [(spec.key("rollout"), spec.metadata.name.clone())].into(),
        cascade_delete: false,
    };
    let mut set = FileSet {
        owned_dirs: vec![layout.applications_dir(env)],
        ..Default::default()
    };
    let apps = [
        app::for_env(&e.namespace, env, &base, &layout.source_path(env, false))?,
        app::rollback_for_env(&e.namespace, env, &base, &layout.source_path(env, true))?,
    ];
    for a in apps {
        set.insert(
            layout.application_file(env, &a.name),
            with_header(yaml::emit(&a.manifest)),
        );
    }
    Ok(set)
}
