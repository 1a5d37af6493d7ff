//! The numeric problem every solver sees, and the certificate of its optimum.
//!
//! A [`Network`] is a bipartite transportation problem: left nodes (needs) with a supply, right
//! nodes (resources) with a capacity, arcs with an integer value per unit. Two optional parts
//! keep it a min-cost flow while the value of a unit may depend on totals:
//! - **runs** on a right node: its units, taken in order, earn a `delta` on top of their arc's
//!   value, run by run (deltas never rise: a concave bonus or penalty on its load);
//! - **floors** on groups of left nodes: the first `floor` units a group sends earn a `bonus`.
//!
//! [`verify`] checks a solution exactly, and with duals proves it optimal: it is the one place
//! the objective of a flow is computed ([`Network::objective_of`]).

use super::{Solution, SolveError};

/// No group.
pub(crate) const NO_GROUP: u32 = u32::MAX;

/// A bipartite transportation network in compressed form: the arcs of left node `i` are
/// `start[i] .. start[i + 1]`, each with a right node `head` and a `value` per unit.
///
/// A flow sends `x ≥ 0` units on each arc, at most `supply[i]` from left node `i` and at most
/// `capacity[j]` into right node `j`, and is worth `Σ value · x`, plus each right node's runs
/// over its load, plus each group's bonus on the units it sends up to its floor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    /// Units each left node may send.
    pub supply: Vec<i64>,
    /// Units each right node may receive.
    pub capacity: Vec<i64>,
    /// Arc offsets per left node, `supply.len() + 1` entries starting at 0.
    pub start: Vec<u32>,
    /// Right node of each arc.
    pub head: Vec<u32>,
    /// Value of one unit on each arc.
    pub value: Vec<i64>,
    /// Runs of the right nodes, `(units, delta)`: right node `j`'s are
    /// `runs[run_start[j] .. run_start[j + 1]]`, their units adding up to its capacity, their
    /// deltas never rising. Empty (with `run_start`): no runs.
    pub runs: Vec<(i64, i64)>,
    /// Run offsets per right node, `capacity.len() + 1` entries, or none.
    pub run_start: Vec<u32>,
    /// Each left node's group, or `u32::MAX` for none. Empty: no groups.
    pub group: Vec<u32>,
    /// Per group, `(floor, bonus)`: each of the first `floor` units its left nodes send earns
    /// `bonus`.
    pub floors: Vec<(i64, i64)>,
}

impl Network {
    /// Number of arcs.
    pub fn arcs(&self) -> usize {
        self.head.len()
    }

    /// The arcs of left node `i` as a range of arc indices.
    pub fn out(&self, i: usize) -> std::ops::Range<usize> {
        self.start[i] as usize..self.start[i + 1] as usize
    }

    /// Whether the network has runs or floors (more than the arcs' values).
    pub fn has_terms(&self) -> bool {
        !self.run_start.is_empty() || !self.floors.is_empty()
    }

    /// The runs of right node `j`: its own, or one run `(capacity, 0)` without runs.
    pub fn runs_of(&self, j: usize) -> Runs<'_> {
        match self.run_start.get(j..=j + 1) {
            Some(&[a, b]) => Runs::Listed(&self.runs[a as usize..b as usize]),
            _ => Runs::Plain(self.capacity[j]),
        }
    }

    /// Left node `i`'s group, if it has one.
    pub fn group_of(&self, i: usize) -> Option<usize> {
        self.group
            .get(i)
            .filter(|&&g| g != NO_GROUP)
            .map(|&g| g as usize)
    }

    /// The worth of a flow, in `i128`: `Σ value · x`, plus each right node's runs over its
    /// load (the first units earn the first run's delta, and so on), plus each group's
    /// `bonus × min(units sent, floor)`. The flow must have one entry per arc.
    pub fn objective_of(&self, flow: &[i64]) -> i128 {
        let mut load = vec![0i128; self.capacity.len()];
        let mut sent = vec![0i128; self.floors.len()];
        let mut total: i128 = 0;
        for i in 0..self.supply.len() {
            let mut out = 0i128;
            for a in self.out(i) {
                let x = i128::from(flow[a]);
                total += x * i128::from(self.value[a]);
                load[self.head[a] as usize] += x;
                out += x;
            }
            if let Some(g) = self.group_of(i) {
                sent[g] += out;
            }
        }
        for (j, &l) in load.iter().enumerate() {
            total += self.runs_of(j).worth(l);
        }
        for (&(floor, bonus), &s) in self.floors.iter().zip(&sent) {
            total += i128::from(bonus) * s.min(i128::from(floor));
        }
        total
    }

    /// [`Network::objective_of`] in `i64`, as a solution states it (a network that passed
    /// [`Network::check`] keeps every flow's worth in range; beyond it, saturated).
    pub(crate) fn objective(&self, flow: &[i64]) -> i64 {
        let w = self.objective_of(flow);
        i64::try_from(w).unwrap_or(if w < 0 { i64::MIN } else { i64::MAX })
    }

    /// Checks the shape and the numeric range: every total, potential and objective must fit
    /// comfortably in `i64` (a quarter of its range).
    ///
    /// # Errors
    /// [`SolveError::Shape`] or [`SolveError::NumericRange`].
    pub fn check(&self) -> Result<(), SolveError> {
        let (n, m, e) = (self.supply.len(), self.capacity.len(), self.head.len());
        if self.start.len() != n + 1
            || self.start.first() != Some(&0)
            || self.start.last().map(|&s| s as usize) != Some(e)
            || self.start.windows(2).any(|w| w[0] > w[1])
            || self.value.len() != e
            || self.head.iter().any(|&h| h as usize >= m)
            || n + m + self.floors.len() >= u32::MAX as usize / 2
        {
            return Err(SolveError::Shape);
        }
        self.check_terms()?;
        let bound = i128::from(i64::MAX / 4);
        let mut supply: i128 = 0;
        for &s in self.supply.iter().chain(&self.capacity) {
            if s < 0 {
                return Err(SolveError::NumericRange("a supply or capacity is negative"));
            }
        }
        for &s in &self.supply {
            supply += i128::from(s);
        }
        let largest = |v: &mut dyn Iterator<Item = i64>| v.map(|x| i128::from(x).abs()).max();
        // The most one unit can be worth or cost, all its parts together.
        let max_value = largest(&mut self.value.iter().copied()).unwrap_or(0)
            + largest(&mut self.runs.iter().map(|r| r.1)).unwrap_or(0)
            + largest(&mut self.floors.iter().map(|f| f.1)).unwrap_or(0);
        if supply > bound {
            return Err(SolveError::NumericRange("total supply is too large"));
        }
        if max_value * (supply + 1) > bound {
            return Err(SolveError::NumericRange(
                "value × total supply could overflow i64",
            ));
        }
        let nodes = n as i128 + m as i128 + self.floors.len() as i128 + 2;
        if max_value * nodes > bound {
            return Err(SolveError::NumericRange(
                "value × node count could overflow i64",
            ));
        }
        Ok(())
    }

    /// The shape of the runs and floors.
    fn check_terms(&self) -> Result<(), SolveError> {
        let m = self.capacity.len();
        if !self.run_start.is_empty() {
            let rs = &self.run_start;
            if rs.len() != m + 1
                || rs.first() != Some(&0)
                || rs.last().map(|&s| s as usize) != Some(self.runs.len())
                || rs.windows(2).any(|w| w[0] > w[1])
            {
                return Err(SolveError::Shape);
            }
            for j in 0..m {
                let runs = &self.runs[rs[j] as usize..rs[j + 1] as usize];
                let units: i128 = runs.iter().map(|r| i128::from(r.0)).sum();
                if runs.iter().any(|r| r.0 < 0)
                    || units != i128::from(self.capacity[j])
                    || runs.windows(2).any(|w| w[1].1 > w[0].1)
                {
                    return Err(SolveError::Shape);
                }
            }
        } else if !self.runs.is_empty() {
            return Err(SolveError::Shape);
        }
        if !self.group.is_empty() && self.group.len() != self.supply.len() {
            return Err(SolveError::Shape);
        }
        let groups = self.floors.len();
        if self
            .group
            .iter()
            .any(|&g| g != NO_GROUP && g as usize >= groups)
            || self.floors.iter().any(|&(f, b)| f < 0 || b < 0)
        {
            return Err(SolveError::Shape);
        }
        Ok(())
    }
}

/// A right node's runs (see [`Network::runs_of`]).
#[derive(Debug, Clone, Copy)]
pub enum Runs<'a> {
    /// Its own runs.
    Listed(&'a [(i64, i64)]),
    /// No runs: its capacity, each unit earning its arc's value alone.
    Plain(i64),
}

impl Runs<'_> {
    /// The runs as `(units, delta)`, in order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, i64)> + '_ {
        let plain = match *self {
            Runs::Plain(c) => Some((c, 0)),
            Runs::Listed(_) => None,
        };
        let listed = match self {
            Runs::Listed(r) => *r,
            Runs::Plain(_) => &[],
        };
        plain.into_iter().chain(listed.iter().copied())
    }

    /// What a load earns over the runs: the first units the first run's delta, and so on.
    pub fn worth(&self, load: i128) -> i128 {
        let mut left = load;
        let mut total = 0;
        for (units, delta) in self.iter() {
            let take = left.min(i128::from(units)).max(0);
            total += take * i128::from(delta);
            left -= take;
        }
        total
    }
}

/// Optimal dual prices: `left[i] ≥ 0` for each unit of left node `i`'s supply, `right[j]` for
/// right node `j` (the price of one more unit into it), `group[g] ≥ 0` for each unit group `g`
/// sends (none without groups). They are feasible when every arc has
/// `left[i] + right[j] − group[g(i)] ≥ value`, and prove a flow optimal when the dual objective
/// `Σ supply·left + Σ_runs units·max(0, delta + right[j]) + Σ_groups floor·max(0, bonus − group[g])`
/// equals its worth. Without runs and floors, `right[j] ≥ 0` is the price of one more unit of
/// capacity (a shadow price), and the dual objective is `Σ supply·left + Σ capacity·right`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duals {
    /// Price of one more unit of each left node's supply.
    pub left: Vec<i64>,
    /// Price of one more unit into each right node.
    pub right: Vec<i64>,
    /// Price of one more unit sent by each group (empty without groups).
    pub group: Vec<i64>,
}

/// Verifies a solution exactly: bounds, supplies, capacities and the objective (with runs and
/// floors); with duals, also dual feasibility and equal primal and dual objectives, which
/// proves optimality.
///
/// # Errors
/// [`SolveError::Unverified`] naming the first violation.
pub fn verify(net: &Network, sol: &Solution) -> Result<(), SolveError> {
    let fail = |s: String| Err(SolveError::Unverified(s));
    if sol.flow.len() != net.arcs() {
        return fail(format!("{} flows for {} arcs", sol.flow.len(), net.arcs()));
    }
    let mut inflow = vec![0i128; net.capacity.len()];
    for (i, &s) in net.supply.iter().enumerate() {
        let mut out: i128 = 0;
        for a in net.out(i) {
            let x = sol.flow[a];
            if x < 0 {
                return fail(format!("negative flow on arc {a}"));
            }
            out += i128::from(x);
            inflow[net.head[a] as usize] += i128::from(x);
        }
        if out > i128::from(s) {
            return fail(format!("left node {i} sends {out} > supply {s}"));
        }
    }
    for (j, (&got, &c)) in inflow.iter().zip(&net.capacity).enumerate() {
        if got > i128::from(c) {
            return fail(format!("right node {j} receives {got} > capacity {c}"));
        }
    }
    let objective = net.objective_of(&sol.flow);
    if objective != i128::from(sol.objective) {
        return fail(format!(
            "objective {} but flows give {objective}",
            sol.objective
        ));
    }
    let Some(d) = &sol.duals else { return Ok(()) };
    let groups = net.floors.len();
    if d.left.len() != net.supply.len()
        || d.right.len() != net.capacity.len()
        || d.group.len() != groups
    {
        return fail("duals have the wrong length".into());
    }
    if d.left.iter().chain(&d.group).any(|&p| p < 0)
        || (!net.has_terms() && d.right.iter().any(|&p| p < 0))
    {
        return fail("a dual price is negative".into());
    }
    for i in 0..net.supply.len() {
        let g = net.group_of(i).map_or(0, |g| i128::from(d.group[g]));
        for a in net.out(i) {
            let j = net.head[a] as usize;
            if i128::from(d.left[i]) + i128::from(d.right[j]) - g < i128::from(net.value[a]) {
                return fail(format!("dual infeasible on arc {a}"));
            }
        }
    }
    let mut dual: i128 = net
        .supply
        .iter()
        .zip(&d.left)
        .map(|(&s, &p)| i128::from(s) * i128::from(p))
        .sum();
    for (j, &w) in d.right.iter().enumerate() {
        for (units, delta) in net.runs_of(j).iter() {
            dual += i128::from(units) * (i128::from(delta) + i128::from(w)).max(0);
        }
    }
    for (&(floor, bonus), &r) in net.floors.iter().zip(&d.group) {
        dual += i128::from(floor) * (i128::from(bonus) - i128::from(r)).max(0);
    }
    if dual != objective {
        return fail(format!("dual objective {dual} ≠ primal {objective}"));
    }
    Ok(())
}
