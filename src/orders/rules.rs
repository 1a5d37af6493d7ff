//! The ledger's own rules beside the instance's policy: points (积分) for service, and how
//! long finished business is remembered (idempotency keys, the rating window).

use crate::model::resource::Kind;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// Points (积分) per done unit, by resource kind, and the bonus per unit of an order rated 4
/// or 5. Points are counted when a unit is done or an order rated, under the rules then in
/// force (`set_points` changes them from then on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Points {
    /// Points per done unit, indexed like [`Kind::ALL`].
    pub per_unit: [i64; 5],
    /// Extra points per done unit of an order rated 4 or more.
    pub good_rating_bonus: i64,
}

impl Points {
    /// The largest number of points per unit (keeps every total far inside `i64`).
    pub const MAX: i64 = 1_000_000;

    /// The points of one done unit of a resource of `kind`.
    pub fn per_unit(&self, kind: Kind) -> i64 {
        Kind::ALL
            .iter()
            .position(|k| *k == kind)
            .map_or(0, |k| self.per_unit[k])
    }
}

impl Default for Points {
    fn default() -> Points {
        Points {
            per_unit: [10, 5, 2, 5, 5],
            good_rating_bonus: 5,
        }
    }
}

/// The rules as JSON: `{"per_unit": {"member": 10, …}, "good_rating_bonus": 5}`.
impl Serialize for Points {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct PerUnit<'a>(&'a [i64; 5]);
        impl Serialize for PerUnit<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(5))?;
                for (k, v) in Kind::ALL.iter().zip(self.0) {
                    m.serialize_entry(k.as_str(), v)?;
                }
                m.end()
            }
        }
        let mut p = s.serialize_struct("Points", 2)?;
        p.serialize_field("per_unit", &PerUnit(&self.per_unit))?;
        p.serialize_field("good_rating_bonus", &self.good_rating_bonus)?;
        p.end()
    }
}

/// How a ledger keeps score and how long it remembers: the points rules, how long an
/// idempotency key is remembered, and how long a completed order waits for its rating before
/// it leaves the working set. Part of a ledger's fingerprint: a log or snapshot written under
/// other rules is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rules {
    /// Points for service (changed later by `set_points`, recorded in the log).
    pub points: Points,
    /// Hours an accepted command's key is remembered (default 168, a week).
    pub key_hours: i64,
    /// Hours a completed order waits for its rating (default 720, thirty days); a `tick`
    /// after that moves it out of the working set.
    pub rating_hours: i64,
    /// The ledger's start time (`YYYY-MM-DDTHH:MM:SS`): offers made when the ledger starts
    /// count from it, and no command may come earlier. `None` (the default): the first
    /// command's `at`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Demand still to come, weighed by dispatch (`policy.forecast_weight`); `None`: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forecast: Option<super::Forecast>,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            points: Points::default(),
            key_hours: 168,
            rating_hours: 720,
            start: None,
            forecast: None,
        }
    }
}
