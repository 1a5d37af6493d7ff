//! The LP backend through good_lp: for side constraints and as an oracle for the flow solver.
//!
//! The transportation polytope is integral, so a simplex vertex is an integer plan. The answer
//! is still never trusted: it is rounded, rejected if any value is more than `1e-6` from an
//! integer (then re-solved with integer variables), and verified exactly by [`super::verify`].

use super::network::Runs;
use super::{verify, Network, Solution, SolveError, Solver, Stats};
use good_lp::{
    variable, Expression, ProblemVariables, ResolutionError, SolutionStatus, SolverModel, Variable,
};

/// Which good_lp solver to call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LpBackend {
    /// microlp: pure Rust, always available.
    Microlp,
    /// HiGHS (cargo feature `highs`).
    #[cfg(feature = "highs")]
    Highs,
    /// CBC (cargo feature `cbc`).
    #[cfg(feature = "cbc")]
    Cbc,
}

/// Solves a [`Network`] as a linear program.
///
/// ```
/// use duijie::solve::{LpBackend, LpSolver, Network, Solver};
/// let net = Network { supply: vec![2], capacity: vec![1, 5], start: vec![0, 2],
///                     head: vec![0, 1], value: vec![10, 7],
///                     ..Network::default() };
/// let sol = LpSolver::new(LpBackend::Microlp).solve(&net).unwrap();
/// assert_eq!((sol.flow, sol.objective), (vec![1, 1], 17));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LpSolver {
    backend: LpBackend,
}

impl LpSolver {
    /// An LP solver using `backend`.
    pub fn new(backend: LpBackend) -> LpSolver {
        LpSolver { backend }
    }

    fn run(&self, net: &Network, integer: bool) -> Result<Vec<f64>, SolveError> {
        let mut vars = ProblemVariables::new();
        let mut objective = Expression::with_capacity(net.arcs());
        let mut x: Vec<Variable> = Vec::with_capacity(net.arcs());
        for i in 0..net.supply.len() {
            for a in net.out(i) {
                let ub = net.supply[i].min(net.capacity[net.head[a] as usize]);
                let def = variable().min(0).max(as_f64(ub));
                let v = vars.add(if integer { def.integer() } else { def });
                objective.add_mul(as_f64(net.value[a]), v);
                x.push(v);
            }
        }
        let mut rows_in: Vec<Expression> = vec![Expression::default(); net.capacity.len()];
        let mut sent: Vec<Expression> = vec![Expression::default(); net.floors.len()];
        let mut constraints = Vec::new();
        for i in 0..net.supply.len() {
            let range = net.out(i);
            if range.is_empty() {
                continue;
            }
            let mut row = Expression::with_capacity(range.len());
            for a in range {
                row.add_mul(1.0, x[a]);
                rows_in[net.head[a] as usize].add_mul(1.0, x[a]);
                if let Some(g) = net.group_of(i) {
                    sent[g].add_mul(1.0, x[a]);
                }
            }
            constraints.push(row.leq(as_f64(net.supply[i])));
        }
        for (j, mut row) in rows_in.into_iter().enumerate() {
            match net.runs_of(j) {
                Runs::Plain(c) => constraints.push(row.leq(as_f64(c))),
                runs => {
                    // Its load is split over its runs; the runs' deltas never rise, so the
                    // optimum fills them in order.
                    for (units, delta) in runs.iter() {
                        let y = vars.add(variable().min(0).max(as_f64(units)));
                        objective.add_mul(as_f64(delta), y);
                        row.add_mul(-1.0, y);
                    }
                    constraints.push(row.eq(0.0));
                }
            }
        }
        for (mut row, &(floor, bonus)) in sent.into_iter().zip(&net.floors) {
            // The units a group sends up to its floor, each worth the bonus.
            let s = vars.add(variable().min(0).max(as_f64(floor)));
            objective.add_mul(as_f64(bonus), s);
            row.add_mul(-1.0, s);
            constraints.push(row.geq(0.0));
        }
        let problem = vars.maximise(objective);
        let values = match self.backend {
            LpBackend::Microlp => extract(
                problem
                    .using(good_lp::microlp)
                    .with_all(constraints)
                    .solve(),
                &x,
            )?,
            #[cfg(feature = "highs")]
            LpBackend::Highs => extract(
                problem.using(good_lp::highs).with_all(constraints).solve(),
                &x,
            )?,
            #[cfg(feature = "cbc")]
            LpBackend::Cbc => extract(
                problem
                    .using(good_lp::coin_cbc)
                    .with_all(constraints)
                    .solve(),
                &x,
            )?,
        };
        Ok(values)
    }
}

/// Every number handed to a backend is an exact, finite `f64` (inputs are bounded far below 2⁵³).
fn as_f64(v: i64) -> f64 {
    debug_assert!(v.unsigned_abs() < 1 << 53);
    v as f64
}

fn extract<S: good_lp::Solution>(
    result: Result<S, ResolutionError>,
    x: &[Variable],
) -> Result<Vec<f64>, SolveError> {
    let sol = result.map_err(|e| SolveError::Backend(e.to_string()))?;
    match sol.status() {
        SolutionStatus::Optimal => Ok(x.iter().map(|&v| sol.value(v)).collect()),
        SolutionStatus::TimeLimit => Err(SolveError::LimitReached("LP time limit")),
        SolutionStatus::GapLimit => Err(SolveError::LimitReached("LP gap limit")),
    }
}

/// The integers a backend's values stand for, each within 10⁻⁶ of one (else
/// [`SolveError::NonIntegral`] naming the first that is not).
pub(crate) fn rounded(values: &[f64]) -> Result<Vec<i64>, SolveError> {
    values
        .iter()
        .enumerate()
        .map(|(arc, &v)| {
            let r = v.round();
            if !v.is_finite() || (v - r).abs() > 1e-6 || r.abs() > 9.0e15 {
                Err(SolveError::NonIntegral { arc, value: v })
            } else {
                Ok(r as i64)
            }
        })
        .collect()
}

impl Solver for LpSolver {
    fn name(&self) -> &'static str {
        match self.backend {
            LpBackend::Microlp => "lp",
            #[cfg(feature = "highs")]
            LpBackend::Highs => "highs",
            #[cfg(feature = "cbc")]
            LpBackend::Cbc => "cbc",
        }
    }

    fn solve(&self, net: &Network) -> Result<Solution, SolveError> {
        net.check()?;
        let flow = if net.arcs() == 0 {
            Vec::new()
        } else {
            match rounded(&self.run(net, false)?) {
                Ok(f) => f,
                Err(SolveError::NonIntegral { .. }) => rounded(&self.run(net, true)?)?,
                Err(e) => return Err(e),
            }
        };
        let objective = i64::try_from(net.objective_of(&flow))
            .map_err(|_| SolveError::NumericRange("the objective does not fit i64"))?;
        let sol = Solution {
            flow,
            objective,
            duals: None,
            stats: Stats::default(),
        };
        verify(net, &sol)?;
        Ok(sol)
    }
}
