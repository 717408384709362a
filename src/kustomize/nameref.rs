//! Name references: after prefixes, suffixes and hashes renamed resources, rewrite the fields
//! that refer to them (ConfigMap/Secret volumes and env refs, ServiceAccount names, RoleBinding
//! roleRef and subjects, Service names, ...), as kustomize's `nameref` filter does.
//! Owns candidate selection; no I/O.

use std::collections::HashMap;

use serde_json::Value;

use super::KustomizeError;
use super::fieldspec::{FieldSpec, NameBackRef, gvk_selects, walk_existing};
use super::resmap::{ResMap, is_cluster_scoped, kid, ns_equal};
use crate::resource::Gvk;

struct Cand {
    idx: usize,
    name: String,
    namespace: String,
    orig_ns: String,
    cluster: bool,
    kind: String,
}

/// Rewrites every reference in the list.
///
/// # Errors
/// An ambiguous reference (several candidates with different new names), or a field with the
/// wrong shape.
pub fn fix(list: &mut ResMap, refs: &[NameBackRef]) -> Result<(), KustomizeError> {
    // Computed once: current GVKs and applied affixes.
    let gvks: Vec<Gvk> = list.list.iter().map(|r| r.res.gvk()).collect();
    let affixes: Vec<(Vec<String>, Vec<String>)> = list
        .list
        .iter()
        .map(|r| (r.prefixes.clone(), r.suffixes.clone()))
        .collect();
    // Index resources by any name they ever had, per referred kind.
    for back in refs {
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, r) in list.list.iter().enumerate() {
            if !gvk_selects(&back.group, &back.version, &back.kind, &r.org_gvk)
                && !gvk_selects(&back.group, &back.version, &back.kind, &gvks[i])
            {
                continue;
            }
            // Only renamed or moved resources need their referrers updated.
            if r.prev.is_empty() {
                continue;
            }
            for p in &r.prev {
                by_name.entry(p.1.as_str()).or_default().push(i);
            }
        }
        if by_name.is_empty() {
            continue;
        }
        let index: HashMap<String, Vec<Cand>> = by_name
            .into_iter()
            .map(|(k, idxs)| {
                let mut seen = Vec::new();
                let cands = idxs
                    .into_iter()
                    .filter(|i| {
                        let fresh = !seen.contains(i);
                        seen.push(*i);
                        fresh
                    })
                    .map(|i| {
                        let r = &list.list[i];
                        Cand {
                            idx: i,
                            name: r.res.name().to_string(),
                            namespace: r.res.namespace().to_string(),
                            orig_ns: r.org_namespace().to_string(),
                            cluster: is_cluster_scoped(&r.res.gvk()),
                            kind: r.res.kind().to_string(),
                        }
                    })
                    .collect();
                (k.to_string(), cands)
            })
            .collect();
        let affixes = &affixes;
        let index = &index;
        super::transformers::par_try_each(&mut list.list, |r| {
            let gvk = r.res.gvk();
            let specs: Vec<&FieldSpec> = back
                .field_specs
                .iter()
                .filter(|fs| fs.matches(&gvk))
                .collect();
            if specs.is_empty() {
                return Ok(());
            }
            let ctx = Referrer {
                namespace: r.res.namespace().to_string(),
                cluster: is_cluster_scoped(&gvk),
                affixes: (r.prefixes.clone(), r.suffixes.clone()),
                role_ref_kind: r
                    .res
                    .value
                    .get("roleRef")
                    .and_then(|x| x.get("kind"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
            };
            for fs in specs {
                let is_role_ref = fs.path == "roleRef/name";
                let res = walk_existing(&mut r.res.value, fs, &mut |node| {
                    update(node, index, &ctx, affixes, is_role_ref)
                });
                if let Err(m) = res {
                    return Err(KustomizeError::invalid(
                        r.location(""),
                        format!("{}: {m}", kid(&r.id())),
                    ));
                }
            }
            Ok(())
        })?;
    }
    Ok(())
}

struct Referrer {
    namespace: String,
    cluster: bool,
    affixes: (Vec<String>, Vec<String>),
    role_ref_kind: Option<String>,
}

fn select<'a>(
    old: &str,
    ns_filter: Option<(&str, bool)>,
    index: &'a HashMap<String, Vec<Cand>>,
    ctx: &Referrer,
    affixes: &[(Vec<String>, Vec<String>)],
    is_role_ref: bool,
) -> Result<Option<&'a Cand>, String> {
    let Some(all) = index.get(old) else {
        return Ok(None);
    };
    let mut c: Vec<&Cand> = all
        .iter()
        .filter(|c| {
            // Resources in another namespace cannot be referred to (except ServiceAccounts
            // from bindings, and anything from a cluster-scoped referrer).
            ctx.cluster
                || c.cluster
                || c.kind == "ServiceAccount"
                || ns_equal(&c.namespace, &ctx.namespace)
        })
        .filter(|c| {
            ns_filter.is_none_or(|(ns, orig)| {
                c.cluster
                    || if orig {
                        ns_equal(&c.orig_ns, ns)
                    } else {
                        ns_equal(&c.namespace, ns)
                    }
            })
        })
        .filter(|c| !is_role_ref || ctx.role_ref_kind.as_deref().is_none_or(|k| k == c.kind))
        .collect();
    if c.len() > 1 {
        let same: Vec<&Cand> = c
            .iter()
            .copied()
            .filter(|x| affixes[x.idx] == ctx.affixes)
            .collect();
        if !same.is_empty() {
            c = same;
        }
    }
    match c.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        [first, rest @ ..] => {
            if rest.iter().all(|x| x.name == first.name) {
                Ok(Some(first))
            } else {
                Err(format!(
                    "found multiple possible referrals for {old:?}: {}",
                    c.iter()
                        .map(|x| x.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        }
    }
}

fn update(
    node: &mut Value,
    index: &HashMap<String, Vec<Cand>>,
    ctx: &Referrer,
    affixes: &[(Vec<String>, Vec<String>)],
    is_role_ref: bool,
) -> Result<(), String> {
    match node {
        Value::String(s) => {
            if let Some(c) = select(s, None, index, ctx, affixes, is_role_ref)? {
                *s = c.name.clone();
            }
            Ok(())
        }
        Value::Array(items) => {
            for it in items {
                update(it, index, ctx, affixes, is_role_ref)?;
            }
            Ok(())
        }
        Value::Object(m) => {
            // A subject or a webhook service: {name, namespace}.
            let Some(old) = m.get("name").and_then(Value::as_str).map(str::to_string) else {
                return Ok(());
            };
            let ns = m
                .get("namespace")
                .and_then(Value::as_str)
                .map(str::to_string);
            let ctx_ns = Referrer {
                namespace: ns.clone().unwrap_or_else(|| ctx.namespace.clone()),
                cluster: ctx.cluster || ns.is_some(),
                affixes: ctx.affixes.clone(),
                role_ref_kind: None,
            };
            let chosen = match ns.as_deref() {
                Some(n) => {
                    let by_orig = index.get(&old).is_some_and(|all| {
                        all.iter().any(|c| ns_equal(&c.orig_ns, n) || c.cluster)
                    });
                    select(&old, Some((n, by_orig)), index, &ctx_ns, affixes, false)?
                }
                None => select(&old, None, index, &ctx_ns, affixes, false)?,
            };
            if let Some(c) = chosen {
                m.insert("name".into(), Value::String(c.name.clone()));
                if !c.namespace.is_empty() {
                    m.insert("namespace".into(), Value::String(c.namespace.clone()));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
