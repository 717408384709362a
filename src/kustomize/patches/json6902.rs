//! JSON 6902 patches (RFC 6902 via the `json-patch` crate); list items by index only.
//! Pure functions on JSON values.

use crate::value::Value;

/// Reads a list of operations.
///
/// # Errors
/// An operation with an unknown `op` or missing fields, as a message.
pub fn parse_ops(v: &Value) -> Result<json_patch::Patch, String> {
    crate::value::from_value(v.clone()).map_err(|e| e.to_string())
}

/// Applies the operations to a resource.
///
/// # Errors
/// An operation that does not apply (missing path, failed test), as a message.
pub fn apply(doc: &mut Value, ops: &json_patch::Patch) -> Result<(), String> {
    // The crate patches `serde_json` values: the resource crosses over and back.
    let mut json = serde_json::Value::from(doc.take());
    let applied = apply_json(&mut json, ops);
    *doc = Value::from(json);
    applied
}

fn apply_json(doc: &mut serde_json::Value, ops: &json_patch::Patch) -> Result<(), String> {
    use json_patch::{AddOperation, Patch, PatchOperation};
    if !ops
        .0
        .iter()
        .any(|op| matches!(op, PatchOperation::Replace(_)))
    {
        return json_patch::patch(doc, ops).map_err(|e| e.to_string());
    }
    // kustomize's JSON patch library (evanphx/json-patch v4) lets `replace` set a key that a
    // mapping does not have yet, as `add` would; RFC 6902 (and the crate) refuse it.
    for op in &ops.0 {
        let op = match op {
            PatchOperation::Replace(r) if missing_key_of_object(doc, &r.path.to_string()) => {
                PatchOperation::Add(AddOperation {
                    path: r.path.clone(),
                    value: r.value.clone(),
                })
            }
            other => other.clone(),
        };
        json_patch::patch(doc, &Patch(vec![op])).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Whether `pointer` names a key that is absent from an existing mapping.
fn missing_key_of_object(doc: &serde_json::Value, pointer: &str) -> bool {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return false;
    };
    let key = key.replace("~1", "/").replace("~0", "~");
    doc.pointer(parent)
        .and_then(serde_json::Value::as_object)
        .is_some_and(|m| !m.contains_key(&key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn ops_table() {
        let base = json!({"spec":{"c":[{"image":"a"}],"r":1}});
        let cases = [
            (
                "replace by index",
                json!([{"op":"replace","path":"/spec/c/0/image","value":"b"}]),
                Some(json!({"spec":{"c":[{"image":"b"}],"r":1}})),
            ),
            (
                "add",
                json!([{"op":"add","path":"/spec/x","value":2}]),
                Some(json!({"spec":{"c":[{"image":"a"}],"r":1,"x":2}})),
            ),
            (
                "remove",
                json!([{"op":"remove","path":"/spec/r"}]),
                Some(json!({"spec":{"c":[{"image":"a"}]}})),
            ),
            (
                "replace of a missing key adds it (evanphx/json-patch v4, kustomize's)",
                json!([{"op":"replace","path":"/spec/missing","value":1}]),
                Some(json!({"spec":{"c":[{"image":"a"}],"r":1,"missing":1}})),
            ),
            (
                "replace past a list's end fails",
                json!([{"op":"replace","path":"/spec/c/3","value":1}]),
                None,
            ),
            (
                "replace under a missing parent fails",
                json!([{"op":"replace","path":"/nope/x","value":1}]),
                None,
            ),
        ];
        for (name, ops, want) in cases {
            let mut doc = base.clone();
            let ops = parse_ops(&ops).unwrap();
            let got = apply(&mut doc, &ops).ok().map(|_| doc);
            assert_eq!(got, want, "{name}");
        }
    }
}
