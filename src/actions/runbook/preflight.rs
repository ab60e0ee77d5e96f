//! Before a runbook changes anything: every check and wait it holds must name what the config
//! has (a queue, an SLO, a budget, a health entry, an Alertmanager). Waiting cannot make a
//! missing one appear, and finding out after the actions would leave the fix half done.

use std::collections::BTreeMap;

use super::Runbook;
use super::walk::{Driver, Walk};
use crate::actions::ActionError;
use crate::actions::condition::Condition;
use crate::actions::probes::Probes;

/// A step whose condition cannot be read with this config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    /// 1-based.
    pub step: usize,
    /// The step's line in its file.
    pub line: usize,
    /// The condition, parameters filled in.
    pub condition: String,
    pub why: String,
}

impl Unreadable {
    /// "step 4 (line 34): queue-below articles 20: no queue ...".
    pub fn said(&self) -> String {
        format!(
            "step {} (line {}): {}: {}",
            self.step, self.line, self.condition, self.why
        )
    }
}

/// The walk's checks and waits that cannot be read, in step order.
pub fn unreadable(walk: &Walk, probes: &Probes) -> Vec<Unreadable> {
    let namespace = &walk.runbook.namespace;
    walk.stopping_conditions()
        .into_iter()
        .filter_map(|(step, line, condition)| {
            let named = Condition::parse(&condition, namespace).and_then(|c| {
                c.names_what_it_reads(probes).map_err(|e| match e {
                    ActionError::Invalid(why) => why,
                    other => other.to_string(),
                })
            });
            let why = named.err()?;
            Some(Unreadable {
                step,
                line,
                condition,
                why,
            })
        })
        .collect()
}

/// What [`unreadable`] finds in a runbook about to be walked, in words; none when its
/// parameters do not fill in (the walk says that itself).
pub fn unreadable_steps(
    runbook: &Runbook,
    params: &BTreeMap<String, String>,
    probes: &Probes,
) -> Vec<String> {
    let Ok(walk) = Walk::start(runbook.clone(), params, Driver::Console) else {
        return vec![];
    };
    unreadable(&walk, probes)
        .iter()
        .map(Unreadable::said)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queues::QueueSample;

    const BOOK: &str = r#"
name = "t"
namespace = "contentgen"

[[step]]
observe = "queue-below ghost 1"

[[step]]
action = "scale article-generator 5"

[[step]]
wait-until = "queue-below articles 20"
timeout = "1m"

[[step]]
check = "slo-ok api-availability"

[[step]]
check = "pods-ready article-generator"
"#;

    fn walk() -> Walk {
        let book = Runbook::parse(BOOK, "t.toml").expect("parses");
        Walk::start(book, &BTreeMap::new(), Driver::Headless { dry_run: false }).expect("walk")
    }

    #[test]
    fn checks_and_waits_naming_what_the_config_lacks_are_found_observations_are_not() {
        let found = unreadable(&walk(), &Probes::default());
        let said: Vec<String> = found.iter().map(Unreadable::said).collect();
        assert_eq!(
            said,
            vec![
                "step 3 (line 11): queue-below articles 20: no queue \"articles\" in the config (known: none)",
                "step 4 (line 15): slo-ok api-availability: no [prometheus] url in the config",
            ]
        );
    }

    #[test]
    fn a_queue_the_console_reads_in_process_is_known() {
        let probes = Probes {
            in_process: Some(std::sync::Arc::new(|| {
                vec![QueueSample {
                    name: "articles".into(),
                    ..QueueSample::default()
                }]
            })),
            ..Probes::default()
        };
        let found = unreadable(&walk(), &probes);
        assert!(found.iter().all(|u| u.step != 3), "{found:?}");
    }
}
