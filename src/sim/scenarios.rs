//! The incidents the simulated platform can play (`--scenario NAME`), by name.

use std::fmt;
use std::str::FromStr;

/// One incident from PLATFORM.md that the world plays out live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    BadRollout,
    QueueBacklog,
    PipelineStuck,
    CostSpike,
    Crashloop,
    NodeNotReady,
}

impl Scenario {
    pub const ALL: [Scenario; 6] = [
        Scenario::BadRollout,
        Scenario::QueueBacklog,
        Scenario::PipelineStuck,
        Scenario::CostSpike,
        Scenario::Crashloop,
        Scenario::NodeNotReady,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::BadRollout => "bad-rollout",
            Scenario::QueueBacklog => "queue-backlog",
            Scenario::PipelineStuck => "pipeline-stuck",
            Scenario::CostSpike => "cost-spike",
            Scenario::Crashloop => "crashloop",
            Scenario::NodeNotReady => "node-notready",
        }
    }

    /// One line for `--help`: what the incident looks like and what fixes it.
    pub fn describe(self) -> &'static str {
        match self {
            Scenario::BadRollout => "api gets a new revision that returns 5xx; roll it back",
            Scenario::QueueBacklog => {
                "traffic spike; articles outgrows article-generator, whose HPA adds a pod a minute: scale it up"
            }
            Scenario::PipelineStuck => {
                "an article-generator worker hangs: no logs, readiness failing, its pipeline runs go stuck"
            }
            Scenario::CostSpike => {
                "a prompt loop multiplies LLM tokens; the daily budget is crossed"
            }
            Scenario::Crashloop => "fact-checker is OOMKilled on start; restarts climb",
            Scenario::NodeNotReady => {
                "pool-general-3 goes NotReady; its pods go unready, then are rescheduled"
            }
        }
    }
}

/// `--scenario NAME` on the command line: clap lists every scenario with its line in `--help`
/// and names the valid ones when a name is wrong.
impl clap::ValueEnum for Scenario {
    fn value_variants<'a>() -> &'a [Self] {
        &Scenario::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.describe()))
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name given matched no scenario.
#[derive(Debug, thiserror::Error)]
#[error("unknown scenario {given:?}; valid: {}", valid_names())]
pub struct UnknownScenario {
    pub given: String,
}

fn valid_names() -> String {
    Scenario::ALL.map(Scenario::name).join(", ")
}

impl FromStr for Scenario {
    type Err = UnknownScenario;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .into_iter()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| UnknownScenario {
                given: s.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_errors_list_valid_names() {
        for sc in Scenario::ALL {
            assert_eq!(sc.name().parse::<Scenario>().unwrap(), sc);
        }
        let err = "nope".parse::<Scenario>().unwrap_err().to_string();
        assert!(
            err.contains("bad-rollout") && err.contains("node-notready"),
            "{err}"
        );
    }
}
