//! The contract's command stream (one JSON object a line) as typed commands, and the event log
//! they leave. A command is built in Rust from the contract's own types ([`NeedData`],
//! [`ResourceData`], [`Policy`]) or read from a line by [`super::Ledger::parse`]; either way
//! it is written back in one canonical JSON form, which is what the event log holds and what
//! an idempotency key remembers.

use super::rules::Points;
use crate::contract::{NeedData, ResourceData, WindowData};
use crate::model::Policy;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// One command: when (`at`, `YYYY-MM-DDTHH:MM:SS`), who (`by`), an optional idempotency key
/// from the client, and what.
///
/// ```
/// use duijie::orders::{Action, Command};
/// let c = Command::new("2026-12-01T08:00:00", "clock", Action::Tick).with_key("t-1");
/// assert_eq!(
///     c.to_json(),
///     r#"{"cmd":"tick","at":"2026-12-01T08:00:00","by":"clock","key":"t-1"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// When, as written.
    pub at: String,
    /// Who acts.
    pub by: String,
    /// The client's idempotency key: a retry with the same key and body changes nothing.
    pub key: Option<String>,
    /// What.
    pub action: Action,
}

/// What a command does; the names follow the contract's `cmd` values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// 居民点单: a new order from a need object.
    Post {
        /// The need, as in an instance.
        need: NeedData,
    },
    /// 社区交单: list (and dispatch) or reject.
    Review {
        /// Order id.
        order: String,
        /// List it (`true`) or reject it.
        approve: bool,
        /// Why.
        reason: Option<String>,
    },
    /// 承诺接单: the offer becomes an accepted ticket.
    Accept {
        /// Order id.
        order: String,
        /// Resource id.
        resource: String,
    },
    /// 拒单: the offer is dropped and its units re-dispatched.
    Decline {
        /// Order id.
        order: String,
        /// Resource id.
        resource: String,
        /// Why.
        reason: Option<String>,
    },
    /// 认领: an accepted ticket for open or offered units.
    Claim {
        /// Order id.
        order: String,
        /// Resource id.
        resource: String,
        /// Units.
        quantity: i64,
    },
    /// 共同议单: the accepted ticket gets its schedule.
    Agree {
        /// Order id.
        order: String,
        /// Resource id.
        resource: String,
        /// The agreed schedule.
        schedule: String,
        /// A note.
        note: Option<String>,
    },
    /// 完成结单: the ticket is done.
    Complete {
        /// Order id.
        order: String,
        /// Resource id.
        resource: String,
    },
    /// 评单: the completed order's rating, once.
    Rate {
        /// Order id.
        order: String,
        /// 1–5.
        score: i64,
        /// A comment.
        comment: Option<String>,
    },
    /// 退单: an accepted ticket is given back.
    Withdraw {
        /// Order id.
        order: String,
        /// Resource id.
        resource: String,
        /// Why.
        reason: Option<String>,
    },
    /// 撤单: the order and its open tickets end.
    Cancel {
        /// Order id.
        order: String,
        /// Why.
        reason: Option<String>,
    },
    /// 结单 with units unserved: the order ends; its units not done are given up (offers
    /// withdrawn, accepted tickets released) and recorded as such.
    Close {
        /// Order id.
        order: String,
        /// Why.
        reason: Option<String>,
    },
    /// Time passes: old offers expire and are re-dispatched; completed orders whose rating
    /// window has passed leave the working set.
    Tick,
    /// 报到: a new resource.
    Join {
        /// The resource, as in an instance.
        resource: ResourceData,
    },
    /// New terms for a resource from now on.
    Update {
        /// Resource id.
        resource: String,
        /// The terms that change.
        change: ResourceChange,
    },
    /// 调动, 退出: the resource is gone.
    Leave {
        /// Resource id.
        resource: String,
        /// Why.
        reason: Option<String>,
    },
    /// A new value model from now on (the whole policy object, as in an instance).
    SetPolicy {
        /// The policy (boxed: a policy is large beside the other commands).
        policy: Box<Policy>,
    },
    /// New points rules from now on.
    SetPoints {
        /// The rules.
        points: Points,
    },
}

/// The terms an `update` changes; `None` keeps a term as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResourceChange {
    /// Units it can give in all (accepted, agreed and done units included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
    /// Areas it serves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serves: Option<Vec<String>>,
    /// Categories it serves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    /// Skills it has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skills: Option<Vec<String>>,
    /// When it is available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowData>,
    /// Cost of one unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<i64>,
}

impl ResourceChange {
    /// The JSON field names, in order.
    pub(crate) const FIELDS: [&'static str; 6] = [
        "capacity",
        "serves",
        "categories",
        "skills",
        "window",
        "unit_cost",
    ];
}

impl Command {
    /// A command without a key.
    pub fn new(at: impl Into<String>, by: impl Into<String>, action: Action) -> Command {
        Command {
            at: at.into(),
            by: by.into(),
            key: None,
            action,
        }
    }

    /// The same command with an idempotency key.
    pub fn with_key(mut self, key: impl Into<String>) -> Command {
        self.key = Some(key.into());
        self
    }

    /// The contract's `cmd` name.
    pub fn name(&self) -> &'static str {
        self.action.name()
    }

    /// The command as one line of compact JSON (its canonical form).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The canonical form without the key: what a retry must repeat exactly.
    pub(crate) fn body(&self) -> String {
        serde_json::to_string(&Body(self, false)).unwrap_or_default()
    }

    /// The order the command names, if any.
    pub fn order(&self) -> Option<&str> {
        match &self.action {
            Action::Review { order, .. }
            | Action::Accept { order, .. }
            | Action::Decline { order, .. }
            | Action::Claim { order, .. }
            | Action::Agree { order, .. }
            | Action::Complete { order, .. }
            | Action::Rate { order, .. }
            | Action::Withdraw { order, .. }
            | Action::Cancel { order, .. }
            | Action::Close { order, .. } => Some(order),
            Action::Post { need } => Some(&need.id),
            _ => None,
        }
    }

    /// The resource the command names, if any.
    pub fn resource(&self) -> Option<&str> {
        match &self.action {
            Action::Accept { resource, .. }
            | Action::Decline { resource, .. }
            | Action::Claim { resource, .. }
            | Action::Agree { resource, .. }
            | Action::Complete { resource, .. }
            | Action::Withdraw { resource, .. }
            | Action::Update { resource, .. }
            | Action::Leave { resource, .. } => Some(resource),
            Action::Join { resource } => Some(&resource.id),
            _ => None,
        }
    }
}

impl Action {
    /// The contract's `cmd` name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Post { .. } => "post",
            Action::Review { .. } => "review",
            Action::Accept { .. } => "accept",
            Action::Decline { .. } => "decline",
            Action::Claim { .. } => "claim",
            Action::Agree { .. } => "agree",
            Action::Complete { .. } => "complete",
            Action::Rate { .. } => "rate",
            Action::Withdraw { .. } => "withdraw",
            Action::Cancel { .. } => "cancel",
            Action::Close { .. } => "close",
            Action::Tick => "tick",
            Action::Join { .. } => "join",
            Action::Update { .. } => "update",
            Action::Leave { .. } => "leave",
            Action::SetPolicy { .. } => "set_policy",
            Action::SetPoints { .. } => "set_points",
        }
    }

    /// Every `cmd` name, and the fields each takes besides `cmd`, `at`, `by` and `key`
    /// (required ones first, then optional ones after `|`).
    pub(crate) const SHAPES: [(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    ); 17] = [
        ("post", &["need"], &[]),
        ("review", &["order", "approve"], &["reason"]),
        ("accept", &["order", "resource"], &[]),
        ("decline", &["order", "resource"], &["reason"]),
        ("claim", &["order", "resource", "quantity"], &[]),
        ("agree", &["order", "resource", "schedule"], &["note"]),
        ("complete", &["order", "resource"], &[]),
        ("rate", &["order", "score"], &["comment"]),
        ("withdraw", &["order", "resource"], &["reason"]),
        ("cancel", &["order"], &["reason"]),
        ("close", &["order"], &["reason"]),
        ("tick", &[], &[]),
        ("join", &["resource"], &[]),
        (
            "update",
            &["resource"],
            &[
                "capacity",
                "serves",
                "categories",
                "skills",
                "window",
                "unit_cost",
            ],
        ),
        ("leave", &["resource"], &["reason"]),
        ("set_policy", &["policy"], &[]),
        ("set_points", &["points"], &[]),
    ];
}

/// A command written with or without its key.
struct Body<'a>(&'a Command, bool);

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("cmd", c.name())?;
        m.serialize_entry("at", &c.at)?;
        m.serialize_entry("by", &c.by)?;
        if let (Some(key), true) = (&c.key, self.1) {
            m.serialize_entry("key", key)?;
        }
        let opt = |m: &mut S::SerializeMap, k: &str, v: &Option<String>| match v {
            Some(v) => m.serialize_entry(k, v),
            None => Ok(()),
        };
        match &c.action {
            Action::Post { need } => m.serialize_entry("need", need)?,
            Action::Review {
                order,
                approve,
                reason,
            } => {
                m.serialize_entry("order", order)?;
                m.serialize_entry("approve", approve)?;
                opt(&mut m, "reason", reason)?;
            }
            Action::Accept { order, resource } | Action::Complete { order, resource } => {
                m.serialize_entry("order", order)?;
                m.serialize_entry("resource", resource)?;
            }
            Action::Decline {
                order,
                resource,
                reason,
            }
            | Action::Withdraw {
                order,
                resource,
                reason,
            } => {
                m.serialize_entry("order", order)?;
                m.serialize_entry("resource", resource)?;
                opt(&mut m, "reason", reason)?;
            }
            Action::Claim {
                order,
                resource,
                quantity,
            } => {
                m.serialize_entry("order", order)?;
                m.serialize_entry("resource", resource)?;
                m.serialize_entry("quantity", quantity)?;
            }
            Action::Agree {
                order,
                resource,
                schedule,
                note,
            } => {
                m.serialize_entry("order", order)?;
                m.serialize_entry("resource", resource)?;
                m.serialize_entry("schedule", schedule)?;
                opt(&mut m, "note", note)?;
            }
            Action::Rate {
                order,
                score,
                comment,
            } => {
                m.serialize_entry("order", order)?;
                m.serialize_entry("score", score)?;
                opt(&mut m, "comment", comment)?;
            }
            Action::Cancel { order, reason } | Action::Close { order, reason } => {
                m.serialize_entry("order", order)?;
                opt(&mut m, "reason", reason)?;
            }
            Action::Tick => {}
            Action::Join { resource } => m.serialize_entry("resource", resource)?,
            Action::Update { resource, change } => {
                m.serialize_entry("resource", resource)?;
                if let Some(v) = &change.capacity {
                    m.serialize_entry("capacity", v)?;
                }
                if let Some(v) = &change.serves {
                    m.serialize_entry("serves", v)?;
                }
                if let Some(v) = &change.categories {
                    m.serialize_entry("categories", v)?;
                }
                if let Some(v) = &change.skills {
                    m.serialize_entry("skills", v)?;
                }
                if let Some(v) = &change.window {
                    m.serialize_entry("window", v)?;
                }
                if let Some(v) = &change.unit_cost {
                    m.serialize_entry("unit_cost", v)?;
                }
            }
            Action::Leave { resource, reason } => {
                m.serialize_entry("resource", resource)?;
                opt(&mut m, "reason", reason)?;
            }
            Action::SetPolicy { policy } => m.serialize_entry("policy", policy)?,
            Action::SetPoints { points } => m.serialize_entry("points", points)?,
        }
        m.end()
    }
}

/// The command's canonical JSON object: `cmd`, `at`, `by`, `key` if any, then its fields.
impl Serialize for Command {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Body(self, true).serialize(s)
    }
}

/// One accepted command, numbered from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Sequence number, contiguous from 1.
    pub seq: u64,
    /// The command.
    pub command: Command,
}

impl Event {
    /// The event as one line of the log (without the line break).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
