//! The value model: how much one unit of service is worth (priority, vulnerability, locality,
//! cost). [`Policy::unit_value`] is the one place the library computes a pair's value; the
//! independent checker ([`crate::plan::check()`]) keeps its own copy on purpose.

use crate::model::area::Level;

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
        }
    }
}

impl Policy {
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
}
