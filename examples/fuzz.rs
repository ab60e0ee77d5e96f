//! Runs every parser fuzz target for N inputs (default a million) and prints a Markdown
//! table: target, inputs, panics, broken properties, wall time. Exit 1 on any panic or
//! broken property. `scripts/fuzz.sh` is the way in.
//!
//! Usage: `cargo run --example fuzz -- [INPUTS] [TARGET...]`

#[path = "../tests/fuzz/mod.rs"]
mod fuzz;

use std::time::Instant;

use fuzz::Outcome;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

struct Row {
    name: &'static str,
    inputs: u64,
    panics: u64,
    broken: u64,
    secs: f64,
    first: Option<String>,
}

fn run(target: &dyn fuzz::Fuzz, inputs: u64, seed: u64) -> Row {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let started = Instant::now();
    let (mut panics, mut broken, mut first) = (0, 0, None);
    for _ in 0..inputs {
        let (outcome, input) = target.one(&mut runner);
        let why = match outcome {
            Outcome::Held => continue,
            Outcome::Panicked(why) => {
                panics += 1;
                format!("panic: {why}")
            }
            Outcome::Broke(why) => {
                broken += 1;
                why
            }
        };
        first.get_or_insert_with(|| format!("{why}\n  input: {input}"));
    }
    Row {
        name: target.name(),
        inputs,
        panics,
        broken,
        secs: started.elapsed().as_secs_f64(),
        first,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let inputs: u64 = args
        .next()
        .map(|a| a.replace('_', "").parse().expect("INPUTS is a number"))
        .unwrap_or(1_000_000);
    let only: Vec<String> = args.collect();
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5dec_u64);
    // Panics are counted, not printed one by one.
    std::panic::set_hook(Box::new(|_| {}));
    println!("| target | inputs | panics | broken properties | wall time |");
    println!("|---|---:|---:|---:|---:|");
    let mut rows = vec![];
    for target in fuzz::all() {
        if !only.is_empty() && !only.iter().any(|o| o == target.name()) {
            continue;
        }
        let row = run(target.as_ref(), inputs, seed);
        println!(
            "| {} | {} | {} | {} | {:.1} s |",
            row.name, row.inputs, row.panics, row.broken, row.secs
        );
        rows.push(row);
    }
    let failed: Vec<&Row> = rows.iter().filter(|r| r.first.is_some()).collect();
    for row in &failed {
        eprintln!("{}: {}", row.name, row.first.as_deref().unwrap_or(""));
    }
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
