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

use crate::value::Value;

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

/// The most elements (target's and patch's together) of a list merged by several keys whose
/// elements do not each have their own key values. kyaml's walk of such a list is quadratic
/// (`kubectl kustomize` takes 10 s for 4,000 ports, this walk 1.3 s); a longer one is refused
/// rather than taking minutes or hours. Lists with one key, or with their own key values, have
/// no limit: their walk is linear.
pub const MAX_MULTI_KEY_ELEMENTS: usize = 4096;

/// A list too long for the quadratic walk: its merge keys and its number of elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLong {
    /// The merge keys, comma-separated.
    pub keys: String,
    /// Elements of the target and the patch together.
    pub len: usize,
}

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a list merged by the keys {} has {} elements (target and patch) with missing or repeated key values: more than {MAX_MULTI_KEY_ELEMENTS}, whose merge takes quadratic time",
            self.keys, self.len
        )
    }
}

/// Walks a keyed list: `dest` the target's elements, `patch` the patch's, `keys` the merge
/// keys. `merge` is given the first target element and the first patch element of each key
/// value.
///
/// # Errors
/// A list that takes the quadratic walk and is longer than [`MAX_MULTI_KEY_ELEMENTS`].
pub fn walk(
    dest: Vec<Value>,
    patch: &[Value],
    keys: &[&str],
    merge: impl FnMut(Option<&Value>, Option<&Value>) -> Merged,
) -> Result<Vec<Value>, TooLong> {
    let tuple = |e: &Value| -> Vec<String> { keys.iter().map(|k| key_text(e, k)).collect() };
    if is_plain(&dest, keys) && is_plain(patch, keys) {
        return Ok(walk_plain(dest, patch, &tuple, merge));
    }
    if let [key] = keys {
        return Ok(walk_one_key(dest, patch, key, merge));
    }
    let len = dest.len() + patch.len();
    if len > MAX_MULTI_KEY_ELEMENTS {
        return Err(TooLong {
            keys: keys.join(", "),
            len,
        });
    }
    Ok(walk_general(dest, patch, keys, merge))
}

/// The walk as kyaml writes it, for any keys: quadratic in the elements (it searches the lists
/// once per key value and copies them once per element). [`walk`] uses it with several keys;
/// with one, [`walk_one_key`] does the same in linear time (the tests hold the two equal).
fn walk_general(
    mut dest: Vec<Value>,
    patch: &[Value],
    keys: &[&str],
    mut merge: impl FnMut(Option<&Value>, Option<&Value>) -> Merged,
) -> Vec<Value> {
    let tuple = |e: &Value| -> Vec<String> { keys.iter().map(|k| key_text(e, k)).collect() };
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

/// The key's text of an element that holds the key (`None`: a scalar, or a mapping without it).
fn held_text(e: &Value, key: &str) -> Option<String> {
    e.as_object()
        .is_some_and(|m| m.contains_key(key))
        .then(|| key_text(e, key))
}

/// The list [`walk_one_key`] builds: elements that were set to the same value at once share one
/// group (union-find), so setting every element of a key value again is one step per group,
/// and groups are found by their key's text.
#[derive(Default)]
struct SetList {
    /// Each element's group, in order.
    order: Vec<usize>,
    value: Vec<Value>,
    parent: Vec<usize>,
    /// The groups of elements holding the key (roots), by the key text of their value.
    by_text: std::collections::HashMap<String, Vec<usize>>,
}

impl SetList {
    fn root(&mut self, mut g: usize) -> usize {
        while self.parent[g] != g {
            self.parent[g] = self.parent[self.parent[g]];
            g = self.parent[g];
        }
        g
    }

    fn group(&mut self, v: Value, key: &str) -> usize {
        let g = self.value.len();
        if let Some(t) = held_text(&v, key) {
            self.by_text.entry(t).or_default().push(g);
        }
        self.value.push(v);
        self.parent.push(g);
        g
    }

    /// kyaml's `ElementSetter` with one key and its text `t`: the empty elements go, and every
    /// element holding the key with that text (any text when `t` is empty) becomes `x`;
    /// `x` is appended when none does.
    fn set(&mut self, x: Value, key: &str, t: &str) {
        // Only an element without the key that starts the list over can be empty.
        if let [g] = self.order[..] {
            let r = self.root(g);
            if is_empty(&self.value[r]) {
                self.order.clear();
            }
        }
        let taken: Vec<usize> = if t.is_empty() {
            self.by_text.drain().flat_map(|(_, gs)| gs).collect()
        } else {
            self.by_text.remove(t).unwrap_or_default()
        };
        // Each group is listed once, under the text of its value, and taken out when set.
        debug_assert!(taken.iter().all(|&g| self.parent[g] == g));
        let Some((&first, rest)) = taken.split_first() else {
            let g = self.group(x, key);
            self.order.push(g);
            return;
        };
        for &r in rest {
            self.parent[r] = first;
        }
        if let Some(xt) = held_text(&x, key) {
            self.by_text.entry(xt).or_default().push(first);
        }
        self.value[first] = x;
    }

    /// The list holds only `x` (an element without the key was set).
    fn start_over(&mut self, x: Value, key: &str) {
        *self = SetList::default();
        let g = self.group(x, key);
        self.order.push(g);
    }

    fn into_values(mut self) -> Vec<Value> {
        let order = std::mem::take(&mut self.order);
        order
            .into_iter()
            .map(|g| {
                let r = self.root(g);
                self.value[r].clone()
            })
            .collect()
    }
}

/// [`walk_general`] with one key, in time linear in the elements (hashing aside): the same
/// steps over indexes by key text instead of searches, the target's elements removed at most
/// once each, and the new list's elements set a group at a time ([`SetList`]).
fn walk_one_key(
    dest: Vec<Value>,
    patch: &[Value],
    key: &str,
    mut merge: impl FnMut(Option<&Value>, Option<&Value>) -> Merged,
) -> Vec<Value> {
    use std::collections::{HashMap, HashSet};
    if dest.is_empty() && patch.is_empty() {
        return dest;
    }
    // The key texts, patch first, each once.
    let mut values: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for e in patch.iter().chain(dest.iter()) {
        let t = key_text(e, key);
        if seen.insert(t.clone()) {
            values.push(t);
        }
    }
    // The first patch element holding each text.
    let mut patch_at: HashMap<String, usize> = HashMap::new();
    for (i, e) in patch.iter().enumerate() {
        if let Some(t) = held_text(e, key) {
            patch_at.entry(t).or_insert(i);
        }
    }
    let mut dest: Vec<Option<Value>> = dest.into_iter().map(Some).collect();
    // Target elements holding the key, by text, in order; a position is checked when read.
    let mut dest_at: HashMap<String, Vec<usize>> = HashMap::new();
    let mut empties: Vec<usize> = Vec::new();
    for (i, e) in dest.iter().enumerate() {
        let Some(e) = e else { continue };
        if let Some(t) = held_text(e, key) {
            dest_at.entry(t).or_default().push(i);
        } else if is_empty(e) {
            empties.push(i);
        }
    }
    let first_dest = |dest: &[Option<Value>], at: &HashMap<String, Vec<usize>>, t: &str| {
        at.get(t)?.iter().copied().find(|&i| {
            dest[i]
                .as_ref()
                .is_some_and(|e| held_text(e, key).as_deref() == Some(t))
        })
    };
    let mut items = SetList::default();
    for v in &values {
        let di = first_dest(&dest, &dest_at, v);
        let pe = patch_at.get(v).map(|&i| &patch[i]);
        let merged = merge(di.and_then(|i| dest[i].as_ref()), pe);
        let mut val = match merged {
            Merged::Clear => None,
            Merged::InPlace(m) | Merged::New(m) if is_empty(&m) => None,
            Merged::InPlace(m) => {
                if let Some(i) = di {
                    dest[i] = Some(m.clone());
                }
                Some(m)
            }
            Merged::New(m) => Some(m),
        };
        let Some(val) = val.as_mut() else {
            // The target's empty elements go, and those holding the key with this text (any
            // text when it is empty).
            for i in empties.drain(..) {
                dest[i] = None;
            }
            let gone: Vec<usize> = if v.is_empty() {
                dest_at.drain().flat_map(|(_, is)| is).collect()
            } else {
                dest_at.remove(v).unwrap_or_default()
            };
            for i in gone {
                // One whose text changed since stays: it is listed under its new text too.
                if dest[i]
                    .as_ref()
                    .and_then(|e| held_text(e, key))
                    .is_some_and(|t| v.is_empty() || t == *v)
                {
                    dest[i] = None;
                }
            }
            continue;
        };
        if !v.is_empty()
            && let Some(m) = val.as_object_mut()
            && !m.contains_key(key)
        {
            m.insert(key.to_string(), Value::String(v.clone()));
            if let Some(i) = di
                && let Some(Some(d)) = dest
                    .get_mut(i)
                    .map(|d| d.as_mut().and_then(Value::as_object_mut))
            {
                d.insert(key.to_string(), Value::String(v.clone()));
            }
        }
        // A target element whose key text changed is listed under its new text too.
        if let Some(i) = di
            && let Some(t) = dest[i].as_ref().and_then(|e| held_text(e, key))
            && t != *v
        {
            let list = dest_at.entry(t).or_default();
            let at = list.partition_point(|&j| j < i);
            list.insert(at, i);
        }
        items.set(val.clone(), key, v);
    }
    for e in dest.into_iter().flatten() {
        match held_text(&e, key) {
            Some(t) => items.set(e, key, &t),
            None => items.start_over(e, key),
        }
    }
    items.into_values()
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
    use crate::json;

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
        let got = walk(d, &[], &["name"], keep).unwrap();
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
        let got = walk(d, &p, &["name"], keep).unwrap();
        assert_eq!(got, vec![json!({"name": "c"}), json!({"name": "a"})]);
    }

    #[test]
    fn an_element_without_the_key_drops_the_keyed_ones() {
        let d = vec![
            json!({"name": "a"}),
            json!({"image": "x"}),
            json!({"name": "b"}),
        ];
        let got = walk(d, &[], &["name"], keep).unwrap();
        assert_eq!(got, vec![json!({"image": "x"})]);
    }
}

#[cfg(test)]
mod one_key_tests {
    use super::*;
    use crate::json;

    /// Elements of every kind the walk treats apart: empty, scalar, without the key, with an
    /// empty, null, numeric or mapping key, repeated keys.
    fn pool() -> Vec<Value> {
        vec![
            json!({}),
            Value::Null,
            json!(1),
            json!({"name": "a"}),
            json!({"name": "a", "v": 2}),
            json!({"name": "b", "v": 1}),
            json!({"name": "b", "drop": true}),
            json!({"name": ""}),
            json!({"name": null}),
            json!({"name": 80}),
            json!({"name": "80"}),
            json!({"name": {"x": 1}}),
            json!({"image": "x"}),
            json!({"name": "c", "rename": true}),
            json!({"name": "d", "strip": true}),
        ]
    }

    /// Merges as the strategic merge may: in place, new, cleared, without the key, renamed.
    fn merge(d: Option<&Value>, p: Option<&Value>) -> Merged {
        let flag = |v: Option<&Value>, f: &str| v.is_some_and(|v| v.get(f).is_some());
        if flag(p, "drop") || flag(d, "drop") {
            return Merged::Clear;
        }
        if flag(p, "strip") {
            return Merged::New(json!({"v": 9}));
        }
        match (d, p) {
            (Some(d), _) if flag(Some(d), "rename") => {
                let mut m = d.clone();
                m["name"] = json!("e");
                Merged::InPlace(m)
            }
            (Some(d), Some(p)) => {
                let mut m = d.clone();
                if let (Some(a), Some(b)) = (m.as_object_mut(), p.as_object()) {
                    for (k, v) in b {
                        a.insert(k.clone(), v.clone());
                    }
                }
                Merged::InPlace(m)
            }
            (Some(d), None) => Merged::InPlace(d.clone()),
            (None, Some(p)) => Merged::New(p.clone()),
            (None, None) => Merged::Clear,
        }
    }

    #[test]
    fn the_linear_walk_is_kyamls_walk() {
        let pool = pool();
        let mut seed = 11u64;
        let mut next = |m: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) % m as u64) as usize
        };
        for case in 0..20_000 {
            let n = next(9);
            let dest: Vec<Value> = (0..n).map(|_| pool[next(pool.len())].clone()).collect();
            let m = next(4);
            let patch: Vec<Value> = (0..m).map(|_| pool[next(pool.len())].clone()).collect();
            let mut calls_a = Vec::new();
            let a = walk_general(dest.clone(), &patch, &["name"], |d, p| {
                calls_a.push((d.cloned(), p.cloned()));
                merge(d, p)
            });
            let mut calls_b = Vec::new();
            let b = walk_one_key(dest.clone(), &patch, "name", |d, p| {
                calls_b.push((d.cloned(), p.cloned()));
                merge(d, p)
            });
            assert_eq!(a, b, "case {case}: dest {dest:?} patch {patch:?}");
            assert_eq!(
                calls_a, calls_b,
                "case {case}: dest {dest:?} patch {patch:?}"
            );
        }
    }

    #[test]
    fn a_large_list_of_repeated_and_missing_keys_is_walked_in_linear_time() {
        // 200,000 elements, half of them sharing ten names and some with an empty name: the
        // quadratic walk would take hours.
        let dest: Vec<Value> = (0..200_000)
            .map(|i| match i % 4 {
                0 => json!({"name": format!("n{i}")}),
                1 => json!({"name": format!("d{}", i % 10)}),
                2 => json!({"name": ""}),
                _ => json!({"name": format!("m{i}"), "v": i}),
            })
            .collect();
        let patch = vec![json!({"name": "d3", "v": 1})];
        let out = walk(dest, &patch, &["name"], merge).unwrap();
        assert!(!out.is_empty());
    }
}

#[cfg(test)]
mod multi_key_tests {
    use super::*;
    use crate::json;

    fn same(d: Option<&Value>, _: Option<&Value>) -> Merged {
        d.map_or(Merged::Clear, |d| Merged::InPlace(d.clone()))
    }

    #[test]
    fn only_a_long_list_that_takes_the_quadratic_walk_is_refused() {
        let keys = ["containerPort", "protocol"];
        // Without protocols and with repeated ports: the general walk.
        let repeated = |n: usize| -> Vec<Value> {
            (0..n)
                .map(|i| json!({"containerPort": 8000 + i % 100}))
                .collect()
        };
        let err = walk(
            repeated(MAX_MULTI_KEY_ELEMENTS),
            &[json!({"containerPort": 1})],
            &keys,
            same,
        )
        .unwrap_err();
        assert_eq!(err.len, MAX_MULTI_KEY_ELEMENTS + 1);
        assert_eq!(err.keys, "containerPort, protocol");
        assert!(walk(repeated(300), &[], &keys, same).is_ok());
        // Every element with its own values: the linear walk, whatever the length.
        let own: Vec<Value> = (0..20_000)
            .map(|i| json!({"containerPort": i, "protocol": "TCP"}))
            .collect();
        assert_eq!(walk(own.clone(), &[], &keys, same).unwrap(), own);
        // One key: linear too.
        let named: Vec<Value> = (0..20_000)
            .map(|i| json!({"name": format!("n{}", i % 7)}))
            .collect();
        assert_eq!(walk(named, &[], &["name"], same).unwrap().len(), 7);
    }

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
        })
        .unwrap();
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
