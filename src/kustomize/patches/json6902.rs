//! JSON 6902 patches (RFC 6902 via the `json-patch` crate); list items by index only.
//! Pure functions on JSON values.

use serde_json::Value;

/// Reads a list of operations.
///
/// # Errors
/// An operation with an unknown `op` or missing fields, as a message.
pub fn parse_ops(v: &Value) -> Result<json_patch::Patch, String> {
    serde_json::from_value(v.clone()).map_err(|e| e.to_string())
}

/// Applies the operations to a resource.
///
/// # Errors
/// An operation that does not apply (missing path, failed test), as a message.
pub fn apply(doc: &mut Value, ops: &json_patch::Patch) -> Result<(), String> {
    json_patch::patch(doc, ops).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
                "replace missing fails",
                json!([{"op":"replace","path":"/spec/missing","value":1}]),
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
