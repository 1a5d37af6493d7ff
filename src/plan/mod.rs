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
use crate::model::area::Level;
use crate::model::need::NeedIdx;
use crate::model::Instance;
use crate::solve::{self, Solution, SolveError, Solver};
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
}

impl Plan {
    /// Reads a verified solution of `eligibility`'s network back into domain terms.
    pub fn from_solution(instance: &Instance, eligibility: &Eligibility, sol: &Solution) -> Plan {
        let net = eligibility.network();
        let mut assignments = Vec::new();
        let mut unmet = Vec::new();
        let mut served = 0;
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
                }
            }
            served += got;
            let missing = i64::from(need.quantity) - got;
            if missing > 0 {
                let reason = if net.out(i).is_empty() {
                    Reason::NoEligibleResource
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
            terms: None,
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

/// Finds an optimal plan with a chosen solver, on a prebuilt eligibility graph.
///
/// # Errors
/// See [`SolveError`].
pub fn solve_with(
    instance: &Instance,
    eligibility: &Eligibility,
    solver: &dyn Solver,
) -> Result<Plan, SolveError> {
    if instance.is_funded() {
        // Budgets and proposals make planning an integer program, which a flow alone does not
        // answer; never return a plan that ignores them.
        return Err(SolveError::Backend(
            "budgets and proposals need the program solver".into(),
        ));
    }
    let sol = solver.solve(eligibility.network())?;
    Ok(Plan::from_solution(instance, eligibility, &sol))
}
