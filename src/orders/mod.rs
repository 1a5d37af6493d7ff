//! The order lifecycle: 居民点单 → 社区交单 → 承诺接单 → 共同议单 → 完成结单 → 评单, as a ledger
//! that applies the command stream of the data contract, dispatches open units to the best
//! resources after every change, and reports what each command changed.
//!
//! An order is a need on its way: `posted` → `listed` (or `rejected`) → `completed` when all
//! its served units are done → `rated`; or `cancelled`. A ticket is one resource's share of an
//! order: `offered` → `accepted` (pinned) → `agreed` → `done`; offers can be declined or
//! expire, accepted tickets withdrawn. Resources join, change their terms and leave. Every
//! command is checked in full before anything changes: a rejected command changes nothing.
//!
//! Dispatch keeps the open part optimal: listed orders' units that are not accepted, on the
//! pairs without a declined, withdrawn or committed ticket, against the capacity that
//! accepted, agreed and done units leave. The first `q` units of an outstanding offer of `q`
//! units keep a bonus of `policy.reoffer_penalty` each. The ledger starts from one exact solve
//! and then repairs that optimum after each command (a live flow: shortest augmenting paths
//! over the potentials, in [`crate::solve`](mod@crate::solve)); offers follow the flow.
//!
//! For services: idempotency keys on any command; [`Changes`] from every command (the feed);
//! an [`Authority`] hook; [`Ledger::snapshot`] and [`Ledger::restore`]; a durable log
//! ([`EventLog`], [`Store`]). Finished orders (rejected, cancelled, rated, or completed and
//! past the rating window) leave the working set: their totals stay in the summary, their
//! commands in the log, and only their id and final state are kept.
//!
//! Where things are: [`command`] (typed commands, events), `raw` and `objects` (reading a
//! command line), `roster` (resources as they come and go), [`state`] (orders, tickets),
//! `apply` and `resources` (one function per command), `rules` (points, retention,
//! rule changes), `dispatch` (the glue to the live flow), `feed` (changes), `keys`,
//! `authority`, `summary`, `checks`, `snapshot` (with `fingerprint`), `log` and `store`
//! (durability), [`error`].

mod apply;
mod authority;
mod checks;
pub mod command;
mod dispatch;
pub mod error;
mod feed;
mod fingerprint;
mod forecast;
mod keys;
mod log;
mod objects;
mod raw;
mod read;
mod resources;
mod roster;
mod rules;
mod snapshot;
pub mod state;
mod store;
mod summary;
#[cfg(test)]
mod tests;
mod time;

pub use authority::{Authority, Permissive, Roles};
pub use command::{Action, Command, Event, ResourceChange};
pub use error::{DispatchFault, QuantityLimit, Rejection, ReplayCause, ReplayError, TimeFault};
pub use feed::{Changes, OfferChange, OrderChange, TicketChange};
pub use forecast::Forecast;
pub use log::{EventLog, LogError, Opened, SyncMode, Torn};
pub use rules::{Points, Rules};
pub use snapshot::SnapshotError;
pub use state::{Escalation, Order, OrderState, Ticket, TicketState};
pub use store::{Recovery, Store, StoreError, StoreOptions};
pub use summary::{OrderSummary, Recommendation, ResourceSummary, Summary};

use crate::contract::ResourceData;
use crate::eligibility::Eligibility;
use crate::model::area::Level;
use crate::model::time::DateTime;
use crate::model::{Instance, Policy};
use crate::solve::LiveFlow;
use crate::validate::{Code, Problem, Problems};
use feed::Feed;
use keys::{Keys, Remembered};
use roster::Roster;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use summary::Totals;

/// The ledger: the instance it started from, the roster of resources, the working set of
/// orders with their tickets, the live dispatch, and running totals.
#[derive(Debug, Clone)]
pub struct Ledger {
    instance: Instance,
    rules: Rules,
    policy: Policy,
    fingerprint: String,
    roster: Roster,
    /// The working set, by slot (free slots are `None`).
    orders: Vec<Option<Order>>,
    free_orders: Vec<usize>,
    /// Working-set order slots by id (for lookups only: nothing iterates it).
    index: HashMap<String, usize>,
    /// Working-set order slots by serial (posting order).
    by_serial: BTreeMap<u64, usize>,
    /// Finished orders: id and final state.
    archived: BTreeMap<Box<str>, OrderState>,
    next_serial: u64,
    /// Units of posted and listed orders (bounded by `limits::MAX_TOTAL_QUANTITY`).
    outstanding: i64,
    /// Per roster slot: units accepted, agreed or done of orders in the working set.
    committed: Vec<i64>,
    /// The open part: a left node per listed order with open units, a right node per
    /// roster slot.
    live: LiveFlow,
    /// Per live arc: the tier of its pair.
    tiers: Vec<Level>,
    /// Per live left node: its order slot ([`NO_ORDER`] if free).
    order_of: Vec<usize>,
    /// Listed orders by (area at or above the order's, category, serial): whom a resource
    /// that joins or changes may serve.
    places: BTreeSet<(u32, u32, u64)>,
    /// Offers with a time, by (since, order serial, resource slot): what a tick expires.
    offers: BTreeSet<(DateTime, u64, u32)>,
    /// Completed orders waiting for their rating, by (completion, serial).
    rating: BTreeSet<(DateTime, u64)>,
    /// Listed orders whose need has a window, by (window end, serial): what time ends.
    ends: BTreeSet<(DateTime, u64)>,
    /// Resources with a window that has not ended, by (window end, roster slot).
    resource_ends: BTreeSet<(DateTime, u32)>,
    /// Per roster slot: whether its window has ended (it gets no offers).
    expired: Vec<bool>,
    /// Offers that lapsed, by (until, order serial, resource slot): until then the resource
    /// is not offered the order again.
    lapses: BTreeSet<(DateTime, u64, u32)>,
    /// Deadlines of listed orders, by (due, serial, level index).
    deadlines: BTreeSet<(DateTime, u64, usize)>,
    /// The forecast of demand still to come, grouped, with its left nodes.
    outlook: Option<forecast::Outlook>,
    /// Tiers of forecast arcs added in the current command, to record after its repair.
    forecast_tiers: Vec<(u32, Level)>,
    /// Per live left node: whether it is a forecast node (its arcs keep no re-offer bonus).
    forecast_left: Vec<bool>,
    totals: Totals,
    keys: Keys,
    seq: u64,
    last_at: Option<DateTime>,
    /// The time up to which the time rules have been applied (the last command's `at`, unless
    /// applying them failed; they are applied again at the next command).
    passed: Option<DateTime>,
    authority: Arc<dyn Authority>,
    /// What the current command changed.
    feed: Feed,
}

/// What applying a command did: the event it appended to the log (`None` for a retry of a
/// command already applied) and what it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The new event, to append to a log.
    pub event: Option<Event>,
    /// What changed.
    pub changes: Changes,
}

/// Checks a text field of the command (`by`, `key`): 1 to 256 bytes, no control characters.
fn check_text(s: &str, field: &str) -> Result<(), Rejection> {
    let bad = if s.is_empty() {
        Some("is empty")
    } else if s.len() > crate::model::limits::MAX_ID_BYTES {
        Some("is longer than 256 bytes")
    } else if s.chars().any(char::is_control) {
        Some("holds a control character")
    } else {
        None
    };
    match bad {
        Some(b) => Err(Rejection::Malformed(Problems(vec![Problem::new(
            Code::BadId,
            field,
            format!("`{field}` {b}"),
        )]))),
        None => Ok(()),
    }
}

impl Ledger {
    /// A ledger on `instance` with the default [`Rules`]: its needs become listed orders,
    /// dispatched at once (one exact solve, whose optimum and duals the live dispatch then
    /// keeps up to date).
    ///
    /// # Errors
    /// [`Rejection::Dispatch`] if the first dispatch fails.
    pub fn new(instance: Instance) -> Result<Ledger, Rejection> {
        Ledger::with_rules(instance, Rules::default())
    }

    /// A ledger on `instance` under `rules`.
    ///
    /// # Errors
    /// [`Rejection::Dispatch`] if the first dispatch fails.
    pub fn with_rules(instance: Instance, rules: Rules) -> Result<Ledger, Rejection> {
        let start = match &rules.start {
            Some(s) => Some(DateTime::parse(s).ok_or_else(|| Rejection::Time {
                at: s.clone(),
                fault: TimeFault::NotATime,
            })?),
            None => None,
        };
        let eligibility = Eligibility::build(&instance);
        let live = LiveFlow::solve(eligibility.network(), instance.policy().reoffer_penalty)
            .map_err(Rejection::Dispatch)?;
        let tiers = eligibility.arcs().map(|a| a.tier).collect();
        drop(eligibility);
        let data = instance.to_data();
        let fingerprint = fingerprint::of(&data, &rules);
        let m = instance.resources().len();
        let mut ledger = Ledger {
            roster: Roster::new(&instance, data.resources),
            policy: instance.policy().clone(),
            orders: Vec::new(),
            free_orders: Vec::new(),
            index: HashMap::new(),
            by_serial: BTreeMap::new(),
            archived: BTreeMap::new(),
            next_serial: 0,
            outstanding: instance.demanded(),
            committed: vec![0; m],
            tiers,
            order_of: (0..data.needs.len()).collect(),
            places: BTreeSet::new(),
            offers: BTreeSet::new(),
            rating: BTreeSet::new(),
            ends: BTreeSet::new(),
            resource_ends: BTreeSet::new(),
            expired: vec![false; m],
            lapses: BTreeSet::new(),
            deadlines: BTreeSet::new(),
            outlook: None,
            forecast_tiers: Vec::new(),
            forecast_left: Vec::new(),
            totals: Totals::default(),
            keys: Keys::default(),
            seq: 0,
            last_at: None,
            passed: None,
            authority: Arc::new(Permissive),
            feed: Feed::default(),
            live,
            instance,
            rules,
            fingerprint,
        };
        for (i, need) in data.needs.into_iter().enumerate() {
            let wanted = ledger.roster.wanted(&need, ledger.instance.areas());
            let serial = ledger.next_serial;
            ledger.next_serial += 1;
            let mut order = Order::new(need, OrderState::Listed, serial, wanted);
            order.node = Some(i as u32);
            for (a, c) in Roster::places(&order.wanted, ledger.instance.areas()) {
                ledger.places.insert((a, c, serial));
            }
            if let Some(end) = order.window_end() {
                ledger.ends.insert((end, serial));
            }
            ledger.index.insert(order.id.clone(), i);
            ledger.by_serial.insert(serial, i);
            ledger.orders.push(Some(order));
        }
        for j in 0..m as u32 {
            ledger.index_window(j);
        }
        if let Some(forecast) = ledger.rules.forecast.clone() {
            let outlook = ledger.outlook(&forecast)?;
            let at = start.unwrap_or(outlook.from);
            ledger.outlook = Some(outlook);
            let (created, changed) = ledger.forecast_supplies(at);
            if changed {
                ledger.repair()?;
            }
            ledger.record_forecast(created);
        }
        let offered = (0..ledger.tiers.len() as u32)
            .filter(|&a| ledger.live.arc(a).flow() > 0)
            .collect();
        ledger.follow(offered, None);
        ledger.live.commit();
        if let Some(start) = start {
            ledger.stamp(start);
            ledger.pass_time(start)?;
            ledger.live.commit();
            ledger.last_at = Some(start);
            ledger.passed = Some(start);
        }
        ledger.feed = Feed::default();
        for k in 0..ledger.orders.len() {
            let e = ledger.escalation(k);
            if let Some(o) = ledger.orders[k].as_mut() {
                o.escalation = e;
            }
        }
        Ok(ledger)
    }

    /// The instance the ledger started from.
    pub fn instance(&self) -> &Instance {
        &self.instance
    }

    /// The rules the ledger started from, with the points rules now in force.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The value model now in force (the instance's, or the last `set_policy`).
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The fingerprint of the instance and rules the ledger started from: logs and snapshots
    /// carry it, and a ledger refuses those of another.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Replaces the authority that checks who may do what (the default is [`Permissive`]).
    pub fn set_authority(&mut self, authority: Arc<dyn Authority>) {
        self.authority = authority;
    }

    /// The orders in the working set, in the order they were posted.
    pub fn orders(&self) -> Vec<&Order> {
        self.by_serial
            .values()
            .filter_map(|&k| self.orders[k].as_ref())
            .collect()
    }

    /// The order with this id, if it is in the working set.
    pub fn order(&self, id: &str) -> Option<&Order> {
        self.live_order(id)
    }

    fn live_order(&self, id: &str) -> Option<&Order> {
        self.index.get(id).and_then(|&k| self.orders[k].as_ref())
    }

    /// The final state of a finished order that left the working set.
    pub fn finished(&self, id: &str) -> Option<OrderState> {
        self.archived.get(id).copied()
    }

    /// The resource with this id, with its current terms.
    pub fn resource(&self, id: &str) -> Option<&ResourceData> {
        let j = self.roster.find(id)?;
        self.roster.get(j).map(|m| &m.data)
    }

    /// The resources on the roster, by id.
    pub fn resources(&self) -> Vec<&ResourceData> {
        self.roster.by_id().map(|(_, m)| &m.data).collect()
    }

    /// The number of events so far (the last sequence number).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The time of the last accepted command.
    pub fn last_at(&self) -> Option<String> {
        self.last_at.map(|t| t.to_string())
    }

    /// Shortest-path searches the live dispatch has run (a work counter).
    pub fn dispatch_searches(&self) -> u64 {
        self.live.searches()
    }

    /// Restarts of the live dispatch from zero flow (potentials grown beyond its guard; a work
    /// counter, expected to stay 0).
    pub fn dispatch_restarts(&self) -> u64 {
        self.live.restarts()
    }

    /// The first line of this ledger's event log: its format and fingerprint.
    pub fn log_header(&self) -> String {
        log::header(&self.fingerprint)
    }

    /// Reads one JSON line of the command stream into a command, checking everything a line
    /// can break: JSON, fields, types, and the contract objects it carries (against this
    /// ledger's areas).
    ///
    /// # Errors
    /// [`Rejection::Malformed`], [`Rejection::UnknownCommand`], [`Rejection::InvalidNeed`],
    /// [`Rejection::InvalidResource`], [`Rejection::InvalidPolicy`] or
    /// [`Rejection::InvalidPoints`], each problem with its path.
    pub fn parse(&self, line: &str) -> Result<Command, Rejection> {
        let raw = raw::Raw::parse(line).map_err(|e| {
            let mut p = Problem::new(Code::Syntax, "", format!("not JSON: {e}"));
            (p.line, p.column) = (Some(e.line()), Some(e.column()));
            Rejection::Malformed(Problems(vec![p]))
        })?;
        self.read_command(&raw)
    }

    /// Applies one JSON line of the command stream.
    ///
    /// # Errors
    /// A [`Rejection`]; the ledger is unchanged.
    pub fn apply_line(&mut self, line: &str) -> Result<Applied, Rejection> {
        let command = self.parse(line)?;
        self.apply(command)
    }

    /// Applies one command. A command whose key was accepted before with the same body
    /// succeeds again with no event and no change.
    ///
    /// # Errors
    /// A [`Rejection`]; the ledger is unchanged (every check runs before the first change,
    /// and a failed repair of the live dispatch is rolled back).
    pub fn apply(&mut self, command: Command) -> Result<Applied, Rejection> {
        check_text(&command.by, "by")?;
        let body = match &command.key {
            Some(key) => {
                check_text(key, "key")?;
                let body = command.body();
                if let Some(r) = self.keys.get(key) {
                    return if r.body == body {
                        Ok(Applied {
                            event: None,
                            changes: Changes::default(),
                        })
                    } else {
                        Err(Rejection::KeyReused {
                            key: key.clone(),
                            seq: r.seq,
                        })
                    };
                }
                Some(body)
            }
            None => None,
        };
        let at = DateTime::parse(&command.at).ok_or_else(|| Rejection::Time {
            at: command.at.clone(),
            fault: TimeFault::NotATime,
        })?;
        if self.last_at.is_some_and(|last| at < last) {
            return Err(Rejection::Time {
                at: command.at.clone(),
                fault: TimeFault::Backwards,
            });
        }
        let authority = Arc::clone(&self.authority);
        authority
            .check(self, &command)
            .map_err(|reason| Rejection::Forbidden {
                by: command.by.clone(),
                cmd: command.name(),
                reason,
            })?;
        self.feed = Feed::default();
        if let Err(e) = self.change(&command, at) {
            self.live.rollback();
            self.feed = Feed::default();
            return Err(e);
        }
        self.live.commit();
        if self.last_at.is_none() {
            self.stamp(at);
        }
        // Time passes after the command (it cannot be rejected any more): window ends and
        // lapses up to `at`. A failed repair here (a broken invariant of the live flow) rolls
        // back the time rules' own changes only: the command stands, the ledger stays
        // consistent with time passed up to the previous command, and the next command
        // applies the time rules again.
        match self.pass_time(at) {
            Ok(()) => {
                self.live.commit();
                self.passed = Some(at);
            }
            Err(_) => self.live.rollback(),
        }
        self.seq += 1;
        self.last_at = Some(at);
        self.keys
            .expire(at.plus_seconds(-self.rules.key_hours.saturating_mul(3600)));
        if let (Some(key), Some(body)) = (&command.key, body) {
            let r = Remembered {
                body,
                seq: self.seq,
                at,
            };
            self.keys.insert(key.clone(), r);
        }
        let changes = self.finish_feed();
        Ok(Applied {
            event: Some(Event {
                seq: self.seq,
                command,
            }),
            changes,
        })
    }

    /// Brings the escalations of the orders the command touched up to date and returns the
    /// command's changes.
    fn finish_feed(&mut self) -> Changes {
        let mut touched = std::mem::take(&mut self.feed.touched);
        touched.sort_unstable();
        touched.dedup();
        for serial in touched {
            let Some(&k) = self.by_serial.get(&serial) else {
                continue;
            };
            let e = self.escalation(k);
            let Some(o) = self.orders[k].as_mut() else {
                continue;
            };
            if o.escalation != e {
                o.escalation = e.clone();
                if let Some(e) = e {
                    self.feed.escalation(serial, e);
                }
            }
        }
        let feed = std::mem::take(&mut self.feed);
        feed.changes(self.policy.offer_deadline_hours * 3600)
    }

    /// Marks order `k` for the feed's escalation check.
    fn touch(&mut self, k: usize) {
        if let Some(o) = self.orders[k].as_ref() {
            self.feed.touched.push(o.serial);
        }
    }

    /// Records order `k`'s new state in the feed.
    fn note_state(&mut self, k: usize) {
        if let Some(o) = self.orders[k].as_ref() {
            let (serial, id, state) = (o.serial, o.id.clone(), o.state);
            self.feed.order(serial, &id, state);
            self.feed.touched.push(serial);
        }
    }

    /// Adds a new order to the working set.
    fn insert_order(&mut self, order: Order) -> usize {
        let (id, serial) = (order.id.clone(), order.serial);
        let k = match self.free_orders.pop() {
            Some(k) => {
                self.orders[k] = Some(order);
                k
            }
            None => {
                self.orders.push(Some(order));
                self.orders.len() - 1
            }
        };
        self.index.insert(id, k);
        self.by_serial.insert(serial, k);
        k
    }

    /// Files listed order `k` under its places.
    fn file(&mut self, k: usize) {
        if let Some(o) = self.orders[k].as_ref() {
            for (a, c) in Roster::places(&o.wanted, self.instance.areas()) {
                self.places.insert((a, c, o.serial));
            }
        }
    }

    /// Takes order `k` out of its places (it is no longer listed).
    fn unfile(&mut self, k: usize) {
        if let Some(o) = self.orders[k].as_ref() {
            for (a, c) in Roster::places(&o.wanted, self.instance.areas()) {
                self.places.remove(&(a, c, o.serial));
            }
        }
    }

    /// Finished order `k` leaves the working set (it must have no node and no offer).
    fn archive(&mut self, k: usize) {
        let Some(o) = self.orders[k].take() else {
            return;
        };
        if let Some(at) = o.completed_at {
            self.rating.remove(&(at, o.serial));
        }
        self.index.remove(&o.id);
        self.by_serial.remove(&o.serial);
        self.totals.archive(o.state);
        self.archived.insert(o.id.into_boxed_str(), o.state);
        self.free_orders.push(k);
    }

    /// Rebuilds a ledger on `instance` (default rules) from an event log: its header line,
    /// then one event a line.
    ///
    /// # Errors
    /// [`ReplayError`] at the first malformed, out-of-sequence or rejected line, or a header
    /// of another instance or other rules.
    pub fn replay(instance: Instance, log: &str) -> Result<Ledger, ReplayError> {
        Ledger::replay_with(instance, Rules::default(), log)
    }

    /// As [`Ledger::replay`], under `rules`.
    ///
    /// # Errors
    /// As [`Ledger::replay`].
    pub fn replay_with(instance: Instance, rules: Rules, log: &str) -> Result<Ledger, ReplayError> {
        let mut ledger = Ledger::with_rules(instance, rules).map_err(|e| ReplayError {
            line: 0,
            cause: ReplayCause::Start(e),
        })?;
        let mut lines = log.lines().enumerate();
        match lines.next() {
            Some((_, first)) => {
                log::check_header(first, &ledger.fingerprint).map_err(|e| ReplayError {
                    line: 1,
                    cause: ReplayCause::Header(e),
                })?
            }
            None => return Ok(ledger),
        }
        for (k, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            ledger
                .replay_line(line)
                .map_err(|cause| ReplayError { line: k + 1, cause })?;
        }
        Ok(ledger)
    }

    /// Applies one event line of a log: the next sequence number, applied.
    pub(crate) fn replay_line(&mut self, line: &str) -> Result<Applied, ReplayCause> {
        let event = self.read_event(line)?;
        let due = self.seq + 1;
        if event.seq != due {
            return Err(ReplayCause::Sequence {
                found: event.seq,
                due,
            });
        }
        let applied = self.apply(event.command).map_err(ReplayCause::Rejected)?;
        if applied.event.is_none() {
            // A logged command is never a retry of an earlier one.
            return Err(ReplayCause::Sequence {
                found: event.seq,
                due,
            });
        }
        Ok(applied)
    }
}
