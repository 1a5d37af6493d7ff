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
pub mod mip;
mod network;
mod reduce;

pub use network::{verify, Duals, Network};

pub use flow::FlowSolver;
pub(crate) use live::{LeftPart, LiveFlow, Rebuild, RightPart, MAX_SUPPLY};
pub use live::{LiveError, ProofError};
pub use lp::{LpBackend, LpSolver};

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
    /// A combination of model parts this solver does not handle.
    #[error("not supported: {0}")]
    Unsupported(&'static str),
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
            SolveError::Unsupported(_) => "unsupported",
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

/// Prices the nodes that took no part in a solve so that every arc is dual feasible without
/// changing the dual objective. A resource that took no part either has no capacity (its price
/// is the largest value of its arcs with its needs' group prices, which costs nothing) or no
/// arc from a need with supply (the price at which its first run earns nothing: 0 without
/// runs). A need that took no part gets the least price that covers its arcs: 0 when it has
/// supply, since then all its arcs lead to resources without capacity. Group prices are kept.
pub(crate) fn complete_duals(
    net: &Network,
    d: &mut Duals,
    need_took_part: impl Fn(usize) -> bool,
    resource_took_part: impl Fn(usize) -> bool,
) {
    let group = |i: usize| net.group_of(i).map_or(0, |g| d.group[g]);
    for j in (0..net.capacity.len()).filter(|&j| !resource_took_part(j)) {
        d.right[j] = -net.runs_of(j).iter().next().map_or(0, |r| r.1.max(0));
    }
    for i in 0..net.supply.len() {
        let r = group(i);
        for a in net.out(i) {
            let j = net.head[a] as usize;
            if !resource_took_part(j) && net.capacity[j] == 0 {
                d.right[j] = d.right[j].max(net.value[a] + r);
            }
        }
    }
    for i in (0..net.supply.len()).filter(|&i| !need_took_part(i)) {
        let r = group(i);
        d.left[i] = net
            .out(i)
            .map(|a| net.value[a] + r - d.right[net.head[a] as usize])
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
