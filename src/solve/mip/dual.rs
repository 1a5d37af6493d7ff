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

    /// The arcs into right node `j`, as `(left node, arc)` by left node ascending.
    pub(crate) fn into(&self, j: usize) -> &[(u32, u32)] {
        &self.arcs[self.start[j] as usize..self.start[j + 1] as usize]
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
            for &(i, a) in self.into(j) {
                let (i, a) = (i as usize, a as usize);
                let pr = profit_of(p, scale, (mu, lam), i, a);
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
                    let m = knapsack - fixed_of(p, scale, lam, o as usize);
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

/// The profit of one unit on arc `a` out of left node `i` at prices `(μ, λ)`, in units of
/// `1/scale`: its value less its row's price and the need's.
fn profit_of(p: &Program, scale: i64, (mu, lam): (&[i64], &[i64]), i: usize, a: usize) -> i64 {
    let price = match p.row[a] {
        NO_ROW => 0,
        r => lam[r as usize] * p.charge[a],
    };
    scale * p.net.value[a] - price - mu[i]
}

/// What opening `o` costs whole at row prices `lam`, in units of `1/scale`: its fixed cost
/// and its row's price of its charge.
fn fixed_of(p: &Program, scale: i64, lam: &[i64], o: usize) -> i128 {
    let op = &p.openings[o];
    i128::from(scale) * i128::from(op.cost)
        + i128::from(lam[op.row as usize]) * i128::from(op.charge)
}

/// Bounds on the units of every arc at a node of the search.
#[derive(Debug, Clone)]
pub(crate) struct ArcBounds {
    /// Least units per arc.
    pub(crate) lo: Vec<i64>,
    /// Most units per arc.
    pub(crate) hi: Vec<i64>,
}

impl Incoming {
    /// Lower prices on the needs that no counted knapsack would take more of, each as far as
    /// it can go alone without changing what any knapsack takes: a step down the bound
    /// `L(μ, λ)` that a flow's duals cannot make, because the flow pays an opening's fixed
    /// cost by the unit while the bound pays it whole or not at all.
    ///
    /// For a need `i` with `μ_i > 0`, lowering `μ_i` by `δ` changes `L` by `−δ·supply_i` plus
    /// `δ` times the units the knapsacks then take of it. A counted knapsack takes more only
    /// once the need's profit reaches its marginal profit, so while fewer than `supply_i`
    /// units are taken at or above the margins, each `δ` up to the nearest margin lowers `L`.
    /// An opening that is not counted only starts to count once its knapsack gains its
    /// (negative) margin, which the needs lowered on it share. Any prices give a valid bound;
    /// the caller evaluates the result exactly and keeps it only if it is lower.
    pub(crate) fn descend(
        &self,
        p: &Program,
        scale: i64,
        (mu, lam): (&[i64], &[i64]),
        state: &[State],
    ) -> Vec<i64> {
        let net = &p.net;
        let n = net.supply.len();
        // Units taken at or above the margins, and the nearest margin above, per need.
        let mut taken = vec![0i64; n];
        let mut room_to_margin = vec![i64::MAX; n];
        // Per opening not counted: how much its knapsack may gain, and its needs at or above
        // its margin with their units.
        let mut uncounted: Vec<(i128, Vec<(u32, i64)>)> = Vec::new();
        let mut profit: Vec<(i64, u32, i64)> = Vec::new();
        for j in 0..net.capacity.len() {
            let opening = self.opening[j];
            if opening.is_some_and(|o| state[o as usize] == State::Out) {
                continue;
            }
            let cap = net.capacity[j];
            profit.clear();
            for &(i, a) in self.into(j) {
                let (iu, a) = (i as usize, a as usize);
                profit.push((
                    profit_of(p, scale, (mu, lam), iu, a),
                    i,
                    net.supply[iu].min(cap),
                ));
            }
            profit.sort_unstable_by_key(|e| (std::cmp::Reverse(e.0), e.1));
            // The marginal profit: that of the unit that fills the capacity, else 0.
            let (mut room, mut margin, mut knapsack) = (cap, 0i64, 0i128);
            for &(pr, _, units) in &profit {
                if pr <= 0 || room == 0 {
                    break;
                }
                let t = units.min(room);
                room -= t;
                knapsack += i128::from(pr) * i128::from(t);
                if room == 0 {
                    margin = pr;
                }
            }
            let short = opening.and_then(|o| {
                let fixed = fixed_of(p, scale, lam, o as usize);
                (state[o as usize] != State::In && knapsack < fixed).then(|| fixed - knapsack)
            });
            let mut at_margin = Vec::new();
            for &(pr, i, units) in &profit {
                if pr >= margin {
                    match short {
                        None => taken[i as usize] += units,
                        Some(_) => at_margin.push((i, units)),
                    }
                } else {
                    let r = &mut room_to_margin[i as usize];
                    *r = (*r).min(margin - pr);
                }
            }
            if let Some(s) = short {
                uncounted.push((s, at_margin));
            }
        }
        let mut delta: Vec<i64> = (0..n)
            .map(|i| {
                if taken[i] >= net.supply[i] {
                    0
                } else {
                    room_to_margin[i].min(mu[i])
                }
            })
            .collect();
        // An opening not counted may gain no more than it lacks: scale its needs' steps down.
        let mut share = vec![1f64; n];
        for (short, needs) in &uncounted {
            let gain: i128 = needs
                .iter()
                .map(|&(i, u)| i128::from(delta[i as usize]) * i128::from(u))
                .sum();
            if gain > *short {
                let f = *short as f64 / gain as f64;
                for &(i, _) in needs {
                    share[i as usize] = share[i as usize].min(f);
                }
            }
        }
        for (d, f) in delta.iter_mut().zip(&share) {
            *d = (*d as f64 * f).floor() as i64;
        }
        mu.iter().zip(&delta).map(|(&m, &d)| m - d).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solve::mip::Opening;
    use crate::solve::Network;

    /// One need of one unit that only an opening can serve (value 10, capacity 10, fixed
    /// cost 5). Paying the fixed cost by the unit prices the need at 9.5, a bound of 9.5;
    /// the descent lowers it to 5, the optimum, because the opening then counts whole.
    #[test]
    fn descent_closes_the_gap_of_a_fixed_cost_paid_by_the_unit() {
        let net = Network {
            supply: vec![1],
            capacity: vec![10],
            start: vec![0, 1],
            head: vec![0],
            value: vec![10],
            ..Network::default()
        };
        let mut p = Program::from_network(net);
        p.amount = vec![100];
        p.openings = vec![Opening {
            node: 0,
            cost: 5,
            charge: 0,
            row: 0,
        }];
        let inc = Incoming::new(&p);
        let (scale, lam, state) = (2, [0], [State::Free]);
        let bound = |mu: &[i64]| {
            inc.eval(&p, scale, (mu, &lam), (&state, None), &p.amount)
                .map(|e| e.scaled)
        };
        // The flow's dual with the fixed cost shared over the capacity: 10 − 5/10, scaled.
        let mu = [19];
        assert_eq!(bound(&mu), Some(19));
        let lower = inc.descend(&p, scale, (&mu, &lam), &state);
        assert_eq!(lower, vec![10]);
        assert_eq!(bound(&lower), Some(10));
        // Nothing is left to lower.
        assert_eq!(inc.descend(&p, scale, (&lower, &lam), &state), lower);
    }
}
