//! The glue between the ledger and the live dispatch ([`crate::solve`]'s live flow): listed
//! orders become left nodes, resources right nodes, eligible pairs arcs; offers follow the flow.

use super::state::{Ticket, TicketState};
use super::Ledger;
use crate::model::area::Level;
use crate::model::time::DateTime;
use crate::validate;

impl Ledger {
    /// Re-dispatches: the live flow is repaired to the optimum of the open part, and the
    /// offers follow it (with `arcs`, whose offers a tick let expire).
    pub(super) fn dispatch(&mut self, at: DateTime, mut arcs: Vec<u32>) {
        arcs.extend(self.live.repair());
        arcs.sort_unstable();
        arcs.dedup();
        self.follow(arcs, Some(at));
    }

    /// Offers follow the flow on `arcs`: an offer keeps its time if its quantity stays, and
    /// each offered unit gets the re-offer bonus for the next dispatch.
    pub(super) fn follow(&mut self, arcs: Vec<u32>, at: Option<DateTime>) {
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

    #[allow(clippy::too_many_arguments)]
    pub(super) fn insert_ticket(
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
    pub(super) fn pair(&self, k: usize, j: u32) -> Option<(u32, Level, i64)> {
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
    pub(super) fn pairs(&self, k: usize) -> Vec<(u32, Level, i64)> {
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
                validate::need_in(o.need.clone(), i)
                    .map(|need| self.finder.pairs(i, &need))
                    .unwrap_or_default()
            }
        }
    }

    /// Order `k` joins the open part as a left node with an arc per resource that may serve it.
    pub(super) fn list(&mut self, k: usize) {
        let pairs = self.pairs(k);
        let open = self.orders[k].open();
        self.live.add_left(open, pairs.iter().map(|p| (p.0, p.2)));
        self.tiers.extend(pairs.iter().map(|p| p.1));
        self.orders[k].node = Some(self.order_of.len() as u32);
        self.order_of.push(k);
    }

    /// Order `k` leaves the open part.
    pub(super) fn close(&mut self, k: usize) {
        if let Some(node) = self.orders[k].node {
            self.live.remove_left(node);
        }
        self.outstanding -= self.orders[k].need.quantity;
    }

    /// The live supply of order `k` follows its open units.
    pub(super) fn sync_open(&mut self, k: usize) {
        if let Some(node) = self.orders[k].node {
            self.live.set_supply(node, self.orders[k].open());
        }
    }

    /// The live capacity of resource `j` follows what its commitments leave.
    pub(super) fn sync_room(&mut self, j: u32) {
        let room = i64::from(self.instance.resources()[j as usize].capacity);
        self.live.set_capacity(j, room - self.committed[j as usize]);
    }
}
