//! What the configuration logs, as text: a thin view over the test
//! binary's `tracing` capture (`crate::trace_capture`, a global subscriber
//! that records the thread of each session), so the configuration tests
//! read warnings as lines.

use tracing::Level;

use crate::trace_capture::{Capture, Recording};

/// What was logged on this thread while the guard lived.
pub(crate) struct Logs(Capture);

impl Logs {
    /// Captures everything logged on this thread until the guard drops.
    pub(crate) fn capture() -> (Logs, Recording) {
        let (capture, recording) = Capture::start();
        (Logs(capture), recording)
    }

    /// The warnings, one line each: `WARN target: message field=value …`.
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.0
            .events()
            .into_iter()
            .filter(|e| e.level == Level::WARN)
            .map(|e| {
                let mut line = format!("WARN {}: {}", e.target, e.message());
                for (name, value) in e.fields.iter().filter(|(n, _)| n != "message") {
                    line.push_str(&format!(" {name}={value}"));
                }
                line
            })
            .collect()
    }

    /// Everything, spans and events with all their fields, for "never
    /// contains" checks.
    pub(crate) fn all(&self) -> String {
        self.0.dump()
    }
}
