//! The mapping of a [`Value`]: keys in byte order, as `serde_json::Map` (a `BTreeMap`) keeps them,
//! but stored as a sorted vector while it is small.
//!
//! A Kubernetes object is made of many small mappings (`labels: {app: x}`, `limits: {cpu: 1}`). A
//! `BTreeMap` gives each of them a whole node, about 630 bytes whatever it holds; a sorted vector
//! holds 56 bytes per entry. A mapping that grows past [`LARGE`] entries becomes a `BTreeMap`, so
//! inserting in any order stays `O(log n)` per key on hostile input.

use std::borrow::Borrow;
use std::collections::{BTreeMap, btree_map};

use super::Value;

/// Above this many entries a mapping is kept as a `BTreeMap`.
pub const LARGE: usize = 32;

type Entries = Vec<(String, Value)>;

/// A JSON object: string keys in byte order, each once.
#[derive(Clone, Default)]
pub struct Map {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Small(Entries),
    // Boxed so that a `Map`, and with it a `Value`, stays 24 bytes (and 32).
    #[allow(clippy::box_collection)]
    Large(Box<BTreeMap<String, Value>>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Small(Vec::new())
    }
}

/// Makes room for one more entry. Mappings are mostly built once at their size and then gain an
/// entry or two (a label, a namespace), so a full vector grows by a quarter, not by double: the
/// growth stays geometric, and a resource tree carries little unused capacity.
fn room_for_one(v: &mut Vec<(String, Value)>) {
    if v.len() == v.capacity() {
        v.reserve_exact((v.len() / 4).max(1));
    }
}

fn find<Q>(entries: &[(String, Value)], key: &Q) -> Result<usize, usize>
where
    String: Borrow<Q>,
    Q: Ord + AsRef<str> + ?Sized,
{
    entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
}

/// Where `key` is, if it is there: a scan of a short vector (most compare lengths only), a binary
/// search of a longer one.
fn position<Q>(entries: &[(String, Value)], key: &Q) -> Option<usize>
where
    String: Borrow<Q>,
    Q: Ord + AsRef<str> + ?Sized,
{
    if entries.len() <= SCAN {
        let key = key.as_ref().as_bytes();
        entries
            .iter()
            .position(|(k, _)| same_key(k.as_bytes(), key))
    } else {
        find(entries, key).ok()
    }
}

/// Whether two keys are equal: lengths, then the first and last bytes, and only then the whole
/// (keys of one mapping that have the same length mostly differ at an end, and comparing the
/// whole is a call into `memcmp`).
#[inline]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.first() == b.first() && a.last() == b.last() && same_bytes(a, b)
}

/// `a == b` for slices of the same length, short ones (most keys) compared as two overlapping
/// machine words instead of by a call into `memcmp`.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    fn word(s: &[u8], at: usize) -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_ne_bytes(w)
    }
    fn half(s: &[u8], at: usize) -> u32 {
        let mut w = [0u8; 4];
        w.copy_from_slice(&s[at..at + 4]);
        u32::from_ne_bytes(w)
    }
    let n = a.len();
    debug_assert_eq!(n, b.len());
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => a == b,
    }
}

/// Up to this many entries, a lookup scans.
const SCAN: usize = 12;

impl Map {
    /// An empty mapping.
    pub fn new() -> Self {
        Map::default()
    }

    /// An empty mapping with room for `n` entries (when it would stay small).
    pub fn with_capacity(n: usize) -> Self {
        if n > LARGE {
            return Map::new();
        }
        Map {
            repr: Repr::Small(Vec::with_capacity(n)),
        }
    }

    /// Builds a mapping from entries in any order; of two entries with one key, the later wins
    /// (as inserting them one by one).
    pub fn from_entries(mut entries: Vec<(String, Value)>) -> Self {
        if entries.len() > LARGE {
            return Map {
                repr: Repr::Large(Box::new(entries.into_iter().collect())),
            };
        }
        if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
            // Stable, so of equal keys the later is last; each run keeps its last (moved into
            // the place `dedup_by` keeps).
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            entries.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    std::mem::swap(later, kept);
                }
                same
            });
        }
        Map {
            repr: Repr::Small(entries),
        }
    }

    /// Builds a mapping from entries in any order, or `None` if a key is there twice.
    pub fn from_unique_entries(entries: Vec<(String, Value)>) -> Option<Self> {
        let n = entries.len();
        let map = Map::from_entries(entries);
        (map.len() == n).then_some(map)
    }

    /// Gives back the room a small mapping does not use.
    pub fn shrink_to_fit(&mut self) {
        if let Repr::Small(v) = &mut self.repr {
            v.shrink_to_fit();
        }
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.repr = Repr::default();
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Small(v) => v.len(),
            Repr::Large(m) => m.len(),
        }
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `key`.
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<&Value>
    where
        String: Borrow<Q>,
        Q: Ord + AsRef<str> + ?Sized,
    {
        match &self.repr {
            Repr::Small(v) => position(v, key).map(|i| &v[i].1),
            Repr::Large(m) => m.get(key),
        }
    }

    /// The key and value at `key`.
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&String, &Value)>
    where
        String: Borrow<Q>,
        Q: Ord + AsRef<str> + ?Sized,
    {
        match &self.repr {
            Repr::Small(v) => position(v, key).map(|i| (&v[i].0, &v[i].1)),
            Repr::Large(m) => m.get_key_value(key),
        }
    }

    /// The value at `key`, to change.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut Value>
    where
        String: Borrow<Q>,
        Q: Ord + AsRef<str> + ?Sized,
    {
        match &mut self.repr {
            Repr::Small(v) => match position(v, key) {
                Some(i) => Some(&mut v[i].1),
                None => None,
            },
            Repr::Large(m) => m.get_mut(key),
        }
    }

    /// There is an entry at `key`.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        String: Borrow<Q>,
        Q: Ord + AsRef<str> + ?Sized,
    {
        self.get(key).is_some()
    }

    fn grow(&mut self) -> &mut BTreeMap<String, Value> {
        if let Repr::Small(v) = &mut self.repr {
            let entries = std::mem::take(v);
            self.repr = Repr::Large(Box::new(entries.into_iter().collect()));
        }
        match &mut self.repr {
            Repr::Large(m) => m,
            Repr::Small(_) => unreachable!("grown above"),
        }
    }

    /// Sets `key` to `value`; gives back the value it replaced (the key itself is kept).
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match &mut self.repr {
            Repr::Small(v) => {
                // Keys often come in order: append without a search.
                if v.last().is_none_or(|(k, _)| *k < key) {
                    if v.len() < LARGE {
                        room_for_one(v);
                        v.push((key, value));
                        return None;
                    }
                } else {
                    match find(v, key.as_str()) {
                        Ok(i) => return Some(std::mem::replace(&mut v[i].1, value)),
                        Err(i) if v.len() < LARGE => {
                            room_for_one(v);
                            v.insert(i, (key, value));
                            return None;
                        }
                        Err(_) => {}
                    }
                }
                self.grow().insert(key, value)
            }
            Repr::Large(m) => m.insert(key, value),
        }
    }

    /// Removes the entry at `key` and gives back its value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<Value>
    where
        String: Borrow<Q>,
        Q: Ord + AsRef<str> + ?Sized,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    /// Removes the entry at `key` and gives it back.
    pub fn remove_entry<Q>(&mut self, key: &Q) -> Option<(String, Value)>
    where
        String: Borrow<Q>,
        Q: Ord + AsRef<str> + ?Sized,
    {
        match &mut self.repr {
            Repr::Small(v) => position(v, key).map(|i| v.remove(i)),
            Repr::Large(m) => m.remove_entry(key),
        }
    }

    /// Moves every entry of `other` into this mapping (its values win).
    pub fn append(&mut self, other: &mut Map) {
        for (k, v) in std::mem::take(other) {
            self.insert(k, v);
        }
    }

    /// The entry at `key`, to read, fill or change in place.
    pub fn entry<S: Into<String>>(&mut self, key: S) -> Entry<'_> {
        let key = key.into();
        let found = match &self.repr {
            Repr::Small(v) => Some(find(v, key.as_str())),
            Repr::Large(m) => m.contains_key(&key).then_some(Ok(0)),
        };
        let at = match found {
            Some(Ok(at)) => at,
            Some(Err(at)) => return Entry::Vacant(VacantEntry { map: self, key, at }),
            None => {
                return Entry::Vacant(VacantEntry {
                    map: self,
                    key,
                    at: 0,
                });
            }
        };
        match &mut self.repr {
            Repr::Small(v) => Entry::Occupied(OccupiedEntry {
                inner: Occupied::Small(v, at),
            }),
            Repr::Large(m) => match m.entry(key) {
                btree_map::Entry::Occupied(o) => Entry::Occupied(OccupiedEntry {
                    inner: Occupied::Large(o),
                }),
                btree_map::Entry::Vacant(_) => unreachable!("the key was found"),
            },
        }
    }

    /// Keeps the entries `keep` says yes to.
    pub fn retain<F: FnMut(&String, &mut Value) -> bool>(&mut self, mut keep: F) {
        match &mut self.repr {
            Repr::Small(v) => v.retain_mut(|(k, v)| keep(k, v)),
            Repr::Large(m) => m.retain(|k, v| keep(k, v)),
        }
    }

    /// Entries in key order.
    #[inline]
    pub fn iter(&self) -> Iter<'_> {
        match &self.repr {
            Repr::Small(v) => Iter(IterRepr::Small(v.iter())),
            Repr::Large(m) => Iter(IterRepr::Large(m.iter())),
        }
    }

    /// Entries in key order, values to change.
    #[inline]
    pub fn iter_mut(&mut self) -> IterMut<'_> {
        match &mut self.repr {
            Repr::Small(v) => IterMut(IterMutRepr::Small(v.iter_mut())),
            Repr::Large(m) => IterMut(IterMutRepr::Large(m.iter_mut())),
        }
    }

    /// Keys in order.
    pub fn keys(&self) -> Keys<'_> {
        Keys(self.iter())
    }

    /// Values in key order.
    pub fn values(&self) -> Values<'_> {
        Values(self.iter())
    }

    /// Values in key order, to change.
    pub fn values_mut(&mut self) -> ValuesMut<'_> {
        ValuesMut(self.iter_mut())
    }

    /// Values in key order, owned.
    pub fn into_values(self) -> IntoValues {
        IntoValues(self.into_iter())
    }
}

/// An entry of a [`Map`], from [`Map::entry`].
pub enum Entry<'a> {
    /// No value at the key yet.
    Vacant(VacantEntry<'a>),
    /// A value at the key.
    Occupied(OccupiedEntry<'a>),
}

/// A key with no value yet.
pub struct VacantEntry<'a> {
    map: &'a mut Map,
    key: String,
    at: usize,
}

/// A key with a value.
pub struct OccupiedEntry<'a> {
    inner: Occupied<'a>,
}

enum Occupied<'a> {
    Small(&'a mut Entries, usize),
    Large(btree_map::OccupiedEntry<'a, String, Value>),
}

impl<'a> Entry<'a> {
    /// The key.
    pub fn key(&self) -> &String {
        match self {
            Entry::Vacant(e) => e.key(),
            Entry::Occupied(e) => e.key(),
        }
    }

    /// The value, set to `default` first if there was none.
    pub fn or_insert(self, default: Value) -> &'a mut Value {
        match self {
            Entry::Vacant(e) => e.insert(default),
            Entry::Occupied(e) => e.into_mut(),
        }
    }

    /// The value, set to `default()` first if there was none.
    pub fn or_insert_with<F: FnOnce() -> Value>(self, default: F) -> &'a mut Value {
        match self {
            Entry::Vacant(e) => e.insert(default()),
            Entry::Occupied(e) => e.into_mut(),
        }
    }

    /// The value, set to null first if there was none.
    pub fn or_default(self) -> &'a mut Value {
        self.or_insert(Value::Null)
    }
}

impl<'a> VacantEntry<'a> {
    /// The key.
    pub fn key(&self) -> &String {
        &self.key
    }

    /// Sets the value and gives it back to change.
    pub fn insert(self, value: Value) -> &'a mut Value {
        let VacantEntry { map, key, at } = self;
        if matches!(&map.repr, Repr::Small(v) if v.len() < LARGE) {
            let Repr::Small(v) = &mut map.repr else {
                unreachable!("small above")
            };
            room_for_one(v);
            v.insert(at, (key, value));
            return &mut v[at].1;
        }
        map.grow().entry(key).or_insert(value)
    }
}

impl<'a> OccupiedEntry<'a> {
    /// The key.
    pub fn key(&self) -> &String {
        match &self.inner {
            Occupied::Small(v, at) => &v[*at].0,
            Occupied::Large(o) => o.key(),
        }
    }

    /// The value.
    pub fn get(&self) -> &Value {
        match &self.inner {
            Occupied::Small(v, at) => &v[*at].1,
            Occupied::Large(o) => o.get(),
        }
    }

    /// The value, to change.
    pub fn get_mut(&mut self) -> &mut Value {
        match &mut self.inner {
            Occupied::Small(v, at) => &mut v[*at].1,
            Occupied::Large(o) => o.get_mut(),
        }
    }

    /// The value, to change, for as long as the map is borrowed.
    pub fn into_mut(self) -> &'a mut Value {
        match self.inner {
            Occupied::Small(v, at) => &mut v[at].1,
            Occupied::Large(o) => o.into_mut(),
        }
    }

    /// Replaces the value and gives back the old one.
    pub fn insert(&mut self, value: Value) -> Value {
        std::mem::replace(self.get_mut(), value)
    }

    /// Removes the entry and gives back its value.
    pub fn remove(self) -> Value {
        match self.inner {
            Occupied::Small(v, at) => v.remove(at).1,
            Occupied::Large(o) => o.remove(),
        }
    }
}

macro_rules! forward_iterator {
    ($name:ident, $repr:ident, $item:ty, $small:expr, $large:expr) => {
        impl<'a> Iterator for $name<'a> {
            type Item = $item;
            #[inline]
            fn next(&mut self) -> Option<Self::Item> {
                match &mut self.0 {
                    $repr::Small(i) => i.next().map($small),
                    $repr::Large(i) => i.next().map($large),
                }
            }
            fn size_hint(&self) -> (usize, Option<usize>) {
                match &self.0 {
                    $repr::Small(i) => i.size_hint(),
                    $repr::Large(i) => i.size_hint(),
                }
            }
        }
        impl<'a> DoubleEndedIterator for $name<'a> {
            fn next_back(&mut self) -> Option<Self::Item> {
                match &mut self.0 {
                    $repr::Small(i) => i.next_back().map($small),
                    $repr::Large(i) => i.next_back().map($large),
                }
            }
        }
        impl ExactSizeIterator for $name<'_> {}
        impl std::iter::FusedIterator for $name<'_> {}
    };
}

/// Entries of a [`Map`] in key order.
#[derive(Clone)]
pub struct Iter<'a>(IterRepr<'a>);

#[derive(Clone)]
enum IterRepr<'a> {
    Small(std::slice::Iter<'a, (String, Value)>),
    Large(btree_map::Iter<'a, String, Value>),
}

forward_iterator!(
    Iter,
    IterRepr,
    (&'a String, &'a Value),
    |(k, v): &'a (String, Value)| (k, v),
    |e| e
);

/// Entries of a [`Map`] in key order, values to change.
pub struct IterMut<'a>(IterMutRepr<'a>);

enum IterMutRepr<'a> {
    Small(std::slice::IterMut<'a, (String, Value)>),
    Large(btree_map::IterMut<'a, String, Value>),
}

forward_iterator!(
    IterMut,
    IterMutRepr,
    (&'a String, &'a mut Value),
    |(k, v): &'a mut (String, Value)| (&*k, v),
    |e| e
);

/// Owned entries of a [`Map`] in key order.
pub struct IntoIter(IntoIterRepr);

enum IntoIterRepr {
    Small(std::vec::IntoIter<(String, Value)>),
    Large(btree_map::IntoIter<String, Value>),
}

impl Iterator for IntoIter {
    type Item = (String, Value);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IntoIterRepr::Small(i) => i.next(),
            IntoIterRepr::Large(i) => i.next(),
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            IntoIterRepr::Small(i) => i.size_hint(),
            IntoIterRepr::Large(i) => i.size_hint(),
        }
    }
}

impl DoubleEndedIterator for IntoIter {
    fn next_back(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IntoIterRepr::Small(i) => i.next_back(),
            IntoIterRepr::Large(i) => i.next_back(),
        }
    }
}

impl ExactSizeIterator for IntoIter {}

/// Keys of a [`Map`] in order.
#[derive(Clone)]
pub struct Keys<'a>(Iter<'a>);

/// Values of a [`Map`] in key order.
#[derive(Clone)]
pub struct Values<'a>(Iter<'a>);

/// Values of a [`Map`] in key order, to change.
pub struct ValuesMut<'a>(IterMut<'a>);

/// Owned values of a [`Map`] in key order.
pub struct IntoValues(IntoIter);

macro_rules! project_iterator {
    ($name:ty, $item:ty, $f:expr) => {
        impl<'a> Iterator for $name {
            type Item = $item;
            #[inline]
            fn next(&mut self) -> Option<Self::Item> {
                self.0.next().map($f)
            }
            fn size_hint(&self) -> (usize, Option<usize>) {
                self.0.size_hint()
            }
        }
        impl<'a> DoubleEndedIterator for $name {
            fn next_back(&mut self) -> Option<Self::Item> {
                self.0.next_back().map($f)
            }
        }
        impl<'a> ExactSizeIterator for $name {}
    };
}

project_iterator!(Keys<'a>, &'a String, |(k, _)| k);
project_iterator!(Values<'a>, &'a Value, |(_, v)| v);
project_iterator!(ValuesMut<'a>, &'a mut Value, |(_, v)| v);
impl Iterator for IntoValues {
    type Item = Value;
    fn next(&mut self) -> Option<Value> {
        self.0.next().map(|(_, v)| v)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = IntoIter;
    fn into_iter(self) -> IntoIter {
        match self.repr {
            Repr::Small(v) => IntoIter(IntoIterRepr::Small(v.into_iter())),
            Repr::Large(m) => IntoIter(IntoIterRepr::Large(m.into_iter())),
        }
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Map {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = IterMut<'a>;
    fn into_iter(self) -> IterMut<'a> {
        self.iter_mut()
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<T: IntoIterator<Item = (String, Value)>>(iter: T) -> Self {
        Map::from_entries(iter.into_iter().collect())
    }
}

impl Extend<(String, Value)> for Map {
    fn extend<T: IntoIterator<Item = (String, Value)>>(&mut self, iter: T) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Map {}

impl std::hash::Hash for Map {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        for (k, v) in self {
            k.hash(state);
            v.hash(state);
        }
    }
}

impl std::fmt::Debug for Map {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<Q> std::ops::Index<&Q> for Map
where
    String: Borrow<Q>,
    Q: Ord + AsRef<str> + ?Sized,
{
    type Output = Value;
    fn index(&self, key: &Q) -> &Value {
        self.get(key).expect("no entry found for key")
    }
}

impl<Q> std::ops::IndexMut<&Q> for Map
where
    String: Borrow<Q>,
    Q: Ord + AsRef<str> + ?Sized,
{
    fn index_mut(&mut self, key: &Q) -> &mut Value {
        self.get_mut(key).expect("no entry found for key")
    }
}

#[cfg(test)]
mod tests {
    use super::{same_bytes, same_key};

    #[test]
    fn keys_compare_equal_only_when_every_byte_is() {
        // Every length around the word-sized paths, a difference at every position.
        for n in 0..=40usize {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same_key(&a, &a.clone()), "{n}");
            assert!(same_bytes(&a, &a.clone()), "{n}");
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 0x20;
                assert!(!same_key(&a, &b), "length {n}, byte {i}");
                assert!(!same_bytes(&a, &b), "length {n}, byte {i}");
            }
            if n > 0 {
                assert!(!same_key(&a, &a[..n - 1]), "{n}");
            }
        }
    }
}
