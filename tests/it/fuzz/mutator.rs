//! A small seeded mutation fuzzer: valid inputs mutated by bit flips,
//! interesting bytes, truncation, insertion, deletion, duplication and
//! splicing, fed to a parser under `catch_unwind`.
//!
//! Shared by the integration fuzz tests (`tests/it/fuzz.rs`) and the
//! crate's token-response unit test (`src/service_app/mod.rs`, through
//! `#[path]`), which reaches parsers the public API does not expose.
//!
//! Deterministic: the seed is fixed unless `OKTA_AUTH_FUZZ_SEED` says
//! otherwise, so a CI failure reproduces. `OKTA_AUTH_FUZZ_ITERATIONS` sets the
//! iterations per target (CI runs a few thousand; run millions locally with
//! `--release`); `OKTA_AUTH_FUZZ_DUMP` names a directory for the slowest
//! inputs.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Environment variable: iterations per target, overriding each target's
/// default.
pub(crate) const ITERATIONS_VAR: &str = "OKTA_AUTH_FUZZ_ITERATIONS";
/// Environment variable: the seed (a `u64`), for a different run.
pub(crate) const SEED_VAR: &str = "OKTA_AUTH_FUZZ_SEED";
/// Environment variable: a directory to write each target's slowest input
/// to (`{target}.slowest`), whole, to study it.
pub(crate) const DUMP_VAR: &str = "OKTA_AUTH_FUZZ_DUMP";
const DEFAULT_SEED: u64 = 0x0c7a_a07f_f022_2025;

/// Bytes that parsers treat specially.
const INTERESTING: &[u8] = b"\0\t\n\r \"#%',-./:;<=>?@[\\]{}~\x7f\x80\xc3\xff019AZaz";

/// What to fuzz and how.
pub(crate) struct Target<'a> {
    /// Printed with the results.
    pub(crate) name: &'a str,
    /// Valid (or nearly valid) inputs to mutate; each is also tried as is.
    pub(crate) seeds: Vec<Vec<u8>>,
    /// Tokens of the input's language, inserted or overwritten whole.
    pub(crate) dictionary: &'a [&'a [u8]],
    /// Iterations when `OKTA_AUTH_FUZZ_ITERATIONS` is not set.
    pub(crate) iterations: usize,
    /// Mutants are cut to this many bytes.
    pub(crate) max_len: usize,
}

/// Iterations for a target whose CI default is `default`: the environment
/// variable's value when set, scaled by `scale` (a slow target runs fewer).
pub(crate) fn iterations(default: usize, scale: f64) -> usize {
    match std::env::var(ITERATIONS_VAR)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        Some(n) => ((n as f64 * scale) as usize).max(1),
        None => default,
    }
}

/// Runs `parse` on every seed and on `target.iterations` mutants; panics
/// afterwards with the first input that made `parse` panic. Prints the
/// iteration count, the time taken and the slowest input.
#[allow(clippy::disallowed_methods)] // timing the parser, not caching tokens
pub(crate) fn fuzz(target: Target<'_>, mut parse: impl FnMut(&[u8])) {
    let seed = std::env::var(SEED_VAR)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(DEFAULT_SEED);
    // Each target its own stream, stable across runs.
    let name_hash = target.name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut rng = StdRng::seed_from_u64(seed ^ name_hash);
    let started = Instant::now();
    let mut slowest = (Duration::ZERO, Vec::new());
    let mut panicked = None;
    let total = target.seeds.len() + target.iterations;
    for i in 0..total {
        let input = match target.seeds.get(i) {
            Some(seed) => seed.clone(),
            None => mutate(&mut rng, &target),
        };
        let t = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| parse(&input)));
        let mut took = t.elapsed();
        if outcome.is_err() {
            panicked = Some((i, input));
            break;
        }
        if took > slowest.0 {
            // A few more times, keeping the fastest: a thread preempted
            // mid-parse (CI machines are shared) is not a slow input.
            for _ in 0..4 {
                let t = Instant::now();
                parse(&input);
                took = took.min(t.elapsed());
            }
            if took > slowest.0 {
                slowest = (took, input);
            }
        }
    }
    println!(
        "fuzz {}: {total} inputs in {:.2?} (seed {seed}); slowest {:.2?} on {}",
        target.name,
        started.elapsed(),
        slowest.0,
        show(&slowest.1),
    );
    if let Some(dir) = std::env::var_os(DUMP_VAR) {
        let file: String = target
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let path = std::path::Path::new(&dir).join(format!("{file}.slowest"));
        std::fs::write(&path, &slowest.1).expect("the dump directory is writable");
    }
    if let Some((i, input)) = panicked {
        // The whole input, exactly, to reproduce it.
        let exact = match std::str::from_utf8(&input) {
            Ok(text) => format!("{text:?}"),
            Err(_) => format!("{input:?}"),
        };
        panic!(
            "fuzz {}: input {i} (seed {seed}) panicked: {} bytes {exact}",
            target.name,
            input.len(),
        );
    }
}

/// An input for a message: its length and its first bytes, escaped.
fn show(input: &[u8]) -> String {
    const SHOWN: usize = 300;
    let text = String::from_utf8_lossy(&input[..input.len().min(SHOWN)]);
    let more = if input.len() > SHOWN { "…" } else { "" };
    format!("{} bytes {text:?}{more}", input.len())
}

/// One mutant: a seed put through 1 to 4 mutations.
fn mutate(rng: &mut StdRng, target: &Target<'_>) -> Vec<u8> {
    let seeds = &target.seeds;
    let mut data = seeds[rng.random_range(..seeds.len())].clone();
    for _ in 0..rng.random_range(1..=4) {
        let len = data.len();
        let at = rng.random_range(..=len);
        match rng.random_range(0..9) {
            // Flip one bit.
            0 if len > 0 => data[at.min(len - 1)] ^= 1 << rng.random_range(0..8),
            // Overwrite a byte with an interesting or random one.
            1 if len > 0 => {
                data[at.min(len - 1)] = if rng.random() {
                    INTERESTING[rng.random_range(..INTERESTING.len())]
                } else {
                    rng.random()
                }
            }
            // Truncate.
            2 => data.truncate(at),
            // Insert a dictionary token.
            3 if !target.dictionary.is_empty() => {
                let token = target.dictionary[rng.random_range(..target.dictionary.len())];
                data.splice(at..at, token.iter().copied());
            }
            // Overwrite with a dictionary token.
            4 if !target.dictionary.is_empty() => {
                let token = target.dictionary[rng.random_range(..target.dictionary.len())];
                let end = (at + token.len()).min(len);
                data.splice(at..end, token.iter().copied());
            }
            // Delete a range.
            5 if len > 0 => {
                let end = (at + rng.random_range(1..=16)).min(len);
                data.drain(at..end);
            }
            // Duplicate a range, up to 64 times.
            6 if len > 0 => {
                let start = rng.random_range(..len);
                let end = (start + rng.random_range(1..=32)).min(len);
                let piece = data[start..end].to_vec();
                let times = rng.random_range(1..=64);
                let at = rng.random_range(..=len);
                data.splice(
                    at..at,
                    piece.iter().copied().cycle().take(piece.len() * times),
                );
            }
            // Splice: our head, another seed's tail.
            7 => {
                let other = &seeds[rng.random_range(..seeds.len())];
                let from = rng.random_range(..=other.len());
                data.truncate(at);
                data.extend_from_slice(&other[from..]);
            }
            // Insert random bytes.
            _ => {
                let n = rng.random_range(1..=8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
                data.splice(at..at, bytes);
            }
        }
    }
    data.truncate(target.max_len);
    data
}
