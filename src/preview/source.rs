//! Renders one application source in a written-out revision as Argo CD's repo-server would: a
//! kustomization built with our engine after the Application's `source.kustomize` options are
//! applied as the `kustomize edit` commands Argo CD runs (on a private copy of the directory,
//! so applications sharing a path do not see each other's edits), or a plain directory of
//! manifests.
//!
//! Owns that adaptation; the build itself is `crate::kustomize`'s.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::value::Value;

use super::discover::{App, Source};
use crate::kustomize::edit::{self, Edit};
use crate::kustomize::{BuildOptions, cache::ParseCache};
use crate::resource::Resource;

/// What a source rendered to.
#[derive(Debug, Clone)]
pub enum Rendered {
    /// The resources.
    Resources(Vec<Resource>),
    /// Not rendered, and why (a Helm chart directory).
    Skipped(String),
}

/// The `ARGOCD_APP_*` values a kustomize option may use (`${ARGOCD_APP_REVISION}`).
#[derive(Debug, Clone, Default)]
pub struct AppEnv {
    /// The commit being rendered.
    pub revision: String,
}

static COPIES: AtomicUsize = AtomicUsize::new(0);

/// Renders `src` of `app` in the revision at `root`; messages name files relative to `root`.
///
/// # Errors
/// The source's directory is missing, a kustomize option is malformed, or the build fails
/// (the engine's message, with file:line:col).
pub fn render(
    root: &Path,
    app: &App,
    src: &Source,
    env: &AppEnv,
    cache: &Arc<ParseCache>,
) -> Result<Rendered, String> {
    let dir = if src.path.is_empty() {
        root.to_path_buf()
    } else {
        root.join(&src.path)
    };
    let shown = if src.path.is_empty() { "." } else { &src.path };
    if !dir.is_dir() {
        return Err(format!("{shown}: no such directory in this revision"));
    }
    let is_kustomization = crate::verify::render::is_kustomization_dir(&dir);
    if !is_kustomization {
        if let Some(k) = &src.kustomize
            && k.get("patches")
                .is_some_and(|p| p.as_array().is_some_and(|a| !a.is_empty()))
        {
            return Err(format!(
                "{shown}: kustomize patches are set but there is no kustomization file"
            ));
        }
        if dir.join("Chart.yaml").is_file() {
            return Ok(Rendered::Skipped(format!(
                "{shown} is a Helm chart: preview renders kustomizations and plain directories"
            )));
        }
        return plain_directory(root, &dir, src.recurse).map(Rendered::Resources);
    }
    let edits = match &src.kustomize {
        Some(k) => edits(k, app, src, env, &dir)?,
        None => Vec::new(),
    };
    let (build_dir, copy) = if edits.is_empty() {
        (dir.clone(), None)
    } else {
        let copy = private_copy(&dir)?;
        apply_edits(&copy, &edits, shown)?;
        (copy.clone(), Some(copy))
    };
    let opts = BuildOptions {
        parse_cache: Some(cache.clone()),
        ..BuildOptions::default()
    };
    // Preview's workers have the build stack (`render_all`).
    let built = crate::kustomize::build_on_this_thread(&build_dir, &opts);
    if let Some(c) = &copy {
        let _ = std::fs::remove_dir_all(c);
    }
    match built {
        Ok(b) => Ok(Rendered::Resources(b.resources)),
        Err(e) => {
            let mut msg = e.to_string();
            if let Some(c) = &copy {
                msg = msg.replace(&c.display().to_string(), &dir.display().to_string());
            }
            Err(msg)
        }
    }
}

/// A copy of `dir` beside it (same parent, so `../base` still resolves), for edits.
fn private_copy(dir: &Path) -> Result<PathBuf, String> {
    let n = COPIES.fetch_add(1, Ordering::Relaxed);
    let name = dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parent = dir.parent().unwrap_or(dir);
    let copy = parent.join(format!(".rollout-preview-{n}-{name}"));
    copy_tree(dir, &copy).map_err(|e| {
        format!(
            "cannot copy {} for its kustomize options: {e}",
            dir.display()
        )
    })?;
    Ok(copy)
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let ft = e.file_type()?;
        let dest = to.join(e.file_name());
        if ft.is_dir() {
            copy_tree(&e.path(), &dest)?;
        } else if ft.is_symlink() {
            let target = std::fs::read_link(e.path())?;
            #[cfg(unix)]
            std::os::unix::fs::symlink(target, &dest)?;
            #[cfg(not(unix))]
            std::fs::copy(e.path(), &dest).map(|_| ())?;
        } else {
            std::fs::copy(e.path(), &dest)?;
        }
    }
    Ok(())
}

/// Argo CD's `os.Expand` over the app's environment: `$VAR` and `${VAR}`; unknown names are
/// empty; `$$` is `$`.
fn envsubst(s: &str, app: &App, src: &Source, env: &AppEnv) -> String {
    let var = |name: &str| -> String {
        match name {
            "ARGOCD_APP_NAME" => app.name.clone(),
            "ARGOCD_APP_NAMESPACE" => app.namespace.clone(),
            "ARGOCD_APP_PROJECT_NAME" => app.project.clone(),
            "ARGOCD_APP_REVISION" => env.revision.clone(),
            "ARGOCD_APP_REVISION_SHORT" => env.revision.chars().take(7).collect(),
            "ARGOCD_APP_SOURCE_PATH" => src.path.clone(),
            "$" => "$".into(),
            _ => String::new(),
        }
    };
    let mut out = String::with_capacity(s.len());
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let rest = &s[i + 1..];
        if let Some(inner) = rest.strip_prefix('{')
            && let Some(end) = inner.find('}')
        {
            out.push_str(&var(&inner[..end]));
            for _ in 0..end + 2 {
                it.next();
            }
            continue;
        }
        if rest.starts_with('$') {
            out.push('$');
            it.next();
            continue;
        }
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            out.push('$');
            continue;
        }
        out.push_str(&var(&rest[..len]));
        for _ in 0..len {
            it.next();
        }
    }
    out
}

/// One step Argo CD takes on the kustomization, in its order.
#[derive(Debug, Clone)]
enum Step {
    Edit(Edit),
    /// `patches` appended (Argo CD rewrites the file; there is no `kustomize edit` for it).
    Patches(Vec<Value>),
}

fn pairs(m: &crate::value::Map, subst: Option<&dyn Fn(&str) -> String>) -> Vec<String> {
    m.iter()
        .map(|(k, v)| {
            let v = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            let v = subst.map_or(v.clone(), |f| f(&v));
            format!("{k}:{v}")
        })
        .collect()
}

/// The `source.kustomize` options as the steps Argo CD's repo-server runs (namePrefix,
/// nameSuffix, images, replicas, commonLabels, commonAnnotations, namespace, patches,
/// components).
fn edits(
    k: &Value,
    app: &App,
    src: &Source,
    env: &AppEnv,
    dir: &Path,
) -> Result<Vec<Step>, String> {
    let s = |key: &str| k.get(key).and_then(Value::as_str).unwrap_or("");
    let flag = |key: &str| k.get(key).and_then(Value::as_bool).unwrap_or(false);
    let sub = |v: &str| envsubst(v, app, src, env);
    let mut out = Vec::new();
    if !s("namePrefix").is_empty() {
        out.push(Step::Edit(Edit::SetNamePrefix(s("namePrefix").into())));
    }
    if !s("nameSuffix").is_empty() {
        out.push(Step::Edit(Edit::SetNameSuffix(s("nameSuffix").into())));
    }
    if let Some(Value::Array(images)) = k.get("images")
        && !images.is_empty()
    {
        let list = images
            .iter()
            .map(|i| {
                i.as_str()
                    .map(&sub)
                    .ok_or("kustomize.images entries must be strings")
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(Step::Edit(Edit::SetImage(list)));
    }
    if let Some(Value::Array(replicas)) = k.get("replicas")
        && !replicas.is_empty()
    {
        let mut list = Vec::new();
        for r in replicas {
            let name = r.get("name").and_then(Value::as_str).unwrap_or("");
            let count = match r.get("count") {
                Some(Value::Number(n)) if n.is_u64() => n.to_string(),
                Some(Value::String(c)) if c.parse::<u64>().is_ok() => c.clone(),
                other => {
                    return Err(format!(
                        "kustomize.replicas {name:?}: count {} is not a whole number",
                        other.map_or("(none)".into(), Value::to_string)
                    ));
                }
            };
            list.push(format!("{name}={count}"));
        }
        out.push(Step::Edit(Edit::SetReplicas(list)));
    }
    if let Some(Value::Object(labels)) = k.get("commonLabels")
        && !labels.is_empty()
    {
        out.push(Step::Edit(Edit::AddLabel {
            pairs: pairs(labels, Some(&sub)),
            force: flag("forceCommonLabels"),
            without_selector: flag("labelWithoutSelector"),
            include_templates: flag("labelIncludeTemplates"),
        }));
    }
    if let Some(Value::Object(ann)) = k.get("commonAnnotations")
        && !ann.is_empty()
    {
        let subst: Option<&dyn Fn(&str) -> String> = if flag("commonAnnotationsEnvsubst") {
            Some(&sub)
        } else {
            None
        };
        out.push(Step::Edit(Edit::AddAnnotation {
            pairs: pairs(ann, subst),
            force: flag("forceCommonAnnotations"),
        }));
    }
    if !s("namespace").is_empty() {
        out.push(Step::Edit(Edit::SetNamespace(s("namespace").into())));
    }
    if let Some(Value::Array(p)) = k.get("patches")
        && !p.is_empty()
    {
        out.push(Step::Patches(p.clone()));
    }
    if let Some(Value::Array(c)) = k.get("components")
        && !c.is_empty()
    {
        let list: Vec<String> = c
            .iter()
            .filter_map(Value::as_str)
            // `ignoreMissingComponents`: those whose directory does not exist are left out.
            .filter(|c| !flag("ignoreMissingComponents") || dir.join(c).is_dir())
            .map(str::to_string)
            .collect();
        if !list.is_empty() {
            out.push(Step::Edit(Edit::AddComponent(list)));
        }
    }
    Ok(out)
}

fn apply_edits(dir: &Path, steps: &[Step], shown: &str) -> Result<(), String> {
    let file = crate::kustomize::find_kustomization(dir).map_err(|e| e.to_string())?;
    let mut text = std::fs::read_to_string(&file).map_err(|e| format!("{shown}: {e}"))?;
    for step in steps {
        text = match step {
            Step::Edit(e) => edit::apply(&text, e),
            Step::Patches(p) => append_patches(&text, p),
        }
        .map_err(|e| format!("{shown}: applying the Application's kustomize options: {e}"))?;
    }
    std::fs::write(&file, text).map_err(|e| format!("{shown}: {e}"))
}

fn append_patches(text: &str, patches: &[Value]) -> Result<String, String> {
    let mut doc = crate::yaml::parse_document(text)
        .map_err(|e| format!("invalid kustomization: {e}"))?
        .value;
    let Value::Object(m) = &mut doc else {
        return Err("the kustomization is not a mapping".into());
    };
    match m
        .entry("patches")
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        Value::Array(list) => list.extend(patches.iter().cloned()),
        _ => return Err("its `patches` is not a list".into()),
    }
    Ok(crate::yaml::emit(&doc))
}

/// Argo CD's directory source: every `.yaml`, `.yml` and `.json` file (in subdirectories too
/// with `directory.recurse`), in path order.
fn plain_directory(root: &Path, dir: &Path, recurse: bool) -> Result<Vec<Resource>, String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for e in rd.filter_map(Result::ok) {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                if recurse {
                    stack.push(p);
                }
            } else if [".yaml", ".yml", ".json"].iter().any(|x| name.ends_with(x)) {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let shown = f.strip_prefix(root).unwrap_or(&f);
        let list =
            crate::resource::parse_resources_untracked(&text, shown).map_err(|e| e.to_string())?;
        out.extend(
            list.into_iter()
                .filter(|r| r.value.is_object() && !r.kind().is_empty()),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        App {
            key: "a".into(),
            name: "shop".into(),
            cluster: String::new(),
            namespace: "media".into(),
            defined_in: String::new(),
            sources: Vec::new(),
            project: "p".into(),
            skipped: Vec::new(),
        }
    }

    #[test]
    fn envsubst_as_argo_cd() {
        let src = Source {
            path: "apps/shop".into(),
            kustomize: None,
            recurse: false,
        };
        let env = AppEnv {
            revision: "0123456789abcdef".into(),
        };
        let got = envsubst(
            "x:${ARGOCD_APP_REVISION_SHORT}-$ARGOCD_APP_NAME/$UNKNOWN$$.${ARGOCD_APP_SOURCE_PATH}$",
            &app(),
            &src,
            &env,
        );
        assert_eq!(got, "x:0123456-shop/$.apps/shop$");
    }

    #[test]
    fn options_become_argo_cd_steps_in_order() {
        let k = crate::json!({
            "namespace": "ns", "namePrefix": "p-", "images": ["nginx:${ARGOCD_APP_NAME}"],
            "replicas": [{"name": "web", "count": "3"}], "commonLabels": {"team": "a"},
            "commonAnnotations": {"x": "$ARGOCD_APP_NAME"}, "components": ["../c"],
            "patches": [{"patch": "- op: add"}]
        });
        let src = Source {
            path: "a".into(),
            kustomize: None,
            recurse: false,
        };
        let steps = edits(&k, &app(), &src, &AppEnv::default(), Path::new(".")).unwrap();
        let names: Vec<String> = steps
            .iter()
            .map(|s| match s {
                Step::Edit(e) => format!("{e:?}"),
                Step::Patches(_) => "Patches".into(),
            })
            .collect();
        assert!(names[0].starts_with("SetNamePrefix"));
        assert_eq!(names[1], "SetImage([\"nginx:shop\"])");
        assert_eq!(names[2], "SetReplicas([\"web=3\"])");
        assert!(names[3].starts_with("AddLabel"));
        assert!(
            names[4].contains("$ARGOCD_APP_NAME"),
            "no envsubst without the flag: {}",
            names[4]
        );
        assert!(names[5].starts_with("SetNamespace"));
        assert_eq!(names[6], "Patches");
        assert!(names[7].starts_with("AddComponent"));
        let bad = crate::json!({"replicas": [{"name": "w", "count": "x"}]});
        assert!(edits(&bad, &app(), &src, &AppEnv::default(), Path::new(".")).is_err());
        let missing = crate::json!({"components": ["../none"], "ignoreMissingComponents": true});
        let steps = edits(&missing, &app(), &src, &AppEnv::default(), Path::new(".")).unwrap();
        assert!(steps.is_empty());
    }
}
