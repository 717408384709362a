//! Secret masking: `data`/`stringData` values of a Secret, and any annotation that embeds them,
//! never leave this module unmasked.
//!
//! Owns the rule (kubectl diff's, without its last-applied leak): equal values become `***`,
//! differing ones `*** (before)` / `*** (after)`, so a reader sees which keys changed, not values.
//! Pure; no I/O.

use crate::value::{Map, Value};
use base64::Engine;

/// The mask for a value that did not change (or exists on one side only).
pub const MASK: &str = "***";
const MASK_BEFORE: &str = "*** (before)";
const MASK_AFTER: &str = "*** (after)";

/// True for the kinds whose values are masked (`v1` `Secret`).
pub fn is_secret(group: &str, kind: &str) -> bool {
    group.is_empty() && kind == "Secret"
}

/// Folds `stringData` into `data` (base64), as the API server does, so both sides compare alike.
fn fold_string_data(obj: &mut Value) {
    let Some(m) = obj.as_object_mut() else { return };
    let Some(Value::Object(sd)) = m.remove("stringData") else {
        return;
    };
    let data = m.entry("data").or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        *data = Value::Object(Map::new());
    }
    if let Some(d) = data.as_object_mut() {
        for (k, v) in sd {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            d.insert(
                k,
                Value::String(base64::engine::general_purpose::STANDARD.encode(text)),
            );
        }
    }
}

/// Every secret value of one side in every encoding it may be embedded in (raw base64 as written,
/// without its line breaks, decoded, decoded without a trailing newline, re-encoded, JSON-escaped),
/// for spotting them in annotations. Each is also registered with the masking layer, so no output
/// (text, JSON, evidence) can show it.
fn secret_values(obj: &Value, out: &mut Vec<String>) {
    if let Some(Value::Object(d)) = obj.get("data") {
        for v in d.values() {
            let s = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            crate::mask::register_secret_data(&s);
            let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&compact)
                && let Ok(text) = String::from_utf8(bytes)
                && !text.trim().is_empty()
            {
                out.extend(crate::mask::encodings(&text));
                out.extend(crate::mask::encodings(text.trim()));
            }
            for x in [s, compact] {
                if !x.trim().is_empty() {
                    out.extend(crate::mask::encodings(&x));
                }
            }
        }
    }
    out.retain(|x| !x.trim().is_empty());
}

fn mask_pair(before: Option<&mut Value>, after: Option<&mut Value>) {
    match (before, after) {
        (Some(b), Some(a)) => {
            if b == a {
                *b = Value::String(MASK.into());
                *a = Value::String(MASK.into());
            } else {
                *b = Value::String(MASK_BEFORE.into());
                *a = Value::String(MASK_AFTER.into());
            }
        }
        (Some(v), None) | (None, Some(v)) => *v = Value::String(MASK.into()),
        (None, None) => {}
    }
}

fn keys(obj: Option<&Value>, field: &str) -> Vec<String> {
    obj.and_then(|o| o.get(field))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn field_mut<'a>(obj: Option<&'a mut Value>, path: &[&str]) -> Option<&'a mut Value> {
    let mut cur = obj?;
    for p in path {
        cur = cur.get_mut(*p)?;
    }
    Some(cur)
}

/// Masks a Secret's values on both sides of a comparison (either side may be absent): `data`
/// (after folding `stringData` into it) and every annotation that embeds a secret value or a
/// `data`/`stringData` field.
pub fn mask_secret(mut before: Option<&mut Value>, mut after: Option<&mut Value>) {
    for side in [before.as_deref_mut(), after.as_deref_mut()]
        .into_iter()
        .flatten()
    {
        fold_string_data(side);
    }
    let mut values = Vec::new();
    for side in [before.as_deref(), after.as_deref()].into_iter().flatten() {
        secret_values(side, &mut values);
    }
    let mut data_keys = keys(before.as_deref(), "data");
    data_keys.extend(keys(after.as_deref(), "data"));
    data_keys.sort();
    data_keys.dedup();
    for k in &data_keys {
        let b = field_mut(before.as_deref_mut(), &["data", k]);
        let a = field_mut(after.as_deref_mut(), &["data", k]);
        mask_pair(b, a);
    }
    let embeds = |v: &Value| {
        v.as_str().is_some_and(|s| {
            s.contains("\"data\"")
                || s.contains("\"stringData\"")
                || s.contains("data:")
                || s.contains("stringData:")
                || values.iter().any(|x| s.contains(x.as_str()))
        })
    };
    let mut ann_keys: Vec<String> = Vec::new();
    for side in [before.as_deref(), after.as_deref()].into_iter().flatten() {
        if let Some(Value::Object(m)) = side.pointer("/metadata/annotations") {
            ann_keys.extend(m.iter().filter(|(_, v)| embeds(v)).map(|(k, _)| k.clone()));
        }
    }
    ann_keys.sort();
    ann_keys.dedup();
    for k in &ann_keys {
        let b = field_mut(before.as_deref_mut(), &["metadata", "annotations", k]);
        let a = field_mut(after.as_deref_mut(), &["metadata", "annotations", k]);
        mask_pair(b, a);
    }
}

#[cfg(test)]
mod issue_11 {
    use super::*;
    use crate::json;

    /// Issue 11: a last-applied annotation embeds the Secret value; the base64 ends in `\n` or is
    /// wrapped, and the value must still be masked.
    #[test]
    fn issue_11_annotation_embedding_wrapped_or_newline_base64_is_masked() {
        let value = "correct-horse-battery-staple-correct-horse-battery-staple-0123456789";
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{value}\n"));
        let wrapped = format!("{}\n{}", &b64[..60], &b64[60..]);
        for (data, embedded) in [
            (format!("{b64}\n"), b64.clone()),
            (wrapped.clone(), wrapped.clone()),
            (b64.clone(), value.to_string()),
        ] {
            let mut live = json!({
                "kind": "Secret",
                "metadata": {"annotations": {"note": format!("{{\"x\":{}}}", serde_json::to_string(&embedded).unwrap())}},
                "data": {"k": data},
            });
            mask_secret(Some(&mut live), None);
            let text = live.to_string();
            assert!(
                !text.contains(&b64[..40]) && !text.contains(value),
                "{text}"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn values_masked_changed_keys_visible() {
        let mut live = json!({"kind": "Secret", "data": {"a": "MQ==", "b": "Mg==", "gone": "eA=="},
            "metadata": {"annotations": {"note": "copy of 1", "team": "media",
                "backup": "{\"data\":{\"a\":\"MQ==\"}}"}}});
        let mut rendered = json!({"kind": "Secret", "data": {"a": "MQ=="}, "stringData": {"b": "3", "new": "zz9"},
            "metadata": {"annotations": {"team": "media"}}});
        mask_secret(Some(&mut live), Some(&mut rendered));
        assert_eq!(
            live["data"],
            json!({"a": "***", "b": "*** (before)", "gone": "***"})
        );
        assert_eq!(
            rendered["data"],
            json!({"a": "***", "b": "*** (after)", "new": "***"})
        );
        assert!(rendered.get("stringData").is_none());
        assert_eq!(
            live["metadata"]["annotations"]["note"], "***",
            "embeds the decoded value 1"
        );
        assert_eq!(live["metadata"]["annotations"]["backup"], "***");
        assert_eq!(
            live["metadata"]["annotations"]["team"], "media",
            "negative: unrelated annotation kept"
        );
        let all = format!("{live}{rendered}");
        for secret in ["MQ==", "Mg==", "eA==", "\"3\"", "zz9"] {
            assert!(!all.contains(secret), "{secret} leaked: {all}");
        }
    }

    #[test]
    fn one_sided_secret_is_masked() {
        let mut created = json!({"kind": "Secret", "stringData": {"token": "hunter2"}});
        mask_secret(None, Some(&mut created));
        assert_eq!(created, json!({"kind": "Secret", "data": {"token": "***"}}));
    }
}
