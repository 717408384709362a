//! `rollout init`: read a kustomize base (our engine) or a chart (`helm template`) and write a
//! commented rollout.yaml that `rollout generate` accepts. Never overwrites a spec (exit 2).

use std::path::{Path, PathBuf};

use rollout::init::{self, InitBase, InitInput};
use rollout::layout;

use super::{CommandError, Output};
use crate::cli::InitArgs;

/// `path` as seen from directory `dir` (both as given, relative to the current directory, or
/// absolute).
fn from_dir(dir: &Path, path: &Path) -> Result<String, CommandError> {
    let rel = if dir.is_absolute() || path.is_absolute() {
        let d = std::fs::canonicalize(dir)?;
        let p = std::fs::canonicalize(path)?;
        layout::relative(&d, &p)
    } else {
        layout::relative(dir, path)
    };
    let s = rel.to_string_lossy().replace('\\', "/");
    Ok(if s.is_empty() { ".".into() } else { s })
}

fn dns_label(s: &str) -> String {
    let mut out: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    out.truncate(63);
    let out = out.trim_matches('-').to_string();
    if out.is_empty() { "app".into() } else { out }
}

fn git_origin(dir: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["remote", "get-url", "origin"])
        .output()
        .ok()?;
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !url.is_empty()).then_some(url)
}

pub fn run(args: InitArgs) -> Result<Output, CommandError> {
    let spec_path = &args.spec.spec;
    if spec_path.exists() {
        return Err(format!(
            "{} already exists: rollout init never overwrites a spec (edit it, or give --spec NEW.yaml)",
            spec_path.display()
        )
        .into());
    }
    let spec_dir = layout::spec_root(spec_path);
    let (base, resources, what): (InitBase, Vec<_>, PathBuf) = match (&args.base, &args.chart) {
        (Some(dir), _) => {
            let build = rollout::kustomize::build(dir)?;
            (
                InitBase::Kustomize(from_dir(&spec_dir, dir)?),
                build.resources,
                dir.clone(),
            )
        }
        (None, Some(chart)) => {
            let release = chart_name(chart);
            let helm = rollout::hydrate::Helm::locate(args.helm.as_deref())?;
            let text = helm.render_chart(
                &release,
                chart,
                &args.namespace.clone().unwrap_or_else(|| release.clone()),
            )?;
            let list = rollout::resource::parse_resources(&text, chart)?;
            (
                InitBase::Chart(from_dir(&spec_dir, chart)?, release),
                list,
                chart.clone(),
            )
        }
        (None, None) => return Err("give --base DIR (a kustomize directory) or --chart DIR".into()),
    };
    let base_ns = {
        let mut nss: Vec<&str> = resources
            .iter()
            .map(|r| r.namespace())
            .filter(|n| !n.is_empty())
            .collect();
        nss.dedup();
        (nss.len() == 1).then(|| nss[0].to_string())
    };
    let top = std::env::current_dir()
        .ok()
        .map(|cwd| layout::normal(&cwd.join(&spec_dir)));
    let name = dns_label(
        &top.as_deref()
            .and_then(|p| {
                // A spec in `deploy/` or `.`: name the rollout after the project directory.
                let mut p = p;
                while matches!(
                    p.file_name().and_then(|n| n.to_str()),
                    Some("deploy" | "k8s" | "kustomize" | "manifests")
                ) {
                    p = p.parent()?;
                }
                p.file_name().map(|n| n.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "app".into()),
    );
    let namespace = args
        .namespace
        .clone()
        .or(base_ns)
        .unwrap_or_else(|| name.clone());
    let input = InitInput {
        name,
        base,
        env: args.env.clone(),
        namespace: dns_label(&namespace),
        repo_url: git_origin(&spec_dir),
        resources: &resources,
    };
    let text = init::spec_text(&input)?;
    // What init writes, generate must accept: the spec parses and every service finds its workload.
    let spec = rollout::spec::parse(&text, spec_path)?;
    rollout::target::resolve(&spec, &resources, &what.display().to_string())?;
    if !spec_dir.as_os_str().is_empty() {
        std::fs::create_dir_all(&spec_dir)?;
    }
    rollout::fsutil::write_atomic(spec_path, text.as_bytes())?;
    let stderr = format!(
        "wrote {} ({} service(s) from {}); next: `rollout generate{}`\n",
        spec_path.display(),
        spec.services.len(),
        what.display(),
        if spec_path == Path::new("rollout.yaml") {
            String::new()
        } else {
            format!(" --spec {}", spec_path.display())
        }
    );
    Ok(Output {
        stderr,
        ..Default::default()
    })
}

fn chart_name(chart: &Path) -> String {
    let from_file = std::fs::read_to_string(chart.join("Chart.yaml"))
        .ok()
        .and_then(|t| rollout::yaml::parse_document(&t).ok())
        .and_then(|d| {
            d.value
                .get("name")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        });
    dns_label(&from_file.unwrap_or_else(|| {
        chart
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "app".into())
    }))
}
