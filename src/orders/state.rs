//! Orders and tickets, the states they go through, and an order's escalation.

use super::roster::Wanted;
use crate::contract::NeedData;
use crate::model::area::Level;
use crate::model::time::DateTime;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// 居民点单: posted, waiting for the community's review.
    Posted,
    /// 社区交单: listed and dispatched.
    Listed,
    /// Rejected at review.
    Rejected,
    /// 完成结单: every served unit is done.
    Completed,
    /// 评单: rated by the resident.
    Rated,
    /// 撤单: cancelled.
    Cancelled,
    /// 结单 with no unit done: every unit given up (`close`, or the need's window ended).
    Closed,
}

impl OrderState {
    /// All states, in the order above.
    pub const ALL: [OrderState; 7] = [
        OrderState::Posted,
        OrderState::Listed,
        OrderState::Rejected,
        OrderState::Completed,
        OrderState::Rated,
        OrderState::Cancelled,
        OrderState::Closed,
    ];

    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Posted => "posted",
            OrderState::Listed => "listed",
            OrderState::Rejected => "rejected",
            OrderState::Completed => "completed",
            OrderState::Rated => "rated",
            OrderState::Cancelled => "cancelled",
            OrderState::Closed => "closed",
        }
    }

    /// Parses a JSON state name.
    pub fn parse(s: &str) -> Option<OrderState> {
        OrderState::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    /// 派单: offered by dispatch; may still move.
    Offered,
    /// 承诺接单: accepted; pinned.
    Accepted,
    /// 共同议单: accepted with an agreed schedule.
    Agreed,
    /// Done.
    Done,
}

impl TicketState {
    /// All states, in the order above.
    pub const ALL: [TicketState; 4] = [
        TicketState::Offered,
        TicketState::Accepted,
        TicketState::Agreed,
        TicketState::Done,
    ];

    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Offered => "offered",
            TicketState::Accepted => "accepted",
            TicketState::Agreed => "agreed",
            TicketState::Done => "done",
        }
    }

    /// Parses a JSON state name.
    pub fn parse(s: &str) -> Option<TicketState> {
        TicketState::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for TicketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One resource's share of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ticket {
    /// Resource id.
    pub resource: String,
    /// Units.
    pub quantity: i64,
    /// Its state.
    pub state: TicketState,
    /// Tier of the pair.
    pub tier: Level,
    /// Value of one unit.
    pub value: i64,
    /// When it entered its state (`None` for offers made when the ledger started).
    #[serde(skip)]
    pub since: Option<DateTime>,
    /// The agreed schedule (共同议单).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// A note from the agreement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An order raised above its community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Escalation {
    /// Order id.
    pub order: String,
    /// The level it was raised to (街道吹哨、部门报到).
    pub level: Level,
    /// `no_eligible_resource`, `capacity_exhausted`, `no_eligible_resource_below` or
    /// `local_capacity_taken`.
    pub reason: String,
    /// Units concerned.
    pub units: i64,
    /// For a `deadline` escalation: the resources at its level or above that may serve the
    /// order, best value first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
}

/// An order: a need on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Order id (the need's id).
    pub id: String,
    /// The need as posted.
    pub need: NeedData,
    /// Its state.
    pub state: OrderState,
    /// Tickets, one per resource at most, by resource id.
    pub tickets: Vec<Ticket>,
    /// The rating, once rated.
    pub score: Option<i64>,
    /// The rating's comment.
    pub comment: Option<String>,
    /// Why it was rejected, cancelled or closed, or why its units were given up
    /// (`window_ended`).
    pub reason: Option<String>,
    /// Units given up: not served and no longer dispatched (`close`, or the need's window
    /// ended).
    pub given_up: i64,
    /// Its number in posting order.
    pub(super) serial: u64,
    /// The need in the roster's terms.
    pub(super) wanted: Wanted,
    /// Its left node in the live dispatch network, while listed with open units.
    pub(super) node: Option<u32>,
    /// Resources that declined or withdrew: never offered this order again.
    pub(super) excluded: BTreeSet<String>,
    /// When it was completed.
    pub(super) completed_at: Option<DateTime>,
    /// Its escalation, kept up to date as the order changes.
    pub(super) escalation: Option<Escalation>,
    /// When it was listed (deadlines count from then).
    pub(super) listed_at: Option<DateTime>,
    /// The highest level its deadlines have raised it to.
    pub(super) deadline: Option<Level>,
    /// Resources that let an offer of it expire, with the time until which they are not
    /// offered it again.
    pub(super) lapsed: std::collections::BTreeMap<String, DateTime>,
}

impl Order {
    pub(super) fn new(need: NeedData, state: OrderState, serial: u64, wanted: Wanted) -> Order {
        Order {
            id: need.id.clone(),
            need,
            state,
            tickets: Vec::new(),
            score: None,
            comment: None,
            reason: None,
            given_up: 0,
            serial,
            wanted,
            node: None,
            excluded: BTreeSet::new(),
            completed_at: None,
            escalation: None,
            listed_at: None,
            deadline: None,
            lapsed: std::collections::BTreeMap::new(),
        }
    }

    /// When the need's window ends (no offer is made after).
    pub(super) fn window_end(&self) -> Option<DateTime> {
        self.need
            .window
            .as_ref()
            .and_then(|w| DateTime::parse(&w.end))
    }

    /// Whether resource `id` let an offer of this order lapse and may not be offered it again
    /// yet.
    pub(super) fn lapsed(&self, id: &str) -> bool {
        self.lapsed.contains_key(id)
    }

    /// The ticket of resource `id`, if it holds one.
    pub fn ticket_of(&self, id: &str) -> Option<&Ticket> {
        self.ticket(id).map(|t| &self.tickets[t])
    }

    /// The position of the ticket of resource `id`.
    pub(super) fn ticket(&self, id: &str) -> Option<usize> {
        self.tickets.iter().position(|t| t.resource == id)
    }

    /// Whether resource `id` holds an accepted, agreed or done ticket of this order.
    pub(super) fn holds(&self, id: &str) -> bool {
        self.ticket(id)
            .is_some_and(|t| self.tickets[t].state != TicketState::Offered)
    }

    /// Units accepted, agreed or done.
    pub(super) fn committed(&self) -> i64 {
        self.tickets
            .iter()
            .filter(|t| t.state != TicketState::Offered)
            .map(|t| t.quantity)
            .sum()
    }

    /// Units not yet accepted and not given up (offered units count as open).
    pub(super) fn open(&self) -> i64 {
        self.need.quantity - self.committed() - self.given_up
    }

    /// Units done.
    pub(super) fn done(&self) -> i64 {
        self.tickets
            .iter()
            .filter(|t| t.state == TicketState::Done)
            .map(|t| t.quantity)
            .sum()
    }
}
