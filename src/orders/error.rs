//! Why a command or an event log was refused, each with a stable code.

use super::state::{OrderState, TicketState};
use crate::solve::{LiveError, ProofError, SolveError};
use crate::validate::Problems;
use std::fmt;

/// Why a command was rejected. Nothing changed. [`Rejection::code`] gives a stable
/// machine-readable code; the message is for people.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// Not a command of the contract: not JSON, or fields missing, unknown, repeated or of the
    /// wrong type; every problem with its code and path.
    #[error("malformed command: {}", OneLine(.0))]
    Malformed(Problems),
    /// A `cmd` the contract does not know.
    #[error("unknown command {c_0:?}", c_0 = crate::validate::clip_id(.0))]
    UnknownCommand(String),
    /// The key was accepted before with another body.
    #[error("key {c_key:?} was used for another command (seq {seq})", c_key = crate::validate::clip_id(.key))]
    KeyReused {
        /// The key.
        key: String,
        /// The sequence number of the command that used it.
        seq: u64,
    },
    /// `at` is not a time, or earlier than the previous command's.
    #[error("time {at:?}: {fault}")]
    Time {
        /// The time given.
        at: String,
        /// What is wrong with it.
        fault: TimeFault,
    },
    /// The authority does not let `by` do this.
    #[error("{c_by:?} may not {cmd}: {reason}", c_by = crate::validate::clip_id(.by))]
    Forbidden {
        /// Who tried.
        by: String,
        /// The command.
        cmd: &'static str,
        /// Why not.
        reason: String,
    },
    /// No order with this id.
    #[error("unknown order {c_0:?}", c_0 = crate::validate::clip_id(.0))]
    UnknownOrder(String),
    /// No resource with this id.
    #[error("unknown resource {c_0:?}", c_0 = crate::validate::clip_id(.0))]
    UnknownResource(String),
    /// An order with this id exists, or existed.
    #[error("order {c_0:?} exists already", c_0 = crate::validate::clip_id(.0))]
    OrderExists(String),
    /// A resource with this id is on the roster already.
    #[error("resource {c_0:?} exists already", c_0 = crate::validate::clip_id(.0))]
    ResourceExists(String),
    /// The posted need breaks the contract: every problem, with its code and its path
    /// (starting at `need`).
    #[error("invalid need: {}", OneLine(.0))]
    InvalidNeed(Problems),
    /// The joining resource, or an update's terms, break the contract: every problem, with its
    /// code and path (`resource.capacity`; an update's terms at the top: `capacity`).
    #[error("invalid resource: {}", OneLine(.0))]
    InvalidResource(Problems),
    /// The new policy breaks the contract's ranges (paths start at `policy`).
    #[error("invalid policy: {}", OneLine(.0))]
    InvalidPolicy(Problems),
    /// The new points rules are out of range (paths start at `points`).
    #[error("invalid points: {}", OneLine(.0))]
    InvalidPoints(Problems),
    /// The order is not in a state that takes this command.
    #[error("order {c_order:?} is {state}: `{cmd}` does not apply", c_order = crate::validate::clip_id(.order))]
    OrderState {
        /// Order id.
        order: String,
        /// Its state.
        state: OrderState,
        /// The command.
        cmd: &'static str,
    },
    /// The resource's ticket is missing or not in a state that takes this command.
    #[error("order {c_order:?}, resource {c_resource:?}: {}, `{cmd}` does not apply", state.map_or("no ticket".to_owned(), |s| format!("ticket is {s}")), c_order = crate::validate::clip_id(.order), c_resource = crate::validate::clip_id(.resource))]
    TicketState {
        /// Order id.
        order: String,
        /// Resource id.
        resource: String,
        /// The ticket's state, `None` without a ticket.
        state: Option<TicketState>,
        /// The command.
        cmd: &'static str,
    },
    /// The resource may not serve the order.
    #[error("resource {c_resource:?} may not serve order {c_order:?}", c_resource = crate::validate::clip_id(.resource), c_order = crate::validate::clip_id(.order))]
    MayNotServe {
        /// Order id.
        order: String,
        /// Resource id.
        resource: String,
    },
    /// A quantity outside what is open or what the resource has left.
    #[error("quantity {asked} for order {c_order:?}: {limit}", c_order = crate::validate::clip_id(.order))]
    Quantity {
        /// Order id.
        order: String,
        /// Units asked for.
        asked: i64,
        /// What limits it.
        limit: QuantityLimit,
    },
    /// A new capacity below the units the resource has accepted, agreed or done.
    #[error("resource {c_resource:?}: capacity {capacity} is below the {committed} units it has committed", c_resource = crate::validate::clip_id(.resource))]
    CapacityBelowCommitted {
        /// Resource id.
        resource: String,
        /// The capacity asked for.
        capacity: i64,
        /// Units accepted, agreed or done.
        committed: i64,
    },
    /// A score outside 1–5.
    #[error("score {0} is outside 1..=5")]
    Score(i64),
    /// `accept` or `claim` after the end of the need's window or of the resource's window.
    #[error("order {c_order:?}, resource {c_resource:?}: the window of {ended} ended at {end}", c_order = crate::validate::clip_id(.order), c_resource = crate::validate::clip_id(.resource))]
    WindowEnded {
        /// Order id.
        order: String,
        /// Resource id.
        resource: String,
        /// `need` or `resource`.
        ended: &'static str,
        /// When it ended.
        end: String,
    },
    /// The first dispatch of [`super::Ledger::new`] failed (the solver refused the instance).
    #[error("dispatch failed: {0}")]
    Dispatch(SolveError),
    /// Live dispatch broke an invariant (a bug); the command was rolled back and nothing
    /// changed.
    #[error("internal error, nothing changed: {0}")]
    Internal(LiveError),
}

impl Rejection {
    /// A stable machine-readable code (`unknown_order`, `ticket_state`, …), listed in the
    /// contract document.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Malformed(_) => "malformed",
            Rejection::UnknownCommand(_) => "unknown_command",
            Rejection::KeyReused { .. } => "key_reused",
            Rejection::Time {
                fault: TimeFault::NotATime,
                ..
            } => "bad_time",
            Rejection::Time {
                fault: TimeFault::Backwards,
                ..
            } => "time_backwards",
            Rejection::Forbidden { .. } => "forbidden",
            Rejection::UnknownOrder(_) => "unknown_order",
            Rejection::UnknownResource(_) => "unknown_resource",
            Rejection::OrderExists(_) => "order_exists",
            Rejection::ResourceExists(_) => "resource_exists",
            Rejection::InvalidNeed(_) => "invalid_need",
            Rejection::InvalidResource(_) => "invalid_resource",
            Rejection::InvalidPolicy(_) => "invalid_policy",
            Rejection::InvalidPoints(_) => "invalid_points",
            Rejection::OrderState { .. } => "order_state",
            Rejection::TicketState { .. } => "ticket_state",
            Rejection::MayNotServe { .. } => "may_not_serve",
            Rejection::Quantity { .. } => "quantity",
            Rejection::CapacityBelowCommitted { .. } => "capacity_committed",
            Rejection::Score(_) => "score",
            Rejection::WindowEnded { .. } => "window_ended",
            Rejection::Dispatch(_) => "dispatch",
            Rejection::Internal(_) => "internal",
        }
    }

    /// The problems behind a rejection with paths (malformed commands, invalid needs,
    /// resources, policies and points), else none.
    pub fn problems(&self) -> &[crate::validate::Problem] {
        match self {
            Rejection::Malformed(p)
            | Rejection::InvalidNeed(p)
            | Rejection::InvalidResource(p)
            | Rejection::InvalidPolicy(p)
            | Rejection::InvalidPoints(p) => &p.0,
            _ => &[],
        }
    }
}

/// What is wrong with a command's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeFault {
    /// Not a `YYYY-MM-DDTHH:MM:SS` time.
    NotATime,
    /// Earlier than the previous command's.
    Backwards,
}

impl fmt::Display for TimeFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeFault::NotATime => "not a YYYY-MM-DDTHH:MM:SS time",
            TimeFault::Backwards => "earlier than the previous command",
        })
    }
}

/// What a rejected quantity runs into.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuantityLimit {
    /// The order has only this many units open (and a claim takes at least one).
    Open(i64),
    /// The resource has only this many units of capacity left.
    Room {
        /// Resource id.
        resource: String,
        /// Units left.
        left: i64,
    },
    /// Open orders would total more than this many units.
    Total(i64),
}

impl fmt::Display for QuantityLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuantityLimit::Open(n) => write!(f, "{n} units are open"),
            QuantityLimit::Room { resource, left } => {
                write!(f, "resource {resource} has {left} units left")
            }
            QuantityLimit::Total(n) => write!(f, "open orders would total more than {n} units"),
        }
    }
}

/// Problems on one line, joined by `; `.
struct OneLine<'a>(&'a Problems);

impl fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, p) in self.0 .0.iter().enumerate() {
            if k > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// A failure to replay an event log.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {cause}; nothing from this line on was applied")]
pub struct ReplayError {
    /// 1-based line (0: the ledger could not start).
    pub line: usize,
    /// What is wrong.
    pub cause: ReplayCause,
}

impl ReplayError {
    /// A stable machine-readable code: the cause's.
    pub fn code(&self) -> &'static str {
        match &self.cause {
            ReplayCause::Start(_) => "start",
            ReplayCause::Header(_) => "log_header",
            ReplayCause::Malformed(_) => "malformed_event",
            ReplayCause::Sequence { .. } => "sequence",
            ReplayCause::Rejected(r) => r.code(),
        }
    }
}

/// Why a line of an event log could not be replayed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayCause {
    /// The ledger could not start from the instance.
    #[error("{0}")]
    Start(Rejection),
    /// The log's header is missing, of another format, or of another instance or rules.
    #[error("{0}")]
    Header(String),
    /// Not an event (the JSON reader's message).
    #[error("malformed event: {0}")]
    Malformed(String),
    /// A sequence number out of turn.
    #[error("sequence number {found} where {due} was due")]
    Sequence {
        /// The number on the line.
        found: u64,
        /// The number due.
        due: u64,
    },
    /// The event's command was rejected.
    #[error("{0}")]
    Rejected(Rejection),
}

/// How the live dispatch disagrees with the ledger or with its own proof of optimality
/// ([`super::Ledger::check_dispatch`]). Any of these is a bug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchFault {
    /// The live flow fails its optimality proof.
    #[error("{0}")]
    Proof(ProofError),
    /// An order that is not listed holds offers.
    #[error("order {order} is {state} with offers")]
    OffersOutsideListing {
        /// Order id.
        order: String,
        /// Its state.
        state: OrderState,
    },
    /// A listed order's live supply is not its open units.
    #[error("order {0}: supply is not its open units")]
    Supply(String),
    /// The cold restart failed.
    #[error("{0}")]
    Restart(LiveError),
    /// A listed order's live arcs are not the pairs that may still serve it.
    #[error("order {0}: arcs are not its pairs")]
    Arcs(String),
    /// An order's remembered escalation is not what its state gives.
    #[error("order {0}: escalation out of date")]
    Escalation(String),
    /// An index of the ledger (offers by time, orders by place, ids) disagrees with the orders.
    #[error("index {0} disagrees with the orders")]
    Index(&'static str),
    /// A listed order's offers are not the live flow.
    #[error("order {0}: offers are not the flow")]
    OffersNotFlow(String),
    /// A listed order has an offer where no flow runs.
    #[error("order {0}: an offer without flow")]
    OfferWithoutFlow(String),
    /// A resource's live capacity is not what its commitments leave.
    #[error("resource {0}: capacity is not its room")]
    Room(String),
    /// A listed order whose need's window ended is still dispatched or has units open.
    #[error("order {0}: dispatched after its window ended")]
    WindowEnded(String),
}

impl DispatchFault {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DispatchFault::Proof(p) => p.code(),
            DispatchFault::OffersOutsideListing { .. } => "offers_outside_listing",
            DispatchFault::Supply(_) => "supply",
            DispatchFault::OffersNotFlow(_) => "offers_not_flow",
            DispatchFault::OfferWithoutFlow(_) => "offer_without_flow",
            DispatchFault::Room(_) => "room",
            DispatchFault::WindowEnded(_) => "window_ended",
            DispatchFault::Escalation(_) => "escalation",
            DispatchFault::Arcs(_) => "arcs",
            DispatchFault::Restart(e) => e.code(),
            DispatchFault::Index(_) => "index",
        }
    }
}
