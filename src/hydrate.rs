//! Hydration: each service's Helm chart rendered by the `helm` binary into `overlays/base/`
//! (the rendered-manifests pattern), normalised to kubectl's YAML style so the committed files are
//! byte-stable across Helm 3 and 4.
//!
//! Owns finding and running helm. Helm is an external engine: we never render templates ourselves,
//! and we never assume how a chart passes values on: each flag is set at the chart's `flagValues`
//! key path and the rendered container must carry it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fileset::FileSet;
use crate::layout::Layout;
use crate::resource::{self, LoadError};
use crate::spec::Spec;
use crate::yaml;

/// A hydration failure.
#[derive(Debug, thiserror::Error)]
pub enum HydrateError {
    /// No helm binary could be run.
    #[error(
        "helm not found{}: install Helm 3.8+ (https://helm.sh/docs/intro/install/), or run \
         `scripts/install-test-tools.sh` and pass `--helm .tools/bin/helm` (or set HELM_BIN)",
        tried.as_ref().map(|p| format!(" (tried `{}`)", p.display())).unwrap_or_default()
    )]
    HelmNotFound {
        /// The binary that was tried, when one was named.
        tried: Option<PathBuf>,
    },
    /// helm is older than 3.8.
    #[error("{helm} is version {version}; rollout needs Helm 3.8 or newer")]
    HelmTooOld {
        /// The binary.
        helm: String,
        /// What `helm version --short` printed.
        version: String,
    },
    /// `helm template` failed.
    #[error("`helm template {release}` failed for chart {}: {stderr}", chart.display())]
    Template {
        /// Release (service) name.
        release: String,
        /// Chart directory.
        chart: PathBuf,
        /// What helm printed on stderr.
        stderr: String,
    },
    /// helm printed something that is not YAML.
    #[error("helm output for {release} is not valid YAML: {source}")]
    Output {
        /// Release name.
        release: String,
        /// Parse error.
        #[source]
        source: LoadError,
    },
    /// The values file of a service is missing.
    #[error("values file {} for service `{service}` not found (expected by rollout.yaml `chart.path`)", path.display())]
    MissingValues {
        /// Service.
        service: String,
        /// Expected path.
        path: PathBuf,
    },
    /// The spec has no chart to hydrate.
    #[error("the spec has no `chart`: its base {} is a kustomize directory, which needs no hydration", base.display())]
    NoChart {
        /// The base directory.
        base: PathBuf,
    },
    /// The rendered chart lacks a service's workload or container.
    #[error("chart {}: {source}", chart.display())]
    Target {
        /// Chart directory.
        chart: PathBuf,
        /// What the rendered chart lacks.
        #[source]
        source: crate::target::TargetError,
    },
    /// A flag set through the values does not reach the container it goes to.
    #[error("chart {}: {message}", chart.display())]
    FlagNotReached {
        /// Chart directory.
        chart: PathBuf,
        /// Which flag, key path, container and environment, and what the container has instead.
        message: String,
    },
    /// A temp directory for helm's cache could not be made.
    #[error("cannot create a temporary HELM_CACHE_HOME: {0}")]
    Temp(#[source] std::io::Error),
}

/// A helm binary that answered `helm version`.
#[derive(Debug, Clone)]
pub struct Helm {
    bin: PathBuf,
    /// What `helm version --short` printed (`v4.1.4+g05fa379`).
    pub version: String,
}

impl Helm {
    /// Finds helm: `explicit` (from `--helm` or `HELM_BIN`), else `helm` on PATH, and checks it is
    /// 3.8 or newer.
    ///
    /// # Errors
    /// [`HydrateError::HelmNotFound`] or [`HydrateError::HelmTooOld`].
    pub fn locate(explicit: Option<&Path>) -> Result<Helm, HydrateError> {
        let bin = explicit
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("helm"));
        let out = Command::new(&bin)
            .args(["version", "--short"])
            .output()
            .map_err(|_| HydrateError::HelmNotFound {
                tried: explicit.map(Path::to_path_buf),
            })?;
        if !out.status.success() {
            return Err(HydrateError::HelmNotFound { tried: Some(bin) });
        }
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !version_at_least(&version, 3, 8) {
            return Err(HydrateError::HelmTooOld {
                helm: bin.display().to_string(),
                version,
            });
        }
        Ok(Helm { bin, version })
    }

    /// `helm template RELEASE CHART --namespace NS` with the chart's own values, for `rollout init`.
    ///
    /// # Errors
    /// As `helm template` fails.
    pub fn render_chart(
        &self,
        release: &str,
        chart: &Path,
        namespace: &str,
    ) -> Result<String, HydrateError> {
        let home = tempfile::tempdir().map_err(HydrateError::Temp)?;
        self.template(release, chart, &[], namespace, home.path())
    }

    fn template(
        &self,
        release: &str,
        chart: &Path,
        values: &[&Path],
        namespace: &str,
        home: &Path,
    ) -> Result<String, HydrateError> {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("template")
            .arg(release)
            .arg(chart)
            .arg("--namespace")
            .arg(namespace);
        for v in values {
            cmd.arg("--values").arg(v);
        }
        let out = cmd
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_DATA_HOME", home.join("data"))
            .output()
            .map_err(|_| HydrateError::HelmNotFound {
                tried: Some(self.bin.clone()),
            })?;
        if !out.status.success() {
            return Err(HydrateError::Template {
                release: release.to_string(),
                chart: chart.to_path_buf(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// `v3.17.2+g…` / `v4.1.4` → is it at least `major.minor`?
fn version_at_least(version: &str, major: u64, minor: u64) -> bool {
    let v = version.trim_start_matches('v');
    let mut parts = v
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u64>().unwrap_or(0));
    let (ma, mi) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (ma, mi) >= (major, minor)
}

/// Normalises helm's output: drops empty documents and comments, prints each object in kubectl
/// style, in helm's order.
///
/// # Errors
/// When the output is not YAML.
pub fn normalise(release: &str, helm_output: &str) -> Result<String, HydrateError> {
    let list = resource::parse_resources(helm_output, Path::new(release)).map_err(|source| {
        HydrateError::Output {
            release: release.to_string(),
            source,
        }
    })?;
    Ok(yaml::emit_stream(list.iter().map(|r| &r.value)))
}

/// The header every generated file starts with.
pub fn generated_header(command: &str) -> String {
    format!(
        "# Generated by `{command}` from rollout.yaml. Do not edit: change the spec or chart and run it again.\n"
    )
}

/// Renders every service of the spec into the hydrated base's file set (one file per service
/// and a `kustomization.yaml`), then checks that every flag, set at the chart's `flagValues` key
/// path as the per-environment values files set it, reaches the container it goes to. `layout`
/// gives the spec's directory and where the base goes.
///
/// # Errors
/// No chart, a missing values file, helm failing, helm printing something that is not YAML, a
/// rendered chart without a service's workload, or a flag that does not reach its container.
pub fn hydrate(spec: &Spec, layout: &Layout, helm: &Helm) -> Result<FileSet, HydrateError> {
    let root = &layout.root;
    let base_dir = layout.base_dir();
    let Some(chart_spec) = &spec.chart else {
        return Err(HydrateError::NoChart {
            base: layout.shown(base_dir),
        });
    };
    let home = tempfile::tempdir().map_err(HydrateError::Temp)?;
    let chart = root.join(&chart_spec.path);
    let namespace = spec.base_namespace();
    let rendered: Vec<Result<(String, String), HydrateError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = spec
            .services
            .iter()
            .map(|svc| {
                let (chart, home) = (&chart, home.path());
                let values = root.join(chart_spec.values_path(&svc.name));
                scope.spawn(move || {
                    if !values.is_file() {
                        return Err(HydrateError::MissingValues {
                            service: svc.name.clone(),
                            path: values,
                        });
                    }
                    let out = helm.template(&svc.name, chart, &[&values], namespace, home)?;
                    Ok((svc.name.clone(), normalise(&svc.name, &out)?))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(HydrateError::Temp(std::io::Error::other(
                        "helm worker panicked",
                    )))
                })
            })
            .collect()
    });
    let header = generated_header("rollout hydrate");
    let mut set = FileSet {
        owned_dirs: vec![base_dir.to_path_buf()],
        ..Default::default()
    };
    let mut names = Vec::new();
    let mut all = String::new();
    for r in rendered {
        let (name, body) = r?;
        let file = format!("{name}.yaml");
        all.push_str("---\n");
        all.push_str(&body);
        set.insert(base_dir.join(&file), format!("{header}{body}"));
        names.push(crate::value::Value::String(file));
    }
    let kustomization = crate::json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": names,
    });
    set.insert(
        base_dir.join("kustomization.yaml"),
        format!("{header}{}", yaml::emit(&kustomization)),
    );
    check_flags(spec, layout, helm, &chart, &all, home.path())?;
    Ok(set)
}

/// Renders each flagged service again with its per-environment values (as `rollout generate`
/// writes them) over its base values, and checks the flag's env var with its value on each
/// container it goes to.
fn check_flags(
    spec: &Spec,
    layout: &Layout,
    helm: &Helm,
    chart: &Path,
    rendered: &str,
    home: &Path,
) -> Result<(), HydrateError> {
    let Some(chart_spec) = &spec.chart else {
        return Ok(());
    };
    let output = |source| HydrateError::Output {
        release: "the rendered chart".into(),
        source,
    };
    let base = resource::parse_resources(rendered, Path::new("helm template")).map_err(output)?;
    let shown = format!(
        "rendered by helm template {}",
        layout.shown(&chart_spec.path).display()
    );
    let targets =
        crate::target::resolve(spec, &base, &shown).map_err(|source| HydrateError::Target {
            chart: layout.shown(&chart_spec.path),
            source,
        })?;
    let mut base_values = std::collections::BTreeMap::new();
    for svc in &spec.services {
        let path = layout.root.join(chart_spec.values_path(&svc.name));
        let text =
            crate::fsutil::read_to_string(&path).map_err(|e| HydrateError::Temp(e.source))?;
        let value = yaml::parse_document(&text)
            .map(|d| d.value)
            .unwrap_or_default();
        base_values.insert(svc.name.clone(), value);
    }
    for env in spec.environments.keys() {
        let files = crate::generate::values::files(spec, env, &base_values);
        for (svc, t) in spec.services.iter().zip(&targets) {
            let flags = spec.flags_for(&svc.name, env, false);
            if flags.is_empty() {
                continue;
            }
            let rel = chart_spec
                .path
                .join(crate::generate::values::values_file(&svc.name, env));
            let Some(text) = files.files.get(&rel) else {
                continue;
            };
            let env_values = home.join(format!("values-{}-{env}.yaml", svc.name));
            std::fs::write(&env_values, text).map_err(HydrateError::Temp)?;
            let base_path = layout.root.join(chart_spec.values_path(&svc.name));
            let out = helm.template(
                &svc.name,
                chart,
                &[&base_path, &env_values],
                spec.base_namespace(),
                home,
            )?;
            let list = resource::parse_resources(&out, Path::new(&svc.name)).map_err(output)?;
            let workload = list.iter().find(|r| {
                crate::spec::WorkloadKind::of(r.api_version(), r.kind()) == Some(t.kind)
                    && r.name() == t.name
            });
            let containers = workload
                .and_then(|w| crate::target::pod_containers(&w.value, t.kind))
                .cloned()
                .unwrap_or_default();
            for c in t.flagged_names() {
                let env_list = containers
                    .iter()
                    .find(|x| x.get("name").and_then(crate::value::Value::as_str) == Some(c))
                    .and_then(|x| x.get("env"))
                    .and_then(crate::value::Value::as_array);
                for (flag, value) in &flags {
                    let entry = env_list.and_then(|l| {
                        l.iter().find(|e| {
                            e.get("name").and_then(crate::value::Value::as_str) == Some(flag)
                        })
                    });
                    let got = entry
                        .and_then(|e| e.get("value"))
                        .and_then(crate::value::Value::as_str);
                    if got != Some(value) {
                        let found = match (entry, got) {
                            (None, _) => "no such env var".to_string(),
                            (Some(_), Some(g)) => format!("{flag}={g:?}, not {value:?}"),
                            (Some(_), None) => {
                                format!("{flag} without a literal value, not {value:?}")
                            }
                        };
                        return Err(HydrateError::FlagNotReached {
                            chart: layout.shown(&chart_spec.path),
                            message: format!(
                                "the flag {flag} set at values key `{}` does not reach container `{c}` of {} \
                                 (service `{}`, environment `{env}`): the rendered container has {found}; \
                                 set `chart.flagValues` to the values key the chart turns into the container's env",
                                chart_spec.flag_values,
                                t.describe(),
                                svc.name
                            ),
                        });
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_versions() {
        assert!(version_at_least("v4.1.4+g05fa379", 3, 8));
        assert!(version_at_least("v3.17.2+gcc0bbbd", 3, 8));
        assert!(version_at_least("v3.8.0", 3, 8));
        assert!(!version_at_least("v3.7.1+g1d11fcb", 3, 8));
        assert!(!version_at_least("v2.16.0", 3, 8));
    }

    #[test]
    fn normalise_drops_comments_and_empty_documents() {
        let out = normalise("auth", "---\n# Source: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: \"v\"\n").unwrap();
        assert_eq!(
            out,
            "apiVersion: v1\ndata:\n  k: v\nkind: ConfigMap\nmetadata:\n  name: a\n"
        );
    }

    #[test]
    fn missing_helm_says_how_to_get_it() {
        let e = Helm::locate(Some(Path::new("/nonexistent/helm")))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("helm not found (tried `/nonexistent/helm`)"),
            "{e}"
        );
        assert!(e.contains("scripts/install-test-tools.sh"), "{e}");
    }
}
