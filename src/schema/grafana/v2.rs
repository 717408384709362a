//! The v2 dashboard resource (`dashboard.grafana.app/v2alpha1|v2beta1`): panels in `spec.elements`
//! by name, placed by `spec.layout` (GridLayout, RowsLayout, AutoGridLayout, TabsLayout, nested).
//!
//! Owns the rules Grafana's v2 loader implies: a title, elements that are panels with a visualization
//! (or library panels with a uid), a layout whose every reference names an element, items inside the
//! 24-column grid and not overlapping. Pointers are relative to `spec`; no I/O.

use std::collections::{BTreeMap, BTreeSet};

use crate::value::{Map, Value};

use super::{grid, overlap_word};
use crate::finding::{Finding, display_path, pointer_push, preview};

const LAYOUTS: &str = "GridLayout, RowsLayout, AutoGridLayout or TabsLayout";

/// Checks the `spec` of a v2 dashboard resource.
pub(super) fn check(spec: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    match spec.get("title") {
        None => out.push(Finding::error(
            "dashboard-title-missing",
            "",
            "dashboard has no title",
        )),
        Some(Value::String(t)) if t.trim().is_empty() => out.push(Finding::error(
            "dashboard-title-missing",
            "/title",
            "dashboard title is empty",
        )),
        Some(Value::String(_)) => {}
        Some(v) => out.push(type_error("/title", "a string", v)),
    }
    let empty = Map::new();
    let elements = match spec.get("elements") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(v) => {
            out.push(type_error("/elements", "an object of elements by name", v));
            &empty
        }
    };
    let mut ids: BTreeMap<i64, String> = BTreeMap::new();
    for (name, element) in elements {
        check_element(
            &pointer_push("/elements", name),
            element,
            &mut ids,
            &mut out,
        );
    }
    let mut used = BTreeSet::new();
    match spec.get("layout") {
        None | Some(Value::Null) => out.push(Finding::error(
            "layout-missing",
            "",
            format!("dashboard has no layout: expected spec.layout ({LAYOUTS})"),
        )),
        Some(layout) => check_layout("/layout", layout, elements, &mut used, &mut out),
    }
    for name in elements.keys().filter(|n| !used.contains(n.as_str())) {
        out.push(Finding::warning(
            "element-unused",
            pointer_push("/elements", name),
            "element is not placed in spec.layout, so it is not shown",
        ));
    }
    out
}

fn type_error(pointer: &str, expected: &str, found: &Value) -> Finding {
    Finding::error(
        "schema-violation",
        pointer,
        format!("expected {expected}, found {}", preview(found)),
    )
}

fn kind(v: &Value) -> Option<&str> {
    v.get("kind").and_then(Value::as_str)
}

fn check_element(
    at: &str,
    element: &Value,
    ids: &mut BTreeMap<i64, String>,
    out: &mut Vec<Finding>,
) {
    let spec = element.get("spec");
    match kind(element) {
        Some("Panel") => {
            let Some(spec) = spec.filter(|s| s.is_object()) else {
                out.push(Finding::error(
                    "schema-violation",
                    pointer_push(at, "spec"),
                    "required field is missing: expected the panel's spec object",
                ));
                return;
            };
            let viz = spec.get("vizConfig");
            // v2beta1: {kind: "VizConfig", group: <plugin>}; v2alpha1: {kind: <plugin>}.
            let plugin = viz.and_then(|v| match kind(v) {
                Some("VizConfig") => v.get("group").and_then(Value::as_str),
                other => other,
            });
            if plugin.is_none_or(|p| p.trim().is_empty()) {
                out.push(Finding::error(
                    "panel-type-missing",
                    format!("{at}/spec/vizConfig"),
                    "panel has no visualization type: expected vizConfig.group (v2beta1) or vizConfig.kind (v2alpha1)",
                ));
            }
            if let Some(id) = spec.get("id").and_then(Value::as_i64) {
                if let Some(first) = ids.get(&id) {
                    out.push(Finding::error(
                        "panel-id-duplicate",
                        format!("{at}/spec/id"),
                        format!("panel id {id} is also used by {}", display_path(first)),
                    ));
                } else {
                    ids.insert(id, at.to_string());
                }
            }
        }
        Some("LibraryPanel") => {
            let uid = spec
                .and_then(|s| s.pointer("/libraryPanel/uid"))
                .and_then(Value::as_str);
            if uid.is_none_or(str::is_empty) {
                out.push(Finding::error(
                    "schema-violation",
                    format!("{at}/spec/libraryPanel/uid"),
                    "required field is missing: a library panel needs the uid of the library panel",
                ));
            }
        }
        _ => out.push(Finding::error(
            "schema-violation",
            pointer_push(at, "kind"),
            format!(
                "expected Panel or LibraryPanel, found {}",
                element.get("kind").map_or("none".into(), preview)
            ),
        )),
    }
}

fn check_layout(
    at: &str,
    layout: &Value,
    elements: &Map,
    used: &mut BTreeSet<String>,
    out: &mut Vec<Finding>,
) {
    let items = |field: &str| -> Vec<(String, &Value)> {
        layout
            .get("spec")
            .and_then(|s| s.get(field))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, v)| (format!("{at}/spec/{field}/{i}"), v))
            .collect()
    };
    match kind(layout) {
        Some("GridLayout") => {
            let mut placed: Vec<(String, Option<[i64; 4]>)> = Vec::new();
            for (item_at, item) in items("items") {
                reference(&item_at, item, elements, used, out);
                let area = grid_item(&item_at, item, out);
                placed.push((item_at, area));
            }
            let areas: Vec<Option<[i64; 4]>> = placed.iter().map(|(_, a)| *a).collect();
            for (i, other) in grid::overlapped_by(&areas).into_iter().enumerate() {
                if let Some(j) = other {
                    out.push(Finding::warning(
                        "gridpos-overlap",
                        format!("{}/spec", placed[i].0),
                        format!(
                            "item {} {}: Grafana moves one of them on load",
                            overlap_word(areas[j] == areas[i]),
                            display_path(&placed[j].0)
                        ),
                    ));
                }
            }
        }
        Some("AutoGridLayout") => {
            for (item_at, item) in items("items") {
                reference(&item_at, item, elements, used, out);
            }
        }
        Some(k @ ("RowsLayout" | "TabsLayout")) => {
            let field = if k == "RowsLayout" { "rows" } else { "tabs" };
            for (child_at, child) in items(field) {
                match child.pointer("/spec/layout") {
                    Some(inner) => check_layout(
                        &format!("{child_at}/spec/layout"),
                        inner,
                        elements,
                        used,
                        out,
                    ),
                    None => out.push(Finding::error(
                        "layout-missing",
                        format!("{child_at}/spec"),
                        format!("required field is missing: expected spec.layout ({LAYOUTS})"),
                    )),
                }
            }
        }
        _ => out.push(Finding::error(
            "schema-violation",
            format!("{at}/kind"),
            format!(
                "expected {LAYOUTS}, found {}",
                layout.get("kind").map_or("none".into(), preview)
            ),
        )),
    }
}

/// An item's `spec.element` must name an element.
fn reference(
    at: &str,
    item: &Value,
    elements: &Map,
    used: &mut BTreeSet<String>,
    out: &mut Vec<Finding>,
) {
    match item.pointer("/spec/element/name").and_then(Value::as_str) {
        Some(name) if elements.contains_key(name) => {
            used.insert(name.to_string());
        }
        Some(name) => out.push(Finding::error(
            "layout-element-unresolved",
            format!("{at}/spec/element/name"),
            format!(
                "refers to element {}, which spec.elements does not hold",
                preview(&Value::String(name.to_string()))
            ),
        )),
        None => out.push(Finding::error(
            "schema-violation",
            format!("{at}/spec/element"),
            "required field is missing: expected {kind: ElementReference, name: <element>}",
        )),
    }
}

/// The area of a GridLayoutItem (`x`, `y`, `width`, `height`), with its bounds checked.
fn grid_item(at: &str, item: &Value, out: &mut Vec<Finding>) -> Option<[i64; 4]> {
    let spec = item.get("spec")?;
    let mut area = [0i64; 4];
    for (i, k) in ["x", "y", "width", "height"].into_iter().enumerate() {
        let p = format!("{at}/spec/{k}");
        match spec.get(k) {
            None | Some(Value::Null) => {
                out.push(Finding::warning(
                    "gridpos-incomplete",
                    p,
                    "expected an integer, found none: Grafana uses 0",
                ));
            }
            Some(v) => match v.as_i64() {
                Some(n) => area[i] = n,
                None => {
                    out.push(type_error(&p, "an integer", v));
                    return None;
                }
            },
        }
    }
    let [x, y, w, h] = area;
    super::grid_findings(
        out,
        &format!("{at}/spec"),
        [x, y, w, h],
        "item",
        ("width", "height"),
    );
    Some(area)
}
