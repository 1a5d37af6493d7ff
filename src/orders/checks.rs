//! The ledger's self-checks, for tests and audits: the live dispatch's proof of optimality,
//! offers equal to its flow, and the open allocation against any solver.

use super::error::DispatchFault;
use super::state::{OrderState, TicketState};
use super::Ledger;
use crate::solve::{SolveError, Solver};

impl Ledger {
    /// Checks the open allocation against `solver`: returns the value of the current offers on
    /// the open network with the re-offer bonus on those offers, and that network's optimum
    /// found by `solver`. After every dispatch the two are equal (the offers, optimal with the
    /// bonus on the previous offers, stay optimal with the bonus on themselves).
    ///
    /// # Errors
    /// The solver's.
    pub fn check_open_allocation(&self, solver: &dyn Solver) -> Result<(i64, i64), SolveError> {
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

    /// Checks the live dispatch exactly: its optimality proof (see [`crate::solve::ProofError`]), and that
    /// the offers are its flows, carry the bonus, and that supplies and capacities are the
    /// open units and the room that commitments leave. `O(pairs)`; for tests.
    ///
    /// # Errors
    /// The first disagreement.
    pub fn check_dispatch(&self) -> Result<(), DispatchFault> {
        self.live.verify().map_err(DispatchFault::Proof)?;
        for o in &self.orders {
            let Some(node) = o.node.filter(|_| o.state == OrderState::Listed) else {
                if o.tickets.iter().any(|t| t.state == TicketState::Offered) {
                    return Err(DispatchFault::OffersOutsideListing {
                        order: o.id.clone(),
                        state: o.state,
                    });
                }
                continue;
            };
            if self.live.supply(node) != o.open() {
                return Err(DispatchFault::Supply(o.id.clone()));
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
                    return Err(DispatchFault::OffersNotFlow(o.id.clone()));
                }
                flowing += usize::from(arc.flow > 0);
            }
            let offers = o.tickets.iter().filter(|t| t.state == TicketState::Offered);
            if offers.count() != flowing {
                return Err(DispatchFault::OfferWithoutFlow(o.id.clone()));
            }
        }
        for (j, r) in self.instance.resources().iter().enumerate() {
            if self.live.capacity(j as u32) != i64::from(r.capacity) - self.committed[j] {
                return Err(DispatchFault::Room(r.id.clone()));
            }
        }
        Ok(())
    }
}
