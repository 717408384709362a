//! Grafana dashboards carried in ConfigMaps (the Grafana sidecar's `grafana_dashboard` label, or
//! kube-prometheus' ConfigMaps mounted into Grafana): each `data` value under a key ending in
//! `.json` whose JSON reads as a dashboard (it has `panels`, `rows` or `schemaVersion`) is checked
//! with the dashboard checks, as a `.json` dashboard file is. A value that is not JSON is reported
//! only when it is meant as a dashboard (the label, or the text names those fields); anything else
//! under `data` is left alone.
//!
//! Owns finding those values and placing their findings in the ConfigMap's file: inside a literal
//! block scalar (`|`) at the dashboard node's own line and column, else at the data value.

use crate::value::Value;

use super::checks::Finding;
use super::json;
use super::{Ctx, Diagnostic, Obj, Span};
use crate::resource::Gvk;
use crate::schema::kubernetes::escape_segment;
use crate::yaml::{Locations, Pos};

/// The label the Grafana sidecar selects dashboard ConfigMaps by (its default).
const SIDECAR_LABEL: &str = "grafana_dashboard";

/// The fields by which a JSON value is taken for a dashboard.
const DASHBOARD_FIELDS: [&str; 3] = ["panels", "rows", "schemaVersion"];

/// What one dashboard value in a ConfigMap yields.
pub(super) struct Embedded {
    /// The `data` key.
    key: String,
    /// The findings, at pointers into the dashboard.
    findings: Vec<Finding>,
    /// The dashboard's node positions in its own text (empty when it is not JSON).
    locations: Locations,
    /// For a syntax error: where the reader stopped in the value's text.
    at: Option<Pos>,
}

/// The dashboards of a ConfigMap and what checking each found (`check` is the dashboard check).
pub(super) fn embedded(
    gvk: &Gvk,
    value: &Value,
    check: &dyn Fn(&Value) -> Option<Vec<Finding>>,
) -> Vec<Embedded> {
    if !(gvk.group.is_empty() && gvk.kind == "ConfigMap") {
        return Vec::new();
    }
    let Some(Value::Object(data)) = value.get("data") else {
        return Vec::new();
    };
    let labelled = value
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .is_some_and(|l| l.contains_key(SIDECAR_LABEL));
    let mut out = Vec::new();
    for (key, text) in data {
        let Some(text) = text.as_str().filter(|_| key.ends_with(".json")) else {
            continue;
        };
        match json::parse(text) {
            Ok(dashboard) => {
                let is_dashboard = dashboard
                    .as_object()
                    .is_some_and(|m| DASHBOARD_FIELDS.iter().any(|f| m.contains_key(*f)));
                if !is_dashboard {
                    continue;
                }
                let Some(findings) = check(&dashboard) else {
                    continue;
                };
                if findings.is_empty() {
                    continue;
                }
                out.push(Embedded {
                    key: key.clone(),
                    findings,
                    locations: json::scan(text, true).0,
                    at: None,
                });
            }
            Err(e) => {
                let meant = labelled
                    || DASHBOARD_FIELDS
                        .iter()
                        .any(|f| text.contains(&format!("\"{f}\"")));
                if !meant {
                    continue;
                }
                out.push(Embedded {
                    key: key.clone(),
                    findings: vec![Finding {
                        code: "json-syntax".into(),
                        severity: super::Severity::Error,
                        pointer: String::new(),
                        message: e.message,
                    }],
                    locations: Locations::default(),
                    at: Some(e.pos),
                });
            }
        }
    }
    out
}

impl Ctx<'_> {
    /// The embedded dashboards of `value` with findings (none for other kinds).
    pub(super) fn configmap_dashboards(&self, gvk: &Gvk, value: &Value) -> Vec<Embedded> {
        embedded(gvk, value, &|d| self.checks.dashboard(d))
    }

    /// Reports the findings of a ConfigMap's dashboards in the ConfigMap's file.
    pub(super) fn check_configmap_dashboards(&mut self, gvk: &Gvk, obj: &Obj, label: &str) {
        for e in self.configmap_dashboards(gvk, &obj.value) {
            let value_at = format!("{}/data/{}", obj.prefix, escape_segment(&e.key));
            let block = self.literal_block(obj, &value_at);
            for f in e.findings {
                let inner =
                    e.at.or_else(|| e.locations.nearest(&f.pointer))
                        .unwrap_or(Pos { line: 1, col: 1 });
                let span = match &block {
                    Some((file, first_line, indent)) => {
                        let line = first_line + inner.line - 1;
                        let col = indent + inner.col;
                        let (source_line, caret) = self
                            .sources
                            .held_line(file, line, col)
                            .map_or((None, 0), |(l, c)| (Some(l), c));
                        Span {
                            line,
                            col,
                            caret,
                            source_line,
                            file: file.clone(),
                            label: label.to_string(),
                        }
                    }
                    None => self.span(&obj.origin, &value_at, label.to_string()),
                };
                let message = format!("data.{}: {}", e.key, f.message);
                self.push(
                    Diagnostic::new(f.code, f.severity, message).at(span),
                    Some(obj.input),
                );
            }
        }
    }

    /// Where the text of a literal block scalar (`key: |`) at `pointer` starts: its file, first
    /// content line and indentation. `None` for any other scalar (quoted, folded, plain), whose
    /// text does not keep the lines and columns of the dashboard.
    fn literal_block(
        &mut self,
        obj: &Obj,
        pointer: &str,
    ) -> Option<(std::path::PathBuf, usize, usize)> {
        let locations = obj.origin.locations.as_ref()?;
        // The key's line ends in the indicator; the node is where the text starts, a line below.
        let (key, node) = (locations.key(pointer)?, locations.node(pointer)?);
        if node.line != key.line + 1 {
            return None;
        }
        let file = obj.origin.file.clone();
        let head = self.sources.line(&file, key.line)?;
        let indicator = head.rsplit_once(':').map(|(_, i)| i.trim())?;
        if !matches!(indicator, "|" | "|-" | "|+") {
            return None;
        }
        let (first, indent) = (node.line, node.col - 1);
        Some((file, first, indent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn keys(value: Value) -> Vec<(String, Vec<String>)> {
        let gvk = Gvk::from_api_version("v1", "ConfigMap");
        // A stand-in check: one finding per dashboard without a title.
        let check = |d: &Value| {
            Some(if d.get("title").is_some() {
                vec![]
            } else {
                vec![Finding {
                    code: "dashboard-title-missing".into(),
                    severity: super::super::Severity::Error,
                    pointer: String::new(),
                    message: "dashboard has no title".into(),
                }]
            })
        };
        embedded(&gvk, &value, &check)
            .into_iter()
            .map(|e| (e.key, e.findings.into_iter().map(|f| f.code).collect()))
            .collect()
    }

    #[test]
    fn only_json_keys_that_read_as_dashboards_are_checked() {
        let got = keys(json!({"data": {
            "good.json": r#"{"title": "ok", "panels": []}"#,
            "untitled.json": r#"{"schemaVersion": 39}"#,
            "rows.json": r#"{"rows": []}"#,
            "settings.json": r#"{"theme": "dark"}"#,
            "untitled.yaml": r#"{"schemaVersion": 39}"#,
            "broken.json": r#"{"panels": [,]}"#,
            "notes.json": "not json at all",
        }}));
        assert_eq!(
            got,
            [
                ("broken.json".to_string(), vec!["json-syntax".to_string()]),
                (
                    "rows.json".to_string(),
                    vec!["dashboard-title-missing".to_string()]
                ),
                (
                    "untitled.json".to_string(),
                    vec!["dashboard-title-missing".to_string()]
                ),
            ]
        );
        // Under the sidecar's label a value that is not JSON is a broken dashboard.
        let got = keys(json!({"metadata": {"labels": {"grafana_dashboard": "1"}},
            "data": {"notes.json": "not json at all"}}));
        assert_eq!(
            got,
            [("notes.json".to_string(), vec!["json-syntax".to_string()])]
        );
        // Other kinds are left alone.
        let gvk = Gvk::from_api_version("v1", "Secret");
        let v = json!({"data": {"d.json": r#"{"schemaVersion": 39}"#}});
        assert!(embedded(&gvk, &v, &|_| Some(vec![])).is_empty());
    }
}
