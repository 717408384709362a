//! One application's render at the base revision against its render at the head revision, with
//! `rollout diff`'s normalisation, Secret masking and change model (`crate::diff`): resources
//! added, removed and changed, each change by field path. "Unchanged" means semantically equal
//! (null-valued keys, empty values one side omits, `500m` against `0.5`), not textually.
//!
//! Owns the pairing of two renders; the normalisers and the change walk are `diff`'s. Pure.

use std::collections::HashMap;

use crate::value::Value;

use crate::diff::text::Labels;
use crate::diff::{Action, ObjectDiff, changes, mask, normalize};
use crate::resource::{Resource, ResourceId};

/// The diff's side names: base and head; one-sided objects are added or removed.
pub const LABELS: Labels = Labels {
    before: "base",
    after: "head",
    created: "added",
    pruned: "removed",
};

fn normalized(r: &Resource, id: &ResourceId) -> Value {
    let mut v = r.value.clone();
    normalize::drop_nulls(&mut v);
    normalize::strip(&mut v, id, &[]);
    v
}

/// Every head resource in render order (added, changed or unchanged), then the base resources
/// head no longer has (removed). Resources are paired by identity (group, kind, namespace,
/// name); a second object with the same identity pairs with the second one on the other side.
/// A generated ConfigMap or Secret whose content hash suffix changed (`web-config-6d5c46cggm`
/// to `web-config-8f2m9k7bd4`) pairs with its old self, so the diff shows what changed in it
/// (the name among it) rather than one object added and another removed.
pub fn compare(base: &[Resource], head: &[Resource]) -> Vec<ObjectDiff> {
    let mut by_id: HashMap<(ResourceId, usize), usize> = HashMap::with_capacity(base.len());
    let mut seen: HashMap<ResourceId, usize> = HashMap::new();
    for (i, r) in base.iter().enumerate() {
        let id = r.id();
        let n = seen.entry(id.clone()).or_default();
        by_id.insert((id, *n), i);
        *n += 1;
    }
    let mut used = vec![false; base.len()];
    let mut seen_head: HashMap<ResourceId, usize> = HashMap::new();
    let mut pairs: Vec<(Option<usize>, ResourceId)> = Vec::with_capacity(head.len());
    for r in head {
        let id = r.id();
        let n = seen_head.entry(id.clone()).or_default();
        let pair = by_id.get(&(id.clone(), *n)).copied();
        *n += 1;
        if let Some(i) = pair {
            used[i] = true;
        }
        pairs.push((pair, id));
    }
    // Renamed by their hash: one unpaired object on each side with the same stem.
    let mut stems: HashMap<(String, String, String, String), Vec<usize>> = HashMap::new();
    for (i, r) in base.iter().enumerate().filter(|(i, _)| !used[*i]) {
        if let Some(k) = hashed_stem(&r.id()) {
            stems.entry(k).or_default().push(i);
        }
    }
    let mut head_stems: HashMap<(String, String, String, String), usize> = HashMap::new();
    for (pair, id) in &pairs {
        if pair.is_none()
            && let Some(k) = hashed_stem(id)
        {
            *head_stems.entry(k).or_default() += 1;
        }
    }
    for (pair, id) in &mut pairs {
        if pair.is_some() {
            continue;
        }
        let Some(k) = hashed_stem(id) else { continue };
        if let (Some([i]), Some(1)) = (stems.get(&k).map(Vec::as_slice), head_stems.get(&k)) {
            *pair = Some(*i);
            used[*i] = true;
        }
    }
    let mut out = Vec::with_capacity(head.len());
    for ((pair, id), r) in pairs.into_iter().zip(head) {
        out.push(one(pair.map(|i| &base[i]), Some(r), id));
    }
    for (i, r) in base.iter().enumerate() {
        if !used[i] {
            out.push(one(Some(r), None, r.id()));
        }
    }
    out
}

/// (group, kind, namespace, name without its suffix) of a ConfigMap or Secret whose name ends
/// in a kustomize content hash (`-` and ten characters of its alphabet: hex with `0 1 3 a e`
/// written `g h k m t`).
fn hashed_stem(id: &ResourceId) -> Option<(String, String, String, String)> {
    if !id.gvk.group.is_empty() || !matches!(id.gvk.kind.as_str(), "ConfigMap" | "Secret") {
        return None;
    }
    let (stem, suffix) = id.name.rsplit_once('-')?;
    let alphabet = |c: char| "bcdfghkmt245679".contains(c) || c == '8';
    let hashed = suffix.len() == 10 && suffix.chars().all(alphabet);
    hashed.then(|| {
        (
            id.gvk.group.clone(),
            id.gvk.kind.clone(),
            id.namespace.clone(),
            stem.to_string(),
        )
    })
}

fn one(before: Option<&Resource>, after: Option<&Resource>, id: ResourceId) -> ObjectDiff {
    let mut b = before.map(|r| normalized(r, &id));
    let mut a = after.map(|r| normalized(r, &id));
    if mask::is_secret(&id.gvk.group, &id.gvk.kind) {
        mask::mask_secret(b.as_mut(), a.as_mut());
    }
    match (b, a) {
        (Some(mut b), Some(mut a)) => {
            // Symmetric: what either side omits as empty, and quantities spelled differently.
            normalize::reconcile(&mut a, &b);
            normalize::reconcile(&mut b, &a);
            let changes = changes::compare(&b, &a);
            let (action, before_text, after_text) = if changes.is_empty() {
                (Action::Unchanged, String::new(), String::new())
            } else {
                (
                    Action::Changed,
                    crate::yaml::emit(&b),
                    crate::yaml::emit(&a),
                )
            };
            ObjectDiff {
                id,
                action,
                changes,
                before_text,
                after_text,
                live: Some(b),
                rendered: Some(a),
            }
        }
        (None, Some(a)) => ObjectDiff::created(id, a),
        (Some(b), _) => ObjectDiff::pruned(id, b),
        (None, None) => ObjectDiff {
            id,
            action: Action::Unchanged,
            changes: Vec::new(),
            before_text: String::new(),
            after_text: String::new(),
            live: None,
            rendered: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(text: &str) -> Vec<Resource> {
        crate::resource::parse_resources(text, std::path::Path::new("t.yaml")).unwrap()
    }

    #[test]
    fn semantic_equality_changes_adds_and_removes() {
        let base = res(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a, labels: {}}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1\n        resources: {limits: {cpu: 500m}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone}\n",
        );
        let head = res(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a, annotations: null}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1\n        resources: {limits: {cpu: '0.5'}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: new}\n",
        );
        let out = compare(&base, &head);
        let acts: Vec<(String, Action)> =
            out.iter().map(|o| (o.id.name.clone(), o.action)).collect();
        assert_eq!(
            acts,
            [
                ("web".to_string(), Action::Changed),
                ("new".to_string(), Action::Created),
                ("gone".to_string(), Action::Pruned)
            ]
        );
        let paths: Vec<String> = out[0].changes.iter().map(|c| c.path.to_string()).collect();
        assert_eq!(paths, ["spec.replicas"]);
        let text = crate::diff::text::object_diff_with(&out[0], false, &LABELS);
        assert!(text.contains("--- base/apps.v1.Deployment.a.web"), "{text}");
        assert!(text.contains("-  replicas: 1\n+  replicas: 2"), "{text}");
        // A generated ConfigMap whose hash changed pairs with its old self.
        let b = res(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config-6d5c46cggm}\ndata: {LEVEL: info}\n",
        );
        let h = res(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config-8f2m9k7bd4}\ndata: {LEVEL: debug}\n",
        );
        let out2 = compare(&b, &h);
        assert_eq!(out2.len(), 1);
        let paths: Vec<String> = out2[0].changes.iter().map(|c| c.path.to_string()).collect();
        assert_eq!(paths, ["data.LEVEL", "metadata.name"]);
        // Not a hash: a plain rename is an add and a remove.
        let b = res("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config-aaaaaaaaaa}\n");
        assert_eq!(compare(&b, &h).len(), 2);
        // The same render twice is unchanged.
        assert!(
            compare(&head, &head)
                .iter()
                .all(|o| o.action == Action::Unchanged)
        );
    }

    #[test]
    fn secrets_are_masked_on_both_sides() {
        let base = res(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: b2xkLXNlY3JldA==, same: eA==}\n",
        );
        let head = res(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: new-secret}\ndata: {same: eA==}\n",
        );
        let out = compare(&base, &head);
        assert_eq!(out[0].action, Action::Changed);
        let text = crate::diff::text::object_diff_with(&out[0], false, &LABELS);
        for leak in [
            "b2xkLXNlY3JldA==",
            "new-secret",
            "bmV3LXNlY3JldA==",
            "old-secret",
        ] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
        assert!(text.contains("*** (after)"), "{text}");
        let json = serde_json::to_string(&out[0].changes).unwrap();
        assert!(
            !json.contains("new-secret") && !json.contains("b2xkLXNlY3JldA=="),
            "{json}"
        );
    }
}
