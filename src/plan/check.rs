//! An independent checker: re-verifies any plan against the instance and the model, without
//! the eligibility index, the network or any solver. It re-reads the model from its text:
//! parent links walked one by one, lists searched linearly, values recomputed term by term;
//! with budgets and proposals, each budget's charges, each proposal's use and cost, and that
//! only approved proposals serve.

use crate::model::area::{AreaIdx, Level};
use crate::model::need::Need;
use crate::model::proposal::Proposal;
use crate::model::resource::Resource;
use crate::model::time::Window;
use crate::model::vocab::{CategoryIdx, SkillIdx};
use crate::model::Instance;
use crate::plan::{Plan, Reason};
use std::collections::BTreeMap;
use std::fmt;

/// One way a plan breaks the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// An assignment or unmet entry names a need the instance does not have.
    #[error("unknown need {0:?}")]
    UnknownNeed(String),
    /// An assignment names a resource the instance does not have.
    #[error("unknown resource {0:?}")]
    UnknownResource(String),
    /// The same pair appears twice.
    #[error("pair ({need}, {resource}) appears twice")]
    RepeatedPair {
        /// Need id.
        need: String,
        /// Resource id.
        resource: String,
    },
    /// A quantity that is not positive.
    #[error("pair ({need}, {resource}) has quantity {quantity} ≤ 0")]
    NonPositive {
        /// Need id.
        need: String,
        /// Resource id.
        resource: String,
        /// The quantity.
        quantity: i64,
    },
    /// The resource may not serve the need.
    #[error("{resource:?} may not serve {need:?}: {why}")]
    NotEligible {
        /// Need id.
        need: String,
        /// Resource id.
        resource: String,
        /// The rule it breaks.
        why: &'static str,
    },
    /// Tier or unit value differs from the model.
    #[error("pair ({need}, {resource}) says {said}, the model gives {model}")]
    WrongPricing {
        /// Need id.
        need: String,
        /// Resource id.
        resource: String,
        /// What the plan says (tier and value).
        said: String,
        /// What the model gives.
        model: String,
    },
    /// A need receives more than it asked for.
    #[error("need {need:?} gets {got} units, asked for {quantity}")]
    OverServed {
        /// Need id.
        need: String,
        /// Units assigned.
        got: i64,
        /// Units asked for.
        quantity: i64,
    },
    /// A resource gives more than its capacity.
    #[error("resource {resource:?} gives {got} units, capacity {capacity}")]
    OverCapacity {
        /// Resource id.
        resource: String,
        /// Units assigned.
        got: i64,
        /// Its capacity.
        capacity: i64,
    },
    /// An unmet entry disagrees with the assignments or gives the wrong reason.
    #[error("need {need:?}: {what}")]
    WrongUnmet {
        /// Need id.
        need: String,
        /// What disagrees.
        what: String,
    },
    /// The plan carries a `terms` breakdown where the instance sets none, or lacks one.
    #[error("{}", if *expected { "the plan has no terms, the policy sets some" } else { "the plan has terms, the policy sets none" })]
    Terms {
        /// Whether the instance asks for them.
        expected: bool,
    },
    /// A total (objective, served, demanded) disagrees with the assignments.
    #[error("{what} is {said}, recomputed {model}")]
    WrongTotal {
        /// Which total.
        what: &'static str,
        /// What the plan says.
        said: i64,
        /// What the assignments give.
        model: i64,
    },
    /// A proposal that is not approved serves.
    #[error("proposal {0:?} serves but is not approved")]
    NotApproved(String),
    /// A budget is charged more than it holds.
    #[error("budget {budget:?} is charged {spent}, holds {amount}")]
    OverBudget {
        /// Budget id.
        budget: String,
        /// Yuan charged (recomputed).
        spent: i64,
        /// Yuan it holds.
        amount: i64,
    },
    /// The plan's list of proposals or budgets, or its bound, disagrees with the instance or
    /// the assignments.
    #[error("{0}")]
    WrongFunding(String),
}

impl Violation {
    /// A stable machine-readable code (`not_eligible`, `over_capacity`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Violation::UnknownNeed(_) => "unknown_need",
            Violation::UnknownResource(_) => "unknown_resource",
            Violation::RepeatedPair { .. } => "repeated_pair",
            Violation::NonPositive { .. } => "non_positive",
            Violation::NotEligible { .. } => "not_eligible",
            Violation::WrongPricing { .. } => "wrong_pricing",
            Violation::OverServed { .. } => "over_served",
            Violation::OverCapacity { .. } => "over_capacity",
            Violation::WrongUnmet { .. } => "wrong_unmet",
            Violation::Terms { .. } => "terms",
            Violation::WrongTotal { .. } => "wrong_total",
            Violation::NotApproved(_) => "not_approved",
            Violation::OverBudget { .. } => "over_budget",
            Violation::WrongFunding(_) => "wrong_funding",
        }
    }
}

/// Every violation of one plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violations(pub Vec<Violation>);

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} violation(s)", self.0.len())?;
        for v in &self.0 {
            write!(f, "\n  {v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}

/// Checks `plan` against `instance`: every assignment eligible with the right tier and value;
/// quantities and capacities respected; unmet entries exact with the right reason (a need
/// with unmet units that some resource may serve requires every such resource to be full);
/// objective, served and demanded recomputed.
///
/// # Complexity
/// `O(A log A + N + R·S·C log(R·S·C) + K)` for A assignments, N needs, R resources serving S
/// areas in C categories each, and K candidate (need, resource) pairs of the needs with unmet
/// units: about the size of the eligible pairs, as a solve.
///
/// # Errors
/// [`Violations`] listing every problem found.
pub fn check(instance: &Instance, plan: &Plan) -> Result<(), Violations> {
    let mut bad = Vec::new();
    let policy = instance.policy();
    let with_terms = policy.load_steps.is_some()
        || policy.engagement.is_some()
        || policy.community_floor.is_some();
    let mut given: BTreeMap<&str, i64> = BTreeMap::new();
    let mut got: BTreeMap<&str, i64> = BTreeMap::new();
    let mut pairs: BTreeMap<(&str, &str), ()> = BTreeMap::new();
    let mut charged: BTreeMap<&str, i128> = BTreeMap::new();
    let (mut objective, mut served): (i128, i128) = (0, 0);
    for a in &plan.assignments {
        let (need, resource) = (a.need.clone(), a.resource.clone());
        let Some(n) = instance.find_need(&a.need).map(|i| instance.need(i)) else {
            bad.push(Violation::UnknownNeed(need));
            continue;
        };
        let server = match instance.find_resource(&a.resource) {
            Some(j) => Server::Resource(instance.resource(j)),
            None => match instance.find_proposal(&a.resource) {
                Some(p) => Server::Proposal(instance.proposal(p)),
                None => {
                    bad.push(Violation::UnknownResource(resource));
                    continue;
                }
            },
        };
        if pairs.insert((&a.need, &a.resource), ()).is_some() {
            bad.push(Violation::RepeatedPair { need, resource });
            continue;
        }
        if a.quantity <= 0 {
            bad.push(Violation::NonPositive {
                need,
                resource,
                quantity: a.quantity,
            });
            continue;
        }
        match server.may_serve(instance, n) {
            Err(why) => bad.push(Violation::NotEligible {
                need,
                resource,
                why,
            }),
            Ok((tier, value)) if (tier, value) != (a.tier, a.value) => {
                bad.push(Violation::WrongPricing {
                    need,
                    resource,
                    said: format!("{} {}", a.tier, a.value),
                    model: format!("{tier} {value}"),
                })
            }
            Ok(_) => {}
        }
        *got.entry(&a.need).or_default() += a.quantity;
        *given.entry(&a.resource).or_default() += a.quantity;
        objective += i128::from(a.quantity) * i128::from(a.value);
        served += i128::from(a.quantity);
        // What the unit costs, and which budget pays: a paid resource's units go to the
        // budget of the lowest area holding the need's, a proposal's to its own budget.
        let (cost, budget) = match server {
            Server::Resource(r) => (r.unit_cost, budget_above(instance, n.area)),
            Server::Proposal(x) => (x.unit_cost, Some(instance.budget(x.budget).id.as_str())),
        };
        if cost > 0 {
            if let Some(b) = budget {
                *charged.entry(b).or_default() += i128::from(a.quantity) * i128::from(cost);
            }
        }
    }
    for r in instance.resources() {
        let g = given.get(r.id.as_str()).copied().unwrap_or(0);
        if g > i64::from(r.capacity) {
            bad.push(Violation::OverCapacity {
                resource: r.id.clone(),
                got: g,
                capacity: r.capacity.into(),
            });
        }
    }

    let funded = instance.is_funded();
    let approved: BTreeMap<&str, bool> = plan
        .proposals
        .iter()
        .flatten()
        .map(|p| (p.id.as_str(), p.approved))
        .collect();
    let is_approved = |id: &str| approved.get(id).copied().unwrap_or(false);
    for x in instance.proposals() {
        let g = given.get(x.id.as_str()).copied().unwrap_or(0);
        if g > 0 && !is_approved(&x.id) {
            bad.push(Violation::NotApproved(x.id.clone()));
        }
        if g > i64::from(x.capacity) {
            bad.push(Violation::OverCapacity {
                resource: x.id.clone(),
                got: g,
                capacity: x.capacity.into(),
            });
        }
    }
    let mut fixed: i128 = 0;
    if funded {
        bad.extend(check_funding(
            instance,
            plan,
            &given,
            &mut charged,
            &mut fixed,
        ));
    } else if plan.proposals.is_some() || plan.budgets.is_some() || plan.bound.is_some() {
        bad.push(Violation::WrongFunding(
            "the plan lists proposals, budgets or a bound the instance does not have".into(),
        ));
    }

    let mut unmet: BTreeMap<&str, (i64, Reason)> = BTreeMap::new();
    for u in &plan.unmet {
        if instance.find_need(&u.need).is_none() {
            bad.push(Violation::UnknownNeed(u.need.clone()));
        } else if unmet.insert(&u.need, (u.quantity, u.reason)).is_some() {
            bad.push(Violation::WrongUnmet {
                need: u.need.clone(),
                what: "listed twice as unmet".into(),
            });
        }
    }
    // The checker's own look-up of who might serve a need: resources by (served area,
    // category), read from the resources' lists; each candidate is then tested by the rules.
    let resources = instance.resources();
    let mut by_place: BTreeMap<(AreaIdx, CategoryIdx), Vec<usize>> = BTreeMap::new();
    for (j, r) in resources.iter().enumerate() {
        for &a in &r.serves {
            for &c in &r.categories {
                by_place.entry((a, c)).or_default().push(j);
            }
        }
    }
    let used: Vec<i64> = resources
        .iter()
        .map(|r| given.get(r.id.as_str()).copied().unwrap_or(0))
        .collect();
    let mut demanded: i128 = 0;
    for n in instance.needs() {
        demanded += i128::from(n.quantity);
        let g = got.get(n.id.as_str()).copied().unwrap_or(0);
        let missing = i64::from(n.quantity) - g;
        if missing < 0 {
            bad.push(Violation::OverServed {
                need: n.id.clone(),
                got: g,
                quantity: n.quantity.into(),
            });
        }
        let listed = unmet.get(n.id.as_str()).copied();
        let wrong = |what: String| Violation::WrongUnmet {
            need: n.id.clone(),
            what,
        };
        match listed {
            None if missing > 0 => bad.push(wrong(format!("{missing} unserved units not listed"))),
            Some((q, _)) if q != missing.max(0) => bad.push(wrong(format!(
                "listed {q} unserved units, assignments leave {missing}"
            ))),
            Some((_, reason)) => {
                // The need's area and every area above it, by parent links.
                let mut servers: Vec<usize> =
                    std::iter::successors(Some(n.area), |&x| instance.areas().get(x).parent)
                        .flat_map(|a| by_place.get(&(a, n.category)).into_iter().flatten())
                        .copied()
                        .collect();
                servers.sort_unstable();
                servers.dedup();
                servers.retain(|&j| may_serve(instance, n, &resources[j]).is_ok());
                // Proposals that may serve it: those whose area holds the need's.
                let offers: Vec<&Proposal> = instance
                    .proposals()
                    .iter()
                    .filter(|x| up(instance, n.area).any(|a| a == x.area))
                    .filter(|x| Server::Proposal(x).may_serve(instance, n).is_ok())
                    .collect();
                let with_room: Vec<String> = servers
                    .iter()
                    .filter(|&&j| used[j] < i64::from(resources[j].capacity))
                    .map(|&j| {
                        let r = &resources[j];
                        format!(
                            "resource {:?} may serve it and has {} units left",
                            r.id,
                            i64::from(r.capacity) - used[j]
                        )
                    })
                    .chain(offers.iter().filter_map(|x| {
                        let g = given.get(x.id.as_str()).copied().unwrap_or(0);
                        if !is_approved(&x.id) {
                            Some(format!(
                                "proposal {:?} may serve it and is not approved",
                                x.id
                            ))
                        } else if g < i64::from(x.capacity) {
                            Some(format!(
                                "proposal {:?} may serve it and has {} units left",
                                x.id,
                                i64::from(x.capacity) - g
                            ))
                        } else {
                            None
                        }
                    }))
                    .collect();
                let model = if servers.is_empty() && offers.is_empty() {
                    Reason::NoEligibleResource
                } else if with_room.is_empty() {
                    Reason::CapacityExhausted
                } else {
                    Reason::PolicyTradeoff
                };
                // With funding or fairness terms a unit may be worth less than what it
                // costs elsewhere; without them every unit is worth its pair's positive
                // value, so an optimal plan leaves no need unserved beside room.
                if (funded || with_terms) && reason != model {
                    bad.push(wrong(format!(
                        "reason {reason:?}, the model gives {model:?}"
                    )));
                } else if !(funded || with_terms) {
                    let model = if servers.is_empty() {
                        Reason::NoEligibleResource
                    } else {
                        Reason::CapacityExhausted
                    };
                    if reason != model {
                        bad.push(wrong(format!(
                            "reason {reason:?}, the model gives {model:?}"
                        )));
                    }
                    bad.extend(with_room.into_iter().map(wrong));
                }
            }
            None => {}
        }
    }
    // The objective term by term, each read from the policy here; `fixed` is
    // cost_weight × the fixed costs of the approved proposals.
    let assignments = objective;
    let (engagement, load) = load_terms(instance, &used);
    let floor = floor_term(instance, &got);
    let objective = assignments + engagement - load + floor - fixed;
    if !funded && plan.terms.is_some() != with_terms {
        bad.push(Violation::Terms {
            expected: with_terms,
        });
    }
    let mut totals = vec![
        ("objective", plan.objective, objective),
        ("served", plan.served, served),
        ("demanded", plan.demanded, demanded),
    ];
    if let Some(t) = &plan.terms {
        totals.extend([
            ("terms.assignments", t.assignments, assignments),
            ("terms.engagement", t.engagement, engagement),
            ("terms.load", t.load, load),
            ("terms.floor", t.floor, floor),
            ("terms.fixed", t.fixed, fixed),
        ]);
    }
    for (what, said, model) in totals {
        if i128::from(said) != model {
            bad.push(Violation::WrongTotal {
                what,
                said,
                model: i64::try_from(model).unwrap_or(i64::MAX),
            });
        }
    }
    if funded && plan.terms.is_none() {
        bad.push(Violation::WrongFunding(
            "a plan with budgets or proposals must carry its terms".into(),
        ));
    }
    if let Some(b) = plan.bound {
        if b < plan.objective {
            bad.push(Violation::WrongFunding(format!(
                "bound {b} is below the objective {}",
                plan.objective
            )));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(Violations(bad))
    }
}

/// The checks of a funded plan: every proposal listed once, in order, with its approval, units
/// and cost recomputed; every budget listed with its amount and the charges recomputed, none
/// over its amount; a bound. Adds approved proposals' fixed costs to `charged` and
/// `cost_weight × fixed costs` to `fixed`.
fn check_funding<'a>(
    instance: &'a Instance,
    plan: &Plan,
    given: &BTreeMap<&str, i64>,
    charged: &mut BTreeMap<&'a str, i128>,
    fixed: &mut i128,
) -> Vec<Violation> {
    let mut bad = Vec::new();
    let wrong = |s: String| Violation::WrongFunding(s);
    let (Some(listed), Some(budgets)) = (&plan.proposals, &plan.budgets) else {
        bad.push(wrong(
            "a plan with budgets or proposals must list both".into(),
        ));
        return bad;
    };
    if plan.bound.is_none() {
        bad.push(wrong(
            "a plan with budgets or proposals must carry a bound".into(),
        ));
    }
    if listed.len() != instance.proposals().len() {
        bad.push(wrong(format!(
            "{} proposals listed, the instance has {}",
            listed.len(),
            instance.proposals().len()
        )));
    }
    for (u, x) in listed.iter().zip(instance.proposals()) {
        if u.id != x.id {
            bad.push(wrong(format!(
                "proposal {:?} listed where {:?} belongs",
                u.id, x.id
            )));
            continue;
        }
        let units = given.get(x.id.as_str()).copied().unwrap_or(0);
        let cost = if u.approved {
            i128::from(x.fixed_cost) + i128::from(x.unit_cost) * i128::from(units)
        } else {
            0
        };
        if u.units != units || i128::from(u.cost) != cost {
            bad.push(wrong(format!(
                "proposal {:?}: listed {} units costing {}, the assignments give {units} costing {cost}",
                x.id, u.units, u.cost
            )));
        }
        if u.approved {
            *charged
                .entry(instance.budget(x.budget).id.as_str())
                .or_default() += i128::from(x.fixed_cost);
            *fixed += i128::from(instance.policy().cost_weight) * i128::from(x.fixed_cost);
        }
    }
    if budgets.len() != instance.budgets().len() {
        bad.push(wrong(format!(
            "{} budgets listed, the instance has {}",
            budgets.len(),
            instance.budgets().len()
        )));
    }
    for (u, b) in budgets.iter().zip(instance.budgets()) {
        let spent = charged.get(b.id.as_str()).copied().unwrap_or(0);
        if u.id != b.id || u.amount != b.amount || i128::from(u.spent) != spent {
            bad.push(wrong(format!(
                "budget {:?}: listed {:?} holding {} spent {}, the instance and assignments give {} spent {spent}",
                b.id, u.id, u.amount, u.spent, b.amount
            )));
        }
        if spent > i128::from(b.amount) {
            bad.push(Violation::OverBudget {
                budget: b.id.clone(),
                spent: i64::try_from(spent).unwrap_or(i64::MAX),
                amount: b.amount,
            });
        }
    }
    bad
}

/// `a` and the areas above it, by parent links.
fn up(instance: &Instance, a: AreaIdx) -> impl Iterator<Item = AreaIdx> + '_ {
    std::iter::successors(Some(a), |&x| instance.areas().get(x).parent)
}

/// The id of the budget of the lowest area at or above `a`, found by walking up and searching
/// the budgets' list.
fn budget_above(instance: &Instance, a: AreaIdx) -> Option<&str> {
    up(instance, a).find_map(|x| {
        instance
            .budgets()
            .iter()
            .find(|b| b.area == x)
            .map(|b| b.id.as_str())
    })
}

/// Who serves in an assignment.
#[derive(Clone, Copy)]
enum Server<'a> {
    Resource(&'a Resource),
    Proposal(&'a Proposal),
}

impl Server<'_> {
    /// The six rules for this server; a proposal serves its area with its area as home.
    fn may_serve(self, instance: &Instance, n: &Need) -> Result<(Level, i64), &'static str> {
        match self {
            Server::Resource(r) => may_serve(instance, n, r),
            Server::Proposal(x) => rules(
                instance,
                n,
                ServerTerms {
                    categories: &x.categories,
                    serves: std::slice::from_ref(&x.area),
                    skills: &x.skills,
                    window: x.window,
                    unit_cost: x.unit_cost,
                    home: x.area,
                },
            ),
        }
    }
}

/// What the rules read of a server.
struct ServerTerms<'a> {
    categories: &'a [CategoryIdx],
    serves: &'a [AreaIdx],
    skills: &'a [SkillIdx],
    window: Option<Window>,
    unit_cost: u32,
    home: AreaIdx,
}

/// The model's six rules, read literally: `Ok((tier, value))` when `r` may serve `n`.
pub fn may_serve(
    instance: &Instance,
    n: &Need,
    r: &Resource,
) -> Result<(Level, i64), &'static str> {
    rules(
        instance,
        n,
        ServerTerms {
            categories: &r.categories,
            serves: &r.serves,
            skills: &r.skills,
            window: r.window,
            unit_cost: r.unit_cost,
            home: r.home,
        },
    )
}

fn rules(instance: &Instance, n: &Need, r: ServerTerms<'_>) -> Result<(Level, i64), &'static str> {
    if !r.categories.contains(&n.category) {
        return Err("category not served");
    }
    let up = |a: AreaIdx| std::iter::successors(Some(a), |&x| instance.areas().get(x).parent);
    if !r.serves.iter().any(|&s| up(n.area).any(|x| x == s)) {
        return Err("area not served");
    }
    if !n.skills.iter().all(|s| r.skills.contains(s)) {
        return Err("skill missing");
    }
    if let (Some(a), Some(b)) = (n.window, r.window) {
        if a.start > b.end || b.start > a.end {
            return Err("windows do not overlap");
        }
    }
    if let Some(m) = n.max_unit_cost {
        if r.unit_cost > m {
            return Err("unit cost above the need's ceiling");
        }
    }
    let need_chain: Vec<AreaIdx> = up(n.area).collect();
    let tier = up(r.home)
        .find(|x| need_chain.contains(x))
        .map_or(Level::City, |x| instance.areas().get(x).level);
    let p = instance.policy();
    let steps = i64::from(n.priority) + if n.vulnerable { p.vulnerable_bonus } else { 0 };
    let value = p.priority_value * steps
        - p.locality_penalty[tier as usize]
        - p.cost_weight * i64::from(r.unit_cost);
    if value <= 0 {
        return Err("value not positive");
    }
    Ok((tier, value))
}

/// The engagement bonuses and load penalties of all resources at their loads in the plan, read
/// step by step from the policy: each step's penalty on the units between its start and the
/// next step's.
fn load_terms(instance: &Instance, used: &[i64]) -> (i128, i128) {
    let p = instance.policy();
    let (mut engagement, mut load) = (0i128, 0i128);
    for (r, &u) in instance.resources().iter().zip(used) {
        let u = i128::from(u);
        if let Some(e) = p.engagement.as_ref().and_then(|e| e[r.kind]) {
            engagement += i128::from(e.bonus) * u.min(i128::from(e.units));
        }
        let steps = p.load_steps.as_ref().map_or(&[][..], |s| &s[r.kind][..]);
        for (k, step) in steps.iter().enumerate() {
            let from = i128::from(step.after);
            let to = steps
                .get(k + 1)
                .map_or(u, |next| i128::from(next.after).min(u));
            if to > from {
                load += (to - from) * i128::from(step.penalty);
            }
        }
    }
    (engagement, load)
}

/// The community floor bonuses of the plan: per community (found by walking each need's
/// parents), its demand, its floor and the units served to its needs.
fn floor_term(instance: &Instance, got: &BTreeMap<&str, i64>) -> i128 {
    let Some(floor) = instance.policy().community_floor else {
        return 0;
    };
    let areas = instance.areas();
    // Per community: (demand, served).
    let mut per: BTreeMap<AreaIdx, (i128, i128)> = BTreeMap::new();
    for n in instance.needs() {
        let community = std::iter::successors(Some(n.area), |&a| areas.get(a).parent)
            .find(|&a| areas.get(a).level == Level::Community);
        if let Some(c) = community {
            let e = per.entry(c).or_default();
            e.0 += i128::from(n.quantity);
            e.1 += i128::from(got.get(n.id.as_str()).copied().unwrap_or(0));
        }
    }
    per.values()
        .map(|&(demand, served)| {
            let units = demand * i128::from(floor.share_pct) / 100;
            i128::from(floor.bonus) * served.min(units)
        })
        .sum()
}
