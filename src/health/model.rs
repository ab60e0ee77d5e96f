//! The health model: each round of a service's endpoints in, one row per service out, worst
//! first, with since when it has been in its status (pure: the time comes in the message).

use std::time::Duration;

use super::answer::{Probe, Shape, Status, one_line};
use crate::config::HealthConfig;
use crate::status::LoadState;

/// What the health source sends: one round of one service's endpoints.
#[derive(Clone, Debug, PartialEq)]
pub struct HealthMsg {
    pub service: String,
    /// When it was read (ms since the epoch).
    pub at_ms: i64,
    /// The readiness endpoint (`url`).
    pub ready: Probe,
    /// The liveness endpoint, when the config names one.
    pub live: Option<Probe>,
    /// When an endpoint did not answer: the source asks again after this long.
    pub retry_in: Option<Duration>,
}

/// What one endpoint said last, for its column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoint {
    /// None until it is first asked.
    pub status: Option<Status>,
    pub code: Option<u16>,
    pub elapsed_ms: Option<u64>,
    pub shape: Option<Shape>,
}

impl Endpoint {
    fn of(probe: &Probe) -> Endpoint {
        match probe {
            Probe::Answered(r) => Endpoint {
                status: Some(r.status),
                code: Some(r.code),
                elapsed_ms: Some(r.elapsed_ms),
                shape: Some(r.shape),
            },
            Probe::Unreachable(_) => Endpoint {
                status: Some(Status::Unknown),
                ..Endpoint::default()
            },
        }
    }

    /// "503 fail", "unknown" (it did not answer), "-" (not asked yet).
    pub fn text(&self) -> String {
        match (self.status, self.code) {
            (Some(s), Some(code)) => format!("{code} {}", s.word()),
            (Some(s), None) => s.word().to_string(),
            _ => "-".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct HealthRow {
    pub name: String,
    /// The worse of readiness and liveness; unknown until read, and while either does not
    /// answer.
    pub status: Status,
    /// When `status` last changed (ms since the epoch); None until the first round.
    pub since_ms: Option<i64>,
    pub ready: Endpoint,
    /// None: the config names no `live_url`.
    pub live: Option<Endpoint>,
    /// What is wrong, one item each with its status: the readiness endpoint's note and
    /// failing or warning checks, then the liveness endpoint's (prefixed "live").
    pub problems: Vec<(Status, String)>,
    /// The problems in one line, for the table (or, while stale, the reason).
    pub summary: String,
    /// Stale while an endpoint does not answer, with the reason.
    pub load: LoadState,
}

impl HealthRow {
    fn new(c: &HealthConfig) -> HealthRow {
        HealthRow {
            name: c.name.clone(),
            status: Status::Unknown,
            since_ms: None,
            ready: Endpoint::default(),
            live: c.live_url.as_ref().map(|_| Endpoint::default()),
            problems: vec![],
            summary: String::new(),
            load: LoadState::Loading,
        }
    }

    fn apply(&mut self, msg: &HealthMsg) {
        let live = msg.live.as_ref();
        let status = msg
            .ready
            .status()
            .min(live.map_or(Status::Pass, Probe::status));
        if self.since_ms.is_none() || status != self.status {
            self.since_ms = Some(msg.at_ms);
        }
        self.status = status;
        self.ready = Endpoint::of(&msg.ready);
        self.live = live.map(Endpoint::of);
        let (mut problems, mut unreachable) = (vec![], vec![]);
        let endpoints = std::iter::once(("", &msg.ready)).chain(live.map(|p| ("live ", p)));
        for (prefix, probe) in endpoints {
            match probe {
                Probe::Unreachable(reason) => unreachable.push(format!("{prefix}{reason}")),
                Probe::Answered(_) => problems.extend(
                    probe
                        .problems()
                        .into_iter()
                        .map(|(s, text)| (s, format!("{prefix}{text}"))),
                ),
            }
        }
        self.problems = problems;
        self.load = if unreachable.is_empty() {
            LoadState::Live
        } else {
            let now = msg.at_ms.div_euclid(1000);
            self.load.failed(&unreachable.join("; "), msg.retry_in, now)
        };
        self.summary = match &self.load {
            LoadState::Stale { reason, .. } => reason.clone(),
            _ => one_line(&self.problems),
        };
    }

    /// Worst first: failing, then not answering, warning, not yet asked, passing.
    fn rank(&self) -> u8 {
        match (self.status, &self.load) {
            (Status::Fail, _) => 0,
            (Status::Unknown, LoadState::Stale { .. }) => 1,
            (Status::Warn, _) => 2,
            (Status::Unknown, _) => 3,
            (Status::Pass, _) => 4,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HealthModel {
    rows: Vec<HealthRow>,
}

impl HealthModel {
    pub fn new(configs: &[HealthConfig]) -> HealthModel {
        let mut model = HealthModel {
            rows: configs.iter().map(HealthRow::new).collect(),
        };
        model.resort();
        model
    }

    /// Worst first.
    pub fn rows(&self) -> &[HealthRow] {
        &self.rows
    }

    pub fn row(&self, name: &str) -> Option<&HealthRow> {
        self.rows.iter().find(|r| r.name == name)
    }

    /// A round of one service (a service the config does not name is ignored).
    pub fn apply(&mut self, msg: &HealthMsg) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.name == msg.service) {
            row.apply(msg);
            self.resort();
        }
    }

    /// The pane's state: stale when any service does not answer, naming it (or how many),
    /// since the first of them stopped.
    pub fn load(&self) -> LoadState {
        let stale: Vec<(&str, i64, &str)> = self
            .rows
            .iter()
            .filter_map(|r| match &r.load {
                LoadState::Stale { since, reason } => {
                    Some((r.name.as_str(), *since, reason.as_str()))
                }
                _ => None,
            })
            .collect();
        let since = stale.iter().map(|(_, since, _)| *since).min();
        match (stale.as_slice(), since) {
            ([(name, since, reason)], _) => LoadState::Stale {
                since: *since,
                reason: format!("{name}: {reason}"),
            },
            (many, Some(since)) => LoadState::Stale {
                since,
                reason: format!("{} services not answering", many.len()),
            },
            _ => LoadState::worst(self.rows.iter().map(|r| &r.load)),
        }
    }

    /// Services in `status` (unknown counts only the ones that do not answer, not those not
    /// asked yet).
    pub fn count(&self, status: Status) -> usize {
        self.rows
            .iter()
            .filter(|r| r.status == status)
            .filter(|r| status != Status::Unknown || matches!(r.load, LoadState::Stale { .. }))
            .count()
    }

    fn resort(&mut self) {
        self.rows
            .sort_by(|a, b| a.rank().cmp(&b.rank()).then_with(|| a.name.cmp(&b.name)));
    }
}

#[cfg(test)]
mod tests {
    use super::super::answer::read;
    use super::*;

    fn config(name: &str, live: bool) -> HealthConfig {
        HealthConfig {
            name: name.into(),
            url: format!("http://{name}:8080/health/ready"),
            live_url: live.then(|| format!("http://{name}:8080/health/live")),
        }
    }

    fn answered(code: u16, body: &str) -> Probe {
        Probe::Answered(read(code, Some("application/json"), body.as_bytes(), 9))
    }

    fn round(service: &str, at_s: i64, ready: Probe, live: Option<Probe>) -> HealthMsg {
        let retry_in = matches!(ready, Probe::Unreachable(_)).then(|| Duration::from_secs(2));
        HealthMsg {
            service: service.into(),
            at_ms: at_s * 1000,
            ready,
            live,
            retry_in,
        }
    }

    const OK: &str = r#"{"status":"ok","checks":{"redis":"ok"}}"#;
    const DOWN: &str = r#"{"status":"down","checks":{"redis":"down"}}"#;

    #[test]
    fn rows_start_unknown_and_loading_and_follow_their_rounds() {
        let mut m = HealthModel::new(&[config("api", true), config("publisher", false)]);
        assert!(m.rows().iter().all(|r| r.status == Status::Unknown));
        assert_eq!(m.load(), LoadState::Loading);
        assert_eq!(
            m.count(Status::Unknown),
            0,
            "not asked yet is not unreachable"
        );
        m.apply(&round(
            "api",
            100,
            answered(200, OK),
            Some(answered(200, OK)),
        ));
        let api = m.row("api").expect("api");
        assert_eq!((api.status, api.since_ms), (Status::Pass, Some(100_000)));
        assert_eq!(api.ready.text(), "200 pass");
        assert_eq!(
            api.live.as_ref().map(Endpoint::text).as_deref(),
            Some("200 pass")
        );
        assert_eq!(m.row("publisher").and_then(|r| r.live.clone()), None);
        assert_eq!(
            m.rows()[0].name,
            "publisher",
            "not asked yet sorts above passing"
        );
    }

    #[test]
    fn since_moves_only_when_the_status_changes() {
        let mut m = HealthModel::new(&[config("api", false)]);
        m.apply(&round("api", 100, answered(200, OK), None));
        m.apply(&round("api", 105, answered(200, OK), None));
        assert_eq!(m.row("api").and_then(|r| r.since_ms), Some(100_000));
        m.apply(&round("api", 110, answered(503, DOWN), None));
        let api = m.row("api").expect("api");
        assert_eq!((api.status, api.since_ms), (Status::Fail, Some(110_000)));
        assert_eq!(api.summary, "redis fail");
        assert_eq!(m.count(Status::Fail), 1);
    }

    #[test]
    fn a_failing_liveness_fails_the_service_and_says_so() {
        let mut m = HealthModel::new(&[config("api", true)]);
        m.apply(&round(
            "api",
            1,
            answered(200, OK),
            Some(answered(
                503,
                r#"{"status":"DOWN","checks":[{"name":"deadlock","status":"DOWN"}]}"#,
            )),
        ));
        let api = m.row("api").expect("api");
        assert_eq!(api.status, Status::Fail);
        assert_eq!(api.problems, [(Status::Fail, "live deadlock fail".into())]);
    }

    #[test]
    fn an_unreachable_service_is_unknown_and_stale_never_healthy() {
        let mut m = HealthModel::new(&[config("api", false), config("fine", false)]);
        m.apply(&round("fine", 1, answered(200, OK), None));
        m.apply(&round("api", 1, answered(200, OK), None));
        m.apply(&round(
            "api",
            5,
            Probe::Unreachable("connection refused".into()),
            None,
        ));
        let api = m.row("api").expect("api");
        assert_eq!(api.status, Status::Unknown);
        assert_eq!(api.since_ms, Some(5_000));
        assert_eq!(
            api.load,
            LoadState::Stale {
                since: 5,
                reason: "connection refused, retrying in 2s".into()
            }
        );
        assert_eq!(api.summary, "connection refused, retrying in 2s");
        assert_eq!(api.ready.text(), "unknown");
        assert_eq!(m.rows()[0].name, "api", "unknown sorts above passing");
        assert_eq!(m.count(Status::Unknown), 1);
        assert_eq!(
            m.load(),
            LoadState::Stale {
                since: 5,
                reason: "api: connection refused, retrying in 2s".into()
            }
        );
        // It keeps its first stale time, and recovers.
        m.apply(&round(
            "api",
            9,
            Probe::Unreachable("timed out".into()),
            None,
        ));
        assert!(matches!(
            m.row("api").map(|r| &r.load),
            Some(LoadState::Stale { since: 5, .. })
        ));
        m.apply(&round("api", 12, answered(200, OK), None));
        let api = m.row("api").expect("api");
        assert_eq!((api.status, &api.load), (Status::Pass, &LoadState::Live));
        assert_eq!(api.since_ms, Some(12_000));
    }

    #[test]
    fn an_unanswering_liveness_is_named() {
        let mut m = HealthModel::new(&[config("api", true)]);
        m.apply(&round(
            "api",
            1,
            answered(200, OK),
            Some(Probe::Unreachable("timed out".into())),
        ));
        let api = m.row("api").expect("api");
        assert_eq!(api.status, Status::Unknown);
        assert!(matches!(&api.load, LoadState::Stale { reason, .. } if reason == "live timed out"));
    }

    #[test]
    fn worst_first_fail_unknown_warn_loading_pass() {
        let names = ["a-pass", "b-warn", "c-fail", "d-gone", "e-new"];
        let mut m = HealthModel::new(&names.map(|n| config(n, false)));
        m.apply(&round("a-pass", 1, answered(200, OK), None));
        m.apply(&round(
            "b-warn",
            1,
            answered(200, r#"{"status":"warn"}"#),
            None,
        ));
        m.apply(&round("c-fail", 1, answered(503, DOWN), None));
        m.apply(&round(
            "d-gone",
            1,
            Probe::Unreachable("timed out".into()),
            None,
        ));
        let order: Vec<&str> = m.rows().iter().map(|r| r.name.as_str()).collect();
        assert_eq!(order, ["c-fail", "d-gone", "b-warn", "e-new", "a-pass"]);
        m.apply(&round(
            "a-pass",
            3,
            Probe::Unreachable("timed out".into()),
            None,
        ));
        assert_eq!(
            m.load(),
            LoadState::Stale {
                since: 1,
                reason: "2 services not answering".into()
            }
        );
        m.apply(&round("nobody", 1, answered(503, DOWN), None));
        assert_eq!(m.rows().len(), 5);
    }
}
