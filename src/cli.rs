//! Command-line definitions (clap types) only: no environment, no I/O, no work.
//!
//! Each subcommand's arguments are turned into options by `commands/<verb>.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Take a service change from git to a Kubernetes staging cluster with evidence at every step.
#[derive(Debug, Parser)]
#[command(name = "rollout", version, about, propagate_version = true)]
#[command(
    after_help = "Examples:\n  rollout verify\n  rollout generate --check\n  rollout diff overlays/staging --live-dir fixtures/live/staging\n  rollout completions bash"
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Global options shared by the commands that read the spec.
#[derive(Debug, Args, Clone)]
pub struct SpecArgs {
    /// The rollout spec to read.
    #[arg(long, value_name = "FILE", default_value = "rollout.yaml")]
    pub spec: PathBuf,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write overlays, rollback overlays, values and Argo CD Applications from rollout.yaml.
    Generate(GenerateArgs),
    /// Render each service's Helm chart into overlays/base/ with `helm template`.
    Hydrate(HydrateArgs),
    /// Build a kustomization directory with the built-in kustomize v5 engine.
    #[command(
        after_help = "Examples:\n  rollout render overlays/staging\n  rollout render overlays/staging -o /tmp/staging.yaml\n  rollout render overlays/staging --reorder none\n  rollout render overlays/staging --offline --load-restrictor LoadRestrictionsNone"
    )]
    Render(RenderArgs),
    /// Check manifests, dashboards, alerts, values and Applications (pre-merge gate).
    Verify(VerifyArgs),
    /// Compare rendered manifests with live state; exit 1 when they differ.
    Diff(DiffArgs),
    /// Every application's rendered diff between two git revisions, as a PR comment.
    Preview(PreviewArgs),
    /// Ask Argo CD to sync an Application and wait until it is Synced and Healthy.
    Sync(SyncArgs),
    /// Wait until the environment's workloads have rolled out and their pods are Ready.
    Status(StatusArgs),
    /// Write the rollback overlay (flag "0"); with --sync APP, hand it to Argo CD.
    Rollback(RollbackArgs),
    /// Bring one environment's images and flag values to another's (edits rollout.yaml).
    Promote(PromoteArgs),
    /// Write a commented rollout.yaml from an existing kustomize base or Helm chart.
    Init(InitArgs),
    /// Grafana dashboards: push them to Grafana.
    Dashboards(DashboardsArgs),
    /// Synthetic alerts inside an Alertmanager maintenance-window silence.
    Alerts(AlertsArgs),
    /// Assemble the staging validation report from the evidence files.
    Evidence(EvidenceArgs),
    /// Print a built-in JSON Schema.
    Schema(SchemaArgs),
    /// kustomize's command line (build, version, edit), for Argo CD and scripts.
    Kustomize(KustomizeArgs),
    /// List every local file and remote URL a kustomization build reads.
    Deps(DepsArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions(CompletionsArgs),
}

/// `rollout deps`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rollout deps overlays/staging\n  rollout deps overlays/staging --manifest-generate-paths"
)]
pub struct DepsArgs {
    /// The build to list, with render's flags (DIR, --load-restrictor, --enable-helm, --offline).
    #[command(flatten)]
    pub render: RenderArgs,
    /// Print Argo CD's `argocd.argoproj.io/manifest-generate-paths` annotation instead: the
    /// directories read, relative to DIR (`.` is DIR itself).
    #[arg(long)]
    pub manifest_generate_paths: bool,
}

/// `rollout completions`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rollout completions bash\n  rollout completions zsh\n  rollout completions fish"
)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `rollout kustomize` (also the binary invoked as `kustomize`).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rollout kustomize build overlays/staging\n  rollout kustomize version --short\n  rollout kustomize edit set image sploot/embedder:1.9.0-python3.11-cpu"
)]
pub struct KustomizeArgs {
    #[command(subcommand)]
    pub command: KustomizeCommand,
}

/// kustomize's subcommands.
#[derive(Debug, Subcommand)]
pub enum KustomizeCommand {
    /// Build a kustomization (as `rollout render`).
    #[command(
        after_help = "Examples:\n  rollout kustomize build overlays/staging\n  rollout kustomize build overlays/staging -o /tmp/staging.yaml\n  rollout kustomize build fixtures/kustomize/helm/basic --enable-helm --helm-command .tools/bin/helm"
    )]
    Build(RenderArgs),
    /// Print the kustomize release whose behaviour this engine matches.
    #[command(
        after_help = "Examples:\n  rollout kustomize version\n  rollout kustomize version --short"
    )]
    Version {
        /// Accepted for Argo CD (`kustomize version --short`); same output.
        #[arg(long)]
        short: bool,
    },
    /// Edit the kustomization in the current directory.
    #[command(
        after_help = "Examples:\n  rollout kustomize edit set image sploot/embedder:1.9.0-python3.11-cpu\n  rollout kustomize edit set namespace media\n  rollout kustomize edit add label team:media"
    )]
    Edit {
        #[command(subcommand)]
        command: EditCommand,
    },
}

/// `kustomize edit`.
#[derive(Debug, Subcommand)]
pub enum EditCommand {
    /// Set a field.
    #[command(
        after_help = "Examples:\n  rollout kustomize edit set image sploot/embedder:1.9.0-python3.11-cpu\n  rollout kustomize edit set namespace media\n  rollout kustomize edit set replicas auth=3"
    )]
    Set {
        #[command(subcommand)]
        what: EditSet,
    },
    /// Add to a field.
    #[command(
        after_help = "Examples:\n  rollout kustomize edit add label team:media\n  rollout kustomize edit add annotation owner:platform\n  rollout kustomize edit add resource pdb.yaml"
    )]
    Add {
        #[command(subcommand)]
        what: EditAdd,
    },
}

/// `kustomize edit set`.
#[derive(Debug, Subcommand)]
pub enum EditSet {
    /// Images: `[<name>=]<newName>[:<tag>][@<digest>]`.
    #[command(
        after_help = "Examples:\n  rollout kustomize edit set image sploot/embedder:1.9.0-python3.11-cpu\n  rollout kustomize edit set image sploot/auth-service=registry.sploot.io/auth-service:2.14.0-python3.11-cpu\n  rollout kustomize edit set image sploot/embedder=*:1.10.0-python3.11-cpu"
    )]
    Image {
        #[arg(required = true, value_name = "IMAGE")]
        images: Vec<String>,
    },
    /// The namespace.
    #[command(
        after_help = "Examples:\n  rollout kustomize edit set namespace media\n  rollout kustomize edit set namespace media-staging"
    )]
    Namespace {
        #[arg(value_name = "NAMESPACE", allow_hyphen_values = true)]
        value: String,
    },
    /// The name prefix.
    #[command(
        after_help = "Examples:\n  rollout kustomize edit set nameprefix staging-\n  rollout kustomize edit set nameprefix team-a-"
    )]
    Nameprefix {
        #[arg(value_name = "PREFIX", allow_hyphen_values = true)]
        value: String,
    },
    /// The name suffix.
    #[command(
        after_help = "Examples:\n  rollout kustomize edit set namesuffix -v2\n  rollout kustomize edit set namesuffix -- -canary"
    )]
    Namesuffix {
        #[arg(value_name = "SUFFIX", allow_hyphen_values = true)]
        value: String,
    },
    /// Replica counts: `<name>=<count>`.
    #[command(
        after_help = "Examples:\n  rollout kustomize edit set replicas auth=3\n  rollout kustomize edit set replicas auth=3 embedder=2"
    )]
    Replicas {
        #[arg(required = true, value_name = "NAME=COUNT")]
        replicas: Vec<String>,
    },
}

/// `kustomize edit add`.
#[derive(Debug, Subcommand)]
pub enum EditAdd {
    /// Labels `key:value` (commonLabels; with --without-selector, `labels`).
    #[command(
        after_help = "Examples:\n  rollout kustomize edit add label team:media\n  rollout kustomize edit add label team:media --force\n  rollout kustomize edit add label env:staging --without-selector --include-templates"
    )]
    Label {
        #[arg(required = true, value_name = "KEY:VALUE")]
        pairs: Vec<String>,
        /// Overwrite labels that exist.
        #[arg(short, long)]
        force: bool,
        /// Leave selectors alone (`labels` with includeSelectors false).
        #[arg(long = "without-selector")]
        without_selector: bool,
        /// With --without-selector: label pod templates too.
        #[arg(long = "include-templates")]
        include_templates: bool,
    },
    /// Annotations `key:value` (commonAnnotations).
    #[command(
        after_help = "Examples:\n  rollout kustomize edit add annotation owner:platform\n  rollout kustomize edit add annotation owner:platform-team --force"
    )]
    Annotation {
        #[arg(required = true, value_name = "KEY:VALUE")]
        pairs: Vec<String>,
        /// Overwrite annotations that exist.
        #[arg(short, long)]
        force: bool,
    },
    /// Components.
    #[command(
        after_help = "Examples:\n  rollout kustomize edit add component ../components/flags\n  rollout kustomize edit add component ../components/flags ../components/probes"
    )]
    Component {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<String>,
    },
    /// Resources.
    #[command(
        after_help = "Examples:\n  rollout kustomize edit add resource pdb.yaml\n  rollout kustomize edit add resource ../base service-monitor.yaml"
    )]
    Resource {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<String>,
    },
}

/// `rollout render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The kustomization directory to build.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Write the YAML stream to FILE (atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output order when the kustomization has no `sortOptions` (deprecated in kustomize too):
    /// `legacy` (kind order, the default) or `none` (input order).
    #[arg(long, value_name = "ORDER", value_parser = ["legacy", "none"])]
    pub reorder: Option<String>,
    /// `LoadRestrictionsRootOnly` (default: no file outside the kustomization root is read) or
    /// `LoadRestrictionsNone`.
    #[arg(
        long = "load-restrictor",
        value_name = "RESTRICTOR",
        default_value = "LoadRestrictionsRootOnly",
        value_parser = ["LoadRestrictionsRootOnly", "LoadRestrictionsNone"]
    )]
    pub load_restrictor: String,
    /// Add the managed-by label to every resource (deprecated as in kustomize).
    #[arg(long = "enable-managedby-label")]
    pub enable_managedby_label: bool,
    #[command(flatten)]
    pub helm: HelmArgs,
    /// Use only cached remote bases, files and charts; never touch the network.
    #[arg(long)]
    pub offline: bool,
    /// Resolve every remote ref afresh and write kustomization.lock.json next to DIR's
    /// kustomization (without it, a lock file there pins the build).
    #[arg(long)]
    pub lock: bool,
}

/// kustomize's helm flags (`helmCharts` render only with `--enable-helm`).
#[derive(Debug, Args, Clone, Default)]
pub struct HelmArgs {
    /// Render `helmCharts` with helm (kustomize's HelmChartInflationGenerator).
    #[arg(long = "enable-helm")]
    pub enable_helm: bool,
    /// The helm binary (default: `helm` on PATH).
    #[arg(long = "helm-command", value_name = "PATH")]
    pub helm_command: Option<PathBuf>,
    /// Kubernetes version for helm's Capabilities.KubeVersion (overrides charts').
    #[arg(long = "helm-kube-version", value_name = "VERSION")]
    pub helm_kube_version: Option<String>,
    /// An API version for helm's Capabilities.APIVersions (repeatable).
    #[arg(long = "helm-api-versions", value_name = "GV")]
    pub helm_api_versions: Vec<String>,
    /// Pass --debug to helm.
    #[arg(long = "helm-debug")]
    pub helm_debug: bool,
}

/// `rollout generate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rollout generate\n  rollout generate --check\n  rollout generate --rollback --env staging\n  rollout generate --env dev --spec examples/shop/deploy/rollout.yaml"
)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// The environment to generate (default: every environment in the spec).
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Write nothing; exit 1 with a diff when committed files differ from the spec.
    #[arg(long)]
    pub check: bool,
    /// Write only the rollback overlay (flag "0") to overlays/<env>-rollback/.
    #[arg(long)]
    pub rollback: bool,
}

/// `rollout hydrate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rollout hydrate --helm .tools/bin/helm\n  rollout hydrate --check\n  rollout hydrate --spec deploy/rollout.yaml"
)]
pub struct HydrateArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Write nothing; exit 1 with a diff when overlays/base/ differs from the charts.
    #[arg(long)]
    pub check: bool,
    /// The helm binary to run (default: $HELM_BIN, then `helm` on PATH).
    #[arg(long, value_name = "PATH", env = "HELM_BIN")]
    pub helm: Option<PathBuf>,
}

/// `rollout schema`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rollout schema spec\n  rollout schema grafana-dashboard\n  rollout schema alertmanager-alerts"
)]
pub struct SchemaArgs {
    /// Which schema to print.
    #[arg(value_enum)]
    pub which: SchemaKind,
}

/// The built-in schemas `rollout schema` can print.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SchemaKind {
    /// The rollout.yaml spec.
    Spec,
    /// Grafana dashboard (classic JSON model).
    GrafanaDashboard,
    /// Alertmanager POST /api/v2/alerts body.
    AlertmanagerAlerts,
}

/// How to reach Argo CD and how to sync and wait (shared by `sync` and `rollback --sync`).
#[derive(Debug, Args, Clone)]
pub struct ArgoArgs {
    /// Argo CD server, URL or host[:port] (default: $ARGOCD_SERVER).
    #[arg(long, value_name = "URL", env = "ARGOCD_SERVER")]
    pub server: Option<String>,
    /// Read the API token from FILE (default: $ARGOCD_AUTH_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Sync to this git revision instead of the Application's targetRevision.
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,
    /// Delete resources that are no longer in git.
    #[arg(long)]
    pub prune: bool,
    /// Ask Argo CD for a dry run; succeed when the dry-run operation does.
    #[arg(long)]
    pub dry_run: bool,
    /// Per-sync option passed to Argo CD, e.g. ApplyOutOfSyncOnly=true (repeatable).
    #[arg(long = "sync-option", value_name = "OPT")]
    pub sync_options: Vec<String>,
    /// Give up (exit 1) when not Synced and Healthy after this long.
    #[arg(long, value_name = "DURATION", default_value = "10m",
          value_parser = rollout::duration::parse)]
    pub timeout: std::time::Duration,
    /// Time between two status polls.
    #[arg(long, value_name = "DURATION", default_value = "2s",
          value_parser = rollout::duration::parse)]
    pub poll_interval: std::time::Duration,
    /// Skip TLS certificate verification (not recommended).
    #[arg(long)]
    pub insecure: bool,
    /// Fail at once when another operation is running, instead of waiting for it.
    #[arg(long)]
    pub no_wait_for_operation: bool,
    /// Tolerate a Degraded health this long after the sync succeeded (default 1m).
    #[arg(long, value_name = "DURATION", value_parser = rollout::duration::parse)]
    pub degraded_grace: Option<std::time::Duration>,
    /// Write evidence of the sync to FILE (Markdown if it ends in .md, else JSON).
    #[arg(long, value_name = "FILE")]
    pub evidence: Option<PathBuf>,
}

/// `rollout sync`.
#[derive(Debug, Args)]
#[command(args_override_self = true)]
#[command(
    after_help = "Examples:\n  rollout sync media-staging --server argocd.staging.sploot.internal --evidence evidence/argocd-sync.json\n  rollout sync media-staging --dry-run --timeout 5m\n  rollout sync media-staging --revision main --prune --sync-option ApplyOutOfSyncOnly=true\n  rollout sync media-staging --kubeconfig ~/.kube/staging --degraded-grace 2m"
)]
pub struct SyncArgs {
    /// The Argo CD Application to sync, e.g. media-staging.
    #[arg(value_name = "APP")]
    pub app: String,
    #[command(flatten)]
    pub argo: ArgoArgs,
    #[command(flatten)]
    pub workloads: WorkloadCheckArgs,
}

/// After Synced, `rollout sync` waits for the spec's workloads as `rollout status` does, when
/// cluster access is configured (`--kubeconfig`, `--context` or $KUBECONFIG).
#[derive(Debug, Args, Clone)]
pub struct WorkloadCheckArgs {
    /// The rollout spec naming the workloads to check after Synced.
    #[arg(long, value_name = "FILE", default_value = "rollout.yaml")]
    pub spec: PathBuf,
    /// The environment the Application deploys (default: from its name, <namespace>-<env>).
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Kubeconfig file for the workload check (default: $KUBECONFIG).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context for the workload check (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Trust Argo CD's health alone: no workload check after Synced.
    #[arg(long)]
    pub no_workload_check: bool,
}

/// `rollout rollback`.
#[derive(Debug, Args)]
#[command(args_override_self = true)]
#[command(
    after_help = "Examples:\n  rollout rollback --env staging\n  rollout rollback --env staging --sync media-staging-rollback --evidence rollback.json\n  rollout rollback --env staging --sync media-staging-rollback --server argocd.staging.sploot.internal --timeout 5m"
)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// The environment to roll back (default: the spec's only environment).
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// After writing the overlay, sync this Application (it must deploy overlays/ENV-rollback).
    #[arg(long, value_name = "APP")]
    pub sync: Option<String>,
    #[command(flatten)]
    pub argo: ArgoArgs,
}

/// `rollout promote`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rollout promote dev production\n  rollout promote staging production --spec deploy/rollout.yaml"
)]
pub struct PromoteArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// The environment whose images and flag values are promoted.
    #[arg(value_name = "FROM")]
    pub from: String,
    /// The environment that takes them.
    #[arg(value_name = "TO")]
    pub to: String,
}

/// `rollout init`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rollout init --base k8s/base\n  rollout init --chart charts/api --spec deploy/rollout.yaml"
)]
pub struct InitArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// A kustomize base directory to read (relative to the current directory).
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "chart",
        required_unless_present = "chart"
    )]
    pub base: Option<PathBuf>,
    /// A Helm chart directory to read (rendered with `helm template`).
    #[arg(long, value_name = "DIR")]
    pub chart: Option<PathBuf>,
    /// The first environment's name.
    #[arg(long, value_name = "ENV", default_value = "dev")]
    pub env: String,
    /// Its namespace (default: the base's, else the rollout's name).
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// The helm binary for --chart (default: $HELM_BIN, then `helm` on PATH).
    #[arg(long, value_name = "PATH", env = "HELM_BIN")]
    pub helm: Option<PathBuf>,
}

/// `rollout dashboards`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rollout dashboards push --dry-run\n  rollout dashboards push --grafana-url https://grafana.staging.sploot.internal --folder-uid media"
)]
pub struct DashboardsArgs {
    #[command(subcommand)]
    pub command: DashboardsCommand,
}

/// The `rollout dashboards` subcommands.
#[derive(Debug, Subcommand)]
pub enum DashboardsCommand {
    /// Validate dashboards and save them to Grafana (POST /api/dashboards/db).
    Push(DashboardsPushArgs),
    /// Restore an earlier saved version of a dashboard (Grafana versions API).
    Restore(DashboardsRestoreArgs),
}

/// `rollout dashboards restore`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rollout dashboards restore media-clustering-streams --previous\n  rollout dashboards restore media-clustering-streams --version 3 --dry-run",
    disable_version_flag = true,
    group(clap::ArgGroup::new("which").required(true).args(["version", "previous"]))
)]
pub struct DashboardsRestoreArgs {
    /// The dashboard's uid.
    pub uid: String,
    /// Restore this saved version.
    #[arg(long, value_name = "N")]
    pub version: Option<i64>,
    /// Restore the version our last push replaced (else the latest minus one).
    #[arg(long)]
    pub previous: bool,
    /// Grafana base URL.
    #[arg(long, value_name = "URL", env = "GRAFANA_URL")]
    pub grafana_url: Option<String>,
    /// Read the API token from this file (default: $GRAFANA_API_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// List the versions and show the restore request; do not send it.
    #[arg(long)]
    pub dry_run: bool,
    /// Evidence file (default: evidence/dashboards-restore.json).
    #[arg(long, value_name = "FILE")]
    pub evidence: Option<PathBuf>,
}

/// `rollout dashboards push`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rollout dashboards push --dry-run\n  rollout dashboards push --grafana-url https://grafana.staging.sploot.internal --folder-uid media --message \"staging rollout\"\n  rollout dashboards push dashboards/media-clustering-redis-streams.json --token-file grafana.token --overwrite"
)]
pub struct DashboardsPushArgs {
    /// Dashboard files to push (default: every dashboards/*.json).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Grafana base URL.
    #[arg(long, value_name = "URL", env = "GRAFANA_URL")]
    pub grafana_url: Option<String>,
    /// Read the API token from this file (default: $GRAFANA_API_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Save into this folder (default: General).
    #[arg(long, value_name = "UID")]
    pub folder_uid: Option<String>,
    /// Replace a dashboard with the same uid or name even if it changed.
    #[arg(long)]
    pub overwrite: bool,
    /// Version-history message.
    #[arg(long, value_name = "M")]
    pub message: Option<String>,
    /// Validate and show the request; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Evidence file (default: evidence/dashboards-push.json).
    #[arg(long, value_name = "FILE")]
    pub evidence: Option<PathBuf>,
}

/// `rollout alerts`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rollout alerts fire --alertmanager-url \"$ALERTMANAGER_URL\" --environment staging\n  rollout alerts quiet --alertmanager-url \"$ALERTMANAGER_URL\" --environment staging"
)]
pub struct AlertsArgs {
    #[command(subcommand)]
    pub command: AlertsCommand,
}

/// The `rollout alerts` subcommands.
#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Silence, post and confirm the synthetic alerts in alerts/.
    Fire(AlertsFireArgs),
    /// Resolve the synthetic alerts and expire their silence.
    Quiet(AlertsQuietArgs),
    /// Show the receivers each alert reaches through an Alertmanager routing tree.
    Routes(AlertsRoutesArgs),
}

/// `rollout alerts routes`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rollout alerts routes --config alertmanager.yml\n  rollout alerts routes --config alertmanager.yml --alerts alerts/embedder.json --output json"
)]
pub struct AlertsRoutesArgs {
    /// The Alertmanager config whose `route:` tree is walked.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Alert payload files (JSON, alerts with `labels`; default: alerts/*.json).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub alerts: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RoutesFormat::Text)]
    pub output: RoutesFormat,
}

/// `alerts routes --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoutesFormat {
    Text,
    Json,
}

/// Options shared by `alerts fire` and `alerts quiet`.
#[derive(Debug, Args, Clone)]
pub struct AlertmanagerArgs {
    /// Alertmanager base URL.
    #[arg(long, value_name = "URL", env = "ALERTMANAGER_URL")]
    pub alertmanager_url: String,
    /// The environment label the alerts carry (e.g. staging).
    #[arg(long, value_name = "ENV")]
    pub environment: String,
    /// Directory of alert payloads.
    #[arg(long, value_name = "DIR", default_value = "alerts")]
    pub alerts_dir: PathBuf,
    /// Validate and show what would be sent; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Evidence file (default: evidence/alerts-fire.json or alerts-quiet.json).
    #[arg(long, value_name = "FILE")]
    pub evidence: Option<PathBuf>,
    /// Time to confirm silence and alerts, e.g. 15s, 2m; a bare number is seconds.
    #[arg(long, value_name = "DURATION", default_value = "15s",
          value_parser = rollout::duration::parse_or_seconds)]
    pub confirm_timeout: std::time::Duration,
}

/// `rollout alerts fire`.
#[derive(Debug, Args)]
#[command(args_override_self = true)]
#[command(
    after_help = "Examples:\n  rollout alerts fire --alertmanager-url \"$ALERTMANAGER_URL\" --environment staging\n  rollout alerts fire --alertmanager-url \"$ALERTMANAGER_URL\" --environment staging --window 10m --evidence evidence/alerts-fire.json\n  rollout alerts fire --alertmanager-url \"$ALERTMANAGER_URL\" --environment staging --dry-run"
)]
pub struct AlertsFireArgs {
    #[command(flatten)]
    pub am: AlertmanagerArgs,
    /// Length of the maintenance window (silence and alerts), e.g. 5m.
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub window: String,
}

/// `rollout alerts quiet`.
#[derive(Debug, Args)]
#[command(args_override_self = true)]
#[command(
    after_help = "Examples:\n  rollout alerts quiet --alertmanager-url \"$ALERTMANAGER_URL\" --environment staging\n  rollout alerts quiet --alertmanager-url \"$ALERTMANAGER_URL\" --environment staging --fire-evidence evidence/alerts-fire.json"
)]
pub struct AlertsQuietArgs {
    #[command(flatten)]
    pub am: AlertmanagerArgs,
    /// Also expire this silence (ours are found by their matchers).
    #[arg(long, value_name = "ID")]
    pub silence_id: Option<String>,
    /// Also expire the silence of this `alerts fire` evidence file.
    #[arg(long, value_name = "FILE")]
    pub fire_evidence: Option<PathBuf>,
}

/// `rollout evidence`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
#[command(
    after_help = "Examples:\n  rollout evidence --out docs/validation-results/staging-2026-11-27.md\n  rollout evidence --output json\n  rollout evidence redis --url redis://127.0.0.1:6379 --stream embedding-events --group clusterer\n  rollout evidence metrics --prometheus-url http://127.0.0.1:9090 --from now-30m"
)]
pub struct EvidenceArgs {
    /// Record evidence from a live system instead of assembling the report.
    #[command(subcommand)]
    pub command: Option<EvidenceCommand>,
    /// Write the report here (default: stdout).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = EvidenceFormat::Md)]
    pub output: EvidenceFormat,
    /// Directory holding the evidence files.
    #[arg(long, value_name = "DIR", default_value = "evidence")]
    pub evidence_dir: PathBuf,
    /// The rollout spec giving the title and hand-added items (used when it exists).
    #[arg(long, value_name = "FILE", default_value = "rollout.yaml")]
    pub spec: PathBuf,
}

/// `rollout evidence` subcommands that record evidence.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Record a Redis Stream's backlog before and after; exit 1 when it grew.
    Redis(EvidenceRedisArgs),
    /// Evaluate the dashboard's Prometheus queries over a window, with a chart per panel.
    Metrics(EvidenceMetricsArgs),
}

/// `rollout evidence metrics`.
#[derive(Debug, Args)]
#[command(args_override_self = true)]
#[command(
    after_help = "Examples:\n  rollout evidence metrics --prometheus-url http://127.0.0.1:9090 --from now-30m\n  rollout evidence metrics --prometheus-url http://127.0.0.1:9090 --from 2026-11-27T10:00:00Z --to 2026-11-27T10:30:00Z --step 30s\n  rollout evidence metrics --prometheus-url http://127.0.0.1:9090 --from now-1h --dashboard dashboards/media-clustering-redis-streams.json --var namespace=media"
)]
pub struct EvidenceMetricsArgs {
    /// Prometheus base URL.
    #[arg(long, value_name = "URL")]
    pub prometheus_url: String,
    /// Start of the window: RFC 3339, now or now-30m.
    #[arg(long, value_name = "T1")]
    pub from: String,
    /// End of the window (default: now).
    #[arg(long, value_name = "T2", default_value = "now")]
    pub to: String,
    /// The dashboard (default: the only dashboards/*.json).
    #[arg(long, value_name = "FILE")]
    pub dashboard: Option<PathBuf>,
    /// Query resolution (default: the window / 100, at least 1s).
    #[arg(long, value_name = "DURATION", value_parser = rollout::duration::parse)]
    pub step: Option<std::time::Duration>,
    /// Prometheus' scrape interval, for $__rate_interval.
    #[arg(long, value_name = "DURATION", default_value = "15s",
          value_parser = rollout::duration::parse)]
    pub scrape_interval: std::time::Duration,
    /// A template variable's value, NAME=VALUE (repeatable; default: its current value).
    #[arg(long = "var", value_name = "NAME=VALUE", action = clap::ArgAction::Append)]
    pub vars: Vec<String>,
    /// Timeout of each request.
    #[arg(long, value_name = "DURATION", default_value = "30s",
          value_parser = rollout::duration::parse)]
    pub timeout: std::time::Duration,
    /// Evidence file (default: evidence/metrics.json; charts beside it in metrics/).
    #[arg(long, value_name = "FILE")]
    pub evidence: Option<PathBuf>,
}

/// `rollout evidence redis`.
#[derive(Debug, Args)]
#[command(args_override_self = true)]
#[command(
    after_help = "Examples:\n  rollout evidence redis --url redis://127.0.0.1:6379 --stream embedding-events --group clusterer\n  rollout evidence redis --url redis://127.0.0.1:6379 --stream embedding-events --group clusterer --watch 5m --every 10s --max-growth 5\n  rollout evidence redis --url redis://redis.staging.sploot.internal:6379 --password-file redis.password --stream embedding-events --group clusterer"
)]
pub struct EvidenceRedisArgs {
    /// Redis URL: redis://[user:password@]HOST:PORT[/DB].
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The stream.
    #[arg(long, value_name = "NAME")]
    pub stream: String,
    /// A consumer group to judge (repeatable).
    #[arg(long, value_name = "NAME", required = true, action = clap::ArgAction::Append)]
    pub group: Vec<String>,
    /// Read the password from this file (wins over the URL's).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Sample for this long (default: one sample, compared with the previous run's).
    #[arg(long, value_name = "DURATION", value_parser = rollout::duration::parse)]
    pub watch: Option<std::time::Duration>,
    /// Time between samples with --watch.
    #[arg(long, value_name = "DURATION", default_value = "10s",
          value_parser = rollout::duration::parse)]
    pub every: std::time::Duration,
    /// Largest allowed growth of a group's backlog (pending + lag).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub max_growth: i64,
    /// Timeout of the connection and of each command.
    #[arg(long, value_name = "DURATION", default_value = "10s",
          value_parser = rollout::duration::parse)]
    pub timeout: std::time::Duration,
    /// Evidence file (default: evidence/redis-backlog.json).
    #[arg(long, value_name = "FILE")]
    pub evidence: Option<PathBuf>,
}

/// Formats of `rollout evidence`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum EvidenceFormat {
    /// Markdown, for docs/validation-results/.
    Md,
    /// JSON.
    Json,
}

/// `rollout verify`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  rollout verify\n  rollout verify overlays/staging --policy strict --kubernetes-version 1.33\n  rollout verify --output sarif\n  rollout verify dashboards/media-clustering-redis-streams.json --type dashboard"
)]
pub struct VerifyArgs {
    /// Files or directories to verify (default: the whole repo).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Unknown fields and duplicate keys fail, as kubeconform -strict (the default).
    #[arg(long, overrides_with = "no_strict")]
    pub strict: bool,
    /// Accept unknown fields and duplicate keys (last wins, with a warning).
    #[arg(long, overrides_with = "strict")]
    pub no_strict: bool,
    /// Kubernetes version of the built-in schemas.
    #[arg(long, value_name = "VERSION", default_value = "1.34")]
    pub kubernetes_version: String,
    /// A file of CustomResourceDefinitions to validate custom resources with.
    #[arg(long, value_name = "PATH")]
    pub crd: Vec<PathBuf>,
    /// A kubeconform-style schema directory or path template.
    #[arg(long, value_name = "DIR|TEMPLATE")]
    pub schema_location: Vec<String>,
    /// Fail on objects no schema knows (default: a warning).
    #[arg(long)]
    pub require_schemas: bool,
    /// Take every input as this type instead of recognising it.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub input_type: Option<InputType>,
    /// Best-practice rules (pinned images, resources, probes, privilege, selectors, PDBs,
    /// references): warnings, errors, or not checked.
    /// (Default: the spec's `verify.policy`, else warn.)
    #[arg(long, value_enum)]
    pub policy: Option<PolicyLevel>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: VerifyOutput,
}

/// `rollout verify --policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PolicyLevel {
    /// Best-practice findings are warnings.
    Warn,
    /// Best-practice findings are errors.
    Strict,
    /// Best-practice rules are not checked.
    Off,
}

/// What `--type` can force an input to be taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputType {
    /// Kubernetes objects.
    Manifests,
    /// A kustomization directory (rendered first).
    Kustomization,
    /// A Grafana dashboard.
    Dashboard,
    /// An array of Alertmanager alerts.
    Alerts,
    /// Helm chart values.
    Values,
    /// Argo CD Applications.
    Argocd,
    /// A rollout spec (rollout.yaml).
    Spec,
    /// An Alertmanager configuration (alertmanager.yml).
    AlertmanagerConfig,
}

/// `rollout verify --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyOutput {
    /// Grouped by file, with file:line:col and a summary line.
    Text,
    /// One JSON document.
    Json,
    /// JUnit XML.
    Junit,
    /// GitHub Actions annotations.
    Github,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
}

/// `rollout preview`.
#[derive(Debug, Args)]
#[command(args_override_self = true)]
#[command(
    after_help = "Examples:\n  rollout preview --base origin/main\n  rollout preview --base origin/main --head HEAD --output json --out preview.json\n  rollout preview --base main --output text --verify\n  rollout preview --base origin/main --out comment.md --max-chars 1000000"
)]
pub struct PreviewArgs {
    /// The revision the change goes into (branch, tag or commit).
    #[arg(long, value_name = "REF")]
    pub base: String,
    /// The revision with the change: a ref, or `worktree` for the files as they are now.
    #[arg(long, value_name = "REF|worktree", default_value = "worktree")]
    pub head: String,
    /// Output format: the PR comment, JSON for bots, or text for a terminal.
    #[arg(long, value_enum, default_value_t = PreviewFormat::Markdown)]
    pub output: PreviewFormat,
    /// Write the output to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also show `verify` findings the change introduces.
    #[arg(long, overrides_with = "no_verify")]
    pub verify: bool,
    /// Do not run verify (the default).
    #[arg(long, overrides_with = "verify")]
    pub no_verify: bool,
    /// A directory inside the git repository to preview.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// Another URL of this repository in `repoURL`s (besides its remotes; repeatable).
    #[arg(long, value_name = "URL")]
    pub repo_url: Vec<String>,
    /// Longest Markdown comment, in characters (GitHub: 65536; GitLab: 1000000).
    #[arg(long, value_name = "N", default_value_t = 65_536)]
    pub max_chars: usize,
}

/// `rollout preview --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PreviewFormat {
    /// A pull-request comment: summary table and one collapsible diff per application.
    Markdown,
    /// Every application's status, counts and structured changes.
    Json,
    /// Summary lines and unified diffs.
    Text,
}

/// `rollout diff`.
#[derive(Debug, Args)]
#[command(args_override_self = true)]
#[command(
    after_help = "Examples:\n  rollout diff overlays/staging --live-dir fixtures/live/staging\n  rollout diff overlays/staging --live-dir fixtures/live/staging --output json\n  rollout diff overlays/staging --context staging --evidence evidence/flag-diff.md --evidence-json evidence/flag-diff.json\n  rollout diff overlays/staging --live-dir fixtures/live/staging --ignore Deployment:/spec/replicas"
)]
pub struct DiffArgs {
    /// The overlay directory (or a pre-rendered YAML file) to compare.
    #[arg(value_name = "DIR")]
    pub target: PathBuf,
    /// Read live state from `kubectl get -o yaml` files in DIR.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["kubeconfig", "context"])]
    pub live_dir: Option<PathBuf>,
    /// Kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: its current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Report live objects with these labels that are not rendered.
    #[arg(long, value_name = "LABELS")]
    pub prune_selector: Option<String>,
    /// Ignore a field: KIND:POINTER or GROUP/KIND:POINTER (repeatable).
    #[arg(long, value_name = "KIND:POINTER")]
    pub ignore: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub output: DiffFormat,
    /// Write Markdown evidence (flag, images, unexpected changes, diff).
    #[arg(long, value_name = "FILE.md")]
    pub evidence: Option<PathBuf>,
    /// Write the same evidence as JSON (read by `rollout evidence`).
    #[arg(long, value_name = "FILE.json")]
    pub evidence_json: Option<PathBuf>,
    /// The environment to record in the evidence (default: from the overlay's name).
    #[arg(long, value_name = "ENV")]
    pub environment: Option<String>,
    /// The rollout spec giving the flag, ignore rules and environments (used when it exists).
    #[arg(long, value_name = "FILE", default_value = "rollout.yaml")]
    pub spec: PathBuf,
    /// How long to wait for each API request (e.g. 30s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "30s",
          value_parser = rollout::duration::parse)]
    pub timeout: std::time::Duration,
    /// Colour the text diff: auto (terminal and no NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `rollout status`.
#[derive(Debug, Args)]
#[command(args_override_self = true)]
#[command(
    after_help = "Examples:\n  rollout status --env staging\n  rollout status --env staging --context staging --timeout 10m\n  rollout status --spec examples/shop/deploy/rollout.yaml --evidence evidence/rollout-status.json"
)]
pub struct StatusArgs {
    /// The environment (default: the spec's only environment).
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// The rollout spec naming the workloads.
    #[arg(long, value_name = "FILE", default_value = "rollout.yaml")]
    pub spec: PathBuf,
    /// Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// How long to wait for every workload to roll out (e.g. 5m, 90s).
    #[arg(long, value_name = "DURATION", default_value = "5m",
          value_parser = rollout::duration::parse)]
    pub timeout: std::time::Duration,
    /// How long to wait for each API request.
    #[arg(long, value_name = "DURATION", default_value = "30s",
          value_parser = rollout::duration::parse)]
    pub request_timeout: std::time::Duration,
    /// Evidence file (default: evidence/rollout-status.json).
    #[arg(long, value_name = "FILE")]
    pub evidence: Option<PathBuf>,
}

/// `rollout diff --output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Unified diff per object.
    Text,
    /// Structured changes (path, before, after).
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}
