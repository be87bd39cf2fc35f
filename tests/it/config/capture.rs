//! A `tracing` subscriber that keeps every event and span (at every level,
//! TRACE included) as text, for tests that check what is logged.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::DefaultGuard;
use tracing::{Event, Metadata, Subscriber};

/// What was logged while the guard lived: one line per event or span,
/// `LEVEL target: message field=value …`.
#[derive(Clone, Default)]
pub(crate) struct Logs(Arc<Mutex<Vec<String>>>);

impl Logs {
    /// Captures everything logged on this thread until the guard drops.
    pub(crate) fn capture() -> (Logs, DefaultGuard) {
        let logs = Logs::default();
        let subscriber = Capture {
            logs: logs.clone(),
            next_id: AtomicU64::new(1),
        };
        (logs, tracing::subscriber::set_default(subscriber))
    }

    pub(crate) fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// The warnings.
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|l| l.starts_with("WARN"))
            .collect()
    }

    /// Everything, on one string, for "never contains" checks.
    pub(crate) fn all(&self) -> String {
        self.lines().join("\n")
    }
}

struct Capture {
    logs: Logs,
    next_id: AtomicU64,
}

impl Capture {
    fn push(&self, meta: &Metadata<'_>, fields: Fields) {
        let line = format!("{} {}:{}", meta.level(), meta.target(), fields.0);
        self.logs.0.lock().unwrap().push(line);
    }
}

#[derive(Default)]
struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields::default();
        span.record(&mut fields);
        self.push(span.metadata(), fields);
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        self.logs
            .0
            .lock()
            .unwrap()
            .push(format!("RECORD:{}", fields.0));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        self.push(event.metadata(), fields);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
