//! Silences as actions use them: drafting one (the matchers, the alerts it would silence now,
//! the exact JSON for each instance), reading it back until Alertmanager applies it, expiring
//! one, and sending a planned call to the instance it names.

use std::time::Duration;

use tokio::sync::mpsc::Sender;

use super::error::{ActionError, Progress};
use super::plan::{Api, Change, Draft, PlannedCall};
use super::probes::Probes;
use super::verb::{Cx, Subject};
use super::verify::poll;
use crate::alerts::client::Alertmanager;
use crate::alerts::matcher::{all_match, show_all};
use crate::alerts::model::{AlertState, AlertsModel, unix};
use crate::alerts::wire::{Matcher, PostableSilence};

/// Silence verbs act on the configured Alertmanagers; a typed confirmation asks for "silence".
pub fn subject(target: String) -> Subject<'static> {
    Subject::Alertmanager {
        target,
        name: "silence".into(),
    }
}

/// Alert names listed in a plan before "+N more".
const LISTED: usize = 8;

fn writable(probes: &Probes) -> Result<Vec<&Alertmanager>, ActionError> {
    if probes.alertmanagers.is_empty() {
        return Err(ActionError::Invalid(
            "no [[alertmanager]] in the config".into(),
        ));
    }
    let writable: Vec<&Alertmanager> = probes
        .alertmanagers
        .iter()
        .filter(|a| !a.readonly())
        .collect();
    if writable.is_empty() {
        let names: Vec<&str> = probes
            .alertmanagers
            .iter()
            .map(Alertmanager::name)
            .collect();
        return Err(ActionError::Readonly(format!(
            "every Alertmanager is read-only in the config ({}): silences are refused",
            names.join(", ")
        )));
    }
    Ok(writable)
}

fn instance<'a>(probes: &'a Probes, name: &str) -> Result<&'a Alertmanager, ActionError> {
    probes
        .alertmanagers
        .iter()
        .find(|a| a.name() == name)
        .ok_or_else(|| ActionError::Invalid(format!("no [[alertmanager]] named {name:?}")))
}

/// Sends one planned call to the instance it names; a read-only instance refuses here too.
pub async fn send(
    probes: &Probes,
    name: &str,
    method: &str,
    path: &str,
    body: &str,
) -> Result<u16, ActionError> {
    let am = instance(probes, name)?;
    if am.readonly() {
        return Err(ActionError::Readonly(format!(
            "alertmanager {name} is read-only in the config"
        )));
    }
    let body = (!body.is_empty()).then_some(body);
    am.send_planned(method, path, body)
        .await
        .map(|(status, _)| status)
        .map_err(|e| ActionError::Api(format!("alertmanager {name}: {e}")))
}

/// "ApiHighErrorRate (deploy contentgen/api), KubePodCrashLooping (...) +3 more".
fn names(alerts: &[&crate::alerts::model::AlertRow]) -> String {
    let mut shown: Vec<String> = alerts
        .iter()
        .take(LISTED)
        .map(|a| match a.about.describe() {
            about if about.is_empty() => a.name().to_string(),
            about => format!("{} ({about})", a.name()),
        })
        .collect();
    if alerts.len() > LISTED {
        shown.push(format!("+{} more", alerts.len() - LISTED));
    }
    shown.join(", ")
}

/// The instances that did not answer, as a warning.
fn unanswered(failed: &[String]) -> Option<String> {
    (!failed.is_empty()).then(|| {
        format!(
            "not sent to an instance that did not answer: {}",
            failed.join("; ")
        )
    })
}

/// The instances a silence is posted to: one per Alertmanager cluster (peers share silences by
/// gossip, and a silence posted to each would be held twice), with a word for each left out.
async fn one_per_cluster(instances: Vec<&Alertmanager>) -> (Vec<&Alertmanager>, Vec<String>) {
    let statuses = futures::future::join_all(instances.iter().map(|am| am.status())).await;
    let mut chosen: Vec<(&Alertmanager, Vec<String>)> = vec![];
    let mut said = vec![];
    for (am, status) in instances.into_iter().zip(statuses) {
        // Gossip off, or no status: an instance of its own.
        let peers: Vec<String> = match status {
            Ok(s) if s.cluster.status != "disabled" && !s.cluster.name.is_empty() => s
                .cluster
                .peers
                .iter()
                .map(|p| p.name.clone())
                .chain(std::iter::once(s.cluster.name.clone()))
                .collect(),
            _ => vec![],
        };
        match chosen
            .iter()
            .find(|(_, theirs)| peers.iter().any(|p| theirs.contains(p)))
        {
            Some((first, _)) => said.push(format!(
                "alertmanager {} is a peer of {} in one cluster: it gets the silence by gossip",
                am.name(),
                first.name()
            )),
            None => chosen.push((am, peers)),
        }
    }
    (chosen.into_iter().map(|(am, _)| am).collect(), said)
}

/// A silence of `matchers` for `duration`, posted to every writable instance that answers
/// (one per cluster).
pub async fn draft_silence(
    cx: &Cx<'_>,
    matchers: &[Matcher],
    duration: Duration,
    comment: &str,
) -> Result<Draft, ActionError> {
    let writable = writable(cx.probes)?;
    let (model, failed) = cx.probes.alerts().await?;
    let now = jiff::Timestamp::now();
    let ends = now + jiff::SignedDuration::try_from(duration).unwrap_or_default();
    let body = PostableSilence {
        id: None,
        matchers: matchers.to_vec(),
        starts_at: now.to_string(),
        ends_at: ends.to_string(),
        created_by: cx.operator.to_string(),
        comment: comment.to_string(),
    };
    let json = serde_json::to_string(&body).map_err(|e| ActionError::Invalid(e.to_string()))?;
    let matched: Vec<_> = model.matching(matchers).collect();
    let firing: Vec<_> = matched
        .iter()
        .copied()
        .filter(|a| a.state == AlertState::Firing)
        .collect();
    let mut d = Draft::default();
    d.changes.push(Change {
        what: "silence".into(),
        before: "none".into(),
        after: format!(
            "{} for {} (until {} UTC)",
            show_all(matchers),
            crate::ui::format::age(duration.as_secs() as i64),
            ends.strftime("%Y-%m-%d %H:%M")
        ),
    });
    d.changes.push(Change {
        what: "alerts it matches now".into(),
        before: format!("{} firing", firing.len()),
        after: if matched.is_empty() {
            "none".into()
        } else {
            format!("{} silenced: {}", matched.len(), names(&matched))
        },
    });
    if matched.is_empty() {
        d.warnings
            .push("it matches no alert now: it will silence only alerts that fire later".into());
    }
    let failed_names: Vec<&str> = failed
        .iter()
        .filter_map(|f| f.split_once(':').map(|(n, _)| n))
        .collect();
    d.warnings.extend(unanswered(&failed));
    for am in &cx.probes.alertmanagers {
        if am.readonly() {
            d.warnings.push(format!(
                "alertmanager {} is read-only in the config: not sent there",
                am.name()
            ));
        }
    }
    let answering: Vec<&Alertmanager> = writable
        .iter()
        .copied()
        .filter(|a| !failed_names.contains(&a.name()))
        .collect();
    let (targets, peers) = one_per_cluster(answering).await;
    d.warnings.extend(peers);
    for am in targets {
        d.calls.push(PlannedCall {
            api: Api::Alertmanager(am.name().to_string()),
            method: "POST".into(),
            path: "/api/v2/silences".into(),
            content_type: "application/json".into(),
            body: json.clone(),
        });
    }
    if d.calls.is_empty() {
        return Err(ActionError::Api("no writable Alertmanager answered".into()));
    }
    Ok(d)
}

/// Reads the silence back from every instance it went to until it is active there and the
/// alerts it matches are suppressed by it. The id is the one Alertmanager kept (an update
/// that changed the matchers comes back with a new one).
pub async fn verify_silence(
    cx: &Cx<'_>,
    matchers: &[Matcher],
    comment: &str,
    progress: &Sender<Progress>,
) -> Result<String, ActionError> {
    let _ = progress
        .send(Progress::Message("reading the silence back".into()))
        .await;
    let writable = writable(cx.probes)?;
    poll(cx.verify_timeout, || async {
        let mut seen = vec![];
        let mut done = true;
        for am in &writable {
            let silences = am.silences().await.map_err(|e| am_err(am, e))?;
            let mine = silences
                .iter()
                .filter(|s| {
                    s.status.state == "active"
                        && s.created_by == cx.operator
                        && s.comment == comment
                        && same_matchers(&s.matchers, matchers)
                })
                .max_by_key(|s| unix(&s.updated_at));
            let Some(silence) = mine else {
                done = false;
                seen.push(format!("{}: no active silence yet", am.name()));
                continue;
            };
            let alerts = am.alerts(matchers).await.map_err(|e| am_err(am, e))?;
            let matched: Vec<_> = alerts
                .iter()
                .filter(|a| all_match(matchers, &a.labels))
                .collect();
            let suppressed = matched
                .iter()
                .filter(|a| a.status.silenced_by.contains(&silence.id))
                .count();
            done &= suppressed == matched.len();
            let short: String = silence.id.chars().take(8).collect();
            seen.push(format!(
                "{}: silence {short} active, {suppressed}/{} matching alerts suppressed",
                am.name(),
                matched.len()
            ));
        }
        Ok((done, seen.join("; ")))
    })
    .await
}

fn same_matchers(a: &[Matcher], b: &[Matcher]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort();
    b.sort();
    a == b
}

fn am_err(am: &Alertmanager, e: crate::alerts::client::AmError) -> ActionError {
    ActionError::Api(format!("alertmanager {}: {e}", am.name()))
}

/// The silence an id names, as every instance holds it (its own id on each).
fn find<'m>(model: &'m AlertsModel, id: &str) -> Option<&'m crate::alerts::model::SilenceRow> {
    model.silences().iter().find(|s| {
        s.ids
            .iter()
            .any(|(_, i)| i == id || i.starts_with(id) && id.len() >= 8)
    })
}

/// `DELETE /api/v2/silence/{id}` on each instance holding the silence; nothing to do when it
/// has expired already.
pub async fn draft_expire(cx: &Cx<'_>, id: &str) -> Result<Draft, ActionError> {
    writable(cx.probes)?;
    let (model, failed) = cx.probes.alerts().await?;
    let Some(silence) = find(&model, id) else {
        return Err(ActionError::NotFound(format!(
            "no silence {id} in any Alertmanager that answered"
        )));
    };
    let mut d = Draft::default();
    if silence.state == "expired" {
        d.noop = Some(format!("silence {id} has expired already"));
        return Ok(d);
    }
    let freed: Vec<_> = model
        .matching(&silence.matchers)
        .filter(|a| {
            a.silenced_by
                .iter()
                .any(|s| silence.ids.iter().any(|(_, i)| i == s))
        })
        .collect();
    d.changes.push(Change {
        what: format!("silence {}", show_all(&silence.matchers)),
        before: silence.state.clone(),
        after: "expired".into(),
    });
    d.changes.push(Change {
        what: "alerts it silences now".into(),
        before: format!("{} silenced", freed.len()),
        after: if freed.is_empty() {
            "none".into()
        } else {
            format!("notify again: {}", names(&freed))
        },
    });
    d.warnings.extend(unanswered(&failed));
    let mut sent: Vec<&str> = vec![];
    for (name, own_id) in &silence.ids {
        // Peers of one cluster hold the same silence under the same id: expire it once.
        if sent.contains(&own_id.as_str()) {
            continue;
        }
        let am = instance(cx.probes, name)?;
        if am.readonly() {
            d.warnings.push(format!(
                "alertmanager {name} is read-only in the config: not expired there"
            ));
            continue;
        }
        sent.push(own_id);
        d.calls.push(PlannedCall {
            api: Api::Alertmanager(name.clone()),
            method: "DELETE".into(),
            path: format!("/api/v2/silence/{own_id}"),
            content_type: "application/json".into(),
            body: String::new(),
        });
    }
    if d.calls.is_empty() {
        return Err(ActionError::Readonly(format!(
            "silence {id} is held only by read-only Alertmanagers"
        )));
    }
    Ok(d)
}

/// Re-reads the silence on each instance until it says expired.
pub async fn verify_expired(
    cx: &Cx<'_>,
    id: &str,
    progress: &Sender<Progress>,
) -> Result<String, ActionError> {
    let _ = progress
        .send(Progress::Message("reading the silence back".into()))
        .await;
    poll(cx.verify_timeout, || async {
        let (model, _) = cx.probes.alerts().await?;
        let Some(named) = find(&model, id) else {
            return Ok((false, format!("silence {id} is not listed")));
        };
        // Expiring moves endsAt, so each instance's copy is found by what did not change.
        let copies: Vec<_> = model
            .silences()
            .iter()
            .filter(|s| {
                s.matchers == named.matchers
                    && s.created_by == named.created_by
                    && s.comment == named.comment
                    && (s.starts_at - named.starts_at).abs() <= 60
            })
            .collect();
        let live: Vec<String> = copies
            .iter()
            .filter(|s| s.state != "expired")
            .flat_map(|s| s.instances())
            .map(str::to_string)
            .collect();
        let seen = if live.is_empty() {
            format!("silence {id} expired on {}", named.instances().join(", "))
        } else {
            format!("silence {id} still {} on {}", named.state, live.join(", "))
        };
        Ok((live.is_empty(), seen))
    })
    .await
}
