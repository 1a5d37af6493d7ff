//! The ledger's self-checks, for tests and audits: the live dispatch's proof of optimality,
//! offers equal to its flow, arcs equal to the pairs that may still serve, its indexes and
//! remembered escalations up to date, and the open allocation against any solver.

use super::dispatch::NO_ORDER;
use super::error::DispatchFault;
use super::state::{OrderState, TicketState};
use super::Ledger;
use crate::solve::{SolveError, Solver};
use std::collections::BTreeSet;

impl Ledger {
    /// Checks the open allocation against `solver`: returns the value of the current offers on
    /// the open network with the re-offer bonus on those offers, and that network's optimum
    /// found by `solver`. After every dispatch the two are equal (the offers, optimal with the
    /// bonus on the previous offers, stay optimal with the bonus on themselves).
    ///
    /// # Errors
    /// The solver's.
    pub fn check_open_allocation(&self, solver: &dyn Solver) -> Result<(i64, i64), SolveError> {
        let bonus = self.live.bonus();
        let offered: i64 = self
            .orders()
            .into_iter()
            .filter(|o| o.state == OrderState::Listed)
            .flat_map(|o| o.tickets.iter().filter(|t| t.state == TicketState::Offered))
            .map(|t| t.quantity * (t.value + bonus))
            .sum();
        let offered = offered + self.reserved_value();
        Ok((offered, solver.solve(&self.live.to_network())?.objective))
    }

    /// Solves the open part again on a copy of the live dispatch from zero flow by successive
    /// shortest paths (the cold restart that guards against potentials grown too large) and
    /// returns the objective of the live flow and of the restarted one; they are equal. Slow:
    /// for audits and for measuring that path.
    ///
    /// # Errors
    /// The restart's internal error, or the restarted flow failing its proof.
    pub fn check_cold_restart(&self) -> Result<(i64, i64), DispatchFault> {
        let mut copy = self.live.clone();
        copy.resolve().map_err(DispatchFault::Restart)?;
        copy.commit();
        copy.verify().map_err(DispatchFault::Proof)?;
        Ok((self.live.objective(), copy.objective()))
    }

    /// Checks the live dispatch exactly: its optimality proof (see [`crate::solve::ProofError`]),
    /// that the offers are its flows and carry the bonus, that its arcs are the pairs that may
    /// still serve each listed order (with their values and tiers), that supplies and
    /// capacities are the open units and the room that commitments leave, and that the
    /// ledger's indexes and remembered escalations agree with the orders. `O(pairs)`; for
    /// tests.
    ///
    /// # Errors
    /// The first disagreement.
    pub fn check_dispatch(&self) -> Result<(), DispatchFault> {
        self.live.verify().map_err(DispatchFault::Proof)?;
        let mut offers = BTreeSet::new();
        let mut places = BTreeSet::new();
        let mut nodes = 0;
        for &k in self.by_serial.values() {
            let Some(o) = self.orders[k].as_ref() else {
                return Err(DispatchFault::Index("by_serial"));
            };
            if self.index.get(&o.id) != Some(&k) {
                return Err(DispatchFault::Index("index"));
            }
            if o.escalation != self.escalation(k) {
                return Err(DispatchFault::Escalation(o.id.clone()));
            }
            for t in o.tickets.iter().filter(|t| t.state == TicketState::Offered) {
                if let (Some(since), Some(j)) = (t.since, self.roster.find(&t.resource)) {
                    offers.insert((since, o.serial, j));
                }
            }
            if o.state == OrderState::Listed {
                for (a, c) in super::roster::Roster::places(&o.wanted, self.instance.areas()) {
                    places.insert((a, c, o.serial));
                }
            }
            // Time rules: nothing of a need whose window ended is dispatched.
            let ended = matches!((o.window_end(), self.passed), (Some(e), Some(now)) if e < now);
            if ended && o.state == OrderState::Listed && (o.node.is_some() || o.open() > 0) {
                return Err(DispatchFault::WindowEnded(o.id.clone()));
            }
            let listed_open = o.state == OrderState::Listed && o.open() > 0;
            let Some(node) = o.node.filter(|_| listed_open) else {
                if o.node.is_some() {
                    return Err(DispatchFault::Supply(o.id.clone()));
                }
                if o.tickets.iter().any(|t| t.state == TicketState::Offered) {
                    return Err(DispatchFault::OffersOutsideListing {
                        order: o.id.clone(),
                        state: o.state,
                    });
                }
                continue;
            };
            nodes += 1;
            if self.order_of.get(node as usize) != Some(&k) {
                return Err(DispatchFault::Index("order_of"));
            }
            if self.live.supply(node) != o.open() {
                return Err(DispatchFault::Supply(o.id.clone()));
            }
            let pairs = self.live_pairs(k);
            let arcs = self.live.arcs_of(node);
            if pairs.len() != arcs.len() {
                return Err(DispatchFault::Arcs(o.id.clone()));
            }
            let mut flowing = 0;
            for (&a, &(j, tier, value)) in arcs.iter().zip(&pairs) {
                let arc = self.live.arc(a);
                if arc.right != j || arc.value != value || self.tiers[a as usize] != tier {
                    return Err(DispatchFault::Arcs(o.id.clone()));
                }
                let offer = o
                    .ticket(self.roster.id(j))
                    .map(|t| &o.tickets[t])
                    .filter(|t| t.state == TicketState::Offered);
                let q = offer.map_or(0, |t| t.quantity);
                if arc.flow() != q || arc.units() != q {
                    return Err(DispatchFault::OffersNotFlow(o.id.clone()));
                }
                if offer.is_some_and(|t| t.value != value || t.tier != tier) {
                    return Err(DispatchFault::OffersNotFlow(o.id.clone()));
                }
                flowing += usize::from(arc.flow() > 0);
            }
            let offers = o.tickets.iter().filter(|t| t.state == TicketState::Offered);
            if offers.count() != flowing {
                return Err(DispatchFault::OfferWithoutFlow(o.id.clone()));
            }
        }
        if offers != self.offers {
            return Err(DispatchFault::Index("offers"));
        }
        if places != self.places {
            return Err(DispatchFault::Index("places"));
        }
        let used = self.order_of.iter().filter(|&&k| k != NO_ORDER).count();
        if used != nodes || self.index.len() != self.by_serial.len() {
            return Err(DispatchFault::Index("order_of"));
        }
        for j in 0..self.live.rights() as u32 {
            let capacity = match self.roster.get(j) {
                Some(_) => self.live_room(j),
                None => 0,
            };
            if self.live.capacity(j) != capacity {
                return Err(DispatchFault::Room(self.roster.id(j).to_owned()));
            }
        }
        Ok(())
    }
}
