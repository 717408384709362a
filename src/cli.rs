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
    /// Ask Argo CD to sync an Application and wait until it is Synced and Healthy.
    Sync(SyncArgs),
    /// Write the rollback overlay (flag "0"); with --sync APP, hand it to Argo CD.
    Rollback(RollbackArgs),
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
    /// Write only the rollback overlay (flag "0") to overlays/<env>-rollback/.
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
          value_parser = rollout::argocd::sync::parse_duration)]
    pub timeout: std::time::Duration,
    /// Time between two status polls.
    #[arg(long, value_name = "DURATION", default_value = "2s",
          value_parser = rollout::argocd::sync::parse_duration)]
    pub poll_interval: std::time::Duration,
    /// Skip TLS certificate verification (not recommended).
    #[arg(long)]
    pub insecure: bool,
    /// Fail at once when another operation is running, instead of waiting for it.
    #[arg(long)]
    pub no_wait_for_operation: bool,
    /// Write evidence of the sync to FILE (Markdown if it ends in .md, else JSON).
    #[arg(long, value_name = "FILE")]
    pub evidence: Option<PathBuf>,
}

/// `rollout sync`.
#[derive(Debug, Args)]
#[command(args_override_self = true)]
pub struct SyncArgs {
    /// The Argo CD Application to sync, e.g. media-staging.
    #[arg(value_name = "APP")]
    pub app: String,
    #[command(flatten)]
    pub argo: ArgoArgs,
}

/// `rollout rollback`.
#[derive(Debug, Args)]
#[command(args_override_self = true)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// The environment to roll back.
    #[arg(long, value_name = "ENV", default_value = "staging")]
    pub env: String,
    /// After writing the overlay, sync this Application (it must deploy overlays/ENV-rollback).
    #[arg(long, value_name = "APP")]
    pub sync: Option<String>,
    #[command(flatten)]
    pub argo: ArgoArgs,
}
