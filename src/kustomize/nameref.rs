//! Name references: after prefixes, suffixes and hashes renamed resources, rewrite the fields
//! that refer to them (ConfigMap/Secret volumes and env refs, ServiceAccount names, RoleBinding
//! roleRef and subjects, Service names, ...), as kustomize's `nameref` filter does.
//! Owns candidate selection; no I/O.
//!
//! A resource is a possible target of a reference `old` when `old` is one of its previous names
//! (kustomize records an id whenever a namespace, prefix/suffix, JSON patch or hash transformer
//! touched it) and one of its previous ids has the referred kind. Of those, the referrer may see
//! cluster-scoped resources, resources in its namespace and (a RoleBinding) ServiceAccounts in
//! the namespaces its subjects name. Several candidates are narrowed to those whose prefixes and
//! suffixes end like the referrer's (first letting an empty list match anything, then exactly):
//! that is how a base included twice under different prefixes keeps its references apart.
//! Candidates still left must agree on the new name, or the reference is ambiguous.

use std::collections::{HashMap, HashSet};

use crate::value::Value;

use super::KustomizeError;
use super::fieldspec::{NameBackRef, gvk_selects, walk_existing};
use super::resmap::{KRes, ResMap, is_cluster_scoped, kid, ns_equal};
use crate::resource::Gvk;

/// What selection needs to know about a resource, taken once before any field changes.
struct Target {
    name: String,
    namespace: String,
    cluster: bool,
    kind: String,
    /// Current group and version with each previous kind (kustomize's previous ids).
    prev_gvks: Vec<Gvk>,
    /// Effective original namespace; `None` for cluster-scoped resources.
    org_ns: Option<String>,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
}

fn effective_ns(ns: &str) -> &str {
    if ns.is_empty() { "default" } else { ns }
}

impl Target {
    fn of(r: &KRes) -> Self {
        let gvk = r.res.gvk();
        let prev_gvks = r
            .prev
            .iter()
            .map(|p| Gvk {
                group: gvk.group.clone(),
                version: gvk.version.clone(),
                kind: p.2.clone(),
            })
            .collect();
        let org_gvk = org_id_gvk(r);
        let org_ns =
            (!is_cluster_scoped(&org_gvk)).then(|| effective_ns(r.org_namespace()).to_string());
        Target {
            name: r.res.name().to_string(),
            namespace: r.res.namespace().to_string(),
            cluster: is_cluster_scoped(&gvk),
            kind: r.res.kind().to_string(),
            prev_gvks,
            org_ns,
            prefixes: r.prefixes.clone(),
            suffixes: r.suffixes.clone(),
        }
    }
}

/// kustomize's `OrgId` group/version/kind: the current apiVersion with the original kind.
fn org_id_gvk(r: &KRes) -> Gvk {
    let mut gvk = r.res.gvk();
    if let Some(p) = r.prev.first() {
        gvk.kind = p.2.clone();
    }
    gvk
}

/// `a` and `b` end the same way; an empty list only matches an empty one.
fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.is_empty();
    }
    long.ends_with(short)
}

fn affixes_match(t: &Target, r: &Referrer, allow_empty: bool) -> bool {
    let part = |x: &[String], y: &[String]| {
        (allow_empty && (x.is_empty() || y.is_empty())) || same_ending(x, y)
    };
    part(&t.prefixes, &r.prefixes) && part(&t.suffixes, &r.suffixes)
}

/// The referring resource, as selection sees it.
struct Referrer {
    namespace: String,
    cluster: bool,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
    /// `roleRef` group and kind, when both are given.
    role_ref: Option<(String, String)>,
    /// Namespaces of a RoleBinding's ServiceAccount subjects.
    binding_namespaces: HashSet<String>,
}

impl Referrer {
    fn of(r: &KRes) -> Result<Self, String> {
        let gvk = r.res.gvk();
        let role_ref = r.res.value.get("roleRef").and_then(|rr| {
            let g = rr.get("apiGroup")?.as_str()?;
            let k = rr.get("kind")?.as_str()?;
            Some((g.to_string(), k.to_string()))
        });
        let mut binding_namespaces = HashSet::new();
        if gvk.kind == "RoleBinding"
            && let Some(Value::Array(subjects)) = r.res.value.get("subjects")
        {
            for s in subjects {
                let (Some(ns), Some(kind)) = (s.get("namespace"), s.get("kind")) else {
                    continue;
                };
                if kind.as_str() != Some("ServiceAccount") {
                    continue;
                }
                match ns.as_str() {
                    Some(n) => {
                        binding_namespaces.insert(n.to_string());
                    }
                    None => {
                        return Err(
                            "subjects: namespace is blank for a ServiceAccount subject (give \
                             it a namespace or drop the key)"
                                .to_string(),
                        );
                    }
                }
            }
        }
        Ok(Referrer {
            namespace: r.res.namespace().to_string(),
            cluster: is_cluster_scoped(&gvk),
            prefixes: r.prefixes.clone(),
            suffixes: r.suffixes.clone(),
            role_ref,
            binding_namespaces,
        })
    }

    /// kustomize's `SubsetThatCouldBeReferencedByResource`.
    fn may_see(&self, t: &Target) -> bool {
        self.cluster
            || t.cluster
            || ns_equal(&t.namespace, &self.namespace)
            || self.binding_namespaces.contains(&t.namespace)
    }

    /// kustomize's `sameCurrentNamespaceAsReferrer` sieve.
    fn same_namespace(&self, t: &Target) -> bool {
        self.cluster
            || t.cluster
            || t.kind == "ServiceAccount"
            || ns_equal(&t.namespace, &self.namespace)
    }
}

/// Rewrites every reference in the list.
///
/// # Errors
/// An ambiguous reference (several candidates with different new names), a map-shaped
/// reference without `name`, or a field with the wrong shape.
pub fn fix(list: &mut ResMap, refs: &[NameBackRef]) -> Result<(), KustomizeError> {
    // kustomize reads every referring RoleBinding's subjects, whatever else happens.
    for r in &list.list {
        let org = org_id_gvk(r);
        if r.res.kind() == "RoleBinding"
            && refs
                .iter()
                .any(|b| b.field_specs.iter().any(|fs| fs.matches(&org)))
        {
            Referrer::of(r).map_err(|m| {
                KustomizeError::invalid(r.location(""), format!("{}: {m}", kid(&r.id())))
            })?;
        }
    }
    // Only resources with a history can be targets.
    if list.list.iter().all(|r| r.prev.is_empty()) {
        return Ok(());
    }
    // Snapshot every resource once: selection reads names while referrers are rewritten.
    let targets: Vec<Target> = list.list.iter().map(Target::of).collect();
    let mut indexes: Vec<(usize, HashMap<String, Vec<usize>>)> = Vec::new();
    for (bi, back) in refs.iter().enumerate() {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in list.list.iter().enumerate() {
            if r.prev.is_empty()
                || !targets[i]
                    .prev_gvks
                    .iter()
                    .any(|g| gvk_selects(&back.group, &back.version, &back.kind, g))
            {
                continue;
            }
            let mut seen: Vec<&str> = Vec::new();
            for p in &r.prev {
                if !seen.contains(&p.1.as_str()) {
                    seen.push(p.1.as_str());
                    by_name.entry(p.1.clone()).or_default().push(i);
                }
            }
        }
        if !by_name.is_empty() {
            indexes.push((bi, by_name));
        }
    }
    if indexes.is_empty() {
        return Ok(());
    }
    // Resources by effective original namespace (for `{name, namespace}` references).
    let mut by_org_ns: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, t) in targets.iter().enumerate() {
        if let Some(ns) = &t.org_ns {
            by_org_ns.entry(ns.clone()).or_default().push(i);
        }
    }
    let targets = &targets;
    let indexes = &indexes;
    let by_org_ns = &by_org_ns;
    super::transformers::par_try_each(&mut list.list, |r| {
        let org = org_id_gvk(r);
        let mut ctx: Option<Referrer> = None;
        for (bi, index) in indexes {
            let back = &refs[*bi];
            for fs in back.field_specs.iter().filter(|fs| fs.matches(&org)) {
                let ctx = match &ctx {
                    Some(c) => c,
                    None => ctx.insert(Referrer::of(r).map_err(|m| {
                        KustomizeError::invalid(r.location(""), format!("{}: {m}", kid(&r.id())))
                    })?),
                };
                let sel = Selection {
                    index,
                    targets,
                    by_org_ns,
                    ctx,
                    role_ref: fs.path.ends_with("roleRef/name"),
                };
                let res = walk_existing(&mut r.res.value, fs, &mut |node| update(node, &sel));
                if let Err(m) = res {
                    return Err(KustomizeError::invalid(
                        r.location(""),
                        format!("{}: {m}", kid(&r.id())),
                    ));
                }
            }
        }
        Ok(())
    })
}

struct Selection<'a> {
    index: &'a HashMap<String, Vec<usize>>,
    targets: &'a [Target],
    by_org_ns: &'a HashMap<String, Vec<usize>>,
    ctx: &'a Referrer,
    role_ref: bool,
}

impl Selection<'_> {
    fn target(&self, i: usize) -> &Target {
        &self.targets[i]
    }

    /// kustomize's `selectReferral` over the candidates that pass `keep`.
    fn select(
        &self,
        old: &str,
        keep: &dyn Fn(&Target) -> bool,
        with_namespace: bool,
    ) -> Result<Option<&Target>, String> {
        let Some(all) = self.index.get(old) else {
            return Ok(None);
        };
        let mut c: Vec<&Target> =
            all.iter()
                .map(|&i| self.target(i))
                .filter(|t| keep(t))
                .filter(|t| {
                    !self.role_ref
                        || self.ctx.role_ref.as_ref().is_none_or(|(g, k)| {
                            t.prev_gvks.iter().any(|pg| gvk_selects(g, "", k, pg))
                        })
                })
                .filter(|t| self.ctx.same_namespace(t))
                .collect();
        if c.len() == 1 {
            return Ok(c.pop());
        }
        c.retain(|t| affixes_match(t, self.ctx, true));
        if c.len() > 1 {
            c.retain(|t| affixes_match(t, self.ctx, false));
        }
        match c.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            [first, rest @ ..] => {
                let same = rest.iter().all(|x| {
                    x.name == first.name && (!with_namespace || x.namespace == first.namespace)
                });
                if same {
                    Ok(Some(first))
                } else {
                    Err(format!(
                        "reference {old:?} is ambiguous: found multiple possible referrals ({}) \
                         with the same prefixes and suffixes as the referrer",
                        c.iter()
                            .map(|x| {
                                if x.namespace.is_empty() {
                                    x.name.clone()
                                } else {
                                    format!("{}/{}", x.namespace, x.name)
                                }
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
            }
        }
    }

    fn set_scalar(&self, s: &mut String) -> Result<(), String> {
        let ctx = self.ctx;
        if let Some(t) = self.select(s, &|t| ctx.may_see(t), false)? {
            s.clone_from(&t.name);
        }
        Ok(())
    }

    /// A `{name, namespace}` reference (subjects, webhook services).
    fn set_mapping(&self, m: &mut crate::value::Map) -> Result<(), String> {
        let Some(old) = m.get("name") else {
            return Err("path config error; no 'name' field in node".to_string());
        };
        let Some(old) = old.as_str().map(str::to_string) else {
            return Ok(());
        };
        let ctx = self.ctx;
        let chosen = match m.get("namespace") {
            None => self.select(&old, &|t| ctx.may_see(t), true)?,
            Some(ns) => {
                let ns = ns.as_str().unwrap_or_default();
                // Candidates by original namespace when any visible resource came from it,
                // else by current namespace. Cluster-scoped resources are in neither.
                let by_org = self
                    .by_org_ns
                    .get(ns)
                    .is_some_and(|l| l.iter().any(|&i| ctx.may_see(self.target(i))));
                let in_ns = |t: &Target| {
                    ctx.may_see(t)
                        && if by_org {
                            t.org_ns.as_deref() == Some(ns)
                        } else {
                            !t.cluster && effective_ns(&t.namespace) == ns
                        }
                };
                self.select(&old, &in_ns, true)?
            }
        };
        let Some(t) = chosen else { return Ok(()) };
        if t.name == old && t.namespace.is_empty() {
            return Ok(());
        }
        m.insert("name".into(), Value::String(t.name.clone()));
        if !t.namespace.is_empty() {
            m.insert("namespace".into(), Value::String(t.namespace.clone()));
        }
        Ok(())
    }
}

fn update(node: &mut Value, sel: &Selection) -> Result<(), String> {
    match node {
        Value::String(s) => sel.set_scalar(s),
        Value::Array(items) => {
            for it in items {
                match it {
                    Value::String(s) => sel.set_scalar(s)?,
                    Value::Object(m) => sel.set_mapping(m)?,
                    _ => {}
                }
            }
            Ok(())
        }
        Value::Object(m) => sel.set_mapping(m),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn same_ending_table() {
        let cases = [
            (v(&["a", "b", "c"]), v(&["b", "c"]), true),
            (v(&["a", "b", "c"]), v(&["a", "b"]), false),
            (v(&[]), v(&[]), true),
            (v(&["a"]), v(&[]), false),
            (v(&["x", "a"]), v(&["a"]), true),
        ];
        for (a, b, want) in cases {
            assert_eq!(same_ending(&a, &b), want, "{a:?} {b:?}");
        }
    }
}
