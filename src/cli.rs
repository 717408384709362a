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
    /// Check manifests, dashboards, alerts, values and Applications (pre-merge gate).
    Verify(VerifyArgs),
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

/// `rollout verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Files or directories to verify (default: the whole repo).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Unknown fields fail, as kubeconform -strict (the default).
    #[arg(long, overrides_with = "no_strict")]
    pub strict: bool,
    /// Accept unknown fields.
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
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub output: VerifyOutput,
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
}
