//! The production table of checks `verify` calls through [`Checks`]: the dashboard and alert schemas
//! (`schema::grafana`, `schema::alertmanager`), the Argo CD Application schema, the policy inputs read
//! from `rollout.yaml` and the freshness of generated files (`generate --check`, `hydrate --check`).

use std::path::Path;

use crate::value::Value;

use super::checks::{Checks, Finding};
use super::diagnostic::{Diagnostic, Severity, Span};
use super::policy::{PolicyInput, ServiceImage};
use crate::fileset::{self, Change, FileSet};
use crate::generate::{self, GenerateOptions};
use crate::hydrate::{self, Helm};
use crate::layout::Layout;
use crate::spec::{self, Spec};
use crate::target::Target;

/// The checks wired into the `rollout` binary.
#[derive(Debug, Default, Clone, Copy)]
pub struct Wired;

impl From<crate::finding::Finding> for Finding {
    fn from(f: crate::finding::Finding) -> Self {
        let severity = match f.severity {
            crate::finding::Severity::Error => Severity::Error,
            crate::finding::Severity::Warning => Severity::Warning,
        };
        Finding {
            code: f.code.to_string(),
            severity,
            pointer: f.pointer,
            message: f.message,
        }
    }
}

impl Checks for Wired {
    fn dashboard(&self, dashboard: &Value) -> Option<Vec<Finding>> {
        // A `POST /api/dashboards/db` body wraps the model in `dashboard`.
        let (model, prefix) = match dashboard.get("dashboard") {
            Some(inner) if inner.is_object() => (inner, "/dashboard"),
            _ => (dashboard, ""),
        };
        let options = crate::schema::grafana::LintOptions::default();
        let findings = crate::schema::grafana::check_dashboard(model, &options);
        Some(
            findings
                .into_iter()
                .map(|f| {
                    let mut f = Finding::from(f);
                    f.pointer = format!("{prefix}{}", f.pointer);
                    f
                })
                .collect(),
        )
    }

    fn alerts(&self, alerts: &Value) -> Option<Vec<Finding>> {
        Some(
            crate::schema::alertmanager::check_alerts(alerts)
                .into_iter()
                .map(Finding::from)
                .collect(),
        )
    }

    fn argocd_application(&self, application: &Value) -> Option<Vec<Finding>> {
        let findings = match crate::argocd::schema::validate(application) {
            Ok(violations) => violations
                .into_iter()
                .map(|v| Finding {
                    code: "argocd-application-schema".to_string(),
                    severity: Severity::Error,
                    pointer: v.pointer,
                    message: v.message,
                })
                .collect(),
            Err(e) => vec![Finding {
                code: "internal-error".to_string(),
                severity: Severity::Error,
                pointer: String::new(),
                message: format!(
                    "built-in Argo CD Application schema does not compile ({e}); please report a bug"
                ),
            }],
        };
        Some(findings)
    }

    fn spec(&self, path: &Path, text: &str) -> Option<Vec<Finding>> {
        let finding = |pointer: String, message: String| Finding {
            code: "spec-invalid".to_string(),
            severity: Severity::Error,
            pointer,
            message,
        };
        Some(match spec::parse(text, path) {
            Ok(_) => Vec::new(),
            Err(spec::SpecError::Invalid { problems, .. }) => problems
                .into_iter()
                .map(|p| finding(p.pointer, p.message))
                .collect(),
            Err(e) => vec![finding(String::new(), e.to_string())],
        })
    }

    fn policy_inputs(&self, root: &Path) -> Result<Option<Vec<PolicyInput>>, String> {
        // Whole-repository mode checks the policy of the repository's spec: without a readable one
        // (missing, a directory, a dangling link, /dev/null) there is nothing to check it against.
        let path = root.join("rollout.yaml");
        let spec = spec::load(&path).map_err(|e| {
            format!(
                "{e} (verify with no path checks the repository's rollout.yaml; give paths to verify files only)"
            )
        })?;
        let layout = Layout::discover(&spec, &path);
        let targets = generate::targets(&spec, &layout).map_err(|e| e.to_string())?;
        Ok(Some(policy_inputs(&spec, &layout, &targets)))
    }

    fn repository(&self, root: &Path) -> Option<Vec<Diagnostic>> {
        let mut out = Vec::new();
        let spec = spec::load(&root.join("rollout.yaml")).ok();
        let decls: Vec<crate::scrape::ScrapeDecl> = spec
            .iter()
            .flat_map(|s| &s.services)
            .filter_map(|s| {
                Some(crate::scrape::ScrapeDecl {
                    service: s.name.clone(),
                    kind: s.workload.kind,
                    workload: s.workload_name().to_string(),
                    metrics: s.metrics.clone()?,
                })
            })
            .collect();
        // Coverage is asked for by declaring scraping; a repository without is not judged.
        if !decls.is_empty() {
            for file in json_files(&super::recognise::under(root, "dashboards")) {
                let Ok(text) = crate::fsutil::read_to_string(&file) else {
                    continue; // verify reports unreadable inputs itself.
                };
                let d = super::scrape::DashboardFile {
                    file: &file,
                    text: &text,
                };
                out.extend(super::scrape::dashboard_coverage(&d, &decls));
            }
        }
        out.extend(alertmanager_config(root, spec.as_ref()));
        Some(out)
    }

    fn freshness(&self, root: &Path) -> Option<Vec<Diagnostic>> {
        let path = root.join("rollout.yaml");
        let spec = spec::load(&path).ok()?;
        let layout = Layout::discover(&spec, &path);
        let generated =
            generate::plan(&spec, &layout, &GenerateOptions::default()).map_err(|e| e.to_string());
        let mut out = stale_files(
            root,
            generated,
            "overlay-stale",
            "generated files",
            "rollout generate",
        );
        let helm_bin = std::env::var_os("HELM_BIN").map(std::path::PathBuf::from);
        if spec.chart.is_none() {
            return Some(out);
        }
        let base_dir = layout.base_dir().display().to_string();
        let Ok(helm) = Helm::locate(helm_bin.as_deref()) else {
            // The verdict must not depend on which tools are installed: on a laptop this is a
            // note, in CI (`CI=true`, as GitHub Actions, GitLab and most runners set) an error.
            let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
            let message = format!(
                "not checked: {base_dir} freshness needs helm (helm not found; set HELM_BIN or put helm on PATH)"
            );
            out.push(if ci {
                Diagnostic::error("helm-missing", message)
                    .help("CI=true: install helm in the CI image, or set HELM_BIN")
            } else {
                Diagnostic::new("not-checked", Severity::Note, message)
            });
            return Some(out);
        };
        let hydrated = hydrate::hydrate(&spec, &layout, &helm).map_err(|e| e.to_string());
        out.extend(stale_files(
            root,
            hydrated,
            "base-stale",
            &base_dir,
            "rollout hydrate",
        ));
        Some(out)
    }
}

/// Where a repository keeps its Alertmanager configuration, in the order they are looked for.
pub const ALERTMANAGER_FILES: &[&str] = &[
    "alertmanager.yml",
    "alertmanager.yaml",
    "alerts/alertmanager.yml",
    "alerts/alertmanager.yaml",
];

/// The repository's `alertmanager.yml` (the first of [`ALERTMANAGER_FILES`]) checked with the
/// synthetic alerts of `alerts/*.json`; nothing when there is none.
fn alertmanager_config(root: &Path, spec: Option<&Spec>) -> Vec<Diagnostic> {
    let Some(file) = ALERTMANAGER_FILES
        .iter()
        .map(|f| super::recognise::under(root, f))
        .find(|p| p.is_file())
    else {
        return Vec::new();
    };
    let text = match crate::fsutil::read_to_string(&file) {
        Ok(t) => t,
        Err(e) => return vec![Diagnostic::error("alertmanager-config", e.to_string())],
    };
    let alerts: Vec<(std::path::PathBuf, String)> =
        json_files(&super::recognise::under(root, crate::alerts::DEFAULT_DIR))
            .into_iter()
            .filter_map(|f| crate::fsutil::read_to_string(&f).ok().map(|t| (f, t)))
            .collect();
    let paging = spec.map_or(&[][..], |s| s.verify.paging_receivers.as_slice());
    super::alertmanager_config::check(&super::alertmanager_config::AlertmanagerInput {
        file: &file,
        text: &text,
        alerts: &alerts,
        paging,
    })
}

/// The `*.json` files directly in `dir`, sorted; none when it is not a directory.
fn json_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
        .collect();
    files.sort();
    files
}

/// One diagnostic per file of `set` that differs from the disk under `root`, or one saying why the
/// files could not be compared.
fn stale_files(
    root: &Path,
    set: Result<FileSet, String>,
    code: &str,
    what: &str,
    command: &str,
) -> Vec<Diagnostic> {
    match set.and_then(|set| fileset::plan(root, &set).map_err(|e| e.to_string())) {
        Ok(changes) => changes.iter().map(|c| stale(code, c, command)).collect(),
        Err(e) => vec![Diagnostic::error(code, format!("cannot check {what}: {e}"))],
    }
}

fn stale(code: &str, change: &Change, command: &str) -> Diagnostic {
    let what = match change {
        Change::Create { .. } => "is missing",
        Change::Update { .. } => "differs from what the spec gives",
        Change::Delete { .. } => "is stale (the spec no longer produces it)",
        Change::Leftover { .. } => "is a temp file left by an interrupted run",
    };
    let path = change.path();
    Diagnostic::error(code, format!("{} {what}", path.display()))
        .at(Span {
            file: path.to_path_buf(),
            line: 0,
            col: 0,
            label: String::new(),
            caret: 0,
            source_line: None,
        })
        .help(format!("run `{command}` and commit the result"))
}

/// The policy inputs of a spec: for each environment, its overlay and its rollback overlay, one input
/// per flag (images are checked with the first only, so they are reported once). Workload and
/// container names come from the base (`targets`), tags from the environment.
pub fn policy_inputs(spec: &Spec, layout: &Layout, targets: &[Target]) -> Vec<PolicyInput> {
    let mut out = Vec::new();
    for (env, e) in &spec.environments {
        let services: Vec<ServiceImage> = spec
            .services
            .iter()
            .zip(targets)
            .map(|(s, t)| ServiceImage {
                name: t.name.clone(),
                container: t
                    .containers
                    .iter()
                    .find(|c| super::policy::split_image(&c.image).0 == s.image)
                    .map(|c| c.name.clone()),
                image_repo: s.image.clone(),
                expected_tag: spec
                    .tag_in(s, env)
                    .or_else(|| s.digest.clone())
                    .unwrap_or_default(),
            })
            .collect();
        let scrape: Vec<crate::scrape::ScrapeDecl> = spec
            .services
            .iter()
            .zip(targets)
            .filter_map(|(s, t)| {
                Some(crate::scrape::ScrapeDecl {
                    service: s.name.clone(),
                    kind: t.kind,
                    workload: t.name.clone(),
                    metrics: s.metrics.clone()?,
                })
            })
            .collect();
        let flag_containers: std::collections::BTreeMap<String, Vec<String>> = targets
            .iter()
            .filter(|t| !t.flagged.is_empty())
            .map(|t| {
                let names = t.flagged_names().into_iter().map(str::to_string).collect();
                (t.name.clone(), names)
            })
            .collect();
        let workload = |svc: &String| {
            spec.services
                .iter()
                .zip(targets)
                .find(|(s, _)| &s.name == svc)
                .map_or_else(|| svc.clone(), |(_, t)| t.name.clone())
        };
        for rollback in [false, true] {
            let dir = layout.overlay_dir(env, rollback);
            let environment = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let overlay = dir.to_string_lossy().replace('\\', "/");
            let flags: Vec<(&str, String, Vec<String>)> = spec
                .flags
                .iter()
                .filter_map(|f| {
                    let v = if rollback {
                        Some(f.rollback.clone())
                    } else {
                        f.values.get(env).cloned()
                    };
                    v.map(|v| {
                        (
                            f.name.as_str(),
                            v,
                            f.services.iter().map(workload).collect(),
                        )
                    })
                })
                .collect();
            if flags.is_empty() {
                out.push(PolicyInput {
                    environment: environment.clone(),
                    overlay: overlay.clone(),
                    namespace: e.namespace.clone(),
                    services: services.clone(),
                    scrape: scrape.clone(),
                    ..Default::default()
                });
            }
            for (i, (name, value, flagged)) in flags.into_iter().enumerate() {
                out.push(PolicyInput {
                    environment: environment.clone(),
                    overlay: overlay.clone(),
                    namespace: e.namespace.clone(),
                    flag_name: name.to_string(),
                    flag_value: value,
                    flagged_services: flagged,
                    flag_containers: flag_containers.clone(),
                    services: if i == 0 { services.clone() } else { Vec::new() },
                    scrape: if i == 0 { scrape.clone() } else { Vec::new() },
                });
            }
        }
    }
    out
}
