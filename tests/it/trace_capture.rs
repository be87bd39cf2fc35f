//! Captures everything the crate (and the HTTP stack below it) says through
//! `tracing`, at every level: each span with all its fields (those given at
//! creation and those recorded later) and its parent, and each event with
//! all its fields and the span it happened in.
//!
//! A plain `tracing::Subscriber` (no `tracing-subscriber` dependency). It is
//! installed once as the *global* default and records, while a
//! [`Capture::start`] guard lives, what happens on that guard's thread: use
//! it on a current-thread runtime (`#[tokio::test]`), where the tasks the
//! crate spawns (the cache's fetches) run on the test's thread. Not a
//! thread-local `set_default`: `tracing` caches each callsite's interest
//! process-wide, and a sibling test without a subscriber reaching a
//! callsite first would switch it off for every thread (tokio-rs/tracing's
//! known race), so that events went missing in parallel runs.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::ThreadId;

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

/// One span as captured.
#[derive(Debug, Clone)]
pub struct SpanData {
    pub id: u64,
    pub name: &'static str,
    pub target: String,
    pub level: Level,
    pub parent: Option<u64>,
    /// In the order given or recorded; a field recorded twice appears
    /// twice (the last is the current value).
    pub fields: Vec<(String, String)>,
}

impl SpanData {
    /// The field's last value.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One event as captured.
#[derive(Debug, Clone)]
pub struct EventData {
    pub target: String,
    pub level: Level,
    /// The span the event happened in (its explicit parent, or the span
    /// entered on its thread).
    pub span: Option<u64>,
    pub fields: Vec<(String, String)>,
}

impl EventData {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn message(&self) -> &str {
        self.field("message").unwrap_or_default()
    }
}

/// What one capture session saw.
#[derive(Default)]
struct Log {
    spans: HashMap<u64, SpanData>,
    events: Vec<EventData>,
}

type Shared = Arc<Mutex<Log>>;

/// The global subscriber: routes to the session of the emitting thread.
#[derive(Default)]
struct Router {
    next_id: AtomicU64,
    sessions: Mutex<HashMap<ThreadId, Shared>>,
    /// Which session each recorded span belongs to.
    owners: Mutex<HashMap<u64, Shared>>,
    /// The spans entered on each recording thread, innermost last.
    entered: Mutex<HashMap<ThreadId, Vec<u64>>>,
}

static ROUTER: OnceLock<&'static Router> = OnceLock::new();

thread_local! {
    /// Whether this thread is being recorded: the one check other threads
    /// (the other tests) pay for each span and event.
    static RECORDING: Cell<bool> = const { Cell::new(false) };
}

fn router() -> &'static Router {
    ROUTER.get_or_init(|| {
        let router: &'static Router = Box::leak(Box::default());
        tracing::subscriber::set_global_default(Global(router))
            .expect("no other global subscriber in the test binary");
        router
    })
}

/// One capture session: everything on the thread that started it, until
/// the [`Recording`] guard is dropped.
#[derive(Clone)]
pub struct Capture {
    log: Shared,
}

/// Stops the recording when dropped (on the thread that started it).
pub struct Recording {
    thread: ThreadId,
    _not_send: PhantomData<*const ()>,
}

impl Drop for Recording {
    fn drop(&mut self) {
        RECORDING.set(false);
        let r = router();
        r.sessions.lock().unwrap().remove(&self.thread);
        r.entered.lock().unwrap().remove(&self.thread);
    }
}

impl Capture {
    /// Captures everything on this thread until the guard is dropped.
    pub fn start() -> (Self, Recording) {
        let log = Shared::default();
        let thread = std::thread::current().id();
        router()
            .sessions
            .lock()
            .unwrap()
            .insert(thread, Arc::clone(&log));
        RECORDING.set(true);
        let recording = Recording {
            thread,
            _not_send: PhantomData,
        };
        (Self { log }, recording)
    }

    pub fn spans(&self) -> Vec<SpanData> {
        let mut spans: Vec<_> = self.log.lock().unwrap().spans.values().cloned().collect();
        spans.sort_by_key(|s| s.id);
        spans
    }

    pub fn spans_named(&self, name: &str) -> Vec<SpanData> {
        self.spans()
            .into_iter()
            .filter(|s| s.name == name)
            .collect()
    }

    pub fn events(&self) -> Vec<EventData> {
        self.log.lock().unwrap().events.clone()
    }

    /// The first event whose message is `message`.
    pub fn event(&self, message: &str) -> Option<EventData> {
        self.events().into_iter().find(|e| e.message() == message)
    }

    /// Whether span `inner` is `outer` or lies within it.
    pub fn within(&self, inner: Option<u64>, outer: u64) -> bool {
        let log = self.log.lock().unwrap();
        let mut at = inner;
        while let Some(id) = at {
            if id == outer {
                return true;
            }
            at = log.spans.get(&id).and_then(|s| s.parent);
        }
        false
    }

    /// Everything captured as text, one span or event per line: every
    /// name, target and field name and value.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        for s in self.spans() {
            let _ = write!(out, "span {} {} {} {}", s.id, s.level, s.target, s.name);
            for (k, v) in &s.fields {
                let _ = write!(out, " {k}={v}");
            }
            out.push('\n');
        }
        for e in self.events() {
            let _ = write!(out, "event {} {} in {:?}", e.level, e.target, e.span);
            for (k, v) in &e.fields {
                let _ = write!(out, " {k}={v}");
            }
            out.push('\n');
        }
        out
    }
}

impl Router {
    /// The session recording this thread, if any.
    fn session(&self) -> Option<Shared> {
        let thread = std::thread::current().id();
        self.sessions.lock().unwrap().get(&thread).cloned()
    }

    fn current(&self) -> Option<u64> {
        let thread = std::thread::current().id();
        let entered = self.entered.lock().unwrap();
        entered.get(&thread).and_then(|stack| stack.last().copied())
    }
}

/// Every field, as `Debug` (a `%display` field arrives as its `Display`).
struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

struct Global(&'static Router);

impl Subscriber for Global {
    /// Asked again at each span and event, on the thread that makes it.
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        RECORDING.get()
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let r = self.0;
        let id = r.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let Some(session) = r.session() else {
            return Id::from_u64(id);
        };
        let parent = if attrs.is_root() {
            None
        } else if let Some(p) = attrs.parent() {
            Some(p.into_u64())
        } else {
            r.current()
        };
        let mut fields = Vec::new();
        attrs.record(&mut Fields(&mut fields));
        let meta = attrs.metadata();
        session.lock().unwrap().spans.insert(
            id,
            SpanData {
                id,
                name: meta.name(),
                target: meta.target().to_owned(),
                level: *meta.level(),
                parent,
                fields,
            },
        );
        r.owners.lock().unwrap().insert(id, session);
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let owner = self.0.owners.lock().unwrap().get(&span.into_u64()).cloned();
        if let Some(session) = owner
            && let Some(s) = session.lock().unwrap().spans.get_mut(&span.into_u64())
        {
            values.record(&mut Fields(&mut s.fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let r = self.0;
        let Some(session) = r.session() else {
            return;
        };
        let span = if event.is_root() {
            None
        } else if let Some(p) = event.parent() {
            Some(p.into_u64())
        } else {
            r.current()
        };
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        let meta = event.metadata();
        session.lock().unwrap().events.push(EventData {
            target: meta.target().to_owned(),
            level: *meta.level(),
            span,
            fields,
        });
    }

    fn enter(&self, span: &Id) {
        let r = self.0;
        let thread = std::thread::current().id();
        if r.sessions.lock().unwrap().contains_key(&thread) {
            r.entered
                .lock()
                .unwrap()
                .entry(thread)
                .or_default()
                .push(span.into_u64());
        }
    }

    fn exit(&self, span: &Id) {
        let thread = std::thread::current().id();
        let mut entered = self.0.entered.lock().unwrap();
        if let Some(stack) = entered.get_mut(&thread)
            && let Some(i) = stack.iter().rposition(|&id| id == span.into_u64())
        {
            stack.remove(i);
        }
    }
}
