//! The analyst's report on a plan: coverage (units, priority-weighted value, vulnerable
//! households), the share served at each tier, resource utilisation and idle members,
//! demand and unmet units by category, unmet units by community, the top bottlenecks, the largest shadow prices and
//! the recruitment advice.

use crate::analysis::explain::{Advice, Explanation};
use crate::model::area::{AreaIdx, Level};
use crate::model::resource::Kind;
use crate::model::Instance;
use crate::plan::{Certificate, Plan};
use serde::Serialize;
use std::collections::BTreeMap;

/// Served against asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Served.
    pub served: i64,
    /// Asked for.
    pub demanded: i64,
    /// `served / demanded` (1 when nothing was asked).
    pub share: f64,
}

impl Coverage {
    fn new(served: i64, demanded: i64) -> Coverage {
        let share = if demanded == 0 {
            1.0
        } else {
            served as f64 / demanded as f64
        };
        Coverage {
            served,
            demanded,
            share,
        }
    }
}

/// Coverage three ways.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverages {
    /// Units of service.
    pub units: Coverage,
    /// Units weighted by priority (`priority_value × (priority + vulnerable_bonus × [vulnerable])`).
    pub value: Coverage,
    /// Units of vulnerable households (三老三户三留守).
    pub vulnerable: Coverage,
}

/// Units served at one tier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierShare {
    /// The tier.
    pub tier: Level,
    /// Units served there.
    pub units: i64,
    /// Share of all units served.
    pub share: f64,
}

/// Resources whose utilisation falls in `[from, to)` (the last bucket includes 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// Lower bound of utilisation.
    pub from: f64,
    /// Upper bound of utilisation.
    pub to: f64,
    /// Resources in it (those with capacity).
    pub resources: usize,
}

/// How much of the offered capacity the plan uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Utilisation {
    /// Units used against units offered.
    pub units: Coverage,
    /// Resources with capacity by utilisation, in ten buckets.
    pub histogram: Vec<Bucket>,
    /// Registered members with capacity who serve nothing in the plan (双报到 without service).
    pub idle_members: Vec<String>,
}

/// Unmet units of one category or community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnmetGroup {
    /// Category name or community id (`-` for needs above community level).
    pub key: String,
    /// Unmet units.
    pub units: i64,
}

/// Demand of one category and how much of it the plan serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryCoverage {
    /// Category name.
    pub category: String,
    /// Units asked for.
    pub demanded: i64,
    /// Units served.
    pub served: i64,
    /// Units unmet.
    pub unmet: i64,
}

/// A resource's shadow price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShadowPrice {
    /// Resource id.
    pub resource: String,
    /// Rise of the optimum from one more unit of its capacity.
    pub value: i64,
}

/// How the load falls on the resources of one kind (those with capacity).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindLoad {
    /// The kind.
    pub kind: Kind,
    /// Resources of this kind with capacity.
    pub resources: usize,
    /// Units they give in all.
    pub units: i64,
    /// The largest load of one of them.
    pub max: i64,
    /// The load that 90 % of them do not exceed (nearest rank).
    pub p90: i64,
    /// The share of them that give nothing (idle).
    pub idle_share: f64,
    /// The Gini coefficient of their loads: 0 when all give the same, towards 1 when a few
    /// give everything.
    pub gini: f64,
    /// How many give each load: `histogram[u]` resources give `u` units (the last entry counts
    /// every load from its index up).
    pub histogram: Vec<usize>,
}

/// The longest load histogram: loads from this many units up share the last entry.
const LOAD_BUCKETS: usize = 31;

/// Coverage of one community: its needs' units served against asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommunityShare {
    /// Community id.
    pub community: String,
    /// Served against asked for.
    pub coverage: Coverage,
}

/// How evenly the communities are served (冷热不均).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommunitySpread {
    /// The least share served of a community with demand.
    pub min: f64,
    /// The median share.
    pub median: f64,
    /// The largest share.
    pub max: f64,
    /// `max − min`.
    pub spread: f64,
    /// Every community with demand, by id.
    pub communities: Vec<CommunityShare>,
}

/// What the fairness terms cost: the pairs' value of the plan with the terms against the
/// optimum without them, from the same instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FairnessCost {
    /// The pairs' value (Σ value × units) of the plan with the terms.
    pub with_terms: i64,
    /// The pairs' value of the optimal plan without them.
    pub without_terms: i64,
}

/// The report. See the module documentation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The plan's objective.
    pub objective: i64,
    /// Coverage by units, value and for vulnerable households.
    pub coverage: Coverages,
    /// Units served per tier, grid first.
    pub tiers: Vec<TierShare>,
    /// Capacity use.
    pub utilisation: Utilisation,
    /// Demand, service and unmet units per category, most unmet first.
    pub by_category: Vec<CategoryCoverage>,
    /// Unmet units per community, most first.
    pub unmet_by_community: Vec<UnmetGroup>,
    /// Distinct bottleneck certificates, largest shortfall first (at most 20).
    pub bottlenecks: Vec<Certificate>,
    /// The largest shadow prices (at most 20).
    pub shadow_prices: Vec<ShadowPrice>,
    /// Recruitment advice, ranked.
    pub recruitment: Vec<Advice>,
    /// The load per kind of resource, in [`Kind::ALL`] order (kinds with capacity only).
    pub load: Vec<KindLoad>,
    /// Coverage per community and how far apart the communities are.
    pub communities: CommunitySpread,
    /// What the fairness terms cost, when the policy sets them and the caller measured it
    /// ([`Report::with_fairness_cost`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fairness_cost: Option<FairnessCost>,
}

/// How many bottlenecks and shadow prices the report lists.
const TOP: usize = 20;

fn ranked(map: BTreeMap<String, i64>) -> Vec<UnmetGroup> {
    let mut v: Vec<UnmetGroup> = map
        .into_iter()
        .filter(|(_, u)| *u > 0)
        .map(|(key, units)| UnmetGroup { key, units })
        .collect();
    v.sort_by(|a, b| b.units.cmp(&a.units).then_with(|| a.key.cmp(&b.key)));
    v
}

impl Report {
    /// Builds the report of `plan` (with its explanation) for `instance`.
    pub fn new(instance: &Instance, plan: &Plan, explanation: &Explanation) -> Report {
        let areas = instance.areas();
        let policy = instance.policy();
        let weight = |i: usize| {
            let n = &instance.needs()[i];
            policy.weight(n.priority, n.vulnerable)
        };
        let mut served = vec![0i64; instance.needs().len()];
        let mut used = vec![0i64; instance.resources().len()];
        let mut tiers = [0i64; 5];
        let ids = instance.ids();
        for a in &plan.assignments {
            if let (Some(i), Some(j)) = (ids.need(&a.need), ids.resource(&a.resource)) {
                served[i.get()] += a.quantity;
                used[j.get()] += a.quantity;
                tiers[a.tier.index()] += a.quantity;
            }
        }
        let (mut value, mut value_all, mut vul, mut vul_all) = (0, 0, 0, 0);
        // Keyed by index while counting; named once at the end.
        let mut by_category = vec![(0i64, 0i64); instance.categories().len()];
        let mut by_community = vec![0i64; areas.len() + 1];
        for (i, n) in instance.needs().iter().enumerate() {
            let q = i64::from(n.quantity);
            value += weight(i) * served[i];
            value_all += weight(i) * q;
            if n.vulnerable {
                vul += served[i];
                vul_all += q;
            }
            let missing = q - served[i];
            let c = &mut by_category[n.category.0 as usize];
            c.0 += q;
            c.1 += served[i];
            let community = areas.ancestor_at(n.area, Level::Community);
            by_community[community.map_or(areas.len(), |c| c.get())] += missing;
        }
        let by_community: BTreeMap<String, i64> = by_community
            .iter()
            .enumerate()
            .filter(|(_, &u)| u > 0)
            .map(|(k, &u)| {
                let name = if k == areas.len() {
                    "-".to_owned()
                } else {
                    areas.get(AreaIdx(k as u32)).id.clone()
                };
                (name, u)
            })
            .collect();
        let by_category: Vec<(String, (i64, i64))> = by_category
            .into_iter()
            .enumerate()
            .filter(|(_, c)| c.0 > 0)
            .map(|(k, c)| (instance.categories().name(k as u32).to_owned(), c))
            .collect();
        let total_served: i64 = tiers.iter().sum();
        let tiers = Level::ALL
            .iter()
            .rev()
            .map(|&t| TierShare {
                tier: t,
                units: tiers[t.index()],
                share: if total_served == 0 {
                    0.0
                } else {
                    tiers[t.index()] as f64 / total_served as f64
                },
            })
            .collect();

        let mut histogram: Vec<Bucket> = (0..10)
            .map(|k| Bucket {
                from: f64::from(k) / 10.0,
                to: f64::from(k + 1) / 10.0,
                resources: 0,
            })
            .collect();
        let mut idle_members = Vec::new();
        let mut capacity = 0;
        for (j, r) in instance.resources().iter().enumerate() {
            if r.capacity == 0 {
                continue;
            }
            capacity += i64::from(r.capacity);
            let share = used[j] as f64 / f64::from(r.capacity);
            histogram[((share * 10.0) as usize).min(9)].resources += 1;
            if r.kind == Kind::Member && used[j] == 0 {
                idle_members.push(r.id.clone());
            }
        }

        let mut bottlenecks: Vec<Certificate> = explanation
            .certificates
            .iter()
            .flatten()
            .filter(|c| matches!(c, Certificate::Bottleneck { .. }))
            .cloned()
            .collect();
        let shortfall = |c: &Certificate| match c {
            Certificate::Bottleneck {
                demand, capacity, ..
            } => demand - capacity,
            Certificate::Tradeoff { .. } => 0,
        };
        bottlenecks.sort_by(|a, b| shortfall(b).cmp(&shortfall(a)).then_with(|| a.cmp(b)));
        bottlenecks.dedup();
        bottlenecks.truncate(TOP);

        let mut shadow_prices: Vec<ShadowPrice> = explanation
            .shadow_prices
            .iter()
            .enumerate()
            .filter(|(_, &v)| v > 0)
            .map(|(j, &value)| ShadowPrice {
                resource: instance.resources()[j].id.clone(),
                value,
            })
            .collect();
        shadow_prices.sort_by(|a, b| {
            b.value
                .cmp(&a.value)
                .then_with(|| a.resource.cmp(&b.resource))
        });
        shadow_prices.truncate(TOP);

        Report {
            objective: plan.objective,
            coverage: Coverages {
                units: Coverage::new(plan.served, plan.demanded),
                value: Coverage::new(value, value_all),
                vulnerable: Coverage::new(vul, vul_all),
            },
            tiers,
            utilisation: Utilisation {
                units: Coverage::new(used.iter().sum(), capacity),
                histogram,
                idle_members,
            },
            by_category: {
                let mut v: Vec<CategoryCoverage> = by_category
                    .into_iter()
                    .map(|(category, (demanded, served))| CategoryCoverage {
                        category,
                        demanded,
                        served,
                        unmet: demanded - served,
                    })
                    .collect();
                v.sort_by(|a, b| {
                    b.unmet
                        .cmp(&a.unmet)
                        .then_with(|| a.category.cmp(&b.category))
                });
                v
            },
            unmet_by_community: ranked(by_community),
            bottlenecks,
            shadow_prices,
            recruitment: explanation.recruitment.clone(),
            load: Kind::ALL
                .into_iter()
                .filter_map(|kind| kind_load(instance, &used, kind))
                .collect(),
            communities: community_spread(instance, &served),
            fairness_cost: None,
        }
    }

    /// The same report with what the fairness terms cost: `without_terms` is the pairs' value
    /// of the optimal plan of the same instance without them.
    pub fn with_fairness_cost(mut self, plan: &Plan, without_terms: i64) -> Report {
        let with_terms = plan.terms.map_or(plan.objective, |t| t.assignments);
        self.fairness_cost = Some(FairnessCost {
            with_terms,
            without_terms,
        });
        self
    }

    /// The report as JSON.
    ///
    /// # Errors
    /// Only if serialisation fails, which a report never does.
    pub fn to_json_string(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

/// The load of the resources of `kind` that have capacity, if there are any.
fn kind_load(instance: &Instance, used: &[i64], kind: Kind) -> Option<KindLoad> {
    let mut loads: Vec<i64> = instance
        .resources()
        .iter()
        .zip(used)
        .filter(|(r, _)| r.kind == kind && r.capacity > 0)
        .map(|(_, &u)| u)
        .collect();
    if loads.is_empty() {
        return None;
    }
    loads.sort_unstable();
    let n = loads.len();
    let units: i64 = loads.iter().sum();
    let rank = (n * 9).div_ceil(10).max(1);
    // Gini from the sorted loads: Σ (2k − n − 1)·x_k / (n · Σ x), k = 1..n.
    let gini = if units == 0 {
        0.0
    } else {
        let weighted: i128 = loads
            .iter()
            .enumerate()
            .map(|(k, &x)| (2 * (k as i128 + 1) - n as i128 - 1) * i128::from(x))
            .sum();
        weighted as f64 / (n as f64 * units as f64)
    };
    let mut histogram = vec![0usize; LOAD_BUCKETS.min(loads[n - 1] as usize + 1)];
    for &x in &loads {
        let last = histogram.len() - 1;
        histogram[(x as usize).min(last)] += 1;
    }
    Some(KindLoad {
        kind,
        resources: n,
        units,
        max: loads[n - 1],
        p90: loads[rank - 1],
        idle_share: loads.iter().filter(|&&x| x == 0).count() as f64 / n as f64,
        gini,
        histogram,
    })
}

/// Coverage per community (needs at or below it) with demand, and its spread.
fn community_spread(instance: &Instance, served: &[i64]) -> CommunitySpread {
    let areas = instance.areas();
    let mut per = vec![(0i64, 0i64); areas.len()];
    for (n, &s) in instance.needs().iter().zip(served) {
        if let Some(c) = areas.ancestor_at(n.area, Level::Community) {
            per[c.get()].0 += i64::from(n.quantity);
            per[c.get()].1 += s;
        }
    }
    let mut communities: Vec<CommunityShare> = per
        .iter()
        .enumerate()
        .filter(|(_, p)| p.0 > 0)
        .map(|(c, &(demanded, served))| CommunityShare {
            community: areas.get(AreaIdx(c as u32)).id.clone(),
            coverage: Coverage::new(served, demanded),
        })
        .collect();
    communities.sort_by(|a, b| a.community.cmp(&b.community));
    let mut shares: Vec<f64> = communities.iter().map(|c| c.coverage.share).collect();
    shares.sort_by(f64::total_cmp);
    let (min, max) = (
        shares.first().copied().unwrap_or(1.0),
        shares.last().copied().unwrap_or(1.0),
    );
    let median = match shares.len() {
        0 => 1.0,
        k if k % 2 == 1 => shares[k / 2],
        k => (shares[k / 2 - 1] + shares[k / 2]) / 2.0,
    };
    CommunitySpread {
        min,
        median,
        max,
        spread: max - min,
        communities,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_statistics_of_one_kind() {
        let json = r#"{"areas": [{"id": "C", "level": "community"}],
          "resources": [
            {"id": "M1", "kind": "member", "home": "C", "categories": ["c"], "capacity": 5},
            {"id": "M2", "kind": "member", "home": "C", "categories": ["c"], "capacity": 5},
            {"id": "M3", "kind": "member", "home": "C", "categories": ["c"], "capacity": 5},
            {"id": "M4", "kind": "member", "home": "C", "categories": ["c"], "capacity": 5},
            {"id": "M5", "kind": "member", "home": "C", "categories": ["c"], "capacity": 0},
            {"id": "U1", "kind": "unit", "home": "C", "categories": ["c"], "capacity": 9}]}"#;
        let instance = Instance::from_json_str(json).unwrap();
        let l = kind_load(&instance, &[3, 0, 1, 0, 0, 2], Kind::Member).unwrap();
        // Loads 0, 0, 1, 3 (M5 has no capacity): Σ (2k − n − 1)·x_k / (n·Σx) = (1 + 9) / 16.
        assert_eq!((l.resources, l.units, l.max, l.p90), (4, 4, 3, 3));
        assert_eq!((l.idle_share, l.gini), (0.5, 0.625));
        assert_eq!(l.histogram, [2, 1, 0, 1]);
        assert!(kind_load(&instance, &[0; 6], Kind::Staff).is_none());
        let even = kind_load(&instance, &[2, 2, 2, 2, 0, 0], Kind::Member).unwrap();
        assert_eq!((even.gini, even.idle_share), (0.0, 0.0));
    }
}
