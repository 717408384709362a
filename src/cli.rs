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
    /// Build a kustomization directory with the built-in kustomize v5 engine.
    Render(RenderArgs),
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
