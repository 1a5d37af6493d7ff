//! The value model: how much one unit of service is worth (priority, vulnerability, locality,
//! cost), and the optional fairness terms (load steps, engagement, community floors).
//! [`Policy::unit_value`] is the one place the library computes a pair's value, and
//! [`Policy::marginals`] the one place it turns a resource's load into marginal values; the
//! independent checker ([`crate::plan::check()`]) keeps its own copies on purpose.

use crate::model::area::Level;
use crate::model::resource::Kind;
use std::ops::{Index, IndexMut};

/// Weights of the value model, with the defaults of the data contract.
///
/// The value of one unit of need *i* served by resource *j* at tier *t* is
/// `priority_value × (priority + vulnerable_bonus × [vulnerable]) − locality_penalty[t] − cost_weight × unit_cost`.
///
/// ```
/// use duijie::model::{Level, Policy};
/// let p = Policy::default();
/// assert_eq!(p.unit_value(3, true, Level::Community, 0), 500);
/// assert_eq!(p.unit_value(1, false, Level::District, 20), 100 - 15 - 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// Value of one priority step (default 100).
    pub priority_value: i64,
    /// Extra priority steps for vulnerable households, 三老三户三留守 (default 2).
    pub vulnerable_bonus: i64,
    /// Penalty per unit by tier, indexed by [`Level::index`] (defaults: grid 0, community 0,
    /// street 5, district 15, city 30).
    pub locality_penalty: [i64; 5],
    /// Weight of a resource's unit cost (default 1).
    pub cost_weight: i64,
    /// Hours an offer stays open before it expires (default 24).
    pub offer_deadline_hours: i64,
    /// Bonus per unit that keeps an outstanding offer in place on re-dispatch (default 50).
    pub reoffer_penalty: i64,
    /// Penalties on a resource's load, per kind (`None`: not set).
    pub load_steps: Option<PerKind<Vec<LoadStep>>>,
    /// Bonuses for each resource's first units, per kind (`None`: not set).
    pub engagement: Option<PerKind<Option<Engagement>>>,
    /// A bonus for each unit served in a community up to a share of its demand.
    pub community_floor: Option<CommunityFloor>,
    /// Deadlines (接诉即办): hours after listing at which an order with units not accepted is
    /// escalated to a level, indexed by [`Level::index`]; only `street`, `district` and `city`
    /// may be set (all `None`: no deadlines, the default).
    pub escalate_after_hours: [Option<i64>; 5],
    /// Hours during which an offer that expired is not made again to the resource that let it
    /// lapse (default 24; 0: it may be made again at once).
    pub lapse_hours: i64,
    /// How much a forecast of demand still to come counts in live dispatch, in percent
    /// (`None`: 100 when the ledger has a forecast; 0: the forecast has no effect).
    pub forecast_weight: Option<i64>,
}

/// One value per resource kind, indexed by [`Kind`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerKind<T>(pub [T; 5]);

impl<T> Index<Kind> for PerKind<T> {
    type Output = T;
    fn index(&self, k: Kind) -> &T {
        &self.0[k.index()]
    }
}

impl<T> IndexMut<Kind> for PerKind<T> {
    fn index_mut(&mut self, k: Kind) -> &mut T {
        &mut self.0[k.index()]
    }
}

/// A step of load: each unit after the first `after` units of one resource costs `penalty`
/// (until a later step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadStep {
    /// Units given before the step starts.
    pub after: i64,
    /// Penalty of each unit from the step on.
    pub penalty: i64,
}

/// A bonus for each of a resource's first `units` units (双报到: every reported member drawn in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engagement {
    /// How many units earn the bonus.
    pub units: i64,
    /// The bonus of each.
    pub bonus: i64,
}

/// A bonus for each unit served in a community, up to `share_pct` % of the community's
/// demand (rounded down): no community left cold (冷热不均).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommunityFloor {
    /// The share of each community's demand that earns the bonus, 0–100.
    pub share_pct: i64,
    /// The bonus of each unit below the floor.
    pub bonus: i64,
}

impl CommunityFloor {
    /// The floor of a community whose needs ask for `demand` units: `⌊demand × share_pct / 100⌋`.
    pub fn units(&self, demand: i64) -> i64 {
        demand * self.share_pct / 100
    }
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            priority_value: 100,
            vulnerable_bonus: 2,
            locality_penalty: [30, 15, 5, 0, 0],
            cost_weight: 1,
            offer_deadline_hours: 24,
            reoffer_penalty: 50,
            load_steps: None,
            engagement: None,
            community_floor: None,
            escalate_after_hours: [None; 5],
            lapse_hours: DEFAULT_LAPSE_HOURS,
            forecast_weight: None,
        }
    }
}

/// The default of [`Policy::lapse_hours`].
pub const DEFAULT_LAPSE_HOURS: i64 = 24;

impl Policy {
    /// The policy's single numbers with their field names and upper limits (each at least 0):
    /// the one list that every reader of a policy checks.
    pub(crate) fn limited_numbers(&self) -> [(&'static str, i64, i64); 6] {
        use crate::model::limits;
        [
            (
                "priority_value",
                self.priority_value,
                limits::MAX_PRIORITY_VALUE,
            ),
            (
                "vulnerable_bonus",
                self.vulnerable_bonus,
                limits::MAX_VULNERABLE_BONUS,
            ),
            ("cost_weight", self.cost_weight, limits::MAX_COST_WEIGHT),
            (
                "offer_deadline_hours",
                self.offer_deadline_hours,
                limits::MAX_DEADLINE_HOURS,
            ),
            ("reoffer_penalty", self.reoffer_penalty, limits::MAX_PENALTY),
            ("lapse_hours", self.lapse_hours, limits::MAX_DEADLINE_HOURS),
        ]
    }

    /// Value of one unit: see the type's documentation. Exact for every validated input
    /// (see [`crate::model::limits`]); the result may be zero or negative, in which case the pair may not serve.
    pub fn unit_value(&self, priority: u8, vulnerable: bool, tier: Level, unit_cost: i64) -> i64 {
        self.weight(priority, vulnerable) - self.penalty(tier) - self.cost_weight * unit_cost
    }

    /// How much one unit of a need weighs before locality and cost:
    /// `priority_value × (priority + vulnerable_bonus × [vulnerable])`.
    pub fn weight(&self, priority: u8, vulnerable: bool) -> i64 {
        let steps = i64::from(priority) + if vulnerable { self.vulnerable_bonus } else { 0 };
        self.priority_value * steps
    }

    /// Penalty for serving at `tier`.
    pub fn penalty(&self, tier: Level) -> i64 {
        self.locality_penalty[tier.index()]
    }

    /// The engagement bonus earned and the load penalty paid by a resource of `kind` that gives
    /// `load` units: `(bonus × min(load, units), Σ over its units of their step's penalty)`.
    pub fn load_terms(&self, kind: Kind, load: i64) -> (i64, i64) {
        let engagement = self
            .engagement
            .as_ref()
            .and_then(|e| e[kind])
            .map_or(0, |e| e.bonus * load.min(e.units).max(0));
        // The u-th unit pays the sum of the rises of the steps it is past.
        let steps: &[LoadStep] = self.load_steps.as_ref().map_or(&[], |s| &s[kind]);
        let mut previous = 0;
        let mut penalty = 0;
        for s in steps {
            penalty += (s.penalty - previous) * (load - s.after).max(0);
            previous = s.penalty;
        }
        (engagement, penalty)
    }

    /// Whether any fairness term is set (the plan then carries its `terms`).
    pub fn has_terms(&self) -> bool {
        self.load_steps.is_some() || self.engagement.is_some() || self.community_floor.is_some()
    }

    /// How the marginal value of a resource of `kind` changes with its load, up to `capacity`
    /// units: runs `(units, delta)`, the `u`-th unit earning `delta` on top of its pair's value
    /// (the engagement bonus of the first units, minus the load step it lies in). Deltas never
    /// rise from one run to the next, and runs of equal delta are merged. Without terms for
    /// `kind`: one run `(capacity, 0)` (none for a capacity of 0).
    ///
    /// ```
    /// use duijie::model::{Kind, Policy};
    /// use duijie::model::policy::{Engagement, LoadStep, PerKind};
    /// let mut p = Policy::default();
    /// let mut steps = PerKind::default();
    /// steps[Kind::Member] = vec![LoadStep { after: 2, penalty: 20 }, LoadStep { after: 4, penalty: 60 }];
    /// p.load_steps = Some(steps);
    /// let mut bonus = PerKind::default();
    /// bonus[Kind::Member] = Some(Engagement { units: 1, bonus: 30 });
    /// p.engagement = Some(bonus);
    /// assert_eq!(p.marginals(Kind::Member, 6), [(1, 30), (1, 0), (2, -20), (2, -60)]);
    /// assert_eq!(p.marginals(Kind::Unit, 6), [(6, 0)]);
    /// ```
    pub fn marginals(&self, kind: Kind, capacity: i64) -> Vec<(i64, i64)> {
        // Breakpoints: where a step starts or the engagement ends, inside (0, capacity).
        let steps: &[LoadStep] = self.load_steps.as_ref().map_or(&[], |s| &s[kind]);
        let engagement = self.engagement.as_ref().and_then(|e| e[kind]);
        let mut cuts: Vec<i64> = steps.iter().map(|s| s.after).collect();
        if let Some(e) = engagement {
            cuts.push(e.units);
        }
        cuts.push(capacity);
        cuts.retain(|&c| c > 0 && c <= capacity);
        cuts.sort_unstable();
        cuts.dedup();
        let mut runs: Vec<(i64, i64)> = Vec::new();
        let mut from = 0;
        for to in cuts {
            // Every unit u in (from, to] has the same delta; read it at u = to.
            let penalty = steps
                .iter()
                .rev()
                .find(|s| s.after < to)
                .map_or(0, |s| s.penalty);
            let bonus = engagement.filter(|e| to <= e.units).map_or(0, |e| e.bonus);
            let delta = bonus - penalty;
            match runs.last_mut() {
                Some(last) if last.1 == delta => last.0 += to - from,
                _ => runs.push((to - from, delta)),
            }
            from = to;
        }
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runs of marginal values add up to the terms, at every load.
    #[test]
    fn marginals_add_up_to_the_terms() {
        let mut p = Policy::default();
        let mut steps = PerKind::default();
        steps[Kind::Member] = vec![
            LoadStep {
                after: 0,
                penalty: 5,
            },
            LoadStep {
                after: 3,
                penalty: 5,
            },
            LoadStep {
                after: 4,
                penalty: 40,
            },
        ];
        steps[Kind::Staff] = vec![LoadStep {
            after: 2,
            penalty: 7,
        }];
        p.load_steps = Some(steps);
        let mut bonus = PerKind::default();
        bonus[Kind::Member] = Some(Engagement {
            units: 5,
            bonus: 30,
        });
        bonus[Kind::Unit] = Some(Engagement { units: 2, bonus: 9 });
        p.engagement = Some(bonus);
        for kind in Kind::ALL {
            for capacity in 0..9 {
                let runs = p.marginals(kind, capacity);
                assert_eq!(runs.iter().map(|r| r.0).sum::<i64>(), capacity);
                assert!(runs.windows(2).all(|w| w[1].1 < w[0].1), "{runs:?}");
                let mut worth = 0;
                let mut load = 0;
                for &(units, delta) in &runs {
                    for _ in 0..units {
                        worth += delta;
                        load += 1;
                        let (e, l) = p.load_terms(kind, load);
                        assert_eq!(worth, e - l, "{kind:?} load {load}");
                    }
                }
            }
        }
    }
}
