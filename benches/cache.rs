//! The cache's hit path beside what people hand-roll: a
//! `tokio::sync::RwLock<Option<AccessToken>>` and a
//! `std::sync::Mutex<Option<AccessToken>>`, each checking expiry and cloning
//! the token as the cache does. Single-threaded, then with 2 threads
//! hammering the same cache (time per call on each thread).

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::{Arc, Barrier, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use okta_auth::{AccessToken, CachingTokenSource, TokenSource, TokenType};

/// Polls a future that is expected to be ready (every hit is) to completion.
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn token() -> AccessToken {
    AccessToken::new(TokenType::Bearer, "eyJraWQiOiJiZW5jaCJ9.payload.signature")
        .unwrap()
        .with_lifetime(Duration::from_secs(24 * 3600))
}

/// A source that always returns the same long-lived token.
struct Fixed(AccessToken);

#[async_trait::async_trait]
impl TokenSource for Fixed {
    async fn token(&self) -> Result<AccessToken, okta_auth::Error> {
        Ok(self.0.clone())
    }
}

type Op = Arc<dyn Fn() + Send + Sync>;

/// The hit paths to compare, and the runtime that must outlive them.
fn contenders() -> (tokio::runtime::Runtime, Vec<(&'static str, Op)>) {
    let t = token();
    // Filled on a multi-threaded runtime (kept alive for the whole run): the
    // hit path is armed and reads no clock.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let cache = CachingTokenSource::new(Fixed(t.clone()));
    rt.block_on(cache.token()).unwrap();
    // Filled on a current-thread runtime: each hit compares the deadline
    // with the clock.
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let clocked = CachingTokenSource::new(Fixed(t.clone()));
    current.block_on(clocked.token()).unwrap();
    let rw = Arc::new(tokio::sync::RwLock::new(Some(t.clone())));
    let mx = Arc::new(Mutex::new(Some(t.clone())));
    let dyn_cache: Arc<dyn TokenSource> = Arc::new(cache.clone());
    let ops: Vec<(&'static str, Op)> = vec![
        ("caching_token_source", {
            let c = cache.clone();
            Arc::new(move || drop(black_box(ready(c.token()).unwrap())))
        }),
        ("caching_token_source_clock", {
            Arc::new(move || drop(black_box(ready(clocked.token()).unwrap())))
        }),
        ("caching_token_source_dyn", {
            Arc::new(move || drop(black_box(ready(dyn_cache.token()).unwrap())))
        }),
        ("tokio_rwlock", {
            let rw = Arc::clone(&rw);
            Arc::new(move || {
                drop(black_box(ready(async {
                    let guard = rw.read().await;
                    guard.as_ref().filter(|t| !t.is_expired()).cloned().unwrap()
                })))
            })
        }),
        ("std_mutex", {
            let mx = Arc::clone(&mx);
            Arc::new(move || {
                let guard = mx.lock().unwrap();
                drop(black_box(
                    guard.as_ref().filter(|t| !t.is_expired()).cloned().unwrap(),
                ))
            })
        }),
        // Borrowing instead of cloning: the caller reads the token in place
        // (here its type; in practice `authorize`).
        ("caching_token_source_borrow", {
            let c = cache.clone();
            Arc::new(move || {
                black_box(c.with_cached_token(|t| black_box(t.token_type())).unwrap());
            })
        }),
        ("tokio_rwlock_borrow", {
            Arc::new(move || {
                black_box(ready(async {
                    let guard = rw.read().await;
                    guard
                        .as_ref()
                        .filter(|t| !t.is_expired())
                        .map(|t| black_box(t.token_type()))
                        .unwrap()
                }));
            })
        }),
        ("std_mutex_borrow", {
            Arc::new(move || {
                let guard = mx.lock().unwrap();
                black_box(
                    guard
                        .as_ref()
                        .filter(|t| !t.is_expired())
                        .map(|t| black_box(t.token_type()))
                        .unwrap(),
                );
            })
        }),
    ];
    (rt, ops)
}

fn hit(c: &mut Criterion) {
    let (_rt, ops) = contenders();
    let mut group = c.benchmark_group("cache_hit");
    for (name, op) in &ops {
        group.bench_function(format!("{name}/1_thread"), |b| b.iter(|| op()));
    }
    for (name, op) in &ops {
        group.bench_function(format!("{name}/2_threads"), |b| {
            b.iter_custom(|iters| {
                let barrier = Arc::new(Barrier::new(2));
                let other = {
                    let op = Arc::clone(op);
                    let barrier = Arc::clone(&barrier);
                    std::thread::spawn(move || {
                        barrier.wait();
                        for _ in 0..iters {
                            op();
                        }
                    })
                };
                barrier.wait();
                #[allow(clippy::disallowed_methods)] // measuring, not caching
                let start = Instant::now();
                for _ in 0..iters {
                    op();
                }
                let elapsed = start.elapsed();
                other.join().unwrap();
                elapsed
            })
        });
    }
    group.finish();
}

/// The parts of a hit: the clock read and the token clone.
#[allow(clippy::disallowed_methods)] // measuring the clocks themselves
fn parts(c: &mut Criterion) {
    let t = token();
    let mut group = c.benchmark_group("cache_hit_parts");
    group.bench_function("tokio_instant_now", |b| {
        b.iter(|| black_box(tokio::time::Instant::now()))
    });
    group.bench_function("std_instant_now", |b| b.iter(|| black_box(Instant::now())));
    group.bench_function("access_token_clone_drop", |b| {
        b.iter(|| black_box(t.clone()))
    });
    let swap = arc_swap::ArcSwap::from_pointee(Some(t.clone()));
    group.bench_function("arc_swap_load", |b| {
        b.iter(|| black_box(swap.load().is_some()))
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let cache = CachingTokenSource::new(Fixed(t.clone()));
    rt.block_on(cache.token()).unwrap();
    group.bench_function("cached_token_sync", |b| {
        b.iter(|| black_box(cache.cached_token()))
    });
    group.bench_function("token_future_polled", |b| {
        b.iter(|| black_box(ready(cache.token())))
    });
    group.finish();
}

criterion_group!(benches, hit, parts);
criterion_main!(benches);
