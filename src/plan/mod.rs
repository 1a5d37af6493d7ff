//! The plan (项目清单 in contract form): who serves whom and how much, what stays unmet and
//! why, and the objective; with the certificates its unmet entries carry, the independent
//! [`check()`]er and [`diff`]s between plans.

mod certificate;
pub mod check;
pub mod diff;

pub use certificate::{Certificate, Move};
pub use check::{check, Violation, Violations};
pub use diff::PlanDiff;

use crate::eligibility::Eligibility;
use crate::funded::{FundedProgram, Pair};
use crate::model::area::Level;
use crate::model::need::NeedIdx;
use crate::model::Instance;
use crate::solve::mip::{row_charges, BranchSolver, Decision, ProgramSolver};
use crate::solve::{self, Network, Solution, SolveError, Solver};
use serde::Serialize;

/// Units of one need served by one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    /// Need id.
    pub need: String,
    /// Resource id.
    pub resource: String,
    /// Units served.
    pub quantity: i64,
    /// Level where need and resource meet.
    pub tier: Level,
    /// Value of one unit.
    pub value: i64,
}

/// Why units of a need went unserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// No resource may serve the need.
    NoEligibleResource,
    /// Some resource may, and every such resource is at full capacity in the plan.
    CapacityExhausted,
    /// Something could serve it, but a budget, a fixed cost or a load penalty made the optimum
    /// leave it (only with fairness terms, budgets or proposals).
    PolicyTradeoff,
}

impl Reason {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NoEligibleResource => "no_eligible_resource",
            Reason::CapacityExhausted => "capacity_exhausted",
            Reason::PolicyTradeoff => "policy_tradeoff",
        }
    }
}

/// Unserved units of one need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unmet {
    /// Need id.
    pub need: String,
    /// Units not served.
    pub quantity: i64,
    /// Why.
    pub reason: Reason,
    /// Proof of why, for `capacity_exhausted` (see [`crate::analysis::explain`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<Certificate>,
}

/// The objective, term by term: `objective = assignments + engagement − load + floor − fixed`.
/// A plan carries it whenever the policy sets fairness terms or the instance has budgets or
/// proposals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Terms {
    /// Σ value × units over the assignments.
    pub assignments: i64,
    /// The engagement bonuses earned (双报到: each resource's first units).
    pub engagement: i64,
    /// The load penalties paid (units beyond each step).
    pub load: i64,
    /// The community floor bonuses earned.
    pub floor: i64,
    /// `cost_weight` × the fixed costs of approved proposals.
    pub fixed: i64,
}

impl Terms {
    /// `assignments + engagement − load + floor − fixed`, exact in `i128`.
    pub fn total(&self) -> i128 {
        i128::from(self.assignments) + i128::from(self.engagement) - i128::from(self.load)
            + i128::from(self.floor)
            - i128::from(self.fixed)
    }
}

/// What one proposal became in a plan (评审立项).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposalUse {
    /// Proposal id.
    pub id: String,
    /// Whether it is approved.
    pub approved: bool,
    /// Units it serves.
    pub units: i64,
    /// Yuan it charges its budget: `fixed_cost + unit_cost × units` when approved, else 0.
    pub cost: i64,
}

/// What one budget pays in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetUse {
    /// Budget id.
    pub id: String,
    /// Yuan it holds.
    pub amount: i64,
    /// Yuan charged to it: paid resources' units in its area, its approved proposals' fixed
    /// costs and units.
    pub spent: i64,
}

/// An optimal plan, in the JSON form of the data contract. Assignments are sorted by need id
/// then resource id, unmet entries by need id, so the same instance always gives the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The optimum: `Σ value × quantity` over the assignments, and with [`Terms`], their total.
    pub objective: i64,
    /// Units served.
    pub served: i64,
    /// Units asked for.
    pub demanded: i64,
    /// Who serves whom.
    pub assignments: Vec<Assignment>,
    /// What stays unserved, and why.
    pub unmet: Vec<Unmet>,
    /// The objective term by term, when the policy or the instance asks for more than the
    /// pairs' values (fairness terms, budgets, proposals); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms: Option<Terms>,
    /// Every proposal, sorted by id, with budgets or proposals; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposals: Option<Vec<ProposalUse>>,
    /// Every budget, sorted by id, with budgets or proposals; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budgets: Option<Vec<BudgetUse>>,
    /// A proven upper bound on the optimum, with budgets or proposals (`bound == objective`
    /// proves the plan optimal); absent otherwise (a flow plan is always proven optimal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound: Option<i64>,
}

impl Plan {
    /// Reads a verified solution of `eligibility`'s network back into domain terms.
    pub fn from_solution(instance: &Instance, eligibility: &Eligibility, sol: &Solution) -> Plan {
        let net = eligibility.network();
        let mut load = vec![0i64; instance.resources().len()];
        for (a, &x) in sol.flow.iter().enumerate() {
            load[net.head[a] as usize] += x;
        }
        let with_terms = instance.policy().has_terms();
        let mut assignments = Vec::new();
        let mut unmet = Vec::new();
        let mut served = 0;
        let mut pairs = 0i64;
        for (i, need) in instance.needs().iter().enumerate() {
            let mut got = 0;
            for a in net.out(i) {
                let x = sol.flow[a];
                if x > 0 {
                    let arc = eligibility.arc(NeedIdx(i as u32), a);
                    assignments.push(Assignment {
                        need: need.id.clone(),
                        resource: instance.resource(arc.resource).id.clone(),
                        quantity: x,
                        tier: arc.tier,
                        value: arc.value,
                    });
                    got += x;
                    pairs += x * arc.value;
                }
            }
            served += got;
            let missing = i64::from(need.quantity) - got;
            if missing > 0 {
                let room = |a: usize| {
                    let j = net.head[a] as usize;
                    load[j] < net.capacity[j]
                };
                let reason = if net.out(i).is_empty() {
                    Reason::NoEligibleResource
                } else if with_terms && net.out(i).any(room) {
                    Reason::PolicyTradeoff
                } else {
                    Reason::CapacityExhausted
                };
                unmet.push(Unmet {
                    need: need.id.clone(),
                    quantity: missing,
                    reason,
                    certificate: None,
                });
            }
        }
        Plan {
            objective: sol.objective,
            served,
            demanded: instance.demanded(),
            assignments,
            unmet,
            terms: with_terms.then(|| terms(instance, net, &load, pairs, &sol.flow)),
            proposals: None,
            budgets: None,
            bound: None,
        }
    }

    /// Reads a verified decision of `funded`'s program back into domain terms: assignments
    /// (a proposal's id in `resource`), unmet units with their reasons, the terms, every
    /// proposal and budget, and the bound.
    pub fn from_decision(
        instance: &Instance,
        eligibility: &Eligibility,
        funded: &FundedProgram,
        d: &Decision,
    ) -> Plan {
        let program = funded.program();
        let net = &program.net;
        let m = funded.resources();
        let mut assignments = Vec::new();
        let mut unmet = Vec::new();
        let mut served = 0;
        let mut into = vec![0i64; net.capacity.len()];
        for (a, &x) in d.flow.iter().enumerate() {
            into[net.head[a] as usize] += x;
        }
        let full = |j: usize| {
            let open = j < m || d.open[j - m];
            !open || into[j] >= net.capacity[j]
        };
        for (i, need) in instance.needs().iter().enumerate() {
            let mut got = 0;
            let first = assignments.len();
            for a in net.out(i) {
                let x = d.flow[a];
                if x <= 0 {
                    continue;
                }
                let (server, tier, value) = match funded.pair(eligibility, NeedIdx(i as u32), a) {
                    Pair::Resource(arc) => {
                        (&instance.resource(arc.resource).id, arc.tier, arc.value)
                    }
                    Pair::Proposal(o) => (&instance.proposal(o.proposal).id, o.tier, o.value),
                };
                assignments.push(Assignment {
                    need: need.id.clone(),
                    resource: server.clone(),
                    quantity: x,
                    tier,
                    value,
                });
                got += x;
            }
            assignments[first..].sort_by(|a, b| a.resource.cmp(&b.resource));
            served += got;
            let missing = i64::from(need.quantity) - got;
            if missing > 0 {
                let servers = || net.out(i).map(|a| net.head[a] as usize);
                let reason = if net.out(i).is_empty() {
                    Reason::NoEligibleResource
                } else if servers().all(|j| (j < m || d.open[j - m]) && full(j)) {
                    Reason::CapacityExhausted
                } else {
                    Reason::PolicyTradeoff
                };
                unmet.push(Unmet {
                    need: need.id.clone(),
                    quantity: missing,
                    reason,
                    certificate: None,
                });
            }
        }
        let assigned: i64 = d.flow.iter().zip(&net.value).map(|(x, v)| x * v).sum();
        let fixed: i64 = program
            .openings
            .iter()
            .zip(&d.open)
            .filter(|(_, &o)| o)
            .map(|(op, _)| op.cost)
            .sum();
        let proposals = instance
            .proposals()
            .iter()
            .enumerate()
            .map(|(p, x)| {
                let units = into[m + p];
                let approved = d.open[p];
                ProposalUse {
                    id: x.id.clone(),
                    approved,
                    units,
                    cost: if approved {
                        x.fixed_cost + i64::from(x.unit_cost) * units
                    } else {
                        0
                    },
                }
            })
            .collect();
        let spent = row_charges(program, &d.flow, &d.open);
        let budgets = instance
            .budgets()
            .iter()
            .zip(&spent)
            .map(|(b, &s)| BudgetUse {
                id: b.id.clone(),
                amount: b.amount,
                spent: i64::try_from(s).unwrap_or(i64::MAX),
            })
            .collect();
        Plan {
            objective: d.objective,
            served,
            demanded: instance.demanded(),
            assignments,
            unmet,
            terms: Some(Terms {
                assignments: assigned,
                fixed,
                ..Terms::default()
            }),
            proposals: Some(proposals),
            budgets: Some(budgets),
            bound: Some(d.bound),
        }
    }

    /// The plan as compact JSON.
    ///
    /// # Errors
    /// Only if serialisation fails, which a plan never does.
    pub fn to_json_string(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

/// The objective term by term: the pairs' values, each resource's engagement and load from the
/// policy, the floors from the network's groups.
fn terms(instance: &Instance, net: &Network, load: &[i64], pairs: i64, flow: &[i64]) -> Terms {
    let policy = instance.policy();
    let (mut engagement, mut penalty) = (0, 0);
    for (r, &l) in instance.resources().iter().zip(load) {
        let (e, p) = policy.load_terms(r.kind, l);
        engagement += e;
        penalty += p;
    }
    let mut sent = vec![0i64; net.floors.len()];
    for i in 0..net.supply.len() {
        if let Some(g) = net.group_of(i) {
            sent[g] += net.out(i).map(|a| flow[a]).sum::<i64>();
        }
    }
    let floor = net
        .floors
        .iter()
        .zip(&sent)
        .map(|(&(f, bonus), &s)| bonus * s.min(f))
        .sum();
    Terms {
        assignments: pairs,
        engagement,
        load: penalty,
        floor,
        fixed: 0,
    }
}

/// Finds an optimal plan for `instance` with the default backend.
///
/// ```
/// let json = r#"{
///   "areas": [{"id": "JW-01", "level": "community"}],
///   "needs": [{"id": "N1", "area": "JW-01", "category": "health", "quantity": 2, "vulnerable": true}],
///   "resources": [{"id": "R1", "kind": "staff", "home": "JW-01", "categories": ["health"], "capacity": 1}]
/// }"#;
/// let instance = duijie::Instance::from_json_str(json).unwrap();
/// let plan = duijie::solve(&instance).unwrap();
/// assert_eq!((plan.objective, plan.served, plan.demanded), (500, 1, 2));
/// assert!(duijie::check(&instance, &plan).is_ok());
/// ```
///
/// # Errors
/// See [`SolveError`]; validated instances never exceed the numeric range.
pub fn solve(instance: &Instance) -> Result<Plan, SolveError> {
    let eligibility = Eligibility::build(instance);
    solve_with(instance, &eligibility, &solve::FlowSolver::default())
}

/// Finds an optimal plan with a chosen flow solver, on a prebuilt eligibility graph. An
/// instance with budgets or proposals is an integer program: it is solved by the project's
/// own method ([`BranchSolver`], which proves its optimum) whatever `solver` is; choose the
/// program solver with [`solve_program_with`].
///
/// # Errors
/// See [`SolveError`].
pub fn solve_with(
    instance: &Instance,
    eligibility: &Eligibility,
    solver: &dyn Solver,
) -> Result<Plan, SolveError> {
    if instance.is_funded() {
        return solve_program_with(instance, eligibility, &BranchSolver::default());
    }
    let sol = solver.solve(eligibility.network())?;
    Ok(Plan::from_solution(instance, eligibility, &sol))
}

/// Plans an instance with budgets or proposals with a chosen program solver (the project's own
/// [`BranchSolver`], or the reference [`solve::mip::MipSolver`]). The plan carries `bound`:
/// `bound == objective` when the solver proved it optimal.
///
/// # Errors
/// See [`SolveError`]; [`SolveError::Unsupported`] when the policy also has fairness terms
/// (the program does not carry them yet).
pub fn solve_program_with(
    instance: &Instance,
    eligibility: &Eligibility,
    solver: &dyn ProgramSolver,
) -> Result<Plan, SolveError> {
    if instance.policy().has_terms() {
        return Err(SolveError::Unsupported(
            "fairness terms together with budgets or proposals",
        ));
    }
    let funded = FundedProgram::new(instance, eligibility);
    let d = solver.solve(funded.program())?;
    Ok(Plan::from_decision(instance, eligibility, &funded, &d))
}
