//! kyaml's associative-list walk (`walk/associative_sequence.go`), as kustomize's strategic
//! merge runs it over every keyed list it reaches in the target, touched by the patch or not.
//!
//! The walk takes the key values of the patch's elements, then of the target's, once each. For
//! each value it merges the first target element with that key with the first patch element,
//! and sets the result into a new list (replacing elements with the same key). Then it sets
//! each target element into that list in turn, again replacing elements with the same key: so
//! of target elements sharing a key only the last is left, at the place of the first, and an
//! element without the key drops all the elements before it. Empty elements (`{}`, `null`)
//! are dropped on the way. With several keys (`containerPort`, `protocol`) the key values that
//! differ only where one is empty are taken as one, and each target element is set by deleting
//! the elements matching the keys it has and appending it.

use serde_json::Value;

/// The key's value as kyaml compares it (a scalar's text; "" when missing, null or empty).
pub fn key_text(e: &Value, key: &str) -> String {
    match e.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => crate::yaml::format_number(n),
        Some(_) => String::new(),
    }
}

/// The element `ElementMatcher` finds: every key present with exactly that text.
fn finds(e: &Value, keys: &[&str], values: &[String]) -> bool {
    let Some(m) = e.as_object() else {
        return false;
    };
    keys.iter()
        .zip(values)
        .all(|(k, v)| m.contains_key(*k) && key_text(e, k) == *v)
}

/// `FieldMatcher` by string value, as `ElementSetter` uses it: an empty value matches any
/// element holding the key.
fn set_matches(e: &Value, key: &str, v: &str) -> bool {
    match e.as_object().and_then(|m| m.get(key)) {
        None => false,
        Some(_) if v.is_empty() => true,
        Some(_) => key_text(e, key) == v,
    }
}

fn is_empty(e: &Value) -> bool {
    match e {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// kyaml's `ElementSetter`: replaces every element matching the values with `elem` (appends it
/// when none does; removes the matches when there is no `elem`), dropping empty elements. Keys
/// past the values match as the last valued key did; with no values nothing matches and only
/// `elem` is left.
fn element_set(items: &mut Vec<Value>, elem: Option<&Value>, keys: &[&str], values: &[String]) {
    let mapping_setter = keys.first().is_some_and(|k| !k.is_empty())
        && values.first().is_some_and(|v| !v.is_empty());
    let mut out = Vec::with_capacity(items.len() + 1);
    let mut found_any = false;
    for it in items.drain(..) {
        if is_empty(&it) {
            continue;
        }
        if !it.is_object() && mapping_setter {
            out.push(it);
            continue;
        }
        let mut hit = false;
        let mut found = true;
        for (j, k) in keys.iter().enumerate() {
            if let Some(v) = values.get(j) {
                hit = set_matches(&it, k, v);
            }
            if !hit {
                found = false;
                break;
            }
        }
        if !found {
            if !values.is_empty() {
                out.push(it);
            }
            continue;
        }
        found_any = true;
        if let Some(e) = elem {
            out.push(e.clone());
        }
    }
    *items = out;
    if let Some(e) = elem
        && !found_any
    {
        items.push(e.clone());
    }
}

/// What merging one key value's elements gave.
pub enum Merged {
    /// The target's element, merged in place.
    InPlace(Value),
    /// A new element (from the patch), or the target's element left as it was.
    New(Value),
    /// The element goes.
    Clear,
}

/// kyaml's `validateKeys`: the keys some element gives a value to (all of them when none
/// does), with their values.
fn valid_keys<'k>(
    all: &[Vec<String>],
    values: &[String],
    keys: &[&'k str],
) -> (Vec<&'k str>, Vec<String>) {
    let used: Vec<bool> = (0..keys.len())
        .map(|i| all.iter().any(|t| t.get(i).is_some_and(|v| !v.is_empty())))
        .collect();
    if !used.contains(&true) {
        return (keys.to_vec(), values.to_vec());
    }
    let vk = keys
        .iter()
        .zip(&used)
        .filter(|(_, u)| **u)
        .map(|(k, _)| *k)
        .collect();
    let vv = values
        .iter()
        .enumerate()
        .filter(|(i, v)| !v.is_empty() || used[*i])
        .map(|(_, v)| v.clone())
        .collect();
    (vk, vv)
}

/// kyaml's `mergeValues`: tuples differing only where one side is empty are made one.
fn merge_values(list: &mut [Vec<String>]) {
    for i in 0..list.len() {
        for j in 0..list.len() {
            let (a, b) = (&list[i], &list[j]);
            let mut common = false;
            let mut res = Vec::with_capacity(a.len());
            let mut ok = a.len() == b.len();
            for (x, y) in a.iter().zip(b) {
                if !ok {
                    break;
                }
                if x == y {
                    common = true;
                    res.push(x.clone());
                } else if !x.is_empty() && !y.is_empty() {
                    ok = false;
                } else if !x.is_empty() {
                    res.push(x.clone());
                } else {
                    res.push(y.clone());
                }
            }
            if ok && common {
                list[i] = res.clone();
                list[j] = res;
            }
        }
    }
}

/// Walks a keyed list: `dest` the target's elements, `patch` the patch's, `keys` the merge
/// keys. `merge` is given the first target element and the first patch element of each key
/// value.
pub fn walk(
    mut dest: Vec<Value>,
    patch: &[Value],
    keys: &[&str],
    mut merge: impl FnMut(Option<&Value>, Option<&Value>) -> Merged,
) -> Vec<Value> {
    let tuple = |e: &Value| -> Vec<String> { keys.iter().map(|k| key_text(e, k)).collect() };
    if is_plain(&dest, keys) && is_plain(patch, keys) {
        return walk_plain(dest, patch, &tuple, merge);
    }
    let mut values: Vec<Vec<String>> = Vec::new();
    for e in patch.iter().chain(dest.iter()) {
        let t = tuple(e);
        if !values.contains(&t) {
            values.push(t);
        }
    }
    if keys.len() > 1 {
        merge_values(&mut values);
    }
    let mut items: Vec<Value> = Vec::new();
    let mut last_keys: Vec<&str> = keys.to_vec();
    for v in &values {
        let (vk, vv) = valid_keys(&values, v, keys);
        let (fk, fv) = valid_keys(std::slice::from_ref(v), v, keys);
        let di = dest.iter().position(|e| finds(e, &fk, &fv));
        let pe = patch.iter().find(|e| finds(e, &fk, &fv));
        let mut val = match merge(di.map(|i| &dest[i]), pe) {
            Merged::Clear => None,
            Merged::InPlace(m) | Merged::New(m) if is_empty(&m) => None,
            Merged::InPlace(m) => {
                if let Some(i) = di {
                    dest[i] = m.clone();
                }
                Some(m)
            }
            Merged::New(m) => Some(m),
        };
        last_keys = vk.clone();
        let Some(val) = val.as_mut() else {
            element_set(&mut dest, None, &vk, &vv);
            continue;
        };
        for (k, x) in vk.iter().zip(&vv) {
            if !x.is_empty()
                && let Some(m) = val.as_object_mut()
                && !m.contains_key(*k)
            {
                m.insert(k.to_string(), Value::String(x.clone()));
                if let Some(i) = di
                    && let Some(d) = dest[i].as_object_mut()
                {
                    d.insert(k.to_string(), Value::String(x.clone()));
                }
            }
        }
        element_set(&mut items, Some(val), &vk, &vv);
    }
    if values.is_empty() {
        return dest;
    }
    for e in &dest {
        let mut v: Vec<String> = Vec::new();
        for k in &last_keys {
            if e.as_object().is_some_and(|m| m.contains_key(*k)) {
                v.push(key_text(e, k));
            } else {
                items.push(e.clone());
            }
        }
        if last_keys.len() > 1 {
            element_set(&mut items, None, &last_keys, &v);
        }
        element_set(&mut items, Some(e), &last_keys, &v);
    }
    items
}

/// [`walk`] when every element of both sides has its own key values ([`is_plain`]): the
/// patch's elements in its order (merged with the target's of the same key, or new), then the
/// target's other elements in theirs, each once. What the general walk gives for such lists,
/// without its quadratic search and copies.
fn walk_plain(
    dest: Vec<Value>,
    patch: &[Value],
    tuple: &dyn Fn(&Value) -> Vec<String>,
    mut merge: impl FnMut(Option<&Value>, Option<&Value>) -> Merged,
) -> Vec<Value> {
    let index: std::collections::HashMap<Vec<String>, usize> = dest
        .iter()
        .enumerate()
        .map(|(i, e)| (tuple(e), i))
        .collect();
    let mut slots: Vec<Option<Value>> = dest.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(slots.len() + patch.len());
    let keep = |m: Merged, out: &mut Vec<Value>| match m {
        Merged::InPlace(m) | Merged::New(m) if !is_empty(&m) => out.push(m),
        _ => {}
    };
    for pe in patch {
        let d = index.get(&tuple(pe)).and_then(|&i| slots[i].take());
        keep(merge(d.as_ref(), Some(pe)), &mut out);
    }
    for d in slots.into_iter().flatten() {
        keep(merge(Some(&d), None), &mut out);
    }
    out
}

/// Whether [`walk`] with no patch gives `list` back unchanged: every element a non-empty mapping
/// with a value for each of the `keys` (no two elements alike in all of them, none empty).
pub fn is_plain(list: &[Value], keys: &[&str]) -> bool {
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    list.iter().all(|e| {
        e.as_object().is_some_and(|m| !m.is_empty()) && {
            let t: Vec<String> = keys.iter().map(|k| key_text(e, k)).collect();
            t.iter().all(|v| !v.is_empty()) && seen.insert(t)
        }
    })
}

/// A list of scalars merged by value: each value once, where it first appears.
pub fn dedup_scalars(list: &mut Vec<Value>) {
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    list.retain(|v| v.is_object() || seen.insert(v.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keep(d: Option<&Value>, p: Option<&Value>) -> Merged {
        match (d, p) {
            (Some(d), _) => Merged::InPlace(d.clone()),
            (None, Some(p)) => Merged::New(p.clone()),
            (None, None) => Merged::Clear,
        }
    }

    #[test]
    fn duplicates_leave_the_last_at_the_first_place() {
        let d = vec![
            json!({"name": "a", "v": 1}),
            json!({"name": "b"}),
            json!({"name": "a", "v": 2}),
        ];
        let got = walk(d, &[], &["name"], keep);
        assert_eq!(
            got,
            vec![json!({"name": "a", "v": 2}), json!({"name": "b"})]
        );
    }

    #[test]
    fn patch_elements_first_and_an_empty_one_drops_those_after() {
        // The empty element's key value "" finds nothing, and clearing "" clears every
        // element holding the key: `b` is not merged yet, so it goes.
        let d = vec![json!({"name": "a"}), json!({}), json!({"name": "b"})];
        let p = vec![json!({"name": "c"})];
        let got = walk(d, &p, &["name"], keep);
        assert_eq!(got, vec![json!({"name": "c"}), json!({"name": "a"})]);
    }

    #[test]
    fn an_element_without_the_key_drops_the_keyed_ones() {
        let d = vec![
            json!({"name": "a"}),
            json!({"image": "x"}),
            json!({"name": "b"}),
        ];
        let got = walk(d, &[], &["name"], keep);
        assert_eq!(got, vec![json!({"image": "x"})]);
    }
}

#[cfg(test)]
mod multi_key_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ports_by_port_and_protocol() {
        let d = vec![
            json!({"containerPort": 80, "name": "http"}),
            json!({"containerPort": 80, "name": "http2"}),
            json!({"containerPort": 81, "protocol": "UDP"}),
            json!({"containerPort": 81, "protocol": "TCP"}),
        ];
        let got = walk(d, &[], &["containerPort", "protocol"], |d, _| {
            d.map_or(Merged::Clear, |d| Merged::InPlace(d.clone()))
        });
        assert_eq!(
            got,
            vec![
                json!({"containerPort": 80, "name": "http2"}),
                json!({"containerPort": 81, "protocol": "UDP"}),
                json!({"containerPort": 81, "protocol": "TCP"}),
            ]
        );
    }
}
