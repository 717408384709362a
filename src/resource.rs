//! The spine every stage shares: a Kubernetes resource (parsed document + identity + origin) and the
//! ordered list of them.
//!
//! Owns identity (group/version/kind, namespace, name) and where a resource came from. Does no I/O
//! and knows no kustomize semantics.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::value::Value;

use crate::yaml::{self, Locations, Pos, YamlError};

/// Group/version/kind of a resource. The core group is the empty string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Gvk {
    /// API group (`apps`), empty for the core group.
    pub group: String,
    /// API version (`v1`).
    pub version: String,
    /// Kind (`Deployment`).
    pub kind: String,
}

impl Gvk {
    /// Splits an `apiVersion` (`apps/v1` or `v1`) and a kind.
    pub fn from_api_version(api_version: &str, kind: &str) -> Self {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        Gvk {
            group,
            version,
            kind: kind.to_string(),
        }
    }

    /// The `apiVersion` string (`apps/v1`, `v1`).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

impl fmt::Display for Gvk {
    /// `group.version.Kind` as in `kubectl diff` headers; `version.Kind` for the core group.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            write!(f, "{}.{}", self.version, self.kind)
        } else {
            write!(f, "{}.{}.{}", self.group, self.version, self.kind)
        }
    }
}

/// The identity of a resource: its GVK, namespace (empty when cluster-scoped or unset) and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ResourceId {
    /// Group/version/kind.
    pub gvk: Gvk,
    /// `metadata.namespace`, empty when absent.
    pub namespace: String,
    /// `metadata.name` (or `generateName` when there is no name).
    pub name: String,
}

impl ResourceId {
    /// The identity of an object value (as [`Resource::id`], without wrapping it).
    pub fn of(value: &Value) -> ResourceId {
        let s = |path: &[&str]| str_at(value, path).unwrap_or("");
        let name = str_at(value, &["metadata", "name"])
            .or_else(|| str_at(value, &["metadata", "generateName"]))
            .unwrap_or("");
        ResourceId {
            gvk: Gvk::from_api_version(s(&["apiVersion"]), s(&["kind"])),
            namespace: s(&["metadata", "namespace"]).to_string(),
            name: name.to_string(),
        }
    }
}

impl fmt::Display for ResourceId {
    /// `group.version.Kind.namespace.name`, the header `rollout diff` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.gvk, self.namespace, self.name)
    }
}

/// Where a resource was read from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// The file (as given by the caller, not canonicalised).
    pub file: PathBuf,
    /// Index of the document within the file.
    pub document: usize,
    /// Positions of the document's nodes, when the resource came from YAML text.
    pub locations: Option<Arc<Locations>>,
    /// Where the document starts.
    pub start: Pos,
    /// Fields set by patches read from files, where each patch wrote them (later patches last).
    pub fields: Option<Arc<Vec<FieldOrigin>>>,
}

/// Where a patch wrote one field of a rendered resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldOrigin {
    /// JSON pointer of the field in the rendered resource.
    pub pointer: String,
    /// The patch file.
    pub file: Arc<Path>,
    /// Where the field is written in it.
    pub pos: Pos,
}

impl Origin {
    /// The file and position that wrote the node at `pointer`, or its nearest ancestor that has a
    /// known place: a patch that set it, else the source document. `None`: only the document
    /// start is known.
    pub fn locate(&self, pointer: &str) -> Option<(&Path, Pos)> {
        let mut p = pointer;
        loop {
            if let Some(f) = self
                .fields
                .iter()
                .flat_map(|f| f.iter())
                .rev()
                .find(|f| f.pointer == p)
            {
                return Some((&f.file, f.pos));
            }
            if let Some(pos) = self
                .locations
                .as_ref()
                .and_then(|l| l.key(p).or_else(|| l.node(p)))
            {
                return Some((&self.file, pos));
            }
            if p.is_empty() {
                return None;
            }
            p = &p[..p.rfind('/').unwrap_or(0)];
        }
    }

    /// `file:line:col` for the node at `pointer` (or the nearest ancestor), else the document start.
    pub fn describe(&self, pointer: &str) -> String {
        match self.locate(pointer) {
            Some((file, pos)) => format!("{}:{}", file.display(), pos),
            None => format!("{}:{}", self.file.display(), self.start),
        }
    }
}

/// A Kubernetes object: the parsed document and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The document as a JSON value (a mapping).
    pub value: Value,
    /// Where it came from.
    pub origin: Origin,
    /// JSON pointers of mapping values written blank in the source (see
    /// [`yaml::Document::blank_nulls`]).
    pub blank_nulls: Vec<String>,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

impl Resource {
    /// Wraps a value with an origin.
    pub fn new(value: Value, origin: Origin) -> Self {
        Resource {
            value,
            origin,
            blank_nulls: Vec::new(),
        }
    }

    /// `apiVersion`, empty when absent.
    pub fn api_version(&self) -> &str {
        str_at(&self.value, &["apiVersion"]).unwrap_or("")
    }

    /// `kind`, empty when absent.
    pub fn kind(&self) -> &str {
        str_at(&self.value, &["kind"]).unwrap_or("")
    }

    /// `metadata.name` (falling back to `metadata.generateName`), empty when absent.
    pub fn name(&self) -> &str {
        str_at(&self.value, &["metadata", "name"])
            .or_else(|| str_at(&self.value, &["metadata", "generateName"]))
            .unwrap_or("")
    }

    /// `metadata.namespace`, empty when absent.
    pub fn namespace(&self) -> &str {
        str_at(&self.value, &["metadata", "namespace"]).unwrap_or("")
    }

    /// Group/version/kind.
    pub fn gvk(&self) -> Gvk {
        Gvk::from_api_version(self.api_version(), self.kind())
    }

    /// The full identity.
    pub fn id(&self) -> ResourceId {
        ResourceId::of(&self.value)
    }
}

/// An ordered list of resources: what every stage consumes and produces.
pub type ResourceList = Vec<Resource>;

/// A YAML stream that could not be read as resources.
#[derive(Debug, thiserror::Error)]
#[error("{}:{source}", file.display())]
pub struct LoadError {
    /// The file.
    pub file: PathBuf,
    /// What was wrong, with line and column.
    #[source]
    pub source: YamlError,
}

/// Parses a multi-document YAML text into resources, dropping empty documents. A `kind: List`
/// document is expanded into its `items` (as `kubectl get -o yaml` writes them).
///
/// # Errors
/// When the text is not valid YAML (with file, line and column).
pub fn parse_resources(text: &str, file: &Path) -> Result<ResourceList, LoadError> {
    resources_from(yaml::parse_stream(text), file)
}

/// Like [`parse_resources`] but without per-node positions (`Origin::locations` is `None`, the
/// document start is kept): for bulk input such as kustomize builds, where it halves parse time
/// and memory.
///
/// # Errors
/// As [`parse_resources`].
pub fn parse_resources_untracked(text: &str, file: &Path) -> Result<ResourceList, LoadError> {
    resources_from(yaml::parse_stream_untracked(text), file)
}

fn resources_from(
    docs: Result<Vec<yaml::Document>, YamlError>,
    file: &Path,
) -> Result<ResourceList, LoadError> {
    let docs = docs.map_err(|source| LoadError {
        file: file.to_path_buf(),
        source,
    })?;
    Ok(resources_from_docs(docs, file))
}

/// The resources of parsed documents: empty documents dropped, `List` kinds expanded; node
/// positions kept where the documents have them.
pub fn resources_from_docs(docs: Vec<yaml::Document>, file: &Path) -> ResourceList {
    let file_arc: PathBuf = file.to_path_buf();
    let mut out = Vec::with_capacity(docs.len());
    for doc in docs {
        if doc.value.is_null() {
            continue;
        }
        let tracked = !doc.locations.is_empty();
        let origin = Origin {
            file: file_arc.clone(),
            document: doc.index,
            locations: tracked.then(|| Arc::new(doc.locations)),
            start: doc.start,
            fields: None,
        };
        let is_list = doc
            .value
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"))
            && doc.value.get("items").is_some_and(Value::is_array);
        match doc.value {
            Value::Object(mut m) if is_list => {
                if let Some(Value::Array(items)) = m.remove("items") {
                    out.extend(items.into_iter().map(|i| Resource::new(i, origin.clone())));
                }
            }
            value => {
                let mut r = Resource::new(value, origin);
                r.blank_nulls = doc.blank_nulls;
                out.push(r);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_and_origin() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: auth\n  namespace: media\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: auth}\n";
        let list = parse_resources(text, Path::new("a.yaml")).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].id().to_string(), "apps.v1.Deployment.media.auth");
        assert_eq!(list[1].id().to_string(), "v1.Service..auth");
        assert_eq!(list[0].origin.describe("/metadata/namespace"), "a.yaml:5:3");
        assert_eq!(list[0].origin.describe("/spec/missing"), "a.yaml:1:1");
    }

    #[test]
    fn bad_yaml_names_file_and_line() {
        let err = parse_resources("a: 1\na: 2\n", Path::new("x.yaml")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.yaml:2:1: duplicate key \"a\" (first at line 1)"
        );
    }
}
