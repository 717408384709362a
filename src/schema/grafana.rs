//! Grafana dashboards: the classic JSON model (also as the `spec` of a `dashboard.grafana.app/v0|v1`
//! resource) and the v2 resource (`dashboard.grafana.app/v2…`, `spec.elements` + `spec.layout`): the
//! JSON Schema and the lint rules Grafana's own loader implies.
//!
//! Owns what makes a dashboard file acceptable before it is pushed. Errors only where Grafana refuses
//! the dashboard (no title, a bad uid, a wrong structure) or it is broken for its users (a panel with no
//! type or no area, duplicate panel ids, a datasource or layout reference that resolves to nothing);
//! what Grafana loads and fixes up is a warning (a `gridPos` field missing, `uid: ""`, `"rows": null`,
//! panels outside the grid or overlapping). Every message names its JSON path, is one line and
//! bounded, and a cause repeated across panels is one finding. Does no I/O and knows no file names.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use crate::value::Value;

use crate::finding::{Finding, MESSAGE_MAX, bounded, display_path, pointer_push};

mod grid;
mod v2;

/// The JSON Schema (draft-07) for the classic dashboard model, as text.
pub const SCHEMA_JSON: &str = include_str!("grafana-dashboard.schema.json");

/// The number of columns in Grafana's dashboard grid.
pub const GRID_COLUMNS: i64 = 24;

/// Datasource names and uids Grafana provides itself (no template variable or declaration needed).
pub const BUILTIN_DATASOURCES: &[&str] = &[
    "-- Grafana --",
    "-- Mixed --",
    "-- Dashboard --",
    "grafana",
    "dashboard",
    "mixed",
];

/// The schemaVersion below which Grafana migrates legacy `rows` into `panels` with `gridPos`.
pub const GRID_LAYOUT_SCHEMA_VERSION: i64 = 16;

static SCHEMA: LazyLock<Result<Value, String>> =
    LazyLock::new(|| serde_json::from_str(SCHEMA_JSON).map_err(|e| e.to_string()));

static VALIDATOR: LazyLock<Result<jsonschema::Validator, String>> = LazyLock::new(|| {
    let schema = SCHEMA.as_ref().map_err(Clone::clone)?;
    jsonschema::draft7::new(&serde_json::Value::from(schema)).map_err(|e| e.to_string())
});

/// The dashboard JSON Schema as a value (for `rollout schema grafana-dashboard`).
///
/// # Errors
/// Only if the embedded schema text were not JSON, which a unit test rules out.
pub fn schema() -> Result<&'static Value, String> {
    SCHEMA.as_ref().map_err(Clone::clone)
}

/// What the caller knows beyond the dashboard itself.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// Datasource uids declared for the target Grafana (e.g. provisioned ones); references to them resolve.
    pub datasource_uids: Vec<String>,
}

/// Checks a parsed dashboard (the classic model, a `{"dashboard": …}` body's model, or a
/// `dashboard.grafana.app` resource) against the schema and the lint rules; returns every finding,
/// errors and warnings, in document order per rule.
pub fn check_dashboard(dashboard: &Value, options: &LintOptions) -> Vec<Finding> {
    let findings = match resource_spec(dashboard) {
        Some(Resource::V2(spec)) => under_pointer(v2::check(spec), "/spec"),
        Some(Resource::Classic(spec)) => under_pointer(check_classic(spec, options), "/spec"),
        Some(Resource::NoSpec) => vec![Finding::error(
            "schema-violation",
            "/spec",
            "dashboard resource has no spec object",
        )],
        None => check_classic(dashboard, options),
    };
    finish(findings)
}

/// What a `dashboard.grafana.app` resource holds.
enum Resource<'a> {
    /// `v2…`: elements and layout.
    V2(&'a Value),
    /// `v0…`/`v1…`: the classic model in `spec`.
    Classic(&'a Value),
    /// No `spec` object.
    NoSpec,
}

fn resource_spec(doc: &Value) -> Option<Resource<'_>> {
    let api_version = doc.get("apiVersion")?.as_str()?;
    let version = api_version.strip_prefix("dashboard.grafana.app/")?;
    let Some(spec) = doc.get("spec").filter(|s| s.is_object()) else {
        return Some(Resource::NoSpec);
    };
    Some(if version.starts_with("v2") {
        Resource::V2(spec)
    } else {
        Resource::Classic(spec)
    })
}

/// True for a `dashboard.grafana.app` resource (v0, v1 or v2).
pub fn is_dashboard_resource(doc: &Value) -> bool {
    doc.get("apiVersion")
        .and_then(Value::as_str)
        .is_some_and(|a| a.starts_with("dashboard.grafana.app/"))
        && doc.get("kind").and_then(Value::as_str) == Some("Dashboard")
}

fn under_pointer(findings: Vec<Finding>, prefix: &str) -> Vec<Finding> {
    findings
        .into_iter()
        .map(|mut f| {
            f.pointer = format!("{prefix}{}", f.pointer);
            f
        })
        .collect()
}

/// Codes whose repeats (same message at other places) are one root cause, reported once.
const GROUPED: &[&str] = &[
    "datasource-unresolved",
    "datasource-uid-unknown",
    "datasource-by-name",
    "datasource-variable-type",
    "panel-id-missing",
    "gridpos-incomplete",
];

/// One finding per root cause: a lint finding at or under a place the schema already reported goes,
/// repeats of a grouped finding fold into the first (with a count); then every message gets its path
/// in front and a bounded length.
fn finish(findings: Vec<Finding>) -> Vec<Finding> {
    let schema_at: Vec<String> = findings
        .iter()
        .filter(|f| f.code == "schema-violation")
        .map(|f| f.pointer.clone())
        .collect();
    let under = |p: &str, base: &str| {
        p.strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    let mut out: Vec<(Finding, Vec<String>)> = Vec::new();
    for f in findings {
        if f.code != "schema-violation" && schema_at.iter().any(|s| under(&f.pointer, s)) {
            continue;
        }
        if GROUPED.contains(&f.code)
            && let Some((_, more)) = out
                .iter_mut()
                .find(|(g, _)| g.code == f.code && g.message == f.message)
        {
            more.push(f.pointer);
            continue;
        }
        out.push((f, Vec::new()));
    }
    out.into_iter()
        .map(|(mut f, more)| {
            let path = display_path(&f.pointer);
            let mut message = if path.is_empty() {
                f.message
            } else {
                format!("{path}: {}", f.message)
            };
            if let Some(next) = more.first() {
                let also = display_path(next);
                message = match more.len() {
                    1 => format!("{message} (also at {also})"),
                    n => format!("{message} (also at {also} and {} more)", n - 1),
                };
            }
            f.message = bounded(&message, MESSAGE_MAX);
            f
        })
        .collect()
}

/// The classic JSON model: the schema, then the lint rules.
fn check_classic(dashboard: &Value, options: &LintOptions) -> Vec<Finding> {
    let mut findings =
        super::violations(&VALIDATOR, &serde_json::Value::from(dashboard), "dashboard");
    let Some(root) = dashboard.as_object() else {
        return findings;
    };
    let ctx = Context::new(dashboard, options);
    lint_title(root, &mut findings);
    lint_uid(root, &mut findings);
    lint_schema_version(root, &mut findings);
    lint_variables(dashboard, &mut findings);
    let panels = collect_panels(dashboard);
    lint_panels(&panels, &mut findings);
    lint_overlaps(&panels, &mut findings);
    lint_datasources(dashboard, &panels, &ctx, &mut findings);
    findings
}

/// Checks a dashboard given as JSON text. A parse error is a single `json-invalid` finding whose message
/// carries line and column.
pub fn check_dashboard_text(text: &str, options: &LintOptions) -> Vec<Finding> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => check_dashboard(&v, options),
        Err(e) => vec![Finding::error(
            "json-invalid",
            "",
            format!("invalid JSON: {e}"),
        )],
    }
}

fn lint_title(root: &crate::value::Map, findings: &mut Vec<Finding>) {
    match root.get("title") {
        None => findings.push(Finding::error(
            "dashboard-title-missing",
            "",
            "dashboard has no title",
        )),
        Some(Value::String(s)) if s.trim().is_empty() => findings.push(Finding::error(
            "dashboard-title-missing",
            "/title",
            "dashboard title is empty",
        )),
        _ => {}
    }
}

fn lint_uid(root: &crate::value::Map, findings: &mut Vec<Finding>) {
    match root.get("uid") {
        None | Some(Value::Null) => findings.push(Finding::warning(
            "dashboard-uid-missing",
            "",
            "dashboard has no uid: Grafana assigns a random one, so each push creates a new dashboard",
        )),
        Some(Value::String(uid)) => {
            if uid.chars().count() > 40 {
                findings.push(Finding::error(
                    "dashboard-uid-invalid",
                    "/uid",
                    format!("uid {uid:?} is longer than Grafana's 40 characters"),
                ));
            } else if uid.is_empty() {
                findings.push(Finding::warning(
                    "dashboard-uid-missing",
                    "/uid",
                    "uid is empty: Grafana assigns a random one, so each push creates a new dashboard",
                ));
            } else if !uid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                findings.push(Finding::error(
                    "dashboard-uid-invalid",
                    "/uid",
                    format!("uid {uid:?} may only hold letters, digits, '-' and '_'"),
                ));
            }
        }
        Some(_) => {} // the schema reports the type
    }
    if let Some(id) = root.get("id")
        && !id.is_null()
    {
        findings.push(Finding::warning(
            "dashboard-id-set",
            "/id",
            format!("dashboard id {id} belongs to one Grafana instance; use null and a uid"),
        ));
    }
}

fn lint_schema_version(root: &crate::value::Map, findings: &mut Vec<Finding>) {
    let version = root.get("schemaVersion").and_then(Value::as_i64);
    if !root.contains_key("schemaVersion") {
        findings.push(Finding::warning(
            "schema-version-missing",
            "",
            "dashboard has no schemaVersion: Grafana treats it as 0 and migrates every field",
        ));
    }
    if root.get("rows").is_some_and(Value::is_null) {
        findings.push(Finding::warning(
            "legacy-rows",
            "/rows",
            "rows is null: Grafana ignores it (remove it, or use an empty list)",
        ));
    }
    let legacy_rows = root
        .get("rows")
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty());
    if legacy_rows {
        let v = version.unwrap_or(0);
        let message = if v >= GRID_LAYOUT_SCHEMA_VERSION {
            format!(
                "legacy rows with schemaVersion {v}: Grafana ignores rows from schemaVersion 16 on"
            )
        } else {
            format!("legacy rows (schemaVersion {v}) are migrated to panels with gridPos on load")
        };
        findings.push(Finding::warning("legacy-rows", "/rows", message));
    }
}

fn lint_variables(dashboard: &Value, findings: &mut Vec<Finding>) {
    let Some(list) = dashboard
        .pointer("/templating/list")
        .and_then(Value::as_array)
    else {
        return;
    };
    let mut seen = BTreeMap::new();
    for (i, var) in list.iter().enumerate() {
        let Some(name) = var.get("name").and_then(Value::as_str) else {
            continue;
        };
        let ptr = format!("/templating/list/{i}/name");
        if let Some(first) = seen.insert(name.to_string(), i) {
            findings.push(Finding::error(
                "variable-name-duplicate",
                ptr,
                format!("template variable {name:?} is also defined at templating.list[{first}]"),
            ));
        }
    }
}

/// A panel found anywhere in the dashboard, with its JSON pointer.
struct PanelAt<'a> {
    pointer: String,
    panel: &'a Value,
    /// Laid out by `gridPos` (top-level `panels` and rows' nested `panels`), not legacy `rows[].panels`.
    in_grid: bool,
}

fn collect_panels(dashboard: &Value) -> Vec<PanelAt<'_>> {
    fn walk<'a>(list: &'a Value, base: String, in_grid: bool, out: &mut Vec<PanelAt<'a>>) {
        let Some(items) = list.as_array() else { return };
        for (i, p) in items.iter().enumerate() {
            let pointer = format!("{base}/{i}");
            if let Some(nested) = p.get("panels") {
                walk(nested, format!("{pointer}/panels"), in_grid, out);
            }
            out.push(PanelAt {
                pointer,
                panel: p,
                in_grid,
            });
        }
    }
    let mut out = Vec::new();
    if let Some(panels) = dashboard.get("panels") {
        walk(panels, "/panels".into(), true, &mut out);
    }
    if let Some(rows) = dashboard.get("rows").and_then(Value::as_array) {
        for (r, row) in rows.iter().enumerate() {
            if let Some(panels) = row.get("panels") {
                walk(panels, format!("/rows/{r}/panels"), false, &mut out);
            }
        }
    }
    // Document order, with list indexes compared as numbers (panels[2] before panels[10]).
    let key = |p: &str| -> Vec<(u64, String)> {
        p.split('/')
            .map(|t| match t.parse::<u64>() {
                Ok(n) => (n, String::new()),
                Err(_) => (u64::MAX, t.to_string()),
            })
            .collect()
    };
    out.sort_by_cached_key(|a| key(&a.pointer));
    out
}

fn lint_panels(panels: &[PanelAt<'_>], findings: &mut Vec<Finding>) {
    let mut ids: BTreeMap<i64, &str> = BTreeMap::new();
    for PanelAt {
        pointer,
        panel,
        in_grid,
    } in panels
    {
        if !panel.is_object() {
            continue; // the schema reports it
        }
        match panel.get("id") {
            None | Some(Value::Null) => findings.push(Finding::warning(
                "panel-id-missing",
                pointer.clone(),
                "panel has no id: Grafana assigns one on load, so links to it are unstable",
            )),
            Some(v) => {
                if let Some(id) = v.as_i64() {
                    if let Some(first) = ids.get(&id) {
                        findings.push(Finding::error(
                            "panel-id-duplicate",
                            pointer_push(pointer, "id"),
                            format!("panel id {id} is also used by {}", display_path(first)),
                        ));
                    } else {
                        ids.insert(id, pointer);
                    }
                }
            }
        }
        match panel.get("type") {
            None => findings.push(Finding::error(
                "panel-type-missing",
                pointer.clone(),
                format!("panel {} has no type", panel_name(panel)),
            )),
            Some(Value::String(t)) if t.trim().is_empty() => findings.push(Finding::error(
                "panel-type-missing",
                pointer_push(pointer, "type"),
                format!("panel {} has an empty type", panel_name(panel)),
            )),
            _ => {}
        }
        if *in_grid {
            lint_grid_pos(pointer, panel, findings);
        }
    }
}

fn panel_name(panel: &Value) -> String {
    match (
        panel.get("id").and_then(Value::as_i64),
        panel.get("title").and_then(Value::as_str),
    ) {
        (Some(id), Some(t)) => format!("{id} ({t:?})"),
        (Some(id), None) => id.to_string(),
        (None, Some(t)) => format!("{t:?}"),
        (None, None) => "without id or title".to_string(),
    }
}

/// Grafana's fill-ins for a missing `gridPos` field (the panel model's defaults).
const GRID_DEFAULTS: [(&str, i64); 4] = [("x", 0), ("y", 0), ("w", 6), ("h", 3)];

/// The area a panel takes on the grid, with Grafana's fill-ins for missing fields; `None` when a field
/// has a wrong type (the schema reports it) or there is no `gridPos`.
fn grid_area(panel: &Value) -> Option<[i64; 4]> {
    let pos = panel.get("gridPos")?.as_object()?;
    let mut out = [0; 4];
    for (i, (k, default)) in GRID_DEFAULTS.iter().enumerate() {
        out[i] = match pos.get(*k) {
            None | Some(Value::Null) => *default,
            Some(v) => v.as_i64()?,
        };
    }
    Some(out)
}

fn lint_grid_pos(pointer: &str, panel: &Value, findings: &mut Vec<Finding>) {
    let Some(pos) = panel.get("gridPos") else {
        findings.push(Finding::warning(
            "gridpos-missing",
            pointer.to_string(),
            format!(
                "panel {} has no gridPos: Grafana places it at 0,0 with size 6x3",
                panel_name(panel)
            ),
        ));
        return;
    };
    let at = pointer_push(pointer, "gridPos");
    for (k, default) in GRID_DEFAULTS {
        if pos.get(k).is_none_or(Value::is_null) {
            findings.push(Finding::warning(
                "gridpos-incomplete",
                pointer_push(&at, k),
                format!("expected an integer, found none: Grafana uses {k}={default}"),
            ));
        }
    }
    let Some([x, y, w, h]) = grid_area(panel) else {
        return; // the schema reports wrong types
    };
    let name = panel_name(panel);
    grid_findings(
        findings,
        &at,
        [x, y, w, h],
        &format!("panel {name}"),
        ("w", "h"),
    );
}

/// Where a panel or layout item `[x, y, w, h]` falls outside Grafana's grid: no size is an error
/// (it is not shown), a negative position or a span past the last column a warning (Grafana moves
/// it). `subject` names the item, `size` how its width and height are called.
pub(crate) fn grid_findings(
    out: &mut Vec<Finding>,
    at: &str,
    [x, y, w, h]: [i64; 4],
    subject: &str,
    (wname, hname): (&str, &str),
) {
    if w < 1 || h < 1 {
        out.push(Finding::error(
            "gridpos-out-of-grid",
            at.to_string(),
            format!(
                "{subject} has size {wname}={w} {hname}={h}: expected both at least 1, or it is not shown"
            ),
        ));
    }
    if x < 0 || y < 0 {
        out.push(Finding::warning(
            "gridpos-out-of-grid",
            at.to_string(),
            format!("{subject} has a negative position x={x} y={y}: Grafana moves it"),
        ));
    }
    if w > GRID_COLUMNS || x.saturating_add(w) > GRID_COLUMNS {
        out.push(Finding::warning(
            "gridpos-out-of-grid",
            at.to_string(),
            format!(
                "{subject} spans columns {x}..{}, beyond the {GRID_COLUMNS}-column grid: Grafana moves or shrinks it",
                x.saturating_add(w)
            ),
        ));
    }
}

/// Two areas `[x, y, w, h]` share some of the grid.
pub(crate) fn overlap(a: [i64; 4], b: [i64; 4]) -> bool {
    let [ax, ay, aw, ah] = a;
    let [bx, by, bw, bh] = b;
    aw > 0
        && ah > 0
        && bw > 0
        && bh > 0
        && ax < bx.saturating_add(bw)
        && bx < ax.saturating_add(aw)
        && ay < by.saturating_add(bh)
        && by < ay.saturating_add(ah)
}

/// Panels on the same grid (the top level, or one collapsed row's panels) whose areas overlap:
/// Grafana pushes one of them down on load, so the layout is not the one in the file.
fn lint_overlaps(panels: &[PanelAt<'_>], findings: &mut Vec<Finding>) {
    // Panels of one collapsed row share a grid; the top level is another.
    let mut grids: BTreeMap<&str, Vec<(usize, &PanelAt<'_>)>> = BTreeMap::new();
    for (n, p) in panels.iter().enumerate().filter(|(_, p)| p.in_grid) {
        let grid = p.pointer.rsplit_once('/').map_or("", |(g, _)| g);
        grids.entry(grid).or_default().push((n, p));
    }
    let mut found: Vec<(usize, Finding)> = Vec::new();
    for grid in grids.values() {
        let areas: Vec<Option<[i64; 4]>> = grid.iter().map(|(_, p)| grid_area(p.panel)).collect();
        for (i, other) in grid::overlapped_by(&areas).into_iter().enumerate() {
            let (Some(j), Some(area)) = (other, areas[i]) else {
                continue;
            };
            let (n, p) = grid[i];
            found.push((
                n,
                Finding::warning(
                    "gridpos-overlap",
                    pointer_push(&p.pointer, "gridPos"),
                    format!(
                        "panel {} {} {}: Grafana moves one of them on load",
                        panel_name(p.panel),
                        overlap_word(areas[j] == Some(area)),
                        display_path(&grid[j].1.pointer)
                    ),
                ),
            ));
        }
    }
    found.sort_by_key(|(i, _)| *i);
    findings.extend(found.into_iter().map(|(_, f)| f));
}

/// How one panel's area meets another's, in a finding.
pub(crate) fn overlap_word(same: bool) -> &'static str {
    if same {
        "covers exactly the same area as"
    } else {
        "overlaps"
    }
}

/// What datasource references may resolve to.
struct Context {
    /// Template variables of type `datasource`.
    datasource_vars: BTreeSet<String>,
    /// Every other template variable (a reference to one is suspicious but may work).
    other_vars: BTreeSet<String>,
    /// `__inputs` names (`${DS_PROMETHEUS}` in dashboards exported for sharing).
    inputs: BTreeSet<String>,
    declared_uids: BTreeSet<String>,
}

impl Context {
    fn new(dashboard: &Value, options: &LintOptions) -> Self {
        let mut datasource_vars = BTreeSet::new();
        let mut other_vars = BTreeSet::new();
        for var in dashboard
            .pointer("/templating/list")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = var.get("name").and_then(Value::as_str) else {
                continue;
            };
            if var.get("type").and_then(Value::as_str) == Some("datasource") {
                datasource_vars.insert(name.to_string());
            } else {
                other_vars.insert(name.to_string());
            }
        }
        let inputs = dashboard
            .get("__inputs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|i| i.get("name").and_then(Value::as_str).map(str::to_string))
            .collect();
        Context {
            datasource_vars,
            other_vars,
            inputs,
            declared_uids: options.datasource_uids.iter().cloned().collect(),
        }
    }
}

/// `$name`, `${name}`, `${name:fmt}` or `[[name]]` → `name`.
fn variable_name(s: &str) -> Option<&str> {
    let s = s.trim();
    let inner = if let Some(rest) = s.strip_prefix("${") {
        let body = rest.strip_suffix('}')?;
        body.split(':').next()?
    } else if let Some(rest) = s.strip_prefix("[[") {
        rest.strip_suffix("]]")?.split(':').next()?
    } else {
        s.strip_prefix('$')?
    };
    let valid = !inner.is_empty() && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(inner)
}

fn lint_datasources(
    dashboard: &Value,
    panels: &[PanelAt<'_>],
    ctx: &Context,
    findings: &mut Vec<Finding>,
) {
    let mut refs: Vec<(String, &Value)> = Vec::new();
    for PanelAt { pointer, panel, .. } in panels {
        if let Some(ds) = panel.get("datasource") {
            refs.push((pointer_push(pointer, "datasource"), ds));
        }
        for (t, target) in panel
            .get("targets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(ds) = target.get("datasource") {
                refs.push((format!("{pointer}/targets/{t}/datasource"), ds));
            }
        }
    }
    for (i, var) in dashboard
        .pointer("/templating/list")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(ds) = var.get("datasource") {
            refs.push((format!("/templating/list/{i}/datasource"), ds));
        }
    }
    for (i, ann) in dashboard
        .pointer("/annotations/list")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(ds) = ann.get("datasource") {
            refs.push((format!("/annotations/list/{i}/datasource"), ds));
        }
    }
    for (pointer, ds) in refs {
        check_datasource_ref(&pointer, ds, ctx, findings);
    }
}

fn check_datasource_ref(pointer: &str, ds: &Value, ctx: &Context, findings: &mut Vec<Finding>) {
    match ds {
        Value::Null => {} // the default datasource
        Value::String(s) => check_datasource_string(pointer, s, false, ctx, findings),
        Value::Object(o) => match o.get("uid") {
            Some(Value::String(uid)) => {
                check_datasource_string(&pointer_push(pointer, "uid"), uid, true, ctx, findings)
            }
            None | Some(Value::Null) => {} // type only: the default datasource of that type
            Some(_) => {}                  // the schema reports the type
        },
        _ => {} // the schema reports the type
    }
}

fn check_datasource_string(
    pointer: &str,
    s: &str,
    is_uid: bool,
    ctx: &Context,
    findings: &mut Vec<Finding>,
) {
    if BUILTIN_DATASOURCES.contains(&s) || ctx.declared_uids.contains(s) {
        return;
    }
    if let Some(name) = variable_name(s) {
        if ctx.datasource_vars.contains(name) || ctx.inputs.contains(name) {
            return;
        }
        if ctx.other_vars.contains(name) {
            findings.push(Finding::warning(
                "datasource-variable-type",
                pointer.to_string(),
                format!("datasource {s:?} refers to template variable {name:?}, which is not of type datasource"),
            ));
            return;
        }
        findings.push(Finding::error(
            "datasource-unresolved",
            pointer.to_string(),
            // Named by the variable, not its spelling: `$prom` and `${prom}` are one cause.
            format!(
                "datasource \"${{{name}}}\" refers to no template variable or __inputs entry named {name:?}"
            ),
        ));
        return;
    }
    if is_uid {
        // Grafana loads it, and it works on every Grafana that has a datasource with this uid
        // (provisioned outside these inputs, as a cluster's Grafana usually is): a warning, as a
        // reference by name is; a variable that does not exist (above) is broken everywhere.
        findings.push(Finding::warning(
            "datasource-uid-unknown",
            pointer.to_string(),
            format!("datasource uid {s:?} is not declared in these inputs: it resolves only on a Grafana that has it; use \"${{datasource}}\" to choose one per environment"),
        ));
    } else {
        findings.push(Finding::warning(
            "datasource-by-name",
            pointer.to_string(),
            format!("datasource referenced by name {s:?}: it resolves only on a Grafana with that name; use a template variable"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_findings_word_panels_and_layout_items_as_before() {
        let mut out = Vec::new();
        grid_findings(
            &mut out,
            "/panels/0",
            [-1, 0, 0, 2],
            "panel \"A\"",
            ("w", "h"),
        );
        grid_findings(
            &mut out,
            "/spec/layout/0/spec",
            [20, 0, 8, 2],
            "item",
            ("width", "height"),
        );
        let msgs: Vec<String> = out.iter().map(|f| f.message.clone()).collect();
        assert_eq!(
            msgs,
            [
                "panel \"A\" has size w=0 h=2: expected both at least 1, or it is not shown",
                "panel \"A\" has a negative position x=-1 y=0: Grafana moves it",
                "item spans columns 20..28, beyond the 24-column grid: Grafana moves or shrinks it",
            ]
        );
    }
    use crate::json;

    fn codes(v: &Value) -> Vec<(&'static str, String)> {
        check_dashboard(v, &LintOptions::default())
            .into_iter()
            .map(|f| (f.code, f.pointer))
            .collect()
    }

    fn minimal() -> Value {
        json!({
            "title": "t", "uid": "abc", "schemaVersion": 39,
            "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
            "panels": [
                {"id": 1, "type": "timeseries", "title": "a", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
                 "datasource": {"type": "prometheus", "uid": "${datasource}"},
                 "targets": [{"refId": "A", "expr": "up", "datasource": {"type": "prometheus", "uid": "$datasource"}}]}
            ]
        })
    }

    fn found(v: &Value) -> Vec<(&'static str, crate::finding::Severity, String)> {
        check_dashboard(v, &LintOptions::default())
            .into_iter()
            .map(|f| (f.code, f.severity, f.pointer))
            .collect()
    }

    #[test]
    fn quirks_grafana_loads_are_warnings() {
        use crate::finding::Severity::Warning;
        let mut d = minimal();
        d["panels"][0]["gridPos"]
            .as_object_mut()
            .unwrap()
            .remove("x");
        d["uid"] = json!("");
        d["rows"] = Value::Null;
        let got = found(&d);
        assert_eq!(
            got,
            vec![
                ("schema-violation", Warning, String::new()),
                ("dashboard-uid-missing", Warning, "/uid".into()),
                ("legacy-rows", Warning, "/rows".into()),
                ("gridpos-incomplete", Warning, "/panels/0/gridPos/x".into()),
            ]
            .into_iter()
            .filter(|(c, ..)| *c != "schema-violation")
            .collect::<Vec<_>>()
        );
        let messages: Vec<String> = check_dashboard(&d, &LintOptions::default())
            .into_iter()
            .map(|f| f.message)
            .collect();
        assert!(
            messages.contains(
                &"panels[0].gridPos.x: expected an integer, found none: Grafana uses x=0"
                    .to_string()
            ),
            "{messages:?}"
        );
    }

    #[test]
    fn overlapping_panels_are_warned() {
        let mut d = minimal();
        let mut second = d["panels"][0].clone();
        second["id"] = json!(2);
        d["panels"].as_array_mut().unwrap().push(second.clone());
        second["id"] = json!(3);
        second["gridPos"] = json!({"x": 6, "y": 4, "w": 12, "h": 8});
        d["panels"].as_array_mut().unwrap().push(second.clone());
        second["id"] = json!(4);
        second["gridPos"] = json!({"x": 18, "y": 0, "w": 6, "h": 4});
        d["panels"].as_array_mut().unwrap().push(second);
        let f = check_dashboard(&d, &LintOptions::default());
        let overlaps: Vec<(&str, &str)> = f
            .iter()
            .filter(|f| f.code == "gridpos-overlap")
            .map(|f| (f.pointer.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(
            overlaps,
            vec![
                (
                    "/panels/1/gridPos",
                    "panels[1].gridPos: panel 2 (\"a\") covers exactly the same area as panels[0]: Grafana moves one of them on load"
                ),
                (
                    "/panels/2/gridPos",
                    "panels[2].gridPos: panel 3 (\"a\") overlaps panels[0]: Grafana moves one of them on load"
                ),
            ]
        );
        assert!(
            f.iter()
                .all(|f| f.severity == crate::finding::Severity::Warning)
        );
    }

    #[test]
    fn one_missing_variable_is_one_error_not_one_per_panel() {
        let mut d = minimal();
        d["templating"]["list"] = json!([]);
        let panel = d["panels"][0].clone();
        let panels: Vec<Value> = (0..38)
            .map(|i| {
                let mut p = panel.clone();
                p["id"] = json!(i + 1);
                p["gridPos"]["y"] = json!(i * 8);
                p
            })
            .collect();
        d["panels"] = Value::Array(panels);
        let f = check_dashboard(&d, &LintOptions::default());
        let errors: Vec<&Finding> = f
            .iter()
            .filter(|f| f.severity == crate::finding::Severity::Error)
            .collect();
        // `${datasource}` and `$datasource` are one variable: one finding, counting every place.
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(
            errors[0]
                .message
                .starts_with("panels[0].datasource.uid: datasource \"${datasource}\"")
                && errors[0]
                    .message
                    .ends_with("(also at panels[0].targets[0].datasource.uid and 74 more)"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn every_message_names_its_path_and_is_bounded() {
        let mut d = minimal();
        d["panels"][0]["gridPos"]["h"] = json!("x".repeat(5000));
        d["panels"][0]["targets"] = json!({"a": "x".repeat(5000)});
        d["templating"]["list"][0]["hide"] = json!(9);
        for f in check_dashboard(&d, &LintOptions::default()) {
            let path = display_path(&f.pointer);
            assert!(f.message.starts_with(&format!("{path}: ")), "{f}");
            assert!(f.message.chars().count() <= MESSAGE_MAX, "{f}");
        }
    }

    fn v2() -> Value {
        json!({
            "apiVersion": "dashboard.grafana.app/v2beta1",
            "kind": "Dashboard",
            "metadata": {"name": "media"},
            "spec": {
                "title": "Media",
                "elements": {
                    "panel-1": {"kind": "Panel", "spec": {"id": 1, "title": "a",
                        "vizConfig": {"kind": "VizConfig", "group": "timeseries", "spec": {}}}},
                    "panel-2": {"kind": "Panel", "spec": {"id": 2, "title": "b",
                        "vizConfig": {"kind": "stat", "spec": {}}}}
                },
                "layout": {"kind": "RowsLayout", "spec": {"rows": [
                    {"kind": "RowsLayoutRow", "spec": {"title": "r", "layout": {"kind": "GridLayout", "spec": {"items": [
                        {"kind": "GridLayoutItem", "spec": {"x": 0, "y": 0, "width": 12, "height": 8,
                            "element": {"kind": "ElementReference", "name": "panel-1"}}},
                        {"kind": "GridLayoutItem", "spec": {"x": 12, "y": 0, "width": 12, "height": 8,
                            "element": {"kind": "ElementReference", "name": "panel-2"}}}
                    ]}}}}
                ]}}
            }
        })
    }

    #[test]
    fn v2_resource_is_checked() {
        assert_eq!(codes(&v2()), vec![]);
        let items = "/spec/layout/spec/rows/0/spec/layout/spec/items";
        let mut d = v2();
        *d.pointer_mut(&format!("{items}/1/spec/element/name"))
            .unwrap() = json!("panel-9");
        *d.pointer_mut(&format!("{items}/1/spec/x")).unwrap() = json!(6);
        d["spec"]["elements"]["panel-1"]["spec"]["vizConfig"]["group"] = json!("");
        d["spec"]["elements"]["panel-3"] = json!({"kind": "Widget"});
        let got = found(&d);
        use crate::finding::Severity::{Error, Warning};
        assert_eq!(
            got,
            vec![
                (
                    "panel-type-missing",
                    Error,
                    "/spec/elements/panel-1/spec/vizConfig".to_string()
                ),
                (
                    "schema-violation",
                    Error,
                    "/spec/elements/panel-3/kind".to_string()
                ),
                (
                    "layout-element-unresolved",
                    Error,
                    format!("{items}/1/spec/element/name")
                ),
                ("gridpos-overlap", Warning, format!("{items}/1/spec")),
                (
                    "element-unused",
                    Warning,
                    "/spec/elements/panel-2".to_string()
                ),
                (
                    "element-unused",
                    Warning,
                    "/spec/elements/panel-3".to_string()
                ),
            ]
        );
        let mut d = v2();
        d["spec"].as_object_mut().unwrap().remove("layout");
        d["spec"]["title"] = json!(" ");
        let got: Vec<&str> = found(&d).into_iter().map(|(c, ..)| c).collect();
        assert_eq!(
            got,
            vec![
                "dashboard-title-missing",
                "layout-missing",
                "element-unused",
                "element-unused"
            ]
        );
    }

    #[test]
    fn v1_resource_holds_the_classic_model_in_spec() {
        let d = json!({"apiVersion": "dashboard.grafana.app/v1beta1", "kind": "Dashboard",
                       "metadata": {"name": "m"}, "spec": minimal()});
        assert_eq!(codes(&d), vec![]);
        let mut bad = d.clone();
        bad["spec"]["panels"][0]["gridPos"]["w"] = json!(0);
        let f = check_dashboard(&bad, &LintOptions::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pointer, "/spec/panels/0/gridPos");
        assert!(
            f[0].message.starts_with("spec.panels[0].gridPos: panel 1"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn embedded_schema_parses_and_compiles() {
        assert!(schema().is_ok());
        assert!(VALIDATOR.is_ok());
    }

    #[test]
    fn minimal_dashboard_is_clean() {
        assert_eq!(codes(&minimal()), vec![]);
    }

    /// (name, pointer to set, value, expected (code, pointer) pairs)
    type Case = (
        &'static str,
        &'static str,
        Value,
        Vec<(&'static str, &'static str)>,
    );

    /// A literal uid works on a Grafana that has it (a warning); a variable that does not exist
    /// works nowhere (an error).
    #[test]
    fn an_unknown_literal_uid_warns_and_an_unknown_variable_fails() {
        use crate::finding::Severity;
        let severity = |uid: &str| {
            let mut d = minimal();
            d["panels"][0]["datasource"]["uid"] = json!(uid);
            check_dashboard(&d, &LintOptions::default())
                .into_iter()
                .map(|f| (f.code, f.severity))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            severity("P1809F7CD0C75ACF3"),
            [("datasource-uid-unknown", Severity::Warning)]
        );
        assert_eq!(
            severity("${nope}"),
            [("datasource-unresolved", Severity::Error)]
        );
    }

    #[test]
    fn table_of_rule_violations() {
        // (name, pointer to set, value, expected (code, pointer))
        let cases: Vec<Case> = vec![
            (
                "title missing",
                "/title",
                Value::Null,
                vec![("schema-violation", "/title")],
            ),
            (
                "title empty",
                "/title",
                json!(" "),
                vec![("dashboard-title-missing", "/title")],
            ),
            (
                "uid too long",
                "/uid",
                json!("x".repeat(41)),
                vec![("dashboard-uid-invalid", "/uid")],
            ),
            (
                "uid bad char",
                "/uid",
                json!("a b"),
                vec![("dashboard-uid-invalid", "/uid")],
            ),
            (
                "x+w beyond 24",
                "/panels/0/gridPos/x",
                json!(13),
                vec![("gridpos-out-of-grid", "/panels/0/gridPos")],
            ),
            (
                "negative y",
                "/panels/0/gridPos/y",
                json!(-1),
                vec![("gridpos-out-of-grid", "/panels/0/gridPos")],
            ),
            (
                "zero width",
                "/panels/0/gridPos/w",
                json!(0),
                vec![("gridpos-out-of-grid", "/panels/0/gridPos")],
            ),
            (
                "gridPos string",
                "/panels/0/gridPos/h",
                json!("8"),
                vec![("schema-violation", "/panels/0/gridPos/h")],
            ),
            (
                "unknown uid",
                "/panels/0/datasource/uid",
                json!("P1809F7CD0C75ACF3"),
                vec![("datasource-uid-unknown", "/panels/0/datasource/uid")],
            ),
            (
                "unknown variable",
                "/panels/0/targets/0/datasource/uid",
                json!("${ds}"),
                vec![(
                    "datasource-unresolved",
                    "/panels/0/targets/0/datasource/uid",
                )],
            ),
            (
                "legacy name",
                "/panels/0/datasource",
                json!("Prometheus"),
                vec![("datasource-by-name", "/panels/0/datasource")],
            ),
            (
                "built-in",
                "/panels/0/datasource",
                json!("-- Grafana --"),
                vec![],
            ),
            (
                "default datasource",
                "/panels/0/datasource",
                Value::Null,
                vec![],
            ),
            (
                "panels not an array",
                "/panels",
                json!({}),
                vec![("schema-violation", "/panels")],
            ),
        ];
        for (name, ptr, value, expected) in cases {
            let mut d = minimal();
            if value.is_null() && ptr == "/title" {
                d.as_object_mut().unwrap().remove("title");
            } else {
                *d.pointer_mut(ptr)
                    .unwrap_or_else(|| panic!("{name}: no {ptr}")) = value;
            }
            let got = codes(&d);
            let got: Vec<(&str, &str)> = got.iter().map(|(c, p)| (*c, p.as_str())).collect();
            if name == "title missing" {
                assert!(
                    got.contains(&("dashboard-title-missing", "")),
                    "{name}: {got:?}"
                );
                continue;
            }
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn duplicate_ids_are_found_inside_collapsed_rows_and_legacy_rows() {
        let mut d = minimal();
        d["panels"].as_array_mut().unwrap().push(json!({
            "id": 2, "type": "row", "title": "r", "collapsed": true, "gridPos": {"x": 0, "y": 8, "w": 24, "h": 1},
            "panels": [{"id": 1, "type": "stat", "gridPos": {"x": 0, "y": 9, "w": 6, "h": 4}}]
        }));
        d["rows"] = json!([{"panels": [{"id": 2, "type": "graph", "span": 12}]}]);
        let got = codes(&d);
        assert!(
            got.contains(&("panel-id-duplicate", "/panels/1/panels/0/id".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("panel-id-duplicate", "/rows/0/panels/0/id".into())),
            "{got:?}"
        );
        assert!(got.contains(&("legacy-rows", "/rows".into())), "{got:?}");
        // legacy-row panels have no gridPos, and that is fine
        assert!(!got.iter().any(|(c, _)| *c == "gridpos-missing"), "{got:?}");
    }

    #[test]
    fn panel_without_type_and_variable_references() {
        let mut d = minimal();
        d["panels"][0].as_object_mut().unwrap().remove("type");
        d["templating"]["list"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "ns", "type": "custom"}));
        d["panels"][0]["datasource"] = json!("$ns");
        let got = codes(&d);
        assert!(
            got.contains(&("panel-type-missing", "/panels/0".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("datasource-variable-type", "/panels/0/datasource".into())),
            "{got:?}"
        );
    }

    #[test]
    fn declared_uids_and_inputs_resolve() {
        let mut d = minimal();
        d["panels"][0]["datasource"]["uid"] = json!("prom-staging");
        let opts = LintOptions {
            datasource_uids: vec!["prom-staging".into()],
        };
        assert_eq!(check_dashboard(&d, &opts), vec![]);
        d["__inputs"] =
            json!([{"name": "DS_PROM", "type": "datasource", "pluginId": "prometheus"}]);
        d["panels"][0]["datasource"] = json!("${DS_PROM}");
        assert_eq!(check_dashboard(&d, &LintOptions::default()), vec![]);
    }

    #[test]
    fn variable_name_forms() {
        assert_eq!(variable_name("$datasource"), Some("datasource"));
        assert_eq!(variable_name("${datasource}"), Some("datasource"));
        assert_eq!(variable_name("${datasource:raw}"), Some("datasource"));
        assert_eq!(variable_name("[[ds]]"), Some("ds"));
        assert_eq!(variable_name("Prometheus"), None);
        assert_eq!(variable_name("${}"), None);
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        let f = check_dashboard_text("{\n  \"title\": }", &LintOptions::default());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "json-invalid");
        assert!(f[0].message.contains("line 2 column"), "{}", f[0].message);
    }

    #[test]
    fn non_object_dashboard_is_a_schema_error_not_a_panic() {
        let got = codes(&json!([1, 2]));
        assert_eq!(got, vec![("schema-violation", String::new())]);
    }
}
