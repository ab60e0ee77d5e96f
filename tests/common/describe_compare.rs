//! opsdeck's describe beside `kubectl describe` on the same sim object: the same lines with
//! whitespace collapsed and ages aside. Shared by the describe tests and the kubectl tests that
//! bring the sim to a state worth describing.
#![allow(dead_code)]

use std::time::Duration;

use opsdeck::k8s::ObjectRef;

use super::sim_env::SimEnv as Env;

/// An age as kubectl prints it ("45s", "5m30s", "2d5h"), alone or as "(x5 over 26s)".
pub fn is_age(word: &str) -> bool {
    let w = word.trim_end_matches(')');
    !w.is_empty()
        && w.chars().next().is_some_and(|c| c.is_ascii_digit())
        && w.chars().all(|c| c.is_ascii_digit() || "smhdy".contains(c))
        && w.chars().last().is_some_and(|c| "smhdy".contains(c))
}

/// Whitespace collapsed and ages replaced: what must be equal.
pub fn normalize(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            l.split_whitespace()
                .map(|w| if is_age(w) { "AGE" } else { w })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// opsdeck's own section (kubectl keeps revisions for `rollout history`), left out to compare.
pub fn without_revisions(lines: &[String]) -> Vec<String> {
    let mut out = vec![];
    let mut skipping = false;
    for l in lines {
        if l.starts_with("Revisions:") {
            skipping = true;
            continue;
        }
        if skipping && l.starts_with(' ') {
            continue;
        }
        skipping = false;
        out.push(l.clone());
    }
    out
}

pub async fn ours(env: &Env, object: &ObjectRef) -> Vec<String> {
    let client = env.client().await;
    opsdeck::inspect::source::render(&client, object)
        .await
        .unwrap_or_else(|e| panic!("describe {}: {e}", object.label()))
        .describe
}

pub async fn kubectl(env: &Env, object: &ObjectRef) -> Vec<String> {
    let mut args = vec!["describe", object.kind.word(), &object.name];
    if let Some(ns) = &object.namespace {
        args.extend(["-n", ns]);
    }
    env.ok(&args).await.lines().map(str::to_string).collect()
}

/// Both describes, read back to back until they agree (a crashlooping pod changes between
/// two reads); panics with both texts when they never do.
pub async fn same_as_kubectl(env: &Env, object: &ObjectRef) -> Vec<String> {
    let mut last = (vec![], vec![]);
    for _ in 0..5 {
        let theirs = kubectl(env, object).await;
        let mine = ours(env, object).await;
        let (a, b) = (normalize(&without_revisions(&mine)), normalize(&theirs));
        if a == b {
            return mine;
        }
        last = (mine, theirs);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (mine, theirs) = last;
    let (a, b) = (normalize(&without_revisions(&mine)), normalize(&theirs));
    let first = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    panic!(
        "describe {} differs from kubectl's at line {first}:\n  opsdeck: {:?}\n  kubectl: {:?}\n--- opsdeck\n{}\n--- kubectl\n{}",
        object.label(),
        a.get(first),
        b.get(first),
        mine.join("\n"),
        theirs.join("\n")
    );
}

pub fn has(lines: &[String], needle: &str) -> bool {
    normalize(lines).iter().any(|l| l.contains(needle))
}
