//! The fuzz targets shared by `tests/fuzz_parsers.rs` (a few thousand cases each, with
//! shrinking) and `examples/fuzz.rs` (a million each, panics counted): for each parser, what
//! to feed it and what must hold of its answer besides not panicking.
#![allow(dead_code)]

pub mod files;
pub mod mutate;
pub mod redis;
pub mod tree;
pub mod wire;

use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

/// What one input did.
pub enum Outcome {
    Held,
    /// The parser answered, but not as the property says.
    Broke(String),
    Panicked(String),
}

pub trait Fuzz {
    fn name(&self) -> &'static str;
    /// `cases` inputs through proptest, shrunk to the smallest failing one.
    fn prop(&self, cases: u32) -> Result<(), String>;
    /// One input from `runner`'s generator, its outcome and (when it failed) the input.
    fn one(&self, runner: &mut TestRunner) -> (Outcome, String);
}

pub struct Target<S: Strategy> {
    pub name: &'static str,
    pub input: S,
    /// Err: the property the answer broke.
    pub check: fn(&S::Value) -> Result<(), String>,
}

impl<S> Fuzz for Target<S>
where
    S: Strategy,
    S::Value: Debug,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn prop(&self, cases: u32) -> Result<(), String> {
        // The same inputs every run (CI never flakes); PROPTEST_RNG_SEED picks others.
        let seed = std::env::var("PROPTEST_RNG_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x5dec);
        let config = Config {
            cases,
            failure_persistence: None,
            rng_seed: RngSeed::Fixed(seed),
            ..Config::default()
        };
        let check = self.check;
        TestRunner::new(config)
            .run(&self.input, |v| check(&v).map_err(TestCaseError::fail))
            .map_err(|e| format!("{}: {e}", self.name))
    }

    fn one(&self, runner: &mut TestRunner) -> (Outcome, String) {
        let Ok(tree) = self.input.new_tree(runner) else {
            return (Outcome::Held, String::new());
        };
        let value = tree.current();
        match catch_unwind(AssertUnwindSafe(|| (self.check)(&value))) {
            Ok(Ok(())) => (Outcome::Held, String::new()),
            Ok(Err(why)) => (Outcome::Broke(why), format!("{value:?}")),
            Err(panic) => {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                (Outcome::Panicked(why), format!("{value:?}"))
            }
        }
    }
}

/// Every target, files first.
pub fn all() -> Vec<Box<dyn Fuzz>> {
    let mut out = files::targets();
    out.extend(wire::targets());
    out.extend(redis::targets());
    out
}

/// Cases per target in the test suite: `PROPTEST_CASES` or `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs the named target through proptest; panics (failing the test) with the minimal input.
pub fn run(name: &str) {
    let target = all()
        .into_iter()
        .find(|t| t.name() == name)
        .unwrap_or_else(|| panic!("no fuzz target {name}"));
    if let Err(e) = target.prop(cases(2000)) {
        panic!("{e}");
    }
}
