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
//! Dispatch solves the open part exactly: listed orders' units that are not accepted, against
//! the capacity that accepted, agreed and done units leave; an outstanding offer keeps a
//! bonus of `policy.reoffer_penalty` per unit (each order is split into one part per
//! outstanding offer, with the bonus on that offer's resource, and one for the rest). It is a
//! full solve of the open part with the flow solver (see the notes in `ARCHITECTURE.md`).

use crate::area::Level;
use crate::check::may_serve;
use crate::instance::{Instance, LoadError, NeedData};
use crate::need::Need;
use crate::resource::Kind;
use crate::solve::{FlowSolver, Network, Solver};
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
    /// Tickets by resource id.
    pub tickets: Vec<Ticket>,
    /// The rating, once rated.
    pub score: Option<i64>,
    /// The rating's comment.
    pub comment: Option<String>,
    /// Why it was rejected or cancelled.
    pub reason: Option<String>,
    /// Resources that may serve it: (resource, tier, value), by resource.
    pairs: Vec<(u32, Level, i64)>,
    /// Resources that declined or withdrew: never offered this order again.
    excluded: BTreeSet<u32>,
}

impl Order {
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
    /// The dispatch failed (an internal fault; nothing changed).
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

/// The ledger: the instance, the orders and their tickets, and the event log.
#[derive(Debug, Clone)]
pub struct Ledger {
    instance: Instance,
    areas_json: String,
    orders: Vec<Order>,
    index: BTreeMap<String, usize>,
    /// Per resource: units accepted, agreed or done.
    committed: Vec<i64>,
    events: Vec<Event>,
    last_at: Option<DateTime>,
    /// Per resource: declines and withdrawals.
    declines: Vec<i64>,
    /// How points are counted.
    pub points: Points,
}

impl Ledger {
    /// A ledger on `instance`: its needs become listed orders, dispatched at once.
    ///
    /// # Errors
    /// [`Rejection::Dispatch`] if the first dispatch fails.
    pub fn new(instance: Instance) -> Result<Ledger, Rejection> {
        let data = instance.to_data();
        let areas_json = serde_json::to_string(&data.areas).unwrap_or_else(|_| "[]".into());
        let m = instance.resources().len();
        let mut ledger = Ledger {
            instance,
            areas_json,
            orders: Vec::new(),
            index: BTreeMap::new(),
            committed: vec![0; m],
            events: Vec::new(),
            last_at: None,
            declines: vec![0; m],
            points: Points::default(),
        };
        for need in data.needs {
            let pairs = ledger.pairs(&need);
            ledger.index.insert(need.id.clone(), ledger.orders.len());
            ledger.orders.push(Order {
                id: need.id.clone(),
                need,
                state: OrderState::Listed,
                tickets: Vec::new(),
                score: None,
                comment: None,
                reason: None,
                pairs,
                excluded: BTreeSet::new(),
            });
        }
        ledger.dispatch(None)?;
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
    /// A [`Rejection`]; the ledger is unchanged.
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
        let snapshot = (
            self.orders.clone(),
            self.committed.clone(),
            self.declines.clone(),
            self.index.clone(),
        );
        match self.change(&command, at) {
            Ok(()) => {
                self.last_at = Some(at);
                self.events.push(Event {
                    seq: self.events.len() as u64 + 1,
                    command,
                });
                Ok(())
            }
            Err(e) => {
                (self.orders, self.committed, self.declines, self.index) = snapshot;
                Err(e)
            }
        }
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
                let text = format!("{{\"areas\": {}, \"needs\": [{need}]}}", self.areas_json);
                let data = match Instance::from_json_str(&text) {
                    Ok(one) => one.to_data().needs.into_iter().next(),
                    Err(LoadError::Invalid(p)) => {
                        let why: Vec<String> =
                            p.0.iter()
                                .map(|p| p.to_string().replace("needs[0]", "need"))
                                .collect();
                        return Err(Rejection::InvalidNeed(why.join("; ")));
                    }
                    Err(e) => return Err(Rejection::InvalidNeed(e.to_string())),
                };
                let Some(data) = data else {
                    return Err(Rejection::InvalidNeed("no need given".into()));
                };
                if self.index.contains_key(&data.id) {
                    return Err(Rejection::OrderExists(data.id));
                }
                let pairs = self.pairs(&data);
                self.index.insert(data.id.clone(), self.orders.len());
                self.orders.push(Order {
                    id: data.id.clone(),
                    need: data,
                    state: O::Posted,
                    tickets: Vec::new(),
                    score: None,
                    comment: None,
                    reason: None,
                    pairs,
                    excluded: BTreeSet::new(),
                });
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
                    self.dispatch(Some(at))
                } else {
                    self.orders[k].state = O::Rejected;
                    self.orders[k].reason = reason.clone();
                    Ok(())
                }
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
                self.dispatch(Some(at))
            }
            Command::Claim {
                order,
                resource,
                quantity,
                ..
            } => {
                let (k, j) = (self.order_index(order)?, self.resource_index(resource)?);
                self.expect_state(k, &[O::Listed], "claim")?;
                let Some(&(_, tier, value)) = self.orders[k].pairs.iter().find(|p| p.0 == j) else {
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
                match existing.map(|t| self.orders[k].tickets[t].state) {
                    Some(T::Agreed | T::Done) => {
                        return Err(Rejection::TicketState {
                            order: order.clone(),
                            resource: resource.clone(),
                            state: existing.map(|t| self.orders[k].tickets[t].state),
                            cmd: "claim",
                        })
                    }
                    Some(T::Accepted) => {
                        let t = existing.unwrap_or_default();
                        self.orders[k].tickets[t].quantity += quantity;
                    }
                    Some(T::Offered) | None => {
                        if let Some(t) = existing {
                            self.orders[k].tickets.remove(t);
                        }
                        self.insert_ticket(k, j, *quantity, T::Accepted, tier, value, Some(at));
                    }
                }
                self.committed[j as usize] += quantity;
                self.dispatch(Some(at))
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
                    o.state = O::Completed;
                    // Its remaining open units are no longer dispatched.
                    return self.dispatch(Some(at));
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
                self.dispatch(Some(at))
            }
            Command::Cancel { order, reason, .. } => {
                let k = self.order_index(order)?;
                self.expect_state(k, &[O::Posted, O::Listed], "cancel")?;
                let instance = &self.instance;
                let o = &mut self.orders[k];
                for t in o
                    .tickets
                    .iter()
                    .filter(|t| matches!(t.state, T::Accepted | T::Agreed))
                {
                    if let Some(j) = instance.find_resource(&t.resource) {
                        self.committed[j.get()] -= t.quantity;
                    }
                }
                o.tickets.retain(|t| t.state == T::Done);
                o.state = O::Cancelled;
                o.reason = reason.clone();
                self.dispatch(Some(at))
            }
            Command::Tick { .. } => {
                let deadline = self.instance.policy().offer_deadline_hours * 3600;
                let mut expired = false;
                for o in self.orders.iter_mut().filter(|o| o.state == O::Listed) {
                    let before = o.tickets.len();
                    o.tickets.retain(|t| {
                        !(t.state == T::Offered
                            && t.since
                                .is_some_and(|s| at.seconds() - s.seconds() > deadline))
                    });
                    expired |= o.tickets.len() != before;
                }
                if expired {
                    self.dispatch(Some(at))
                } else {
                    Ok(())
                }
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

    /// The resources that may serve a need, read literally from the model.
    fn pairs(&self, data: &NeedData) -> Vec<(u32, Level, i64)> {
        let Some(need) = self.resolve(data) else {
            return Vec::new();
        };
        self.instance
            .resources()
            .iter()
            .enumerate()
            .filter_map(|(j, r)| {
                may_serve(&self.instance, &need, r)
                    .ok()
                    .map(|(t, v)| (j as u32, t, v))
            })
            .collect()
    }

    /// The need in the instance's terms; `None` if no resource knows its category or a skill.
    fn resolve(&self, d: &NeedData) -> Option<Need> {
        let i = &self.instance;
        crate::instance::need_from_data(d, i.areas(), i.categories(), i.skills())
    }

    /// The open part as a network: one left node per outstanding offer (with the re-offer
    /// bonus on that offer's resource) and one for the rest of each listed order's open units.
    fn open_network(&self) -> (Network, Vec<(usize, Option<u32>)>) {
        let bonus = self.instance.policy().reoffer_penalty;
        let room: Vec<i64> = self
            .instance
            .resources()
            .iter()
            .zip(&self.committed)
            .map(|(r, c)| i64::from(r.capacity) - c)
            .collect();
        let mut net = Network {
            capacity: room,
            start: vec![0],
            ..Network::default()
        };
        let mut parts = Vec::new();
        for (k, o) in self
            .orders
            .iter()
            .enumerate()
            .filter(|(_, o)| o.state == OrderState::Listed)
        {
            let open = o.open();
            if open <= 0 {
                continue;
            }
            let mut offered = 0;
            let offers: Vec<(u32, i64)> = o
                .tickets
                .iter()
                .filter(|t| t.state == TicketState::Offered)
                .filter_map(|t| {
                    self.instance
                        .find_resource(&t.resource)
                        .map(|j| (j.0, t.quantity))
                })
                .collect();
            for &(j, q) in offers.iter().chain(std::iter::once(&(u32::MAX, 0))) {
                let supply = if j == u32::MAX {
                    open - offered
                } else {
                    q.min(open - offered)
                };
                offered += if j == u32::MAX { 0 } else { supply };
                if supply <= 0 {
                    continue;
                }
                net.supply.push(supply);
                for &(r, _, v) in o.pairs.iter().filter(|p| !o.excluded.contains(&p.0)) {
                    net.head.push(r);
                    net.value.push(v + if r == j { bonus } else { 0 });
                }
                net.start.push(net.head.len() as u32);
                parts.push((k, (j != u32::MAX).then_some(j)));
            }
        }
        (net, parts)
    }

    /// Re-dispatches the open part: offers follow an optimal solution of [`Self::open_network`].
    fn dispatch(&mut self, at: Option<DateTime>) -> Result<(), Rejection> {
        let (net, parts) = self.open_network();
        let sol = FlowSolver::default()
            .solve(&net)
            .map_err(|e| Rejection::Dispatch(e.to_string()))?;
        // Units offered per (order, resource).
        let mut offers: BTreeMap<(usize, u32), i64> = BTreeMap::new();
        for (p, &(k, _)) in parts.iter().enumerate() {
            for a in net.out(p) {
                if sol.flow[a] > 0 {
                    *offers.entry((k, net.head[a])).or_default() += sol.flow[a];
                }
            }
        }
        for k in 0..self.orders.len() {
            let old: Vec<Ticket> = self.orders[k]
                .tickets
                .iter()
                .filter(|t| t.state == TicketState::Offered)
                .cloned()
                .collect();
            self.orders[k]
                .tickets
                .retain(|t| t.state != TicketState::Offered);
            let new: Vec<(u32, i64)> = offers
                .range((k, 0)..=(k, u32::MAX))
                .map(|(&(_, j), &q)| (j, q))
                .collect();
            for (j, q) in new {
                let id = &self.instance.resources()[j as usize].id;
                let kept = old
                    .iter()
                    .find(|t| &t.resource == id && t.quantity == q)
                    .and_then(|t| t.since);
                let Some(&(_, tier, value)) = self.orders[k].pairs.iter().find(|p| p.0 == j) else {
                    continue;
                };
                self.insert_ticket(k, j, q, TicketState::Offered, tier, value, kept.or(at));
            }
        }
        Ok(())
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
        let (net, _) = self.open_network();
        let bonus = self.instance.policy().reoffer_penalty;
        let offered: i64 = self
            .orders
            .iter()
            .filter(|o| o.state == OrderState::Listed)
            .flat_map(|o| o.tickets.iter().filter(|t| t.state == TicketState::Offered))
            .map(|t| t.quantity * (t.value + bonus))
            .sum();
        Ok((offered, solver.solve(&net)?.objective))
    }

    /// For one order: every resource that may serve it, best value first, with its tier,
    /// the capacity it has left (after accepted units) and the orders it currently offers
    /// to, which taking this order would displace.
    pub fn recommend(&self, order: &str) -> Option<Vec<Recommendation>> {
        let o = self.order(order)?;
        let mut out: Vec<Recommendation> = o
            .pairs
            .iter()
            .filter(|p| !o.excluded.contains(&p.0))
            .map(|&(j, tier, value)| {
                let r = &self.instance.resources()[j as usize];
                let displaces = self
                    .orders
                    .iter()
                    .filter(|x| {
                        x.id != o.id
                            && x.tickets
                                .iter()
                                .any(|t| t.resource == r.id && t.state == TicketState::Offered)
                    })
                    .map(|x| x.id.clone())
                    .collect();
                Recommendation {
                    resource: r.id.clone(),
                    value,
                    tier,
                    remaining: i64::from(r.capacity) - self.committed[j as usize],
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

    /// The summary of the contract: orders with their tickets, points per resource,
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
        for o in &self.orders {
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
            if let Some(e) = self.escalation(o) {
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
    fn escalation(&self, o: &Order) -> Option<Escalation> {
        if o.state != OrderState::Listed {
            return None;
        }
        let local = o
            .pairs
            .iter()
            .any(|p| p.1 >= Level::Community && !o.excluded.contains(&p.0));
        let covered: i64 = o.tickets.iter().map(|t| t.quantity).sum();
        if covered < o.need.quantity {
            let reason = if o.pairs.iter().all(|p| o.excluded.contains(&p.0)) {
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
