//! The numeric program of an instance with budgets or proposals: the eligibility network with
//! the proposals as more right nodes (after the resources), each arc's budget row and charge,
//! and one opening per proposal. Domain in, numbers out; [`crate::solve::mip`] solves it.
//!
//! A unit a resource with `unit_cost > 0` gives to a need charges `unit_cost` to the budget of
//! the need's area ([`Instance::budget_of`]), or nothing without one; a unit a proposal gives
//! charges its `unit_cost` to the proposal's budget, and approving it charges `fixed_cost`
//! there and costs `cost_weight × fixed_cost` in the objective.

use crate::eligibility::{Arc, Eligibility, Offer};
use crate::model::need::NeedIdx;
use crate::model::Instance;
use crate::solve::mip::{Opening, Program, NO_ROW};
use crate::solve::Network;

/// Who serves on an arc of the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pair {
    /// A resource, with its pair.
    Resource(Arc),
    /// A proposal, with its pair.
    Proposal(Offer),
}

/// An instance's program and the way back from its arcs and nodes to the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundedProgram {
    program: Program,
    /// Per need: how many of its arcs go to resources (they come first).
    resource_arcs: Vec<u32>,
    /// Number of resources (proposal `p` is right node `resources + p`).
    resources: usize,
}

impl FundedProgram {
    /// Builds the program of `instance` from its eligibility.
    pub fn new(instance: &Instance, eligibility: &Eligibility) -> FundedProgram {
        let (res, off) = (eligibility.network(), eligibility.offer_network());
        let m = res.capacity.len();
        let n = res.supply.len();
        let mut net = Network {
            supply: res.supply.clone(),
            capacity: res.capacity.iter().chain(&off.capacity).copied().collect(),
            start: Vec::with_capacity(n + 1),
            head: Vec::with_capacity(res.arcs() + off.arcs()),
            value: Vec::with_capacity(res.arcs() + off.arcs()),
            ..Network::default()
        };
        let mut row = Vec::with_capacity(res.arcs() + off.arcs());
        let mut charge = Vec::with_capacity(res.arcs() + off.arcs());
        let mut resource_arcs = Vec::with_capacity(n);
        net.start.push(0);
        for (i, need) in instance.needs().iter().enumerate() {
            let budget = instance.budget_of(need.area);
            for a in res.out(i) {
                net.head.push(res.head[a]);
                net.value.push(res.value[a]);
                let cost = i64::from(instance.resources()[res.head[a] as usize].unit_cost);
                match budget {
                    Some(b) if cost > 0 => {
                        row.push(b.0);
                        charge.push(cost);
                    }
                    _ => {
                        row.push(NO_ROW);
                        charge.push(0);
                    }
                }
            }
            resource_arcs.push(res.out(i).len() as u32);
            for a in off.out(i) {
                let p = &instance.proposals()[off.head[a] as usize];
                net.head.push(m as u32 + off.head[a]);
                net.value.push(off.value[a]);
                if p.unit_cost > 0 {
                    row.push(p.budget.0);
                    charge.push(i64::from(p.unit_cost));
                } else {
                    row.push(NO_ROW);
                    charge.push(0);
                }
            }
            net.start.push(net.head.len() as u32);
        }
        let weight = instance.policy().cost_weight;
        let openings = instance
            .proposals()
            .iter()
            .enumerate()
            .map(|(p, x)| Opening {
                node: (m + p) as u32,
                cost: weight * x.fixed_cost,
                charge: x.fixed_cost,
                row: x.budget.0,
            })
            .collect();
        let program = Program {
            net,
            row,
            charge,
            amount: instance.budgets().iter().map(|b| b.amount).collect(),
            openings,
        };
        FundedProgram {
            program,
            resource_arcs,
            resources: m,
        }
    }

    /// The numeric program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The pair behind arc `a` of need `need` (an arc of [`FundedProgram::program`]).
    pub fn pair(&self, eligibility: &Eligibility, need: NeedIdx, a: usize) -> Pair {
        let i = need.get();
        let first = self.program.net.start[i] as usize;
        let k = a - first;
        let r = self.resource_arcs[i] as usize;
        if k < r {
            Pair::Resource(eligibility.arc(need, eligibility.network().out(i).start + k))
        } else {
            Pair::Proposal(
                eligibility.offer(need, eligibility.offer_network().out(i).start + k - r),
            )
        }
    }

    /// Number of resources: right node `resources() + p` is proposal `p`.
    pub fn resources(&self) -> usize {
        self.resources
    }
}
