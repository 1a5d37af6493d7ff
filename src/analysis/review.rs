//! The review (评审立项) behind a funded plan: why each rejected proposal was rejected and what
//! forcing it in would change, and what ¥10,000 more would add to each budget. Every change is
//! found by solving the changed program again; it is exact (`exact: true`) when both the plan
//! and the new solve are proven optimal, and otherwise the bounds say how far it may be off.

use crate::eligibility::Eligibility;
use crate::funded::FundedProgram;
use crate::model::Instance;
use crate::plan::Plan;
use crate::solve::mip::{Program, ProgramSolver};
use crate::solve::{FlowSolver, Network, SolveError, Solver};
use serde::Serialize;

/// Yuan added to a budget to price it ([`BudgetMargin`]).
pub const BUDGET_STEP: i64 = 10_000;

/// Why a proposal was not approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RejectReason {
    /// With the plan's approvals and no budget limits at all, what it would add to the pairs'
    /// value is no more than its fixed cost (`value_added ≤ cost_weight × fixed_cost`).
    NotWorthFixedCost,
    /// It would add more than its fixed cost, but its budget was better spent elsewhere.
    BudgetBetterSpent,
}

/// One rejected proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// Proposal id.
    pub id: String,
    /// Why.
    pub reason: RejectReason,
    /// `cost_weight × fixed_cost`.
    pub fixed_cost: i64,
    /// What approving it would add to the pairs' value with the plan's approvals and no
    /// budget limits (exact: two flows).
    pub value_added: i64,
    /// The optimum with it forced in; `None` when its fixed cost alone exceeds its budget.
    pub forced_objective: Option<i64>,
    /// The proven bound of that solve.
    pub forced_bound: Option<i64>,
    /// `forced_objective − objective` (≤ 0 when both are optimal).
    pub change: Option<i64>,
    /// Whether `change` is exact (both solves proven optimal).
    pub exact: bool,
}

/// What more money would add to one budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetMargin {
    /// Budget id.
    pub id: String,
    /// Yuan it holds.
    pub amount: i64,
    /// Yuan the plan charges it.
    pub spent: i64,
    /// The optimum with [`BUDGET_STEP`] yuan more in it.
    pub objective: i64,
    /// The proven bound of that solve.
    pub bound: i64,
    /// `objective − the plan's objective` (≥ 0 when both are optimal).
    pub change: i64,
    /// Whether `change` is exact (both solves proven optimal).
    pub exact: bool,
}

/// The review of a funded plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    /// Every rejected proposal, sorted by id.
    pub rejected: Vec<Rejected>,
    /// Every budget, sorted by id.
    pub budgets: Vec<BudgetMargin>,
}

/// The flow with the openings in `open` available, no rows, no fixed costs.
fn flow_value(p: &Program, open: &[bool]) -> Result<i64, SolveError> {
    let mut net: Network = p.net.clone();
    for (op, &o) in p.openings.iter().zip(open) {
        if !o {
            net.capacity[op.node as usize] = 0;
        }
    }
    FlowSolver::default().solve(&net).map(|s| s.objective)
}

/// Reviews `plan` (a plan of `instance` with budgets or proposals) by solving changed programs
/// with `solver`: one per rejected proposal (forced in) and one per budget (¥10,000 more),
/// plus two flows per rejected proposal for its reason.
///
/// # Errors
/// See [`SolveError`]; also when the plan does not list its proposals (it is not funded).
pub fn review(
    instance: &Instance,
    eligibility: &Eligibility,
    plan: &Plan,
    solver: &dyn ProgramSolver,
) -> Result<Review, SolveError> {
    let Some(listed) = &plan.proposals else {
        return Err(SolveError::Shape);
    };
    let funded = FundedProgram::new(instance, eligibility);
    let p = funded.program();
    let approved: Vec<bool> = listed.iter().map(|u| u.approved).collect();
    if approved.len() != p.openings.len() {
        return Err(SolveError::Shape);
    }
    let proven = plan.bound == Some(plan.objective);
    let base = flow_value(p, &approved)?;
    let mut rejected = Vec::new();
    for (o, x) in instance.proposals().iter().enumerate() {
        if approved[o] {
            continue;
        }
        let op = p.openings[o];
        let mut with = approved.clone();
        with[o] = true;
        let value_added = flow_value(p, &with)? - base;
        let reason = if value_added <= op.cost {
            RejectReason::NotWorthFixedCost
        } else {
            RejectReason::BudgetBetterSpent
        };
        // Forced in: the opening goes, its node stays open, its charge and cost are paid.
        let mut forced = p.clone();
        forced.openings.remove(o);
        forced.amount[op.row as usize] -= op.charge;
        let (forced_objective, forced_bound, change, exact) = if forced.amount[op.row as usize] < 0
        {
            (None, None, None, proven)
        } else {
            let d = solver.solve(&forced)?;
            let (obj, bound) = (d.objective - op.cost, d.bound - op.cost);
            (
                Some(obj),
                Some(bound),
                Some(obj - plan.objective),
                proven && d.is_proven(),
            )
        };
        rejected.push(Rejected {
            id: x.id.clone(),
            reason,
            fixed_cost: op.cost,
            value_added,
            forced_objective,
            forced_bound,
            change,
            exact,
        });
    }
    let mut budgets = Vec::new();
    let spent = plan.budgets.as_deref().unwrap_or_default();
    for (k, b) in instance.budgets().iter().enumerate() {
        let mut more = p.clone();
        more.amount[k] += BUDGET_STEP;
        let d = solver.solve(&more)?;
        budgets.push(BudgetMargin {
            id: b.id.clone(),
            amount: b.amount,
            spent: spent.get(k).map_or(0, |u| u.spent),
            objective: d.objective,
            bound: d.bound,
            change: d.objective - plan.objective,
            exact: proven && d.is_proven(),
        });
    }
    Ok(Review { rejected, budgets })
}

/// A proposal's value per yuan, read from a plan without solving again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Worth {
    /// Proposal id.
    pub id: String,
    /// Whether the plan approves it.
    pub approved: bool,
    /// Approved: the value of the units it serves in the plan. Rejected: the value it could
    /// add by serving, best first and up to its capacity, the units the plan leaves unmet
    /// among the needs it may serve (an optimistic reading).
    pub value: i64,
    /// Yuan: approved, what it charges its budget; rejected, its fixed cost plus its unit cost
    /// on those units.
    pub yuan: i64,
    /// `value / yuan` (0 when it costs nothing).
    pub per_yuan: f64,
}

/// Every proposal's value per yuan, as [`Worth`] defines it, sorted by id.
pub fn worth(instance: &Instance, eligibility: &Eligibility, plan: &Plan) -> Vec<Worth> {
    let listed = plan.proposals.as_deref().unwrap_or_default();
    let unmet: std::collections::BTreeMap<&str, i64> = plan
        .unmet
        .iter()
        .map(|u| (u.need.as_str(), u.quantity))
        .collect();
    let mut value = vec![0i64; instance.proposals().len()];
    for a in &plan.assignments {
        if let Some(p) = instance.find_proposal(&a.resource) {
            value[p.get()] += a.quantity * a.value;
        }
    }
    // Per proposal, the (value, units) it could take from unmet needs.
    let mut options: Vec<Vec<(i64, i64)>> = vec![Vec::new(); instance.proposals().len()];
    for (i, need) in instance.needs().iter().enumerate() {
        let Some(&left) = unmet.get(need.id.as_str()) else {
            continue;
        };
        for o in eligibility.offers_of(crate::model::NeedIdx(i as u32)) {
            options[o.proposal.get()].push((o.value, left));
        }
    }
    instance
        .proposals()
        .iter()
        .enumerate()
        .map(|(p, x)| {
            let approved = listed.get(p).is_some_and(|u| u.approved);
            let (value, yuan) = if approved {
                (value[p], listed.get(p).map_or(0, |u| u.cost))
            } else {
                let mut opts = options[p].clone();
                opts.sort_by_key(|o| std::cmp::Reverse(o.0));
                let (mut room, mut v, mut units) = (i64::from(x.capacity), 0, 0);
                for (val, q) in opts {
                    let t = q.min(room);
                    room -= t;
                    v += t * val;
                    units += t;
                }
                (v, x.fixed_cost + i64::from(x.unit_cost) * units)
            };
            Worth {
                id: x.id.clone(),
                approved,
                value,
                yuan,
                per_yuan: if yuan > 0 {
                    value as f64 / yuan as f64
                } else {
                    0.0
                },
            }
        })
        .collect()
}
