//! The Lagrangian bound of a program, exact: with prices `μ_i ≥ 0` on the left nodes' supplies
//! and `λ_k ≥ 0` on the rows, every right node decides alone. A right node takes its arcs of
//! best positive profit `value − λ_row · charge − μ_i`, each up to `min(supply_i, capacity_j)`
//! units, until its capacity is used (a fractional knapsack with unit weights, integral here);
//! an opening that is free to decide counts only when its profit beats its fixed cost and
//! fixed charge (`cost + λ_row · charge`). So for any prices
//!
//! ```text
//! L(μ, λ) = Σ μ_i supply_i + Σ λ_k amount_k + Σ_j knapsack_j − Σ_{opened} (cost + λ charge)
//! ```
//!
//! is an upper bound on every integer answer (weak duality); its minimum over the prices is
//! the bound of the linear relaxation in the strong linking form. Prices are integers in units
//! of `1/scale`, and the bound is computed in `i128`, so it is exact: no rounding can make it
//! too low.

use super::{Program, NO_ROW};

/// Whether an opening is still to decide, forced open, or forced closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum State {
    /// Still to decide.
    Free,
    /// Opened.
    In,
    /// Closed.
    Out,
}

/// The arcs into each right node, for the knapsacks.
pub(crate) struct Incoming {
    start: Vec<u32>,
    /// (left node, arc).
    arcs: Vec<(u32, u32)>,
    /// The opening on each right node.
    pub(crate) opening: Vec<Option<u32>>,
}

/// One evaluation of the bound.
pub(crate) struct Eval {
    /// `L` in units of `1/scale`.
    pub(crate) scaled: i128,
    /// The knapsacks' units per arc.
    pub(crate) x: Vec<i64>,
    /// Per opening: whether its knapsack counted (opened in the relaxation).
    pub(crate) y: Vec<bool>,
    /// Per opening: knapsack profit minus fixed cost and charge, in units of `1/scale` (the
    /// margin by which opening it pays in the relaxation; 0 for closed openings).
    pub(crate) margin: Vec<i128>,
}

impl Incoming {
    pub(crate) fn new(p: &Program) -> Incoming {
        let net = &p.net;
        let m = net.capacity.len();
        let mut start = vec![0u32; m + 1];
        for &h in &net.head {
            start[h as usize + 1] += 1;
        }
        for j in 0..m {
            start[j + 1] += start[j];
        }
        let mut fill = start.clone();
        let mut arcs = vec![(0u32, 0u32); net.arcs()];
        for i in 0..net.supply.len() {
            for a in net.out(i) {
                let j = net.head[a] as usize;
                arcs[fill[j] as usize] = (i as u32, a as u32);
                fill[j] += 1;
            }
        }
        Incoming {
            start,
            arcs,
            opening: p.opening_of(),
        }
    }

    /// Evaluates the bound for the prices `mu` (per left node) and `lam` (per row), in units of
    /// `1/scale`, at a node where the openings are in `state`, each arc `a` carries between
    /// `lo[a]` and `hi[a]` units (when given) and the rows hold `amount`. `None` when the
    /// node's forced units do not fit a right node.
    pub(crate) fn eval(
        &self,
        p: &Program,
        scale: i64,
        (mu, lam): (&[i64], &[i64]),
        (state, bounds): (&[State], Option<&ArcBounds>),
        amount: &[i64],
    ) -> Option<Eval> {
        let net = &p.net;
        let mut x = vec![0i64; net.arcs()];
        let mut y = vec![false; p.openings.len()];
        let mut margin = vec![0i128; p.openings.len()];
        let mut total: i128 = 0;
        for (&m, &q) in mu.iter().zip(&net.supply) {
            total += i128::from(m) * i128::from(q);
        }
        for (&l, &a) in lam.iter().zip(amount) {
            total += i128::from(l) * i128::from(a);
        }
        let mut profit: Vec<(i64, u32, i64)> = Vec::new();
        for j in 0..net.capacity.len() {
            let opening = self.opening[j];
            if opening.is_some_and(|o| state[o as usize] == State::Out) {
                continue;
            }
            profit.clear();
            let cap = net.capacity[j];
            let mut room = cap;
            let mut knapsack: i128 = 0;
            let mut forced: Vec<(u32, i64)> = Vec::new();
            for &(i, a) in &self.arcs[self.start[j] as usize..self.start[j + 1] as usize] {
                let (i, a) = (i as usize, a as usize);
                let price = match p.row[a] {
                    NO_ROW => 0,
                    r => lam[r as usize] * p.charge[a],
                };
                let pr = scale * net.value[a] - price - mu[i];
                let (lo, hi) = match bounds {
                    Some(b) => (b.lo[a], b.hi[a].min(net.supply[i].min(cap))),
                    None => (0, net.supply[i].min(cap)),
                };
                if lo > 0 {
                    room -= lo;
                    knapsack += i128::from(pr) * i128::from(lo);
                    forced.push((a as u32, lo));
                }
                if pr > 0 && hi > lo {
                    profit.push((pr, a as u32, hi - lo));
                }
            }
            if room < 0 {
                return None;
            }
            profit.sort_unstable_by_key(|e| (std::cmp::Reverse(e.0), e.1));
            let mut used = 0;
            for &(pr, _, ub) in &profit {
                if room == 0 {
                    break;
                }
                let t = ub.min(room);
                room -= t;
                knapsack += i128::from(pr) * i128::from(t);
                used += 1;
            }
            let counted = match opening {
                None => {
                    total += knapsack;
                    true
                }
                Some(o) => {
                    let op = &p.openings[o as usize];
                    let fixed = i128::from(scale) * i128::from(op.cost)
                        + i128::from(lam[op.row as usize]) * i128::from(op.charge);
                    let m = knapsack - fixed;
                    margin[o as usize] = m;
                    let counted = state[o as usize] == State::In || m > 0;
                    if counted {
                        total += m;
                        y[o as usize] = true;
                    }
                    counted
                }
            };
            if counted {
                let mut room = cap;
                for &(a, lo) in &forced {
                    x[a as usize] = lo;
                    room -= lo;
                }
                for &(_, a, ub) in &profit[..used] {
                    let t = ub.min(room);
                    room -= t;
                    x[a as usize] += t;
                }
            }
        }
        Some(Eval {
            scaled: total,
            x,
            y,
            margin,
        })
    }
}

/// Bounds on the units of every arc at a node of the search.
#[derive(Debug, Clone)]
pub(crate) struct ArcBounds {
    /// Least units per arc.
    pub(crate) lo: Vec<i64>,
    /// Most units per arc.
    pub(crate) hi: Vec<i64>,
}
