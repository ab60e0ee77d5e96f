//! Alertmanager v2's JSON (api/v2/openapi.yaml, 0.25 to 0.34), trimmed to what the console
//! reads and writes. No maintained Rust client exists; these are the shapes on the wire.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub type Labels = BTreeMap<String, String>;

/// One alert as `GET /api/v2/alerts` and the groups list it.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub labels: Labels,
    #[serde(default)]
    pub annotations: Labels,
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: String,
    #[serde(default)]
    pub fingerprint: String,
    #[serde(default)]
    pub receivers: Vec<Receiver>,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: String,
    pub status: AlertStatus,
}

/// `state` is active, suppressed (silenced or inhibited) or unprocessed.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertStatus {
    pub state: String,
    #[serde(default)]
    pub silenced_by: Vec<String>,
    #[serde(default)]
    pub inhibited_by: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Receiver {
    pub name: String,
}

/// `GET /api/v2/alerts/groups`: the route's `group_by` labels, one group per receiver.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct AlertGroup {
    pub labels: Labels,
    pub receiver: Receiver,
    pub alerts: Vec<Alert>,
}

/// A silence's matcher; `isEqual` is absent before 0.22 (and means true).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

/// `GET /api/v2/silences` and `GET /api/v2/silence/{id}`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Silence {
    pub id: String,
    pub status: SilenceStatus,
    #[serde(default)]
    pub updated_at: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: String,
    pub ends_at: String,
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
}

/// expired, active or pending.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct SilenceStatus {
    pub state: String,
}

/// The body of `POST /api/v2/silences`; with an `id` it updates that silence (or, when the
/// matchers changed, expires it and answers a new id).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostableSilence {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub matchers: Vec<Matcher>,
    pub starts_at: String,
    pub ends_at: String,
    pub created_by: String,
    pub comment: String,
}

/// `GET /api/v2/status`, the part that says which cluster an instance gossips in.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct AmStatus {
    pub cluster: ClusterStatus,
}

/// Its own peer name, and every peer it gossips with (itself included); `status` is
/// "disabled" when gossip is off.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ClusterStatus {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub peers: Vec<Peer>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Peer {
    pub name: String,
    #[serde(default)]
    pub address: String,
}

/// The answer to `POST /api/v2/silences`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct SilenceCreated {
    #[serde(rename = "silenceID")]
    pub silence_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_group_as_alertmanager_0_25_writes_it() {
        let body = r#"[{"alerts":[{"annotations":{"summary":"5xx"},"endsAt":"2026-12-02T12:05:00.000Z",
          "fingerprint":"c0ffee","receivers":[{"name":"opsdeck"}],"startsAt":"2026-12-02T11:58:00.000Z",
          "status":{"inhibitedBy":[],"silencedBy":["abc"],"state":"suppressed"},"updatedAt":"2026-12-02T12:00:00.000Z",
          "generatorURL":"http://prom/graph","labels":{"alertname":"ApiHighErrorRate","severity":"page"}}],
          "labels":{"alertname":"ApiHighErrorRate"},"receiver":{"name":"opsdeck"}}]"#;
        let groups: Vec<AlertGroup> = serde_json::from_str(body).expect("parses");
        let a = &groups[0].alerts[0];
        assert_eq!(a.status.state, "suppressed");
        assert_eq!(a.status.silenced_by, ["abc"]);
        assert_eq!(a.labels["severity"], "page");
        assert_eq!(a.generator_url, "http://prom/graph");
    }

    #[test]
    fn a_matcher_without_is_equal_is_an_equality() {
        let m: Matcher =
            serde_json::from_str(r#"{"name":"a","value":"b","isRegex":false}"#).expect("parses");
        assert!(m.is_equal);
        let posted = PostableSilence {
            id: None,
            matchers: vec![m],
            starts_at: "s".into(),
            ends_at: "e".into(),
            created_by: "me".into(),
            comment: "c".into(),
        };
        let text = serde_json::to_string(&posted).expect("serializes");
        assert!(
            text.contains("\"isEqual\":true") && !text.contains("\"id\""),
            "{text}"
        );
        assert!(text.contains("\"createdBy\":\"me\""), "{text}");
    }
}
