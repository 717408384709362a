//! How a running sync shows progress: the events the library emits and two renderers, a single
//! live line for terminals and plain timestamped lines otherwise. The renderers write to a writer
//! the caller gives them (stderr); they never see a token.

use std::io::Write;
use std::time::Duration;

/// What the wait is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for an operation someone else started.
    WaitingForOtherOperation,
    /// Waiting for our sync.
    Syncing,
    /// Synced: waiting for the workloads to roll out (the note says what is waited for).
    Workloads,
}

/// One progress report, after each poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The Application.
    pub app: String,
    /// Time since start.
    pub elapsed: Duration,
    /// What is being waited for.
    pub stage: Stage,
    /// Operation phase, if any.
    pub phase: Option<String>,
    /// Sync status.
    pub sync: String,
    /// Health status.
    pub health: String,
    /// A poll that failed and will be retried.
    pub note: Option<String>,
}

/// The state part of an event (what changes trigger a plain line).
pub fn state_text(ev: &Event) -> String {
    let stage = match ev.stage {
        Stage::WaitingForOtherOperation => "waiting for another operation: ",
        Stage::Syncing => "",
        Stage::Workloads => {
            return format!("workloads: {}", ev.note.as_deref().unwrap_or("checking"));
        }
    };
    let mut s = format!(
        "{stage}phase={} sync={} health={}",
        ev.phase.as_deref().unwrap_or("-"),
        ev.sync,
        ev.health
    );
    if let Some(n) = &ev.note {
        s.push_str(&format!(" (poll failed, retrying: {n})"));
    }
    s
}

/// Renders events to a writer: live line on a terminal, else one timestamped line per change.
pub struct Renderer<W: Write> {
    out: W,
    live: bool,
    last: Option<String>,
    drew: bool,
}

impl<W: Write> Renderer<W> {
    /// `live` selects the single redrawn line (use `std::io::IsTerminal` on stderr).
    pub fn new(out: W, live: bool) -> Self {
        Renderer {
            out,
            live,
            last: None,
            drew: false,
        }
    }

    /// Shows one event. Write errors are ignored: progress is best effort.
    pub fn event(&mut self, ev: &Event) {
        let state = state_text(ev);
        if self.live {
            let _ = write!(
                self.out,
                "\r\x1b[2K{} [{}] {state}",
                ev.app,
                crate::duration::format(std::time::Duration::from_secs(ev.elapsed.as_secs()))
            );
            let _ = self.out.flush();
            self.drew = true;
        } else if self.last.as_deref() != Some(state.as_str()) {
            let now = crate::clients::http::now_rfc3339();
            let _ = writeln!(self.out, "{now} {} {state}", ev.app);
        }
        self.last = Some(state);
    }

    /// Ends the live line so later output starts on a fresh line.
    pub fn finish(&mut self) {
        if self.live && self.drew {
            let _ = writeln!(self.out);
            self.drew = false;
        }
    }

    /// The writer, for tests.
    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(secs: u64, phase: Option<&str>, sync: &str, health: &str) -> Event {
        Event {
            app: "media-staging".into(),
            elapsed: Duration::from_secs(secs),
            stage: Stage::Syncing,
            phase: phase.map(Into::into),
            sync: sync.into(),
            health: health.into(),
            note: None,
        }
    }

    #[test]
    fn plain_lines_only_on_change_with_timestamps() {
        let mut r = Renderer::new(Vec::new(), false);
        r.event(&ev(0, None, "OutOfSync", "Healthy"));
        r.event(&ev(2, None, "OutOfSync", "Healthy"));
        r.event(&ev(4, Some("Running"), "OutOfSync", "Progressing"));
        r.finish();
        let out = String::from_utf8(r.into_inner()).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        assert!(
            lines[0].ends_with("media-staging phase=- sync=OutOfSync health=Healthy"),
            "{out}"
        );
        assert!(
            lines[1].ends_with("phase=Running sync=OutOfSync health=Progressing"),
            "{out}"
        );
        let ts = lines[0].split(' ').next().unwrap();
        assert!(
            ts.parse::<jiff::Timestamp>().is_ok(),
            "timestamp first: {ts}"
        );
        assert!(!out.contains('\r'));
    }

    #[test]
    fn live_line_redraws_in_place_and_ends_with_newline() {
        let mut r = Renderer::new(Vec::new(), true);
        r.event(&ev(0, None, "OutOfSync", "Healthy"));
        r.event(&ev(3, Some("Succeeded"), "Synced", "Healthy"));
        r.finish();
        let out = String::from_utf8(r.into_inner()).unwrap();
        assert_eq!(
            out,
            "\r\x1b[2Kmedia-staging [0s] phase=- sync=OutOfSync health=Healthy\
             \r\x1b[2Kmedia-staging [3s] phase=Succeeded sync=Synced health=Healthy\n"
        );
    }

    #[test]
    fn waiting_for_another_operation_and_retry_notes_are_said() {
        let mut e = ev(1, Some("Running"), "OutOfSync", "Healthy");
        e.stage = Stage::WaitingForOtherOperation;
        e.note = Some("connection refused".into());
        assert_eq!(
            state_text(&e),
            "waiting for another operation: phase=Running sync=OutOfSync health=Healthy \
             (poll failed, retrying: connection refused)"
        );
    }
}
