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
//! and then repairs that optimum after each command (a live flow: shortest augmenting paths
//! over the potentials, in [`crate::solve`](mod@crate::solve)), never solving again from scratch; offers follow
//! the flow.
//!
//! Where things are: [`command`] (the stream and the event log), [`state`] (orders, tickets),
//! `apply` (one function per command), `dispatch` (the glue to the live flow), `summary`
//! (summary, points, escalation, recommendations), `checks` (self-checks), [`error`].

mod apply;
mod checks;
pub mod command;
mod dispatch;
pub mod error;
pub mod state;
mod summary;

pub use command::{Command, Event};
pub use error::{DispatchFault, QuantityLimit, Rejection, ReplayCause, ReplayError, TimeFault};
pub use state::{Order, OrderState, Ticket, TicketState};
pub use summary::{Escalation, OrderSummary, Points, Recommendation, ResourceSummary, Summary};

use crate::eligibility::{self, Eligibility};
use crate::model::area::Level;
use crate::model::time::DateTime;
use crate::model::Instance;
use crate::solve::LiveFlow;
use std::collections::BTreeMap;

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
            .map_err(Rejection::Dispatch)?;
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
    ///
    /// # Errors
    /// Only if serialisation fails, which an event never does.
    pub fn events_jsonl(&self) -> Result<String, serde_json::Error> {
        let mut out = String::new();
        for e in &self.events {
            out.push_str(&serde_json::to_string(e)?);
            out.push('\n');
        }
        Ok(out)
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
            fault: TimeFault::NotATime,
        })?;
        if self.last_at.is_some_and(|last| at < last) {
            return Err(Rejection::Time {
                at: command.at().to_owned(),
                fault: TimeFault::Backwards,
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
            cause: ReplayCause::Start(e),
        })?;
        for (k, line) in log.lines().enumerate() {
            let fail = |cause: ReplayCause| ReplayError { line: k + 1, cause };
            if line.trim().is_empty() {
                continue;
            }
            let event: Event = serde_json::from_str(line)
                .map_err(|e| fail(ReplayCause::Malformed(e.to_string())))?;
            let due = ledger.events.len() as u64 + 1;
            if event.seq != due {
                return Err(fail(ReplayCause::Sequence {
                    found: event.seq,
                    due,
                }));
            }
            ledger
                .apply(event.command)
                .map_err(|e| fail(ReplayCause::Rejected(e)))?;
        }
        Ok(ledger)
    }
}
