//! The glue between the ledger and the live dispatch ([`crate::solve`]'s live flow): listed
//! orders with open units become left nodes, resources right nodes, the pairs that may still
//! serve arcs; offers follow the flow.
//!
//! A command changes the live flow first and repairs it (the only step that can fail, and
//! then the live flow rolls back); only after a repair succeeds does it change the ledger's
//! own records, and offers follow. So a failed repair leaves the whole ledger as it was.

use super::error::Rejection;
use super::state::{Ticket, TicketState};
use super::Ledger;
use crate::model::area::Level;
use crate::model::time::DateTime;

/// No order (a free left node).
pub(super) const NO_ORDER: usize = usize::MAX;

/// A left node opened by this command, to record once the repair succeeded.
pub(super) struct Opened {
    pub(super) order: usize,
    pub(super) node: u32,
    /// (arc, tier) of its arcs.
    pub(super) tiers: Vec<(u32, Level)>,
}

impl Ledger {
    /// Repairs the live flow; returns the arcs whose flow changed.
    pub(super) fn repair(&mut self) -> Result<Vec<u32>, Rejection> {
        self.live.repair().map_err(Rejection::Internal)
    }

    /// The resources that may still be offered order `k`: those that may serve it, less
    /// those that declined or withdrew and those holding a ticket of it: (slot, tier, value),
    /// slots ascending.
    pub(super) fn live_pairs(&self, k: usize) -> Vec<(u32, Level, i64)> {
        let Some(o) = self.orders[k].as_ref() else {
            return Vec::new();
        };
        let skip: Vec<u32> = o
            .excluded
            .iter()
            .chain(o.lapsed.keys())
            .chain(
                o.tickets
                    .iter()
                    .filter(|t| t.state != TicketState::Offered)
                    .map(|t| &t.resource),
            )
            .filter_map(|id| self.roster.find(id))
            .collect();
        let mut pairs = self
            .roster
            .pairs(&o.wanted, self.instance.areas(), &self.policy);
        pairs.retain(|p| !skip.contains(&p.0));
        pairs
    }

    /// Opens a left node for order `k` with `open` units (nothing is recorded in the ledger
    /// until [`Ledger::record_opened`]). `skip`: a resource not to pair (one that is leaving).
    pub(super) fn open_node(&mut self, k: usize, open: i64, skip: Option<u32>) -> Opened {
        let pairs: Vec<_> = self
            .live_pairs(k)
            .into_iter()
            .filter(|p| Some(p.0) != skip)
            .collect();
        let node = self.live.add_left(open, pairs.iter().map(|p| (p.0, p.2)));
        let tiers = pairs
            .iter()
            .filter_map(|p| self.live.find(node, p.0).map(|a| (a, p.1)))
            .collect();
        Opened {
            order: k,
            node,
            tiers,
        }
    }

    /// Records arc tiers after a successful repair.
    pub(super) fn record_tiers(&mut self, tiers: &[(u32, Level)]) {
        for &(a, t) in tiers {
            if self.tiers.len() <= a as usize {
                self.tiers.resize(a as usize + 1, Level::City);
            }
            self.tiers[a as usize] = t;
        }
    }

    /// Records a node opened by [`Ledger::open_node`], after a successful repair.
    pub(super) fn record_opened(&mut self, opened: &Opened) {
        self.record_tiers(&opened.tiers);
        let (k, node) = (opened.order, opened.node);
        if self.order_of.len() <= node as usize {
            self.order_of.resize(node as usize + 1, NO_ORDER);
        }
        self.order_of[node as usize] = k;
        if let Some(o) = self.orders[k].as_mut() {
            o.node = Some(node);
        }
    }

    /// Records that order `k` left the live network (its node was removed).
    pub(super) fn record_closed(&mut self, k: usize) {
        let Some(o) = self.orders[k].as_mut() else {
            return;
        };
        if let Some(node) = o.node.take() {
            self.order_of[node as usize] = NO_ORDER;
        }
    }

    /// Offers follow the flow on `arcs`: an offer keeps its time if its quantity stays, and
    /// each offered unit gets the re-offer bonus for the next dispatch.
    pub(super) fn follow(&mut self, arcs: Vec<u32>, at: Option<DateTime>) {
        for &a in &arcs {
            let arc = *self.live.arc(a);
            let Some(&k) = self.order_of.get(arc.left as usize) else {
                continue;
            };
            if k == NO_ORDER || self.orders[k].is_none() {
                continue;
            }
            let resource = self.roster.id(arc.right).to_owned();
            let flow = if arc.live { arc.flow() } else { 0 };
            let Some(o) = self.orders[k].as_ref() else {
                continue;
            };
            let current = o.ticket(&resource).map(|t| {
                let t = &o.tickets[t];
                (t.state, t.quantity, t.tier, t.value)
            });
            match current {
                Some((TicketState::Offered, q, tier, value)) if q != flow => {
                    self.set_offer(k, (&resource, arc.right), flow, at, tier, value);
                }
                None if flow > 0 => {
                    let tier = self.tiers[a as usize];
                    self.set_offer(k, (&resource, arc.right), flow, at, tier, arc.value);
                }
                _ => {}
            }
        }
        // Bonus units lowered before any is raised, so none exceeds its order's supply. A
        // forecast node's reservations keep no bonus.
        for &a in &arcs {
            let arc = self.live.arc(a);
            if arc.units() > arc.flow() && !self.is_forecast(arc.left) {
                self.live.rebase(a);
            }
        }
        for &a in &arcs {
            if !self.is_forecast(self.live.arc(a).left) {
                self.live.rebase(a);
            }
        }
    }

    /// Sets the offer of `resource` (its id and roster slot) on order `k` to `quantity` units
    /// made at `at` (0: none), keeping the offers' time index and the feed.
    pub(super) fn set_offer(
        &mut self,
        k: usize,
        (resource, slot): (&str, u32),
        quantity: i64,
        at: Option<DateTime>,
        tier: Level,
        value: i64,
    ) {
        let Some(o) = self.orders[k].as_mut() else {
            return;
        };
        let (serial, t) = (o.serial, o.ticket(resource));
        let before = match t.map(|t| &o.tickets[t]) {
            Some(t) if t.state == TicketState::Offered => (t.quantity, t.since),
            Some(_) => return,
            None => (0, None),
        };
        if let (true, Some(since)) = (before.0 > 0, before.1) {
            self.offers.remove(&(since, serial, slot));
        }
        match (t, quantity > 0) {
            (Some(t), false) => {
                o.tickets.remove(t);
            }
            (Some(t), true) => {
                o.tickets[t].quantity = quantity;
                o.tickets[t].since = at;
            }
            (None, true) => {
                let pos = o
                    .tickets
                    .partition_point(|x| x.resource.as_str() < resource);
                o.tickets.insert(
                    pos,
                    Ticket {
                        resource: resource.to_owned(),
                        quantity,
                        state: TicketState::Offered,
                        tier,
                        value,
                        since: at,
                        schedule: None,
                        note: None,
                    },
                );
            }
            (None, false) => return,
        }
        if let (true, Some(at)) = (quantity > 0, at) {
            self.offers.insert((at, serial, slot));
        }
        let now = if quantity > 0 {
            (quantity, at)
        } else {
            (0, None)
        };
        let id = o.id.clone();
        self.feed.offer(serial, &id, resource, before, now);
        self.feed.touched.push(serial);
    }

    /// The offer of `resource` on order `k` is gone (accepted, declined, claimed, expired).
    pub(super) fn drop_offer(&mut self, k: usize, resource: &str) {
        let slot = self.roster.find(resource).unwrap_or(u32::MAX);
        self.set_offer(k, (resource, slot), 0, None, Level::City, 0);
    }
}
