//! What a health endpoint answered, in the three shapes services answer with (REFERENCE.md
//! §3b): IETF `application/health+json` (draft-inadarei-api-health-check-06), MicroProfile
//! Health, and a bare status code with any body or none (the platform's own `/health/ready`, a
//! map of strings, among them). Pure: status code and bytes in, a reading out. The status code
//! wins over a body that says better than it: a 503 never passes.

use serde_json::{Map, Value};

/// A service's health, worst first (`Ord`): unknown (nobody could ask it) sits between fail
/// and warn, so an unreachable service never sorts or reads as healthy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Fail,
    Unknown,
    Warn,
    Pass,
}

impl Status {
    /// The words services use, case aside: the draft's pass|warn|fail and its aliases ok/up and
    /// error/down (MicroProfile's UP/DOWN among them), and the platform's "degraded".
    pub fn from_word(word: &str) -> Option<Status> {
        match word.to_ascii_lowercase().as_str() {
            "pass" | "ok" | "up" => Some(Status::Pass),
            "warn" | "degraded" => Some(Status::Warn),
            "fail" | "error" | "down" => Some(Status::Fail),
            _ => None,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::Warn => "warn",
            Status::Pass => "pass",
        }
    }

    /// The draft's rule: pass and warn answer 2xx-3xx, fail 4xx-5xx.
    fn of_code(code: u16) -> Status {
        if (200..400).contains(&code) {
            Status::Pass
        } else {
            Status::Fail
        }
    }
}

/// Which of the shapes the body had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `application/health+json`: `checks` keyed "component:measurement", each an array.
    HealthJson,
    /// `{"status":"UP|DOWN","checks":[{"name","status","data"}]}`.
    MicroProfile,
    /// Another JSON status, with a map of checks to words (`{"redis":"ok"}`) or none.
    Json,
    /// No body worth reading: the status code alone.
    Code,
}

impl Shape {
    pub fn label(self) -> &'static str {
        match self {
            Shape::HealthJson => "health+json",
            Shape::MicroProfile => "microprofile",
            Shape::Json => "json",
            Shape::Code => "status code",
        }
    }
}

/// One check that does not pass, by the name the service gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub output: Option<String>,
}

impl Check {
    /// "redis fail: connection refused", "db:responseTime warn".
    pub fn text(&self) -> String {
        match &self.output {
            Some(o) => format!("{} {}: {o}", self.name, self.status.word()),
            None => format!("{} {}", self.name, self.status.word()),
        }
    }
}

/// One endpoint's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    pub code: u16,
    /// Pass, warn or fail (never unknown: the endpoint answered).
    pub status: Status,
    pub shape: Shape,
    /// The checks that do not pass, in the body's order.
    pub checks: Vec<Check>,
    /// What else to know: the code when the checks do not say why it fails, a body the code
    /// contradicts, an unreadable body, the service's own output.
    pub note: Option<String>,
    pub elapsed_ms: u64,
    /// How long the endpoint asked to be left alone (`Retry-After` with 429 or 503).
    pub retry_after: Option<std::time::Duration>,
}

/// An endpoint's answer, or why there was none (refused, timed out...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    Answered(Reading),
    Unreachable(String),
}

impl Probe {
    /// Pass, warn, fail, or unknown when it did not answer.
    pub fn status(&self) -> Status {
        match self {
            Probe::Answered(r) => r.status,
            Probe::Unreachable(_) => Status::Unknown,
        }
    }

    /// What is wrong, one item each with its status: the note, then each check that does not
    /// pass (or why it did not answer).
    pub fn problems(&self) -> Vec<(Status, String)> {
        match self {
            Probe::Answered(r) => r
                .note
                .iter()
                .map(|n| (r.status, n.clone()))
                .chain(r.checks.iter().map(|c| (c.status, c.text())))
                .collect(),
            Probe::Unreachable(reason) => vec![(Status::Unknown, reason.clone())],
        }
    }
}

/// Problems in one line: "redis fail; qdrant warn: 3/4".
pub fn one_line(problems: &[(Status, String)]) -> String {
    let texts: Vec<&str> = problems.iter().map(|(_, t)| t.as_str()).collect();
    texts.join("; ")
}

/// A runbook's `health-ready SERVICE`: (ready, what was seen). Pass and warn are ready (the
/// draft answers both with 2xx); fail, and no answer, are not, and say why.
pub fn readiness(service: &str, probe: &Probe) -> (bool, String) {
    let Probe::Answered(r) = probe else {
        let why = one_line(&probe.problems());
        return (false, format!("{service} is not ready: no answer ({why})"));
    };
    let said = match r.status {
        Status::Pass => "is ready",
        Status::Warn => "is ready, with warnings",
        _ => "is not ready",
    };
    let mut text = format!("{service} {said} (HTTP {} in {} ms)", r.code, r.elapsed_ms);
    let why = one_line(&probe.problems());
    if !why.is_empty() {
        text.push_str(&format!(": {why}"));
    }
    (r.status >= Status::Warn, text)
}

/// Health bodies are small; more than this is not one.
pub const MAX_BODY: usize = 256 * 1024;

/// Reads an answer: `content_type` as the header gave it, `body` at most `MAX_BODY` bytes (a
/// longer one arrives cut, and reads as unreadable).
pub fn read(code: u16, content_type: Option<&str>, body: &[u8], elapsed_ms: u64) -> Reading {
    let by_code = Status::of_code(code);
    let content_type = content_type.unwrap_or("").to_ascii_lowercase();
    let looks_json = content_type.contains("json") || body.trim_ascii_start().starts_with(b"{");
    let mut reading = Reading {
        code,
        status: by_code,
        shape: Shape::Code,
        checks: vec![],
        note: None,
        elapsed_ms,
        retry_after: None,
    };
    let mut notes = vec![];
    if looks_json {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(v)) => read_json(
                &v,
                content_type.contains("health+json"),
                &mut reading,
                &mut notes,
            ),
            _ => notes.push("unreadable body".to_string()),
        }
    }
    if by_code == Status::Fail && reading.checks.is_empty() && notes.is_empty() {
        notes.push(format!("HTTP {code}"));
    }
    reading.note = (!notes.is_empty()).then(|| notes.join(", "));
    reading
}

/// A JSON object's status and checks into `reading`, the code's verdict kept when it is worse.
fn read_json(
    v: &Map<String, Value>,
    health_json: bool,
    reading: &mut Reading,
    notes: &mut Vec<String>,
) {
    let word = v.get("status").and_then(Value::as_str);
    let (shape, checks) = match v.get("checks") {
        Some(Value::Array(list)) => (Shape::MicroProfile, microprofile_checks(list)),
        Some(Value::Object(map)) if health_json || map.values().any(Value::is_array) => {
            (Shape::HealthJson, map_checks(map))
        }
        Some(Value::Object(map)) => (Shape::Json, map_checks(map)),
        _ if health_json => (Shape::HealthJson, vec![]),
        _ if matches!(word, Some("UP" | "DOWN")) => (Shape::MicroProfile, vec![]),
        _ => (Shape::Json, vec![]),
    };
    let said = match word.map(|w| (w, Status::from_word(w))) {
        Some((_, Some(s))) => Some(s),
        Some((w, None)) => {
            notes.push(format!("status {w:?} not understood"));
            None
        }
        // No word: the checks speak.
        None => checks.iter().map(|c| c.status).min(),
    };
    let code = reading.code;
    if let Some(said) = said {
        let by_code = reading.status;
        if (by_code == Status::Fail) != (said == Status::Fail) {
            notes.push(format!("HTTP {code}, though the body says {}", said.word()));
        }
        reading.status = by_code.min(said);
    }
    if reading.status != Status::Pass
        && let Some(output) = v
            .get("output")
            .and_then(Value::as_str)
            .filter(|o| !o.is_empty())
    {
        notes.push(output.to_string());
    }
    reading.shape = shape;
    reading.checks = checks;
}

/// `checks` as a map: the draft's arrays of results per "component:measurement", a word per
/// dependency (`{"redis":"down"}`; a count like "2/3" short of its whole is a warning), or an
/// object with a status.
fn map_checks(map: &Map<String, Value>) -> Vec<Check> {
    let mut out = vec![];
    for (key, value) in map {
        match value {
            Value::String(s) => out.extend(word_check(key, s)),
            Value::Array(results) => {
                let many = results.len() > 1;
                for r in results.iter().filter_map(Value::as_object) {
                    let id = r.get("componentId").and_then(Value::as_str);
                    let name = match id {
                        Some(id) if many => format!("{key} {id}"),
                        _ => key.clone(),
                    };
                    out.extend(object_check(name, r));
                }
            }
            Value::Object(o) => out.extend(object_check(key.clone(), o)),
            _ => {}
        }
    }
    out
}

fn word_check(name: &str, word: &str) -> Option<Check> {
    let (status, output) = match Status::from_word(word) {
        Some(s) => (s, None),
        None => {
            let (have, want) = word.split_once('/')?;
            let (have, want): (u64, u64) = (have.trim().parse().ok()?, want.trim().parse().ok()?);
            (have < want).then_some((Status::Warn, Some(word.to_string())))?
        }
    };
    (status != Status::Pass).then(|| Check {
        name: name.to_string(),
        status,
        output,
    })
}

/// One result object (the draft's, or any `{"status": ...}`): its output, else what it
/// observed ("850 ms").
fn object_check(name: String, r: &Map<String, Value>) -> Option<Check> {
    let status = r
        .get("status")
        .and_then(Value::as_str)
        .and_then(Status::from_word)?;
    if status == Status::Pass {
        return None;
    }
    let text = |k: &str| r.get(k).map(scalar).filter(|s| !s.is_empty());
    let output = text("output").or_else(|| {
        let value = text("observedValue")?;
        Some(match text("observedUnit") {
            Some(unit) => format!("{value} {unit}"),
            None => value,
        })
    });
    Some(Check {
        name,
        status,
        output,
    })
}

/// MicroProfile's list: a check that is not UP, with its data as "key=value, ...".
fn microprofile_checks(list: &[Value]) -> Vec<Check> {
    list.iter()
        .filter_map(Value::as_object)
        .filter_map(|c| {
            let name = c.get("name").and_then(Value::as_str).unwrap_or("?");
            let status = c
                .get("status")
                .and_then(Value::as_str)
                .and_then(Status::from_word)?;
            let data = c.get("data").and_then(Value::as_object);
            let output = data
                .map(|d| {
                    d.iter()
                        .map(|(k, v)| format!("{k}={}", scalar(v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .filter(|s| !s.is_empty());
            (status != Status::Pass).then(|| Check {
                name: name.to_string(),
                status,
                output,
            })
        })
        .collect()
}

/// A JSON value as a person reads it: strings without quotes.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEALTH_JSON: &str = "application/health+json";

    fn json(code: u16, body: &str) -> Reading {
        read(code, Some("application/json"), body.as_bytes(), 7)
    }

    fn check(name: &str, status: Status, output: Option<&str>) -> Check {
        Check {
            name: name.into(),
            status,
            output: output.map(Into::into),
        }
    }

    #[test]
    fn words_and_their_aliases() {
        for (w, s) in [
            ("pass", Status::Pass),
            ("OK", Status::Pass),
            ("UP", Status::Pass),
            ("warn", Status::Warn),
            ("degraded", Status::Warn),
            ("fail", Status::Fail),
            ("error", Status::Fail),
            ("DOWN", Status::Fail),
        ] {
            assert_eq!(Status::from_word(w), Some(s), "{w}");
        }
        assert_eq!(Status::from_word("3/3"), None);
        assert!(Status::Fail < Status::Unknown && Status::Unknown < Status::Warn);
    }

    #[test]
    fn health_json_lists_the_checks_that_do_not_pass_with_their_output() {
        let body = r#"{
          "status": "warn", "version": "1", "releaseId": "1.2.2",
          "notes": [""], "output": "", "serviceId": "f03e522f",
          "checks": {
            "cassandra:responseTime": [{
              "componentId": "dfd6cf2b", "componentType": "datastore",
              "observedValue": 250, "observedUnit": "ms", "status": "warn",
              "time": "2026-11-25T12:00:00Z"
            }],
            "cassandra:connections": [{
              "componentId": "dfd6cf2b", "componentType": "datastore",
              "observedValue": 75, "status": "pass", "time": "2026-11-25T12:00:00Z"
            }],
            "uptime": [{"componentType": "system", "observedValue": 1209600.245,
              "observedUnit": "s", "status": "pass"}],
            "cpu:utilization": [
              {"componentId": "6fd416e0", "componentType": "system",
               "observedValue": 85, "observedUnit": "percent", "status": "warn"},
              {"componentId": "4d3b9e5a", "componentType": "system",
               "observedValue": 99, "observedUnit": "percent", "status": "fail",
               "output": "throttled"}
            ]
          }
        }"#;
        let r = read(200, Some(HEALTH_JSON), body.as_bytes(), 12);
        assert_eq!(r.status, Status::Warn);
        assert_eq!(r.shape, Shape::HealthJson);
        assert_eq!(r.note, None);
        assert_eq!(
            r.checks,
            [
                check("cassandra:responseTime", Status::Warn, Some("250 ms")),
                check("cpu:utilization 6fd416e0", Status::Warn, Some("85 percent")),
                check("cpu:utilization 4d3b9e5a", Status::Fail, Some("throttled")),
            ]
        );
        assert_eq!(r.elapsed_ms, 12);
    }

    #[test]
    fn health_json_fail_takes_its_output_and_a_503() {
        let body = r#"{"status":"fail","output":"db unreachable",
            "checks":{"db:connections":[{"status":"fail","output":"refused"}]}}"#;
        let r = read(503, Some(HEALTH_JSON), body.as_bytes(), 3);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.note.as_deref(), Some("db unreachable"));
        assert_eq!(
            r.checks,
            [check("db:connections", Status::Fail, Some("refused"))]
        );
    }

    #[test]
    fn microprofile_up_down_and_data() {
        let up = r#"{"status":"UP","checks":[{"name":"db","status":"UP","data":{}}]}"#;
        let r = json(200, up);
        assert_eq!((r.status, r.shape), (Status::Pass, Shape::MicroProfile));
        assert!(r.checks.is_empty());
        let down = r#"{"status":"DOWN","checks":[
            {"name":"db","status":"DOWN","data":{"error":"timeout","pool":3}},
            {"name":"kafka","status":"UP"}]}"#;
        let r = json(503, down);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(
            r.checks,
            [check("db", Status::Fail, Some("error=timeout, pool=3"))]
        );
        assert_eq!(r.note, None, "the check says why");
        // 500: the check procedure itself errored, with a body or without.
        let r = json(500, r#"{"status":"DOWN"}"#);
        assert_eq!((r.status, r.shape), (Status::Fail, Shape::MicroProfile));
        assert_eq!(r.note.as_deref(), Some("HTTP 500"));
    }

    #[test]
    fn the_platforms_map_of_words() {
        let degraded = r#"{"status":"degraded","checks":{"redis":"ok","postgres":"down",
            "api_ready_pods":"2/3","article_generator_workers":"4/4","generation":"paused"}}"#;
        let r = json(200, degraded);
        assert_eq!((r.status, r.shape), (Status::Warn, Shape::Json));
        assert_eq!(
            r.checks,
            [
                check("api_ready_pods", Status::Warn, Some("2/3")),
                check("postgres", Status::Fail, None),
            ]
        );
        let r = json(200, r#"{"status":"ok","checks":{"redis":"ok"}}"#);
        assert_eq!(r.status, Status::Pass);
        assert!(r.checks.is_empty() && r.note.is_none());
        let r = json(
            503,
            r#"{"status":"down","checks":{"api_ready_pods":"0/3"}}"#,
        );
        assert_eq!(r.status, Status::Fail);
    }

    #[test]
    fn a_bare_code_with_any_body_or_none() {
        for (code, body, status) in [
            (200, "", Status::Pass),
            (200, "OK", Status::Pass),
            (204, "", Status::Pass),
            (503, "Service Unavailable", Status::Fail),
        ] {
            let r = read(code, Some("text/plain"), body.as_bytes(), 1);
            assert_eq!(
                (r.status, r.shape),
                (status, Shape::Code),
                "{code} {body:?}"
            );
        }
        let r = read(503, None, b"", 1);
        assert_eq!(r.note.as_deref(), Some("HTTP 503"));
        let r = read(404, Some("text/html"), b"<h1>Not Found</h1>", 1);
        assert_eq!(
            (r.status, r.note.as_deref()),
            (Status::Fail, Some("HTTP 404"))
        );
    }

    #[test]
    fn the_code_wins_in_the_safe_direction() {
        // A 503 never passes, whatever the body says.
        let r = json(503, r#"{"status":"pass"}"#);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(
            r.note.as_deref(),
            Some("HTTP 503, though the body says pass")
        );
        let r = json(503, r#"{"status":"UP","checks":[]}"#);
        assert_eq!(r.status, Status::Fail);
        // A 200 whose body fails is failing (said so), and a 200 that warns warns.
        let r = json(200, r#"{"status":"fail"}"#);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(
            r.note.as_deref(),
            Some("HTTP 200, though the body says fail")
        );
        assert_eq!(json(200, r#"{"status":"warn"}"#).status, Status::Warn);
    }

    #[test]
    fn garbage_is_read_by_its_code_and_said_to_be_unreadable() {
        let r = json(200, "{\"status\": \"pa");
        assert_eq!((r.status, r.shape), (Status::Pass, Shape::Code));
        assert_eq!(r.note.as_deref(), Some("unreadable body"));
        let r = read(500, Some("application/json"), b"<html>oops", 1);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.note.as_deref(), Some("unreadable body"));
        // JSON that is not an object is no health body either.
        assert_eq!(json(200, "[1,2]").note.as_deref(), Some("unreadable body"));
    }

    #[test]
    fn a_status_word_nobody_knows_leaves_the_code_to_decide() {
        let r = json(200, r#"{"status":"UNKNOWN"}"#);
        assert_eq!(r.status, Status::Pass);
        assert_eq!(r.note.as_deref(), Some("status \"UNKNOWN\" not understood"));
        // No status word at all: the worst check decides.
        let r = json(200, r#"{"checks":{"redis":"down"}}"#);
        assert_eq!(r.status, Status::Fail);
    }

    #[test]
    fn readiness_says_why_not() {
        let down = json(503, r#"{"status":"down","checks":{"redis":"down"}}"#);
        assert_eq!(
            readiness("api", &Probe::Answered(down)),
            (
                false,
                "api is not ready (HTTP 503 in 7 ms): redis fail".into()
            )
        );
        let warn = json(200, r#"{"status":"warn","checks":{"qdrant":"3/4"}}"#);
        assert_eq!(
            readiness("api", &Probe::Answered(warn)),
            (
                true,
                "api is ready, with warnings (HTTP 200 in 7 ms): qdrant warn: 3/4".into()
            )
        );
        assert_eq!(
            readiness("api", &Probe::Answered(json(200, "{}"))),
            (true, "api is ready (HTTP 200 in 7 ms)".into())
        );
        assert_eq!(
            readiness("api", &Probe::Unreachable("timed out".into())),
            (false, "api is not ready: no answer (timed out)".into())
        );
    }

    #[test]
    fn problems_read_as_one_line() {
        let r = json(
            503,
            r#"{"status":"down","checks":{"redis":"down","qdrant":"3/4"}}"#,
        );
        assert_eq!(
            one_line(&Probe::Answered(r).problems()),
            "qdrant warn: 3/4; redis fail"
        );
        assert_eq!(
            Probe::Unreachable("timed out".into()).problems(),
            [(Status::Unknown, "timed out".to_string())]
        );
    }
}
