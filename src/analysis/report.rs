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
        }
    }

    /// The report as JSON.
    ///
    /// # Errors
    /// Only if serialisation fails, which a report never does.
    pub fn to_json_string(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}
