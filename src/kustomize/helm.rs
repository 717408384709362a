//! `helmCharts` (kustomize's builtin HelmChartInflationGenerator): charts rendered by the helm
//! binary with the arguments, environment and values file kustomize gives it, behind
//! `--enable-helm`. A chart that is not under `chartHome` is pulled with `helm pull` into the
//! build cache (once per repository, name and version).
//!
//! Owns the chart model, the helm command lines and the values merge; runs helm and reads
//! values files only through [`Loader::helm_charts`].

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::value::{Map, Value};
use serde::Deserialize;

use super::KustomizeError;
use super::kustomization::{Kustomization, Located, scalar_text};
use super::loader::{Acc, Loader, read_bytes};
use super::resmap::KRes;
use crate::resource::parse_resources_untracked;

/// How `--enable-helm` and its companion flags were given.
#[derive(Debug, Clone, Default)]
pub struct HelmOptions {
    /// `--enable-helm`.
    pub enabled: bool,
    /// `--helm-command` (kustomize's default is `helm`, found on `PATH`).
    pub command: Option<PathBuf>,
    /// `--helm-kube-version`: overrides every chart's `kubeVersion`.
    pub kube_version: Option<String>,
    /// `--helm-api-versions` (repeatable): overrides every chart's `apiVersions`.
    pub api_versions: Vec<String>,
    /// `--helm-debug`: pass `--debug` to helm.
    pub debug: bool,
}

impl HelmOptions {
    fn command(&self) -> PathBuf {
        self.command
            .clone()
            .unwrap_or_else(|| PathBuf::from("helm"))
    }
}

/// `helmGlobals`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HelmGlobals {
    /// Directory holding one subdirectory per chart (default `charts`), relative to the
    /// kustomization root unless absolute.
    #[serde(default)]
    pub chart_home: String,
    /// `HELM_CONFIG_HOME` for helm (default: a temporary directory).
    #[serde(default)]
    pub config_home: String,
}

/// One `helmCharts` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HelmChart {
    /// Chart name (its directory under `chartHome`).
    #[serde(default)]
    pub name: String,
    /// Chart version (with `repo`, the chart lives in `chartHome/<name>-<version>`).
    #[serde(default)]
    pub version: String,
    /// Repository URL to pull from (`https://…` or `oci://…`).
    #[serde(default)]
    pub repo: String,
    /// Release name (else `--generate-name`).
    #[serde(default)]
    pub release_name: String,
    /// `.Release.Namespace` (else the kustomization's, or an enclosing one's, namespace).
    #[serde(default)]
    pub namespace: String,
    /// More values files, relative to the kustomization root.
    #[serde(default)]
    pub additional_values_files: Vec<String>,
    /// Values file used instead of the chart's own `values.yaml`.
    #[serde(default)]
    pub values_file: String,
    /// Values given inline.
    #[serde(default)]
    pub values_inline: Option<Map>,
    /// `override` (default), `merge` or `replace`.
    #[serde(default)]
    pub values_merge: String,
    /// `--include-crds`.
    #[serde(default, rename = "includeCRDs")]
    pub include_crds: bool,
    /// `--no-hooks`.
    #[serde(default)]
    pub skip_hooks: bool,
    /// `--api-versions`, one each.
    #[serde(default)]
    pub api_versions: Vec<String>,
    /// `--kube-version`.
    #[serde(default)]
    pub kube_version: String,
    /// `--name-template`.
    #[serde(default)]
    pub name_template: String,
    /// `--skip-tests`.
    #[serde(default)]
    pub skip_tests: bool,
    /// `--debug`.
    #[serde(default)]
    pub debug: bool,
    /// `--devel`.
    #[serde(default)]
    pub devel: bool,
}

/// The string fields of a chart entry: YAML may have typed them (`version: 1.2`).
const STRING_FIELDS: &[&str] = &[
    "name",
    "version",
    "repo",
    "releaseName",
    "namespace",
    "valuesFile",
    "valuesMerge",
    "kubeVersion",
    "nameTemplate",
    "chartHome",
    "configHome",
];

fn stringify(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(m) = &mut v {
        for (k, x) in m.iter_mut() {
            if STRING_FIELDS.contains(&k.as_str()) && !x.is_string() && !x.is_null() {
                *x = Value::String(scalar_text(x));
            }
            if matches!(k.as_str(), "additionalValuesFiles" | "apiVersions")
                && let Value::Array(a) = x
            {
                for s in a.iter_mut().filter(|s| !s.is_string()) {
                    *s = Value::String(scalar_text(s));
                }
            }
        }
    }
    v
}

/// Reads a `helmCharts` entry.
///
/// # Errors
/// An unknown field or a field of the wrong type, naming it.
pub fn parse_chart(v: &Value, at: &str) -> Result<HelmChart, KustomizeError> {
    crate::value::from_value(stringify(v))
        .map_err(|e| KustomizeError::invalid(at, format!("invalid `helmCharts` entry: {e}")))
}

/// Reads `helmGlobals`.
///
/// # Errors
/// An unknown field or a field of the wrong type.
pub fn parse_globals(v: &Value, at: &str) -> Result<HelmGlobals, KustomizeError> {
    if v.is_null() {
        return Ok(HelmGlobals::default());
    }
    crate::value::from_value(stringify(v))
        .map_err(|e| KustomizeError::invalid(at, format!("invalid `helmGlobals`: {e}")))
}

/// Splits a HelmChartInflationGenerator plugin config (globals and chart in one mapping).
///
/// # Errors
/// As [`parse_chart`].
pub fn parse_plugin_config(
    v: &Value,
    at: &str,
) -> Result<(HelmGlobals, HelmChart), KustomizeError> {
    let mut chart = v.clone();
    let mut globals = Map::new();
    if let Value::Object(m) = &mut chart {
        for k in ["apiVersion", "kind", "metadata"] {
            m.remove(k);
        }
        for k in ["chartHome", "configHome"] {
            if let Some(x) = m.remove(k) {
                globals.insert(k.to_string(), x);
            }
        }
    }
    Ok((
        parse_globals(&Value::Object(globals), at)?,
        parse_chart(&chart, at)?,
    ))
}

/// Converted `helmChartInflationGenerator` entries: the charts and the globals they set.
pub type Legacy = (Vec<Located<Value>>, Map);

/// The deprecated `helmChartInflationGenerator` entries as `helmCharts` entries, and the
/// globals they set (the last non-empty `chartHome` / `helmHome` wins), as kustomize converts
/// them.
///
/// # Errors
/// An entry that is not a mapping of known fields.
pub fn convert_legacy(entries: &[Located<Value>]) -> Result<Legacy, KustomizeError> {
    const KNOWN: &[&str] = &[
        "chartName",
        "chartVersion",
        "chartRepoUrl",
        "chartHome",
        "chartRepoName",
        "helmBin",
        "helmHome",
        "values",
        "valuesLocal",
        "valuesMerge",
        "releaseName",
        "releaseNamespace",
        "extraArgs",
    ];
    let mut charts = Vec::new();
    let mut globals = Map::new();
    for e in entries {
        let Value::Object(m) = &e.value else {
            return Err(KustomizeError::invalid(
                &e.at,
                "`helmChartInflationGenerator` entries must be mappings",
            ));
        };
        if let Some(k) = m.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(KustomizeError::invalid(
                &e.at,
                format!("invalid `helmChartInflationGenerator` entry: unknown field `{k}`"),
            ));
        }
        let text = |k: &str| m.get(k).map(scalar_text).unwrap_or_default();
        let mut c = Map::new();
        for (from, to) in [
            ("chartName", "name"),
            ("chartVersion", "version"),
            ("chartRepoUrl", "repo"),
            ("values", "valuesFile"),
            ("valuesMerge", "valuesMerge"),
            ("releaseName", "releaseName"),
        ] {
            let v = text(from);
            if !v.is_empty() {
                c.insert(to.to_string(), Value::String(v));
            }
        }
        if let Some(v @ Value::Object(_)) = m.get("valuesLocal") {
            c.insert("valuesInline".to_string(), v.clone());
        }
        for (from, to) in [("helmHome", "configHome"), ("chartHome", "chartHome")] {
            let v = text(from);
            if !v.is_empty() {
                globals.insert(to.to_string(), Value::String(v));
            }
        }
        charts.push(Located {
            value: Value::Object(c),
            at: e.at.clone(),
        });
    }
    Ok((charts, globals))
}

/// `helm template` arguments in kustomize's order (`values` is the values file kustomize
/// writes, `additional` the extra values files, `chart_dir` the chart).
pub fn template_args(
    c: &HelmChart,
    chart_dir: &Path,
    values: &Path,
    additional: &[PathBuf],
) -> Vec<String> {
    let mut a = vec!["template".to_string()];
    if c.release_name.is_empty() {
        a.push("--generate-name".into());
    } else {
        a.push(c.release_name.clone());
    }
    a.push(chart_dir.display().to_string());
    if !c.namespace.is_empty() {
        a.extend(["--namespace".into(), c.namespace.clone()]);
    }
    if !c.name_template.is_empty() {
        a.extend(["--name-template".into(), c.name_template.clone()]);
    }
    a.extend(["-f".into(), values.display().to_string()]);
    for f in additional {
        a.extend(["-f".into(), f.display().to_string()]);
    }
    for v in &c.api_versions {
        a.extend(["--api-versions".into(), v.clone()]);
    }
    if !c.kube_version.is_empty() {
        a.extend(["--kube-version".into(), c.kube_version.clone()]);
    }
    for (on, flag) in [
        (c.include_crds, "--include-crds"),
        (c.skip_tests, "--skip-tests"),
        (c.skip_hooks, "--no-hooks"),
        (c.debug, "--debug"),
        (c.devel, "--devel"),
    ] {
        if on {
            a.push(flag.into());
        }
    }
    a
}

/// `helm pull` arguments: the chart is untarred into `into/<name>`.
pub fn pull_args(c: &HelmChart, into: &Path) -> Vec<String> {
    let mut a = vec![
        "pull".to_string(),
        "--untar".into(),
        "--untardir".into(),
        into.display().to_string(),
    ];
    if c.repo.starts_with("oci://") {
        a.push(format!("{}/{}", c.repo.trim_end_matches('/'), c.name));
    } else {
        if !c.repo.is_empty() {
            a.extend(["--repo".into(), c.repo.clone()]);
        }
        a.push(c.name.clone());
    }
    if !c.version.is_empty() {
        a.extend(["--version".into(), c.version.clone()]);
    }
    if c.devel {
        a.push("--devel".into());
    }
    a
}

/// kyaml's schema-less `merge2`: `src` wins over `dest` field by field in mappings, a null in
/// `src` removes the field, lists and scalars from `src` replace.
pub fn merge_values(src: &Value, dest: Value) -> Value {
    match (src, dest) {
        (Value::Object(s), Value::Object(mut d)) => {
            for (k, sv) in s {
                if sv.is_null() {
                    d.remove(k);
                } else {
                    let merged = match d.remove(k) {
                        Some(dv) => merge_values(sv, dv),
                        None => sv.clone(),
                    };
                    d.insert(k.clone(), merged);
                }
            }
            Value::Object(d)
        }
        (Value::Null, d) => d,
        (s, _) => s.clone(),
    }
}

/// Where helm's `version --short` puts the major version.
fn helm_major(out: &str) -> Option<String> {
    let re = regex::Regex::new(r"v?\d+(\.\d+)+").ok()?;
    let v = re.find(out)?.as_str().trim_start_matches('v');
    v.split('.').next().map(str::to_string)
}

impl Loader {
    /// Runs `k`'s `helmCharts` (after its ConfigMap and Secret generators).
    pub(super) fn helm_charts(
        &mut self,
        k: &Kustomization,
        acc: &mut Acc,
    ) -> Result<(), KustomizeError> {
        if k.helm_charts.is_empty() {
            return Ok(());
        }
        let globals = match &k.helm_globals {
            Some(g) => parse_globals(&g.value, &g.at)?,
            None => HelmGlobals::default(),
        };
        for entry in &k.helm_charts {
            let mut chart = parse_chart(&entry.value, &entry.at)?;
            if chart.namespace.is_empty()
                && let Some(ns) = &self.helm_namespace
            {
                chart.namespace = ns.clone();
            }
            let origin = self.builtin_origin(k, "HelmChartInflationGenerator");
            self.inflate(k, &globals, chart, &entry.at, origin, acc)?;
        }
        Ok(())
    }

    /// Renders one chart and adds its resources to `acc`.
    pub(super) fn inflate(
        &mut self,
        k: &Kustomization,
        globals: &HelmGlobals,
        mut chart: HelmChart,
        at: &str,
        origin: Option<super::buildmeta::Origin>,
        acc: &mut Acc,
    ) -> Result<(), KustomizeError> {
        let opts = self.helm.clone();
        if !opts.enabled {
            return Err(KustomizeError::invalid(
                at,
                format!(
                    "helm chart {:?}: must specify --enable-helm (kustomize renders helmCharts only with it)",
                    chart.name
                ),
            ));
        }
        // The command line's values are defaults: kustomize sets them, then reads the chart
        // entry over them.
        if let Some(v) = opts
            .kube_version
            .as_ref()
            .filter(|_| chart.kube_version.is_empty())
        {
            chart.kube_version = v.clone();
        }
        if chart.api_versions.is_empty() {
            chart.api_versions = opts.api_versions.clone();
        }
        chart.debug |= opts.debug;
        if chart.name.is_empty() {
            return Err(KustomizeError::invalid(at, "chart name cannot be empty"));
        }
        let merge = match chart.values_merge.as_str() {
            "" | "override" => "override",
            "merge" => "merge",
            "replace" => "replace",
            other => {
                return Err(KustomizeError::invalid(
                    at,
                    format!(
                        "valuesMerge {other:?} of chart {:?} must be one of [merge override replace]",
                        chart.name
                    ),
                ));
            }
        };
        let root = k.dir.clone();
        let chart_home_raw = if globals.chart_home.is_empty() {
            "charts"
        } else {
            globals.chart_home.as_str()
        };
        let mut chart_home = if Path::new(chart_home_raw).is_absolute() {
            PathBuf::from(chart_home_raw)
        } else {
            super::loader::join_clean(&root, chart_home_raw)
        };
        if !chart.version.is_empty() && !chart.repo.is_empty() {
            chart_home = chart_home.join(format!("{}-{}", chart.name, chart.version));
        }
        // Additional values files must exist and obey the load restrictor; helm gets them
        // joined to the root (as kustomize does, even when written absolute).
        let mut additional = Vec::new();
        for f in &chart.additional_values_files {
            let path = self.file_in_root(&root, f, at)?;
            read_bytes(&path, at, "additional values file", f)?;
            additional.push(root.join(f.trim_start_matches('/')));
        }
        // kustomize's `kustomize-helm-*` directory: the values file, and helm's homes.
        let tmp = tempfile::Builder::new()
            .prefix("kustomize-helm-")
            .tempdir()
            .map_err(|e| {
                KustomizeError::invalid(at, format!("cannot create a temporary directory: {e}"))
            })?;
        let config_home = if globals.config_home.is_empty() {
            tmp.path().join("helm")
        } else {
            PathBuf::from(&globals.config_home)
        };
        let helm = Helm {
            command: opts.command(),
            config_home,
            at: at.to_string(),
        };
        if !self.helm_checked {
            helm.check_version()?;
            self.helm_checked = true;
        }
        // The chart: under chartHome as kustomize looks for it, else pulled (into the cache).
        let mut chart_dir = chart_home.join(&chart.name);
        let mut pulled = false;
        if !chart_dir.is_dir() {
            if chart.repo.is_empty() {
                return Err(KustomizeError::invalid(
                    at,
                    format!(
                        "helm chart {:?}: no repo specified for pull, no chart found at {}",
                        chart.name,
                        chart_dir.display()
                    ),
                ));
            }
            chart_dir = self.pull(&helm, &chart, tmp.path())?;
            pulled = true;
        }
        // The values file kustomize hands to helm: a copy of the chosen one, or the inline
        // values merged with it.
        let (values_path, restricted) = if chart.values_file.is_empty() {
            (chart_dir.join("values.yaml"), !pulled)
        } else {
            (super::loader::join_clean(&root, &chart.values_file), true)
        };
        let load_values = |ld: &Loader| -> Result<Vec<u8>, KustomizeError> {
            let shown = values_path.display().to_string();
            if restricted {
                ld.file_in_root(&root, &shown, at)?;
            }
            read_bytes(&values_path, at, "values file", &shown)
        };
        let inline = chart.values_inline.clone().unwrap_or_default();
        let bytes = if inline.is_empty() {
            load_values(self)?
        } else {
            let inline = Value::Object(inline);
            let merged = if merge == "replace" {
                inline
            } else {
                let text = String::from_utf8_lossy(&load_values(self)?).into_owned();
                let file = crate::yaml::parse_document(&text)
                    .map_err(|source| KustomizeError::Yaml {
                        file: values_path.clone(),
                        cause: source,
                    })?
                    .value;
                if merge == "override" {
                    merge_values(&inline, file)
                } else {
                    merge_values(&file, inline)
                }
            };
            serde_json::to_vec(&merged).map_err(|e| {
                KustomizeError::invalid(at, format!("cannot write merged values: {e}"))
            })?
        };
        let values_file = tmp
            .path()
            .join(format!("{}-kustomize-values.yaml", chart.name));
        std::fs::write(&values_file, &bytes).map_err(|e| {
            KustomizeError::invalid(at, format!("cannot write the helm values file: {e}"))
        })?;
        let args = template_args(&chart, &chart_dir, &values_file, &additional);
        let out = helm.run(&args, &chart.name)?;
        let source = chart_dir.join("(helm template)");
        let list = parse_resources_untracked(&out, &source).map_err(|e| KustomizeError::Yaml {
            file: e.file,
            cause: e.source,
        })?;
        let mut made = Vec::with_capacity(list.len());
        for mut res in list {
            if !res.value.is_object() {
                return Err(KustomizeError::invalid(
                    at,
                    format!(
                        "helm chart {:?} printed a document that is not a mapping",
                        chart.name
                    ),
                ));
            }
            if let Some(o) = &origin {
                super::buildmeta::add_origin(&mut res.value, o);
            }
            let mut r = KRes::new(res);
            r.helm_generated = true;
            made.push(r);
        }
        drop(tmp);
        acc.res.append_all(made)
    }

    /// Pulls a chart not found under chartHome; with a version, into the cache (reused by
    /// later builds), else into the build's temporary directory.
    fn pull(&self, helm: &Helm, c: &HelmChart, tmp: &Path) -> Result<PathBuf, KustomizeError> {
        let name = c.name.rsplit('/').next().unwrap_or(&c.name).to_string();
        let cacheable = !c.version.is_empty() && self.cache_dir.is_some();
        let Some(cache) = self.cache_dir.as_ref().filter(|_| cacheable) else {
            if self.offline {
                return Err(self.offline_chart(c, &helm.at));
            }
            let into = tmp.join("pulled");
            helm.run(&pull_args(c, &into), &c.name)?;
            return Ok(into.join(name));
        };
        use sha2::Digest;
        let key = sha2::Sha256::digest(format!("{}\n{}\n{}", c.repo, c.name, c.version));
        let key: String = key.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let dir = cache
            .join("helm")
            .join(format!("{name}-{}-{key}", c.version));
        if dir.join(&name).is_dir() {
            return Ok(dir.join(name));
        }
        if self.offline {
            return Err(self.offline_chart(c, &helm.at));
        }
        let parent = cache.join("helm");
        std::fs::create_dir_all(&parent).map_err(|e| {
            KustomizeError::invalid(
                &helm.at,
                format!("cannot create cache directory {}: {e}", parent.display()),
            )
        })?;
        let staging = tempfile::Builder::new()
            .prefix(".pull-")
            .tempdir_in(&parent)
            .map_err(|e| {
                KustomizeError::invalid(
                    &helm.at,
                    format!("cannot create a directory in {}: {e}", parent.display()),
                )
            })?;
        helm.run(&pull_args(c, staging.path()), &c.name)?;
        let staged = staging.keep();
        // Another build may have filled the entry meanwhile: either copy is the same chart.
        if std::fs::rename(&staged, &dir).is_err() {
            let _ = std::fs::remove_dir_all(&staged);
        }
        if !dir.join(&name).is_dir() {
            return Err(KustomizeError::invalid(
                &helm.at,
                format!(
                    "helm pull of chart {:?} from {} gave no directory {name:?}",
                    c.name, c.repo
                ),
            ));
        }
        Ok(dir.join(name))
    }

    fn offline_chart(&self, c: &HelmChart, at: &str) -> KustomizeError {
        KustomizeError::invalid(
            at,
            format!(
                "helm chart {:?} version {:?} from {} is not in the cache and --offline forbids pulling it",
                c.name, c.version, c.repo
            ),
        )
    }
}

/// The helm binary with kustomize's environment for it.
struct Helm {
    command: PathBuf,
    config_home: PathBuf,
    at: String,
}

impl Helm {
    fn command(&self, args: &[String]) -> Command {
        let mut cmd = Command::new(&self.command);
        cmd.args(args)
            .env("HELM_CONFIG_HOME", &self.config_home)
            .env(
                "HELM_CACHE_HOME",
                format!("{}/.cache", self.config_home.display()),
            )
            .env(
                "HELM_DATA_HOME",
                format!("{}/.data", self.config_home.display()),
            )
            .stdin(std::process::Stdio::null());
        cmd
    }

    /// Runs helm; its stdout, or an error naming the command and helm's first error line.
    fn run(&self, args: &[String], chart: &str) -> Result<String, KustomizeError> {
        let out = self.command(args).output().map_err(|e| {
            KustomizeError::invalid(
                &self.at,
                format!(
                    "cannot run helm command {:?} for chart {chart:?}: {e} (is helm installed? --helm-command names it)",
                    self.command.display().to_string()
                ),
            )
        })?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            // helm's message is its first paragraph (it wraps one error over lines).
            let first: Vec<&str> = stderr
                .lines()
                .map(str::trim)
                .skip_while(|l| l.is_empty())
                .take_while(|l| !l.is_empty())
                .collect();
            let first = if first.is_empty() {
                "no message".to_string()
            } else {
                first.join(" ")
            };
            return Err(KustomizeError::invalid(
                &self.at,
                format!(
                    "`helm {}` failed for chart {chart:?} ({}): {first}",
                    args.first().map(String::as_str).unwrap_or_default(),
                    out.status
                ),
            ));
        }
        String::from_utf8(out.stdout).map_err(|_| {
            KustomizeError::invalid(
                &self.at,
                format!("helm printed output that is not UTF-8 for chart {chart:?}"),
            )
        })
    }

    /// kustomize requires helm 3 or 4.
    fn check_version(&self) -> Result<(), KustomizeError> {
        let out = self.run(&["version".into(), "--short".into()], "")?;
        match helm_major(&out).as_deref() {
            Some("3" | "4") => Ok(()),
            Some(_) => Err(KustomizeError::invalid(
                &self.at,
                format!(
                    "helm chart inflation requires helm v3 or v4 but {} is {}",
                    self.command.display(),
                    out.trim()
                ),
            )),
            None => Err(KustomizeError::invalid(
                &self.at,
                format!(
                    "cannot find a version in the output of `{} version --short`: {:?}",
                    self.command.display(),
                    out.trim()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn chart(v: Value) -> HelmChart {
        parse_chart(&v, "k.yaml").expect("chart")
    }

    #[test]
    fn template_args_follow_kustomize_order() {
        let c = chart(json!({
            "name": "svc", "releaseName": "rel", "namespace": "ns", "nameTemplate": "t",
            "apiVersions": ["a/v1", "b/v1"], "kubeVersion": "1.30", "includeCRDs": true,
            "skipTests": true, "skipHooks": true,
        }));
        let a = template_args(
            &c,
            Path::new("/c/svc"),
            Path::new("/t/v.yaml"),
            &[PathBuf::from("/r/x.yaml")],
        );
        assert_eq!(
            a.join(" "),
            "template rel /c/svc --namespace ns --name-template t -f /t/v.yaml -f /r/x.yaml \
             --api-versions a/v1 --api-versions b/v1 --kube-version 1.30 --include-crds \
             --skip-tests --no-hooks"
        );
        let c = chart(json!({"name": "svc"}));
        let a = template_args(&c, Path::new("/c/svc"), Path::new("/v"), &[]);
        assert_eq!(a.join(" "), "template --generate-name /c/svc -f /v");
    }

    #[test]
    fn pull_args_for_http_and_oci() {
        let c = chart(json!({"name": "svc", "repo": "http://r/", "version": "1.0"}));
        assert_eq!(
            pull_args(&c, Path::new("/d")).join(" "),
            "pull --untar --untardir /d --repo http://r/ svc --version 1.0"
        );
        let c = chart(json!({"name": "svc", "repo": "oci://reg/charts/", "devel": true}));
        assert_eq!(
            pull_args(&c, Path::new("/d")).join(" "),
            "pull --untar --untardir /d oci://reg/charts/svc --devel"
        );
    }

    #[test]
    fn merge_values_table() {
        let cases = [
            (
                "scalar override",
                json!({"a": 2}),
                json!({"a": 1, "b": 1}),
                json!({"a": 2, "b": 1}),
            ),
            (
                "nested",
                json!({"m": {"x": 1}}),
                json!({"m": {"y": 2}}),
                json!({"m": {"x": 1, "y": 2}}),
            ),
            (
                "null removes",
                json!({"a": null}),
                json!({"a": 1, "b": 1}),
                json!({"b": 1}),
            ),
            (
                "null in new subtree kept",
                json!({"m": {"x": null}}),
                json!({}),
                json!({"m": {"x": null}}),
            ),
            (
                "list replaced",
                json!({"l": [3]}),
                json!({"l": [1, 2]}),
                json!({"l": [3]}),
            ),
            ("empty dest", json!({"a": 1}), Value::Null, json!({"a": 1})),
            (
                "type change",
                json!({"a": {"b": 1}}),
                json!({"a": 1}),
                json!({"a": {"b": 1}}),
            ),
        ];
        for (name, src, dest, want) in cases {
            assert_eq!(merge_values(&src, dest), want, "{name}");
        }
    }

    #[test]
    fn unknown_field_is_refused() {
        let err = parse_chart(&json!({"name": "x", "valuesFiles": []}), "k.yaml:3:5").unwrap_err();
        assert!(err.to_string().contains("valuesFiles"), "{err}");
        assert!(err.to_string().starts_with("k.yaml:3:5"), "{err}");
    }

    #[test]
    fn legacy_entries_convert() {
        let (charts, globals) = convert_legacy(&[Located {
            value: json!({"chartName": "m", "chartVersion": "1.2", "chartRepoUrl": "https://r",
                          "releaseName": "t", "helmHome": "/h", "valuesLocal": {"a": 1}}),
            at: "k".into(),
        }])
        .expect("convert");
        assert_eq!(
            charts[0].value,
            json!({"name": "m", "version": "1.2", "repo": "https://r", "releaseName": "t",
                   "valuesInline": {"a": 1}})
        );
        assert_eq!(Value::Object(globals), json!({"configHome": "/h"}));
    }

    #[test]
    fn helm_versions() {
        assert_eq!(helm_major("v4.1.4+g05fa379\n").as_deref(), Some("4"));
        assert_eq!(helm_major("v3.17.2+gcc0bbbd").as_deref(), Some("3"));
        assert_eq!(helm_major("Client: v2.16.1+g").as_deref(), Some("2"));
        assert_eq!(helm_major("nothing"), None);
    }
}
