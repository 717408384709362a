//! `images`: rewrite container image names, tags and digests, through the image field specs and
//! kustomize's legacy rule (any `containers`/`initContainers` list at any depth). No I/O.

use crate::value::Value;

use crate::kustomize::KustomizeError;
use crate::kustomize::fieldspec::{FieldSpec, walk_resource};
use crate::kustomize::kustomization::ImageEntry;
use crate::kustomize::resmap::ResMap;

/// The `images` entries and the fields holding images.
#[derive(Debug, Clone)]
pub struct Images {
    /// The rewrites, applied in order.
    pub images: Vec<ImageEntry>,
    /// Where images are.
    pub fields: Vec<FieldSpec>,
}

/// Splits an image reference into name, tag and digest as kustomize does.
pub fn split(image: &str) -> (String, String, String) {
    let slash = image.find('/').filter(|&i| i > 0).unwrap_or(0);
    let search = &image[slash..];
    let id = search.find('@');
    let ic = search.find(':');
    match (ic, id) {
        (None, None) => (image.to_string(), String::new(), String::new()),
        (ic, Some(d)) if ic.is_none_or(|c| d < c) => {
            let d = d + slash;
            (
                image[..d].to_string(),
                String::new(),
                image[d + 1..].to_string(),
            )
        }
        (Some(c), Some(d)) => {
            let (c, d) = (c + slash, d + slash);
            (
                image[..c].to_string(),
                image[c + 1..d].to_string(),
                image[d + 1..].to_string(),
            )
        }
        (Some(c), None) => {
            let c = c + slash;
            (
                image[..c].to_string(),
                image[c + 1..].to_string(),
                String::new(),
            )
        }
        _ => (image.to_string(), String::new(), String::new()),
    }
}

/// Whether `value` names image `name` (`name`, `name:tag`, `name@sha256:...`).
pub fn matches(value: &str, name: &str) -> bool {
    let Some(rest) = value.strip_prefix(name) else {
        return false;
    };
    let rest = rest.strip_prefix("@sha256").unwrap_or(rest);
    match rest.strip_prefix(':') {
        None => rest.is_empty(),
        Some(tag) => tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.{}-".contains(c)),
    }
}

fn rewrite(value: &str, e: &ImageEntry) -> Option<String> {
    if !matches(value, &e.name) {
        return None;
    }
    let (mut name, mut tag, mut digest) = split(value);
    if let Some(n) = e.new_name.as_deref().filter(|s| !s.is_empty()) {
        name = n.to_string();
    }
    let new_tag = e.new_tag.as_deref().unwrap_or("");
    let new_digest = e.digest.as_deref().unwrap_or("");
    if !new_tag.is_empty() && !new_digest.is_empty() {
        tag = new_tag.to_string();
        digest = new_digest.to_string();
    } else if !new_tag.is_empty() {
        tag = new_tag.to_string();
        digest.clear();
    } else if !new_digest.is_empty() {
        tag.clear();
        digest = new_digest.to_string();
    }
    if let Some(s) = e.tag_suffix.as_deref().filter(|s| !s.is_empty()) {
        tag.push_str(s);
    }
    let mut out = name;
    if !tag.is_empty() {
        out.push(':');
        out.push_str(&tag);
    }
    if !digest.is_empty() {
        out.push('@');
        out.push_str(&digest);
    }
    Some(out)
}

fn set_image(node: &mut Value, e: &ImageEntry) {
    if let Value::String(s) = node
        && let Some(new) = rewrite(s, e)
    {
        *s = new;
    }
}

/// Visits the `image` of every item of a `containers`/`initContainers` list at any depth
/// (kustomize's legacy rule).
fn legacy(node: &mut Value, visit: &mut dyn FnMut(&mut Value)) {
    match node {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if (k == "containers" || k == "initContainers")
                    && let Value::Array(items) = v
                {
                    for c in items.iter_mut() {
                        if let Some(img) = c.get_mut("image") {
                            visit(img);
                        }
                    }
                }
                legacy(v, visit);
            }
        }
        Value::Array(items) => {
            for v in items {
                legacy(v, visit);
            }
        }
        _ => {}
    }
}

/// Identity of a node during one pass over a resource that changes no structure.
fn node_id(n: &Value) -> usize {
    std::ptr::from_ref(n) as usize
}

impl Images {
    /// Rewrites images in every resource. With several entries each resource is walked twice
    /// whatever their number: once to count how often the legacy rule and the field specs reach each image
    /// node, once to apply every entry in order that many times to it, which is what applying
    /// the entries one after the other (each through both walks) does to that node.
    ///
    /// # Errors
    /// A field with the wrong shape.
    pub fn apply(&self, list: &mut ResMap) -> Result<(), KustomizeError> {
        if self.images.is_empty() {
            return Ok(());
        }
        // kustomize's image filters leave CustomResourceDefinitions alone (issue 890): their
        // schemas may hold `containers` that are not containers.
        let denied =
            |r: &crate::kustomize::resmap::KRes| r.res.kind() == "CustomResourceDefinition";
        if let [e] = self.images.as_slice() {
            // One entry: one walk, rewriting as it goes.
            return super::par_try_each(&mut list.list, |r| {
                if denied(r) {
                    return Ok(());
                }
                legacy(&mut r.res.value, &mut |n| set_image(n, e));
                walk_resource(r, &self.fields, None, &mut |n| {
                    set_image(n, e);
                    Ok(())
                })
            });
        }
        super::par_try_each(&mut list.list, |r| {
            if denied(r) {
                return Ok(());
            }
            let mut visits: Vec<(usize, usize)> = Vec::new();
            let mut count = |n: &mut Value| {
                let id = node_id(n);
                match visits.iter_mut().find(|(i, _)| *i == id) {
                    Some((_, k)) => *k += 1,
                    None => visits.push((id, 1)),
                }
            };
            legacy(&mut r.res.value, &mut count);
            walk_resource(r, &self.fields, None, &mut |n| {
                count(n);
                Ok(())
            })?;
            if visits.is_empty() {
                return Ok(());
            }
            let mut rewrite_once = |n: &mut Value| {
                let id = node_id(n);
                if let Some(at) = visits.iter().position(|(i, _)| *i == id) {
                    let (_, times) = visits.swap_remove(at);
                    for e in &self.images {
                        for _ in 0..times {
                            set_image(n, e);
                        }
                    }
                }
            };
            legacy(&mut r.res.value, &mut rewrite_once);
            walk_resource(r, &self.fields, None, &mut |n| {
                rewrite_once(n);
                Ok(())
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::fieldspec::defaults;
    use crate::kustomize::transformers::run_transform;

    fn entry(
        name: &str,
        new_name: Option<&str>,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> ImageEntry {
        ImageEntry {
            name: name.into(),
            new_name: new_name.map(Into::into),
            new_tag: tag.map(Into::into),
            digest: digest.map(Into::into),
            tag_suffix: None,
        }
    }

    #[test]
    fn rewrite_table() {
        let cases = [
            (
                "tag",
                "nginx:1.0",
                entry("nginx", None, Some("2"), None),
                Some("nginx:2"),
            ),
            (
                "name keeps tag",
                "nginx:1.0",
                entry("nginx", Some("alpine"), None, None),
                Some("alpine:1.0"),
            ),
            (
                "digest replaces tag",
                "nginx:1.0",
                entry("nginx", None, None, Some("sha256:ab")),
                Some("nginx@sha256:ab"),
            ),
            (
                "registry port",
                "reg:5000/app:1",
                entry("reg:5000/app", None, Some("2"), None),
                Some("reg:5000/app:2"),
            ),
            (
                "other image untouched",
                "nginxx:1",
                entry("nginx", None, Some("2"), None),
                None,
            ),
            (
                "prefix only untouched",
                "sploot/python-base:3.11-cpu",
                entry("sploot/python", None, Some("2"), None),
                None,
            ),
        ];
        for (name, value, e, want) in cases {
            assert_eq!(rewrite(value, &e).as_deref(), want, "{name}");
        }
    }

    #[test]
    fn crds_themselves_are_left_alone() {
        let t = Images {
            images: vec![entry("nginx", Some("apache"), None, None)],
            fields: defaults().images.clone(),
        };
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: c}\nspec:\n  containers:\n  - image: nginx\n  template:\n    spec:\n      containers:\n      - image: nginx\n";
        let got = run_transform(crd, |m| t.apply(m));
        assert!(!got.contains("apache"), "{got}");
    }

    #[test]
    fn crd_containers_use_legacy_rule() {
        let imgs = Images {
            images: vec![entry("busybox", Some("alpine"), Some("3.6"), None)],
            fields: defaults().images.clone(),
        };
        let got = run_transform(
            "apiVersion: x.io/v1\nkind: Foo\nmetadata: {name: f}\nspec:\n  deep:\n    containers:\n    - image: busybox\n  image: busybox\n",
            |m| imgs.apply(m),
        );
        assert!(got.contains("- image: alpine:3.6\n"), "{got}");
        assert!(got.contains("  image: busybox\n"), "{got}");
    }

    /// One walk for all entries gives what the entries applied one after the other give (each
    /// through the legacy rule and then the field specs), also where both reach a node and
    /// entries chain (a new name that a later entry matches, tag suffixes).
    #[test]
    fn one_walk_equals_entry_after_entry() {
        let docs = [
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      initContainers:\n      - {name: i, image: a}\n      containers:\n      - {name: c, image: 'a:1'}\n      - {name: e, image: b}\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: a}\n  volumes:\n  - name: v\n    image: {reference: b}\n",
            "apiVersion: x.io/v1\nkind: Foo\nmetadata: {name: f}\nspec:\n  deep:\n    containers:\n    - image: a\n  image: a\n",
        ];
        let suffix = |mut e: ImageEntry, s: &str| {
            e.tag_suffix = Some(s.into());
            e
        };
        let lists = [
            vec![suffix(entry("a", None, Some("1"), None), "-x")],
            vec![
                entry("a", Some("b"), None, None),
                entry("b", None, Some("2"), None),
            ],
            vec![
                suffix(entry("a", None, Some("1"), None), "-x"),
                entry("b", Some("a"), None, None),
            ],
            vec![
                entry("b", Some("a"), None, None),
                suffix(entry("a", None, None, None), "-s"),
            ],
            vec![
                entry("a", None, None, Some("sha256:ab")),
                entry("a", None, Some("3"), None),
            ],
        ];
        for doc in docs {
            for images in &lists {
                let imgs = Images {
                    images: images.clone(),
                    fields: defaults().images.clone(),
                };
                let got = run_transform(doc, |m| imgs.apply(m));
                let want = run_transform(doc, |m| {
                    for r in m.list.iter_mut() {
                        for e in &imgs.images {
                            legacy(&mut r.res.value, &mut |n| set_image(n, e));
                            walk_resource(r, &imgs.fields, None, &mut |n| {
                                set_image(n, e);
                                Ok(())
                            })?;
                        }
                    }
                    Ok(())
                });
                assert_eq!(got, want, "{doc} {images:?}");
            }
        }
    }
}
