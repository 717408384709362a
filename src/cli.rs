//! Command-line definitions (clap types) only: no environment, no I/O, no work.
//!
//! Each subcommand's arguments are turned into options by `commands/<verb>.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Take a service change from git to a Kubernetes staging cluster with evidence at every step.
#[derive(Debug, Parser)]
#[command(name = "rollout", version, about, propagate_version = true)]
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
    /// Write the environment overlay (and rollback overlay) from rollout.yaml.
    Generate(GenerateArgs),
    /// Render each service's Helm chart into overlays/base/ with `helm template`.
    Hydrate(HydrateArgs),
    /// Print a built-in JSON Schema.
    Schema(SchemaArgs),
    /// Compare rendered manifests with live state; exit 1 when they differ.
    Diff(DiffArgs),
}

/// `rollout generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// The environment to generate (default: every environment in the spec).
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Write nothing; exit 1 with a diff when committed files differ from the spec.
    #[arg(long)]
    pub check: bool,
    /// Write the rollback overlay (flag "0") to overlays/<env>-rollback/ instead.
    #[arg(long)]
    pub rollback: bool,
}

/// `rollout hydrate`.
#[derive(Debug, Args)]
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
}

/// `rollout diff`.
#[derive(Debug, Args)]
#[command(args_override_self = true)]
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
    /// The environment to record in the evidence (e.g. staging).
    #[arg(long, value_name = "ENV")]
    pub environment: Option<String>,
    /// How long to wait for each API request (e.g. 30s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "30s",
          value_parser = rollout::duration::parse)]
    pub timeout: std::time::Duration,
    /// Colour the text diff: auto (terminal and no NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
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
