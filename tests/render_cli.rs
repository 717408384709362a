//! `rollout render` through the real binary: output to stdout or `-o FILE`, warnings on stderr,
//! and one clear error line (file:line:col where there is one) with exit 2 for bad input.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/kustomize")
        .join(p)
}

fn rollout() -> Command {
    let mut c = Command::cargo_bin("rollout").expect("binary");
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

#[test]
fn renders_to_stdout_with_warnings_on_stderr() {
    let out = rollout()
        .args(["render", "fixtures/kustomize/own/misc-legacy"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("apiVersion: v1\nkind: Service\n"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 3, "{stderr}");
    assert!(
        stderr.starts_with("# Warning: 'commonLabels' is deprecated."),
        "{stderr}"
    );
}

#[test]
fn writes_output_file_atomically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("out/staging.yaml");
    let out = rollout()
        .args([
            "render",
            "fixtures/kustomize/own/repo-overlay/overlays/staging",
            "-o",
        ])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let written = std::fs::read_to_string(&file).expect("written");
    let direct =
        rollout::kustomize::build(&fixture("own/repo-overlay/overlays/staging")).expect("build");
    assert_eq!(written, rollout::kustomize::render_to_string(&direct));
    assert!(written.contains("namespace: media"));
}

#[test]
fn bad_input_is_one_clear_error_with_exit_2() {
    let cases = [
        (
            "malformed",
            "fixtures/kustomize/bad/malformed/r.yaml:5:7: invalid YAML",
        ),
        (
            "missing",
            "fixtures/kustomize/bad/missing/kustomization.yaml:2:3: resource \"nope.yaml\" does not exist",
        ),
        ("cycle/a", "cycle between kustomizations: "),
        (
            "conflict",
            "conflict/two.yaml:1:1: may not add resource with an already registered id: ConfigMap.v1.[noGrp]/x.[noNs]",
        ),
        (
            "nomatch",
            "nomatch/kustomization.yaml:3:3: no resource matches strategic merge patch \"ConfigMap.v1.[noGrp]/y.[noNs]\"",
        ),
        (
            "unsupported",
            "unsupported/kustomization.yaml:2:3: helm chart \"redis\": must specify --enable-helm",
        ),
        (
            "remote",
            "remote/kustomization.yaml:2:3: remote \"ftp://example.com/org/repo//base\": failed to parse scheme",
        ),
        (
            "plugin",
            "plugin/t.yaml:1:1: unsupported: transformer plugin someteam.example.com/v1/ChartInflator",
        ),
        (
            "unknown",
            "unknown/kustomization.yaml:2:1: invalid Kustomization: unknown field `namePrefx`",
        ),
        (
            "var-ambiguous",
            "var-ambiguous/kustomization.yaml:4:3: var \"DB\" is ambiguous",
        ),
        (
            "var-twice",
            "var-twice/b/kustomization.yaml:5:3: var \"DB\" is declared twice",
        ),
        (
            "var-unmapped",
            "var-unmapped/kustomization.yaml:4:3: var \"DB\": no resource of this kustomization or its bases matches its objref (Service \"db\"",
        ),
        (
            "nameref-ambiguous",
            "nameref-ambiguous/r.yaml:8:1: ValidatingWebhookConfiguration.v1.admissionregistration.k8s.io/p-hook.[noNs]: field webhooks/clientConfig/service: reference \"svc\" is ambiguous",
        ),
        (
            "var-list",
            "var-list/r.yaml:4:1: Pod.v1.[noGrp]/p.[noNs]: field spec/containers/args: vars are substituted into lists of strings only",
        ),
        (
            "empty",
            "empty/kustomization.yaml: the kustomization is empty",
        ),
        (
            "patch-target-multi",
            "patch-target-multi/kustomization.yaml:4:3: several strategic-merge patches in one `patches` entry may not set `target`",
        ),
        (
            "replacement-missing-field",
            "replacement-missing-field/kustomization.yaml:4:3: unable to find field \"spec.template.spec.serviceAccountName\" in replacement target Deployment.v1.apps/d.[noNs]",
        ),
        (
            "namespace-spec-map",
            "namespace-spec-map/d.yaml:1:1: Deployment.v1.apps/d.x: field spec/template: namespace field specs must target scalar nodes",
        ),
        (
            "namespace-conflict",
            "namespace-conflict/r.yaml:6:1: namespace transformation produces ID conflict: ConfigMap.v1.[noGrp]/cm.test (also ",
        ),
    ];
    for (dir, want) in cases {
        let out = rollout()
            .args(["render", &format!("fixtures/kustomize/bad/{dir}")])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{dir}");
        assert!(out.stdout.is_empty(), "{dir}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        // kustomize's deprecation warnings may come first; then exactly one error line.
        let rest: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.starts_with("# Warning"))
            .collect();
        assert_eq!(rest.len(), 1, "{dir}: {stderr}");
        assert!(rest[0].starts_with("error: "), "{dir}: {stderr}");
        assert!(rest[0].contains(want), "{dir}: {stderr}");
    }
}

/// A Deployment whose container has `n` ports, a third of them with a protocol and each port
/// twice, under a strategic-merge patch: the list takes kyaml's quadratic multi-key walk.
fn many_ports_tree(dir: &Path, n: usize) {
    let ports: String = (0..n)
        .map(|i| {
            let proto = if i % 3 == 0 {
                "\n          protocol: UDP"
            } else {
                ""
            };
            format!("        - containerPort: {}{proto}\n", 8000 + i % (n / 2))
        })
        .collect();
    std::fs::write(
        dir.join("deploy.yaml"),
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx\n        ports:\n{ports}"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("patch.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  replicas: 2\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("kustomization.yaml"),
        "resources:\n- deploy.yaml\npatches:\n- path: patch.yaml\n",
    )
    .unwrap();
}

fn render_many_ports(n: usize) -> std::process::Output {
    let tmp = tempfile::tempdir().unwrap();
    many_ports_tree(tmp.path(), n);
    rollout()
        .args(["render"])
        .arg(tmp.path())
        .output()
        .expect("run")
}

#[test]
fn a_list_too_long_for_the_quadratic_multi_key_walk_is_one_clear_error() {
    // 100,000 ports would take kyaml's walk (and ours) hours; it is refused at once.
    let out = render_many_ports(100_000);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("kustomization.yaml:4:3: cannot apply patch to Deployment.v1.apps/app")
            && stderr
                .contains("a list merged by the keys containerPort, protocol has 100000 elements")
            && stderr.contains("more than 4096"),
        "{stderr}"
    );
    // A short one is merged as kyaml merges it: each port once, the last of a repeated one.
    let out = render_many_ports(40);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("replicas: 2"), "{stdout}");
    assert!(stdout.contains("- containerPort: 8019\n"), "{stdout}");
}

#[test]
fn build_keeps_source_positions_and_build_fast_does_not() {
    let dir = fixture("own/repo-overlay/overlays/staging");
    let b = rollout::kustomize::build(&dir).expect("build");
    let auth = b
        .resources
        .iter()
        .find(|r| r.kind() == "Deployment" && r.name() == "auth")
        .expect("auth");
    let at = auth
        .origin
        .describe("/spec/template/spec/containers/0/image");
    assert!(at.ends_with("base/deployments.yaml:22:9"), "{at}");
    // The field a patch file set points at the patch.
    let at = auth.origin.describe("/spec/replicas");
    assert!(at.contains("overlays/staging/replicas.yaml:"), "{at}");
    let fast = rollout::kustomize::build_fast(&dir).expect("build_fast");
    assert_eq!(
        rollout::kustomize::render_to_string(&fast),
        rollout::kustomize::render_to_string(&b)
    );
    let auth = fast
        .resources
        .iter()
        .find(|r| r.kind() == "Deployment" && r.name() == "auth")
        .expect("auth");
    assert!(auth.origin.locations.is_none());
    // Nor where patches set fields: only findings read that, and recording it is not free.
    assert!(auth.origin.fields.is_none());
    let at = auth.origin.describe("/spec");
    assert!(at.ends_with("base/deployments.yaml:1:1"), "{at}");
}

/// The binary is linked position-dependent on Linux (build.rs), so the loader has no relocations
/// to apply and no pointer tables to copy at start-up: the ELF type is `ET_EXEC` (2), not the
/// `ET_DYN` (3) of a PIE. The start-up figures in the README's Performance section depend on it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_binary_is_linked_position_dependent() {
    let path = assert_cmd::cargo::cargo_bin("rollout");
    let bytes = std::fs::read(&path).expect("read the binary");
    assert_eq!(
        &bytes[..4],
        b"\x7fELF",
        "{} is not an ELF file",
        path.display()
    );
    let e_type = u16::from_le_bytes([bytes[16], bytes[17]]);
    assert_eq!(
        e_type,
        2,
        "ELF type of {}: want ET_EXEC (2)",
        path.display()
    );
}
