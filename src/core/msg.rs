//! What flows into `update` (Msg: keys, ticks, data that arrived) and what comes out of it
//! (Effect: work for the event loop to run).

use crossterm::event::KeyEvent;

use crate::cluster::logs::{LogMsg, LogTarget};
use crate::cluster::model::ClusterMsg;
use crate::cluster::source::Namespaces;

#[derive(Clone, Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resized {
        width: u16,
        height: u16,
    },
    /// The clock moved (unix seconds).
    Ticked(i64),
    Cluster(ClusterMsg),
    Logs(LogMsg),
}

impl From<ClusterMsg> for Msg {
    fn from(m: ClusterMsg) -> Self {
        Msg::Cluster(m)
    }
}

impl From<LogMsg> for Msg {
    fn from(m: LogMsg) -> Self {
        Msg::Logs(m)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// Start following a pod's log; messages carry `session`.
    FollowLogs {
        target: LogTarget,
        session: u64,
    },
    StopLogs,
    /// Restart every watch on other namespaces.
    Rewatch(Namespaces),
}
