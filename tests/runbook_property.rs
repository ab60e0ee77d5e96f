//! Issue 15's "nothing mutates without the whole path", headless: random runbooks and random
//! `opsdeck run` command lines, run by the real binary against an in-process sim, whose request
//! log is then held against the run's audit log. (The console's side: tests/action_paths.rs;
//! the executor's own re-checks: tests/executor_integrity.rs.)
//!
//! What counts as a mutation (`is_mutation`): a request the sim answered that is not a read
//! (GET, HEAD, OPTIONS) and none of these, which change nothing of the platform:
//! - a SelfSubjectAccessReview: it only asks (they are checked as the permission instead);
//! - a server-side dry run (`dryRun=All`): the plan's preview, which the sim persists nothing
//!   of, sent before any intent by design (the plan shows what the server said);
//! - a Lease in coordination.k8s.io: the action lock, taken before the intent line because that
//!   line names the lock it holds, and released after the verification. It may only be written
//!   by a run that may act at all (checked apart);
//! - an `opsdeck-incident-*` ConfigMap: the incident's timeline (`--incident`), a record of what
//!   happened, not a change to what is running (only a run with `--incident` may write one).
//!
//! How "the intent was on disk first" is checked: the sim runs a probe as each request arrives,
//! before it is answered (`SimHandle::on_arrival`), which reads the audit file there and then;
//! its text is kept on the request's record. The intent line must be in that text. Comparing
//! timestamps instead would be unsound: the audit line's time and the sim's clock come from
//! different clocks, at millisecond grain, and a line stamped before a request may still have
//! been written after it.

#[path = "common/sim_env.rs"]
mod sim_env;
#[path = "common/sim_process.rs"]
mod sim_process;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use opsdeck::actions::runbook::{Runbook, StepKind};
use opsdeck::sim::{RequestRecord, ReviewAnswer, SimOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;
use sim_env::SimEnv;
use sim_process::opsdeck;

const WORKLOADS: &[&str] = &[
    "api",
    "article-generator",
    "scheduler",
    "publisher",
    "contentgen/fact-checker",
    "sts/redis",
    "sts/contentgen/postgres",
    "ghost",
    "sts/ghost",
    "elsewhere/api",
    "{{w}}",
];
const NODES: &[&str] = &["pool-general-1", "pool-general-2", "pool-general-99"];
/// Replica counts, valid and not.
const COUNTS: &[&str] = &["0", "1", "2", "3"];
const BAD_COUNTS: &[&str] = &["-1", "many", "2147483648", "1.5"];
/// The platform API's verbs (the sim's, configured): no access review, the API's own auth
/// applies, so the viewer identity does not stop them; read-only and confirmation do. A run
/// the sim lacks, or one not retryable, is refused at planning.
const PLATFORM_ACTIONS: &[&str] = &[
    "pause-generation",
    "resume-generation",
    "retry-pipeline run-3",
    "retry-pipeline run-7",
    "retry-pipeline run-99999",
];
/// Alertmanager's verbs, on the sim's Alertmanager (configured): like the platform's, no
/// access review; an unknown silence is refused at planning.
const ALERTMANAGER_ACTIONS: &[&str] = &[
    "silence alertname=ApiHighErrorRate --for 1h --comment seen by the property test",
    "silence severity=page --for 30m --comment a second one",
    "ack alertname=ApiHighErrorRate",
    "expire-silence abc",
];
/// The verbs that act on Kubernetes objects.
const KUBE_VERBS: &[&str] = &[
    "scale",
    "restart",
    "rollback",
    "pause-rollout",
    "resume-rollout",
    "cordon",
    "uncordon",
];
const BAD_ACTIONS: &[&str] = &["restrat api", "scale api", "cordon", "rollback"];
const CONDITIONS: &[&str] = &[
    "generation-paused",
    "generation-running",
    "no-stuck-pipelines",
    "queue-below articles 100",
    "alert-firing ApiHighErrorRate",
    "last-exit fact-checker",
];
const BAD_CONDITIONS: &[&str] = &["queue-below articles lots", "bogus condition", "pods-ready"];
/// Wait timeouts: short ones (a default wait is 300 s) and unreadable ones.
const TIMEOUTS: &[&str] = &["0s", "1s", "2"];
const BAD_TIMEOUTS: &[&str] = &["soon", "1x"];
/// Whole steps a runbook must be refused for.
const DEFECTS: &[&str] = &[
    "acton = \"restart api\"",
    "note = \"a\"\nmanual = \"b\"",
    "note = \"a\"\ntimeout = \"1s\"",
    "note = \"{{nope}}\"",
    "check = \"pods-ready\"",
    "action = 7",
    "note = \"unclosed",
    "title = \"nothing else\"\ncheck = \"\"",
];

#[derive(Clone, Debug)]
enum Step {
    Note(String),
    Manual(String),
    Check(String),
    Observe(String),
    Action(String),
    Wait { condition: String, timeout: String },
    Defect(String),
}

#[derive(Clone, Debug)]
struct Book {
    named: bool,
    namespaced: bool,
    /// A parameter `w`, with its default or none.
    param: Option<Option<String>>,
    steps: Vec<Step>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Readonly {
    No,
    Flag,
    Config,
}

/// The `opsdeck run` command line and who runs it.
#[derive(Clone, Debug)]
struct Line {
    viewer: bool,
    readonly: Readonly,
    yes: bool,
    dry_run: bool,
    verify_timeout: u8,
    param: Option<String>,
    /// Starts an incident first (as the admin) and records into it.
    incident: bool,
}

#[derive(Clone, Debug)]
struct Case {
    book: Book,
    line: Line,
}

fn pick(from: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(from).prop_map(str::to_string)
}

/// Mostly `good`, sometimes `bad` (one bad word refuses the whole runbook).
fn mostly(
    good: &'static [&'static str],
    bad: &'static [&'static str],
) -> impl Strategy<Value = String> {
    prop_oneof![12 => pick(good), 1 => pick(bad)]
}

fn action() -> impl Strategy<Value = String> {
    let w = || pick(WORKLOADS);
    prop_oneof![
        3 => (w(), mostly(COUNTS, BAD_COUNTS)).prop_map(|(w, n)| format!("scale {w} {n}")),
        2 => w().prop_map(|w| format!("restart {w}")),
        2 => (w(), prop::option::of(0..4u8)).prop_map(|(w, r)| match r {
            Some(r) => format!("rollback {w} --to-revision {r}"),
            None => format!("rollback {w}"),
        }),
        1 => w().prop_map(|w| format!("pause-rollout {w}")),
        1 => w().prop_map(|w| format!("resume-rollout {w}")),
        1 => pick(NODES).prop_map(|n| format!("cordon {n}")),
        1 => pick(NODES).prop_map(|n| format!("uncordon {n}")),
        2 => pick(PLATFORM_ACTIONS),
        1 => mostly(ALERTMANAGER_ACTIONS, BAD_ACTIONS),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    prop_oneof![
        pick(WORKLOADS).prop_map(|w| format!("rollout-complete {w}")),
        pick(WORKLOADS).prop_map(|w| format!("pods-ready {w}")),
        mostly(CONDITIONS, BAD_CONDITIONS),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => pick(&["looking", "looking at {{w}}"]).prop_map(Step::Note),
        1 => Just(Step::Manual("page the owner".into())),
        2 => condition().prop_map(Step::Check),
        1 => condition().prop_map(Step::Observe),
        10 => action().prop_map(Step::Action),
        1 => (condition(), mostly(TIMEOUTS, BAD_TIMEOUTS))
            .prop_map(|(condition, timeout)| Step::Wait { condition, timeout }),
        1 => pick(DEFECTS).prop_map(Step::Defect),
    ]
}

/// Mostly well-formed runbooks (a defect in any one step refuses the whole file).
fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop_oneof![
        6 => prop::collection::vec(step().prop_filter("well-formed", |s| !matches!(s, Step::Defect(_))), 1..5),
        1 => prop::collection::vec(step(), 0..5),
    ]
}

fn book() -> impl Strategy<Value = Book> {
    let default = prop::option::weighted(0.8, pick(&["api", "scheduler", "ghost"]));
    (
        prop::bool::weighted(0.97),
        prop::bool::weighted(0.95),
        prop::option::weighted(0.6, default),
        steps(),
    )
        .prop_map(|(named, namespaced, param, steps)| Book {
            named,
            namespaced,
            param,
            steps,
        })
}

fn line() -> impl Strategy<Value = Line> {
    let readonly = prop::sample::select(vec![
        Readonly::No,
        Readonly::No,
        Readonly::No,
        Readonly::No,
        Readonly::No,
        Readonly::Flag,
        Readonly::Config,
    ]);
    let param = prop::option::weighted(
        0.3,
        pick(&["w=api", "w=scheduler", "w=ghost", "zz=1", "nokv"]),
    );
    (
        prop::bool::weighted(0.2),
        readonly,
        prop::bool::weighted(0.75),
        prop::bool::weighted(0.2),
        0..2u8,
        param,
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(viewer, readonly, yes, dry_run, verify_timeout, param, incident)| Line {
                viewer,
                readonly,
                yes,
                dry_run,
                verify_timeout,
                param,
                incident,
            },
        )
}

fn toml_step(step: &Step) -> String {
    match step {
        Step::Note(t) => format!("note = {t:?}\n"),
        Step::Manual(t) => format!("manual = {t:?}\n"),
        Step::Check(c) => format!("check = {c:?}\n"),
        Step::Observe(c) => format!("observe = {c:?}\n"),
        Step::Action(a) => format!("action = {a:?}\n"),
        Step::Wait { condition, timeout } => {
            format!("wait-until = {condition:?}\ntimeout = {timeout:?}\n")
        }
        Step::Defect(raw) => format!("{raw}\n"),
    }
}

fn render(book: &Book) -> String {
    let mut s = String::new();
    if book.named {
        s.push_str("name = \"prop\"\ndescription = \"generated\"\n");
    }
    if book.namespaced {
        s.push_str("namespace = \"contentgen\"\n");
    }
    if let Some(default) = &book.param {
        s.push_str("\n[[param]]\nname = \"w\"\n");
        if let Some(d) = default {
            s.push_str(&format!("default = {d:?}\n"));
        }
    }
    for step in &book.steps {
        s.push_str("\n[[step]]\n");
        s.push_str(&toml_step(step));
    }
    s
}

/// See the module's comment: a request that changes the platform.
fn is_mutation(r: &RequestRecord) -> bool {
    r.is_mutating() && !r.query.contains("dryRun=All") && !is_lock(r) && !is_incident(r)
}

/// A write to the platform's own API (the sim logs its writes with the Kubernetes API's).
fn is_platform(r: &RequestRecord) -> bool {
    r.is_mutating() && (r.path.starts_with("/config/") || r.path.starts_with("/pipeline/"))
}

/// A write to Alertmanager's silences (logged too).
fn is_alertmanager(r: &RequestRecord) -> bool {
    r.is_mutating() && r.path.starts_with("/api/v2/silence")
}

/// A write of an action lock.
fn is_lock(r: &RequestRecord) -> bool {
    r.is_mutating() && r.path.starts_with("/apis/coordination.k8s.io/")
}

/// A write of an incident's record: its ConfigMaps, created by POST to the collection (the name
/// is in the body), then written by name. Only a run with `--incident` may write one.
fn is_incident(r: &RequestRecord) -> bool {
    r.is_mutating()
        && (r.path.contains("/configmaps/opsdeck-incident-")
            || (r.method == "POST" && r.path.ends_with("/configmaps")))
}

/// A request path's object: (namespace, plural, name, subresource).
fn object(path: &str) -> Option<(String, String, String, Option<String>)> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let rest = match parts.as_slice() {
        ["api", _, rest @ ..] | ["apis", _, _, rest @ ..] => rest,
        _ => return None,
    };
    let (ns, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (*ns, rest),
        _ => ("", rest),
    };
    match rest {
        [plural, name, sub @ ..] if sub.len() <= 1 => Some((
            ns.to_string(),
            plural.to_string(),
            name.to_string(),
            sub.first().map(|s| s.to_string()),
        )),
        _ => None,
    }
}

/// How the audit log names what a request changes ("deployment contentgen/api").
fn target_of(path: &str) -> Option<String> {
    match path.split('/').collect::<Vec<_>>().as_slice() {
        ["", "config", "pause-generation" | "resume-generation"] => {
            return Some("platform generation".into());
        }
        ["", "pipeline", id, "retry"] => return Some(format!("pipeline {id}")),
        // A new silence's matchers are in its body: any intent on alerts (`names`).
        ["", "api", "v2", "silences"] => return Some("alerts ".into()),
        ["", "api", "v2", "silence", id] => return Some(format!("silence {id}")),
        _ => {}
    }
    let (ns, plural, name, _) = object(path)?;
    match plural.as_str() {
        "deployments" => Some(format!("deployment {ns}/{name}")),
        "statefulsets" => Some(format!("statefulset {ns}/{name}")),
        "nodes" => Some(format!("node {name}")),
        _ => None,
    }
}

/// Whether an intent names `target` (`target_of`; one ending in a space is a prefix).
fn names(intent: &Value, target: &str) -> bool {
    let named = intent["target"].as_str().unwrap_or_default();
    match target.ends_with(' ') {
        true => named.starts_with(target),
        false => named == target,
    }
}

/// Whether `review` asked for exactly what `r` does.
fn reviews(review: &ReviewAnswer, r: &RequestRecord) -> bool {
    let verb = match r.method.as_str() {
        "PATCH" => "patch",
        "PUT" => "update",
        "POST" => "create",
        "DELETE" => "delete",
        _ => return false,
    };
    object(&r.path).is_some_and(|(ns, plural, name, sub)| {
        review.verb == verb
            && review.resource == plural
            && review.subresource == sub
            && review.namespace == ns
            && review.name == name
    })
}

fn entries(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

fn phase<'a>(entries: &'a [Value], phase: &'a str) -> impl Iterator<Item = &'a Value> {
    entries.iter().filter(move |e| e["phase"] == phase)
}

/// One run: its output, the requests it made (the sim's whole log), and its audit log's text.
struct Run {
    out: Output,
    log: Vec<RequestRecord>,
    audit: String,
    /// `opsdeck audit verify`'s verdict on the log, when there is one.
    verified: Option<Result<(), String>>,
}

impl Run {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).to_string()
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).to_string()
    }

    fn mutations(&self) -> Vec<(usize, &RequestRecord)> {
        self.log
            .iter()
            .enumerate()
            .filter(|(_, r)| is_mutation(r))
            .collect()
    }

    /// Every write, but the incident's own record.
    fn writes(&self) -> Vec<&RequestRecord> {
        self.log
            .iter()
            .filter(|r| r.is_mutating() && !is_incident(r))
            .collect()
    }

    fn say(&self) -> String {
        format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}\nrequests:\n{:#?}\naudit:\n{}",
            self.out.status.code(),
            self.stdout(),
            self.stderr(),
            self.log
                .iter()
                .filter(|r| r.method != "GET")
                .map(|r| format!(
                    "{} {} {} {} {}",
                    r.user, r.method, r.path, r.query, r.status
                ))
                .collect::<Vec<_>>(),
            self.audit
        )
    }
}

/// Waits for `child`, killing it after `secs` (a hung run fails the case, not the suite).
fn finish(mut command: Command, secs: u64) -> Output {
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("opsdeck runs");
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(out) => out.expect("opsdeck output"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &id.to_string()])
                .status();
            panic!("opsdeck did not finish in {secs}s");
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs `case` by the real binary against a fresh in-process sim.
fn run(rt: &tokio::runtime::Runtime, case: &Case) -> Run {
    let env = rt.block_on(SimEnv::start(SimOptions::default()));
    let dir = env.dir.clone();
    let audit = dir.join("audit.jsonl");
    let watched = audit.clone();
    env.sim.on_arrival(Arc::new(move |r: &RequestRecord| {
        (r.method != "GET").then(|| std::fs::read_to_string(&watched).unwrap_or_default())
    }));
    let book = dir.join("prop.toml");
    std::fs::write(&book, render(&case.book)).expect("runbook");
    let config = dir.join("config.toml");
    let readonly = case.line.readonly == Readonly::Config;
    std::fs::write(
        &config,
        format!(
            "[kubernetes]\n[[kubernetes.context]]\nname = \"opsdeck-sim\"\nreadonly = {readonly}\n\
             [platform]\nurl = \"{}\"\n[[alertmanager]]\nname = \"sim\"\nurl = \"{}\"\n",
            env.sim.platform_url(),
            env.sim.platform_url()
        ),
    )
    .expect("config");
    let admin = env.kubeconfig_for("sim-admin");
    let kubeconfig = if case.line.viewer {
        env.kubeconfig_for("viewer")
    } else {
        admin.clone()
    };
    let base = |kubeconfig: &Path| {
        let mut c = opsdeck(&dir);
        c.arg("--config")
            .arg(&config)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("--audit-log")
            .arg(&audit);
        c
    };
    if case.line.incident {
        let mut start = base(&admin);
        start.args(["incident", "start", "generated", "trouble"]);
        let out = finish(start, 30);
        assert!(out.status.success(), "incident start: {out:?}");
    }
    let before = env.sim.requests().len();
    let out = finish(command(base(&kubeconfig), &book, &case.line), 60);
    let log = env.sim.requests().split_off(before);
    let text = std::fs::read_to_string(&audit).unwrap_or_default();
    let verified = audit.exists().then(|| {
        opsdeck::actions::audit::verify(&audit)
            .map(drop)
            .map_err(|e| e.to_string())
    });
    rt.block_on(env.stop());
    Run {
        out,
        log,
        audit: text,
        verified,
    }
}

fn command(mut c: Command, book: &Path, line: &Line) -> Command {
    if line.readonly == Readonly::Flag {
        c.arg("--readonly");
    }
    c.arg("run").arg(book);
    c.args(["--verify-timeout", &line.verify_timeout.to_string()]);
    if line.yes {
        c.arg("--yes");
    }
    if line.dry_run {
        c.arg("--dry-run");
    }
    if let Some(p) = &line.param {
        c.args(["--param", p]);
    }
    if line.incident {
        c.arg("--incident");
    }
    c
}

/// Every mutation arrived while exactly one intent for its target was on disk and not yet
/// answered by a result, by the identity that intent names, after an allowed access review of
/// exactly that request; and each intent was sent at most once (exactly once when its result
/// says the server answered).
fn each_mutation_took_the_whole_path(run: &Run) -> Result<(), TestCaseError> {
    let said = || run.say();
    let mut sent: HashMap<String, usize> = HashMap::new();
    for (at, r) in run.mutations() {
        let target = target_of(&r.path);
        prop_assert!(
            target.is_some(),
            "a mutation no verb makes: {r:?}\n{}",
            said()
        );
        let target = target.unwrap_or_default();
        let seen = entries(r.witness.as_deref().unwrap_or_default());
        let answered: Vec<&Value> = phase(&seen, "result").map(|e| &e["plan_id"]).collect();
        let open: Vec<&Value> = phase(&seen, "intent")
            .filter(|e| names(e, &target) && !answered.contains(&&e["plan_id"]))
            .collect();
        prop_assert_eq!(
            open.len(),
            1,
            "{} {} arrived with {} open intents for {}\n{}",
            r.method,
            r.path,
            open.len(),
            target,
            said()
        );
        let intent = open[0];
        *sent
            .entry(intent["plan_id"].as_str().unwrap_or_default().to_string())
            .or_default() += 1;
        if is_platform(r) || is_alertmanager(r) {
            // No access review stands for the platform API's or Alertmanager's (the plan says
            // so): their own auth applies.
            continue;
        }
        prop_assert!(
            intent["ssar"]
                .as_str()
                .is_some_and(|s| s.starts_with("allowed=true")),
            "{intent}"
        );
        prop_assert_eq!(intent["kube_user"].as_str(), Some(r.user.as_str()));
        let review = run.log[..at]
            .iter()
            .rev()
            .filter(|q| q.user == r.user)
            .find_map(|q| q.review.as_ref().filter(|rev| reviews(rev, r)));
        prop_assert!(
            review.is_some_and(|rev| rev.allowed),
            "{} {} without an allowed access review first: {review:?}\n{}",
            r.method,
            r.path,
            said()
        );
    }
    let all = entries(&run.audit);
    for intent in phase(&all, "intent") {
        let id = intent["plan_id"].as_str().unwrap_or_default();
        let n = sent.get(id).copied().unwrap_or(0);
        let answered = phase(&all, "result")
            .any(|e| e["plan_id"] == intent["plan_id"] && e["http_status"].is_u64());
        if answered && target_in_sim(intent) {
            prop_assert_eq!(n, 1, "intent {} sent {} times\n{}", id, n, said());
        } else {
            prop_assert!(n <= 1, "intent {id} sent {n} times\n{}", said());
        }
    }
    Ok(())
}

/// Whether an intent's target is served by the sim (all are: Kubernetes objects, the platform,
/// Alertmanager's alerts and silences).
fn target_in_sim(intent: &Value) -> bool {
    let t = intent["target"].as_str().unwrap_or_default();
    [
        "deployment ",
        "statefulset ",
        "node ",
        "platform ",
        "pipeline ",
        "alerts ",
        "silence ",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

/// Whether the line may change anything at all (before the runbook's own steps decide).
fn may_act(line: &Line) -> bool {
    line.readonly == Readonly::No && line.yes && !line.dry_run
}

/// Whether the line may change Kubernetes objects (the viewer may not).
fn may_act_on_kube(line: &Line) -> bool {
    may_act(line) && !line.viewer
}

/// Whether the runbook has a step acting on a Kubernetes object.
fn acts_on_kube(book: &Book) -> bool {
    book.steps.iter().any(|s| match s {
        Step::Action(a) => KUBE_VERBS.contains(&a.split(' ').next().unwrap_or_default()),
        _ => false,
    })
}

fn given(line: &Line) -> Option<BTreeMap<String, String>> {
    match &line.param {
        None => Some(BTreeMap::new()),
        Some(p) => p
            .split_once('=')
            .map(|(k, v)| BTreeMap::from([(k.to_string(), v.to_string())])),
    }
}

fn check(case: &Case, run: &Run) -> Result<(), TestCaseError> {
    let said = || run.say();
    let success = run.out.status.success();
    let rb = match Runbook::parse(&render(&case.book), "prop.toml") {
        Ok(rb) => rb,
        Err(e) => {
            // Malformed: refused with its place, before any request.
            prop_assert!(!success, "{e}\n{}", said());
            prop_assert!(run.stderr().contains("prop.toml:"), "{}", said());
            prop_assert!(run.log.is_empty(), "requests before refusing: {}", said());
            return Ok(());
        }
    };
    if let Some(Err(e)) = &run.verified {
        prop_assert!(false, "the audit log does not verify: {e}\n{}", said());
    }
    let acts = rb
        .steps
        .iter()
        .any(|s| matches!(s.kind, StepKind::Action(_)));
    let params_ok = given(&case.line).is_some_and(|g| rb.values(&g).is_ok());
    let line = &case.line;
    if !line.incident {
        prop_assert!(!run.log.iter().any(is_incident), "{}", said());
    }
    if !may_act(line) {
        prop_assert!(run.mutations().is_empty(), "{}", said());
    }
    if !may_act_on_kube(line) {
        prop_assert!(!run.log.iter().any(is_lock), "{}", said());
    }
    if line.readonly != Readonly::No {
        prop_assert!(run.writes().is_empty(), "writes read-only: {}", said());
    }
    if line.viewer {
        let kube: Vec<_> = run
            .writes()
            .into_iter()
            .filter(|r| !is_platform(r) && !is_alertmanager(r))
            .collect();
        prop_assert!(kube.is_empty(), "the viewer wrote: {}", said());
    }
    if line.dry_run {
        prop_assert!(
            run.writes().iter().all(|r| r.query.contains("dryRun=All")),
            "{}",
            said()
        );
        prop_assert!(phase(&entries(&run.audit), "intent").next().is_none());
    }
    if acts && params_ok {
        if line.readonly != Readonly::No {
            prop_assert!(!success && run.stderr().contains("read-only"), "{}", said());
        } else if !line.yes && !line.dry_run {
            prop_assert!(
                !success && run.stderr().contains("pass --yes"),
                "{}",
                said()
            );
            prop_assert!(run.writes().is_empty(), "{}", said());
        } else if line.viewer && acts_on_kube(&case.book) {
            prop_assert!(!success && !run.stderr().is_empty(), "{}", said());
        }
    }
    if !success {
        prop_assert!(
            !run.stderr().trim().is_empty(),
            "no reason given: {}",
            said()
        );
    }
    each_mutation_took_the_whole_path(run)
}

/// How the random cases went, said at the end (a property that only ever refuses says little).
#[derive(Debug, Default)]
struct Tally {
    malformed: usize,
    refused: usize,
    succeeded: usize,
    failed: usize,
    mutated: usize,
    mutations: usize,
    /// Of the mutations, the platform API's.
    platform: usize,
    /// Of the mutations, Alertmanager's.
    alertmanager: usize,
}

impl Tally {
    fn add(&mut self, case: &Case, run: &Run) {
        if Runbook::parse(&render(&case.book), "prop.toml").is_err() {
            self.malformed += 1;
        } else if run.log.is_empty() || run.stderr().contains("pass --yes") {
            self.refused += 1;
        } else if run.out.status.success() {
            self.succeeded += 1;
        } else {
            self.failed += 1;
        }
        let n = run.mutations().len();
        self.mutated += usize::from(n > 0);
        self.mutations += n;
        self.platform += run
            .mutations()
            .iter()
            .filter(|(_, r)| is_platform(r))
            .count();
        self.alertmanager += run
            .mutations()
            .iter()
            .filter(|(_, r)| is_alertmanager(r))
            .count();
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64)
}

#[test]
fn random_runbooks_mutate_only_through_the_whole_path() {
    let rt = runtime();
    let started = Instant::now();
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 64,
        ..Config::default()
    };
    let strategy = (book(), line()).prop_map(|(book, line)| Case { book, line });
    let tally = std::sync::Mutex::new(Tally::default());
    let result = TestRunner::new(config).run(&strategy, |case| {
        let run = run(&rt, &case);
        if let Ok(mut t) = tally.lock() {
            t.add(&case, &run);
        }
        check(&case, &run)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "{} cases in {:?}: {:?}",
        cases(),
        started.elapsed(),
        tally.lock().map(|t| format!("{t:?}"))
    );
}

fn fixed(steps: &[&str], line: Line) -> (Case, Run) {
    let case = Case {
        book: Book {
            named: true,
            namespaced: true,
            param: None,
            steps: steps.iter().map(|a| Step::Action(a.to_string())).collect(),
        },
        line,
    };
    let run = run(&runtime(), &case);
    (case, run)
}

fn admin_yes() -> Line {
    Line {
        viewer: false,
        readonly: Readonly::No,
        yes: true,
        dry_run: false,
        verify_timeout: 0,
        param: None,
        incident: false,
    }
}

#[test]
fn the_property_is_not_vacuous_a_runbook_that_acts_is_seen_acting() {
    let (case, run) = fixed(
        &[
            "pause-generation",
            "cordon pool-general-2",
            "silence alertname=ApiHighErrorRate --for 1h --comment seen by the property test",
            // Last: with no time to verify it fails, and the runbook stops there.
            "scale scheduler 2",
        ],
        admin_yes(),
    );
    check(&case, &run).expect("the property holds");
    let mutations: Vec<String> = run
        .mutations()
        .iter()
        .map(|(_, r)| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        mutations.get(..2).map(|m| m.join(", ")).as_deref(),
        Some("POST /config/pause-generation, PATCH /api/v1/nodes/pool-general-2"),
        "the platform's writes are in the log with the Kubernetes API's: {}",
        run.say()
    );
    assert!(
        mutations.iter().any(|m| m == "POST /api/v2/silences"),
        "Alertmanager's silences are in the log too: {}",
        run.say()
    );
    let intents = phase(&entries(&run.audit), "intent").count();
    assert_eq!(intents, mutations.len(), "{}", run.say());
    assert!(run.log.iter().any(is_lock), "the action lock is taken");

    // The same runbook as the viewer, and read-only: refused, with the reason, nothing sent.
    let viewer = Line {
        viewer: true,
        ..admin_yes()
    };
    let (case, run) = fixed(&["cordon pool-general-2"], viewer.clone());
    check(&case, &run).expect("the property holds");
    assert!(run.stderr().contains("may not"), "{}", run.say());
    assert!(run.writes().is_empty(), "{}", run.say());
    // Alertmanager has no access review: its own auth applies, so the viewer's silence is sent.
    let (case, run) = fixed(
        &["silence alertname=ApiHighErrorRate --for 1h --comment seen by the property test"],
        viewer,
    );
    check(&case, &run).expect("the property holds");
    assert!(run.log.iter().any(is_alertmanager), "{}", run.say());
    let readonly = Line {
        readonly: Readonly::Config,
        ..admin_yes()
    };
    let (case, run) = fixed(&["cordon pool-general-2"], readonly);
    check(&case, &run).expect("the property holds");
    assert!(run.stderr().contains("read-only"), "{}", run.say());
}

#[test]
fn the_checks_catch_a_mutation_without_its_whole_path() {
    let (case, run) = fixed(&["cordon pool-general-1"], admin_yes());
    check(&case, &run).expect("the property holds");
    let (at, _) = run.mutations()[0];
    let altered = |change: &dyn Fn(&mut Vec<RequestRecord>)| {
        let mut log = run.log.clone();
        change(&mut log);
        Run {
            out: run.out.clone(),
            log,
            audit: run.audit.clone(),
            verified: None,
        }
    };
    // Sent before its intent was on disk.
    let early = altered(&|log| log[at].witness = Some(String::new()));
    assert!(check(&case, &early).is_err());
    // Sent without an access review, or after a denied one.
    let unreviewed = altered(&|log| log.iter_mut().for_each(|r| r.review = None));
    assert!(check(&case, &unreviewed).is_err());
    let denied = altered(&|log| {
        log.iter_mut()
            .filter_map(|r| r.review.as_mut())
            .for_each(|r| r.allowed = false);
    });
    assert!(check(&case, &denied).is_err());
    // Sent twice.
    let twice = altered(&|log| log.insert(at, log[at].clone()));
    assert!(check(&case, &twice).is_err());
    // Read-only, as the viewer, or without --yes: the same requests are a leak.
    for line in [
        Line {
            readonly: Readonly::Flag,
            ..admin_yes()
        },
        Line {
            viewer: true,
            ..admin_yes()
        },
        Line {
            yes: false,
            ..admin_yes()
        },
    ] {
        let case = Case {
            line,
            ..case.clone()
        };
        assert!(check(&case, &run).is_err(), "{case:?}");
    }
}
