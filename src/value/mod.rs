//! The value tree every resource is held in: a JSON value, with the API and the behaviour of
//! `serde_json::Value` (keys in byte order, the same equality, JSON text, serde), and a smaller
//! mapping ([`Map`]: a sorted vector while small).
//!
//! Crates that take `serde_json::Value` (jsonschema, json-patch, kube) get one through
//! `From`/`Into` at their edge.

mod map;

use std::fmt;

pub use map::{
    Entry, IntoIter, IntoValues, Iter, IterMut, Keys, LARGE, Map, OccupiedEntry, VacantEntry,
    Values, ValuesMut,
};
pub use serde_json::Number;

/// A JSON value.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// A list.
    Array(Vec<Value>),
    /// An object.
    Object(Map),
}

/// Builds a [`Value`] with `serde_json::json!`'s syntax.
#[macro_export]
macro_rules! json {
    ($($t:tt)+) => {
        $crate::value::Value::from(::serde_json::json!($($t)+))
    };
}

/// Reads a typed value out of a [`Value`], as `serde_json::from_value`.
pub fn from_value<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, serde_json::Error> {
    serde_json::from_value(serde_json::Value::from(v))
}

/// Writes a typed value as a [`Value`], as `serde_json::to_value`.
pub fn to_value<T: serde::Serialize>(t: T) -> Result<Value, serde_json::Error> {
    serde_json::to_value(t).map(Value::from)
}

impl Value {
    /// An object of `map`, holding no more room than its entries (for trees that are kept).
    pub fn object_fitted(mut map: Map) -> Value {
        map.shrink_to_fit();
        Value::Object(map)
    }

    /// A list of `items`, holding no more room than its items (for trees that are kept).
    pub fn array_fitted(mut items: Vec<Value>) -> Value {
        items.shrink_to_fit();
        Value::Array(items)
    }

    /// The value at `index` (a key of an object or a position in a list).
    pub fn get<I: ValueIndex>(&self, index: I) -> Option<&Value> {
        index.index_into(self)
    }

    /// The value at `index`, to change.
    pub fn get_mut<I: ValueIndex>(&mut self, index: I) -> Option<&mut Value> {
        index.index_into_mut(self)
    }

    /// It is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    /// It is a boolean.
    pub fn is_boolean(&self) -> bool {
        matches!(self, Value::Bool(_))
    }
    /// It is a number.
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Number(_))
    }
    /// It is a string.
    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }
    /// It is a list.
    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }
    /// It is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }
    /// It is an integer that fits `i64`.
    pub fn is_i64(&self) -> bool {
        matches!(self, Value::Number(n) if n.is_i64())
    }
    /// It is an integer that fits `u64`.
    pub fn is_u64(&self) -> bool {
        matches!(self, Value::Number(n) if n.is_u64())
    }
    /// It is a number that is not an integer.
    pub fn is_f64(&self) -> bool {
        matches!(self, Value::Number(n) if n.is_f64())
    }

    /// The boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// The number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }
    /// The number as `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }
    /// The number as `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_number().and_then(Number::as_u64)
    }
    /// The number as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().and_then(Number::as_f64)
    }
    /// The string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    /// The list.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    /// The list, to change.
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    /// The object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    /// The object, to change.
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Takes the value out, leaving `null`.
    pub fn take(&mut self) -> Value {
        std::mem::take(self)
    }

    /// The value at a JSON pointer (RFC 6901); `""` is this value.
    pub fn pointer(&self, pointer: &str) -> Option<&Value> {
        tokens(pointer)?.try_fold(self, |v, token| match v {
            Value::Object(m) => m.get(token.as_ref()),
            Value::Array(a) => parse_index(&token).and_then(|i| a.get(i)),
            _ => None,
        })
    }

    /// The value at a JSON pointer, to change.
    pub fn pointer_mut(&mut self, pointer: &str) -> Option<&mut Value> {
        tokens(pointer)?.try_fold(self, |v, token| match v {
            Value::Object(m) => m.get_mut(token.as_ref()),
            Value::Array(a) => parse_index(&token).and_then(move |i| a.get_mut(i)),
            _ => None,
        })
    }
}

/// The unescaped tokens of a JSON pointer: none for `""`, `None` when it does not start with `/`.
fn tokens(pointer: &str) -> Option<impl Iterator<Item = std::borrow::Cow<'_, str>>> {
    let rest = match pointer {
        "" => None,
        p => Some(p.strip_prefix('/')?),
    };
    Some(
        rest.into_iter()
            .flat_map(|r| r.split('/'))
            .map(unescape_token),
    )
}

fn unescape_token(t: &str) -> std::borrow::Cow<'_, str> {
    if t.contains('~') {
        t.replace("~1", "/").replace("~0", "~").into()
    } else {
        t.into()
    }
}

/// A list position in a pointer: digits, without a leading zero (as serde_json reads them).
fn parse_index(s: &str) -> Option<usize> {
    if s.starts_with('+') || (s.starts_with('0') && s.len() != 1) {
        return None;
    }
    s.parse().ok()
}

/// What [`Value::get`] and indexing take: a key (`&str`, `String`) or a list position (`usize`).
pub trait ValueIndex {
    /// The value it names in `v`.
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value>;
    /// The value it names in `v`, to change.
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value>;
    /// The value it names in `v`, made (as serde_json does) if `v` is an object or null.
    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value;
}

impl ValueIndex for usize {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        v.as_array().and_then(|a| a.get(*self))
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        v.as_array_mut().and_then(|a| a.get_mut(*self))
    }
    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
        match v {
            Value::Array(a) => {
                let len = a.len();
                a.get_mut(*self).unwrap_or_else(|| {
                    panic!("cannot access index {} of JSON array of length {len}", self)
                })
            }
            _ => panic!(
                "cannot access index {} of a JSON value that is not a list",
                self
            ),
        }
    }
}

impl ValueIndex for str {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        v.as_object().and_then(|m| m.get(self))
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        v.as_object_mut().and_then(|m| m.get_mut(self))
    }
    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
        if v.is_null() {
            *v = Value::Object(Map::new());
        }
        match v {
            Value::Object(m) => m.entry(self).or_insert(Value::Null),
            _ => panic!("cannot access key {self:?} of a JSON value that is not an object"),
        }
    }
}

impl ValueIndex for String {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        self.as_str().index_into(v)
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        self.as_str().index_into_mut(v)
    }
    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
        self.as_str().index_or_insert(v)
    }
}

impl<T: ValueIndex + ?Sized> ValueIndex for &T {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        (**self).index_into(v)
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        (**self).index_into_mut(v)
    }
    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
        (**self).index_or_insert(v)
    }
}

static NULL: Value = Value::Null;

impl<I: ValueIndex> std::ops::Index<I> for Value {
    type Output = Value;
    fn index(&self, index: I) -> &Value {
        index.index_into(self).unwrap_or(&NULL)
    }
}

impl<I: ValueIndex> std::ops::IndexMut<I> for Value {
    fn index_mut(&mut self, index: I) -> &mut Value {
        index.index_or_insert(self)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("Null"),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Number(n) => write!(f, "Number({n})"),
            Value::String(s) => write!(f, "String({s:?})"),
            Value::Array(a) => {
                f.write_str("Array ")?;
                f.debug_list().entries(a).finish()
            }
            Value::Object(m) => {
                f.write_str("Object ")?;
                fmt::Debug::fmt(m, f)
            }
        }
    }
}

/// JSON text: compact, or indented with `{:#}` (as serde_json's `Display`).
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = if f.alternate() {
            serde_json::to_string_pretty(self)
        } else {
            serde_json::to_string(self)
        };
        f.write_str(&text.map_err(|_| fmt::Error)?)
    }
}

impl std::str::FromStr for Value {
    type Err = serde_json::Error;
    fn from_str(s: &str) -> Result<Value, serde_json::Error> {
        serde_json::from_str(s)
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => n.serialize(s),
            Value::String(v) => s.serialize_str(v),
            Value::Array(a) => a.serialize(s),
            Value::Object(m) => m.serialize(s),
        }
    }
}

impl serde::Serialize for Map {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut out = s.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            out.serialize_entry(k, v)?;
        }
        out.end()
    }
}

struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        serde::Deserialize::deserialize(d)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some((k, v)) = m.next_entry::<String, Value>()? {
            out.insert(k, v);
        }
        out.shrink_to_fit();
        Ok(Value::Object(out))
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

impl<'de> serde::Deserialize<'de> for Map {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
        match Value::deserialize(d)? {
            Value::Object(m) => Ok(m),
            _ => Err(serde::de::Error::custom("expected a JSON object")),
        }
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(a) => Value::Array(a.into_iter().map(Value::from).collect()),
            serde_json::Value::Object(m) => Value::Object(Map::from_entries(
                m.into_iter().map(|(k, v)| (k, Value::from(v))).collect(),
            )),
        }
    }
}

impl From<Value> for serde_json::Value {
    fn from(v: Value) -> serde_json::Value {
        match v {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(b),
            Value::Number(n) => serde_json::Value::Number(n),
            Value::String(s) => serde_json::Value::String(s),
            Value::Array(a) => {
                serde_json::Value::Array(a.into_iter().map(serde_json::Value::from).collect())
            }
            Value::Object(m) => serde_json::Value::Object(
                m.into_iter()
                    .map(|(k, v)| (k, serde_json::Value::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<&Value> for serde_json::Value {
    fn from(v: &Value) -> serde_json::Value {
        match v {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Value::Number(n.clone()),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Array(a) => {
                serde_json::Value::Array(a.iter().map(serde_json::Value::from).collect())
            }
            Value::Object(m) => serde_json::Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Object(m)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::String(s.clone())
    }
}

impl From<std::borrow::Cow<'_, str>> for Value {
    fn from(s: std::borrow::Cow<'_, str>) -> Value {
        Value::String(s.into_owned())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<()> for Value {
    fn from(_: ()) -> Value {
        Value::Null
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

impl From<f32> for Value {
    fn from(f: f32) -> Value {
        Value::from(f64::from(f))
    }
}

macro_rules! from_integer {
    ($($t:ty)*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Number(n.into())
            }
        }
    )*};
}

from_integer!(i8 i16 i32 i64 isize u8 u16 u32 u64 usize);

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Value {
        Value::Array(v.into_iter().map(Into::into).collect())
    }
}

impl<T: Clone + Into<Value>> From<&[T]> for Value {
    fn from(v: &[T]) -> Value {
        Value::Array(v.iter().cloned().map(Into::into).collect())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl<T: Into<Value>> FromIterator<T> for Value {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Value {
        Value::Array(iter.into_iter().map(Into::into).collect())
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Value {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Value {
        Value::Object(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

macro_rules! eq_with {
    ($($t:ty, |$v:ident, $o:ident| $body:expr;)*) => {$(
        impl PartialEq<$t> for Value {
            fn eq(&self, $o: &$t) -> bool {
                let $v = self;
                $body
            }
        }
        impl PartialEq<Value> for $t {
            fn eq(&self, other: &Value) -> bool {
                other == self
            }
        }
    )*};
}

eq_with! {
    str, |v, s| v.as_str() == Some(s);
    &str, |v, s| v.as_str() == Some(*s);
    String, |v, s| v.as_str() == Some(s.as_str());
    bool, |v, b| v.as_bool() == Some(*b);
    i64, |v, n| v.as_i64() == Some(*n);
    i32, |v, n| v.as_i64() == Some(i64::from(*n));
    u64, |v, n| v.as_u64() == Some(*n);
    u32, |v, n| v.as_u64() == Some(u64::from(*n));
    usize, |v, n| v.as_u64() == u64::try_from(*n).ok();
    f64, |v, n| v.as_f64() == Some(*n);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_as_small_as_serde_jsons() {
        assert!(std::mem::size_of::<Value>() <= std::mem::size_of::<serde_json::Value>());
        assert_eq!(std::mem::size_of::<Map>(), 24);
    }

    fn pseudo_random(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn a_map_behaves_as_a_btreemap_small_and_large() {
        let mut seed = 0x9e37_79b9_7f4a_7c15;
        for round in 0..400 {
            let mut ours = Map::new();
            let mut reference = std::collections::BTreeMap::new();
            let ops = 1 + round % 120;
            for _ in 0..ops {
                let r = pseudo_random(&mut seed);
                let key = format!("k{}", r % 70);
                match r % 7 {
                    0 => assert_eq!(ours.remove(key.as_str()), reference.remove(&key)),
                    1 => {
                        let a = ours.entry(key.clone()).or_insert(Value::from(r));
                        let b = reference.entry(key).or_insert(Value::from(r));
                        assert_eq!(a, b);
                    }
                    2 => {
                        ours.retain(|k, _| !k.ends_with('3'));
                        reference.retain(|k: &String, _| !k.ends_with('3'));
                    }
                    _ => assert_eq!(
                        ours.insert(key.clone(), Value::from(r)),
                        reference.insert(key, Value::from(r))
                    ),
                }
                assert_eq!(ours.len(), reference.len());
                assert!(ours.iter().eq(reference.iter()));
                assert!(ours.iter().rev().eq(reference.iter().rev()));
            }
            for (k, v) in &reference {
                assert_eq!(ours.get(k.as_str()), Some(v));
            }
            let rebuilt: Map = reference.clone().into_iter().rev().collect();
            assert_eq!(rebuilt, ours);
        }
    }

    #[test]
    fn text_and_serde_agree_with_serde_json() {
        let text = r#"{"z":[1,-2,3.5,true,null,"s"],"a":{"b":{},"a":[]},"é":"\u00e9","m":18446744073709551615}"#;
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        let ours: Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours.to_string(), theirs.to_string());
        assert_eq!(format!("{ours:#}"), format!("{theirs:#}"));
        assert_eq!(Value::from(theirs.clone()), ours);
        assert_eq!(serde_json::Value::from(ours.clone()), theirs);
        assert_eq!(serde_json::Value::from(&ours), theirs);
        for p in ["", "/z/2", "/a/b", "/z/9", "/z/01", "/a~1b", "/m", "z", "/"] {
            assert_eq!(
                ours.pointer(p).map(serde_json::Value::from),
                theirs.pointer(p).cloned(),
                "{p}"
            );
        }
        assert_eq!(ours["z"][3], true);
        assert_eq!(ours["nothing"]["deeper"], Value::Null);
        assert_eq!(crate::json!({"a": [1, "x"]})["a"][1], "x");
    }

    #[test]
    fn duplicate_keys_keep_the_last_as_serde_json_does() {
        let ours: Value = serde_json::from_str(r#"{"b":1,"a":2,"b":3}"#).unwrap();
        assert_eq!(ours.to_string(), r#"{"a":2,"b":3}"#);
        let many: String = (0..100).map(|i| format!("\"k{}\":{i},", i % 40)).collect();
        let text = format!("{{{}\"end\":0}}", many);
        let ours: Value = serde_json::from_str(&text).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(ours.to_string(), theirs.to_string());
    }
}
