//! The exact flow solver: a primal network simplex with candidate-list pricing, strongly
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
//!
//! The layout is lean. A need's arcs are one run of a compressed list, its unserved arc to `T`
//! last, so pricing walks needs in order and reads only each arc's head and cost (8 bytes, as
//! costs are kept in 32 bits whenever every value fits, as for every validated instance):
//! these arcs are uncapacitated, so outside the tree they sit at zero flow and need no state,
//! and inside it their reduced cost is exactly 0. Flows live on the nodes (the flow on each
//! node's tree arc); only the capacity arcs keep a state. The network's own arrays are taken
//! over and given back, so the simplex adds little beyond the tree, and the answer is the
//! tree's flowing arcs, not a vector over all arcs. Every few pivots, when the
//! potential updates have walked many nodes, the nodes are renumbered in thread order: a moved
//! subtree is a stretch of the thread, and after renumbering it is mostly a stretch of memory.

use super::reduce::{Reduction, TreeSolution};
use super::{complete_duals, verify, Duals, Network, Solution, SolveError, Solver, Stats};

const NONE: u32 = u32::MAX;
/// Block length for pricing, as a multiple of √arcs, and how many candidates pricing keeps, as
/// a fraction of the block. LEMON uses 1.0 and 0.01. On the generated district and hard
/// district (reduced and not) 0.15 and 0.1 scan and walk 8–35% fewer arcs and nodes than
/// plain block search at 0.3, which was the best block search.
const BLOCK_FACTOR: f64 = 0.15;
const HEAD_FACTOR: f64 = 0.1;
/// A search that has found some candidates stops after this many blocks even when it has
/// fewer than it keeps: near the optimum few arcs may enter, and searching on for more scanned
/// most of the network per pivot (30% fewer arcs scanned on the hard district).
const MAX_BLOCKS: usize = 20;
/// Renumber the nodes in thread order once the potential updates since the last renumbering
/// have walked this many times the size of the tree and arc arrays (a renumbering rewrites
/// every arc's head).
const RENUMBER_AFTER: u64 = 2;
/// Capacity of uncapacitated arcs: larger than any total supply that passes `Network::check`.
const INF: i64 = i64::MAX / 2;
const UP: i8 = 1;
const DOWN: i8 = -1;
const LOWER: i8 = 1;
const TREE: i8 = 0;
const UPPER: i8 = -1;
/// Capacity arcs are priced in chunks of this many, after the needs' runs.
const CHUNK: usize = 64;

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
        // Arcs, unserved arcs and capacity arcs are numbered in `u32`.
        if net.arcs() + net.supply.len() + net.capacity.len() >= NONE as usize {
            return Err(SolveError::LimitReached(
                "more arcs than 32-bit indices hold",
            ));
        }
        let sol = if self.reduce {
            let mut reduction = Reduction::new(net);
            let (reduced, sol) = self.simplex(std::mem::take(&mut reduction.net))?;
            reduction.net = reduced;
            reduction.expand(net, sol)
        } else {
            self.unreduced(net)?
        };
        verify(net, &sol)?;
        Ok(sol)
    }
}

impl FlowSolver {
    /// Solves a copy of `net` without the arcs that can never carry flow (from needs without
    /// supply, into resources without capacity) and maps the answer back.
    fn unreduced(&self, net: &Network) -> Result<Solution, SolveError> {
        let mut copy = Network {
            supply: net.supply.clone(),
            capacity: net.capacity.clone(),
            start: Vec::with_capacity(net.supply.len() + 1),
            head: Vec::new(),
            value: Vec::new(),
            runs: net.runs.clone(),
            run_start: net.run_start.clone(),
            group: net.group.clone(),
            floors: net.floors.clone(),
        };
        let mut original = Vec::new();
        copy.start.push(0);
        for i in 0..net.supply.len() {
            for a in net.out(i) {
                if net.supply[i] > 0 && net.capacity[net.head[a] as usize] > 0 {
                    copy.head.push(net.head[a]);
                    copy.value.push(net.value[a]);
                    original.push(a);
                }
            }
            copy.start.push(copy.head.len() as u32);
        }
        let (_, sol) = self.simplex(copy)?;
        let mut flow = vec![0; net.arcs()];
        for &(k, x) in &sol.flow {
            flow[original[k as usize]] = x;
        }
        let mut d = sol.duals;
        complete_duals(net, &mut d, |i| net.supply[i] > 0, |j| net.capacity[j] > 0);
        let objective = net.objective(&flow);
        Ok(Solution {
            flow,
            objective,
            duals: Some(d),
            stats: sol.stats,
        })
    }

    /// Solves `net`, giving it back unchanged together with an optimal solution; costs are
    /// kept in 32 bits when every value fits.
    fn simplex(&self, net: Network) -> Result<(Network, TreeSolution), SolveError> {
        let narrow = net
            .value
            .iter()
            .all(|&v| v.unsigned_abs() <= i32::MAX as u64);
        if narrow {
            self.run(Simplex::<i32>::new(net))
        } else {
            self.run(Simplex::<i64>::new(net))
        }
    }

    fn run<C: Cost>(&self, mut s: Simplex<C>) -> Result<(Network, TreeSolution), SolveError> {
        if self.warm_start && !s.terms.has_terms() {
            s.greedy_tree();
        } else {
            s.empty_tree();
        }
        let limit = self
            .max_pivots
            .unwrap_or(50 * (s.arcs() as u64 + s.nodes() as u64) + 1_000_000);
        let stats = s.run(limit)?;
        let (net, mut sol) = s.finish();
        sol.stats = stats;
        Ok((net, sol))
    }
}

/// How the simplex stores a cost: `i32` when every value fits (with its head, 8 bytes an arc
/// for pricing to read instead of 12), else `i64`.
trait Cost: Copy + Default + Into<i64> + TryFrom<i64> {}
impl Cost for i32 {}
impl Cost for i64 {}

/// The simplex state: arcs in compressed runs per need, the spanning tree as LEMON's threaded
/// index over node numbers that change when the nodes are renumbered.
struct Simplex<C> {
    n: usize,
    supply: Vec<i64>,
    capacity: Vec<i64>,
    /// The network's runs, groups and floors (its other parts empty), given back as they came.
    terms: Network,
    // Arcs. Run `first[i]..first[i + 1]` holds need i's arcs to resources, then its unserved
    // arc to its group's node, or to T; arcs `csr + b` are the bounded arcs into T: each
    // resource's (one per run with units, or one for its capacity), then each group's two.
    first: Vec<u32>,
    /// Head of each arc in the run, as a current node number.
    head: Vec<u32>,
    /// Cost of each arc in the run (−value; 0 for unserved arcs).
    cost: Vec<C>,
    /// Original tail node of each bounded arc (a resource or a group).
    bound_tail: Vec<u32>,
    /// Capacity of each bounded arc.
    bound_cap: Vec<i64>,
    /// Cost of each bounded arc (−delta of a run; 0 or the bonus for a group).
    bound_cost: Vec<i64>,
    /// First bounded arc of each resource and group (`m + groups + 1` offsets).
    bound_start: Vec<u32>,
    /// State of each bounded arc: `LOWER`, `TREE` or `UPPER`.
    cap_state: Vec<i8>,
    /// Number of arcs in the runs (`first[n]`).
    csr: usize,
    /// Current node number of each original node (needs, resources, T).
    label: Vec<u32>,
    // Nodes, by current number.
    pi: Vec<i64>,
    parent: Vec<u32>,
    pred: Vec<u32>,
    pred_dir: Vec<i8>,
    /// Flow on each node's tree arc.
    pred_flow: Vec<i64>,
    thread: Vec<u32>,
    rev_thread: Vec<u32>,
    succ_num: Vec<u32>,
    last_succ: Vec<u32>,
    root: u32,
    // Pivot state.
    block: usize,
    /// Candidates kept between searches: (reduced cost, arc, run).
    candidates: Vec<(i64, u32, u32)>,
    /// How many candidates a search must know, and keeps.
    list: usize,
    /// The next run to price: needs `0..n`, then chunks of capacity arcs.
    next_run: usize,
    dirty: Vec<u32>,
    /// Nodes walked by potential updates since the last renumbering.
    walked: u64,
    /// Renumber when `walked` passes this.
    renumber_at: u64,
}

/// An entering arc with its ends (current node numbers).
#[derive(Clone, Copy)]
struct Entering {
    arc: u32,
    source: u32,
    target: u32,
}

/// What one pivot changes.
struct Pivot {
    arc: Entering,
    state: i8,
    join: u32,
    u_in: u32,
    v_in: u32,
    u_out: u32,
    delta: i64,
    leaves: bool,
}

impl<C: Cost> Simplex<C> {
    /// Takes the network over: each need's run gets its unserved arc appended in place, heads
    /// become node numbers and values become costs. [`Simplex::finish`] undoes all of it.
    fn new(net: Network) -> Simplex<C> {
        let Network {
            supply,
            capacity,
            start,
            mut head,
            value,
            runs,
            run_start,
            group,
            floors,
        } = net;
        let terms = Network {
            runs,
            run_start,
            group,
            floors,
            ..Network::default()
        };
        let (n, m, groups) = (supply.len(), capacity.len(), terms.floors.len());
        let nodes = n + m + groups + 1;
        let root = (n + m + groups) as u32;
        let csr = head.len() + n;
        // Bounded arcs into T: a resource's runs (cost −delta), or its capacity at cost 0; a
        // group's unserved units beyond `demand − floor` cost the bonus each (first arc,
        // uncapacitated: no more than `floor` can pass), the others nothing (second arc).
        let (mut bound_tail, mut bound_cap, mut bound_cost) = (Vec::new(), Vec::new(), Vec::new());
        let mut bound_start = Vec::with_capacity(m + groups + 1);
        bound_start.push(0u32);
        for j in 0..m {
            if let Some(&[lo, hi]) = terms.run_start.get(j..=j + 1) {
                for &(units, delta) in &terms.runs[lo as usize..hi as usize] {
                    if units > 0 {
                        bound_tail.push((n + j) as u32);
                        bound_cap.push(units);
                        bound_cost.push(-delta);
                    }
                }
            }
            if bound_tail.len() == bound_start[j] as usize {
                bound_tail.push((n + j) as u32);
                bound_cap.push(capacity[j]);
                bound_cost.push(0);
            }
            bound_start.push(bound_tail.len() as u32);
        }
        let mut demand = vec![0i64; groups];
        for (i, &s) in supply.iter().enumerate() {
            if let Some(g) = terms.group_of(i) {
                demand[g] += s;
            }
        }
        for (g, &(floor, bonus)) in terms.floors.iter().enumerate() {
            let v = (n + m + g) as u32;
            bound_tail.extend([v, v]);
            bound_cap.extend([INF, (demand[g] - floor).max(0)]);
            bound_cost.extend([bonus, 0]);
            bound_start.push(bound_tail.len() as u32);
        }
        let bounded = bound_tail.len();
        // Costs in the runs' order (`C` holds every −value: the caller checked).
        let mut cost: Vec<C> = Vec::with_capacity(csr);
        for i in 0..n {
            for &v in &value[start[i] as usize..start[i + 1] as usize] {
                cost.push(C::try_from(-v).unwrap_or_default());
            }
            cost.push(C::default());
        }
        drop(value);
        head.reserve_exact(n);
        head.resize(csr, 0);
        // Move each run up by its need's index, last need first, so nothing is overwritten.
        for i in (0..n).rev() {
            let (lo, hi) = (start[i] as usize, start[i + 1] as usize);
            head[hi + i] = terms.group_of(i).map_or(root, |g| (n + m + g) as u32);
            for a in (lo..hi).rev() {
                head[a + i] = n as u32 + head[a];
            }
        }
        let mut first = start;
        for (i, f) in first.iter_mut().enumerate() {
            *f += i as u32;
        }
        let block = (((csr + bounded) as f64).sqrt() * BLOCK_FACTOR) as usize;
        Simplex {
            n,
            supply,
            capacity,
            terms,
            first,
            head,
            cost,
            bound_tail,
            bound_cap,
            bound_cost,
            bound_start,
            cap_state: vec![LOWER; bounded],
            csr,
            label: (0..nodes as u32).collect(),
            pi: vec![0; nodes],
            parent: vec![NONE; nodes],
            pred: vec![NONE; nodes],
            pred_dir: vec![UP; nodes],
            pred_flow: vec![0; nodes],
            thread: vec![NONE; nodes],
            rev_thread: vec![NONE; nodes],
            succ_num: vec![1; nodes],
            last_succ: vec![NONE; nodes],
            root,
            block: block.max(10),
            candidates: Vec::new(),
            list: ((block as f64 * HEAD_FACTOR) as usize).max(3),
            next_run: 0,
            dirty: Vec::new(),
            walked: 0,
            renumber_at: RENUMBER_AFTER * (csr + bounded + nodes) as u64,
        }
    }

    fn arcs(&self) -> usize {
        self.csr + self.bound_cap.len()
    }

    fn nodes(&self) -> usize {
        self.pi.len()
    }

    fn m(&self) -> usize {
        self.capacity.len()
    }

    /// Number of bounded arcs.
    fn bounded(&self) -> usize {
        self.bound_cap.len()
    }

    /// The need whose run holds arc `k < csr`.
    fn need_of(&self, k: usize) -> usize {
        self.first.partition_point(|&f| f as usize <= k) - 1
    }

    fn unserved_arc(&self, i: usize) -> usize {
        self.first[i + 1] as usize - 1
    }

    /// The first bounded arc of resource or group node `v − n`.
    fn capacity_arc(&self, v: usize) -> usize {
        self.csr + self.bound_start[v] as usize
    }

    fn cap_of(&self, arc: u32) -> i64 {
        match (arc as usize).checked_sub(self.csr) {
            Some(b) => self.bound_cap[b],
            None => INF,
        }
    }

    fn cost_of(&self, arc: u32) -> i64 {
        match (arc as usize).checked_sub(self.csr) {
            Some(b) => self.bound_cost[b],
            None => self.cost[arc as usize].into(),
        }
    }

    /// Both ends of an arc, as current node numbers.
    fn ends(&self, arc: usize) -> (u32, u32) {
        if arc < self.csr {
            (self.label[self.need_of(arc)], self.head[arc])
        } else {
            (
                self.label[self.bound_tail[arc - self.csr] as usize],
                self.root,
            )
        }
    }

    /// The tree that serves nothing: every need sends its supply unserved, to `T` or to its
    /// group, and each group passes it on (its free arc full, outside the tree; the rest on
    /// its uncapacitated arc). Resources hang by their first bounded arc, empty.
    fn empty_tree(&mut self) {
        let (n, m) = (self.n, self.m());
        let mut flow: Vec<i64> = (0..self.nodes() - 1)
            .map(|v| if v < n { self.supply[v] } else { 0 })
            .collect();
        for i in 0..n {
            if let Some(g) = self.terms.group_of(i) {
                flow[n + m + g] += self.supply[i];
            }
        }
        for g in 0..self.terms.floors.len() {
            let free = self.capacity_arc(m + g) + 1 - self.csr;
            if self.bound_cap[free] > 0 {
                self.cap_state[free] = UPPER;
                flow[n + m + g] -= self.bound_cap[free];
            }
        }
        let parent_arc: Vec<usize> = (0..self.nodes() - 1)
            .map(|v| {
                if v < n {
                    self.unserved_arc(v)
                } else {
                    self.capacity_arc(v - n)
                }
            })
            .collect();
        self.install_tree(&parent_arc, &flow);
    }

    /// Serves greedily by value (ties by arc order), then spans the greedy forest into a
    /// strongly feasible tree: each component hangs from `T` by its one node not at a bound
    /// (or by a need's unserved arc), its arcs all carry positive flow.
    fn greedy_tree(&mut self) {
        let (n, m) = (self.n, self.m());
        let pair_arcs: Vec<u32> = (0..n)
            .flat_map(|i| self.first[i]..self.first[i + 1] - 1)
            .collect();
        let mut order = pair_arcs;
        order.sort_by_key(|&a| (self.cost[a as usize].into(), a));
        let mut left: Vec<i64> = self.supply.clone();
        let mut room: Vec<i64> = self.capacity.clone();
        let mut flow = vec![0i64; self.csr];
        let mut used: Vec<u32> = Vec::new();
        for &a in &order {
            let (i, j) = (self.need_of(a as usize), self.head[a as usize] as usize - n);
            let x = left[i].min(room[j]);
            if x > 0 {
                flow[a as usize] = x;
                left[i] -= x;
                room[j] -= x;
                used.push(a);
            }
        }
        // Adjacency of the greedy forest.
        let mut deg = vec![0u32; n + m + 1];
        for &a in &used {
            let (s, t) = self.ends(a as usize);
            deg[s as usize + 1] += 1;
            deg[t as usize + 1] += 1;
        }
        for v in 1..deg.len() {
            deg[v] += deg[v - 1];
        }
        let mut adj = vec![0u32; deg[n + m] as usize];
        let mut fill = deg.clone();
        for &a in &used {
            let (s, t) = self.ends(a as usize);
            for v in [s, t] {
                adj[fill[v as usize] as usize] = a;
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
                    let (s, t) = self.ends(a as usize);
                    let w = (s + t) as usize - v;
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
                    room[v - n] > 0 && room[v - n] < self.capacity[v - n]
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
                    let (s, t) = self.ends(a as usize);
                    let w = (s + t) as usize - v;
                    if w != hang && parent_arc[w] == usize::MAX {
                        parent_arc[w] = a as usize;
                        stack.push(w as u32);
                    }
                }
            }
        }
        for (i, &l) in left.iter().enumerate() {
            let a = self.unserved_arc(i);
            flow[a] = l;
        }
        for (j, &r) in room.iter().enumerate() {
            if r == 0 && self.capacity[j] > 0 {
                self.cap_state[j] = UPPER;
            }
        }
        let node_flow: Vec<i64> = parent_arc
            .iter()
            .enumerate()
            .map(|(v, &a)| {
                if a < self.csr {
                    flow[a]
                } else {
                    self.capacity[v - n] - room[v - n]
                }
            })
            .collect();
        self.install_tree(&parent_arc, &node_flow);
    }

    /// Installs the spanning tree given by each non-root node's parent arc and the flow on it:
    /// parents, directions, the preorder thread, subtree sizes, last successors and potentials.
    /// Node numbers are still the original ones.
    fn install_tree(&mut self, parent_arc: &[usize], flow: &[i64]) {
        let nodes = self.nodes();
        let root = self.root as usize;
        let mut child_start = vec![0u32; nodes + 1];
        for (v, &a) in parent_arc.iter().enumerate() {
            let (s, t) = self.ends(a);
            let p = (s + t) as usize - v;
            self.parent[v] = p as u32;
            self.pred[v] = a as u32;
            self.pred_dir[v] = if s as usize == v { UP } else { DOWN };
            self.pred_flow[v] = flow[v];
            if a >= self.csr {
                self.cap_state[a - self.csr] = TREE;
            }
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
                let (a, p) = (self.pred[v], self.parent[v] as usize);
                self.pi[v] = self.pi[p] - i64::from(self.pred_dir[v]) * self.cost_of(a);
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

    /// Reduced cost of `arc` in run `run` (a need, or a chunk of capacity arcs), signed so
    /// that below 0 means it may enter, with the arc and its ends.
    fn price(&self, arc: u32, run: u32) -> (i64, Entering) {
        let (n, arc_u) = (self.n, arc as usize);
        if (run as usize) < n {
            let source = self.label[run as usize];
            let t = self.head[arc_u];
            let c = self.cost[arc_u].into() + self.pi[source as usize] - self.pi[t as usize];
            (
                c,
                Entering {
                    arc,
                    source,
                    target: t,
                },
            )
        } else {
            let b = arc_u - self.csr;
            let v = self.label[self.bound_tail[b] as usize];
            let c = i64::from(self.cap_state[b])
                * (self.bound_cost[b] + self.pi[v as usize] - self.pi[self.root as usize]);
            let e = Entering {
                arc,
                source: v,
                target: self.root,
            };
            (c, e)
        }
    }

    /// Altering candidate list (LEMON's `ALTERING_LIST` rule) over runs: re-price the few best
    /// candidates kept from earlier searches, add every arc that may enter from needs' runs
    /// (and chunks of capacity arcs) scanned from where the last search stopped, block by
    /// block of about `block` arcs until `list` candidates are known (or some are, after
    /// `MAX_BLOCKS` blocks), enter the best and keep the next `list`.
    fn entering_arc(&mut self) -> Option<Entering> {
        let n = self.n;
        let runs = n + self.bounded().div_ceil(CHUNK);
        let keep = self.list + 1;
        let mut cands = std::mem::take(&mut self.candidates);
        cands.retain_mut(|c| {
            c.0 = self.price(c.1, c.2).0;
            c.0 < 0
        });
        // The best `keep` so far, best first (ties in the order found); once full, only arcs
        // below `bound`, the last one's reduced cost, can join.
        cands.sort_by_key(|c| c.0);
        let add = |cands: &mut Vec<(i64, u32, u32)>, bound: &mut i64, c: (i64, u32, u32)| {
            if cands.len() == keep {
                cands.pop();
            }
            let at = cands.partition_point(|x| x.0 <= c.0);
            cands.insert(at, c);
            if cands.len() == keep {
                *bound = cands[keep - 1].0;
            }
        };
        let mut bound = if cands.len() == keep {
            cands[keep - 1].0
        } else {
            0
        };
        let (mut count, mut blocks) = (0, 0);
        let mut r = self.next_run;
        for _ in 0..runs {
            if r < n {
                let (lo, hi) = (self.first[r] as usize, self.first[r + 1] as usize);
                let pi_s = self.pi[self.label[r] as usize];
                let (heads, costs) = (&self.head[lo..hi], &self.cost[lo..hi]);
                for (k, (&t, &c)) in heads.iter().zip(costs).enumerate() {
                    let c = c.into() + pi_s - self.pi[t as usize];
                    if c < bound {
                        add(&mut cands, &mut bound, (c, (lo + k) as u32, r as u32));
                    }
                }
                count += hi - lo;
            } else {
                let lo = (r - n) * CHUNK;
                let hi = (lo + CHUNK).min(self.bounded());
                let pi_t = self.pi[self.root as usize];
                for b in lo..hi {
                    let v = self.label[self.bound_tail[b] as usize];
                    let c = i64::from(self.cap_state[b])
                        * (self.bound_cost[b] + self.pi[v as usize] - pi_t);
                    if c < bound {
                        add(&mut cands, &mut bound, (c, (self.csr + b) as u32, r as u32));
                    }
                }
                count += hi - lo;
            }
            r += 1;
            if r == runs {
                r = 0;
            }
            if count >= self.block {
                blocks += 1;
                if cands.len() >= self.list || (!cands.is_empty() && blocks >= MAX_BLOCKS) {
                    break;
                }
                count = 0;
            }
        }
        self.next_run = r;
        let entering = (!cands.is_empty()).then(|| {
            let (_, arc, run) = cands.remove(0);
            self.price(arc, run).1
        });
        self.candidates = cands;
        entering
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
    fn leaving_arc(&self, e: Entering) -> Pivot {
        let state = match (e.arc as usize).checked_sub(self.csr) {
            Some(j) => self.cap_state[j],
            None => LOWER,
        };
        let (first, second) = if state == LOWER {
            (e.source, e.target)
        } else {
            (e.target, e.source)
        };
        let join = self.join(e.source, e.target);
        let mut delta = self.cap_of(e.arc);
        let mut result = 0;
        let mut u_out = NONE;
        let mut u = first;
        while u != join {
            let x = self.pred_flow[u as usize];
            let d = if self.pred_dir[u as usize] == DOWN {
                self.cap_of(self.pred[u as usize]) - x
            } else {
                x
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
            let x = self.pred_flow[u as usize];
            let d = if self.pred_dir[u as usize] == UP {
                self.cap_of(self.pred[u as usize]) - x
            } else {
                x
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
            arc: e,
            state,
            join,
            u_in,
            v_in,
            u_out,
            delta,
            leaves: result != 0,
        }
    }

    /// Moves `delta` units around the cycle and returns the entering arc's new flow.
    fn change_flow(&mut self, p: &Pivot) -> i64 {
        let old = if p.state == UPPER {
            self.cap_of(p.arc.arc)
        } else {
            0
        };
        let val = i64::from(p.state) * p.delta;
        if p.delta > 0 {
            let mut u = p.arc.source;
            while u != p.join {
                self.pred_flow[u as usize] -= i64::from(self.pred_dir[u as usize]) * val;
                u = self.parent[u as usize];
            }
            let mut u = p.arc.target;
            while u != p.join {
                self.pred_flow[u as usize] += i64::from(self.pred_dir[u as usize]) * val;
                u = self.parent[u as usize];
            }
        }
        let entering_capacity = (p.arc.arc as usize).checked_sub(self.csr);
        if p.leaves {
            if let Some(j) = entering_capacity {
                self.cap_state[j] = TREE;
            }
            let out = self.pred[p.u_out as usize] as usize;
            if let Some(j) = out.checked_sub(self.csr) {
                self.cap_state[j] = if self.pred_flow[p.u_out as usize] == 0 {
                    LOWER
                } else {
                    UPPER
                };
            }
        } else if let Some(j) = entering_capacity {
            self.cap_state[j] = -self.cap_state[j];
        }
        old + val
    }

    /// Re-hangs the subtree of `u_out` from `v_in` through the entering arc (LEMON's update of
    /// the threaded index along the stem from `u_in` to `u_out`); tree arcs and their flows
    /// move down the stem with it.
    fn update_tree(&mut self, p: &Pivot, in_flow: i64) {
        let (u_in, v_in, u_out, join) =
            (p.u_in as usize, p.v_in as usize, p.u_out as usize, p.join);
        let old_rev_thread = self.rev_thread[u_out] as usize;
        let old_succ_num = self.succ_num[u_out];
        let old_last_succ = self.last_succ[u_out];
        let v_out = self.parent[u_out];
        let in_dir = if p.arc.source as usize == u_in {
            UP
        } else {
            DOWN
        };

        if u_in == u_out {
            self.parent[u_in] = v_in as u32;
            self.pred[u_in] = p.arc.arc;
            self.pred_dir[u_in] = in_dir;
            self.pred_flow[u_in] = in_flow;
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
                self.pred_flow[u] = self.pred_flow[par];
                tmp_sc = tmp_sc.wrapping_add(self.succ_num[u].wrapping_sub(self.succ_num[par]));
                self.succ_num[u] = tmp_sc;
                self.last_succ[par] = tmp_ls;
                u = par;
            }
            self.pred[u_in] = p.arc.arc;
            self.pred_dir[u_in] = in_dir;
            self.pred_flow[u_in] = in_flow;
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
            - i64::from(self.pred_dir[u_in]) * self.cost_of(p.arc.arc);
        let after = self.thread[self.last_succ[u_in] as usize];
        let (mut u, end, shift) = if 2 * self.succ_num[u_in] as usize <= self.nodes() {
            (p.u_in, after, sigma)
        } else {
            (after, p.u_in, -sigma)
        };
        let mut walked = 0;
        while u != end {
            // Along a stretch of consecutive numbers (what renumbering makes), go on to the
            // next number without waiting for the thread to say so.
            let mut v = u as usize;
            loop {
                self.pi[v] += shift;
                walked += 1;
                let next = self.thread[v];
                if next as usize != v + 1 || next == end {
                    u = next;
                    break;
                }
                v += 1;
            }
        }
        self.walked += walked;
    }

    /// Renumbers the nodes in thread order (the root becomes 0), so that a walk along the
    /// thread reads consecutive memory until pivots shuffle it again.
    fn renumber(&mut self) {
        let nodes = self.nodes();
        let mut order = Vec::with_capacity(nodes);
        let mut v = self.root;
        for _ in 0..nodes {
            order.push(v);
            v = self.thread[v as usize];
        }
        let mut new = vec![0u32; nodes];
        for (k, &v) in order.iter().enumerate() {
            new[v as usize] = k as u32;
        }
        let map = |x: u32| if x == NONE { NONE } else { new[x as usize] };
        fn permute<T: Copy>(order: &[u32], a: &mut Vec<T>, f: impl Fn(T) -> T) {
            *a = order.iter().map(|&v| f(a[v as usize])).collect();
        }
        permute(&order, &mut self.pi, |x| x);
        permute(&order, &mut self.parent, map);
        permute(&order, &mut self.pred, |x| x);
        permute(&order, &mut self.pred_dir, |x| x);
        permute(&order, &mut self.pred_flow, |x| x);
        permute(&order, &mut self.thread, map);
        permute(&order, &mut self.rev_thread, map);
        permute(&order, &mut self.succ_num, |x| x);
        permute(&order, &mut self.last_succ, map);
        self.root = new[self.root as usize];
        for h in &mut self.head {
            *h = new[*h as usize];
        }
        for l in &mut self.label {
            *l = new[*l as usize];
        }
    }

    fn run(&mut self, limit: u64) -> Result<Stats, SolveError> {
        let mut stats = Stats::default();
        let mut streak = 0;
        while let Some(e) = self.entering_arc() {
            if stats.pivots == limit {
                return Err(SolveError::LimitReached("network simplex pivot limit"));
            }
            stats.pivots += 1;
            let p = self.leaving_arc(e);
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
            let in_flow = self.change_flow(&p);
            if p.leaves {
                self.update_tree(&p, in_flow);
                self.update_potentials(&p);
                if self.walked > self.renumber_at {
                    self.renumber();
                    self.walked = 0;
                }
            }
        }
        Ok(stats)
    }

    /// Gives the network back as it came, with the flows (only arcs of the tree carry any)
    /// and LP duals (normalised so that the sink's potential is 0).
    fn finish(self) -> (Network, TreeSolution) {
        let n = self.n;
        let pairs = self.csr - n;
        let mut flow = Vec::new();
        for (v, &a) in self.pred.iter().enumerate() {
            let a = a as usize;
            if v == self.root as usize || a >= self.csr || self.pred_flow[v] == 0 {
                continue;
            }
            let i = self.need_of(a);
            if a != self.unserved_arc(i) {
                flow.push(((a - i) as u32, self.pred_flow[v]));
            }
        }
        flow.sort_unstable();
        // Duals from potentials: a group's price is how much less its node's potential is
        // than T's (none when it is more: its free arc has room); runs allow negative prices.
        let t = self.pi[self.root as usize];
        let m = self.m();
        let below_t: Vec<i64> = (0..self.terms.floors.len())
            .map(|g| self.pi[self.label[n + m + g] as usize].min(t))
            .collect();
        let left: Vec<i64> = (0..n)
            .map(|i| {
                let to = self.terms.group_of(i).map_or(t, |g| below_t[g]);
                self.pi[self.label[i] as usize] - to
            })
            .collect();
        let runs = !self.terms.run_start.is_empty();
        let right: Vec<i64> = (0..m)
            .map(|j| {
                let w = t - self.pi[self.label[n + j] as usize];
                if runs {
                    w
                } else {
                    w.max(0)
                }
            })
            .collect();
        let group: Vec<i64> = below_t.iter().map(|&p| t - p).collect();
        let mut original = vec![0u32; self.nodes()];
        for (v, &l) in self.label.iter().enumerate() {
            original[l as usize] = v as u32;
        }
        let Simplex {
            supply,
            capacity,
            terms,
            mut first,
            mut head,
            cost,
            ..
        } = self;
        let mut value = vec![0i64; pairs];
        for (i, f) in first.iter_mut().enumerate() {
            *f -= i as u32;
        }
        for i in 0..n {
            for a in first[i] as usize..first[i + 1] as usize {
                head[a] = original[head[a + i] as usize] - n as u32;
                value[a] = -cost[a + i].into();
            }
        }
        drop(cost);
        head.truncate(pairs);
        let net = Network {
            supply,
            capacity,
            start: first,
            head,
            value,
            ..terms
        };
        let sol = TreeSolution {
            flow,
            duals: Duals { left, right, group },
            stats: Stats::default(),
        };
        (net, sol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Rng;

    /// A random network with ties, zero supplies and capacities, and repeated arcs.
    fn network(rng: &mut Rng) -> Network {
        let (n, m) = (rng.range(1, 30) as usize, rng.range(1, 30) as usize);
        let mut net = Network {
            supply: (0..n).map(|_| rng.range(0, 6)).collect(),
            capacity: (0..m).map(|_| rng.range(0, 6)).collect(),
            start: vec![0],
            ..Network::default()
        };
        for _ in 0..n {
            for _ in 0..rng.range(0, 12) {
                net.head.push(rng.range(0, m as i64 - 1) as u32);
                net.value.push(rng.range(1, 8) * 10);
            }
            net.start.push(net.head.len() as u32);
        }
        net
    }

    /// Solves `net` with costs stored as `C`, renumbering after every pivot that walks, from
    /// the empty or the greedy tree; checks that the network comes back unchanged and that the
    /// answer carries a proof of optimality. Returns the objective and whether it renumbered.
    fn solve_renumbering<C: Cost>(net: &Network, warm: bool) -> (i64, bool) {
        let mut s = Simplex::<C>::new(net.clone());
        s.renumber_at = 0;
        if warm {
            s.greedy_tree();
        } else {
            s.empty_tree();
        }
        let before = s.label.clone();
        assert!(s.run(1_000_000).is_ok());
        let renumbered = s.label != before;
        let (back, tree) = s.finish();
        assert_eq!(&back, net);
        let mut flow = vec![0; net.arcs()];
        for &(a, x) in &tree.flow {
            flow[a as usize] = x;
        }
        let objective = flow.iter().zip(&net.value).map(|(x, v)| x * v).sum();
        let sol = Solution {
            flow,
            objective,
            duals: Some(tree.duals),
            stats: tree.stats,
        };
        assert_eq!(verify(net, &sol), Ok(()));
        (objective, renumbered)
    }

    /// Renumbering after every pivot that walks, from either start, with 32- and 64-bit costs
    /// (values beyond 32 bits on every third network), still ends at a proof of optimality with
    /// the same optimum, and gives the network back unchanged.
    #[test]
    fn renumbering_after_every_pivot_keeps_the_optimum() {
        let mut rng = Rng::new(14);
        let mut renumbered = 0;
        for k in 0..500 {
            let mut net = network(&mut rng);
            if k % 3 == 0 {
                for v in &mut net.value {
                    *v *= 1 << 28;
                }
            }
            let plain = FlowSolver {
                reduce: false,
                ..FlowSolver::default()
            };
            let want = plain.solve(&net).map(|s| s.objective);
            for warm in [false, true] {
                let wide = solve_renumbering::<i64>(&net, warm);
                assert_eq!(Ok(wide.0), want);
                renumbered += usize::from(wide.1);
                if k % 3 != 0 {
                    assert_eq!(Ok(solve_renumbering::<i32>(&net, warm).0), want);
                }
            }
        }
        assert!(renumbered > 100, "only {renumbered} solves renumbered");
    }
}
