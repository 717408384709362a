//! The builtin `ValueAddTransformer` (a `transformers:` config): add a value to a field, or
//! insert it into a file path held by the field. No I/O.

use crate::value::{Map, Value};

use crate::kustomize::KustomizeError;
use crate::kustomize::fieldspec::split_path;
use crate::kustomize::resmap::ResMap;
use crate::kustomize::selector::Selector;

/// One target of the transformer.
#[derive(Debug, Clone)]
pub struct Target {
    /// Which resources (all when absent).
    pub selector: Option<Selector>,
    /// Slash-separated path of the field.
    pub field_path: String,
    /// 1-based position in a file path to insert at (0: replace the value).
    pub file_path_position: usize,
}

/// The transformer's config.
#[derive(Debug, Clone)]
pub struct ValueAdd {
    /// The value to add.
    pub value: String,
    /// Where.
    pub targets: Vec<Target>,
}

/// Inserts `part` into `path` at 0-based position `pos` (kustomize's `InsertPathPart`).
fn insert_path_part(path: &str, pos: usize, part: &str) -> String {
    if path.is_empty() || path == "/" {
        return format!("{}{part}", if path == "/" { "/" } else { "" });
    }
    let abs = path.starts_with('/');
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut out: Vec<&str> = Vec::new();
    let pos = pos.min(parts.len());
    out.extend(&parts[..pos]);
    out.push(part);
    out.extend(&parts[pos..]);
    let joined = out.join("/");
    if abs { format!("/{joined}") } else { joined }
}

impl ValueAdd {
    /// Applies every target.
    ///
    /// # Errors
    /// An invalid target selector or a non-scalar field.
    pub fn apply(&self, list: &mut ResMap, at: &str) -> Result<(), KustomizeError> {
        for t in &self.targets {
            let sel =
                match &t.selector {
                    Some(s) => Some(s.compile().map_err(|e| {
                        KustomizeError::invalid(at, format!("invalid selector: {e}"))
                    })?),
                    None => None,
                };
            let segs = split_path(&t.field_path);
            for r in list.list.iter_mut() {
                if let Some(s) = &sel
                    && !s.matches(r)
                {
                    continue;
                }
                if segs == ["metadata", "namespace"] {
                    let ns = r.res.namespace().to_string();
                    let new = if t.file_path_position > 0 {
                        insert_path_part(&ns, t.file_path_position - 1, &self.value)
                    } else {
                        self.value.clone()
                    };
                    r.set_namespace(&new);
                    continue;
                }
                let mut cur = &mut r.res.value;
                for (i, seg) in segs.iter().enumerate() {
                    if !cur.is_object() {
                        return Err(KustomizeError::invalid(
                            r.res.origin.describe(""),
                            format!("field {} is not a mapping", t.field_path),
                        ));
                    }
                    let Value::Object(m) = cur else { break };
                    let last = i + 1 == segs.len();
                    let entry = m.entry(seg.clone()).or_insert_with(|| {
                        if last {
                            Value::String(String::new())
                        } else {
                            Value::Object(Map::new())
                        }
                    });
                    cur = entry;
                }
                let old = match cur {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    _ => {
                        return Err(KustomizeError::invalid(
                            r.res.origin.describe(""),
                            format!("field {} is not a scalar", t.field_path),
                        ));
                    }
                };
                *cur = Value::String(if t.file_path_position > 0 {
                    insert_path_part(&old, t.file_path_position - 1, &self.value)
                } else {
                    self.value.clone()
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parts() {
        let cases = [
            ("", 0, "PEACH"),
            ("pie", 0, "PEACH/pie"),
            ("/pie", 0, "/PEACH/pie"),
            ("raw", 1, "raw/PEACH"),
            ("a/nice/warm/pie", 3, "a/nice/warm/PEACH/pie"),
            ("projects", 1, "projects/PEACH"),
            ("x", 9999, "x/PEACH"),
        ];
        for (path, pos, want) in cases {
            assert_eq!(insert_path_part(path, pos, "PEACH"), want, "{path} {pos}");
        }
    }
}
