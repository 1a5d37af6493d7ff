//! Solvers over a numeric network: no strings, no domain types.
//!
//! The [`Network`] is a bipartite transportation problem: left nodes (needs) with a supply,
//! right nodes (resources) with a capacity, and arcs with an integer value per unit. A
//! [`Solver`] finds integer flows `x ≥ 0` with `Σ_out x ≤ supply`, `Σ_in x ≤ capacity` that
//! maximise `Σ value · x`. Every answer is re-verified here in exact integers before it is
//! returned; with duals, the verification is a proof of optimality.

mod flow;
mod live;
mod lp;
mod reduce;

pub use flow::FlowSolver;
pub(crate) use live::{LeftPart, LiveFlow, RightPart};
pub use live::{LiveError, ProofError};
pub use lp::{LpBackend, LpSolver};

/// A bipartite transportation network in compressed form: the arcs of left node `i` are
/// `start[i] .. start[i + 1]`, each with a right node `head` and a `value` per unit.
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
            || n + m >= u32::MAX as usize / 2
        {
            return Err(SolveError::Shape);
        }
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
        let max_value = self
            .value
            .iter()
            .map(|v| i128::from(*v).abs())
            .max()
            .unwrap_or(0);
        if supply > bound {
            return Err(SolveError::NumericRange("total supply is too large"));
        }
        if max_value * (supply + 1) > bound {
            return Err(SolveError::NumericRange(
                "value × total supply could overflow i64",
            ));
        }
        if max_value * (n as i128 + m as i128 + 2) > bound {
            return Err(SolveError::NumericRange(
                "value × node count could overflow i64",
            ));
        }
        Ok(())
    }
}

/// Optimal dual prices: `left[i]` for each unit of supply, `right[j]` for each unit of
/// capacity, both ≥ 0, with `left[i] + right[j] ≥ value` on every arc and
/// `Σ supply·left + Σ capacity·right = objective`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duals {
    /// Price of one more unit of each left node's supply.
    pub left: Vec<i64>,
    /// Price of one more unit of each right node's capacity (a shadow price).
    pub right: Vec<i64>,
}

/// An optimal, verified solution; it exists only inside `Ok`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solution {
    /// Units on each arc.
    pub flow: Vec<i64>,
    /// `Σ value · flow`.
    pub objective: i64,
    /// Optimal duals, when the solver gives them.
    pub duals: Option<Duals>,
    /// How the solver got there.
    pub stats: Stats,
}

/// Work counters of one solve (zero for the LP backends).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Simplex pivots.
    pub pivots: u64,
    /// Pivots that moved no flow.
    pub degenerate: u64,
    /// The longest run of consecutive degenerate pivots.
    pub longest_degenerate_streak: u64,
}

/// Why a solver gave no solution. Outcomes, caller mistakes and internal faults stay apart.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SolveError {
    /// The network is malformed (offsets, heads or lengths disagree).
    #[error("malformed network")]
    Shape,
    /// Numbers whose totals could overflow exact arithmetic; rejected before solving.
    #[error("numbers out of range: {0}")]
    NumericRange(&'static str),
    /// The backend hit a limit before proving optimality.
    #[error("limit reached: {0}")]
    LimitReached(&'static str),
    /// The LP backend failed or reported a status other than optimal.
    #[error("LP backend failed: {0}")]
    Backend(String),
    /// The LP answer was not integral.
    #[error("LP answer is not integral on arc {arc}: {value}")]
    NonIntegral {
        /// The arc.
        arc: usize,
        /// Its value.
        value: f64,
    },
    /// A solver's answer failed exact verification: a bug, reported rather than returned.
    #[error("solver answer failed verification: {0}")]
    Unverified(String),
}

impl SolveError {
    /// A stable machine-readable code (`numeric_range`, `limit_reached`, …).
    pub fn code(&self) -> &'static str {
        match self {
            SolveError::Shape => "shape",
            SolveError::NumericRange(_) => "numeric_range",
            SolveError::LimitReached(_) => "limit_reached",
            SolveError::Backend(_) => "backend",
            SolveError::NonIntegral { .. } => "non_integral",
            SolveError::Unverified(_) => "unverified",
        }
    }
}

/// A solver of [`Network`]s.
pub trait Solver {
    /// A short name, as accepted by `--backend`.
    fn name(&self) -> &'static str;

    /// Finds an optimal integer flow.
    ///
    /// # Errors
    /// See [`SolveError`]; an `Ok` solution has passed [`verify`].
    fn solve(&self, net: &Network) -> Result<Solution, SolveError>;
}

/// Verifies a solution exactly: bounds, supplies, capacities and the objective; with duals,
/// also dual feasibility and equal primal and dual objectives, which proves optimality.
///
/// # Errors
/// [`SolveError::Unverified`] naming the first violation.
pub fn verify(net: &Network, sol: &Solution) -> Result<(), SolveError> {
    let fail = |s: String| Err(SolveError::Unverified(s));
    if sol.flow.len() != net.arcs() {
        return fail(format!("{} flows for {} arcs", sol.flow.len(), net.arcs()));
    }
    let mut inflow = vec![0i128; net.capacity.len()];
    let mut objective: i128 = 0;
    for (i, &s) in net.supply.iter().enumerate() {
        let mut out: i128 = 0;
        for a in net.out(i) {
            let x = sol.flow[a];
            if x < 0 {
                return fail(format!("negative flow on arc {a}"));
            }
            out += i128::from(x);
            inflow[net.head[a] as usize] += i128::from(x);
            objective += i128::from(x) * i128::from(net.value[a]);
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
    if objective != i128::from(sol.objective) {
        return fail(format!(
            "objective {} but flows give {objective}",
            sol.objective
        ));
    }
    let Some(d) = &sol.duals else { return Ok(()) };
    if d.left.len() != net.supply.len() || d.right.len() != net.capacity.len() {
        return fail("duals have the wrong length".into());
    }
    if d.left.iter().chain(&d.right).any(|&p| p < 0) {
        return fail("a dual price is negative".into());
    }
    for i in 0..net.supply.len() {
        for a in net.out(i) {
            let j = net.head[a] as usize;
            if i128::from(d.left[i]) + i128::from(d.right[j]) < i128::from(net.value[a]) {
                return fail(format!("dual infeasible on arc {a}"));
            }
        }
    }
    let dual: i128 = net
        .supply
        .iter()
        .zip(&d.left)
        .chain(net.capacity.iter().zip(&d.right))
        .map(|(&s, &p)| i128::from(s) * i128::from(p))
        .sum();
    if dual != objective {
        return fail(format!("dual objective {dual} ≠ primal {objective}"));
    }
    Ok(())
}

/// Prices the nodes that took no part in a solve so that every arc is dual feasible without
/// changing the dual objective. A resource that took no part either has no capacity (its price
/// is the largest value of its arcs, which costs nothing) or no arc from a need with supply
/// (price 0). A need that took no part gets the least price that covers its arcs: 0 when it has
/// supply, since then all its arcs lead to resources without capacity.
pub(crate) fn complete_duals(
    net: &Network,
    left: &mut [i64],
    right: &mut [i64],
    need_took_part: impl Fn(usize) -> bool,
    resource_took_part: impl Fn(usize) -> bool,
) {
    for j in (0..net.capacity.len()).filter(|&j| !resource_took_part(j)) {
        right[j] = 0;
    }
    for a in 0..net.arcs() {
        let j = net.head[a] as usize;
        if !resource_took_part(j) && net.capacity[j] == 0 {
            right[j] = right[j].max(net.value[a]);
        }
    }
    for i in (0..net.supply.len()).filter(|&i| !need_took_part(i)) {
        left[i] = net
            .out(i)
            .map(|a| net.value[a] - right[net.head[a] as usize])
            .fold(0, i64::max);
    }
}

/// The backends available in this build, by name: `flow` (exact network simplex, default)
/// and the LP backends (`lp` = microlp; `highs`, `cbc` with their features).
pub fn backend(name: &str) -> Option<Box<dyn Solver + Send + Sync>> {
    match name {
        "flow" => Some(Box::new(FlowSolver::default())),
        "lp" | "microlp" => Some(Box::new(LpSolver::new(LpBackend::Microlp))),
        #[cfg(feature = "highs")]
        "highs" => Some(Box::new(LpSolver::new(LpBackend::Highs))),
        #[cfg(feature = "cbc")]
        "cbc" => Some(Box::new(LpSolver::new(LpBackend::Cbc))),
        _ => None,
    }
}
