//! Builtin transformers, one module each, all driven by field specs through the one walker.
//! Each exposes a config struct and `apply(&self, list: &mut ResMap)`. No I/O.

pub mod annotations;
pub mod images;
pub mod labels;
pub mod namespace;
pub mod prefix_suffix;
pub mod replicas;
pub mod value_add;

use std::collections::BTreeMap;

use crate::value::Value;

use super::KustomizeError;
use super::fieldspec::{Create, FieldSpec, walk_resource};
use super::resmap::KRes;

/// String entries set through field specs: the labels and annotations transformers.
#[derive(Debug, Clone)]
pub struct MapEntries {
    /// The entries.
    pub pairs: BTreeMap<String, String>,
    /// Where to set them.
    pub fields: Vec<FieldSpec>,
}

impl MapEntries {
    /// Sets the entries on every resource.
    ///
    /// # Errors
    /// A field with the wrong shape.
    pub fn apply(&self, list: &mut super::resmap::ResMap) -> Result<(), KustomizeError> {
        par_try_each(&mut list.list, |r| {
            set_map_entries(r, &self.fields, &self.pairs)
        })
    }
}

/// Sets `key: value` string entries in the mapping each matching field spec reaches (labels,
/// annotations, selectors), creating the mapping where the spec says so.
///
/// # Errors
/// A field on the path with the wrong shape, naming the resource and field.
pub(crate) fn set_map_entries(
    r: &mut KRes,
    specs: &[FieldSpec],
    pairs: &BTreeMap<String, String>,
) -> Result<(), KustomizeError> {
    if pairs.is_empty() {
        return Ok(());
    }
    walk_resource(r, specs, Some(Create::Map), &mut |node| {
        if node.is_null() {
            *node = Value::Object(Default::default());
        }
        match node {
            Value::Object(m) => {
                for (k, v) in pairs {
                    m.insert(k.clone(), Value::String(v.clone()));
                }
                Ok(())
            }
            _ => Err("expected a mapping".to_string()),
        }
    })
}

/// Runs `f` on every resource, on all cores for large lists (each call touches only its own
/// resource). The first error in list order wins.
///
/// # Errors
/// The first error `f` returns.
pub(crate) fn par_try_each<F>(list: &mut [KRes], f: F) -> Result<(), KustomizeError>
where
    F: Fn(&mut KRes) -> Result<(), KustomizeError> + Sync,
{
    let threads = super::cores().min(8);
    if list.len() < 4096 || threads < 2 {
        return list.iter_mut().try_for_each(&f);
    }
    let chunk = list.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = list
            .chunks_mut(chunk)
            .map(|part| s.spawn(move || part.iter_mut().try_for_each(f)))
            .collect();
        let mut first = Ok(());
        for h in handles {
            let r = h.join().unwrap_or_else(|_| {
                Err(KustomizeError::invalid(
                    "rollout",
                    "internal error: a transformer thread panicked; please report a bug",
                ))
            });
            if first.is_ok() {
                first = r;
            }
        }
        first
    })
}

/// Test helper: runs a transform over a YAML stream and prints the result.
#[cfg(test)]
pub(crate) fn run_transform(
    input: &str,
    t: impl FnOnce(&mut super::resmap::ResMap) -> Result<(), KustomizeError>,
) -> String {
    let list = crate::resource::parse_resources(input, std::path::Path::new("t.yaml")).unwrap();
    let mut m = super::resmap::ResMap {
        list: list.into_iter().map(KRes::new).collect(),
    };
    match t(&mut m) {
        Ok(()) => crate::yaml::emit_stream(m.list.iter().map(|r| &r.res.value)),
        Err(e) => format!("ERROR: {e}"),
    }
}
