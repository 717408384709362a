//! The human output of `rollout diff`: a unified diff per object (with `similar`), headed
//! `group.version.Kind.namespace.name`, optionally coloured.
//!
//! Owns layout and colour only; whether colour is wanted is decided by the caller (terminal,
//! `NO_COLOR`, `--color`), never here.

use similar::TextDiff;

use super::{Action, ObjectDiff};

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Lines of context around each change.
pub const CONTEXT: usize = 3;

fn paint(out: &mut String, color: bool, code: &str, line: &str) {
    if color {
        out.push_str(code);
        out.push_str(line);
        out.push_str(RESET);
    } else {
        out.push_str(line);
    }
    out.push('\n');
}

/// How a diff names its two sides and the one-sided actions.
#[derive(Debug, Clone, Copy)]
pub struct Labels {
    /// The old side's header prefix (`live`).
    pub before: &'static str,
    /// The new side's header prefix (`rendered`).
    pub after: &'static str,
    /// What a created object's heading says (`will be created`).
    pub created: &'static str,
    /// What a pruned object's heading says (`would be pruned`).
    pub pruned: &'static str,
}

/// `rollout diff`'s labels: live against rendered.
pub const LIVE: Labels = Labels {
    before: "live",
    after: "rendered",
    created: "will be created",
    pruned: "would be pruned",
};

/// The unified diff of one object (empty for an unchanged one).
pub fn object_diff(obj: &ObjectDiff, color: bool) -> String {
    object_diff_with(obj, color, &LIVE)
}

/// [`object_diff`] with other side names (`rollout preview`: base against head).
pub fn object_diff_with(obj: &ObjectDiff, color: bool, labels: &Labels) -> String {
    if obj.action == Action::Unchanged {
        return String::new();
    }
    let id = obj.id.to_string();
    let (before, after) = (labels.before, labels.after);
    let (old_name, new_name) = match obj.action {
        Action::Created => ("/dev/null".to_string(), format!("{after}/{id}")),
        Action::Pruned => (format!("{before}/{id}"), "/dev/null".to_string()),
        _ => (format!("{before}/{id}"), format!("{after}/{id}")),
    };
    let mut out = String::new();
    let what = match obj.action {
        Action::Created => labels.created.to_string(),
        Action::Pruned => labels.pruned.to_string(),
        _ => match obj.changes.len() {
            1 => "1 change".to_string(),
            n => format!("{n} changes"),
        },
    };
    paint(&mut out, color, BOLD, &format!("diff {id} ({what})"));
    let diff = TextDiff::from_lines(obj.before_text.as_str(), obj.after_text.as_str());
    let unified = diff
        .unified_diff()
        .context_radius(CONTEXT)
        .header(&old_name, &new_name)
        .to_string();
    for line in unified.lines() {
        let code = if line.starts_with("---") || line.starts_with("+++") {
            BOLD
        } else if line.starts_with("@@") {
            CYAN
        } else if line.starts_with('-') {
            RED
        } else if line.starts_with('+') {
            GREEN
        } else {
            ""
        };
        if code.is_empty() {
            out.push_str(line);
            out.push('\n');
        } else {
            paint(&mut out, color, code, line);
        }
    }
    out
}

/// Every changed, created and pruned object's diff, in report order.
pub fn render(objects: &[ObjectDiff], color: bool) -> String {
    // Objects are independent: many are diffed on every core, in order.
    crate::fsutil::par_chunks(objects, 256, |part| {
        part.iter()
            .map(|o| object_diff(o, color))
            .collect::<String>()
    })
    .concat()
}
