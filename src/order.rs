//! The order lifecycle: 居民点单 → 社区交单 → 承诺接单 → 共同议单 → 完成结单 → 评单, as a ledger
//! that applies the command stream of the data contract, keeps an append-only event log, and
//! dispatches open units to the best resources after every change.
//!
//! An order is a need on its way: `posted` → `listed` (or `rejected`) → `completed` when all
//! its served units are done → `rated`; or `cancelled`. A ticket is one resource's share of an
//! order: `offered` → `accepted` (pinned) → `agreed` → `done`; offers can be declined or
//! expire, accepted tickets withdrawn. Every command is checked in full before anything
//! changes: a rejected command changes nothing and appends no event.
//!
//! Dispatch keeps the open part optimal: listed orders' units that are not accepted, on the
//! pairs without a declined, withdrawn or committed ticket, against the capacity that
//! accepted, agreed and done units leave. The first `q` units of an outstanding offer of `q`
//! units keep a bonus of `policy.reoffer_penalty` each. The ledger starts from one exact solve
//! and then repairs that optimum after each command ([`LiveFlow`]: shortest augmenting paths
//! over the potentials), never solving again from scratch; offers follow the flow.

use crate::area::Level;
use crate::eligibility::{self, Eligibility};
use crate::instance::{Instance, NeedData};
use crate::limits;
use crate::resource::Kind;
use crate::solve::{LiveFlow, Solver};
use crate::time::DateTime;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
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
    node: Option<u32>,
    /// Resources that declined or withdrew: never offered this order again.
    excluded: BTreeSet<u32>,
}

impl Order {
    fn new(need: NeedData, state: OrderState) -> Order {
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

    fn ticket(&self, j: u32, instance: &Instance) -> Option<usize> {
        let id = &instance.resources()[j as usize].id;
        self.tickets.iter().position(|t| &t.resource == id)
    }

    /// Units accepted, agreed or done.
    fn committed(&self) -> i64 {
        self.tickets
            .iter()
            .filter(|t| t.state != TicketState::Offered)
            .map(|t| t.quantity)
            .sum()
    }

    /// Units not yet accepted (offered units count as open).
    fn open(&self) -> i64 {
        self.need.quantity - self.committed()
    }
}
/// One command of the contract's JSON Lines stream.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case", deny_unknown_fields)]
#[allow(missing_docs)]
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
    fn at(&self) -> &str {
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

/// Why a command was rejected. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Not a command of the contract.
    #[error("malformed command: {0}")]
    Malformed(String),
    /// `at` is not a time, or earlier than the previous command's.
    #[error("time {at:?}: {why}")]
    Time {
        /// The time given.
        at: String,
        /// What is wrong with it.
        why: String,
    },
    /// No order with this id.
    #[error("unknown order {0:?}")]
    UnknownOrder(String),
    /// No resource with this id.
    #[error("unknown resource {0:?}")]
    UnknownResource(String),
    /// An order with this id exists.
    #[error("order {0:?} exists already")]
    OrderExists(String),
    /// The posted need breaks the contract.
    #[error("invalid need: {0}")]
    InvalidNeed(String),
    /// The order is not in a state that takes this command.
    #[error("order {order:?} is {state}: `{cmd}` does not apply")]
    OrderState {
        /// Order id.
        order: String,
        /// Its state.
        state: OrderState,
        /// The command.
        cmd: &'static str,
    },
    /// The resource's ticket is missing or not in a state that takes this command.
    #[error("order {order:?}, resource {resource:?}: {}, `{cmd}` does not apply", state.map_or("no ticket".to_owned(), |s| format!("ticket is {s}")))]
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
    #[error("resource {resource:?} may not serve order {order:?}")]
    MayNotServe {
        /// Order id.
        order: String,
        /// Resource id.
        resource: String,
    },
    /// A quantity outside what is open or what the resource has left.
    #[error("quantity {asked} for order {order:?}: {why}")]
    Quantity {
        /// Order id.
        order: String,
        /// Units asked for.
        asked: i64,
        /// What limits it.
        why: String,
    },
    /// A score outside 1–5.
    #[error("score {0} is outside 1..=5")]
    Score(i64),
    /// The first dispatch of [`Ledger::new`] failed (the solver refused the instance; later
    /// dispatches cannot fail).
    #[error("dispatch failed: {0}")]
    Dispatch(String),
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

/// A failure to replay an event log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {why}; nothing from this line on was applied")]
pub struct ReplayError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub why: String,
}

/// Points (积分) per done unit, by resource kind, and the bonus per unit of an order rated 4
/// or 5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Points {
    /// Points per done unit, indexed like [`Kind::ALL`].
    pub per_unit: [i64; 5],
    /// Extra points per done unit of an order rated 4 or more.
    pub good_rating_bonus: i64,
}

impl Default for Points {
    fn default() -> Points {
        Points {
            per_unit: [10, 5, 2, 5, 5],
            good_rating_bonus: 5,
        }
    }
}

/// The ledger: the instance, the orders and their tickets, the live dispatch and the event log.
#[derive(Debug, Clone)]
pub struct Ledger {
    instance: Instance,
    /// Resources by served area and category, for newly listed orders.
    finder: eligibility::Index,
    orders: Vec<Order>,
    index: BTreeMap<String, usize>,
    /// Units of posted and listed orders (bounded by `limits::MAX_TOTAL_QUANTITY`).
    outstanding: i64,
    /// Per resource: units accepted, agreed or done.
    committed: Vec<i64>,
    /// The open part: left node per listed order, right node per resource.
    live: LiveFlow,
    /// Per live arc: the tier of its pair.
    tiers: Vec<Level>,
    /// Per live left node: its order.
    order_of: Vec<usize>,
    events: Vec<Event>,
    last_at: Option<DateTime>,
    /// Per resource: declines and withdrawals.
    declines: Vec<i64>,
    /// How points are counted.
    pub points: Points,
}

impl Ledger {
    /// A ledger on `instance`: its needs become listed orders, dispatched at once (one exact
    /// solve, whose optimum and duals the live dispatch then keeps up to date).
    ///
    /// # Errors
    /// [`Rejection::Dispatch`] if the first dispatch fails.
    pub fn new(instance: Instance) -> Result<Ledger, Rejection> {
        let eligibility = Eligibility::build(&instance);
        let live = LiveFlow::solve(eligibility.network(), instance.policy().reoffer_penalty)
            .map_err(|e| Rejection::Dispatch(e.to_string()))?;
        let data = instance.to_data();
        let m = instance.resources().len();
        let mut ledger = Ledger {
            finder: eligibility::Index::new(&instance),
            orders: Vec::new(),
            index: BTreeMap::new(),
            outstanding: instance.demanded(),
            committed: vec![0; m],
            tiers: eligibility.arcs().map(|a| a.tier).collect(),
            order_of: (0..data.needs.len()).collect(),
            live,
            instance,
            events: Vec::new(),
            last_at: None,
            declines: vec![0; m],
            points: Points::default(),
        };
        for (i, need) in data.needs.into_iter().enumerate() {
            ledger.index.insert(need.id.clone(), i);
            let mut order = Order::new(need, OrderState::Listed);
            order.node = Some(i as u32);
            ledger.orders.push(order);
        }
        let offered = (0..ledger.tiers.len() as u32)
            .filter(|&a| ledger.live.arc(a).flow > 0)
            .collect();
        ledger.follow(offered, None);
        Ok(ledger)
    }

    /// The instance.
    pub fn instance(&self) -> &Instance {
        &self.instance
    }

    /// The orders in the order they were posted.
    pub fn orders(&self) -> &[Order] {
        &self.orders
    }

    /// The order with this id.
    pub fn order(&self, id: &str) -> Option<&Order> {
        self.index.get(id).map(|&k| &self.orders[k])
    }

    /// The accepted commands so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The event log as JSON Lines.
    pub fn events_jsonl(&self) -> String {
        self.events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap_or_default() + "\n")
            .collect()
    }

    /// Shortest-path searches the live dispatch has run (a work counter).
    pub fn dispatch_searches(&self) -> u64 {
        self.live.searches()
    }

    /// Applies one JSON line of the command stream.
    ///
    /// # Errors
    /// A [`Rejection`]; the ledger is unchanged.
    pub fn apply_line(&mut self, line: &str) -> Result<(), Rejection> {
        let command: Command =
            serde_json::from_str(line).map_err(|e| Rejection::Malformed(e.to_string()))?;
        self.apply(command)
    }

    /// Applies one command.
    ///
    /// # Errors
    /// A [`Rejection`]; the ledger is unchanged (every check runs before the first change,
    /// and dispatch cannot fail).
    pub fn apply(&mut self, command: Command) -> Result<(), Rejection> {
        let at = DateTime::parse(command.at()).ok_or_else(|| Rejection::Time {
            at: command.at().to_owned(),
            why: "not a YYYY-MM-DDTHH:MM:SS time".into(),
        })?;
        if self.last_at.is_some_and(|last| at < last) {
            return Err(Rejection::Time {
                at: command.at().to_owned(),
                why: "earlier than the previous command".into(),
            });
        }
        self.change(&command, at)?;
        self.last_at = Some(at);
        self.events.push(Event {
            seq: self.events.len() as u64 + 1,
            command,
        });
        Ok(())
    }

    /// Rebuilds a ledger on `instance` from an event log.
    ///
    /// # Errors
    /// [`ReplayError`] at the first malformed, out-of-sequence or rejected line.
    pub fn replay(instance: Instance, log: &str) -> Result<Ledger, ReplayError> {
        let mut ledger = Ledger::new(instance).map_err(|e| ReplayError {
            line: 0,
            why: e.to_string(),
        })?;
        for (k, line) in log.lines().enumerate() {
            let fail = |why: String| ReplayError { line: k + 1, why };
            if line.trim().is_empty() {
                continue;
            }
            let event: Event =
                serde_json::from_str(line).map_err(|e| fail(format!("malformed event: {e}")))?;
            let want = ledger.events.len() as u64 + 1;
            if event.seq != want {
                return Err(fail(format!(
                    "sequence number {} where {want} was due",
                    event.seq
                )));
            }
            ledger
                .apply(event.command)
                .map_err(|e| fail(e.to_string()))?;
        }
        Ok(ledger)
    }

    fn order_index(&self, id: &str) -> Result<usize, Rejection> {
        self.index
            .get(id)
            .copied()
            .ok_or_else(|| Rejection::UnknownOrder(id.to_owned()))
    }

    fn resource_index(&self, id: &str) -> Result<u32, Rejection> {
        self.instance
            .find_resource(id)
            .map(|j| j.0)
            .ok_or_else(|| Rejection::UnknownResource(id.to_owned()))
    }

    fn expect_state(
        &self,
        k: usize,
        states: &[OrderState],
        cmd: &'static str,
    ) -> Result<(), Rejection> {
        let o = &self.orders[k];
        if states.contains(&o.state) {
            Ok(())
        } else {
            Err(Rejection::OrderState {
                order: o.id.clone(),
                state: o.state,
                cmd,
            })
        }
    }

    /// The ticket of resource `j` on order `k`, which must be in one of `states`.
    fn ticket_in(
        &self,
        k: usize,
        j: u32,
        states: &[TicketState],
        cmd: &'static str,
    ) -> Result<usize, Rejection> {
        let o = &self.orders[k];
        let t = o.ticket(j, &self.instance);
        match t {
            Some(t) if states.contains(&o.tickets[t].state) => Ok(t),
            _ => Err(Rejection::TicketState {
                order: o.id.clone(),
                resource: self.instance.resources()[j as usize].id.clone(),
                state: t.map(|t| o.tickets[t].state),
                cmd,
            }),
        }
    }

    fn change(&mut self, command: &Command, at: DateTime) -> Result<(), Rejection> {
        use OrderState as O;
        use TicketState as T;
        match command {
            Command::Post { need, .. } => {
                let data = crate::instance::validate_need(&need.to_string(), self.instance.areas())
                    .map_err(|p| {
                        let all: Vec<String> = p.0.iter().map(ToString::to_string).collect();
                        Rejection::InvalidNeed(all.join("; "))
                    })?;
                if self.index.contains_key(&data.id) {
                    return Err(Rejection::OrderExists(data.id));
                }
                if self.outstanding + data.quantity > limits::MAX_TOTAL_QUANTITY {
                    return Err(Rejection::Quantity {
                        order: data.id,
                        asked: data.quantity,
                        why: format!(
                            "open orders would total more than {} units",
                            limits::MAX_TOTAL_QUANTITY
                        ),
                    });
                }
                self.outstanding += data.quantity;
                self.index.insert(data.id.clone(), self.orders.len());
                self.orders.push(Order::new(data, O::Posted));
                Ok(())
            }
            Command::Review {
                order,
                approve,
                reason,
                ..
            } => {
                let k = self.order_index(order)?;
                self.expect_state(k, &[O::Posted], "review")?;
                if *approve {
                    self.orders[k].state = O::Listed;
                    self.list(k);
                    self.dispatch(at, Vec::new());
                } else {
                    self.outstanding -= self.orders[k].need.quantity;
                    self.orders[k].state = O::Rejected;
                    self.orders[k].reason = reason.clone();
                }
                Ok(())
            }
            Command::Accept {
                order, resource, ..
            } => {
                let (k, j) = (self.order_index(order)?, self.resource_index(resource)?);
                self.expect_state(k, &[O::Listed], "accept")?;
                let t = self.ticket_in(k, j, &[T::Offered], "accept")?;
                let q = self.orders[k].tickets[t].quantity;
                self.check_room(k, j, q)?;
                self.committed[j as usize] += q;
                let ticket = &mut self.orders[k].tickets[t];
                ticket.state = T::Accepted;
                ticket.since = Some(at);
                // The offer's units leave the open part with the capacity they use; the rest
                // stays optimal as it is.
                if let Some((a, ..)) = self.pair(k, j) {
                    self.live.pin(a, q);
                    self.live.remove_arc(a);
                }
                self.dispatch(at, Vec::new());
                Ok(())
            }
            Command::Decline {
                order, resource, ..
            } => {
                let (k, j) = (self.order_index(order)?, self.resource_index(resource)?);
                self.expect_state(k, &[O::Listed], "decline")?;
                let t = self.ticket_in(k, j, &[T::Offered], "decline")?;
                self.orders[k].tickets.remove(t);
                self.orders[k].excluded.insert(j);
                self.declines[j as usize] += 1;
                if let Some((a, ..)) = self.pair(k, j) {
                    self.live.remove_arc(a);
                }
                self.dispatch(at, Vec::new());
                Ok(())
            }
            Command::Claim {
                order,
                resource,
                quantity,
                ..
            } => {
                let (k, j) = (self.order_index(order)?, self.resource_index(resource)?);
                self.expect_state(k, &[O::Listed], "claim")?;
                let Some((a, tier, value)) = self.pair(k, j) else {
                    return Err(Rejection::MayNotServe {
                        order: order.clone(),
                        resource: resource.clone(),
                    });
                };
                let open = self.orders[k].open();
                if *quantity < 1 || *quantity > open {
                    return Err(Rejection::Quantity {
                        order: order.clone(),
                        asked: *quantity,
                        why: format!("{open} units are open"),
                    });
                }
                self.check_room(k, j, *quantity)?;
                let existing = self.orders[k].ticket(j, &self.instance);
                match existing.map(|t| (t, self.orders[k].tickets[t].state)) {
                    Some((_, state @ (T::Agreed | T::Done))) => {
                        return Err(Rejection::TicketState {
                            order: order.clone(),
                            resource: resource.clone(),
                            state: Some(state),
                            cmd: "claim",
                        })
                    }
                    Some((t, T::Accepted)) => self.orders[k].tickets[t].quantity += quantity,
                    Some((t, T::Offered)) => {
                        self.orders[k].tickets.remove(t);
                        self.insert_ticket(k, j, *quantity, T::Accepted, tier, value, Some(at));
                    }
                    None => self.insert_ticket(k, j, *quantity, T::Accepted, tier, value, Some(at)),
                }
                self.committed[j as usize] += quantity;
                self.live.remove_arc(a);
                self.sync_open(k);
                self.sync_room(j);
                self.dispatch(at, Vec::new());
                Ok(())
            }
            Command::Agree {
                order,
                resource,
                schedule,
                note,
                ..
            } => {
                let (k, j) = (self.order_index(order)?, self.resource_index(resource)?);
                self.expect_state(k, &[O::Listed], "agree")?;
                let t = self.ticket_in(k, j, &[T::Accepted], "agree")?;
                let ticket = &mut self.orders[k].tickets[t];
                ticket.state = T::Agreed;
                ticket.since = Some(at);
                ticket.schedule = Some(schedule.clone());
                ticket.note = note.clone();
                Ok(())
            }
            Command::Complete {
                order, resource, ..
            } => {
                let (k, j) = (self.order_index(order)?, self.resource_index(resource)?);
                self.expect_state(k, &[O::Listed], "complete")?;
                let t = self.ticket_in(k, j, &[T::Accepted, T::Agreed], "complete")?;
                let o = &mut self.orders[k];
                o.tickets[t].state = T::Done;
                o.tickets[t].since = Some(at);
                if o.tickets.iter().all(|t| t.state == T::Done) {
                    // No offer is outstanding; its open units are no longer dispatched.
                    o.state = O::Completed;
                    self.close(k);
                    self.dispatch(at, Vec::new());
                }
                Ok(())
            }
            Command::Rate {
                order,
                score,
                comment,
                ..
            } => {
                let k = self.order_index(order)?;
                self.expect_state(k, &[O::Completed], "rate")?;
                if !(1..=5).contains(score) {
                    return Err(Rejection::Score(*score));
                }
                let o = &mut self.orders[k];
                o.state = O::Rated;
                o.score = Some(*score);
                o.comment = comment.clone();
                Ok(())
            }
            Command::Withdraw {
                order, resource, ..
            } => {
                let (k, j) = (self.order_index(order)?, self.resource_index(resource)?);
                self.expect_state(k, &[O::Listed], "withdraw")?;
                let t = self.ticket_in(k, j, &[T::Accepted, T::Agreed], "withdraw")?;
                let q = self.orders[k].tickets.remove(t).quantity;
                self.committed[j as usize] -= q;
                self.orders[k].excluded.insert(j);
                self.declines[j as usize] += 1;
                self.sync_open(k);
                self.sync_room(j);
                self.dispatch(at, Vec::new());
                Ok(())
            }
            Command::Cancel { order, reason, .. } => {
                let k = self.order_index(order)?;
                self.expect_state(k, &[O::Posted, O::Listed], "cancel")?;
                let listed = self.orders[k].state == O::Listed;
                let freed: Vec<(u32, i64)> = self.orders[k]
                    .tickets
                    .iter()
                    .filter(|t| matches!(t.state, T::Accepted | T::Agreed))
                    .filter_map(|t| {
                        let j = self.instance.find_resource(&t.resource)?;
                        Some((j.0, t.quantity))
                    })
                    .collect();
                for &(j, q) in &freed {
                    self.committed[j as usize] -= q;
                }
                let o = &mut self.orders[k];
                o.tickets.retain(|t| t.state == T::Done);
                o.state = O::Cancelled;
                o.reason = reason.clone();
                if listed {
                    self.close(k);
                    for (j, _) in freed {
                        self.sync_room(j);
                    }
                    self.dispatch(at, Vec::new());
                } else {
                    self.outstanding -= self.orders[k].need.quantity;
                }
                Ok(())
            }
            Command::Tick { .. } => {
                let deadline = self.instance.policy().offer_deadline_hours * 3600;
                let mut expired = Vec::new();
                for k in 0..self.orders.len() {
                    let o = &self.orders[k];
                    if o.state != O::Listed {
                        continue;
                    }
                    let old: Vec<u32> = o
                        .tickets
                        .iter()
                        .filter(|t| {
                            t.state == T::Offered
                                && t.since
                                    .is_some_and(|s| at.seconds() - s.seconds() > deadline)
                        })
                        .filter_map(|t| self.instance.find_resource(&t.resource).map(|j| j.0))
                        .collect();
                    for j in old {
                        if let Some(t) = self.orders[k].ticket(j, &self.instance) {
                            self.orders[k].tickets.remove(t);
                        }
                        if let Some((a, ..)) = self.pair(k, j) {
                            self.live.set_units(a, 0);
                            expired.push(a);
                        }
                    }
                }
                if !expired.is_empty() {
                    self.dispatch(at, expired);
                }
                Ok(())
            }
        }
    }

    /// Whether resource `j` has room for `q` more committed units.
    fn check_room(&self, k: usize, j: u32, q: i64) -> Result<(), Rejection> {
        let room =
            i64::from(self.instance.resources()[j as usize].capacity) - self.committed[j as usize];
        if q > room {
            return Err(Rejection::Quantity {
                order: self.orders[k].id.clone(),
                asked: q,
                why: format!(
                    "resource {} has {room} units left",
                    self.instance.resources()[j as usize].id
                ),
            });
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_ticket(
        &mut self,
        k: usize,
        j: u32,
        quantity: i64,
        state: TicketState,
        tier: Level,
        value: i64,
        at: Option<DateTime>,
    ) {
        let resource = self.instance.resources()[j as usize].id.clone();
        let o = &mut self.orders[k];
        let pos = o.tickets.partition_point(|t| t.resource < resource);
        o.tickets.insert(
            pos,
            Ticket {
                resource,
                quantity,
                state,
                tier,
                value,
                since: at,
                schedule: None,
                note: None,
            },
        );
    }

    /// The live arc of order `k` to resource `j`, with the pair's tier and value; `None` if
    /// the order is not listed or `j` may not serve it.
    fn pair(&self, k: usize, j: u32) -> Option<(u32, Level, i64)> {
        let arcs = self.live.arcs_of(self.orders[k].node?);
        let (mut lo, mut hi) = (arcs.start, arcs.end);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.live.arc(mid).right < j {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo == arcs.end || self.live.arc(lo).right != j {
            return None;
        }
        Some((lo, self.tiers[lo as usize], self.live.arc(lo).value))
    }

    /// The resources that may serve order `k`: (resource, tier, value), ascending.
    fn pairs(&self, k: usize) -> Vec<(u32, Level, i64)> {
        let o = &self.orders[k];
        match o.node {
            Some(node) => self
                .live
                .arcs_of(node)
                .map(|a| {
                    (
                        self.live.arc(a).right,
                        self.tiers[a as usize],
                        self.live.arc(a).value,
                    )
                })
                .collect(),
            None => {
                let i = &self.instance;
                crate::instance::need_from_data(&o.need, i.areas(), i.categories(), i.skills())
                    .map(|need| self.finder.pairs(i, &need))
                    .unwrap_or_default()
            }
        }
    }

    /// Order `k` joins the open part as a left node with an arc per resource that may serve it.
    fn list(&mut self, k: usize) {
        let pairs = self.pairs(k);
        let open = self.orders[k].open();
        self.live.add_left(open, pairs.iter().map(|p| (p.0, p.2)));
        self.tiers.extend(pairs.iter().map(|p| p.1));
        self.orders[k].node = Some(self.order_of.len() as u32);
        self.order_of.push(k);
    }

    /// Order `k` leaves the open part.
    fn close(&mut self, k: usize) {
        if let Some(node) = self.orders[k].node {
            self.live.remove_left(node);
        }
        self.outstanding -= self.orders[k].need.quantity;
    }

    /// The live supply of order `k` follows its open units.
    fn sync_open(&mut self, k: usize) {
        if let Some(node) = self.orders[k].node {
            self.live.set_supply(node, self.orders[k].open());
        }
    }

    /// The live capacity of resource `j` follows what its commitments leave.
    fn sync_room(&mut self, j: u32) {
        let room = i64::from(self.instance.resources()[j as usize].capacity);
        self.live.set_capacity(j, room - self.committed[j as usize]);
    }

    /// Re-dispatches: the live flow is repaired to the optimum of the open part, and the
    /// offers follow it (with `arcs`, whose offers a tick let expire).
    fn dispatch(&mut self, at: DateTime, mut arcs: Vec<u32>) {
        arcs.extend(self.live.repair());
        arcs.sort_unstable();
        arcs.dedup();
        self.follow(arcs, Some(at));
    }

    /// Offers follow the flow on `arcs`: an offer keeps its time if its quantity stays, and
    /// each offered unit gets the re-offer bonus for the next dispatch.
    fn follow(&mut self, arcs: Vec<u32>, at: Option<DateTime>) {
        for &a in &arcs {
            let arc = self.live.arc(a);
            let (k, j, flow, value) = (
                self.order_of[arc.left as usize],
                arc.right,
                arc.flow,
                arc.value,
            );
            let o = &mut self.orders[k];
            let t = o.ticket(j, &self.instance);
            match t.map(|t| (t, o.tickets[t].state, o.tickets[t].quantity)) {
                Some((t, TicketState::Offered, _)) if flow == 0 => {
                    o.tickets.remove(t);
                }
                Some((t, TicketState::Offered, q)) if q != flow => {
                    o.tickets[t].quantity = flow;
                    o.tickets[t].since = at;
                }
                None if flow > 0 => {
                    let tier = self.tiers[a as usize];
                    self.insert_ticket(k, j, flow, TicketState::Offered, tier, value, at);
                }
                _ => {}
            }
        }
        // Bonus units lowered before any is raised, so none meets its order's supply cap.
        for &a in &arcs {
            let arc = self.live.arc(a);
            if arc.units > arc.flow {
                self.live.set_units(a, arc.flow);
            }
        }
        for &a in &arcs {
            let arc = self.live.arc(a);
            if arc.units < arc.flow {
                self.live.set_units(a, arc.flow);
            }
        }
    }

    /// Checks the open allocation against `solver`: returns the value of the current offers on
    /// the open network with the re-offer bonus on those offers, and that network's optimum
    /// found by `solver`. After every dispatch the two are equal (the offers, optimal with the
    /// bonus on the previous offers, stay optimal with the bonus on themselves).
    ///
    /// # Errors
    /// The solver's.
    pub fn check_open_allocation(
        &self,
        solver: &dyn Solver,
    ) -> Result<(i64, i64), crate::solve::SolveError> {
        let bonus = self.instance.policy().reoffer_penalty;
        let offered: i64 = self
            .orders
            .iter()
            .filter(|o| o.state == OrderState::Listed)
            .flat_map(|o| o.tickets.iter().filter(|t| t.state == TicketState::Offered))
            .map(|t| t.quantity * (t.value + bonus))
            .sum();
        Ok((offered, solver.solve(&self.live.to_network())?.objective))
    }

    /// Checks the live dispatch exactly: its optimality proof ([`LiveFlow::verify`]), and that
    /// the offers are its flows, carry the bonus, and that supplies and capacities are the
    /// open units and the room that commitments leave. `O(pairs)`; for tests.
    ///
    /// # Errors
    /// The first disagreement.
    pub fn check_dispatch(&self) -> Result<(), String> {
        self.live.verify()?;
        for o in &self.orders {
            let Some(node) = o.node.filter(|_| o.state == OrderState::Listed) else {
                if o.tickets.iter().any(|t| t.state == TicketState::Offered) {
                    return Err(format!("order {} is {} with offers", o.id, o.state));
                }
                continue;
            };
            if self.live.supply(node) != o.open() {
                return Err(format!("order {}: supply is not its open units", o.id));
            }
            let mut flowing = 0;
            for a in self.live.arcs_of(node) {
                let arc = self.live.arc(a);
                let offer = o
                    .ticket(arc.right, &self.instance)
                    .map(|t| &o.tickets[t])
                    .filter(|t| t.state == TicketState::Offered)
                    .map_or(0, |t| t.quantity);
                if arc.flow != offer || arc.units != offer {
                    return Err(format!("order {}: offers are not the flow", o.id));
                }
                flowing += usize::from(arc.flow > 0);
            }
            let offers = o.tickets.iter().filter(|t| t.state == TicketState::Offered);
            if offers.count() != flowing {
                return Err(format!("order {}: an offer without flow", o.id));
            }
        }
        for (j, r) in self.instance.resources().iter().enumerate() {
            if self.live.capacity(j as u32) != i64::from(r.capacity) - self.committed[j] {
                return Err(format!("resource {}: capacity is not its room", r.id));
            }
        }
        Ok(())
    }

    /// For one order: every resource that may serve it (except those that declined or
    /// withdrew), best value first, with its tier, the capacity it has left after commitments
    /// and the orders it currently has offers for, which taking this order may displace.
    pub fn recommend(&self, order: &str) -> Option<Vec<Recommendation>> {
        let k = *self.index.get(order)?;
        let o = &self.orders[k];
        let mut out: Vec<Recommendation> = self
            .pairs(k)
            .into_iter()
            .filter(|p| !o.excluded.contains(&p.0))
            .map(|(j, tier, value)| {
                let mut displaces: Vec<String> = self
                    .live
                    .flowing_into(j)
                    .iter()
                    .map(|&a| &self.orders[self.order_of[self.live.arc(a).left as usize]].id)
                    .filter(|id| **id != o.id)
                    .cloned()
                    .collect();
                displaces.sort_unstable();
                Recommendation {
                    resource: self.instance.resources()[j as usize].id.clone(),
                    value,
                    tier,
                    remaining: i64::from(self.instance.resources()[j as usize].capacity)
                        - self.committed[j as usize],
                    displaces,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.value
                .cmp(&a.value)
                .then_with(|| a.resource.cmp(&b.resource))
        });
        Some(out)
    }

    /// satisfaction per community; plus escalations and per-resource figures.
    pub fn summary(&self) -> Summary {
        let instance = &self.instance;
        let areas = instance.areas();
        let m = instance.resources().len();
        let (mut done, mut points, mut rating_sum, mut rating_n) =
            (vec![0i64; m], vec![0i64; m], vec![0i64; m], vec![0i64; m]);
        let mut sat: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut requesters: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut escalations = Vec::new();
        for (k, o) in self.orders.iter().enumerate() {
            let good = o.score.is_some_and(|s| s >= 4);
            for t in o.tickets.iter().filter(|t| t.state == TicketState::Done) {
                if let Some(j) = instance.find_resource(&t.resource) {
                    let kind = instance.resource(j).kind;
                    let k = Kind::ALL.iter().position(|x| *x == kind).unwrap_or(0);
                    done[j.get()] += t.quantity;
                    points[j.get()] += t.quantity
                        * (self.points.per_unit[k]
                            + if good {
                                self.points.good_rating_bonus
                            } else {
                                0
                            });
                    if let Some(s) = o.score {
                        rating_sum[j.get()] += s;
                        rating_n[j.get()] += 1;
                    }
                }
            }
            if let Some(s) = o.score {
                let community = areas
                    .find(&o.need.area)
                    .and_then(|a| areas.ancestor_at(a, Level::Community))
                    .map_or("-".to_owned(), |c| areas.get(c).id.clone());
                let e = sat.entry(community).or_default();
                e.0 += i64::from(s >= 4);
                e.1 += 1;
                if let Some(r) = &o.need.requester {
                    let e = requesters.entry(r.clone()).or_default();
                    e.0 += i64::from(s >= 4);
                    e.1 += 1;
                }
            }
            if let Some(e) = self.escalation(k) {
                escalations.push(e);
            }
        }
        let ratio = |(g, n): (i64, i64)| if n == 0 { 0.0 } else { g as f64 / n as f64 };
        Summary {
            orders: self
                .orders
                .iter()
                .map(|o| OrderSummary {
                    id: o.id.clone(),
                    state: o.state,
                    tickets: o.tickets.clone(),
                    score: o.score,
                })
                .collect(),
            points: instance
                .resources()
                .iter()
                .enumerate()
                .filter(|(j, _)| points[*j] > 0)
                .map(|(j, r)| (r.id.clone(), points[j]))
                .collect(),
            satisfaction: sat.into_iter().map(|(c, v)| (c, ratio(v))).collect(),
            requester_satisfaction: requesters.into_iter().map(|(c, v)| (c, ratio(v))).collect(),
            resources: instance
                .resources()
                .iter()
                .enumerate()
                .filter(|(j, _)| done[*j] > 0 || self.declines[*j] > 0)
                .map(|(j, r)| ResourceSummary {
                    resource: r.id.clone(),
                    completed: done[j],
                    declines: self.declines[j],
                    average_rating: (rating_n[j] > 0)
                        .then(|| rating_sum[j] as f64 / rating_n[j] as f64),
                })
                .collect(),
            idle_members: instance
                .resources()
                .iter()
                .enumerate()
                .filter(|(j, r)| r.kind == Kind::Member && done[*j] == 0 && self.committed[*j] == 0)
                .map(|(_, r)| r.id.clone())
                .collect(),
            escalations,
        }
    }

    /// The level a listed order was raised to, and why: served above community level, or
    /// with units that no offer covers (raised to the district for manual handling, 兜底).
    fn escalation(&self, k: usize) -> Option<Escalation> {
        let o = &self.orders[k];
        if o.state != OrderState::Listed {
            return None;
        }
        let pairs = self.pairs(k);
        let local = pairs
            .iter()
            .any(|p| p.1 >= Level::Community && !o.excluded.contains(&p.0));
        let covered: i64 = o.tickets.iter().map(|t| t.quantity).sum();
        if covered < o.need.quantity {
            // A resource may still take the open units unless it declined, withdrew or
            // already holds a ticket of this order.
            let committed = |j: u32| {
                o.ticket(j, &self.instance)
                    .is_some_and(|t| o.tickets[t].state != TicketState::Offered)
            };
            let reason = if pairs
                .iter()
                .all(|p| o.excluded.contains(&p.0) || committed(p.0))
            {
                "no_eligible_resource"
            } else {
                "capacity_exhausted"
            };
            return Some(Escalation {
                order: o.id.clone(),
                level: Level::District,
                reason: reason.into(),
                units: o.need.quantity - covered,
            });
        }
        let widest = o.tickets.iter().map(|t| t.tier).min()?;
        (widest < Level::Community).then(|| Escalation {
            order: o.id.clone(),
            level: widest,
            reason: if local {
                "local_capacity_taken".into()
            } else {
                "no_eligible_resource_below".into()
            },
            units: o
                .tickets
                .iter()
                .filter(|t| t.tier < Level::Community)
                .map(|t| t.quantity)
                .sum(),
        })
    }
}

/// One resource that may serve an order, as [`Ledger::recommend`] ranks them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    /// Resource id.
    pub resource: String,
    /// Value of one unit.
    pub value: i64,
    /// Tier of the pair.
    pub tier: Level,
    /// Capacity left after accepted, agreed and done units.
    pub remaining: i64,
    /// Orders it currently has offers for, which taking this order may displace.
    pub displaces: Vec<String>,
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
}

/// One order in the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderSummary {
    /// Order id.
    pub id: String,
    /// Its state.
    pub state: OrderState,
    /// Its tickets.
    pub tickets: Vec<Ticket>,
    /// Its rating.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
}

/// One resource's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceSummary {
    /// Resource id.
    pub resource: String,
    /// Units done.
    pub completed: i64,
    /// Declines and withdrawals.
    pub declines: i64,
    /// Average rating of its rated orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_rating: Option<f64>,
}

/// The ledger's summary, in the contract's JSON form (more fields follow the contract's).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Orders in posting order.
    pub orders: Vec<OrderSummary>,
    /// Points (积分) per resource with any.
    pub points: BTreeMap<String, i64>,
    /// Share of ratings ≥ 4 per community.
    pub satisfaction: BTreeMap<String, f64>,
    /// Share of ratings ≥ 4 per requester.
    pub requester_satisfaction: BTreeMap<String, f64>,
    /// Per resource with any done units or declines.
    pub resources: Vec<ResourceSummary>,
    /// Registered members with nothing accepted or done (双报到 without service).
    pub idle_members: Vec<String>,
    /// Listed orders raised above their community.
    pub escalations: Vec<Escalation>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&serde_json::to_string(self).unwrap_or_default())
    }
}
