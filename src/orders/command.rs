//! The contract's command stream (one JSON object a line) and the event log it leaves.

use serde::{Deserialize, Serialize};

/// One command of the contract's JSON Lines stream.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case", deny_unknown_fields)]
#[allow(missing_docs)]
#[non_exhaustive]
pub enum Command {
    /// 居民点单: a new order from a need object (read like a need of an instance; a repeated
    /// key inside it is not detected here, the last one counts).
    Post {
        at: String,
        by: String,
        need: serde_json::Value,
    },
    /// 社区交单: list (and dispatch) or reject.
    Review {
        at: String,
        by: String,
        order: String,
        approve: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// 承诺接单: the offer becomes an accepted ticket.
    Accept {
        at: String,
        by: String,
        order: String,
        resource: String,
    },
    /// 拒单: the offer is dropped and its units re-dispatched.
    Decline {
        at: String,
        by: String,
        order: String,
        resource: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// 认领: an accepted ticket for open or offered units.
    Claim {
        at: String,
        by: String,
        order: String,
        resource: String,
        quantity: i64,
    },
    /// 共同议单: the accepted ticket gets its schedule.
    Agree {
        at: String,
        by: String,
        order: String,
        resource: String,
        schedule: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// 完成结单: the ticket is done.
    Complete {
        at: String,
        by: String,
        order: String,
        resource: String,
    },
    /// 评单: the completed order's rating, once.
    Rate {
        at: String,
        by: String,
        order: String,
        score: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// 退单: an accepted ticket is given back.
    Withdraw {
        at: String,
        by: String,
        order: String,
        resource: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// 撤单: the order and its open tickets end.
    Cancel {
        at: String,
        by: String,
        order: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Time passes: old offers expire and are re-dispatched.
    Tick { at: String, by: String },
}

impl Command {
    /// The command's time, as written.
    pub fn at(&self) -> &str {
        match self {
            Command::Post { at, .. }
            | Command::Review { at, .. }
            | Command::Accept { at, .. }
            | Command::Decline { at, .. }
            | Command::Claim { at, .. }
            | Command::Agree { at, .. }
            | Command::Complete { at, .. }
            | Command::Rate { at, .. }
            | Command::Withdraw { at, .. }
            | Command::Cancel { at, .. }
            | Command::Tick { at, .. } => at,
        }
    }
}

/// One accepted command, numbered from 1.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Sequence number, contiguous from 1.
    pub seq: u64,
    /// The command.
    pub command: Command,
}
