//! Comparing two plans of the same instance (or of an instance before and after an edit):
//! units added, removed and moved between resources, the objective delta, and the shift
//! between tiers.

use crate::model::area::Level;
use crate::plan::Plan;
use serde::Serialize;
use std::collections::BTreeMap;

/// Units of a need that one plan has and the other does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Need id.
    pub need: String,
    /// Resource id.
    pub resource: String,
    /// Units.
    pub quantity: i64,
}

/// Units of a need served by another resource in the second plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moved {
    /// Need id.
    pub need: String,
    /// Resource in the first plan.
    pub from: String,
    /// Resource in the second plan.
    pub to: String,
    /// Units.
    pub quantity: i64,
}

/// Units served at one tier in each plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierShift {
    /// The tier.
    pub tier: Level,
    /// Units in the first plan.
    pub before: i64,
    /// Units in the second plan.
    pub after: i64,
}

/// What changed from one plan to another. Moves pair a need's lost and gained units in
/// resource-id order; what remains unpaired is added or removed.
///
/// ```
/// use duijie::plan::{Assignment, Plan, PlanDiff};
/// use duijie::model::Level;
/// let a = |r: &str, q| Assignment { need: "N".into(), resource: r.into(), quantity: q, tier: Level::Grid, value: 10 };
/// let plan = |v: Vec<Assignment>| Plan { objective: v.iter().map(|x| x.quantity * 10).sum(), served: 0, demanded: 3, assignments: v, unmet: vec![], terms: None, proposals: None, budgets: None, bound: None };
/// let d = PlanDiff::new(&plan(vec![a("R1", 2)]), &plan(vec![a("R1", 1), a("R2", 2)]));
/// assert_eq!((d.moved[0].from.as_str(), d.moved[0].to.as_str(), d.moved[0].quantity), ("R1", "R2", 1));
/// assert_eq!((d.added[0].resource.as_str(), d.added[0].quantity), ("R2", 1));
/// assert_eq!(d.objective_delta, 10);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanDiff {
    /// Units only the second plan serves.
    pub added: Vec<Change>,
    /// Units only the first plan serves.
    pub removed: Vec<Change>,
    /// Units served by another resource.
    pub moved: Vec<Moved>,
    /// Second objective minus first.
    pub objective_delta: i64,
    /// Units per tier, grid first.
    pub tiers: Vec<TierShift>,
}

impl PlanDiff {
    /// Compares `before` with `after`.
    pub fn new(before: &Plan, after: &Plan) -> PlanDiff {
        // Per need and resource: units after minus units before.
        let mut delta: BTreeMap<(&str, &str), i64> = BTreeMap::new();
        let mut tiers = [[0i64; 2]; 5];
        for (k, plan) in [before, after].into_iter().enumerate() {
            let sign = if k == 0 { -1 } else { 1 };
            for a in &plan.assignments {
                *delta.entry((&a.need, &a.resource)).or_default() += sign * a.quantity;
                tiers[a.tier.index()][k] += a.quantity;
            }
        }
        // Per need: units lost and units gained, by resource.
        type Units<'p> = Vec<(&'p str, i64)>;
        let mut per_need: BTreeMap<&str, (Units, Units)> = BTreeMap::new();
        for ((need, resource), d) in delta {
            let entry = per_need.entry(need).or_default();
            match d {
                d if d < 0 => entry.0.push((resource, -d)),
                d if d > 0 => entry.1.push((resource, d)),
                _ => {}
            }
        }
        let (mut added, mut removed, mut moved) = (Vec::new(), Vec::new(), Vec::new());
        for (need, (mut lost, mut gained)) in per_need {
            let (mut l, mut g) = (0, 0);
            while l < lost.len() && g < gained.len() {
                let q = lost[l].1.min(gained[g].1);
                moved.push(Moved {
                    need: need.to_owned(),
                    from: lost[l].0.to_owned(),
                    to: gained[g].0.to_owned(),
                    quantity: q,
                });
                lost[l].1 -= q;
                gained[g].1 -= q;
                l += usize::from(lost[l].1 == 0);
                g += usize::from(gained[g].1 == 0);
            }
            let change = |(r, q): &(&str, i64)| Change {
                need: need.to_owned(),
                resource: (*r).to_owned(),
                quantity: *q,
            };
            removed.extend(lost[l..].iter().filter(|x| x.1 > 0).map(change));
            added.extend(gained[g..].iter().filter(|x| x.1 > 0).map(change));
        }
        PlanDiff {
            added,
            removed,
            moved,
            objective_delta: after.objective - before.objective,
            tiers: Level::ALL
                .iter()
                .rev()
                .map(|&t| TierShift {
                    tier: t,
                    before: tiers[t.index()][0],
                    after: tiers[t.index()][1],
                })
                .collect(),
        }
    }
}
