//! Time rules: window ends, lapsed offers, deadlines, and how an order ends with units given
//! up.
//!
//! After every accepted command the ledger lets time pass up to the command's `at`
//! ([`Ledger::pass_time`]): a resource whose window ended gets no offers (its capacity in the
//! live network drops to 0, its accepted tickets stay); a listed order whose need's window
//! ended leaves dispatch, its units not accepted are given up (`window_ended`), and it ends
//! when nothing of it is still accepted; a resource that let an offer lapse may be offered the
//! order again once `policy.lapse_hours` have passed. Each is a change of the live network
//! followed by a repair, so the offers stay an exact optimum of what is still open.
//! `tick` applies deadlines ([`Ledger::apply_deadlines`]). Offers made when the ledger started
//! get their time from the ledger's start ([`Ledger::stamp`]).

use super::error::Rejection;
use super::state::{OrderState as O, TicketState as T};
use super::Ledger;
use crate::model::area::Level;
use crate::model::time::DateTime;

/// The reason recorded for units given up when the need's window ended.
pub(super) const WINDOW_ENDED: &str = "window_ended";
/// The reason recorded for units given up by `close` without a reason of its own.
pub(super) const CLOSED: &str = "closed";

impl Ledger {
    /// Lets time pass up to `at`: resources and needs whose window ended before `at`, and
    /// lapses that are over.
    pub(super) fn pass_time(&mut self, at: DateTime) -> Result<(), Rejection> {
        let gone: Vec<(DateTime, u32)> = self
            .resource_ends
            .iter()
            .take_while(|e| e.0 < at)
            .copied()
            .collect();
        let ended: Vec<(DateTime, u64)> =
            self.ends.iter().take_while(|e| e.0 < at).copied().collect();
        let back: Vec<(DateTime, u64, u32)> = self
            .lapses
            .iter()
            .take_while(|e| e.0 <= at)
            .copied()
            .collect();
        if gone.is_empty() && ended.is_empty() && back.is_empty() {
            return Ok(());
        }
        for &(_, j) in &gone {
            if self.roster.get(j).is_some() {
                self.live.set_capacity(j, 0);
            }
        }
        let mut closing = Vec::new();
        for &(_, serial) in &ended {
            let Some(&k) = self.by_serial.get(&serial) else {
                continue;
            };
            let o = self.order_ref(k);
            if o.state != O::Listed {
                continue;
            }
            if let Some(n) = o.node {
                self.live.remove_left(n);
            }
            closing.push(k);
        }
        let mut tiers = Vec::new();
        for &(_, serial, j) in &back {
            let Some(&k) = self.by_serial.get(&serial) else {
                continue;
            };
            if closing.contains(&k) || self.roster.get(j).is_none() {
                continue;
            }
            let o = self.order_ref(k);
            let id = self.roster.id(j);
            let Some(node) = o.node.filter(|_| !o.excluded.contains(id) && !o.holds(id)) else {
                continue;
            };
            if self.live.find(node, j).is_some() {
                continue;
            }
            let areas = self.instance.areas();
            if let Some((tier, value)) = self.roster.assess(j, &o.wanted, areas, &self.policy) {
                tiers.push((self.live.add_arc(node, j, value), tier));
            }
        }
        let changed = self.repair()?;
        for (end, j) in gone {
            self.resource_ends.remove(&(end, j));
            if let Some(x) = self.expired.get_mut(j as usize) {
                *x = true;
            }
        }
        for (until, serial, j) in back {
            self.lapses.remove(&(until, serial, j));
            let id = self.roster.id(j).to_owned();
            if let Some(&k) = self.by_serial.get(&serial) {
                let o = self.order_mut(k);
                if o.lapsed.get(&id) == Some(&until) {
                    o.lapsed.remove(&id);
                }
                self.touch(k);
            }
        }
        self.record_tiers(&tiers);
        for e in ended {
            self.ends.remove(&e);
        }
        let mut finished = Vec::new();
        for &k in &closing {
            let offered: Vec<String> = self
                .order_ref(k)
                .tickets
                .iter()
                .filter(|t| t.state == T::Offered)
                .map(|t| t.resource.clone())
                .collect();
            for r in offered {
                self.drop_offer(k, &r);
            }
            let open = self.order_ref(k).open();
            self.give_up(k, open, WINDOW_ENDED);
            finished.push(k);
        }
        self.follow(changed, Some(at));
        for k in finished {
            self.record_closed(k);
            self.settle(k, at);
        }
        Ok(())
    }

    /// Records `units` of order `k` as given up for `reason`.
    pub(super) fn give_up(&mut self, k: usize, units: i64, reason: &str) {
        if units <= 0 {
            return;
        }
        let o = self.order_mut(k);
        o.given_up += units;
        o.reason = Some(reason.to_owned());
        *self.totals.given_up.entry(reason.to_owned()).or_default() += units;
        self.touch(k);
    }

    /// Ends listed order `k` if nothing of it is open, offered or accepted any more: completed
    /// when some units were done, else closed (and it leaves the working set).
    pub(super) fn settle(&mut self, k: usize, at: DateTime) {
        let Some(o) = self.orders[k].as_ref() else {
            return;
        };
        if o.state != O::Listed
            || o.open() > 0
            || o.node.is_some()
            || o.tickets.iter().any(|t| t.state != T::Done)
        {
            return;
        }
        let done = o.done() > 0;
        self.unfile(k);
        self.unindex(k);
        self.outstanding -= self.order_ref(k).need.quantity;
        let o = self.order_mut(k);
        if done {
            o.state = O::Completed;
            o.completed_at = Some(at);
            let serial = o.serial;
            self.rating.insert((at, serial));
            self.note_state(k);
        } else {
            o.state = O::Closed;
            self.note_state(k);
            self.archive(k);
        }
    }

    /// Takes listed order `k` out of the time indexes (window end, deadlines, lapses).
    pub(super) fn unindex(&mut self, k: usize) {
        let Some(o) = self.orders[k].as_ref() else {
            return;
        };
        let serial = o.serial;
        if let Some(end) = o.window_end() {
            self.ends.remove(&(end, serial));
        }
        if let Some(at) = o.listed_at {
            for l in Level::ALL {
                if let Some(h) = self.policy.escalate_after_hours[l.index()] {
                    self.deadlines
                        .remove(&(at.plus_seconds(h * 3600), serial, l.index()));
                }
            }
        }
        let lapsed: Vec<(String, DateTime)> =
            o.lapsed.iter().map(|(r, t)| (r.clone(), *t)).collect();
        for (r, until) in lapsed {
            if let Some(j) = self.roster.find(&r) {
                self.lapses.remove(&(until, serial, j));
            }
        }
    }

    /// Files listed order `k` (listed at `at`) under its window end and deadlines.
    pub(super) fn index_listed(&mut self, k: usize, at: DateTime) {
        let Some(o) = self.orders[k].as_mut() else {
            return;
        };
        let at = *o.listed_at.get_or_insert(at);
        let serial = o.serial;
        if let Some(end) = o.window_end() {
            self.ends.insert((end, serial));
        }
        for l in Level::ALL {
            if let Some(h) = self.policy.escalate_after_hours[l.index()] {
                self.deadlines
                    .insert((at.plus_seconds(h * 3600), serial, l.index()));
            }
        }
    }

    /// Files resource `j`'s window end, if it has a window.
    pub(super) fn index_window(&mut self, j: u32) {
        if self.expired.len() <= j as usize {
            self.expired.resize(j as usize + 1, false);
        }
        if let Some(end) = self.resource_end(j) {
            self.resource_ends.insert((end, j));
        }
    }

    /// Takes resource `j`'s window end out of the index.
    pub(super) fn unindex_window(&mut self, j: u32) {
        if let Some(end) = self.resource_end(j) {
            self.resource_ends.remove(&(end, j));
        }
        if let Some(x) = self.expired.get_mut(j as usize) {
            *x = false;
        }
    }

    /// When resource `j`'s window ends.
    pub(super) fn resource_end(&self, j: u32) -> Option<DateTime> {
        let m = self.roster.get(j)?;
        DateTime::parse(&m.data.window.as_ref()?.end)
    }

    /// What resource `j` may still be offered: nothing once its window ended, else what its
    /// commitments leave.
    pub(super) fn live_room(&self, j: u32) -> i64 {
        if self.expired.get(j as usize).copied().unwrap_or(false) {
            0
        } else {
            self.room(j)
        }
    }

    /// What resource `j` may be offered once `q` committed units come back to it.
    pub(super) fn live_room_plus(&self, j: u32, q: i64) -> i64 {
        if self.expired.get(j as usize).copied().unwrap_or(false) {
            0
        } else {
            self.room(j) + q
        }
    }

    /// Refuses `accept` and `claim` of order `k` by resource `j` at `at` after the end of
    /// either window.
    pub(super) fn check_windows(&self, k: usize, j: u32, at: DateTime) -> Result<(), Rejection> {
        let o = self.order_ref(k);
        let ended = match (o.window_end(), self.resource_end(j)) {
            (Some(end), _) if end < at => Some(("need", end)),
            (_, Some(end)) if end < at => Some(("resource", end)),
            _ => None,
        };
        match ended {
            Some((ended, end)) => Err(Rejection::WindowEnded {
                order: o.id.clone(),
                resource: self.roster.id(j).to_owned(),
                ended,
                end: end.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// Gives the offers made when the ledger started (they carry no time) the time `at`, and
    /// files the orders listed then under their deadlines.
    pub(super) fn stamp(&mut self, at: DateTime) {
        let listed: Vec<usize> = self.by_serial.values().copied().collect();
        for k in listed {
            if self.order_ref(k).state != O::Listed {
                continue;
            }
            if self.order_ref(k).listed_at.is_none() {
                self.order_mut(k).listed_at = Some(at);
                let o = self.order_ref(k);
                let serial = o.serial;
                for l in Level::ALL {
                    if let Some(h) = self.policy.escalate_after_hours[l.index()] {
                        self.deadlines
                            .insert((at.plus_seconds(h * 3600), serial, l.index()));
                    }
                }
            }
            let o = self.order_mut(k);
            let (serial, id) = (o.serial, o.id.clone());
            let mut stamped = Vec::new();
            for t in o.tickets.iter_mut() {
                if t.state == T::Offered && t.since.is_none() {
                    t.since = Some(at);
                    stamped.push((t.resource.clone(), t.quantity));
                }
            }
            for (r, q) in stamped {
                if let Some(j) = self.roster.find(&r) {
                    self.offers.insert((at, serial, j));
                }
                self.feed.offer(serial, &id, &r, (q, None), (q, Some(at)));
            }
        }
    }

    /// `tick`: listed orders with units not accepted when a deadline falls due are raised to
    /// its level.
    pub(super) fn apply_deadlines(&mut self, at: DateTime) {
        let due: Vec<(DateTime, u64, usize)> = self
            .deadlines
            .iter()
            .take_while(|e| e.0 <= at)
            .copied()
            .collect();
        for e in due {
            let Some(&k) = self.by_serial.get(&e.1) else {
                self.deadlines.remove(&e);
                continue;
            };
            let level = Level::ALL[e.2];
            let o = self.order_ref(k);
            if o.state != O::Listed {
                self.deadlines.remove(&e);
                continue;
            }
            if o.open() <= 0 {
                // Everything accepted for now: the deadline stays due, in case units open
                // again.
                continue;
            }
            self.deadlines.remove(&e);
            let o = self.order_mut(k);
            o.deadline = Some(match o.deadline {
                Some(x) if x < level => x,
                _ => level,
            });
            self.touch(k);
        }
    }

    /// Rebuilds the deadline index for the policy now in force: every deadline of a listed
    /// order at a level it has not reached yet.
    pub(super) fn reindex_deadlines(&mut self) {
        self.deadlines.clear();
        let listed: Vec<usize> = self.by_serial.values().copied().collect();
        for k in listed {
            let o = self.order_ref(k);
            if o.state != O::Listed {
                continue;
            }
            let Some(at) = o.listed_at else {
                continue;
            };
            let (serial, reached) = (o.serial, o.deadline);
            for l in Level::ALL {
                if reached.is_some_and(|r| r <= l) {
                    continue;
                }
                if let Some(h) = self.policy.escalate_after_hours[l.index()] {
                    self.deadlines
                        .insert((at.plus_seconds(h * 3600), serial, l.index()));
                }
            }
        }
    }
}
