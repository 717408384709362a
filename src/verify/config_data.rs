//! What the API server refuses in a Secret's or a ConfigMap's data that its OpenAPI schema
//! accepts: `data` of a Secret (and `binaryData` of a ConfigMap) that is not standard base64, keys
//! that are not config keys, a ConfigMap key in both `data` and `binaryData`, more than 1 MiB of
//! data, and the keys (or annotation) a Secret's `type` requires. Messages follow the API
//! server's and never show a value: only keys, positions and sizes.
//!
//! Pure: a value in, violations out.

use crate::value::{Map, Value};

use crate::schema::kubernetes::{Violation, dotted};

const CODE: &str = "api-validation";
/// The most data a Secret or ConfigMap holds (`core.MaxSecretSize`).
const MAX_SIZE: usize = 1024 * 1024;

fn push(out: &mut Vec<Violation>, pointer: String, message: String) {
    out.push(Violation {
        code: CODE,
        message: format!("{}: {message}", dotted(&pointer)),
        pointer,
    });
}

/// The problems of a `v1` Secret or ConfigMap (`kind`), in the API server's order.
pub fn check(kind: &str, value: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    match kind {
        "Secret" => secret(&mut out, value),
        "ConfigMap" => config_map(&mut out, value),
        _ => {}
    }
    out
}

fn map<'a>(value: &'a Value, key: &str) -> Option<&'a Map> {
    value.get(key).and_then(Value::as_object)
}

fn secret(out: &mut Vec<Violation>, value: &Value) {
    let data = map(value, "data");
    let string_data = map(value, "stringData");
    // The decoded data, with stringData's keys over data's, as the API server merges them.
    let mut sizes: Vec<(&str, usize)> = Vec::new();
    for (k, v) in data.into_iter().flatten() {
        keys(out, "data", k);
        let Some(s) = v.as_str() else { continue };
        match decoded_len(s) {
            Ok(n) => sizes.push((k, n)),
            Err(at) => push(
                out,
                format!("/data/{}", escape(k)),
                format!("Invalid value: illegal base64 data at input byte {at}"),
            ),
        }
    }
    for (k, v) in string_data.into_iter().flatten() {
        keys(out, "stringData", k);
        if let Some(s) = v.as_str() {
            sizes.retain(|(d, _)| d != k);
            sizes.push((k, s.len()));
        }
    }
    let total: usize = sizes.iter().map(|(_, n)| n).sum();
    if total > MAX_SIZE {
        push(
            out,
            "/data".into(),
            format!("Too long: must have at most {MAX_SIZE} bytes"),
        );
    }
    let has = |key: &str| sizes.iter().any(|(k, _)| *k == key);
    let required = |out: &mut Vec<Violation>, key: &str| {
        push(
            out,
            format!("/data/{}", escape(key)),
            "Required value".into(),
        );
    };
    match value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("Opaque")
    {
        "kubernetes.io/tls" => {
            for key in ["tls.crt", "tls.key"] {
                if !has(key) {
                    required(out, key);
                }
            }
        }
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            required(out, "username");
            required(out, "password");
        }
        "kubernetes.io/ssh-auth"
            if !sizes.iter().any(|(k, n)| *k == "ssh-privatekey" && *n > 0) =>
        {
            required(out, "ssh-privatekey");
        }
        t @ ("kubernetes.io/dockerconfigjson" | "kubernetes.io/dockercfg") => {
            let key = if t == "kubernetes.io/dockercfg" {
                ".dockercfg"
            } else {
                ".dockerconfigjson"
            };
            if !has(key) {
                required(out, key);
            }
        }
        "kubernetes.io/service-account-token"
            if value
                .pointer("/metadata/annotations/kubernetes.io~1service-account.name")
                .is_none() =>
        {
            push(
                out,
                "/metadata/annotations/kubernetes.io~1service-account.name".into(),
                "Required value".into(),
            );
        }
        _ => {}
    }
}

fn config_map(out: &mut Vec<Violation>, value: &Value) {
    let data = map(value, "data");
    let binary = map(value, "binaryData");
    let mut total = 0usize;
    for (k, v) in data.into_iter().flatten() {
        keys(out, "data", k);
        if binary.is_some_and(|b| b.contains_key(k)) {
            push(
                out,
                format!("/data/{}", escape(k)),
                format!("Invalid value: {k:?}: duplicate of key present in binaryData"),
            );
        }
        total += v.as_str().map_or(0, str::len);
    }
    for (k, v) in binary.into_iter().flatten() {
        keys(out, "binaryData", k);
        let Some(s) = v.as_str() else { continue };
        match decoded_len(s) {
            Ok(n) => total += n,
            Err(at) => push(
                out,
                format!("/binaryData/{}", escape(k)),
                format!("Invalid value: illegal base64 data at input byte {at}"),
            ),
        }
    }
    if total > MAX_SIZE {
        push(
            out,
            "/data".into(),
            format!("Too long: must have at most {MAX_SIZE} bytes"),
        );
    }
}

/// A data key the API server refuses (`IsConfigMapKey`).
fn keys(out: &mut Vec<Violation>, field: &str, key: &str) {
    let why = if key.len() > 253 {
        Some("must be no more than 253 characters")
    } else if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        Some(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
        )
    } else if key == "." {
        Some("must not be '.'")
    } else if key == ".." {
        Some("must not be '..'")
    } else if key.starts_with("..") {
        Some("must not start with '..'")
    } else {
        None
    };
    if let Some(why) = why {
        let shown: String = key.chars().take(64).collect();
        push(
            out,
            format!("/{field}/{}", escape(key)),
            format!("Invalid value: {shown:?}: {why}"),
        );
    }
}

fn escape(key: &str) -> String {
    crate::schema::kubernetes::escape_segment(key)
}

/// The decoded length of standard, padded base64 (line breaks ignored, as Go's decoder does),
/// or the offset of the first byte that is not.
fn decoded_len(s: &str) -> Result<usize, usize> {
    let mut n = 0usize;
    let mut pad = 0usize;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'\r' | b'\n' => {}
            b'=' => pad += 1,
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if pad == 0 => n += 1,
            _ => return Err(i),
        }
    }
    if pad > 2 || !(n + pad).is_multiple_of(4) {
        return Err(s.len());
    }
    Ok(n * 3 / 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn messages(kind: &str, v: Value) -> Vec<String> {
        check(kind, &v).into_iter().map(|v| v.message).collect()
    }

    #[test]
    fn secret_data_is_base64_and_keys_are_config_keys() {
        let got = messages(
            "Secret",
            json!({"data": {"ok": "aGk=", "bad": "not base64!", "short": "aGk"},
                "stringData": {"Bad Key": "x", "a/b": "y", "..x": "z"}}),
        );
        assert_eq!(
            got,
            [
                "data.bad: Invalid value: illegal base64 data at input byte 3",
                "data.short: Invalid value: illegal base64 data at input byte 3",
                "stringData...x: Invalid value: \"..x\": must not start with '..'",
                "stringData.Bad Key: Invalid value: \"Bad Key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                "stringData.a/b: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            ]
        );
        // Values never appear, only keys.
        assert!(got.iter().all(|m| !m.contains("not base64")));
        assert_eq!(
            messages("Secret", json!({"data": {"k": "aGVs\nbG8="}})),
            Vec::<String>::new()
        );
    }

    #[test]
    fn secret_types_require_their_keys() {
        let tls = messages(
            "Secret",
            json!({"type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}}),
        );
        assert_eq!(tls, ["data.tls.key: Required value"]);
        let ok =
            json!({"type": "kubernetes.io/tls", "stringData": {"tls.crt": "c", "tls.key": "k"}});
        assert!(check("Secret", &ok).is_empty());
        assert_eq!(
            messages(
                "Secret",
                json!({"type": "kubernetes.io/dockerconfigjson", "data": {}})
            ),
            ["data..dockerconfigjson: Required value"]
        );
        assert_eq!(
            messages("Secret", json!({"type": "kubernetes.io/basic-auth"})).len(),
            2
        );
        assert!(
            check(
                "Secret",
                &json!({"type": "kubernetes.io/basic-auth", "stringData": {"password": ""}})
            )
            .is_empty()
        );
        assert_eq!(
            messages(
                "Secret",
                json!({"type": "kubernetes.io/service-account-token"})
            ),
            ["metadata.annotations.kubernetes.io/service-account.name: Required value"]
        );
    }

    #[test]
    fn data_is_at_most_one_mebibyte() {
        let big = "x".repeat(MAX_SIZE + 1);
        assert_eq!(
            messages("ConfigMap", json!({"data": {"a": big}})),
            ["data: Too long: must have at most 1048576 bytes"]
        );
        let half = "x".repeat(MAX_SIZE / 2 + 1);
        assert_eq!(
            messages("Secret", json!({"stringData": {"a": half, "b": half}})),
            ["data: Too long: must have at most 1048576 bytes"]
        );
        assert!(check("ConfigMap", &json!({"data": {"a": "x".repeat(MAX_SIZE)}})).is_empty());
        assert_eq!(
            messages(
                "ConfigMap",
                json!({"data": {"k": "v"}, "binaryData": {"k": "dg=="}})
            ),
            ["data.k: Invalid value: \"k\": duplicate of key present in binaryData"]
        );
    }
}
