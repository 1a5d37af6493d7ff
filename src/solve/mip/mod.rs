//! Programs: a [`Network`] with budget rows and right nodes that serve only when opened at a
//! fixed cost, solved as mixed-integer programs. Numbers only, like the rest of [`super`].
//!
//! The program is
//!
//! ```text
//! max  Σ value_a · x_a − Σ_o cost_o · y_o
//! s.t. Σ_{a out of i} x_a ≤ supply_i                       every left node i
//!      Σ_{a into j} x_a ≤ capacity_j                       every right node j that is not an opening
//!      Σ_{a into o} x_a ≤ capacity_o · y_o                 every opening o (its right node)
//!      Σ_{a: row_a = k} charge_a · x_a + Σ_{o: row_o = k} charge_o · y_o ≤ amount_k     every row k
//!      x integer ≥ 0, y ∈ {0, 1}
//! ```
//!
//! Every [`Decision`] a solver returns has passed [`verify`] (bounds, rows and the objective
//! recomputed in `i128`) and carries a proven upper `bound` on the optimum: `bound ==
//! objective` proves it optimal.

mod branch;
mod dual;
mod good;
mod local;

pub use branch::BranchSolver;
pub use good::MipSolver;

use super::{Network, SolveError};

/// The row of an arc that charges no row.
pub const NO_ROW: u32 = u32::MAX;

/// A right node that serves only when opened: a proposal, once approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    /// The right node it opens.
    pub node: u32,
    /// What opening it costs in the objective.
    pub cost: i64,
    /// What opening it charges its row.
    pub charge: i64,
    /// The row it charges.
    pub row: u32,
}

/// A network with budget rows and openings; see the module documentation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Program {
    /// The flow part: left nodes, right nodes (openings among them), arcs with values.
    pub net: Network,
    /// Per arc: the row its units charge, or [`NO_ROW`].
    pub row: Vec<u32>,
    /// Per arc: what one unit charges its row (0 with [`NO_ROW`]).
    pub charge: Vec<i64>,
    /// Per row: the most it may be charged.
    pub amount: Vec<i64>,
    /// The openings, each on its own right node.
    pub openings: Vec<Opening>,
}

impl Program {
    /// A program without rows or openings: exactly the flow problem of `net`.
    pub fn from_network(net: Network) -> Program {
        let e = net.arcs();
        Program {
            net,
            row: vec![NO_ROW; e],
            charge: vec![0; e],
            amount: Vec::new(),
            openings: Vec::new(),
        }
    }

    /// Per right node: the opening on it, if any.
    pub fn opening_of(&self) -> Vec<Option<u32>> {
        let mut of = vec![None; self.net.capacity.len()];
        for (o, op) in self.openings.iter().enumerate() {
            if let Some(slot) = of.get_mut(op.node as usize) {
                *slot = Some(o as u32);
            }
        }
        of
    }

    /// Checks the shape and the numeric range: the network as [`Network::check`] does, every
    /// row and node in range, no negative charge, cost or amount, one opening per node, and
    /// every row total and objective within a quarter of `i64`.
    ///
    /// # Errors
    /// [`SolveError::Shape`] or [`SolveError::NumericRange`].
    pub fn check(&self) -> Result<(), SolveError> {
        self.net.check()?;
        let (e, rows, m) = (self.net.arcs(), self.amount.len(), self.net.capacity.len());
        if self.row.len() != e || self.charge.len() != e {
            return Err(SolveError::Shape);
        }
        if self
            .row
            .iter()
            .zip(&self.charge)
            .any(|(&r, &c)| (r != NO_ROW && r as usize >= rows) || (r == NO_ROW && c != 0))
        {
            return Err(SolveError::Shape);
        }
        let mut seen = vec![false; m];
        for op in &self.openings {
            let node = op.node as usize;
            if node >= m || seen[node] || op.row as usize >= rows {
                return Err(SolveError::Shape);
            }
            seen[node] = true;
        }
        if self.charge.iter().any(|&c| c < 0)
            || self.amount.iter().any(|&a| a < 0)
            || self.openings.iter().any(|o| o.cost < 0 || o.charge < 0)
        {
            return Err(SolveError::NumericRange(
                "a charge, cost or amount is negative",
            ));
        }
        let bound = i128::from(i64::MAX / 4);
        let supply: i128 = self.net.supply.iter().map(|&s| i128::from(s)).sum();
        let max_charge = self
            .charge
            .iter()
            .map(|&c| i128::from(c))
            .max()
            .unwrap_or(0);
        let fixed: i128 = self
            .openings
            .iter()
            .map(|o| i128::from(o.cost).max(i128::from(o.charge)))
            .sum();
        let amounts: i128 = self.amount.iter().map(|&a| i128::from(a)).sum();
        if max_charge * supply + fixed > bound || amounts > bound {
            return Err(SolveError::NumericRange(
                "charges, fixed costs or amounts could overflow i64",
            ));
        }
        Ok(())
    }
}

/// Work counters of one program solve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MipStats {
    /// Flow problems solved.
    pub flow_solves: u64,
    /// Branch-and-bound nodes.
    pub nodes: u64,
    /// Linear programs solved.
    pub lp_solves: u64,
}

/// A verified integer answer to a [`Program`], with a proven upper bound on the optimum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Units on each arc.
    pub flow: Vec<i64>,
    /// Per opening: whether it is opened.
    pub open: Vec<bool>,
    /// `Σ value · flow − Σ cost` of the opened.
    pub objective: i64,
    /// A proven upper bound on the optimum; equal to `objective` when proven optimal.
    pub bound: i64,
    /// How the solver got there.
    pub stats: MipStats,
}

impl Decision {
    /// Whether the answer is proven optimal (`bound == objective`).
    pub fn is_proven(&self) -> bool {
        self.bound == self.objective
    }
}

/// A solver of [`Program`]s.
pub trait ProgramSolver {
    /// A short name.
    fn name(&self) -> &'static str;

    /// Finds an integer answer with a proven bound.
    ///
    /// # Errors
    /// See [`SolveError`]; an `Ok` decision has passed [`verify`].
    fn solve(&self, program: &Program) -> Result<Decision, SolveError>;
}

/// Whether no row is charged more than its amount.
fn within_amounts(program: &Program, spent: &[i128]) -> bool {
    spent
        .iter()
        .zip(&program.amount)
        .all(|(&c, &a)| c <= i128::from(a))
}

/// Units into each right node.
fn inflow(program: &Program, flow: &[i64]) -> Vec<i64> {
    let mut into = vec![0i64; program.net.capacity.len()];
    for (a, &x) in flow.iter().enumerate() {
        into[program.net.head[a] as usize] += x;
    }
    into
}

/// What each row is charged by a flow and a choice of openings, in `i128`.
pub fn row_charges(program: &Program, flow: &[i64], open: &[bool]) -> Vec<i128> {
    let mut spent = vec![0i128; program.amount.len()];
    for (a, &x) in flow.iter().enumerate() {
        if let Some(s) = spent.get_mut(program.row[a] as usize) {
            *s += i128::from(x) * i128::from(program.charge[a]);
        }
    }
    for (op, _) in program.openings.iter().zip(open).filter(|(_, &o)| o) {
        if let Some(s) = spent.get_mut(op.row as usize) {
            *s += i128::from(op.charge);
        }
    }
    spent
}

/// Verifies a decision exactly: non-negative flows within supplies and capacities, nothing
/// into an opening that is not opened, every row within its amount, the objective recomputed,
/// and a bound no lower than the objective.
///
/// # Errors
/// [`SolveError::Unverified`] naming the first violation.
pub fn verify(program: &Program, d: &Decision) -> Result<(), SolveError> {
    let fail = |s: String| Err(SolveError::Unverified(s));
    let net = &program.net;
    if d.flow.len() != net.arcs() || d.open.len() != program.openings.len() {
        return fail("the decision has the wrong length".into());
    }
    let opening = program.opening_of();
    let mut inflow = vec![0i128; net.capacity.len()];
    let mut objective: i128 = 0;
    for (i, &s) in net.supply.iter().enumerate() {
        let mut out: i128 = 0;
        for a in net.out(i) {
            let x = d.flow[a];
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
        let open = opening[j].map_or(true, |o| d.open[o as usize]);
        let c = if open { i128::from(c) } else { 0 };
        if got > c {
            return fail(format!("right node {j} receives {got} > capacity {c}"));
        }
    }
    for (op, _) in program.openings.iter().zip(&d.open).filter(|(_, &o)| o) {
        objective -= i128::from(op.cost);
    }
    for (k, (spent, &amount)) in row_charges(program, &d.flow, &d.open)
        .iter()
        .zip(&program.amount)
        .enumerate()
    {
        if *spent > i128::from(amount) {
            return fail(format!("row {k} is charged {spent} > amount {amount}"));
        }
    }
    if objective != i128::from(d.objective) {
        return fail(format!(
            "objective {} but the decision gives {objective}",
            d.objective
        ));
    }
    if d.bound < d.objective {
        return fail(format!(
            "bound {} below the objective {}",
            d.bound, d.objective
        ));
    }
    Ok(())
}
