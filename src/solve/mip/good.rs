//! The reference mixed-integer program through good_lp, in the strong linking form
//! `x_a ≤ min(capacity_o, supply_i) · y_o` for every arc into an opening. An oracle for the
//! project's own method and a fallback for small programs: its answer is rounded only within
//! `1e-6` and verified exactly; the backend's claim of optimality is not a proof, so the
//! `bound` it carries is the project's own (the flow with every opening free and no rows).

use super::{verify, Decision, MipStats, Program, ProgramSolver, NO_ROW};
use crate::solve::lp::{rounded, LpBackend};
use crate::solve::{FlowSolver, SolveError, Solver};
use good_lp::{
    variable, Expression, ProblemVariables, ResolutionError, SolutionStatus, SolverModel, Variable,
    WithTimeLimit,
};

/// Solves a [`Program`] as a mixed-integer program through good_lp.
///
/// ```
/// use duijie::solve::mip::{MipSolver, Opening, Program, ProgramSolver};
/// use duijie::solve::{LpBackend, Network};
/// // One need of 3 units; a free resource of capacity 1 (value 10) and an opening of
/// // capacity 5 (value 9 per unit, fixed cost 12).
/// let net = Network { supply: vec![3], capacity: vec![1, 5], start: vec![0, 2],
///                     head: vec![0, 1], value: vec![10, 9], ..Network::default() };
/// let mut program = Program::from_network(net);
/// program.amount = vec![100];
/// program.openings = vec![Opening { node: 1, cost: 12, charge: 50, row: 0 }];
/// let d = MipSolver::new(LpBackend::Microlp).solve(&program).unwrap();
/// assert_eq!((d.objective, d.open.clone()), (10 + 2 * 9 - 12, vec![true]));
/// assert!(d.bound >= d.objective);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MipSolver {
    backend: LpBackend,
    time_limit: Option<f64>,
    relax: bool,
}

impl MipSolver {
    /// A MIP solver using `backend`, with no time limit.
    pub fn new(backend: LpBackend) -> MipSolver {
        MipSolver {
            backend,
            time_limit: None,
            relax: false,
        }
    }

    /// The value of the linear relaxation (continuous variables), as the backend reports it:
    /// a floating-point number for comparisons, not a proven bound.
    ///
    /// # Errors
    /// See [`SolveError`].
    pub fn relaxation_value(&self, p: &Program) -> Result<f64, SolveError> {
        p.check()?;
        let solver = MipSolver {
            relax: true,
            ..*self
        };
        let (xs, ys) = solver.run(p)?;
        let mut v: f64 = xs
            .iter()
            .zip(&p.net.value)
            .map(|(x, &v)| x * v as f64)
            .sum();
        for (y, o) in ys.iter().zip(&p.openings) {
            v -= y * o.cost as f64;
        }
        Ok(v)
    }

    /// The same solver, stopping after `seconds` (then [`SolveError::LimitReached`]).
    pub fn with_time_limit(self, seconds: f64) -> MipSolver {
        MipSolver {
            time_limit: Some(seconds),
            ..self
        }
    }

    /// The backend's values of the arcs' and the openings' variables.
    fn run(&self, p: &Program) -> Result<(Vec<f64>, Vec<f64>), SolveError> {
        let net = &p.net;
        let opening = p.opening_of();
        let mut vars = ProblemVariables::new();
        let mut objective = Expression::with_capacity(net.arcs() + p.openings.len());
        let mut x: Vec<Variable> = Vec::with_capacity(net.arcs());
        let mut ub: Vec<i64> = Vec::with_capacity(net.arcs());
        for i in 0..net.supply.len() {
            for a in net.out(i) {
                let u = net.supply[i].min(net.capacity[net.head[a] as usize]);
                let def = variable().min(0).max(as_f64(u));
                let v = vars.add(if self.relax { def } else { def.integer() });
                objective.add_mul(as_f64(net.value[a]), v);
                x.push(v);
                ub.push(u);
            }
        }
        let y: Vec<Variable> = p
            .openings
            .iter()
            .map(|o| {
                let def = variable().min(0).max(1);
                let v = vars.add(if self.relax { def } else { def.integer() });
                objective.add_mul(-as_f64(o.cost), v);
                v
            })
            .collect();
        let mut constraints = Vec::new();
        let mut into: Vec<Expression> = vec![Expression::default(); net.capacity.len()];
        let mut rows: Vec<Expression> = vec![Expression::default(); p.amount.len()];
        for i in 0..net.supply.len() {
            let mut out = Expression::default();
            for a in net.out(i) {
                out.add_mul(1.0, x[a]);
                let j = net.head[a] as usize;
                into[j].add_mul(1.0, x[a]);
                if let Some(o) = opening[j] {
                    constraints.push((x[a] - as_f64(ub[a]) * y[o as usize]).leq(0.0));
                }
                if p.row[a] != NO_ROW {
                    rows[p.row[a] as usize].add_mul(as_f64(p.charge[a]), x[a]);
                }
            }
            if !net.out(i).is_empty() {
                constraints.push(out.leq(as_f64(net.supply[i])));
            }
        }
        for (j, row) in into.into_iter().enumerate() {
            let c = as_f64(net.capacity[j]);
            constraints.push(match opening[j] {
                Some(o) => (row - c * y[o as usize]).leq(0.0),
                None => row.leq(c),
            });
        }
        for (o, op) in p.openings.iter().enumerate() {
            rows[op.row as usize].add_mul(as_f64(op.charge), y[o]);
        }
        for (row, &amount) in rows.into_iter().zip(&p.amount) {
            constraints.push(row.leq(as_f64(amount)));
        }
        let problem = vars.maximise(objective);
        let all: Vec<Variable> = x.iter().chain(&y).copied().collect();
        let values = match self.backend {
            LpBackend::Microlp => {
                let mut model = problem.using(good_lp::microlp).with_all(constraints);
                if let Some(t) = self.time_limit {
                    model = model.with_time_limit(t);
                }
                values(model.solve(), &all)?
            }
            #[cfg(feature = "highs")]
            LpBackend::Highs => {
                // One thread (the same answer every run); an absolute gap below 1 proves an
                // integer objective optimal, which good_lp then reports as a gap limit.
                let mut model = problem
                    .using(good_lp::highs)
                    .with_all(constraints)
                    .set_threads(1)
                    .set_mip_rel_gap(0.0)
                    .and_then(|m| m.set_mip_abs_gap(0.5))
                    .map_err(|e| SolveError::Backend(e.to_string()))?;
                if let Some(t) = self.time_limit {
                    model = model.with_time_limit(t);
                }
                values(model.solve(), &all)?
            }
            #[cfg(feature = "cbc")]
            LpBackend::Cbc => {
                let mut model = problem.using(good_lp::coin_cbc).with_all(constraints);
                if let Some(t) = self.time_limit {
                    model = model.with_time_limit(t);
                }
                values(model.solve(), &all)?
            }
        };
        let (xs, ys) = values.split_at(x.len());
        Ok((xs.to_vec(), ys.to_vec()))
    }
}

/// Every number handed to a backend is an exact, finite `f64` (programs are bounded far below
/// 2⁵³ by [`Program::check`]).
fn as_f64(v: i64) -> f64 {
    debug_assert!(v.unsigned_abs() < 1 << 53);
    v as f64
}

fn values<S: good_lp::Solution>(
    result: Result<S, ResolutionError>,
    vars: &[Variable],
) -> Result<Vec<f64>, SolveError> {
    let sol = result.map_err(|e| SolveError::Backend(e.to_string()))?;
    // The gaps asked for (0 for microlp; below one unit of an integer objective for HiGHS)
    // make a gap-limit stop a claim of optimality too.
    match sol.status() {
        SolutionStatus::Optimal | SolutionStatus::GapLimit => {
            Ok(vars.iter().map(|&v| sol.value(v)).collect())
        }
        SolutionStatus::TimeLimit => Err(SolveError::LimitReached("MIP time limit")),
    }
}

/// A proven upper bound: the flow with every opening free and every row dropped.
pub(crate) fn relaxation_bound(p: &Program) -> Result<i64, SolveError> {
    FlowSolver::default().solve(&p.net).map(|s| s.objective)
}

impl ProgramSolver for MipSolver {
    fn name(&self) -> &'static str {
        match self.backend {
            LpBackend::Microlp => "mip-microlp",
            #[cfg(feature = "highs")]
            LpBackend::Highs => "mip-highs",
            #[cfg(feature = "cbc")]
            LpBackend::Cbc => "mip-cbc",
        }
    }

    fn solve(&self, p: &Program) -> Result<Decision, SolveError> {
        p.check()?;
        let (xs, ys) = if p.net.arcs() + p.openings.len() == 0 {
            (Vec::new(), Vec::new())
        } else {
            self.run(p)?
        };
        let flow = rounded(&xs)?;
        let open: Vec<bool> = rounded(&ys)?.into_iter().map(|v| v != 0).collect();
        let mut objective: i64 = flow.iter().zip(&p.net.value).map(|(x, v)| x * v).sum();
        for (op, _) in p.openings.iter().zip(&open).filter(|(_, &o)| o) {
            objective -= op.cost;
        }
        let bound = relaxation_bound(p)?.max(objective);
        let d = Decision {
            flow,
            open,
            objective,
            bound,
            stats: MipStats {
                flow_solves: 1,
                lp_solves: 1,
                ..MipStats::default()
            },
        };
        verify(p, &d)?;
        Ok(d)
    }
}
