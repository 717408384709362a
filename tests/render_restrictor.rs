//! The load restrictor, compared live with `kubectl kustomize`: by default no file outside the
//! kustomization's own directory is read (resources, patches, generator files and env files,
//! configurations, replacement sources; symlinks resolved first), and
//! `--load-restrictor LoadRestrictionsNone` lifts it. Each tree is built in a temp directory by
//! both tools with both settings.

use std::path::{Path, PathBuf};
use std::process::Command;

fn kubectl() -> PathBuf {
    std::env::var_os("ROLLOUT_KUBECTL").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/kubectl"),
        PathBuf::from,
    )
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: b\n";
const PATCH: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  patched: \"yes\"\n";

/// (name, builder of the tree under `root`; the kustomization to build is `root/app`).
type Tree = (&'static str, fn(&Path));

const TREES: &[Tree] = &[
    ("resource file in a sibling directory", |r| {
        write(r, "shared/cm.yaml", CM);
        write(
            r,
            "app/kustomization.yaml",
            "resources:\n- ../shared/cm.yaml\n",
        );
    }),
    ("patch file in a sibling directory", |r| {
        write(r, "app/cm.yaml", CM);
        write(r, "shared/patch.yaml", PATCH);
        write(
            r,
            "app/kustomization.yaml",
            "resources:\n- cm.yaml\npatches:\n- path: ../shared/patch.yaml\n",
        );
    }),
    ("patchesStrategicMerge file above the root", |r| {
        write(r, "app/cm.yaml", CM);
        write(r, "patch.yaml", PATCH);
        write(
            r,
            "app/kustomization.yaml",
            "resources:\n- cm.yaml\npatchesStrategicMerge:\n- ../patch.yaml\n",
        );
    }),
    ("generator file by absolute path", |r| {
        write(r, "secret.txt", "s3cret\n");
        let abs = r.join("secret.txt");
        write(
            r,
            "app/kustomization.yaml",
            &format!(
                "configMapGenerator:\n- name: g\n  files:\n  - {}\n",
                abs.display()
            ),
        );
    }),
    ("env file outside", |r| {
        write(r, "outside.env", "A=1\n");
        write(
            r,
            "app/kustomization.yaml",
            "configMapGenerator:\n- name: g\n  envs:\n  - ../outside.env\n",
        );
    }),
    ("symlinked resource pointing out of the tree", |r| {
        write(r, "elsewhere/cm.yaml", CM);
        std::fs::create_dir_all(r.join("app")).unwrap();
        std::os::unix::fs::symlink(r.join("elsewhere/cm.yaml"), r.join("app/cm.yaml")).unwrap();
        write(r, "app/kustomization.yaml", "resources:\n- cm.yaml\n");
    }),
    ("configurations file outside", |r| {
        write(r, "app/cm.yaml", CM);
        write(
            r,
            "config.yaml",
            "commonAnnotations:\n- path: data/extra\n  kind: ConfigMap\n",
        );
        write(
            r,
            "app/kustomization.yaml",
            "resources:\n- cm.yaml\nconfigurations:\n- ../config.yaml\n",
        );
    }),
];

#[test]
fn files_outside_the_root_are_refused_unless_restrictions_are_lifted() {
    let kubectl = kubectl();
    assert!(
        kubectl.is_file(),
        "kubectl not found at {}: run scripts/install-test-tools.sh",
        kubectl.display()
    );
    let mut failures = Vec::new();
    for (name, make) in TREES {
        let tmp = tempfile::tempdir().unwrap();
        make(tmp.path());
        let app = tmp.path().join("app");
        let (kcode, _, kerr) = run(Command::new(&kubectl).arg("kustomize").arg(&app));
        let (code, out, err) = run(Command::new(env!("CARGO_BIN_EXE_rollout"))
            .arg("render")
            .arg(&app));
        if kcode == 0 {
            failures.push(format!("{name}: kubectl accepted it by default"));
        }
        let errors: Vec<&str> = err
            .lines()
            .filter(|l| !l.starts_with("# Warning"))
            .collect();
        if code != 2
            || !out.is_empty()
            || errors.len() != 1
            || !errors[0].contains("security; file")
        {
            failures.push(format!(
                "{name}: expected exit 2 and one security error, got {code}: {err}"
            ));
        }
        assert!(
            kerr.contains("security") || kerr.contains("not in or below"),
            "{name}: {kerr}"
        );
        let none = ["--load-restrictor", "LoadRestrictionsNone"];
        let (kcode, kout, kerr) = run(Command::new(&kubectl).arg("kustomize").arg(&app).args(none));
        let (code, out, err) = run(Command::new(env!("CARGO_BIN_EXE_rollout"))
            .arg("render")
            .arg(&app)
            .args(none));
        assert_eq!(
            kcode, 0,
            "{name}: kubectl with LoadRestrictionsNone: {kerr}"
        );
        if code != 0 || out != kout {
            failures.push(format!(
                "{name}: with LoadRestrictionsNone expected kubectl's output, got exit {code}: {err}\n{out}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bases_outside_the_root_are_fine_but_absolute_or_enclosing_ones_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    write(r, "base/cm.yaml", CM);
    write(r, "base/kustomization.yaml", "resources:\n- cm.yaml\n");
    write(r, "app/kustomization.yaml", "resources:\n- ../base\n");
    let (code, out, err) = run(Command::new(env!("CARGO_BIN_EXE_rollout"))
        .arg("render")
        .arg(r.join("app")));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("name: cm"), "{out}");

    write(
        r,
        "app/kustomization.yaml",
        &format!("resources:\n- {}\n", r.join("base").display()),
    );
    let (code, _, err) = run(Command::new(env!("CARGO_BIN_EXE_rollout"))
        .arg("render")
        .arg(r.join("app")));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("absolute"), "{err}");

    // A base that encloses the kustomization being built is a cycle, as in kustomize.
    write(r, "kustomization.yaml", "resources:\n- base\n");
    write(r, "app/kustomization.yaml", "resources:\n- ..\n");
    let (code, _, err) = run(Command::new(env!("CARGO_BIN_EXE_rollout"))
        .arg("render")
        .arg(r.join("app")));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cycle"), "{err}");
}

/// A chain of 3,000 nested kustomizations (kustomize builds it) renders without exhausting the
/// stack; far deeper chains stop with one clear error.
#[test]
fn deep_chains_render_without_overflowing_the_stack() {
    let tmp = tempfile::tempdir().unwrap();
    let n = 3000;
    for i in 0..n {
        let dir = format!("d{i:05}");
        if i == n - 1 {
            write(
                tmp.path(),
                &format!("{dir}/kustomization.yaml"),
                "resources:\n- cm.yaml\n",
            );
            write(tmp.path(), &format!("{dir}/cm.yaml"), CM);
        } else {
            let prefix = if i % 1000 == 0 {
                "namePrefix: p-\n"
            } else {
                ""
            };
            write(
                tmp.path(),
                &format!("{dir}/kustomization.yaml"),
                &format!("resources:\n- ../d{:05}\n{prefix}", i + 1),
            );
        }
    }
    let (code, out, err) = run(Command::new(env!("CARGO_BIN_EXE_rollout"))
        .arg("render")
        .arg(tmp.path().join("d00000")));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("name: p-p-p-cm\n"), "{out}");
}
