//! Several simulated clusters at once (`opsdeck sim --clusters N`, `opsdeck demo --clusters N`):
//! each its own world, port and clock, named `sim-1` .. `sim-N` in one kubeconfig. A scenario
//! plays in every cluster, or in the one it names (`--scenario sim-2:bad-rollout`).

use std::net::SocketAddr;
use std::str::FromStr;

use super::{Scenario, SimHandle, SimOptions};

/// `--scenario [CLUSTER:]NAME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioPick {
    /// `sim-2`; None: every cluster.
    pub cluster: Option<String>,
    pub scenario: Scenario,
}

impl FromStr for ScenarioPick {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (cluster, name) = match s.split_once(':') {
            Some((c, n)) => (Some(c.to_string()), n),
            None => (None, s),
        };
        let scenario = name.parse::<Scenario>().map_err(|e| e.to_string())?;
        Ok(ScenarioPick { cluster, scenario })
    }
}

/// Reads `--scenario [CLUSTER:]NAME` for clap: `--help` lists every scenario with its line, a
/// wrong name is refused naming the valid ones.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScenarioPickParser;

impl clap::builder::TypedValueParser for ScenarioPickParser {
    type Value = ScenarioPick;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<ScenarioPick, clap::Error> {
        let text = value.to_string_lossy();
        let (cluster, name) = match text.split_once(':') {
            Some((c, n)) => (Some(c.to_string()), n),
            None => (None, text.as_ref()),
        };
        let scenario = clap::builder::EnumValueParser::<Scenario>::new().parse_ref(
            cmd,
            arg,
            std::ffi::OsStr::new(name),
        )?;
        Ok(ScenarioPick { cluster, scenario })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        use clap::ValueEnum;
        Some(Box::new(
            Scenario::ALL.iter().filter_map(|s| s.to_possible_value()),
        ))
    }
}

/// The name of the i-th cluster (from 1).
pub fn cluster_name(i: usize) -> String {
    format!("sim-{i}")
}

/// The scenario `cluster` plays: the one naming it, else one naming no cluster.
fn scenario_of(picks: &[ScenarioPick], cluster: &str) -> Option<Scenario> {
    let named = picks.iter().find(|p| p.cluster.as_deref() == Some(cluster));
    named
        .or_else(|| picks.iter().find(|p| p.cluster.is_none()))
        .map(|p| p.scenario)
}

/// Checks that every pick names a cluster among `count`.
pub fn check_picks(picks: &[ScenarioPick], count: usize) -> Result<(), String> {
    for p in picks {
        if let Some(c) = &p.cluster
            && !(1..=count).any(|i| cluster_name(i) == *c)
        {
            return Err(format!(
                "--scenario {c}:{}: there is no cluster {c} (sim-1 .. sim-{count})",
                p.scenario.name()
            ));
        }
    }
    Ok(())
}

/// Running sims, by name.
pub struct SimFleet {
    pub sims: Vec<(String, SimHandle)>,
}

impl SimFleet {
    /// Starts `count` sims from `base`; a fixed port in `base.listen` (or `platform_listen`)
    /// is the first cluster's, the next ones take the ports after it.
    pub async fn start(
        count: usize,
        picks: &[ScenarioPick],
        base: SimOptions,
    ) -> std::io::Result<SimFleet> {
        check_picks(picks, count).map_err(std::io::Error::other)?;
        let shift = |addr: SocketAddr, i: usize| {
            let mut a = addr;
            if a.port() != 0 {
                a.set_port(a.port() + u16::try_from(i).unwrap_or(0));
            }
            a
        };
        let mut sims = vec![];
        for i in 0..count.max(1) {
            let name = cluster_name(i + 1);
            let opts = SimOptions {
                listen: shift(base.listen, i),
                platform_listen: base.platform_listen.map(|a| shift(a, i)),
                scenario: scenario_of(picks, &name),
                // One Redis holds one cluster's queues.
                redis: if i == 0 { base.redis.clone() } else { None },
                // A proxy listens on a fixed address: the first cluster's.
                proxies: if i == 0 { base.proxies.clone() } else { vec![] },
                ..base.clone()
            };
            sims.push((name, super::start(opts).await?));
        }
        Ok(SimFleet { sims })
    }

    /// One kubeconfig with a context per cluster; the first is current.
    pub fn kubeconfig_yaml(&self) -> String {
        let named: Vec<(&str, &SimHandle)> =
            self.sims.iter().map(|(n, s)| (n.as_str(), s)).collect();
        SimHandle::kubeconfig_of(&named)
    }

    pub async fn stop(self) {
        for (_, sim) in self.sims {
            sim.stop().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pick_names_its_cluster_or_every_one() {
        let picks: Vec<ScenarioPick> = ["sim-2:bad-rollout", "crashloop"]
            .iter()
            .map(|s| s.parse().expect("pick"))
            .collect();
        assert_eq!(scenario_of(&picks, "sim-2"), Some(Scenario::BadRollout));
        assert_eq!(scenario_of(&picks, "sim-1"), Some(Scenario::Crashloop));
        assert!(check_picks(&picks, 3).is_ok());
        let err = check_picks(&picks, 1).unwrap_err();
        assert!(err.contains("no cluster sim-2"), "{err}");
        assert!("sim-2:nope".parse::<ScenarioPick>().is_err());
    }
}
