//! The project's own method for programs: branch and bound over the openings, with bounds from
//! flows. At each node the prices on the rows (`λ`) and the per-unit shares of the open
//! questions' fixed costs go into the arcs' values, the exact flow solver finds the best flow
//! and its optimal duals `μ`, and [`super::dual`] turns `(μ, λ)` into an exact Lagrangian
//! bound; a few subgradient steps on `(μ, λ)` tighten it. Each flow is also repaired into a
//! feasible answer (charges cut where a row is over, the free part re-optimised by another
//! flow, what is left of each row filled greedily), which is verified exactly before it may
//! become the incumbent; at the root, [`super::local`] then improves the incumbent by opening
//! or closing one opening at a time (or swapping two), block by block. Nodes are explored best
//! bound first and pruned when their bound, an integer, is no better than the incumbent; an
//! opening whose other decision would lower the node's bound to the incumbent is fixed
//! (reduced-cost fixing). The reported `bound` is the largest bound left open, so
//! `bound == objective` is a proof of optimality.

use super::dual::{ArcBounds, Eval, Incoming, State};
use super::{inflow, verify, within_amounts, Decision, MipStats, Program, ProgramSolver, NO_ROW};
use crate::solve::{FlowSolver, Network, SolveError, Solver};
use std::collections::BinaryHeap;

/// Branch and bound with flows inside; see the module documentation.
///
/// ```
/// use duijie::solve::mip::{BranchSolver, Opening, Program, ProgramSolver};
/// use duijie::solve::Network;
/// // One need of 3 units; a free resource of capacity 1 (value 10) and an opening of
/// // capacity 5 (value 9 per unit, fixed cost 12), paid from a row of 100.
/// let net = Network { supply: vec![3], capacity: vec![1, 5], start: vec![0, 2],
///                     head: vec![0, 1], value: vec![10, 9], ..Network::default() };
/// let mut program = Program::from_network(net);
/// program.amount = vec![100];
/// program.openings = vec![Opening { node: 1, cost: 12, charge: 50, row: 0 }];
/// let d = BranchSolver::default().solve(&program).unwrap();
/// assert_eq!((d.objective, d.open.clone()), (10 + 2 * 9 - 12, vec![true]));
/// assert!(d.is_proven());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct BranchSolver {
    /// Stop once `bound − objective ≤ gap_ppm · |objective| / 10⁶`; 0 asks for a proof of
    /// optimality.
    pub gap_ppm: u64,
    /// Stop after this many flow solves; the answer then carries an honest bound, above its
    /// objective.
    pub max_flow_solves: u64,
    /// Stop once the flow solves have handled this many arcs in all (a deterministic work
    /// limit that scales with the program: the default, 6·10⁸, is about 4,400 flows of a
    /// street of 136,000 pairs and 100 of a district of 6 million).
    pub max_arcs: u64,
    /// Flow solves per node that look for the prices.
    pub flows_per_node: u32,
    /// Flow solves at the root, each also repaired into an answer: the fixed costs shared
    /// over the units of the flow before (slope scaling) bring the answers closer to the
    /// optimum, flow after flow, where one more flow per node of the tree hardly moves the
    /// bound of a large program.
    pub root_flows: u32,
    /// Subgradient steps on the bound itself at a node whose openings are all decided (each
    /// costs one pass over the arcs).
    pub steps_per_node: u32,
    /// Rounds of local search at the root after its flows: each opens or closes one opening
    /// at a time while that pays, or swaps two where no single move does, block by block,
    /// every move an exact flow solve of its block (at most 20 passes' worth of the
    /// program's arcs per round, or 5·10⁷ arcs); the rounds stop early once one gains nothing.
    pub local_rounds: u32,
}

impl Default for BranchSolver {
    fn default() -> BranchSolver {
        BranchSolver {
            gap_ppm: 0,
            max_flow_solves: u64::MAX,
            max_arcs: 600_000_000,
            flows_per_node: 4,
            root_flows: 4,
            steps_per_node: 30,
            local_rounds: 3,
        }
    }
}

/// A node of the tree: the openings' states and the prices it starts from.
struct Node {
    /// An upper bound (in units of `1/scale`) known when it was made.
    bound: i128,
    id: u64,
    state: Vec<State>,
    /// Arcs with bounds of their own, `(arc, least, most)`, sorted by arc.
    bounds: Vec<(u32, i64, i64)>,
    mu: Vec<i64>,
    lam: Vec<i64>,
}

impl PartialEq for Node {
    fn eq(&self, o: &Node) -> bool {
        (self.bound, self.id) == (o.bound, o.id)
    }
}
impl Eq for Node {}
impl PartialOrd for Node {
    fn partial_cmp(&self, o: &Node) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Node {
    /// Best bound first; among equal bounds the older node.
    fn cmp(&self, o: &Node) -> std::cmp::Ordering {
        self.bound.cmp(&o.bound).then(o.id.cmp(&self.id))
    }
}

/// A node's best evaluation with its prices `(μ, λ)`.
type Priced = (Eval, Vec<i64>, Vec<i64>);

/// The arcs one round of local search may handle: this many passes over the program's arcs,
/// and at least [`LOCAL_ARCS_MIN`] (a street's single block needs about a hundred solves to
/// settle, a district's forty blocks settle within 20 passes).
const LOCAL_ARCS_PER_ROUND: u64 = 20;
const LOCAL_ARCS_MIN: u64 = 50_000_000;

/// Rounds of descent on the needs' prices a node tries after its first flow.
const DESCENT_ROUNDS: usize = 8;

/// The best answer so far.
struct Best {
    flow: Vec<i64>,
    open: Vec<bool>,
    objective: i64,
}

/// The search: the program, its knapsack index, the scale of the prices, the incumbent.
struct Search<'a> {
    p: &'a Program,
    inc: Incoming,
    scale: i64,
    /// Row amounts rounded down to a multiple of the greatest common divisor of the row's
    /// charges (no integer answer can use the rest).
    amount: Vec<i64>,
    best: Best,
    stats: MipStats,
    opts: BranchSolver,
    /// The current node's arc bounds, when it has any.
    bounds: Option<ArcBounds>,
    /// Arcs handled by the flow solves so far.
    arcs: u64,
}

/// The largest power of two up to 1024 by which the values may be scaled with every flow total
/// and potential staying within `i64` (1 when none fits).
fn price_scale(p: &Program) -> i64 {
    let net = &p.net;
    let supply: i128 = net.supply.iter().map(|&s| i128::from(s)).sum();
    let nodes = (net.supply.len() + net.capacity.len() + 2) as i128;
    let max_value = net
        .value
        .iter()
        .map(|v| i128::from(*v).abs())
        .max()
        .unwrap_or(0)
        .max(1);
    let room = i128::from(i64::MAX / 16) / (max_value * (supply.max(nodes) + 1));
    let mut scale = 1024i64;
    while scale > 1 && i128::from(scale) > room {
        scale /= 2;
    }
    scale
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The amounts rounded down to a multiple of the gcd of each row's positive charges.
fn rounded_amounts(p: &Program) -> Vec<i64> {
    let mut g = vec![0i64; p.amount.len()];
    for (a, &r) in p.row.iter().enumerate() {
        if r != NO_ROW && p.charge[a] > 0 {
            g[r as usize] = gcd(g[r as usize], p.charge[a]);
        }
    }
    for o in &p.openings {
        if o.charge > 0 {
            g[o.row as usize] = gcd(g[o.row as usize], o.charge);
        }
    }
    p.amount
        .iter()
        .zip(&g)
        .map(|(&a, &g)| if g > 1 { a / g * g } else { a })
        .collect()
}

/// The floor of `scaled / scale`, saturated into `i64`.
fn unscale(scaled: i128, scale: i64) -> i64 {
    let v = scaled.div_euclid(i128::from(scale));
    i64::try_from(v).unwrap_or(if v > 0 { i64::MAX } else { i64::MIN })
}

impl Search<'_> {
    fn flow(&mut self, net: &Network) -> Result<super::super::Solution, SolveError> {
        self.stats.flow_solves += 1;
        self.arcs += net.arcs() as u64;
        FlowSolver::default().solve(net)
    }

    /// Whether the work limits are reached.
    fn spent(&self) -> bool {
        self.stats.flow_solves >= self.opts.max_flow_solves || self.arcs >= self.opts.max_arcs
    }

    /// The priced network at a node: arc values scaled, minus `λ · charge` and, into an
    /// opening still to decide, its fixed cost and charge shared over `share[o]` units (free
    /// of them for `share[o] == 0`, closed for `share[o] < 0`); closed openings and arcs of
    /// no positive value left out (their arcs keep no flow). Returns the network and, per kept
    /// arc, the program's arc.
    fn priced(&self, state: &[State], lam: &[i64], share: &[i64]) -> (Network, Vec<u32>) {
        let p = self.p;
        let net = &p.net;
        let mut out = Network {
            supply: net.supply.clone(),
            capacity: net.capacity.clone(),
            start: Vec::with_capacity(net.supply.len() + 1),
            head: Vec::with_capacity(net.arcs()),
            value: Vec::with_capacity(net.arcs()),
            ..Network::default()
        };
        let mut per_unit = vec![0i64; net.capacity.len()];
        for (o, op) in p.openings.iter().enumerate() {
            let j = op.node as usize;
            match state[o] {
                State::Out => out.capacity[j] = 0,
                State::In => {}
                State::Free if share[o] < 0 => out.capacity[j] = 0,
                State::Free if share[o] == 0 => {}
                State::Free => {
                    let fixed = self.scale * op.cost + lam[op.row as usize] * op.charge;
                    per_unit[j] = fixed / share[o];
                }
            }
        }
        let mut map = Vec::with_capacity(net.arcs());
        out.start.push(0);
        for i in 0..net.supply.len() {
            for a in net.out(i) {
                let j = net.head[a] as usize;
                if out.capacity[j] == 0 {
                    continue;
                }
                let price = match p.row[a] {
                    NO_ROW => 0,
                    r => lam[r as usize] * p.charge[a],
                };
                let v = self.scale * net.value[a] - price - per_unit[j];
                if v > 0 {
                    out.head.push(net.head[a]);
                    out.value.push(v);
                    map.push(a as u32);
                }
            }
            out.start.push(out.head.len() as u32);
        }
        (out, map)
    }

    fn eval(&self, mu: &[i64], lam: &[i64], state: &[State]) -> Option<Eval> {
        self.inc.eval(
            self.p,
            self.scale,
            (mu, lam),
            (state, self.bounds.as_ref()),
            &self.amount,
        )
    }

    /// Looks for good prices at a node, starting from `mu`, `lam`; tries the flows it finds
    /// as answers. Returns the best evaluation with its prices, or `None` for a node whose
    /// forced openings alone overcharge a row.
    fn price(
        &mut self,
        state: &[State],
        mut mu: Vec<i64>,
        mut lam: Vec<i64>,
    ) -> Result<Option<Priced>, SolveError> {
        let p = self.p;
        let mut forced = vec![0i128; p.amount.len()];
        for (o, op) in p.openings.iter().enumerate() {
            if state[o] == State::In {
                forced[op.row as usize] += i128::from(op.charge);
            }
        }
        if let Some(b) = &self.bounds {
            for (a, &lo) in b.lo.iter().enumerate() {
                if lo > 0 && p.row[a] != NO_ROW {
                    forced[p.row[a] as usize] += i128::from(lo) * i128::from(p.charge[a]);
                }
            }
        }
        if !within_amounts(p, &forced) {
            return Ok(None);
        }
        let Some(mut best) = self.eval(&mu, &lam, state) else {
            return Ok(None);
        };
        let (mut best_mu, mut best_lam) = (mu.clone(), lam.clone());
        let mut share: Vec<i64> = p
            .openings
            .iter()
            .map(|o| p.net.capacity[o.node as usize])
            .collect();
        let mut step = 1.0f64;
        // Enough once the node's bound is down to the incumbent, or within the gap asked for.
        let done = |e: &Eval, s: &Self| {
            let bound = e.scaled.div_euclid(i128::from(s.scale));
            let incumbent = i128::from(s.best.objective);
            bound <= incumbent || s.opts.gap_reached(bound, incumbent)
        };
        let root = self.stats.nodes == 1;
        let flows = if root {
            self.opts.root_flows
        } else {
            self.opts.flows_per_node
        };
        for t in 0..flows {
            if self.spent() || done(&best, self) {
                break;
            }
            let (net, map) = self.priced(state, &lam, &share);
            let sol = self.flow(&net)?;
            let mut flow = vec![0i64; p.net.arcs()];
            for (k, &a) in map.iter().enumerate() {
                flow[a as usize] = sol.flow[k];
            }
            if let Some(d) = &sol.duals {
                mu.clone_from(&d.left);
            }
            let Some(e) = self.eval(&mu, &lam, state) else {
                return Ok(None);
            };
            if e.scaled < best.scaled {
                best = e;
                best_mu.clone_from(&mu);
                best_lam.clone_from(&lam);
            }
            // The first flow pays each fixed cost by the unit over the whole capacity, so its
            // duals price the needs as if openings came in fractions: lower them where the
            // bound, which opens whole, lets it.
            if t == 0 {
                self.descend(state, &mut best, &mut best_mu, &best_lam);
            }
            // Every flow of the root is tried as an answer, the first of every other node.
            if t == 0 || root {
                self.answer(state, flow.clone())?;
            }
            // Rows: move λ by the flow's over- or under-charge (a subgradient step).
            let spent = super::row_charges(p, &flow, &used_openings(p, &flow, state));
            let target = i128::from(self.best.objective) * i128::from(self.scale);
            let gap = (best.scaled - target).max(i128::from(self.scale)) as f64;
            let mut norm = 0.0;
            let g: Vec<f64> = spent
                .iter()
                .zip(&self.amount)
                .zip(&lam)
                .map(|((&s, &a), &l)| {
                    let g = (s - i128::from(a)) as f64;
                    let g = if l == 0 && g < 0.0 { 0.0 } else { g };
                    norm += g * g;
                    g
                })
                .collect();
            if norm > 0.0 {
                for (l, gk) in lam.iter_mut().zip(&g) {
                    *l = (*l as f64 + step * gap * gk / norm).max(0.0).round() as i64;
                }
            }
            step *= 0.7;
            // Openings: share each fixed cost over the units the flow gave it.
            let into = inflow(p, &flow);
            for (o, op) in p.openings.iter().enumerate() {
                let j = op.node as usize;
                share[o] = if into[j] > 0 {
                    into[j]
                } else {
                    p.net.capacity[j]
                };
            }
        }
        // At the root, local search from the incumbent, round after round while it gains.
        if root {
            let frozen: Vec<bool> = state.iter().map(|&s| s != State::Free).collect();
            let round = (LOCAL_ARCS_PER_ROUND * p.net.arcs() as u64).max(LOCAL_ARCS_MIN);
            for _ in 0..self.opts.local_rounds {
                if self.spent() || done(&best, self) {
                    break;
                }
                let before = self.best.objective;
                let limit = round.min(self.opts.max_arcs.saturating_sub(self.arcs));
                let found = super::local::improve(
                    p,
                    &self.inc,
                    (&self.best.flow, &self.best.open),
                    &frozen,
                    limit,
                )?;
                self.stats.flow_solves += found.solves;
                self.arcs += found.arcs;
                self.answer(state, found.flow)?;
                if self.best.objective <= before {
                    break;
                }
            }
        }
        // Subgradient steps pay off where only the rows' integrality is left: at nodes with
        // every opening decided.
        if state.contains(&State::Free) {
            return Ok(Some((best, best_mu, best_lam)));
        }
        let (e, m, l) = self.polish(state, best, best_mu, best_lam);
        Ok(Some((e, m, l)))
    }

    /// Rounds of [`Incoming::descend`] from `best_mu`, each evaluated exactly, while they
    /// lower the bound (at most [`DESCENT_ROUNDS`]).
    fn descend(&self, state: &[State], best: &mut Eval, best_mu: &mut Vec<i64>, lam: &[i64]) {
        for _ in 0..DESCENT_ROUNDS {
            let mu = self.inc.descend(self.p, self.scale, (best_mu, lam), state);
            match self.eval(&mu, lam, state) {
                Some(e) if e.scaled < best.scaled => {
                    *best = e;
                    *best_mu = mu;
                }
                _ => break,
            }
        }
    }

    /// Subgradient steps on the bound itself, alternating the left prices and the row prices
    /// (each with its own Polyak step toward the incumbent); keeps the best.
    fn polish(
        &mut self,
        state: &[State],
        mut best: Eval,
        mut best_mu: Vec<i64>,
        mut best_lam: Vec<i64>,
    ) -> (Eval, Vec<i64>, Vec<i64>) {
        let p = self.p;
        let net = &p.net;
        let (mut mu, mut lam) = (best_mu.clone(), best_lam.clone());
        let Some(mut e) = self.eval(&mu, &lam, state) else {
            return (best, best_mu, best_lam);
        };
        let mut factor = 1.0f64;
        let mut since = 0;
        for s in 0..self.opts.steps_per_node {
            let target = i128::from(self.best.objective) * i128::from(self.scale);
            if best.scaled.div_euclid(i128::from(self.scale)) <= i128::from(self.best.objective) {
                break;
            }
            let gap = (e.scaled - target).max(1) as f64;
            if s % 2 == 0 {
                let mut g = vec![0f64; net.supply.len()];
                let mut norm = 0.0;
                for (i, gi) in g.iter_mut().enumerate() {
                    let got: i64 = net.out(i).map(|a| e.x[a]).sum();
                    let v = (net.supply[i] - got) as f64;
                    let v = if mu[i] == 0 && v > 0.0 { 0.0 } else { v };
                    *gi = v;
                    norm += v * v;
                }
                if norm == 0.0 {
                    continue;
                }
                let theta = factor * gap / norm;
                for (m, gi) in mu.iter_mut().zip(&g) {
                    *m = (*m as f64 - theta * gi).max(0.0).round() as i64;
                }
            } else {
                let spent = super::row_charges(p, &e.x, &e.y);
                let mut norm = 0.0;
                let g: Vec<f64> = spent
                    .iter()
                    .zip(&self.amount)
                    .zip(&lam)
                    .map(|((&s, &a), &l)| {
                        let v = (i128::from(a) - s) as f64;
                        let v = if l == 0 && v > 0.0 { 0.0 } else { v };
                        norm += v * v;
                        v
                    })
                    .collect();
                if norm == 0.0 {
                    continue;
                }
                let theta = factor * gap / norm;
                for (l, gk) in lam.iter_mut().zip(&g) {
                    *l = (*l as f64 - theta * gk).max(0.0).round() as i64;
                }
            }
            let Some(next) = self.eval(&mu, &lam, state) else {
                break;
            };
            e = next;
            if e.scaled < best.scaled {
                best_mu.clone_from(&mu);
                best_lam.clone_from(&lam);
                best = Eval {
                    scaled: e.scaled,
                    x: e.x.clone(),
                    y: e.y.clone(),
                    margin: e.margin.clone(),
                };
                since = 0;
            } else {
                since += 1;
                if since >= 6 {
                    factor *= 0.5;
                    since = 0;
                }
            }
        }
        (best, best_mu, best_lam)
    }

    /// Where to split a node whose openings are all decided: an arc `a` and a number `t` of
    /// units (children `x_a ≤ t − 1` and `x_a ≥ t`), taken from the relaxed answer `e`: on the
    /// most overcharged row, the arc of least value per yuan; else, on a left node sent more
    /// than its supply, its arc of least value; else the charged arc of most value per yuan
    /// that could carry more.
    fn arc_to_split(&self, e: &Eval) -> Option<(usize, i64)> {
        self.preferred_split(e).or_else(|| self.any_split(e))
    }

    /// When the preferred rules find nothing to split but the bound is still open: any arc
    /// whose units are not yet pinned to one number (charged arcs first), split within its
    /// range at its relaxed units. Every child's range is smaller, so the tree is finite and
    /// the search ends with a proof or at its work limit, never with a leaf left open.
    fn any_split(&self, e: &Eval) -> Option<(usize, i64)> {
        let p = self.p;
        let net = &p.net;
        let tail = tails(net);
        let range = |a: usize| {
            let j = net.head[a] as usize;
            let cap = if self.inc.opening[j].is_some_and(|o| !e.y[o as usize]) {
                0
            } else {
                net.supply[tail[a] as usize].min(net.capacity[j])
            };
            let (lo, hi) = self
                .bounds
                .as_ref()
                .map_or((0, cap), |b| (b.lo[a], b.hi[a].min(cap)));
            (lo, hi)
        };
        let open = |a: &usize| {
            let (lo, hi) = range(*a);
            lo < hi
        };
        let a = (0..net.arcs())
            .filter(|&a| p.row[a] != NO_ROW)
            .find(open)
            .or_else(|| (0..net.arcs()).find(open))?;
        let (lo, hi) = range(a);
        Some((a, e.x[a].clamp(lo + 1, hi)))
    }

    /// The split the rules above prefer (see [`Search::arc_to_split`]).
    fn preferred_split(&self, e: &Eval) -> Option<(usize, i64)> {
        let p = self.p;
        let net = &p.net;
        let lo = |a: usize| self.bounds.as_ref().map_or(0, |b| b.lo[a]);
        let spent = super::row_charges(p, &e.x, &e.y);
        let over = spent
            .iter()
            .zip(&p.amount)
            .enumerate()
            .filter(|(_, (&s, &a))| s > i128::from(a))
            .max_by_key(|(k, (&s, &a))| (s - i128::from(a), std::cmp::Reverse(*k)))
            .map(|(k, _)| k);
        let cheapest = |arcs: &mut dyn Iterator<Item = usize>| {
            arcs.filter(|&a| e.x[a] > lo(a)).min_by(|&a, &b| {
                let (ca, cb) = (
                    i128::from(p.charge[a].max(1)),
                    i128::from(p.charge[b].max(1)),
                );
                (i128::from(net.value[a]) * cb)
                    .cmp(&(i128::from(net.value[b]) * ca))
                    .then(a.cmp(&b))
            })
        };
        if let Some(k) = over {
            let a = cheapest(&mut (0..net.arcs()).filter(|&a| p.row[a] == k as u32))?;
            return Some((a, e.x[a]));
        }
        for i in 0..net.supply.len() {
            let got: i64 = net.out(i).map(|a| e.x[a]).sum();
            if got > net.supply[i] {
                let a = cheapest(&mut net.out(i))?;
                return Some((a, e.x[a]));
            }
        }
        // The relaxed answer keeps every row and supply: split the charged arc of most value
        // per yuan that could still carry more, above what it carries.
        let tail = tails(net);
        let hi = |a: usize| {
            let j = net.head[a] as usize;
            if self.inc.opening[j].is_some_and(|o| !e.y[o as usize]) {
                return 0;
            }
            let cap = net.supply[tail[a] as usize].min(net.capacity[j]);
            self.bounds.as_ref().map_or(cap, |b| b.hi[a].min(cap))
        };
        let a = (0..net.arcs())
            .filter(|&a| p.row[a] != NO_ROW && e.x[a] < hi(a))
            .max_by(|&a, &b| {
                let (ca, cb) = (
                    i128::from(p.charge[a].max(1)),
                    i128::from(p.charge[b].max(1)),
                );
                (i128::from(net.value[a]) * cb)
                    .cmp(&(i128::from(net.value[b]) * ca))
                    .then(b.cmp(&a))
            })?;
        Some((a, e.x[a] + 1))
    }

    /// Repairs a flow into a feasible answer and keeps it if it beats the incumbent: the
    /// openings it uses (and the forced ones) are opened; on each overcharged row, units of
    /// least value per yuan are cut (an opening left empty is closed again); the flow on
    /// the arcs that charge nothing is re-optimised around the charged units that stay; what
    /// is left of each row buys more charged units, best value per yuan first.
    fn answer(&mut self, state: &[State], mut flow: Vec<i64>) -> Result<(), SolveError> {
        let p = self.p;
        let net = &p.net;
        // A relaxed answer may send a left node more than its supply, or a right node more
        // than its capacity: trim the units of least value first.
        for i in 0..net.supply.len() {
            let mut over: i64 = net.out(i).map(|a| flow[a]).sum::<i64>() - net.supply[i];
            let mut arcs: Vec<usize> = net.out(i).filter(|&a| flow[a] > 0).collect();
            arcs.sort_by_key(|&a| (net.value[a], a));
            for a in arcs {
                let t = over.min(flow[a]).max(0);
                flow[a] -= t;
                over -= t;
            }
        }
        let mut room = net.capacity.clone();
        for (a, x) in flow.iter_mut().enumerate() {
            let j = net.head[a] as usize;
            let t = (*x).min(room[j]).max(0);
            *x = t;
            room[j] -= t;
        }
        let mut open = used_openings(p, &flow, state);
        let opening = self.inc.opening.clone();
        let tail = tails(net);
        // Cut overcharged rows.
        let mut spent = super::row_charges(p, &flow, &open);
        for k in 0..p.amount.len() {
            if spent[k] <= i128::from(p.amount[k]) {
                continue;
            }
            let mut arcs: Vec<usize> = (0..net.arcs())
                .filter(|&a| p.row[a] == k as u32 && flow[a] > 0 && p.charge[a] > 0)
                .collect();
            // Least value per yuan first: v_a / c_a ascending, compared exactly.
            arcs.sort_by(|&a, &b| {
                (i128::from(net.value[a]) * i128::from(p.charge[b]))
                    .cmp(&(i128::from(net.value[b]) * i128::from(p.charge[a])))
                    .then(a.cmp(&b))
            });
            for a in arcs {
                while flow[a] > 0 && spent[k] > i128::from(p.amount[k]) {
                    flow[a] -= 1;
                    spent[k] -= i128::from(p.charge[a]);
                }
            }
            // Openings of this row left empty are closed.
            let into = inflow(p, &flow);
            for (o, op) in p.openings.iter().enumerate() {
                if open[o] && state[o] != State::In && into[op.node as usize] == 0 {
                    open[o] = false;
                    if let Some(s) = spent.get_mut(op.row as usize) {
                        *s -= i128::from(op.charge);
                    }
                }
            }
            if spent[k] > i128::from(p.amount[k]) {
                // Units alone cannot fix it: close this row's openings, least used first.
                let into = inflow(p, &flow);
                let mut ops: Vec<usize> = (0..p.openings.len())
                    .filter(|&o| open[o] && state[o] != State::In && p.openings[o].row == k as u32)
                    .collect();
                ops.sort_by_key(|&o| (into[p.openings[o].node as usize], o));
                for o in ops {
                    if spent[k] <= i128::from(p.amount[k]) {
                        break;
                    }
                    open[o] = false;
                    let j = p.openings[o].node;
                    for a in 0..net.arcs() {
                        if net.head[a] == j && flow[a] > 0 {
                            if p.row[a] != NO_ROW {
                                spent[p.row[a] as usize] -=
                                    i128::from(flow[a]) * i128::from(p.charge[a]);
                            }
                            flow[a] = 0;
                        }
                    }
                    spent[k] -= i128::from(p.openings[o].charge);
                }
            }
            if spent[k] > i128::from(p.amount[k]) {
                return Ok(());
            }
        }
        // An opening whose units are worth less than its fixed cost is better closed (the
        // re-optimisation below can only improve on dropping its units).
        let mut worth = vec![0i128; net.capacity.len()];
        for (a, &x) in flow.iter().enumerate() {
            worth[net.head[a] as usize] += i128::from(x) * i128::from(net.value[a]);
        }
        for (o, op) in p.openings.iter().enumerate() {
            let j = op.node as usize;
            if open[o] && state[o] != State::In && worth[j] < i128::from(op.cost) {
                open[o] = false;
                for (x, &h) in flow.iter_mut().zip(&net.head) {
                    if h as usize == j {
                        *x = 0;
                    }
                }
            }
        }
        // Re-optimise the part that charges nothing around the charged units.
        let closed = |j: usize| opening[j].is_some_and(|o| !open[o as usize]);
        let mut rest = Network {
            supply: net.supply.clone(),
            capacity: net.capacity.clone(),
            start: vec![0],
            head: Vec::new(),
            value: Vec::new(),
            ..Network::default()
        };
        let mut map = Vec::new();
        for a in 0..net.arcs() {
            if p.row[a] != NO_ROW {
                rest.supply[tail[a] as usize] -= flow[a];
                rest.capacity[net.head[a] as usize] -= flow[a];
            }
        }
        for i in 0..net.supply.len() {
            for a in net.out(i) {
                let j = net.head[a] as usize;
                if p.row[a] == NO_ROW && !closed(j) {
                    rest.head.push(net.head[a]);
                    rest.value.push(net.value[a]);
                    map.push(a);
                }
            }
            rest.start.push(rest.head.len() as u32);
        }
        let sol = self.flow(&rest)?;
        for (k, &a) in map.iter().enumerate() {
            flow[a] = sol.flow[k];
        }
        // Fill what is left of each row, best value per yuan first.
        let mut left_supply = net.supply.clone();
        let mut room = net.capacity.clone();
        for a in 0..net.arcs() {
            left_supply[tail[a] as usize] -= flow[a];
            room[net.head[a] as usize] -= flow[a];
        }
        let mut spent = super::row_charges(p, &flow, &open);
        let mut arcs: Vec<usize> = (0..net.arcs())
            .filter(|&a| p.row[a] != NO_ROW && !closed(net.head[a] as usize))
            .collect();
        arcs.sort_by(|&a, &b| {
            (i128::from(net.value[b]) * i128::from(p.charge[a]))
                .cmp(&(i128::from(net.value[a]) * i128::from(p.charge[b])))
                .then(a.cmp(&b))
        });
        for a in arcs {
            let (i, j, k) = (tail[a] as usize, net.head[a] as usize, p.row[a] as usize);
            let c = i128::from(p.charge[a]);
            let afford = if c > 0 {
                ((i128::from(p.amount[k]) - spent[k]) / c).max(0)
            } else {
                i128::from(i64::MAX)
            };
            let t = i128::from(left_supply[i].min(room[j])).min(afford);
            if t > 0 {
                let t = t as i64;
                flow[a] += t;
                left_supply[i] -= t;
                room[j] -= t;
                spent[k] += c * i128::from(t);
            }
        }
        // Openings that stayed empty cost nothing once closed.
        let into = inflow(p, &flow);
        for (o, op) in p.openings.iter().enumerate() {
            if open[o] && into[op.node as usize] == 0 {
                open[o] = false;
            }
        }
        let mut objective: i128 = flow
            .iter()
            .zip(&net.value)
            .map(|(&x, &v)| i128::from(x) * i128::from(v))
            .sum();
        for (op, _) in p.openings.iter().zip(&open).filter(|(_, &o)| o) {
            objective -= i128::from(op.cost);
        }
        let objective = i64::try_from(objective).unwrap_or(i64::MIN);
        if objective > self.best.objective {
            let d = Decision {
                flow,
                open,
                objective,
                bound: i64::MAX,
                stats: MipStats::default(),
            };
            // An answer that fails verification is a bug: reported, never kept.
            verify(p, &d)?;
            self.best = Best {
                flow: d.flow,
                open: d.open,
                objective,
            };
        }
        Ok(())
    }
}

/// The left node of each arc.
fn tails(net: &Network) -> Vec<u32> {
    let mut tail = vec![0u32; net.arcs()];
    for i in 0..net.supply.len() {
        for a in net.out(i) {
            tail[a] = i as u32;
        }
    }
    tail
}

/// Per opening: whether the flow sends it anything or it is forced open.
fn used_openings(p: &Program, flow: &[i64], state: &[State]) -> Vec<bool> {
    let into = inflow(p, flow);
    p.openings
        .iter()
        .zip(state)
        .map(|(o, &s)| s == State::In || into[o.node as usize] > 0)
        .collect()
}

impl BranchSolver {
    /// Whether a node's bound is close enough to the incumbent to stop.
    fn gap_reached(&self, bound: i128, incumbent: i128) -> bool {
        self.gap_ppm > 0
            && (bound - incumbent) * 1_000_000 <= i128::from(self.gap_ppm) * incumbent.abs()
    }
}

impl ProgramSolver for BranchSolver {
    fn name(&self) -> &'static str {
        "branch"
    }

    fn solve(&self, p: &Program) -> Result<Decision, SolveError> {
        p.check()?;
        let (n, rows, ops) = (p.net.supply.len(), p.amount.len(), p.openings.len());
        let mut s = Search {
            p,
            inc: Incoming::new(p),
            scale: price_scale(p),
            amount: rounded_amounts(p),
            best: Best {
                flow: vec![0; p.net.arcs()],
                open: vec![false; ops],
                objective: 0,
            },
            stats: MipStats::default(),
            opts: *self,
            bounds: None,
            arcs: 0,
        };
        let scale = s.scale;
        // Serving nothing is always feasible (amounts are not negative); it is the first
        // incumbent.
        let mut heap = BinaryHeap::new();
        heap.push(Node {
            bound: i128::MAX,
            id: 0,
            state: vec![State::Free; ops],
            bounds: Vec::new(),
            mu: vec![0; n],
            lam: vec![0; rows],
        });
        let mut next_id = 1;
        // The largest bound of a node that is left open (unexplored, or a leaf whose bound
        // could not be brought down).
        let mut left_open: i128 = i128::MIN;
        let mut limited = false;
        while let Some(node) = heap.pop() {
            let incumbent = i128::from(s.best.objective);
            if node.bound.div_euclid(i128::from(scale)) <= incumbent {
                continue;
            }
            if self.gap_reached(node.bound.div_euclid(i128::from(scale)), incumbent) {
                left_open = left_open.max(node.bound);
                heap.push(node);
                break;
            }
            if s.spent() {
                limited = true;
                left_open = left_open.max(node.bound);
                break;
            }
            s.stats.nodes += 1;
            s.bounds = (!node.bounds.is_empty()).then(|| {
                let mut b = ArcBounds {
                    lo: vec![0; p.net.arcs()],
                    hi: vec![i64::MAX; p.net.arcs()],
                };
                for &(a, lo, hi) in &node.bounds {
                    b.lo[a as usize] = lo;
                    b.hi[a as usize] = hi;
                }
                b
            });
            let Some((e, mu, lam)) = s.price(&node.state, node.mu, node.lam)? else {
                continue;
            };
            let bound = e.scaled.min(node.bound);
            if bound.div_euclid(i128::from(scale)) <= i128::from(s.best.objective) {
                continue;
            }
            // Reduced-cost fixing: the bound counts a free opening by its margin when that is
            // positive and not at all otherwise, so deciding it the other way lowers the bound
            // by `|margin|` at the same prices; where that is no better than the incumbent,
            // only this way can beat it.
            let mut state = node.state;
            let incumbent = i128::from(s.best.objective);
            let mut fixed = false;
            for (st, &m) in state.iter_mut().zip(&e.margin) {
                if *st == State::Free
                    && (e.scaled - m.abs()).div_euclid(i128::from(scale)) <= incumbent
                {
                    *st = if m > 0 { State::In } else { State::Out };
                    fixed = true;
                }
            }
            // Branch on the opening still to decide whose relaxed margin is smallest.
            let pick = (0..ops)
                .filter(|&o| state[o] == State::Free)
                .min_by_key(|&o| (e.margin[o].abs(), o));
            if pick.is_none() && fixed {
                // Fixing decided the last openings: the node is priced again as decided.
                heap.push(Node {
                    bound,
                    id: next_id,
                    state,
                    bounds: node.bounds,
                    mu,
                    lam,
                });
                next_id += 1;
                continue;
            }
            let Some(o) = pick else {
                // Every opening is decided: try the relaxed answer (repaired), then branch on
                // the units of one arc.
                s.answer(&state, e.x.clone())?;
                if bound.div_euclid(i128::from(scale)) <= i128::from(s.best.objective) {
                    continue;
                }
                let Some((a, t)) = s.arc_to_split(&e) else {
                    left_open = left_open.max(bound);
                    continue;
                };
                let (lo, hi) = s
                    .bounds
                    .as_ref()
                    .map_or((0, i64::MAX), |b| (b.lo[a], b.hi[a]));
                for (lo, hi) in [(lo, t - 1), (t, hi)] {
                    let mut bounds = node.bounds.clone();
                    match bounds.binary_search_by_key(&(a as u32), |b| b.0) {
                        Ok(k) => bounds[k] = (a as u32, lo, hi),
                        Err(k) => bounds.insert(k, (a as u32, lo, hi)),
                    }
                    heap.push(Node {
                        bound,
                        id: next_id,
                        state: state.clone(),
                        bounds,
                        mu: mu.clone(),
                        lam: lam.clone(),
                    });
                    next_id += 1;
                }
                continue;
            };
            for choice in [State::In, State::Out] {
                let mut state = state.clone();
                state[o] = choice;
                heap.push(Node {
                    bound,
                    id: next_id,
                    state,
                    bounds: node.bounds.clone(),
                    mu: mu.clone(),
                    lam: lam.clone(),
                });
                next_id += 1;
            }
        }
        for node in heap.iter() {
            left_open = left_open.max(node.bound);
        }
        let _ = limited;
        let objective = s.best.objective;
        let bound = if left_open == i128::MIN {
            objective
        } else {
            unscale(left_open, scale).max(objective)
        };
        let d = Decision {
            flow: s.best.flow,
            open: s.best.open,
            objective,
            bound,
            stats: s.stats,
        };
        verify(p, &d)?;
        Ok(d)
    }
}
