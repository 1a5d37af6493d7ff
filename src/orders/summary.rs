//! What the ledger reports: the summary (orders, points, satisfaction, escalations), the
//! recommendations for one order, and the points rules.

use super::state::{OrderState, Ticket, TicketState};
use super::Ledger;
use crate::model::area::Level;
use crate::model::resource::Kind;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Points (积分) per done unit, by resource kind, and the bonus per unit of an order rated 4
/// or 5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Points {
    /// Points per done unit, indexed like [`Kind::ALL`].
    pub per_unit: [i64; 5],
    /// Extra points per done unit of an order rated 4 or more.
    pub good_rating_bonus: i64,
}

impl Default for Points {
    fn default() -> Points {
        Points {
            per_unit: [10, 5, 2, 5, 5],
            good_rating_bonus: 5,
        }
    }
}

impl Ledger {
    /// For one order: every resource that may serve it (except those that declined or
    /// withdrew), best value first, with its tier, the capacity it has left after commitments
    /// and the orders it currently has offers for, which taking this order may displace.
    pub fn recommend(&self, order: &str) -> Option<Vec<Recommendation>> {
        let k = *self.index.get(order)?;
        let o = &self.orders[k];
        let mut out: Vec<Recommendation> = self
            .pairs(k)
            .into_iter()
            .filter(|p| !o.excluded.contains(&p.0))
            .map(|(j, tier, value)| {
                let mut displaces: Vec<String> = self
                    .live
                    .flowing_into(j)
                    .iter()
                    .map(|&a| &self.orders[self.order_of[self.live.arc(a).left as usize]].id)
                    .filter(|id| **id != o.id)
                    .cloned()
                    .collect();
                displaces.sort_unstable();
                Recommendation {
                    resource: self.instance.resources()[j as usize].id.clone(),
                    value,
                    tier,
                    remaining: i64::from(self.instance.resources()[j as usize].capacity)
                        - self.committed[j as usize],
                    displaces,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.value
                .cmp(&a.value)
                .then_with(|| a.resource.cmp(&b.resource))
        });
        Some(out)
    }

    /// The summary: every order with its tickets and score, points (积分) per resource,
    /// satisfaction per community and per requester, per-resource figures, idle members and
    /// escalations.
    pub fn summary(&self) -> Summary {
        let instance = &self.instance;
        let areas = instance.areas();
        let m = instance.resources().len();
        let (mut done, mut points, mut rating_sum, mut rating_n) =
            (vec![0i64; m], vec![0i64; m], vec![0i64; m], vec![0i64; m]);
        let mut sat: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut requesters: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut escalations = Vec::new();
        for (k, o) in self.orders.iter().enumerate() {
            let good = o.score.is_some_and(|s| s >= 4);
            for t in o.tickets.iter().filter(|t| t.state == TicketState::Done) {
                if let Some(j) = instance.find_resource(&t.resource) {
                    let kind = instance.resource(j).kind;
                    let k = Kind::ALL.iter().position(|x| *x == kind).unwrap_or(0);
                    done[j.get()] += t.quantity;
                    points[j.get()] += t.quantity
                        * (self.points.per_unit[k]
                            + if good {
                                self.points.good_rating_bonus
                            } else {
                                0
                            });
                    if let Some(s) = o.score {
                        rating_sum[j.get()] += s;
                        rating_n[j.get()] += 1;
                    }
                }
            }
            if let Some(s) = o.score {
                let community = areas
                    .find(&o.need.area)
                    .and_then(|a| areas.ancestor_at(a, Level::Community))
                    .map_or("-".to_owned(), |c| areas.get(c).id.clone());
                let e = sat.entry(community).or_default();
                e.0 += i64::from(s >= 4);
                e.1 += 1;
                if let Some(r) = &o.need.requester {
                    let e = requesters.entry(r.clone()).or_default();
                    e.0 += i64::from(s >= 4);
                    e.1 += 1;
                }
            }
            if let Some(e) = self.escalation(k) {
                escalations.push(e);
            }
        }
        let ratio = |(g, n): (i64, i64)| if n == 0 { 0.0 } else { g as f64 / n as f64 };
        Summary {
            orders: self
                .orders
                .iter()
                .map(|o| OrderSummary {
                    id: o.id.clone(),
                    state: o.state,
                    tickets: o.tickets.clone(),
                    score: o.score,
                })
                .collect(),
            points: instance
                .resources()
                .iter()
                .enumerate()
                .filter(|(j, _)| points[*j] > 0)
                .map(|(j, r)| (r.id.clone(), points[j]))
                .collect(),
            satisfaction: sat.into_iter().map(|(c, v)| (c, ratio(v))).collect(),
            requester_satisfaction: requesters.into_iter().map(|(c, v)| (c, ratio(v))).collect(),
            resources: instance
                .resources()
                .iter()
                .enumerate()
                .filter(|(j, _)| done[*j] > 0 || self.declines[*j] > 0)
                .map(|(j, r)| ResourceSummary {
                    resource: r.id.clone(),
                    completed: done[j],
                    declines: self.declines[j],
                    average_rating: (rating_n[j] > 0)
                        .then(|| rating_sum[j] as f64 / rating_n[j] as f64),
                })
                .collect(),
            idle_members: instance
                .resources()
                .iter()
                .enumerate()
                .filter(|(j, r)| r.kind == Kind::Member && done[*j] == 0 && self.committed[*j] == 0)
                .map(|(_, r)| r.id.clone())
                .collect(),
            escalations,
        }
    }

    /// The level a listed order was raised to, and why: served above community level, or
    /// with units that no offer covers (raised to the district for manual handling, 兜底).
    fn escalation(&self, k: usize) -> Option<Escalation> {
        let o = &self.orders[k];
        if o.state != OrderState::Listed {
            return None;
        }
        let pairs = self.pairs(k);
        let local = pairs
            .iter()
            .any(|p| p.1 >= Level::Community && !o.excluded.contains(&p.0));
        let covered: i64 = o.tickets.iter().map(|t| t.quantity).sum();
        if covered < o.need.quantity {
            // A resource may still take the open units unless it declined, withdrew or
            // already holds a ticket of this order.
            let committed = |j: u32| {
                o.ticket(j, &self.instance)
                    .is_some_and(|t| o.tickets[t].state != TicketState::Offered)
            };
            let reason = if pairs
                .iter()
                .all(|p| o.excluded.contains(&p.0) || committed(p.0))
            {
                "no_eligible_resource"
            } else {
                "capacity_exhausted"
            };
            return Some(Escalation {
                order: o.id.clone(),
                level: Level::District,
                reason: reason.into(),
                units: o.need.quantity - covered,
            });
        }
        let widest = o.tickets.iter().map(|t| t.tier).min()?;
        (widest < Level::Community).then(|| Escalation {
            order: o.id.clone(),
            level: widest,
            reason: if local {
                "local_capacity_taken".into()
            } else {
                "no_eligible_resource_below".into()
            },
            units: o
                .tickets
                .iter()
                .filter(|t| t.tier < Level::Community)
                .map(|t| t.quantity)
                .sum(),
        })
    }
}

/// One resource that may serve an order, as [`Ledger::recommend`] ranks them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recommendation {
    /// Resource id.
    pub resource: String,
    /// Value of one unit.
    pub value: i64,
    /// Tier of the pair.
    pub tier: Level,
    /// Capacity left after accepted, agreed and done units.
    pub remaining: i64,
    /// Orders it currently has offers for, which taking this order may displace.
    pub displaces: Vec<String>,
}

/// An order raised above its community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Escalation {
    /// Order id.
    pub order: String,
    /// The level it was raised to (街道吹哨、部门报到).
    pub level: Level,
    /// `no_eligible_resource`, `capacity_exhausted`, `no_eligible_resource_below` or
    /// `local_capacity_taken`.
    pub reason: String,
    /// Units concerned.
    pub units: i64,
}

/// One order in the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderSummary {
    /// Order id.
    pub id: String,
    /// Its state.
    pub state: OrderState,
    /// Its tickets.
    pub tickets: Vec<Ticket>,
    /// Its rating.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
}

/// One resource's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceSummary {
    /// Resource id.
    pub resource: String,
    /// Units done.
    pub completed: i64,
    /// Declines and withdrawals.
    pub declines: i64,
    /// Average rating of its rated orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average_rating: Option<f64>,
}

/// The ledger's summary, in the contract's JSON form (more fields follow the contract's).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Orders in posting order.
    pub orders: Vec<OrderSummary>,
    /// Points (积分) per resource with any.
    pub points: BTreeMap<String, i64>,
    /// Share of ratings ≥ 4 per community.
    pub satisfaction: BTreeMap<String, f64>,
    /// Share of ratings ≥ 4 per requester.
    pub requester_satisfaction: BTreeMap<String, f64>,
    /// Per resource with any done units or declines.
    pub resources: Vec<ResourceSummary>,
    /// Registered members with nothing accepted or done (双报到 without service).
    pub idle_members: Vec<String>,
    /// Listed orders raised above their community.
    pub escalations: Vec<Escalation>,
}

/// The summary as compact JSON.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}
