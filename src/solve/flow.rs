//! The exact flow solver: a primal network simplex with block-search pivoting, strongly
//! feasible spanning trees (no cycling) and a greedy warm start.
//!
//! The transportation network becomes a min-cost flow on `n + m + 1` nodes: needs `0..n`
//! (supply = quantity), resources `n..n+m`, and one sink `T` that absorbs everything. Arcs:
//! need → resource (cost −value, uncapacitated), need → T (cost 0: the unserved units) and
//! resource → T (cost 0, capacity = the resource's capacity). Every arc has a finite optimal
//! dual, there are no artificial arcs and no big-M.
//!
//! The tree is kept as in LEMON's network simplex: parent, predecessor arc and its direction,
//! a preorder thread with its reverse, subtree sizes and last successors, so that each pivot
//! touches only the cycle and the subtree that moves. Arithmetic is exact `i64`; the ranges
//! are checked by [`Network::check`] before solving.

use super::reduce::Reduction;
use super::{complete_duals, verify, Duals, Network, Solution, SolveError, Solver, Stats};

const NONE: u32 = u32::MAX;
/// Block length for pricing, as a multiple of √arcs. LEMON uses 1.0; on generated district
/// instances 0.2–0.4 needs no more pivots and scans far fewer arcs per pivot (simplex on the
/// reduced network: 1.0 s at 0.3, 1.6 s at 1.0, 2.4 s at 0.1).
const BLOCK_FACTOR: f64 = 0.3;
/// Capacity of uncapacitated arcs: larger than any total supply that passes `Network::check`.
const INF: i64 = i64::MAX / 2;
const UP: i8 = 1;
const DOWN: i8 = -1;
const LOWER: i8 = 1;
const TREE: i8 = 0;
const UPPER: i8 = -1;

/// The exact network simplex solver (the default backend, `flow`).
///
/// ```
/// use duijie::solve::{FlowSolver, Network, Solver};
/// // Two needs (3 and 1 units), two resources (capacities 2 and 2).
/// let net = Network { supply: vec![3, 1], capacity: vec![2, 2], start: vec![0, 2, 3],
///                     head: vec![0, 1, 0], value: vec![10, 4, 9],
///                     ..Network::default() };
/// let sol = FlowSolver::default().solve(&net).unwrap();
/// // Need 0 leaves one unit of resource 0 to need 1: 10 + 2·4 + 9 beats 2·10 + 4.
/// assert_eq!(sol.objective, 10 + 2 * 4 + 9);
/// assert!(sol.duals.is_some());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FlowSolver {
    /// Start from a greedy plan (highest values first) instead of serving nothing. Off by
    /// default: the greedy basis is primal-good but dual-poor, and on generated district
    /// instances it needs 97% degenerate pivots and runs slower than the empty start.
    pub warm_start: bool,
    /// Merge interchangeable resources (same needs, same values) and then interchangeable
    /// needs into classes before the simplex; exact, and the flows and duals are split back.
    pub reduce: bool,
    /// Stop with [`SolveError::LimitReached`] after this many pivots (`None`: a cap far above
    /// what strongly feasible pivoting needs in practice, `50·(arcs + nodes) + 10⁶`).
    pub max_pivots: Option<u64>,
}

impl Default for FlowSolver {
    fn default() -> FlowSolver {
        FlowSolver {
            warm_start: false,
            reduce: true,
            max_pivots: None,
        }
    }
}

impl Solver for FlowSolver {
    fn name(&self) -> &'static str {
        "flow"
    }

    fn solve(&self, net: &Network) -> Result<Solution, SolveError> {
        net.check()?;
        let sol = if self.reduce {
            let reduction = Reduction::new(net);
            reduction.expand(net, &self.simplex(&reduction.net)?)
        } else {
            self.simplex(net)?
        };
        verify(net, &sol)?;
        Ok(sol)
    }
}

impl FlowSolver {
    fn simplex(&self, net: &Network) -> Result<Solution, SolveError> {
        let mut s = Simplex::new(net);
        if self.warm_start {
            s.greedy_tree(net);
        } else {
            s.empty_tree();
        }
        let limit = self
            .max_pivots
            .unwrap_or(50 * (s.arcs() as u64 + s.nodes() as u64) + 1_000_000);
        let stats = s.run(limit)?;
        let mut sol = s.solution(net);
        sol.stats = stats;
        Ok(sol)
    }
}

/// The simplex state: arcs as parallel arrays, the spanning tree as LEMON's threaded index.
struct Simplex {
    n: usize,
    supply: Vec<i64>,
    // Arcs.
    source: Vec<u32>,
    target: Vec<u32>,
    cost: Vec<i64>,
    cap: Vec<i64>,
    flow: Vec<i64>,
    state: Vec<i8>,
    /// Network arc of each need → resource arc.
    original: Vec<u32>,
    /// Need → resource arcs come first; then `n` unserved arcs, then `m` capacity arcs.
    pair_arcs: usize,
    // Nodes.
    pi: Vec<i64>,
    parent: Vec<u32>,
    pred: Vec<u32>,
    pred_dir: Vec<i8>,
    thread: Vec<u32>,
    rev_thread: Vec<u32>,
    succ_num: Vec<u32>,
    last_succ: Vec<u32>,
    root: u32,
    // Pivot state.
    block: usize,
    next_arc: usize,
    dirty: Vec<u32>,
}

/// What one pivot changes.
struct Pivot {
    in_arc: usize,
    join: u32,
    u_in: u32,
    v_in: u32,
    u_out: u32,
    delta: i64,
    leaves: bool,
}

impl Simplex {
    fn new(net: &Network) -> Simplex {
        let (n, m) = (net.supply.len(), net.capacity.len());
        let root = (n + m) as u32;
        let mut s = Simplex {
            n,
            supply: net.supply.clone(),
            source: Vec::with_capacity(net.arcs() + n + m),
            target: Vec::with_capacity(net.arcs() + n + m),
            cost: Vec::with_capacity(net.arcs() + n + m),
            cap: Vec::new(),
            flow: Vec::new(),
            state: Vec::new(),
            original: Vec::with_capacity(net.arcs()),
            pair_arcs: 0,
            pi: vec![0; n + m + 1],
            parent: vec![NONE; n + m + 1],
            pred: vec![NONE; n + m + 1],
            pred_dir: vec![UP; n + m + 1],
            thread: vec![NONE; n + m + 1],
            rev_thread: vec![NONE; n + m + 1],
            succ_num: vec![1; n + m + 1],
            last_succ: vec![NONE; n + m + 1],
            root,
            block: 0,
            next_arc: 0,
            dirty: Vec::new(),
        };
        for i in 0..n {
            if net.supply[i] == 0 {
                continue;
            }
            for a in net.out(i) {
                let j = net.head[a] as usize;
                // Arcs into resources without capacity can never carry flow.
                if net.capacity[j] > 0 {
                    s.source.push(i as u32);
                    s.target.push((n + j) as u32);
                    s.cost.push(-net.value[a]);
                    s.original.push(a as u32);
                }
            }
        }
        s.pair_arcs = s.source.len();
        for i in 0..n {
            s.source.push(i as u32);
            s.target.push(root);
            s.cost.push(0);
        }
        for j in 0..m {
            s.source.push((n + j) as u32);
            s.target.push(root);
            s.cost.push(0);
        }
        let e = s.source.len();
        s.cap = vec![INF; e];
        for (j, &c) in net.capacity.iter().enumerate() {
            s.cap[s.pair_arcs + n + j] = c;
        }
        s.flow = vec![0; e];
        s.state = vec![LOWER; e];
        s.block = ((e as f64).sqrt() * BLOCK_FACTOR) as usize;
        s.block = s.block.max(10);
        s
    }

    fn arcs(&self) -> usize {
        self.source.len()
    }

    fn nodes(&self) -> usize {
        self.pi.len()
    }

    fn unserved_arc(&self, i: usize) -> usize {
        self.pair_arcs + i
    }

    fn capacity_arc(&self, j: usize) -> usize {
        self.pair_arcs + self.n + j
    }

    /// The tree that serves nothing: every need sends its supply to `T` unserved.
    fn empty_tree(&mut self) {
        let supply: Vec<i64> = (0..self.n).map(|i| self.supply_of(i)).collect();
        let parent_arc: Vec<usize> = (0..self.nodes() - 1)
            .map(|v| {
                if v < self.n {
                    self.unserved_arc(v)
                } else {
                    self.capacity_arc(v - self.n)
                }
            })
            .collect();
        for (i, &q) in supply.iter().enumerate() {
            let a = self.unserved_arc(i);
            self.flow[a] = q;
        }
        self.install_tree(&parent_arc);
    }

    fn supply_of(&self, i: usize) -> i64 {
        self.supply[i]
    }

    /// Serves greedily by value (ties by arc order), then spans the greedy forest into a
    /// strongly feasible tree: each component hangs from `T` by its one node not at a bound
    /// (or by a need's unserved arc), its arcs all carry positive flow.
    fn greedy_tree(&mut self, net: &Network) {
        let (n, m) = (self.n, self.nodes() - 1 - self.n);
        let mut order: Vec<u32> = (0..self.pair_arcs as u32).collect();
        order.sort_by_key(|&a| (self.cost[a as usize], a));
        let mut left: Vec<i64> = (0..n).map(|i| self.supply_of(i)).collect();
        let mut room: Vec<i64> = net.capacity.clone();
        let mut used: Vec<bool> = vec![false; self.pair_arcs];
        for &a in &order {
            let a = a as usize;
            let (i, j) = (self.source[a] as usize, self.target[a] as usize - n);
            let x = left[i].min(room[j]);
            if x > 0 {
                self.flow[a] = x;
                left[i] -= x;
                room[j] -= x;
                used[a] = true;
            }
        }
        // Adjacency of the greedy forest.
        let mut deg = vec![0u32; n + m + 1];
        for a in (0..self.pair_arcs).filter(|&a| used[a]) {
            deg[self.source[a] as usize + 1] += 1;
            deg[self.target[a] as usize + 1] += 1;
        }
        for v in 1..deg.len() {
            deg[v] += deg[v - 1];
        }
        let mut adj = vec![0u32; deg[n + m] as usize];
        let mut fill = deg.clone();
        for a in (0..self.pair_arcs).filter(|&a| used[a]) {
            for v in [self.source[a], self.target[a]] {
                adj[fill[v as usize] as usize] = a as u32;
                fill[v as usize] += 1;
            }
        }
        // Per component: find its free node, then hang the component from it.
        let mut parent_arc = vec![usize::MAX; n + m];
        let mut seen = vec![false; n + m];
        let mut comp = Vec::new();
        for start in 0..n + m {
            if seen[start] {
                continue;
            }
            comp.clear();
            comp.push(start as u32);
            seen[start] = true;
            let mut k = 0;
            while k < comp.len() {
                let v = comp[k] as usize;
                k += 1;
                for &a in &adj[deg[v] as usize..deg[v + 1] as usize] {
                    let w = (self.source[a as usize] + self.target[a as usize]) as usize - v;
                    if !seen[w] {
                        seen[w] = true;
                        comp.push(w as u32);
                    }
                }
            }
            let free = |v: usize| {
                if v < n {
                    left[v] > 0
                } else {
                    room[v - n] > 0 && room[v - n] < net.capacity[v - n]
                }
            };
            let hang = comp
                .iter()
                .map(|&v| v as usize)
                .find(|&v| free(v))
                .or_else(|| comp.iter().map(|&v| v as usize).find(|&v| v < n))
                .unwrap_or(start);
            parent_arc[hang] = if hang < n {
                self.unserved_arc(hang)
            } else {
                self.capacity_arc(hang - n)
            };
            // Orient the component away from `hang`.
            let mut stack = vec![hang as u32];
            while let Some(v) = stack.pop() {
                let v = v as usize;
                for &a in &adj[deg[v] as usize..deg[v + 1] as usize] {
                    let w = (self.source[a as usize] + self.target[a as usize]) as usize - v;
                    if w != hang && parent_arc[w] == usize::MAX {
                        parent_arc[w] = a as usize;
                        stack.push(w as u32);
                    }
                }
            }
        }
        for (i, &l) in left.iter().enumerate() {
            let a = self.unserved_arc(i);
            self.flow[a] = l;
        }
        for (j, (&c, &r)) in net.capacity.iter().zip(&room).enumerate() {
            let a = self.capacity_arc(j);
            self.flow[a] = c - r;
            if c > 0 && r == 0 {
                self.state[a] = UPPER;
            }
        }
        self.install_tree(&parent_arc);
    }

    /// Installs the spanning tree given by each non-root node's parent arc: parents,
    /// directions, the preorder thread, subtree sizes, last successors and potentials.
    fn install_tree(&mut self, parent_arc: &[usize]) {
        let nodes = self.nodes();
        let root = self.root as usize;
        let mut child_start = vec![0u32; nodes + 1];
        for (v, &a) in parent_arc.iter().enumerate() {
            let p = (self.source[a] + self.target[a]) as usize - v;
            self.parent[v] = p as u32;
            self.pred[v] = a as u32;
            self.pred_dir[v] = if self.source[a] as usize == v {
                UP
            } else {
                DOWN
            };
            self.state[a] = TREE;
            child_start[p + 1] += 1;
        }
        for v in 1..=nodes {
            child_start[v] += child_start[v - 1];
        }
        let mut children = vec![0u32; nodes - 1];
        let mut fill = child_start.clone();
        for v in 0..nodes - 1 {
            let p = self.parent[v] as usize;
            children[fill[p] as usize] = v as u32;
            fill[p] += 1;
        }
        // Preorder by an explicit stack; potentials follow parents (tree arcs have zero
        // reduced cost: cost + pi[source] − pi[target] = 0).
        self.parent[root] = NONE;
        self.pi[root] = 0;
        let mut order = Vec::with_capacity(nodes);
        let mut stack = vec![self.root];
        while let Some(v) = stack.pop() {
            let v = v as usize;
            if v != root {
                let (a, p) = (self.pred[v] as usize, self.parent[v] as usize);
                self.pi[v] = self.pi[p] - i64::from(self.pred_dir[v]) * self.cost[a];
            }
            order.push(v as u32);
            let kids = &children[child_start[v] as usize..child_start[v + 1] as usize];
            stack.extend(kids.iter().rev());
        }
        for k in 0..nodes {
            let (v, w) = (order[k], order[(k + 1) % nodes]);
            self.thread[v as usize] = w;
            self.rev_thread[w as usize] = v;
        }
        for &v in order.iter().rev() {
            let v = v as usize;
            let kids = &children[child_start[v] as usize..child_start[v + 1] as usize];
            self.succ_num[v] = 1 + kids.iter().map(|&c| self.succ_num[c as usize]).sum::<u32>();
            self.last_succ[v] = kids
                .last()
                .map_or(v as u32, |&c| self.last_succ[c as usize]);
        }
    }

    /// Block search (LEMON's default rule): scan blocks of about √arcs arcs from where the last
    /// search stopped, and take the most negative reduced cost of the first block that has one.
    fn entering_arc(&mut self) -> Option<usize> {
        let e = self.arcs();
        let mut best = 0i64;
        let mut chosen = None;
        let mut count = self.block;
        let mut k = self.next_arc;
        for _ in 0..e {
            let c = i64::from(self.state[k])
                * (self.cost[k] + self.pi[self.source[k] as usize]
                    - self.pi[self.target[k] as usize]);
            if c < best {
                best = c;
                chosen = Some(k);
            }
            k += 1;
            if k == e {
                k = 0;
            }
            count -= 1;
            if count == 0 {
                if chosen.is_some() {
                    break;
                }
                count = self.block;
            }
        }
        self.next_arc = k;
        chosen
    }

    fn join(&self, mut u: u32, mut v: u32) -> u32 {
        while u != v {
            if self.succ_num[u as usize] < self.succ_num[v as usize] {
                u = self.parent[u as usize];
            } else {
                v = self.parent[v as usize];
            }
        }
        u
    }

    /// The leaving arc by the strongly feasible rule: along the cycle's orientation, the
    /// first blocking arc on the path from `first` and the last on the path from `second`.
    fn leaving_arc(&self, in_arc: usize) -> Pivot {
        let (s, t) = (self.source[in_arc], self.target[in_arc]);
        let (first, second) = if self.state[in_arc] == LOWER {
            (s, t)
        } else {
            (t, s)
        };
        let join = self.join(s, t);
        let mut delta = self.cap[in_arc];
        let mut result = 0;
        let mut u_out = NONE;
        let mut u = first;
        while u != join {
            let e = self.pred[u as usize] as usize;
            let d = if self.pred_dir[u as usize] == DOWN {
                self.cap[e] - self.flow[e]
            } else {
                self.flow[e]
            };
            if d < delta {
                delta = d;
                u_out = u;
                result = 1;
            }
            u = self.parent[u as usize];
        }
        let mut u = second;
        while u != join {
            let e = self.pred[u as usize] as usize;
            let d = if self.pred_dir[u as usize] == UP {
                self.cap[e] - self.flow[e]
            } else {
                self.flow[e]
            };
            if d <= delta {
                delta = d;
                u_out = u;
                result = 2;
            }
            u = self.parent[u as usize];
        }
        let (u_in, v_in) = if result == 1 {
            (first, second)
        } else {
            (second, first)
        };
        Pivot {
            in_arc,
            join,
            u_in,
            v_in,
            u_out,
            delta,
            leaves: result != 0,
        }
    }

    fn change_flow(&mut self, p: &Pivot) {
        if p.delta > 0 {
            let val = i64::from(self.state[p.in_arc]) * p.delta;
            self.flow[p.in_arc] += val;
            let mut u = self.source[p.in_arc];
            while u != p.join {
                let e = self.pred[u as usize] as usize;
                self.flow[e] -= i64::from(self.pred_dir[u as usize]) * val;
                u = self.parent[u as usize];
            }
            let mut u = self.target[p.in_arc];
            while u != p.join {
                let e = self.pred[u as usize] as usize;
                self.flow[e] += i64::from(self.pred_dir[u as usize]) * val;
                u = self.parent[u as usize];
            }
        }
        if p.leaves {
            self.state[p.in_arc] = TREE;
            let out = self.pred[p.u_out as usize] as usize;
            self.state[out] = if self.flow[out] == 0 { LOWER } else { UPPER };
        } else {
            self.state[p.in_arc] = -self.state[p.in_arc];
        }
    }

    /// Re-hangs the subtree of `u_out` from `v_in` through the entering arc (LEMON's update of
    /// the threaded index along the stem from `u_in` to `u_out`).
    fn update_tree(&mut self, p: &Pivot) {
        let (u_in, v_in, u_out, join) =
            (p.u_in as usize, p.v_in as usize, p.u_out as usize, p.join);
        let old_rev_thread = self.rev_thread[u_out] as usize;
        let old_succ_num = self.succ_num[u_out];
        let old_last_succ = self.last_succ[u_out];
        let v_out = self.parent[u_out];
        let in_dir = if self.source[p.in_arc] as usize == u_in {
            UP
        } else {
            DOWN
        };

        if u_in == u_out {
            self.parent[u_in] = v_in as u32;
            self.pred[u_in] = p.in_arc as u32;
            self.pred_dir[u_in] = in_dir;
            if self.thread[v_in] as usize != u_out {
                let after = self.thread[old_last_succ as usize];
                self.thread[old_rev_thread] = after;
                self.rev_thread[after as usize] = old_rev_thread as u32;
                let after = self.thread[v_in];
                self.thread[v_in] = u_out as u32;
                self.rev_thread[u_out] = v_in as u32;
                self.thread[old_last_succ as usize] = after;
                self.rev_thread[after as usize] = old_last_succ;
            }
        } else {
            let thread_continue = if old_rev_thread == v_in {
                self.thread[old_last_succ as usize]
            } else {
                self.thread[v_in]
            };
            let mut stem = u_in;
            let mut par_stem = v_in;
            let mut last = self.last_succ[u_in] as usize;
            let mut after = self.thread[last];
            self.thread[v_in] = u_in as u32;
            self.dirty.clear();
            self.dirty.push(v_in as u32);
            while stem != u_out {
                let next_stem = self.parent[stem] as usize;
                self.thread[last] = next_stem as u32;
                self.dirty.push(last as u32);
                let before = self.rev_thread[stem];
                self.thread[before as usize] = after;
                self.rev_thread[after as usize] = before;
                self.parent[stem] = par_stem as u32;
                par_stem = stem;
                stem = next_stem;
                last = if self.last_succ[stem] == self.last_succ[par_stem] {
                    self.rev_thread[par_stem] as usize
                } else {
                    self.last_succ[stem] as usize
                };
                after = self.thread[last];
            }
            self.parent[u_out] = par_stem as u32;
            self.thread[last] = thread_continue;
            self.rev_thread[thread_continue as usize] = last as u32;
            self.last_succ[u_out] = last as u32;
            if old_rev_thread != v_in {
                self.thread[old_rev_thread] = after;
                self.rev_thread[after as usize] = old_rev_thread as u32;
            }
            for k in 0..self.dirty.len() {
                let u = self.dirty[k] as usize;
                let t = self.thread[u] as usize;
                self.rev_thread[t] = u as u32;
            }
            let mut tmp_sc = 0u32;
            let tmp_ls = self.last_succ[u_out];
            let mut u = u_out;
            while u != u_in {
                let par = self.parent[u] as usize;
                self.pred[u] = self.pred[par];
                self.pred_dir[u] = -self.pred_dir[par];
                tmp_sc = tmp_sc.wrapping_add(self.succ_num[u].wrapping_sub(self.succ_num[par]));
                self.succ_num[u] = tmp_sc;
                self.last_succ[par] = tmp_ls;
                u = par;
            }
            self.pred[u_in] = p.in_arc as u32;
            self.pred_dir[u_in] = in_dir;
            self.succ_num[u_in] = old_succ_num;
        }

        let up_limit_out = if self.last_succ[join as usize] as usize == v_in {
            join
        } else {
            NONE
        };
        let last_succ_out = self.last_succ[u_out];
        let mut u = v_in as u32;
        while u != NONE && self.last_succ[u as usize] as usize == v_in {
            self.last_succ[u as usize] = last_succ_out;
            u = self.parent[u as usize];
        }
        if join as usize != old_rev_thread && v_in != old_rev_thread {
            let mut u = v_out;
            while u != up_limit_out && self.last_succ[u as usize] == old_last_succ {
                self.last_succ[u as usize] = old_rev_thread as u32;
                u = self.parent[u as usize];
            }
        } else if last_succ_out != old_last_succ {
            let mut u = v_out;
            while u != up_limit_out && self.last_succ[u as usize] == old_last_succ {
                self.last_succ[u as usize] = last_succ_out;
                u = self.parent[u as usize];
            }
        }
        let mut u = v_in as u32;
        while u != join {
            self.succ_num[u as usize] += old_succ_num;
            u = self.parent[u as usize];
        }
        let mut u = v_out;
        while u != join {
            self.succ_num[u as usize] -= old_succ_num;
            u = self.parent[u as usize];
        }
    }

    /// Shifts potentials so that the entering arc has reduced cost 0: those of the moved
    /// subtree by `sigma`, or, when the subtree holds more than half the nodes, all the others
    /// by `−sigma` (only differences of potentials matter). The subtree is one stretch of the
    /// thread, so either side is a walk along it.
    fn update_potentials(&mut self, p: &Pivot) {
        let u_in = p.u_in as usize;
        let sigma = self.pi[p.v_in as usize]
            - self.pi[u_in]
            - i64::from(self.pred_dir[u_in]) * self.cost[p.in_arc];
        let after = self.thread[self.last_succ[u_in] as usize];
        let (mut u, end, shift) = if 2 * self.succ_num[u_in] as usize <= self.nodes() {
            (p.u_in, after, sigma)
        } else {
            (after, p.u_in, -sigma)
        };
        while u != end {
            self.pi[u as usize] += shift;
            u = self.thread[u as usize];
        }
    }

    fn run(&mut self, limit: u64) -> Result<Stats, SolveError> {
        let mut stats = Stats::default();
        let mut streak = 0;
        while let Some(in_arc) = self.entering_arc() {
            if stats.pivots == limit {
                return Err(SolveError::LimitReached("network simplex pivot limit"));
            }
            stats.pivots += 1;
            let p = self.leaving_arc(in_arc);
            if p.delta >= INF {
                // Cannot happen: every cycle passes an arc bounded by a finite supply.
                return Err(SolveError::Unverified("unbounded cycle".into()));
            }
            if p.delta == 0 {
                stats.degenerate += 1;
                streak += 1;
                stats.longest_degenerate_streak = stats.longest_degenerate_streak.max(streak);
            } else {
                streak = 0;
            }
            self.change_flow(&p);
            if p.leaves {
                self.update_tree(&p);
                self.update_potentials(&p);
            }
        }
        Ok(stats)
    }

    /// Reads flows and LP duals (normalised so that the sink's potential is 0).
    fn solution(&self, net: &Network) -> Solution {
        let mut flow = vec![0i64; net.arcs()];
        for (k, &a) in self.original.iter().enumerate() {
            flow[a as usize] = self.flow[k];
        }
        let objective = flow.iter().zip(&net.value).map(|(x, v)| x * v).sum();
        let t = self.pi[self.root as usize];
        let n = self.n;
        let mut left: Vec<i64> = (0..n).map(|i| self.pi[i] - t).collect();
        let mut right: Vec<i64> = (0..net.capacity.len())
            .map(|j| (t - self.pi[n + j]).max(0))
            .collect();
        // Nodes without supply or capacity had their arcs left out of the simplex.
        complete_duals(
            net,
            &mut left,
            &mut right,
            |i| net.supply[i] > 0,
            |j| net.capacity[j] > 0,
        );
        Solution {
            flow,
            objective,
            duals: Some(Duals {
                left,
                right,
                group: Vec::new(),
            }),
            stats: Stats::default(),
        }
    }
}
