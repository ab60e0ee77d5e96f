//! After a restart or rollback, verification also follows the signals of what it touched: the
//! short-window burn of the SLOs the workload serves and the alerts about it, read before the
//! request and again until they clear or the window ends. "api-availability 5m burn 414x ->
//! 3x; ApiHighErrorRate resolved".

use std::time::{Duration, Instant};

use tokio::sync::mpsc::Sender;

use super::error::Progress;
use super::probes::Probes;
use super::target::WorkloadRef;
use crate::alerts::about::About;
use crate::alerts::model::{AlertRow, AlertState};
use crate::slo::Slo;

/// How long signals are followed at most once the rollout is complete (within the
/// verification window): a 5-minute burn takes minutes to fall, and the operator wants the
/// trend, not a stopwatch.
pub const WINDOW: Duration = Duration::from_secs(60);
const EVERY: Duration = Duration::from_secs(5);

/// What was read before the request.
pub struct Watch {
    workload: WorkloadRef,
    slos: Vec<(Slo, Option<f64>)>,
    alerts: Vec<String>,
}

/// Whether an alert is about `w`: the workload itself, one of its pods, its service, or an
/// SLO it serves.
fn about_workload(a: &AlertRow, w: &WorkloadRef, slos: &[&Slo]) -> bool {
    match &a.about {
        About::Workload {
            namespace, name, ..
        } => *namespace == w.namespace && *name == w.name,
        About::Pod { namespace, name } => {
            *namespace == w.namespace && name.starts_with(&format!("{}-", w.name))
        }
        About::Service { name } => *name == w.name,
        About::Slo { name } => slos.iter().any(|s| s.name == *name || s.key() == *name),
        _ => false,
    }
}

/// The names of the alerts firing about `w` now; None when no Alertmanager answered.
async fn firing_about(probes: &Probes, w: &WorkloadRef, slos: &[&Slo]) -> Option<Vec<String>> {
    let (model, _) = probes.alerts().await.ok()?;
    Some(
        model
            .unique()
            .filter(|a| a.state == AlertState::Firing && about_workload(a, w, slos))
            .map(|a| a.name().to_string())
            .collect(),
    )
}

fn burn_text(b: Option<f64>) -> String {
    b.map_or_else(
        || "no data".into(),
        |b| {
            if b < 10.0 {
                format!("{b:.1}x")
            } else {
                format!("{b:.0}x")
            }
        },
    )
}

/// The window label of an SLO's shortest window ("5m").
fn short_window(slo: &Slo) -> String {
    crate::slo::math::windows_for(slo.period)
        .iter()
        .map(|w| w.short)
        .min()
        .map_or_else(
            || "short".into(),
            |d| crate::ui::format::age(d.as_secs() as i64),
        )
}

impl Watch {
    /// Reads the signals of `w` now; None when nothing watched is about it.
    pub async fn start(probes: &Probes, w: &WorkloadRef) -> Option<Watch> {
        let slos: Vec<&Slo> = probes.slos_of(&w.name);
        let mut burns = vec![];
        for slo in &slos {
            if let Ok((_, burn)) = probes.short_burn(slo).await {
                burns.push(((*slo).clone(), burn));
            }
        }
        let alerts = firing_about(probes, w, &slos).await.unwrap_or_default();
        (!burns.is_empty() || !alerts.is_empty()).then(|| Watch {
            workload: w.clone(),
            slos: burns,
            alerts,
        })
    }

    /// Re-reads until every SLO burns under 1x and every alert has resolved, or `until`; what
    /// changed, in one line.
    pub async fn follow(
        &self,
        probes: &Probes,
        until: Instant,
        progress: &Sender<Progress>,
    ) -> String {
        let until = until.min(Instant::now() + WINDOW);
        loop {
            let (line, clear) = self.look(probes).await;
            let _ = progress.send(Progress::Message(line.clone())).await;
            if clear || Instant::now() + EVERY > until {
                return if clear {
                    line
                } else {
                    format!("{line} (not clear after the verification window)")
                };
            }
            tokio::time::sleep(EVERY).await;
        }
    }

    async fn look(&self, probes: &Probes) -> (String, bool) {
        let mut said = vec![];
        let mut clear = true;
        for (slo, before) in &self.slos {
            let now = probes.short_burn(slo).await.ok().and_then(|(_, b)| b);
            clear &= now.is_some_and(|b| b < 1.0);
            said.push(format!(
                "{} {} burn {} -> {}",
                slo.name,
                short_window(slo),
                burn_text(*before),
                burn_text(now)
            ));
        }
        let slos: Vec<&Slo> = self.slos.iter().map(|(s, _)| s).collect();
        let firing = firing_about(probes, &self.workload, &slos)
            .await
            .unwrap_or_else(|| self.alerts.clone());
        for name in &self.alerts {
            let still = firing.contains(name);
            clear &= !still;
            said.push(format!(
                "{name} {}",
                if still { "still firing" } else { "resolved" }
            ));
        }
        (said.join("; "), clear)
    }
}
