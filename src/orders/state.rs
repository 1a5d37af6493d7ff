//! Orders and tickets, and the states they go through.

use crate::contract::NeedData;
use crate::model::area::Level;
use crate::model::time::DateTime;
use crate::model::Instance;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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
}

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OrderState::Posted => "posted",
            OrderState::Listed => "listed",
            OrderState::Rejected => "rejected",
            OrderState::Completed => "completed",
            OrderState::Rated => "rated",
            OrderState::Cancelled => "cancelled",
        })
    }
}

impl fmt::Display for TicketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TicketState::Offered => "offered",
            TicketState::Accepted => "accepted",
            TicketState::Agreed => "agreed",
            TicketState::Done => "done",
        })
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
    /// When it entered its state.
    #[serde(skip)]
    pub since: Option<DateTime>,
    /// The agreed schedule (共同议单).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// A note from the agreement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
    /// Why it was rejected or cancelled.
    pub reason: Option<String>,
    /// Its left node in the live dispatch network, once listed.
    pub(super) node: Option<u32>,
    /// Resources that declined or withdrew: never offered this order again.
    pub(super) excluded: BTreeSet<u32>,
}

impl Order {
    pub(super) fn new(need: NeedData, state: OrderState) -> Order {
        Order {
            id: need.id.clone(),
            need,
            state,
            tickets: Vec::new(),
            score: None,
            comment: None,
            reason: None,
            node: None,
            excluded: BTreeSet::new(),
        }
    }

    pub(super) fn ticket(&self, j: u32, instance: &Instance) -> Option<usize> {
        let id = &instance.resources()[j as usize].id;
        self.tickets.iter().position(|t| &t.resource == id)
    }

    /// Units accepted, agreed or done.
    pub(super) fn committed(&self) -> i64 {
        self.tickets
            .iter()
            .filter(|t| t.state != TicketState::Offered)
            .map(|t| t.quantity)
            .sum()
    }

    /// Units not yet accepted (offered units count as open).
    pub(super) fn open(&self) -> i64 {
        self.need.quantity - self.committed()
    }
}
