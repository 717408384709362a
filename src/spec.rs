//! The `rollout.yaml` model, its built-in JSON Schema and its validation.
//!
//! Owns what a valid spec is: schema checks first, then the cross-references the schema cannot
//! express (a flag aimed at an unknown service, a service listed twice, an image without a tag or
//! digest). Every error points at `file:line:col`. Reads the file it is given and nothing else.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::value::Value;
use serde::Deserialize;

use crate::fsutil::{self, FsError};
use crate::yaml::{self, Locations, Pos};

/// The spec's JSON Schema, as printed by `rollout schema spec`.
pub const SCHEMA: &str = include_str!("../schemas/rollout-spec.schema.json");

/// A parsed, validated `rollout.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Spec {
    /// `rollout/v1alpha1` (or this repo's historical `rollout.sploot.io/v1alpha1`).
    pub api_version: String,
    /// `Rollout`.
    pub kind: String,
    /// Name and description of the rollout.
    pub metadata: Metadata,
    /// Prefix of the labels and annotations rollout writes ([`DEFAULT_DOMAIN`] when absent).
    #[serde(default = "default_domain")]
    pub domain: String,
    /// The base image every build is on (`sploot/python-base:3.11-cpu`), when there is one.
    #[serde(default)]
    pub base_image: Option<String>,
    /// The kustomize base the overlays build on (with a chart: where hydration writes).
    #[serde(default)]
    pub base: Option<Base>,
    /// The Helm chart the services are rendered from, when the base is a chart.
    #[serde(default)]
    pub chart: Option<Chart>,
    /// Where the generated files go.
    #[serde(default)]
    pub layout: LayoutSettings,
    /// Environments by name, sorted.
    pub environments: BTreeMap<String, Environment>,
    /// The services, in spec order.
    pub services: Vec<Service>,
    /// Feature flags.
    #[serde(default)]
    pub flags: Vec<Flag>,
    /// Settings for `rollout diff`.
    #[serde(default)]
    pub diff: DiffSettings,
    /// Settings for `rollout evidence`.
    #[serde(default)]
    pub evidence: EvidenceSettings,
    /// Settings for `rollout verify`.
    #[serde(default)]
    pub verify: VerifySettings,
    /// Where the spec was read from, for messages that point into it.
    #[serde(skip)]
    pub source: SpecSource,
}

/// The file a spec was read from and the positions of its nodes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpecSource {
    /// The spec file as given.
    pub file: PathBuf,
    /// Node positions.
    pub locations: Locations,
}

/// The label and annotation prefix when the spec sets no `domain`.
pub const DEFAULT_DOMAIN: &str = "rollout";

fn default_domain() -> String {
    DEFAULT_DOMAIN.to_string()
}

/// `base`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Base {
    /// The kustomization directory, relative to the spec file.
    pub path: PathBuf,
}

/// `layout`: the directories `rollout generate` writes, relative to the spec file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutSettings {
    /// Overlays: `<overlays>/<env>` and `<overlays>/<env>-rollback`.
    #[serde(default = "default_overlays")]
    pub overlays: PathBuf,
    /// Argo CD Applications: `<argocd>/<env>/`.
    #[serde(default = "default_argocd")]
    pub argocd: PathBuf,
}

impl Default for LayoutSettings {
    fn default() -> Self {
        LayoutSettings {
            overlays: default_overlays(),
            argocd: default_argocd(),
        }
    }
}

fn default_overlays() -> PathBuf {
    PathBuf::from("overlays")
}

fn default_argocd() -> PathBuf {
    PathBuf::from("argocd")
}

/// `verify`: how the best-practice rules count, waivers, and which receivers page.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifySettings {
    /// `warn`, `strict` or `off` (the `--policy` flag overrides it).
    #[serde(default)]
    pub policy: Option<String>,
    /// Per rule: `error`, `warning` or `off`.
    #[serde(default)]
    pub rules: BTreeMap<String, String>,
    /// Findings accepted for a while, with a reason.
    #[serde(default)]
    pub waivers: Vec<Waiver>,
    /// Alertmanager receivers that page (besides those with pagerduty or opsgenie configs).
    #[serde(default)]
    pub paging_receivers: Vec<String>,
}

/// `verify.waivers[]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// The rule waived (`pdb`).
    pub rule: String,
    /// `Kind/name` or `Kind/namespace/name` (`*` as the name: any).
    pub object: String,
    /// Why.
    pub reason: String,
    /// The last day it holds (`YYYY-MM-DD`).
    pub expires: String,
}

/// `evidence`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceSettings {
    /// Report title.
    #[serde(default)]
    pub title: Option<String>,
    /// Items of rollout's own commands listed (as missing) before their evidence exists:
    /// `metrics`, `redis`, `status`.
    #[serde(default)]
    pub expect: Vec<String>,
    /// Items the operator adds by hand.
    #[serde(default)]
    pub checklist: Vec<ManualEvidence>,
}

/// One hand-added evidence item (`evidence.checklist[]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManualEvidence {
    /// Stable key.
    pub key: String,
    /// Checklist wording.
    pub title: String,
    /// File pattern inside the evidence directory (`*` matches any text).
    pub file: String,
    /// What to add.
    #[serde(default)]
    pub hint: Option<String>,
}

/// `metadata`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// The rollout's name.
    pub name: String,
    /// What the rollout does.
    #[serde(default)]
    pub description: Option<String>,
}

/// `chart`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Chart {
    /// Chart directory relative to the spec file.
    pub path: PathBuf,
    /// Per-service values file name inside the chart; `{service}` is replaced.
    #[serde(default)]
    pub values_file: Option<String>,
    /// Dotted values key path of the env list the chart gives the service's container.
    #[serde(default = "default_flag_values")]
    pub flag_values: String,
}

fn default_flag_values() -> String {
    "env".to_string()
}

impl Chart {
    /// The values file of `service`, relative to the spec's directory.
    pub fn values_path(&self, service: &str) -> PathBuf {
        let pattern = self
            .values_file
            .as_deref()
            .unwrap_or("values-{service}.yaml");
        self.path.join(pattern.replace("{service}", service))
    }
}

/// One environment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Environment {
    /// Namespace the services run in.
    pub namespace: String,
    /// Cluster name.
    pub cluster: String,
    /// Argo CD settings.
    pub argocd: ArgoCd,
    /// Per-service tag overrides (service name → tag).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The cluster's Kubernetes version (`1.31`): `verify` checks this environment's overlay
    /// against it.
    #[serde(default)]
    pub kubernetes_version: Option<String>,
}

/// `environments.<env>.argocd`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArgoCd {
    /// Argo CD project.
    pub project: String,
    /// Git repository Argo CD reads.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// Branch, tag or commit.
    #[serde(default = "default_revision")]
    pub target_revision: String,
    /// Destination API server.
    #[serde(default = "default_server")]
    pub server: String,
    /// Whether Argo CD syncs automatically.
    #[serde(default)]
    pub automated: bool,
    /// Sync options.
    #[serde(default)]
    pub sync_options: Vec<String>,
}

fn default_revision() -> String {
    "main".to_string()
}

fn default_server() -> String {
    "https://kubernetes.default.svc".to_string()
}

/// One service.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Service name (release name; the workload's name unless `workload.name` says otherwise).
    pub name: String,
    /// Image repository without tag.
    pub image: String,
    /// Tag of the build (environments may override it in `tags`).
    #[serde(default)]
    pub tag: Option<String>,
    /// Digest of the build (`sha256:…`).
    #[serde(default)]
    pub digest: Option<String>,
    /// The container(s) a flag goes to; resolved against the base when absent.
    #[serde(default)]
    pub container: Option<Containers>,
    /// The workload the service runs as.
    #[serde(default)]
    pub workload: Workload,
    /// How Prometheus scrapes the service, when it serves metrics.
    #[serde(default)]
    pub metrics: Option<Metrics>,
}

/// `services[].metrics`: the `/metrics` endpoint and how Prometheus finds it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// The name of the port serving metrics, on the container and on the Service.
    pub port: String,
    /// The HTTP path (`/metrics`).
    #[serde(default = "default_metrics_path")]
    pub path: String,
    /// A ServiceMonitor (Prometheus Operator) or the `prometheus.io/*` pod annotations.
    #[serde(default)]
    pub mode: ScrapeMode,
    /// The metrics it exports: names, or prefixes ending in `*` (`media_clustering_*`).
    #[serde(default)]
    pub exports: Vec<String>,
}

fn default_metrics_path() -> String {
    "/metrics".to_string()
}

/// `services[].metrics.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ScrapeMode {
    /// `prometheus.io/scrape`, `prometheus.io/port`, `prometheus.io/path` on the pod template.
    #[default]
    Annotations,
    /// A `monitoring.coreos.com/v1` ServiceMonitor in the overlay.
    ServiceMonitor,
}

/// `services[].container`: one name or a list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Containers {
    /// One container.
    One(String),
    /// Several containers.
    Many(Vec<String>),
}

impl Containers {
    /// The names, in spec order.
    pub fn names(&self) -> Vec<&str> {
        match self {
            Containers::One(n) => vec![n.as_str()],
            Containers::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// `services[].workload`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// The kind.
    #[serde(default)]
    pub kind: WorkloadKind,
    /// Its name in the base; the service name when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// Its namespace; the environment's when absent.
    #[serde(default)]
    pub namespace: Option<String>,
}

/// The workload kinds a service can address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum WorkloadKind {
    /// `apps/v1` Deployment.
    #[default]
    Deployment,
    /// `apps/v1` StatefulSet.
    StatefulSet,
    /// `apps/v1` DaemonSet.
    DaemonSet,
    /// `batch/v1` CronJob.
    CronJob,
    /// `batch/v1` Job.
    Job,
    /// `argoproj.io/v1alpha1` Rollout (Argo Rollouts).
    Rollout,
}

impl WorkloadKind {
    /// The kind's name.
    pub fn kind(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::CronJob => "CronJob",
            WorkloadKind::Job => "Job",
            WorkloadKind::Rollout => "Rollout",
        }
    }

    /// The API group (`apps`, `batch`, `argoproj.io`).
    pub fn group(self) -> &'static str {
        match self {
            WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::DaemonSet => {
                "apps"
            }
            WorkloadKind::CronJob | WorkloadKind::Job => "batch",
            WorkloadKind::Rollout => "argoproj.io",
        }
    }

    /// `apiVersion` of a patch for it.
    pub fn api_version(self) -> &'static str {
        match self {
            WorkloadKind::Rollout => "argoproj.io/v1alpha1",
            WorkloadKind::CronJob | WorkloadKind::Job => "batch/v1",
            _ => "apps/v1",
        }
    }

    /// The path (object keys) from the object to its pod spec.
    pub fn pod_spec_path(self) -> &'static [&'static str] {
        match self {
            WorkloadKind::CronJob => &["spec", "jobTemplate", "spec", "template", "spec"],
            _ => &["spec", "template", "spec"],
        }
    }

    /// Every kind, for messages.
    pub const ALL: [WorkloadKind; 6] = [
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::CronJob,
        WorkloadKind::Job,
        WorkloadKind::Rollout,
    ];

    /// The kind of a base object, if it is a workload kind we address.
    pub fn of(api_version: &str, kind: &str) -> Option<WorkloadKind> {
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        WorkloadKind::ALL
            .into_iter()
            .find(|k| k.kind() == kind && k.group() == group)
    }
}

impl Service {
    /// The workload's name in the base.
    pub fn workload_name(&self) -> &str {
        self.workload.name.as_deref().unwrap_or(&self.name)
    }

    /// The full image reference the rollout moves the service to in `env` (`repo:tag`,
    /// `repo@digest`, or `repo:tag@digest`).
    pub fn image_ref_in(&self, tag: Option<&str>) -> String {
        let mut s = self.image.clone();
        if let Some(t) = tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }
}

/// One feature flag.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flag {
    /// Environment variable name.
    pub name: String,
    /// Services it applies to.
    pub services: Vec<String>,
    /// Value per environment.
    pub values: BTreeMap<String, String>,
    /// Value the rollback overlay sets.
    #[serde(default = "default_rollback")]
    pub rollback: String,
}

fn default_rollback() -> String {
    "0".to_string()
}

/// `diff`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffSettings {
    /// Extra ignore rules.
    #[serde(default)]
    pub ignore: Vec<IgnoreRule>,
}

/// A field `rollout diff` ignores for one kind.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreRule {
    /// Kind the rule applies to.
    pub kind: String,
    /// JSON pointer of the field.
    pub pointer: String,
}

impl Spec {
    /// `file:line:col` of the node at `pointer` (or its nearest ancestor) in the spec file.
    pub fn position(&self, pointer: &str) -> String {
        let pos = self
            .source
            .locations
            .nearest(pointer)
            .unwrap_or(Pos { line: 1, col: 1 });
        format!("{}:{pos}", self.source.file.display())
    }

    /// A label or annotation key under the spec's domain (`<domain>/<name>`).
    pub fn key(&self, name: &str) -> String {
        format!("{}/{name}", self.domain)
    }

    /// The tag `service` runs in `env`: the environment's override, else the service's own.
    pub fn tag_in(&self, service: &Service, env: &str) -> Option<String> {
        self.environments
            .get(env)
            .and_then(|e| e.tags.get(&service.name))
            .or(service.tag.as_ref())
            .cloned()
    }

    /// The namespace `service`'s workload runs in, in `env`.
    pub fn namespace_in<'a>(&'a self, service: &'a Service, env: &str) -> &'a str {
        service
            .workload
            .namespace
            .as_deref()
            .unwrap_or(&self.environments[env].namespace)
    }

    /// The kustomize base directory, relative to the spec: `base.path`, else (for charts) where
    /// hydration writes, `overlays/base`.
    pub fn base_dir(&self) -> PathBuf {
        match &self.base {
            Some(b) => b.path.clone(),
            None => self.layout.overlays.join("base"),
        }
    }

    /// The environment to use when none is given: the only one. Otherwise the choices.
    ///
    /// # Errors
    /// The spec's environments, when there are several.
    pub fn only_environment(&self) -> Result<&str, Vec<String>> {
        let mut keys = self.environments.keys();
        match (keys.next(), keys.next()) {
            (Some(one), None) => Ok(one),
            _ => Err(self.environments.keys().cloned().collect()),
        }
    }

    /// The namespace the hydrated base is rendered into: the first environment's (environments
    /// are sorted by name). Overlays of environments in other namespaces set `namespace:`.
    pub fn base_namespace(&self) -> &str {
        self.environments
            .values()
            .next()
            .map(|e| e.namespace.as_str())
            .unwrap_or("default")
    }

    /// The service named `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// The flags set on `service` in `env`, with their values (`rollback` selects the rollback
    /// value), in spec order.
    pub fn flags_for(&self, service: &str, env: &str, rollback: bool) -> Vec<(&str, &str)> {
        self.flags
            .iter()
            .filter(|f| f.services.iter().any(|s| s == service))
            .filter_map(|f| {
                let v = if rollback {
                    Some(f.rollback.as_str())
                } else {
                    f.values.get(env).map(String::as_str)
                };
                v.map(|v| (f.name.as_str(), v))
            })
            .collect()
    }
}

/// One problem in a spec, at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the file.
    pub pos: Pos,
    /// JSON pointer of the offending node.
    pub pointer: String,
    /// What is wrong and what was expected.
    pub message: String,
}

/// A spec that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file could not be read.
    #[error(transparent)]
    Read(#[from] FsError),
    /// The file is not valid YAML.
    #[error("{}:{source}", file.display())]
    Yaml {
        /// The spec file.
        file: PathBuf,
        /// The parse error with its position.
        #[source]
        source: yaml::YamlError,
    },
    /// The spec does not satisfy its schema or its cross-references.
    #[error("{}", render_problems(file, problems))]
    Invalid {
        /// The spec file.
        file: PathBuf,
        /// Every problem found, in file order.
        problems: Vec<Problem>,
    },
}

fn render_problems(file: &Path, problems: &[Problem]) -> String {
    let mut out = format!(
        "invalid spec {} ({} problem{})",
        file.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        out.push_str(&format!("\n  {}:{}: {}", file.display(), p.pos, p.message));
    }
    out.push_str("\n  hint: `rollout schema spec` prints the spec's JSON Schema");
    out
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.message)
    }
}

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let schema: serde_json::Value =
            serde_json::from_str(SCHEMA).expect("built-in spec schema is valid JSON");
        jsonschema::validator_for(&schema).expect("built-in spec schema compiles")
    })
}

/// Reads and validates a spec file.
///
/// # Errors
/// Unreadable file, invalid YAML, or any schema or cross-reference problem (all of them, each with
/// its position).
pub fn load(path: &Path) -> Result<Spec, SpecError> {
    load_watched(path).map(|(spec, _)| spec)
}

/// Reads and validates a spec file, remembering the version read, so that a command writing from
/// it can check it was not rewritten meanwhile ([`fsutil::Watched::unchanged`]).
///
/// # Errors
/// As [`load`].
pub fn load_watched(path: &Path) -> Result<(Spec, fsutil::Watched), SpecError> {
    let (text, watched) = fsutil::Watched::read(path)?;
    Ok((parse(&text, path)?, watched))
}

/// Parses and validates spec text; `file` is used in messages only.
///
/// # Errors
/// As [`load`], without the read.
pub fn parse(text: &str, file: &Path) -> Result<Spec, SpecError> {
    let mut doc = yaml::parse_document(text).map_err(|source| SpecError::Yaml {
        file: file.to_path_buf(),
        source,
    })?;
    waiver_dates_as_written(&mut doc.value);
    let invalid = |problems| SpecError::Invalid {
        file: file.to_path_buf(),
        problems,
    };
    let (mut problems, wrong) = schema_problems(&doc.value, &doc.locations);
    if !problems.is_empty() {
        // Every problem at once: the references are checked on the spec without the values the
        // schema refused, when what is left still reads as a spec (a value inside a list, or a
        // required one, cannot be taken out).
        // A reference problem about a value taken out (or its parent: `base` missing because
        // it was refused) has that cause already.
        if let Some(rest) = without(&doc.value, &wrong)
            && let Ok(spec) = crate::value::from_value::<Spec>(rest)
        {
            let related = |p: &str| {
                wrong.iter().any(|w| {
                    w == p
                        || w.strip_prefix(p).is_some_and(|r| r.starts_with('/'))
                        || p.strip_prefix(w.as_str())
                            .is_some_and(|r| r.starts_with('/'))
                })
            };
            problems.extend(
                reference_problems(&spec, &doc.locations)
                    .into_iter()
                    .chain(path_problems(&spec, &doc.locations))
                    .filter(|p| !related(&p.pointer)),
            );
        }
        problems.sort_by_key(|p| p.pos);
        problems.dedup();
        return Err(invalid(problems));
    }
    let mut spec: Spec = crate::value::from_value(doc.value).map_err(|e| {
        invalid(vec![Problem {
            pos: Pos { line: 1, col: 1 },
            pointer: String::new(),
            message: e.to_string(),
        }])
    })?;
    problems = reference_problems(&spec, &doc.locations);
    problems.extend(path_problems(&spec, &doc.locations));
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.pos);
        return Err(invalid(problems));
    }
    spec.source = SpecSource {
        file: file.to_path_buf(),
        locations: doc.locations,
    };
    Ok(spec)
}

/// A waiver's `expires: 2027-03-31` written unquoted is a YAML timestamp, which the reader gives
/// as `2027-03-31T00:00:00Z`: the date the user wrote is taken back.
fn waiver_dates_as_written(spec: &mut Value) {
    let Some(waivers) = spec
        .pointer_mut("/verify/waivers")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for w in waivers {
        if let Some(Value::String(e)) = w.get_mut("expires")
            && e.len() == 20
            && e.ends_with("T00:00:00Z")
        {
            e.truncate(10);
        }
    }
}

fn at(locations: &Locations, pointer: &str, message: String) -> Problem {
    let pos = locations
        .nearest_value(pointer)
        .unwrap_or(Pos { line: 1, col: 1 });
    Problem {
        pos,
        pointer: pointer.to_string(),
        message,
    }
}

/// The schema's problems, and the pointers of the values it refused (unknown keys, and values
/// of the wrong shape), for [`without`].
fn schema_problems(value: &Value, locations: &Locations) -> (Vec<Problem>, Vec<String>) {
    let mut wrong = Vec::new();
    let json = serde_json::Value::from(value);
    let problems = validator()
        .iter_errors(&json)
        .map(|e| {
            let pointer = e.instance_path().as_str().to_string();
            let message = schema_message(&e, &pointer);
            if let jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } =
                e.kind()
            {
                wrong.extend(
                    unexpected
                        .iter()
                        .map(|k| format!("{pointer}/{}", escape(k))),
                );
                // An unknown key is best shown at the key itself, anything else at its value.
                if let Some(k) = unexpected.first()
                    && let Some(pos) = locations.key(&format!("{pointer}/{k}"))
                {
                    return Problem {
                        pos,
                        pointer: format!("{pointer}/{k}"),
                        message,
                    };
                }
            } else {
                wrong.push(pointer.clone());
            }
            at(locations, &pointer, message)
        })
        .collect();
    (problems, wrong)
}

/// A JSON pointer token for `key`.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// `value` without the mapping entries at `pointers`; `None` when one of them is the whole value
/// or an item of a list (taking it out would renumber what follows).
fn without(value: &Value, pointers: &[String]) -> Option<Value> {
    let mut out = value.clone();
    for p in pointers {
        let (parent, key) = p.rsplit_once('/')?;
        let key = key.replace("~1", "/").replace("~0", "~");
        match out.pointer_mut(parent) {
            Some(Value::Object(m)) => {
                m.remove(&key);
            }
            // Already taken out with its parent.
            None => {}
            Some(_) => return None,
        }
    }
    Some(out)
}

fn schema_message(e: &jsonschema::ValidationError<'_>, pointer: &str) -> String {
    use jsonschema::error::ValidationErrorKind as K;
    let field = if pointer.is_empty() {
        "the spec".to_string()
    } else {
        format!("`{}`", pointer.trim_start_matches('/').replace('/', "."))
    };
    match e.kind() {
        K::AdditionalProperties { unexpected } => {
            format!("unknown field `{}` in {field}", unexpected.join("`, `"))
        }
        K::Required { property } => format!("{field} is missing required field {property}"),
        _ => format!("{field}: {e}"),
    }
}

fn reference_problems(spec: &Spec, loc: &Locations) -> Vec<Problem> {
    let mut problems = Vec::new();
    let rules: Vec<&str> = crate::verify::practices::RULES
        .iter()
        .map(|(r, _)| *r)
        .collect();
    let unknown_rule = |r: &str| {
        format!(
            "unknown best-practice rule `{r}`; choose from: {}",
            rules.join(", ")
        )
    };
    for r in spec.verify.rules.keys() {
        if !rules.contains(&r.as_str()) {
            problems.push(at(loc, &format!("/verify/rules/{r}"), unknown_rule(r)));
        }
    }
    for (i, w) in spec.verify.waivers.iter().enumerate() {
        if !rules.contains(&w.rule.as_str()) {
            problems.push(at(
                loc,
                &format!("/verify/waivers/{i}/rule"),
                unknown_rule(&w.rule),
            ));
        }
        if w.expires.parse::<jiff::civil::Date>().is_err() {
            problems.push(at(
                loc,
                &format!("/verify/waivers/{i}/expires"),
                format!("`{}` is not a date (expected YYYY-MM-DD)", w.expires),
            ));
        }
    }
    for (name, env) in &spec.environments {
        if let Some(v) = &env.kubernetes_version {
            let mm = crate::schema::kubernetes::major_minor(v);
            if !crate::schema::kubernetes::available_versions().contains(&mm.as_str()) {
                problems.push(at(
                    loc,
                    &format!("/environments/{name}/kubernetesVersion"),
                    format!(
                        "no built-in schemas for Kubernetes {v}; choose from: {}",
                        crate::schema::kubernetes::available_versions().join(", ")
                    ),
                ));
            }
        }
    }
    let mut seen = HashSet::new();
    let names: Vec<&str> = spec.services.iter().map(|s| s.name.as_str()).collect();
    for (i, s) in spec.services.iter().enumerate() {
        if !seen.insert(s.name.as_str()) {
            problems.push(at(
                loc,
                &format!("/services/{i}/name"),
                format!("service `{}` is listed twice", s.name),
            ));
        }
        if s.tag.is_none() && s.digest.is_none() {
            problems.push(at(
                loc,
                &format!("/services/{i}"),
                format!(
                    "service `{}` has an image without tag or digest: add `tag:`{} or `digest:`",
                    s.name,
                    spec.base_image
                        .as_deref()
                        .map(|b| format!(" (its build on {b})"))
                        .unwrap_or_default()
                ),
            ));
        }
        if s.tag.as_deref() == Some("latest") {
            problems.push(at(
                loc,
                &format!("/services/{i}/tag"),
                format!("service `{}` uses the `latest` tag: pin its build", s.name),
            ));
        }
    }
    if let Some(b) = &spec.base_image
        && !b.contains(':')
        && !b.contains('@')
    {
        problems.push(at(
            loc,
            "/baseImage",
            format!("base image `{b}` has no tag or digest"),
        ));
    }
    if spec.base.is_none() && spec.chart.is_none() {
        problems.push(at(
            loc,
            "",
            "the spec names no base: add `base: {path: DIR}` (a kustomize directory) or `chart: {path: DIR}` (a Helm chart)".to_string(),
        ));
    }
    for (env, e) in &spec.environments {
        for svc in e.tags.keys() {
            if !names.contains(&svc.as_str()) {
                problems.push(at(
                    loc,
                    &format!("/environments/{env}/tags/{svc}"),
                    format!(
                        "environment `{env}` overrides the tag of unknown service `{svc}`; choose from: {}",
                        names.join(", ")
                    ),
                ));
            }
        }
    }
    let envs: Vec<&str> = spec.environments.keys().map(String::as_str).collect();
    let mut flag_names = HashSet::new();
    for (i, f) in spec.flags.iter().enumerate() {
        if !flag_names.insert(f.name.as_str()) {
            problems.push(at(
                loc,
                &format!("/flags/{i}/name"),
                format!("flag `{}` is listed twice", f.name),
            ));
        }
        let mut flagged = HashSet::new();
        for (j, s) in f.services.iter().enumerate() {
            if !names.contains(&s.as_str()) {
                problems.push(at(
                    loc,
                    &format!("/flags/{i}/services/{j}"),
                    format!(
                        "flag `{}` is aimed at unknown service `{s}`; choose from: {}",
                        f.name,
                        names.join(", ")
                    ),
                ));
            } else if !flagged.insert(s.as_str()) {
                problems.push(at(
                    loc,
                    &format!("/flags/{i}/services/{j}"),
                    format!("flag `{}` lists service `{s}` twice", f.name),
                ));
            }
        }
        for env in f.values.keys() {
            if !envs.contains(&env.as_str()) {
                problems.push(at(
                    loc,
                    &format!("/flags/{i}/values/{env}"),
                    format!(
                        "flag `{}` has a value for unknown environment `{env}`; choose from: {}",
                        f.name,
                        envs.join(", ")
                    ),
                ));
            }
        }
    }
    problems
}

/// Whether a spec-relative path stays inside the repository, lexically (no absolute path, no `..`
/// above the spec's directory). Symbolic links are resolved when writing ([`fsutil::contained`]).
fn stays_inside(p: &Path) -> bool {
    use std::path::Component;
    let mut depth: usize = 0;
    for c in p.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir if depth > 0 => depth -= 1,
            _ => return false,
        }
    }
    true
}

/// One place `generate` or `hydrate` writes (or reads as its input, which must not be written).
struct Output {
    path: PathBuf,
    /// A directory owned whole: nothing else may write inside it.
    dir: bool,
    /// Who writes it, for the message ("environment `base`").
    owner: String,
    /// Where in the spec it comes from.
    pointer: String,
}

fn outputs(spec: &Spec) -> Vec<Output> {
    use crate::generate::values::values_file;
    let layout = crate::layout::Layout::new(spec, ".", "");
    let mut out = Vec::new();
    if spec.chart.is_some() {
        out.push(Output {
            path: layout.base_dir().to_path_buf(),
            dir: true,
            owner: format!(
                "`rollout hydrate` (the hydrated base, {})",
                layout.base_dir().display()
            ),
            pointer: if spec.base.is_some() {
                "/base/path".into()
            } else {
                "/chart/path".into()
            },
        });
    } else {
        // A kustomize base is an input: no generated directory may hold it.
        out.push(Output {
            path: layout.base_dir().to_path_buf(),
            dir: false,
            owner: format!("the base ({}, an input)", layout.base_dir().display()),
            pointer: "/base/path".into(),
        });
    }
    for env in spec.environments.keys() {
        let pointer = format!("/environments/{env}");
        for rollback in [false, true] {
            out.push(Output {
                path: layout.overlay_dir(env, rollback),
                dir: true,
                owner: format!(
                    "environment `{env}`{}",
                    if rollback {
                        " (its rollback overlay)"
                    } else {
                        ""
                    }
                ),
                pointer: pointer.clone(),
            });
        }
        out.push(Output {
            path: layout.applications_dir(env),
            dir: true,
            owner: format!("environment `{env}` (its Applications)"),
            pointer: pointer.clone(),
        });
        // Application names share one namespace in Argo CD: `<namespace>-<env>[-rollback]`.
        let ns = &spec.environments[env].namespace;
        for (suffix, what) in [("", "Application"), ("-rollback", "rollback Application")] {
            out.push(Output {
                path: PathBuf::from(format!("Argo CD Application {ns}-{env}{suffix}")),
                dir: false,
                owner: format!("environment `{env}` (its {what})"),
                pointer: pointer.clone(),
            });
        }
    }
    let Some(chart) = &spec.chart else {
        return out;
    };
    for (i, svc) in spec.services.iter().enumerate() {
        let pointer = format!("/services/{i}/name");
        out.push(Output {
            path: chart.values_path(&svc.name),
            dir: false,
            owner: format!("service `{}` (its base values file, an input)", svc.name),
            pointer: pointer.clone(),
        });
        for env in spec.environments.keys() {
            out.push(Output {
                path: chart.path.join(values_file(&svc.name, env)),
                dir: false,
                owner: format!("service `{}` in environment `{env}`", svc.name),
                pointer: pointer.clone(),
            });
        }
    }
    out
}

/// Paths that leave the repository, and names whose outputs land on one path (an environment
/// called `base`, `X` next to `X-rollback`, two values files with one name): each would overwrite
/// or delete another's files.
fn path_problems(spec: &Spec, loc: &Locations) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut inside = |path: &Path, pointer: &str, what: &str| {
        if !stays_inside(path) {
            problems.push(at(
                loc,
                pointer,
                format!(
                    "{what} `{}` leaves the repository: give a directory inside it, relative to the spec",
                    path.display()
                ),
            ));
        }
    };
    inside(
        &spec.layout.overlays,
        "/layout/overlays",
        "overlays directory",
    );
    inside(&spec.layout.argocd, "/layout/argocd", "Argo CD directory");
    if let Some(chart) = &spec.chart {
        inside(&chart.path, "/chart/path", "chart path");
        if let Some(b) = &spec.base {
            inside(&b.path, "/base/path", "hydrated base path");
        }
    } else if let Some(b) = &spec.base
        && b.path.is_absolute()
    {
        // A plain kustomize base is only read: it may live beside the spec's directory, as long as
        // the overlay can name it by a relative path.
        problems.push(at(
            loc,
            "/base/path",
            format!(
                "base path `{}` is absolute: give it relative to the spec",
                b.path.display()
            ),
        ));
    }
    if !problems.is_empty() {
        return problems;
    }
    if let Some(v) = spec.chart.as_ref().and_then(|c| c.values_file.as_ref())
        && (!stays_inside(Path::new(v)) || v.contains('/'))
    {
        problems.push(at(
            loc,
            "/chart/valuesFile",
            format!("values file `{v}` must be a file name inside the chart directory"),
        ));
        return problems;
    }
    let outs = outputs(spec);
    let mut reported = HashSet::new();
    for (j, b) in outs.iter().enumerate() {
        for a in &outs[..j] {
            if a.owner == b.owner {
                continue;
            }
            let clash = a.path == b.path
                || (a.dir && b.path.starts_with(&a.path))
                || (b.dir && a.path.starts_with(&b.path));
            if clash && reported.insert((a.owner.clone(), b.owner.clone())) {
                let pos = loc
                    .key(&b.pointer)
                    .or_else(|| loc.nearest_value(&b.pointer))
                    .unwrap_or(Pos { line: 1, col: 1 });
                problems.push(Problem {
                    pos,
                    pointer: b.pointer.clone(),
                    message: format!(
                        "{} writes {}, which is also {}'s: the one would overwrite or delete the other's files; rename one of them",
                        b.owner,
                        b.path.display(),
                        a.owner
                    ),
                });
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_11_environment_names_that_collide_are_spec_errors() {
        let base = GOOD.replace("environments:\n  staging:", "environments:\n  base:");
        let e = err(&base.replace("      staging: \"1\"", "      base: \"1\""));
        assert!(e.contains("environment `base` writes overlays/base"), "{e}");
        assert!(e.contains("rollout.yaml:"), "{e}");

        let staging = GOOD.find("  staging:\n").unwrap();
        let block_end = GOOD[staging..].find("\nservices:").unwrap() + staging;
        let block = &GOOD[staging..block_end];
        let twin = block.replacen("  staging:", "  staging-rollback:", 1);
        let text = format!("{}\n{}{}", &GOOD[..block_end], twin, &GOOD[block_end..]);
        let e = err(&text);
        assert!(
            e.contains("environment `staging-rollback` writes overlays/staging-rollback, which is also environment `staging` (its rollback overlay)'s"),
            "{e}"
        );
    }

    #[test]
    fn issue_11_two_outputs_on_one_path_are_spec_errors() {
        // `values-auth-staging.yaml` is both auth's staging values and service auth-staging's input.
        let text = GOOD.replace("  - name: embedder\n", "  - name: auth-staging\n");
        let text = text.replace(
            "services: [auth, embedder]",
            "services: [auth, auth-staging]",
        );
        let e = err(&text);
        assert!(e.contains("values-auth-staging.yaml"), "{e}");
    }

    #[test]
    fn issue_11_two_environments_naming_one_argo_cd_application_are_a_spec_error() {
        let staging = GOOD.find("  staging:\n").unwrap();
        let block_end = GOOD[staging..].find("\nservices:").unwrap() + staging;
        let block = &GOOD[staging..block_end];
        let one = block
            .replacen("  staging:", "  b:", 1)
            .replace("namespace: media", "namespace: x-a");
        let two = block
            .replacen("  staging:", "  a-b:", 1)
            .replace("namespace: media", "namespace: x");
        let text = format!("{}\n{one}\n{two}{}", &GOOD[..block_end], &GOOD[block_end..]);
        let e = err(&text);
        assert!(e.contains("Argo CD Application x-a-b"), "{e}");
    }

    #[test]
    fn issue_11_chart_path_outside_the_repository_is_a_spec_error() {
        for bad in ["../victim", "/tmp/victim", "charts/../../victim"] {
            let text = GOOD.replace("path: charts/media-service", &format!("path: {bad}"));
            let e = err(&text);
            assert!(e.contains("leaves the repository"), "{bad}: {e}");
            assert!(e.contains("rollout.yaml:"), "{e}");
        }
    }

    const GOOD: &str = include_str!("../rollout.yaml");

    fn err(text: &str) -> String {
        parse(text, Path::new("rollout.yaml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn the_repo_spec_is_valid() {
        let spec = parse(GOOD, Path::new("rollout.yaml")).unwrap();
        assert_eq!(spec.services.len(), 3);
        assert_eq!(
            spec.flags_for("auth", "staging", false),
            vec![("ENABLE_EMBEDDING_EVENT_STREAMS", "1")]
        );
        assert_eq!(
            spec.flags_for("auth", "staging", true),
            vec![("ENABLE_EMBEDDING_EVENT_STREAMS", "0")]
        );
        assert!(
            spec.flags_for("media-clustering", "staging", false)
                .is_empty()
        );
        assert_eq!(spec.environments["staging"].namespace, "media");
    }

    #[test]
    fn unknown_field_points_at_the_key() {
        let text = GOOD.replace(
            "    tag: 1.9.0-python3.11-cpu",
            "    tag: 1.9.0-python3.11-cpu\n    replicas: 3",
        );
        let e = err(&text);
        assert!(
            e.contains("rollout.yaml:30:5: unknown field `replicas` in `services.1`"),
            "{e}"
        );
    }

    #[test]
    fn cross_reference_problems_have_positions() {
        let text = GOOD.replace("services: [auth, embedder]", "services: [auth, embeder]");
        let e = err(&text);
        assert!(e.contains("rollout.yaml:35:22: flag `ENABLE_EMBEDDING_EVENT_STREAMS` is aimed at unknown service `embeder`; choose from: auth, embedder, media-clustering"), "{e}");

        let text = GOOD.replace("  - name: embedder\n", "  - name: auth\n");
        assert!(err(&text).contains("service `auth` is listed twice"));

        let text = GOOD.replace("    tag: 2.14.0-python3.11-cpu\n", "");
        let e = err(&text);
        assert!(
            e.contains("rollout.yaml:24:5: service `auth` has an image without tag or digest"),
            "{e}"
        );
    }

    /// A schema problem does not hide the reference problems elsewhere in the file: both kinds come
    /// in one run, in file order, with no follow-on error for the value the schema refused.
    #[test]
    fn schema_and_reference_problems_come_together() {
        let text = GOOD
            .replace(
                "    tag: 1.9.0-python3.11-cpu",
                "    tag: 1.9.0-python3.11-cpu\n    replicas: 3",
            )
            .replace("services: [auth, embedder]", "services: [auth, embeder]");
        let e = err(&text);
        assert!(e.contains("unknown field `replicas`"), "{e}");
        assert!(e.contains("unknown service `embeder`"), "{e}");
        assert!(
            e.find("replicas").unwrap() < e.find("embeder").unwrap(),
            "{e}"
        );
        // The chart of the wrong shape is one problem, not also "names no base".
        let text = GOOD.replacen("chart:\n  path: charts/media-service", "chart: 3", 1);
        let e = err(&text);
        assert!(e.contains("`chart`"), "{e}");
        assert!(!e.contains("names no base"), "{e}");
        // A problem in a list item stops there: the references are not read without the item.
        let text = GOOD
            .replacen("  - name: embedder\n", "  - name: 7\n", 1)
            .replace("services: [auth, embedder]", "services: [auth, embeder]");
        let e = err(&text);
        assert!(!e.contains("embeder"), "{e}");
    }

    #[test]
    fn malformed_yaml_is_reported_with_position() {
        let e = err("apiVersion: x\nkind: [Rollout\n");
        assert!(e.starts_with("rollout.yaml:"), "{e}");
        assert!(e.contains("invalid YAML"), "{e}");
    }
}
