//! What the ledger reports: the summary (the working set's orders, points, satisfaction,
//! escalations, and totals that outlive finished orders), an order's escalation, and the
//! recommendations for one order.
//!
//! Totals (points, done units, declines, ratings, satisfaction, finished orders by state) are
//! counted when their command is applied, so the summary costs the working set and the
//! roster, never the history.

use super::state::{Escalation, OrderState, Ticket, TicketState};
use super::Ledger;
use crate::model::area::Level;
use crate::model::resource::Kind;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// One resource's running figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub(super) struct ResourceTotals {
    pub(super) done: i64,
    pub(super) points: i64,
    pub(super) declines: i64,
    pub(super) rating_sum: i64,
    pub(super) rating_n: i64,
}

/// Figures counted as commands are applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub(super) struct Totals {
    /// By resource id (resources that left keep theirs).
    pub(super) resources: BTreeMap<String, ResourceTotals>,
    /// Ratings ≥ 4 and all ratings, by community.
    pub(super) communities: BTreeMap<String, (i64, i64)>,
    /// Ratings ≥ 4 and all ratings, by requester.
    pub(super) requesters: BTreeMap<String, (i64, i64)>,
    /// Orders that left the working set, by final state name.
    pub(super) finished: BTreeMap<String, i64>,
    /// Units given up, by reason (`window_ended`, `closed`, or `close`'s reason).
    #[serde(default)]
    pub(super) given_up: BTreeMap<String, i64>,
}

impl Totals {
    fn of(&mut self, resource: &str) -> &mut ResourceTotals {
        self.resources.entry(resource.to_owned()).or_default()
    }

    /// `q` units done by `resource`, worth `per_unit` points each.
    pub(super) fn done(&mut self, resource: &str, q: i64, per_unit: i64) {
        let e = self.of(resource);
        e.done += q;
        e.points = e.points.saturating_add(q.saturating_mul(per_unit));
    }

    /// A decline or withdrawal by `resource`.
    pub(super) fn decline(&mut self, resource: &str) {
        self.of(resource).declines += 1;
    }

    /// An order rated `score`: its done units (`done`, by resource) earn `bonus` each when
    /// the score is 4 or 5; the rating counts for its resources, community and requester.
    pub(super) fn rate(
        &mut self,
        done: &[(String, i64)],
        score: i64,
        bonus: i64,
        community: String,
        requester: Option<String>,
    ) {
        let good = score >= 4;
        for (r, q) in done {
            let e = self.of(r);
            if good {
                e.points = e.points.saturating_add(q.saturating_mul(bonus));
            }
            e.rating_sum += score;
            e.rating_n += 1;
        }
        let c = self.communities.entry(community).or_default();
        c.0 += i64::from(good);
        c.1 += 1;
        if let Some(r) = requester {
            let e = self.requesters.entry(r).or_default();
            e.0 += i64::from(good);
            e.1 += 1;
        }
    }

    /// An order finished in `state` left the working set.
    pub(super) fn archive(&mut self, state: OrderState) {
        *self.finished.entry(state.as_str().to_owned()).or_default() += 1;
    }
}

impl Ledger {
    /// For one order in the working set: every resource that may serve it (except those that
    /// declined or withdrew), best value first, with its tier, the capacity it has left after
    /// commitments and the orders it currently has offers for, which taking this order may
    /// displace.
    pub fn recommend(&self, order: &str) -> Option<Vec<Recommendation>> {
        let k = *self.index.get(order)?;
        let o = self.orders[k].as_ref()?;
        let areas = self.instance.areas();
        let mut out: Vec<Recommendation> = self
            .roster
            .pairs(&o.wanted, areas, &self.policy)
            .into_iter()
            .filter(|p| !o.excluded.contains(self.roster.id(p.0)))
            .map(|(j, tier, value)| {
                let mut displaces: Vec<String> = self
                    .live
                    .flowing_into(j)
                    .iter()
                    .filter_map(|&a| {
                        let k = *self.order_of.get(self.live.arc(a).left as usize)?;
                        self.orders.get(k)?.as_ref().map(|x| x.id.clone())
                    })
                    .filter(|id| *id != o.id)
                    .collect();
                displaces.sort_unstable();
                Recommendation {
                    resource: self.roster.id(j).to_owned(),
                    value,
                    tier,
                    remaining: self.room(j),
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

    /// The summary: the working set's orders with their tickets and scores, points (积分)
    /// per resource, satisfaction per community and per requester, per-resource figures,
    /// idle members, escalations, and finished orders by state.
    pub fn summary(&self) -> Summary {
        let ratio = |&(g, n): &(i64, i64)| if n == 0 { 0.0 } else { g as f64 / n as f64 };
        let orders = self.orders();
        let t = &self.totals;
        Summary {
            escalations: orders.iter().filter_map(|o| o.escalation.clone()).collect(),
            orders: orders
                .into_iter()
                .map(|o| OrderSummary {
                    id: o.id.clone(),
                    state: o.state,
                    tickets: o.tickets.clone(),
                    score: o.score,
                    given_up: o.given_up,
                    reason: o.reason.clone(),
                })
                .collect(),
            points: t
                .resources
                .iter()
                .filter(|(_, r)| r.points > 0)
                .map(|(id, r)| (id.clone(), r.points))
                .collect(),
            satisfaction: t
                .communities
                .iter()
                .map(|(c, v)| (c.clone(), ratio(v)))
                .collect(),
            requester_satisfaction: t
                .requesters
                .iter()
                .map(|(c, v)| (c.clone(), ratio(v)))
                .collect(),
            resources: t
                .resources
                .iter()
                .filter(|(_, r)| r.done > 0 || r.declines > 0)
                .map(|(id, r)| ResourceSummary {
                    resource: id.clone(),
                    completed: r.done,
                    declines: r.declines,
                    average_rating: (r.rating_n > 0)
                        .then(|| r.rating_sum as f64 / r.rating_n as f64),
                })
                .collect(),
            idle_members: self
                .roster
                .by_id()
                .filter(|(j, m)| {
                    m.kind() == Kind::Member
                        && self.committed[*j as usize] == 0
                        && t.resources.get(&m.data.id).map_or(0, |r| r.done) == 0
                })
                .map(|(_, m)| m.data.id.clone())
                .collect(),
            finished: t.finished.clone(),
            given_up: t.given_up.clone(),
        }
    }

    /// The level a listed order is raised to, and why: served above community level, or
    /// with units that no offer covers (raised to the district for manual handling, 兜底).
    pub(super) fn escalation(&self, k: usize) -> Option<Escalation> {
        let o = self.orders[k].as_ref()?;
        if o.state != OrderState::Listed {
            return None;
        }
        if let Some(level) = o.deadline.filter(|_| o.open() > 0) {
            // 接诉即办: raised by a deadline; the resources at that level or above that may
            // serve it, best first.
            let mut pairs: Vec<(i64, &str)> = self
                .roster
                .pairs(&o.wanted, self.instance.areas(), &self.policy)
                .into_iter()
                .filter(|p| p.1 <= level && !o.excluded.contains(self.roster.id(p.0)))
                .map(|p| (p.2, self.roster.id(p.0)))
                .collect();
            pairs.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
            return Some(Escalation {
                order: o.id.clone(),
                level,
                reason: "deadline".into(),
                units: o.open(),
                resources: pairs.into_iter().map(|p| p.1.to_owned()).collect(),
            });
        }
        let covered: i64 = o.tickets.iter().map(|t| t.quantity).sum::<i64>() + o.given_up;
        if covered < o.need.quantity {
            // A resource may still take the open units unless it declined, withdrew or
            // already holds a ticket of this order: the live arcs, when the order has a node.
            let none_left = match o.node {
                Some(n) => self.live.arcs_of(n).is_empty(),
                None => self.live_pairs(k).is_empty(),
            };
            return Some(Escalation {
                order: o.id.clone(),
                level: Level::District,
                reason: if none_left {
                    "no_eligible_resource"
                } else {
                    "capacity_exhausted"
                }
                .into(),
                units: o.need.quantity - covered,
                resources: Vec::new(),
            });
        }
        let widest = o.tickets.iter().map(|t| t.tier).min()?;
        if widest >= Level::Community {
            return None;
        }
        // A local resource could have served unless it declined or withdrew: the live arcs
        // and the tickets hold every pair that is not excluded.
        let local = match o.node {
            Some(n) => {
                self.live
                    .arcs_of(n)
                    .iter()
                    .any(|&a| self.tiers[a as usize] >= Level::Community)
                    || o.tickets.iter().any(|t| {
                        t.state != TicketState::Offered
                            && t.tier >= Level::Community
                            && !o.excluded.contains(&t.resource)
                    })
            }
            None => self
                .roster
                .pairs(&o.wanted, self.instance.areas(), &self.policy)
                .iter()
                .any(|p| p.1 >= Level::Community && !o.excluded.contains(self.roster.id(p.0))),
        };
        Some(Escalation {
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
            resources: Vec::new(),
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
    /// Units given up (`close`, or the need's window ended).
    #[serde(skip_serializing_if = "is_zero")]
    pub given_up: i64,
    /// Why units were given up or the order closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn is_zero(x: &i64) -> bool {
    *x == 0
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
    /// The working set's orders in posting order (finished orders have left it).
    pub orders: Vec<OrderSummary>,
    /// Points (积分) per resource with any.
    pub points: BTreeMap<String, i64>,
    /// Share of ratings ≥ 4 per community.
    pub satisfaction: BTreeMap<String, f64>,
    /// Share of ratings ≥ 4 per requester.
    pub requester_satisfaction: BTreeMap<String, f64>,
    /// Per resource with any done units or declines.
    pub resources: Vec<ResourceSummary>,
    /// Members on the roster with nothing accepted or done (双报到 without service).
    pub idle_members: Vec<String>,
    /// Listed orders raised above their community.
    pub escalations: Vec<Escalation>,
    /// Orders that left the working set, by final state (`rejected`, `cancelled`, `rated`,
    /// `closed`, `completed` for those never rated).
    pub finished: BTreeMap<String, i64>,
    /// Units given up, by reason (`window_ended`, `closed`, or the reason `close` gave).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub given_up: BTreeMap<String, i64>,
}

/// The summary as compact JSON.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}
