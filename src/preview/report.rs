//! The preview's three outputs: a pull-request comment (Markdown: a summary table, then one
//! collapsible section per changed application with its unified diff, kept under GitHub's
//! 65,536-character limit by shortening the largest diffs first and saying what was cut), JSON
//! for bots (shape in docs/preview.md), and plain text for terminals.
//!
//! Owns layout only; the comparison is done (and Secrets masked) before anything reaches here.

use crate::json;
use crate::value::Value;

use super::compare::LABELS;
use super::{AppResult, Mode, Preview, Status};
use crate::diff::text::object_diff_with;

/// GitHub's limit on an issue or pull-request comment body, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

fn destination(a: &AppResult) -> String {
    match (a.app.cluster.as_str(), a.app.namespace.as_str()) {
        ("", "") => "-".to_string(),
        ("", ns) => ns.to_string(),
        (c, "") => c.to_string(),
        (c, ns) => format!("{c}/{ns}"),
    }
}

/// The unified diff of an application's differing objects.
pub fn app_diff(a: &AppResult) -> String {
    a.objects
        .iter()
        .map(|o| object_diff_with(o, false, &LABELS))
        .collect()
}

fn status_word(s: &Status) -> &'static str {
    match s {
        Status::Unchanged => "unchanged",
        Status::Changed => "changed",
        Status::Added => "new application",
        Status::Removed => "application removed",
        Status::Failed => "render failed",
        Status::Skipped => "not rendered",
    }
}

/// `1 changed, 2 added` (the non-zero counts), or the status for failures.
fn counts_phrase(a: &AppResult) -> String {
    if a.status == Status::Failed {
        return "render failed at head".into();
    }
    let c = a.counts;
    let mut parts: Vec<String> = [
        (c.added, "added"),
        (c.changed, "changed"),
        (c.removed, "removed"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, w)| format!("{n} {w}"))
    .collect();
    if matches!(a.status, Status::Added | Status::Removed) {
        parts.insert(0, status_word(&a.status).to_string());
    }
    if !a.findings.is_empty() {
        parts.push(format!("{} new verify finding(s)", a.findings.len()));
    }
    if parts.is_empty() {
        status_word(&a.status).to_string()
    } else {
        parts.join(", ")
    }
}

/// Text for HTML (`<code>` in summaries and table cells): `&`, `<`, `>` and `|` escaped.
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "&#124;")
}

fn fence_for(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

fn headline(p: &Preview) -> String {
    let changed = p.apps.iter().filter(|a| a.is_finding()).count();
    let what = match p.mode {
        Mode::Applications => "applications",
        Mode::Kustomizations => "kustomizations",
    };
    if changed == 0 && p.problems.is_empty() {
        format!("No changes to the {} {what} rendered", p.apps.len())
    } else {
        format!("{changed} of {} {what} change", p.apps.len())
    }
}

/// One collapsible section: the fixed part around the diff, and the diff.
struct Section {
    head: String,
    body: String,
    tail: String,
    /// It says something besides the diff (a base error, verify findings).
    extra: bool,
}

fn sections(p: &Preview) -> Vec<Section> {
    p.apps
        .iter()
        .filter(|a| a.is_finding())
        .map(|a| {
            let mut head = format!(
                "<details>\n<summary><code>{}</code> ({}): {}</summary>\n\n",
                html(&a.app.name),
                html(&destination(a)),
                html(&counts_phrase(a))
            );
            if let Some(e) = &a.base_error {
                head.push_str(&format!(
                    "Did not render at base (compared as empty): `{}`\n\n",
                    one_line(e)
                ));
            }
            if !a.findings.is_empty() {
                head.push_str("New verify findings:\n");
                for f in &a.findings {
                    head.push_str(&format!(
                        "- **{}** `{}` {}{}\n",
                        f.severity,
                        f.code,
                        html(&f.message),
                        f.at.as_ref()
                            .map(|at| format!(" ({})", html(at)))
                            .unwrap_or_default()
                    ));
                }
                head.push('\n');
            }
            let (body, lang) = match &a.error {
                Some(e) => (format!("{e}\n"), "text"),
                None => (app_diff(a), "diff"),
            };
            let extra = a.base_error.is_some() || !a.findings.is_empty();
            let fence = fence_for(&body);
            head.push_str(&format!("{fence}{lang}\n"));
            Section {
                head,
                body,
                tail: format!("{fence}\n\n</details>\n\n"),
                extra,
            }
        })
        .filter(|s| !s.body.is_empty() || s.extra)
        .collect()
}

fn one_line(s: &str) -> String {
    s.lines().next().unwrap_or("").replace('`', "'")
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// The first lines of `body` within `cap` characters, and how many lines were left out.
fn cut(body: &str, cap: usize) -> (String, usize, usize) {
    let mut out = String::new();
    let mut used = 0;
    let total_lines = body.lines().count();
    let mut kept = 0;
    for line in body.lines() {
        let n = chars(line) + 1;
        if used + n > cap {
            break;
        }
        out.push_str(line);
        out.push('\n');
        used += n;
        kept += 1;
    }
    (out, kept, total_lines - kept)
}

fn cut_note(kept: usize, dropped: usize, full: usize) -> String {
    format!(
        "… {dropped} more lines cut to fit the comment ({kept} of {} lines, {full} characters in full)\n",
        kept + dropped
    )
}

/// The pull-request comment, at most `limit` characters (GitHub: [`GITHUB_COMMENT_LIMIT`]).
pub fn markdown(p: &Preview, limit: usize) -> String {
    let mut top = format!(
        "### rollout preview\n\n**{}** between `{}` and `{}`.\n\n",
        headline(p),
        p.base.label().replace('`', "'"),
        p.head.label().replace('`', "'")
    );
    for prob in &p.problems {
        top.push_str(&format!("- :warning: {}\n", html(&one_line(prob))));
    }
    if !p.problems.is_empty() {
        top.push('\n');
    }
    // The table: every application that changes (bounded to half the comment).
    let rows: Vec<String> = p
        .apps
        .iter()
        .filter(|a| a.is_finding())
        .map(|a| {
            let (ad, ch, rm) = if a.status == Status::Failed {
                ("render failed".to_string(), "".to_string(), "".to_string())
            } else {
                (
                    a.counts.added.to_string(),
                    a.counts.changed.to_string(),
                    a.counts.removed.to_string(),
                )
            };
            let note = match a.status {
                Status::Added => " (new)",
                Status::Removed => " (removed)",
                _ => "",
            };
            format!(
                "| <code>{}</code>{note} | {} | {ad} | {ch} | {rm} |\n",
                html(&a.app.name),
                html(&destination(a))
            )
        })
        .collect();
    let mut table = String::new();
    if !rows.is_empty() {
        table.push_str("| Application | Destination | Added | Changed | Removed |\n| --- | --- | ---: | ---: | ---: |\n");
        let budget = limit / 2;
        let mut shown = 0;
        for r in &rows {
            if chars(&table) + chars(r) > budget {
                break;
            }
            table.push_str(r);
            shown += 1;
        }
        if shown < rows.len() {
            table.push_str(&format!(
                "\n… and {} more applications (run `rollout preview --output json` for all)\n",
                rows.len() - shown
            ));
        }
        table.push('\n');
    }
    let mut notes = String::new();
    let skipped: Vec<String> = p
        .apps
        .iter()
        .flat_map(|a| {
            a.skipped
                .iter()
                .map(move |s| format!("{}: {s}", a.app.name))
        })
        .collect();
    if !skipped.is_empty() || !p.known_problems.is_empty() {
        notes.push_str("<details>\n<summary>Not previewed</summary>\n\n");
        for s in skipped.iter().chain(&p.known_problems).take(50) {
            notes.push_str(&format!("- {}\n", html(&one_line(s))));
        }
        let more = skipped.len() + p.known_problems.len();
        if more > 50 {
            notes.push_str(&format!("- … and {} more\n", more - 50));
        }
        notes.push_str("\n</details>\n");
    }
    let secs = sections(p);
    const NOTE_RESERVE: usize = 400;
    let fixed = chars(&top) + chars(&table) + chars(&notes);
    let overhead = |s: &Section| chars(&s.head) + chars(&s.tail);
    let full: usize = secs.iter().map(|s| overhead(s) + chars(&s.body)).sum();
    let mut out = top;
    out.push_str(&table);
    if fixed + full <= limit {
        for s in &secs {
            out.push_str(&s.head);
            out.push_str(&s.body);
            out.push_str(&s.tail);
        }
        out.push_str(&notes);
        return out;
    }
    // Too long: keep as many sections as fit with empty bodies, then find the largest cap on
    // a diff's length that fits, so the largest diffs are shortened first.
    let avail = limit.saturating_sub(fixed + NOTE_RESERVE);
    let cut_reserve = 120;
    let mut count = secs.len();
    while count > 0
        && secs[..count]
            .iter()
            .map(|s| overhead(s) + cut_reserve)
            .sum::<usize>()
            > avail
    {
        count -= 1;
    }
    let cost = |cap: usize| -> usize {
        secs[..count]
            .iter()
            .map(|s| {
                let b = chars(&s.body);
                overhead(s) + if b > cap { cap + cut_reserve } else { b }
            })
            .sum()
    };
    let (mut lo, mut hi) = (
        0usize,
        secs.iter().map(|s| chars(&s.body)).max().unwrap_or(0),
    );
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if cost(mid) <= avail {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let cap = lo;
    let mut shortened = 0;
    for s in &secs[..count] {
        out.push_str(&s.head);
        let full = chars(&s.body);
        if full > cap {
            let (text, kept, dropped) = cut(&s.body, cap);
            out.push_str(&text);
            // The note goes inside the fence so it cannot break the Markdown around it.
            out.push_str(&cut_note(kept, dropped, full));
            shortened += 1;
        } else {
            out.push_str(&s.body);
        }
        out.push_str(&s.tail);
    }
    let hidden = secs.len() - count;
    let mut note = format!(
        "> :scissors: Cut to fit GitHub's {GITHUB_COMMENT_LIMIT}-character comment limit: {shortened} diff(s) shortened to {cap} characters (largest first)"
    );
    if hidden > 0 {
        note.push_str(&format!(", {hidden} application diff(s) not shown"));
    }
    note.push_str(". Run `rollout preview` locally or use `--output json` for everything.\n\n");
    out.push_str(&note);
    out.push_str(&notes);
    out
}

/// `--output json` (the shape is documented in docs/preview.md).
pub fn json(p: &Preview) -> Value {
    let rev = |r: &super::Revision| match r {
        super::Revision::Commit { sha, given } => json!({"ref": given, "commit": sha}),
        super::Revision::Worktree => json!({"ref": "worktree", "commit": null}),
    };
    let count = |s: Status| p.apps.iter().filter(|a| a.status == s).count();
    json!({
        "base": rev(&p.base),
        "head": rev(&p.head),
        "mode": p.mode,
        "changed": p.has_changes(),
        "summary": {
            "applications": p.apps.len(),
            "changed": count(Status::Changed),
            "added": count(Status::Added),
            "removed": count(Status::Removed),
            "failed": count(Status::Failed),
            "skipped": count(Status::Skipped),
            "unchanged": count(Status::Unchanged),
        },
        "problems": p.problems,
        "knownProblems": p.known_problems,
        "applications": p.apps.iter().map(|a| json!({
            "key": a.app.key,
            "name": a.app.name,
            "definedIn": a.app.defined_in,
            "cluster": a.app.cluster,
            "namespace": a.app.namespace,
            "paths": a.app.sources.iter().map(|s| &s.path).collect::<Vec<_>>(),
            "status": a.status,
            "resources": a.counts,
            "error": a.error,
            "baseError": a.base_error,
            "skipped": a.skipped,
            "findings": a.findings,
            "objects": a.objects.iter().map(|o| json!({
                "id": o.id.to_string(),
                "apiVersion": o.id.gvk.api_version(),
                "kind": o.id.gvk.kind,
                "namespace": o.id.namespace,
                "name": o.id.name,
                "action": match o.action {
                    crate::diff::Action::Created => "added",
                    crate::diff::Action::Pruned => "removed",
                    crate::diff::Action::Changed => "changed",
                    crate::diff::Action::Unchanged => "unchanged",
                },
                "changes": o.changes,
            })).collect::<Vec<_>>(),
            "diff": if a.error.is_some() { String::new() } else { app_diff(a) },
        })).collect::<Vec<_>>(),
    })
}

/// Plain text for a terminal: the headline, one line per changing application, then the diffs.
pub fn text(p: &Preview) -> String {
    let mut out = format!(
        "rollout preview: {} ({} -> {})\n",
        headline(p),
        p.base.label(),
        p.head.label()
    );
    for prob in &p.problems {
        out.push_str(&format!("problem: {prob}\n"));
    }
    let width = p
        .apps
        .iter()
        .filter(|a| a.is_finding())
        .map(|a| a.app.name.chars().count())
        .max()
        .unwrap_or(0);
    for a in p.apps.iter().filter(|a| a.is_finding()) {
        out.push_str(&format!(
            "  {:width$}  {}  {}\n",
            a.app.name,
            destination(a),
            counts_phrase(a)
        ));
    }
    for a in p.apps.iter().filter(|a| a.is_finding()) {
        out.push_str(&format!("\n== {} ({})\n", a.app.name, destination(a)));
        if let Some(e) = &a.base_error {
            out.push_str(&format!("did not render at base: {e}\n"));
        }
        for f in &a.findings {
            out.push_str(&format!(
                "new {}[{}]: {}{}\n",
                f.severity,
                f.code,
                f.message,
                f.at.as_ref().map(|x| format!(" ({x})")).unwrap_or_default()
            ));
        }
        match &a.error {
            Some(e) => out.push_str(&format!("render failed at head: {e}\n")),
            None => out.push_str(&app_diff(a)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_whole_lines_and_fences_outgrow_backticks() {
        let (t, kept, dropped) = cut("aaa\nbbb\nccc\n", 8);
        assert_eq!((t.as_str(), kept, dropped), ("aaa\nbbb\n", 2, 1));
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(fence_for("x ```` y"), "`````");
        assert_eq!(html("a|<b>&"), "a&#124;&lt;b&gt;&amp;");
    }
}
