//! Forecast-aware dispatch: demand still to come, as extra left nodes of the live network.
//!
//! A [`Forecast`] lists needs expected to arrive evenly between `from` and `until`. Needs
//! alike (same area, category, priority, vulnerability, skills, window and cost limit) form
//! one group; each group is a left node of the live network with an arc to every resource
//! that may serve it and stays in its window for the group's whole horizon, valued by the
//! same formula as an order's pair. Its supply is the demand still to come: of the group's
//! units × `policy.forecast_weight` / 100, expected evenly over the horizon (or until the
//! group's window ends, if that comes first), those whose arrival is still ahead, each
//! group's arrivals staggered by its own phase and late in their slots (`staggered`; 0 once
//! the group's window has ended), valued at the pair's value less 1, with no re-offer bonus,
//! brought up to date at every `tick` and every `set_policy`. So the live flow is an exact
//! optimum of one stated problem, the open orders plus the forecast demand, with the same proof
//! ([`crate::solve::LiveFlow::verify`]); a forecast node receives no offers (its flow is a
//! reservation), and an order is offered a unit only when it is worth more there than the
//! forecast says that unit will be worth later. With no forecast, or a weight of 0, no
//! forecast node exists and dispatch is exactly as without.

use super::error::Rejection;
use super::raw::{Raw, Walk};
use super::roster::Wanted;
use super::Ledger;
use crate::contract::NeedData;
use crate::format::json;
use crate::model::area::Level;
use crate::model::time::DateTime;
use crate::solve::MAX_SUPPLY;
use crate::validate::{self, Code, Diagnostics, Problem, Problems};
use serde::Serialize;
use std::collections::BTreeMap;

/// Demand still to come: needs expected to arrive evenly between `from` and `until`
/// (`YYYY-MM-DDTHH:MM:SS`). Their ids are not used and may repeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forecast {
    /// When the horizon starts.
    pub from: String,
    /// When it ends (after `from`).
    pub until: String,
    /// The needs expected over the horizon, as need objects of the instance.
    pub needs: Vec<NeedData>,
}

impl Forecast {
    /// Reads the file form `{"from": T0, "until": T1, "needs": [need objects]}`.
    ///
    /// # Errors
    /// [`Rejection::Malformed`] for the envelope (not JSON, fields missing, unknown or of the
    /// wrong type, `until` not after `from`), [`Rejection::InvalidNeed`] for a need that is
    /// not a need object; each problem with its path.
    pub fn from_json_str(text: &str) -> Result<Forecast, Rejection> {
        let raw = Raw::parse(text).map_err(|e| {
            let mut p = Problem::new(Code::Syntax, "", format!("not JSON: {e}"));
            (p.line, p.column) = (Some(e.line()), Some(e.column()));
            Rejection::Malformed(Problems(vec![p]))
        })?;
        let mut w = Walk::default();
        let fields = w.fields(&raw, "", ["from", "until", "needs"]);
        let (mut from, mut until, mut list) = (None, None, Vec::new());
        if let Some([f, u, n]) = fields {
            from = f.and_then(|f| w.string(f, "from".into(), None));
            until = u.and_then(|u| w.string(u, "until".into(), None));
            match n {
                Some(Raw::Arr(items)) => list = items.iter().map(Raw::to_text).collect(),
                Some(other) => {
                    let msg = format!("expected an array, found {}", other.type_name());
                    w.d.problems
                        .push(Problem::new(Code::WrongType, "needs", msg));
                }
                None => {}
            }
        }
        let mut problems = std::mem::take(&mut w.d.problems);
        for (name, v) in [("from", &from), ("until", &until)] {
            match v {
                None => problems.push(Problem::new(
                    Code::MissingField,
                    name,
                    format!("`{name}` is required"),
                )),
                Some(t) if DateTime::parse(t).is_none() => problems.push(Problem::new(
                    Code::BadTime,
                    name,
                    format!("{t:?} is not a time"),
                )),
                Some(_) => {}
            }
        }
        if let (Some(f), Some(u)) = (&from, &until) {
            if let (Some(a), Some(b)) = (DateTime::parse(f), DateTime::parse(u)) {
                if b <= a {
                    let msg = format!("the horizon ends ({u}) before it starts ({f})");
                    problems.push(Problem::new(Code::WindowOrder, "until", msg));
                }
            }
        }
        if !problems.is_empty() {
            return Err(Rejection::Malformed(Problems(problems)));
        }
        let mut needs = Vec::with_capacity(list.len());
        for text in list {
            let (need, _) = json::read_need_text(&text, "needs")
                .map_err(|p| Rejection::InvalidNeed(Problems(vec![p])))?;
            needs.push(need);
        }
        Ok(Forecast {
            from: from.unwrap_or_default(),
            until: until.unwrap_or_default(),
            needs,
        })
    }

    /// A forecast from the ledger's own history: the needs posted, by an event log (`log`, as
    /// [`super::Ledger::replay`] reads it), in the period as long as the horizon just before
    /// `from`, expected again over `from`–`until`, their windows moved forward by the
    /// horizon's length.
    ///
    /// # Errors
    /// [`Rejection::Time`] for `from` or `until` not a time (or `until` not after `from`),
    /// [`Rejection::Malformed`] for a line that is not an event, [`Rejection::InvalidNeed`]
    /// for a posted need that cannot be read.
    pub fn from_log(log: &str, from: &str, until: &str) -> Result<Forecast, Rejection> {
        let time = |s: &str| {
            DateTime::parse(s).ok_or_else(|| Rejection::Time {
                at: s.to_owned(),
                fault: super::error::TimeFault::NotATime,
            })
        };
        let (start, end) = (time(from)?, time(until)?);
        let length = end.seconds() - start.seconds();
        if length <= 0 {
            return Err(Rejection::Time {
                at: until.to_owned(),
                fault: super::error::TimeFault::Backwards,
            });
        }
        let since = start.plus_seconds(-length);
        let shift = |s: &str| {
            DateTime::parse(s).map_or_else(|| s.to_owned(), |t| t.plus_seconds(length).to_string())
        };
        let mut needs = Vec::new();
        for (k, line) in log.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let malformed = |msg: String| {
                let p = Problem::new(Code::Syntax, format!("line {}", k + 1), msg);
                Rejection::Malformed(Problems(vec![p]))
            };
            let event: serde_json::Value =
                serde_json::from_str(line).map_err(|e| malformed(format!("not JSON: {e}")))?;
            let command = &event["command"];
            if command["cmd"] != "post" {
                continue;
            }
            let at = command["at"].as_str().and_then(DateTime::parse);
            let Some(at) = at else {
                return Err(malformed("a post without a time".into()));
            };
            if at < since || at >= start {
                continue;
            }
            let (mut need, _) = json::read_need_text(&command["need"].to_string(), "need")
                .map_err(|p| Rejection::InvalidNeed(Problems(vec![p])))?;
            if let Some(w) = need.window.as_mut() {
                (w.start, w.end) = (shift(&w.start), shift(&w.end));
            }
            needs.push(need);
        }
        Ok(Forecast {
            from: from.to_owned(),
            until: until.to_owned(),
            needs,
        })
    }

    /// The forecast as the file form reads it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// One group of forecast needs alike: a left node of the live network while the forecast
/// counts.
#[derive(Debug, Clone)]
pub(super) struct Group {
    /// The needs' terms (one of them, with the group's total quantity).
    pub(super) need: NeedData,
    pub(super) wanted: Wanted,
    /// When the group's window ends (no demand after).
    pub(super) end: Option<DateTime>,
    /// When its demand stops arriving: its window's end, if that comes within the forecast's
    /// horizon, else the horizon's end.
    pub(super) until: DateTime,
    /// Its left node.
    pub(super) node: Option<u32>,
}

/// A forecast checked against the instance: its horizon and groups.
#[derive(Debug, Clone)]
pub(super) struct Outlook {
    pub(super) from: DateTime,
    pub(super) groups: Vec<Group>,
}

/// Group `g`'s phase in units of 2⁻³³ (odd, so strictly between 0 and 1): the golden-ratio
/// sequence, so that the phases of any run of groups spread evenly.
fn phase(g: usize) -> i128 {
    let u = (g as u64)
        .wrapping_add(1)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        >> 32;
    i128::from(u) * 2 + 1
}

/// The units still to come after `elapsed` of `length` seconds, of a group expected to bring
/// `Q` = `hundredths` / 100 units over the horizon, with phase `v` = `phase` / 2³³:
/// - it brings `K` units, the number of `k ≥ 0` with `k + v < Q` (`Q` rounded by the phase:
///   `Q` on average over the phases, and exactly `Q` when it is whole);
/// - its `k`-th unit comes late in the `k`-th of `K` equal slots of the horizon, at the
///   fraction `(k + u) / K` with `u = (1 + v) / 2`: a unit held back only delays an order
///   that can still be served later, while a unit given away is gone for good, so the
///   forecast errs on the side of holding.
///
/// Groups with different phases do not all drop a unit at the same moment.
fn staggered(hundredths: i128, phase: i128, elapsed: i128, length: i128) -> i128 {
    const ONE: i128 = 1 << 33;
    // K = #{k ≥ 0 : k·100·ONE + phase·100 < hundredths·ONE}.
    let hi = hundredths * ONE - phase * 100;
    let units = if hi <= 0 {
        0
    } else {
        (hi - 1) / (100 * ONE) + 1
    };
    // Unit k has come once (k + u)·length ≤ elapsed·K, in units of 1 / (2·ONE):
    // k·2·ONE·length + (ONE + phase)·length ≤ elapsed·K·2·ONE.
    // Saturating: a group of more units than any forecast file can list would only lose its
    // units early, never wrap.
    let lo = elapsed
        .saturating_mul(units)
        .saturating_mul(2 * ONE)
        .saturating_sub((ONE + phase) * length);
    let come = if lo < 0 {
        0
    } else {
        (lo / (2 * ONE * length) + 1).min(units)
    };
    units - come
}

impl Ledger {
    /// Checks `forecast` against the ledger's areas and groups its needs (in the order their
    /// terms sort, so the same forecast always gives the same groups).
    pub(super) fn outlook(&mut self, forecast: &Forecast) -> Result<Outlook, Rejection> {
        let time = |s: &str| {
            DateTime::parse(s).ok_or_else(|| Rejection::Time {
                at: s.to_owned(),
                fault: super::error::TimeFault::NotATime,
            })
        };
        let (from, until) = (time(&forecast.from)?, time(&forecast.until)?);
        let areas = self.instance.areas();
        let mut alike: BTreeMap<String, NeedData> = BTreeMap::new();
        for need in &forecast.needs {
            let need = validate::need(need.clone(), "need", Diagnostics::default(), areas)
                .map_err(Rejection::InvalidNeed)?;
            let mut key = need.clone();
            (key.id, key.quantity, key.requester, key.title) = (String::new(), 0, None, None);
            key.skills.sort_unstable();
            let key = serde_json::to_string(&key).unwrap_or_default();
            match alike.get_mut(&key) {
                Some(n) => n.quantity += need.quantity,
                None => {
                    alike.insert(key, need);
                }
            }
        }
        let mut groups = Vec::with_capacity(alike.len());
        for (_, need) in alike {
            let wanted = self.roster.wanted(&need, self.instance.areas());
            let end = need.window.as_ref().and_then(|w| DateTime::parse(&w.end));
            // A need is posted before its window ends: a group with a window arrives evenly
            // until then (or until the horizon ends, if sooner).
            let last = match end {
                Some(end) if end > from && end < until => end,
                _ => until,
            };
            groups.push(Group {
                need,
                wanted,
                end,
                until: last,
                node: None,
            });
        }
        Ok(Outlook { from, groups })
    }

    /// The forecast weight in force, in percent (0 without a forecast).
    pub(super) fn forecast_weight(&self) -> i64 {
        match &self.outlook {
            Some(_) => self.policy.forecast_weight.unwrap_or(100),
            None => 0,
        }
    }

    /// Group `g`'s demand still to come at `at`.
    fn still_to_come(&self, g: usize, at: DateTime) -> i64 {
        let Some(o) = &self.outlook else {
            return 0;
        };
        let group = &o.groups[g];
        if group.end.is_some_and(|end| end < at) {
            return 0;
        }
        let until = group.until;
        let length = i128::from(until.seconds() - o.from.seconds()).max(1);
        let elapsed =
            i128::from(at.seconds().max(o.from.seconds()) - o.from.seconds()).clamp(0, length);
        let units = staggered(
            i128::from(group.need.quantity) * i128::from(self.forecast_weight()),
            phase(g),
            elapsed,
            length,
        );
        // Live dispatch keeps flows in 32 bits: no forecast counts beyond that.
        i64::try_from(units.clamp(0, i128::from(MAX_SUPPLY))).unwrap_or(0)
    }

    /// Brings the forecast nodes up to date at `at` (supplies; nodes created the first time
    /// the forecast counts). Returns the nodes created, to record after the repair, and
    /// whether anything changed.
    pub(super) fn forecast_supplies(&mut self, at: DateTime) -> (Vec<(usize, u32)>, bool) {
        let Some(n) = self.outlook.as_ref().map(|o| o.groups.len()) else {
            return (Vec::new(), false);
        };
        let weight = self.forecast_weight();
        let mut created = Vec::new();
        let mut changed = false;
        for g in 0..n {
            let supply = self.still_to_come(g, at);
            let node = self.outlook.as_ref().and_then(|o| o.groups[g].node);
            match node {
                Some(node) if self.live.supply(node) != supply => {
                    self.live.set_supply(node, supply);
                    changed = true;
                }
                Some(_) => {}
                None if weight > 0 => {
                    let pairs = match &self.outlook {
                        Some(o) => self.forecast_pairs(&o.groups[g].wanted, o.groups[g].until),
                        None => Vec::new(),
                    };
                    let node = self.live.add_left(supply, pairs.iter().map(|p| (p.0, p.2)));
                    let tiers: Vec<(u32, Level)> = pairs
                        .iter()
                        .filter_map(|p| self.live.find(node, p.0).map(|a| (a, p.1)))
                        .collect();
                    self.forecast_tiers.extend(tiers);
                    created.push((g, node));
                    changed = true;
                }
                None => {}
            }
        }
        (created, changed)
    }

    /// Records forecast nodes created by [`Ledger::forecast_supplies`] once the repair
    /// succeeded.
    pub(super) fn record_forecast(&mut self, created: Vec<(usize, u32)>) {
        let tiers = std::mem::take(&mut self.forecast_tiers);
        self.record_tiers(&tiers);
        for (g, node) in created {
            if self.order_of.len() <= node as usize {
                self.order_of
                    .resize(node as usize + 1, super::dispatch::NO_ORDER);
            }
            if let Some(o) = self.outlook.as_mut() {
                o.groups[g].node = Some(node);
            }
            if self.forecast_left.len() <= node as usize {
                self.forecast_left.resize(node as usize + 1, false);
            }
            self.forecast_left[node as usize] = true;
        }
    }

    /// Brings the arcs of the forecast nodes to resource `j` up to date with the roster and
    /// the policy (after `join`, `update` or `set_policy`); returns the tiers of new or
    /// re-valued arcs.
    pub(super) fn forecast_arcs(&mut self, j: u32) -> Vec<(u32, Level)> {
        let mut tiers = Vec::new();
        let Some(o) = &self.outlook else {
            return tiers;
        };
        let groups: Vec<(u32, Wanted, DateTime)> = o
            .groups
            .iter()
            .filter_map(|g| Some((g.node?, g.wanted.clone(), g.until)))
            .collect();
        let areas = self.instance.areas();
        for (node, wanted, until) in groups {
            let pair = self
                .roster
                .assess(j, &wanted, areas, &self.policy)
                .filter(|_| self.lasts(j, until))
                .and_then(|(tier, value)| Some((tier, self.forecast_value(value)?)));
            match (self.live.find(node, j), pair) {
                (Some(a), None) => self.live.remove_arc(a),
                (Some(a), Some((tier, value))) => {
                    if self.live.arc(a).value != value {
                        self.live.set_value(a, value);
                    }
                    tiers.push((a, tier));
                }
                (None, Some((tier, value))) => {
                    tiers.push((self.live.add_arc(node, j, value), tier));
                }
                (None, None) => {}
            }
        }
        tiers
    }

    /// What one unit of forecast demand is worth on a pair of value `value`: the pair's value
    /// less 1, so that a reservation (which, unlike an offer, keeps no re-offer bonus) never
    /// holds a unit against an order, there now, of the same value; `None` when nothing is
    /// left.
    pub(super) fn forecast_value(&self, value: i64) -> Option<i64> {
        let v = value - 1;
        (v > 0).then_some(v)
    }

    /// Whether left node `node` is a forecast node.
    pub(super) fn is_forecast(&self, node: u32) -> bool {
        self.forecast_left
            .get(node as usize)
            .copied()
            .unwrap_or(false)
    }

    /// The pairs of a forecast group: (resource slot, tier, forecast value), slots ascending.
    pub(super) fn forecast_pairs(
        &self,
        wanted: &Wanted,
        until: DateTime,
    ) -> Vec<(u32, Level, i64)> {
        self.roster
            .pairs(wanted, self.instance.areas(), &self.policy)
            .into_iter()
            .filter(|p| self.lasts(p.0, until))
            .filter_map(|(j, tier, value)| Some((j, tier, self.forecast_value(value)?)))
            .collect()
    }

    /// Whether resource `j` stays in its window until `until`, when a forecast group's demand
    /// stops arriving: only then does demand still to come hold its units. Capacity whose
    /// window ends sooner goes to the orders there now.
    fn lasts(&self, j: u32, until: DateTime) -> bool {
        self.roster.window_end(j).map_or(true, |end| end >= until)
    }

    /// Brings every forecast node's arcs up to date with the roster and the policy (after
    /// `set_policy`); returns the tiers of new or re-valued arcs.
    pub(super) fn forecast_resync(&mut self) -> Vec<(u32, Level)> {
        let mut tiers = Vec::new();
        let Some(o) = &self.outlook else {
            return tiers;
        };
        let groups: Vec<(u32, Wanted, DateTime)> = o
            .groups
            .iter()
            .filter_map(|g| Some((g.node?, g.wanted.clone(), g.until)))
            .collect();
        for (node, wanted, until) in groups {
            let new = self.forecast_pairs(&wanted, until);
            let old: Vec<u32> = self.live.arcs_of(node).to_vec();
            for a in old {
                let j = self.live.arc(a).right;
                match new.binary_search_by_key(&j, |p| p.0) {
                    Err(_) => self.live.remove_arc(a),
                    Ok(x) => {
                        if new[x].2 != self.live.arc(a).value {
                            self.live.set_value(a, new[x].2);
                        }
                        tiers.push((a, new[x].1));
                    }
                }
            }
            for &(j, tier, value) in &new {
                if self.live.find(node, j).is_none() {
                    tiers.push((self.live.add_arc(node, j, value), tier));
                }
            }
        }
        tiers
    }

    /// The value the forecast nodes' reservations carry in the live flow (bonus included),
    /// for [`Ledger::check_open_allocation`].
    pub(super) fn reserved_value(&self) -> i64 {
        let Some(o) = &self.outlook else {
            return 0;
        };
        let bonus = self.live.bonus();
        o.groups
            .iter()
            .filter_map(|g| g.node)
            .flat_map(|n| self.live.arcs_of(n).iter())
            .map(|&a| {
                let arc = self.live.arc(a);
                arc.value * arc.flow() + bonus * arc.flow().min(arc.units())
            })
            .sum()
    }

    /// Units the forecast reserves now (the flow into the forecast nodes).
    pub fn reserved(&self) -> i64 {
        let Some(o) = &self.outlook else {
            return 0;
        };
        o.groups
            .iter()
            .filter_map(|g| g.node)
            .flat_map(|n| self.live.arcs_of(n).iter())
            .map(|&a| self.live.arc(a).flow())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::{phase, staggered};

    const HOUR: i128 = 3600;

    #[test]
    fn a_unit_counts_until_its_arrival() {
        // One unit at phase ½ comes three quarters of the way (late in its slot): it counts
        // before, not from then on.
        let half = 1i128 << 32;
        assert_eq!(staggered(100, half, 0, 8 * HOUR), 1);
        assert_eq!(staggered(100, half, 6 * HOUR - 1, 8 * HOUR), 1);
        assert_eq!(staggered(100, half, 6 * HOUR, 8 * HOUR), 0);
        // Weight 0 expects nothing; a weight of 50 % over 4 units expects 2, one per half.
        assert_eq!(staggered(0, half, 0, 8 * HOUR), 0);
        assert_eq!(staggered(4 * 50, half, 0, 8 * HOUR), 2);
        assert_eq!(staggered(4 * 50, half, 3 * HOUR, 8 * HOUR), 1);
        assert_eq!(staggered(4 * 50, half, 7 * HOUR, 8 * HOUR), 0);
    }

    #[test]
    fn staggered_groups_keep_their_units_and_err_on_holding() {
        let length = 720 * HOUR;
        for quantity in [1, 2, 3, 7] {
            for tenth in 0..=10 {
                let elapsed = length * tenth / 10;
                let total: i128 = (0..1000)
                    .map(|g| staggered(quantity * 100, phase(g), elapsed, length))
                    .sum();
                // 1,000 groups of `quantity` units, (10 − tenth)/10 of them expected still to
                // come; each group holds at most one unit more than its share.
                let expected = 1000 * quantity * (10 - tenth) / 10;
                let most = if tenth == 10 { 0 } else { expected + 1000 };
                assert!(
                    (expected..=most).contains(&total),
                    "{quantity} {tenth}: {total}"
                );
            }
        }
        // A fractional share: 1,000 groups expecting half a unit each bring 500 in all.
        let total: i128 = (0..1000).map(|g| staggered(50, phase(g), 0, length)).sum();
        assert!((total - 500).abs() <= 2, "{total}");
    }

    #[test]
    fn a_group_only_loses_units_as_time_passes() {
        for g in 0..50 {
            let mut last = i128::MAX;
            for hour in 0..=100 {
                let now = staggered(3 * 70, phase(g), hour * HOUR, 100 * HOUR);
                assert!(now <= last && now <= 3, "{g} {hour}");
                last = now;
            }
            assert_eq!(last, 0);
        }
    }
}
