//! Live dispatch: an optimal flow of a transportation network that changes a little at a
//! time (a left node added, an arc removed, a supply or capacity changed), kept optimal by
//! shortest augmenting paths over its node potentials instead of being solved again.
//!
//! The model is [`Network`]'s with one addition: arc `a` may hold `units` *bonus units*, and
//! its first `units` units of flow are worth `value + bonus` each, the rest `value`. Per arc
//! the cost is convex, so a flow is optimal exactly when node potentials `π` make every
//! residual arc's reduced cost non-negative. The network is read as a circulation through one
//! outside node `O` (potential 0): arcs `O → i` (capacity = supply of left node `i`), `i → j`
//! (the pairs, cost `−value`, minus `bonus` on the bonus units), `j → O` (capacity of right
//! node `j`). [`LiveFlow::verify`] checks exactly these conditions, a proof of optimality.
//!
//! A change first moves flow on the arcs it touched into their optimal range for the current
//! potentials, which leaves some nodes with excess or deficit; each imbalance is then sent
//! along a shortest residual path (Dijkstra on reduced costs, stopping at the first node that
//! can take it, `O` included) and the potentials of the settled nodes are raised by the
//! distances, which keeps every reduced cost non-negative (successive shortest paths with
//! early termination). A search never fails: a target is always at most two arcs away.

use super::{Duals, FlowSolver, Network, SolveError, Solver};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Range;

const NONE: u32 = u32::MAX;
/// Residual capacity of an uncapacitated arc.
const INF: i64 = i64::MAX / 4;
/// Potentials beyond this magnitude trigger a restart from zero flow (never seen in practice:
/// a guard so that no sum of potentials can approach `i64`'s range).
const POTENTIAL_LIMIT: i64 = 1 << 52;

/// One arc of a [`LiveFlow`]: a pair (left, right) with its value, flow and bonus units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveArc {
    /// Left node.
    pub left: u32,
    /// Right node.
    pub right: u32,
    /// Value of one unit.
    pub value: i64,
    /// Units on the arc.
    pub flow: i64,
    /// Units that earn the bonus on top of `value`.
    pub units: i64,
    /// Whether the arc is still in the network (removed arcs keep their data).
    pub live: bool,
    /// Whether the flow changed since the last [`LiveFlow::repair`] began.
    changed: bool,
    /// Whether the arc is listed in its right node's `bonus` (live, flow below its units).
    in_bonus: bool,
    /// Its place in its right node's `into`.
    slot: u32,
}

#[derive(Debug, Clone, Default)]
struct Left {
    supply: i64,
    /// Flow on `O → i`.
    inflow: i64,
    /// `inflow − Σ flow out`.
    excess: i64,
    arcs: Range<u32>,
}

#[derive(Debug, Clone, Default)]
struct Right {
    capacity: i64,
    /// Flow on `j → O`.
    outflow: i64,
    potential: i64,
    /// `Σ flow in − outflow`.
    excess: i64,
    /// The live arcs into `j`, with what a backward search needs of them in one place.
    into: Vec<Entry>,
    /// Arcs into `j` with positive flow.
    flowing: Vec<u32>,
    /// Live arcs into `j` whose flow is below their bonus units: the only ones whose next unit
    /// costs more than `value` (a backward search scans them again with the bonus).
    bonus: Vec<u32>,
}

/// An arc into a right node, as its backward scan reads it.
#[derive(Debug, Clone, Copy)]
struct Entry {
    left: u32,
    arc: u32,
    value: i64,
}

/// A node of the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Left(u32),
    Right(u32),
    Out,
}

/// Dijkstra's labels on one side, reset lazily by generation stamps.
#[derive(Debug, Clone, Default)]
struct Labels {
    dist: Vec<i64>,
    pred: Vec<u32>,
    /// Generation in which the node was labelled.
    seen: Vec<u32>,
    /// Generation in which the node was settled.
    done: Vec<u32>,
}

impl Labels {
    fn grow(&mut self, n: usize) {
        self.dist.resize(n, 0);
        self.pred.resize(n, NONE);
        self.seen.resize(n, 0);
        self.done.resize(n, 0);
    }
}

#[derive(Debug, Clone, Default)]
struct Search {
    generation: u32,
    left: Labels,
    right: Labels,
    /// Distance of `O` and the node it was reached through.
    out: Option<(i64, Node)>,
    /// The least label of a target so far: no label at or above it can matter.
    bound: i64,
    heap: BinaryHeap<Reverse<(i64, u8, Node)>>,
    settled: Vec<Node>,
}

impl Search {
    fn begin(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            for l in [&mut self.left, &mut self.right] {
                l.seen.fill(0);
                l.done.fill(0);
            }
            self.generation = 1;
        }
        self.out = None;
        self.bound = i64::MAX;
        self.heap.clear();
        self.settled.clear();
    }

    fn side(&self, v: Node) -> Option<(&Labels, usize)> {
        match v {
            Node::Left(i) => Some((&self.left, i as usize)),
            Node::Right(j) => Some((&self.right, j as usize)),
            Node::Out => None,
        }
    }

    /// The current label of `v`, if reached in this search.
    fn dist(&self, v: Node) -> Option<i64> {
        match self.side(v) {
            Some((l, k)) => (l.seen[k] == self.generation).then(|| l.dist[k]),
            None => self.out.map(|o| o.0),
        }
    }

    fn is_settled(&self, v: Node) -> bool {
        self.side(v)
            .is_some_and(|(l, k)| l.done[k] == self.generation)
    }

    fn pred(&self, v: Node) -> u32 {
        self.side(v).map_or(NONE, |(l, k)| l.pred[k])
    }

    /// Offers `v` the label `d` through arc `pred`; targets (as `target` tells, asked only if
    /// the label could matter) pop first among equals. Returns whether `v` took the label.
    fn offer(&mut self, v: Node, d: i64, pred: u32, target: impl FnOnce() -> bool) -> bool {
        if d > self.bound || self.is_settled(v) || self.dist(v).is_some_and(|old| old <= d) {
            return false;
        }
        // A target as near as the bound still counts: at equal distance a node's imbalance
        // is better settled than sent to O.
        let target = target();
        if target {
            self.bound = d;
        } else if d == self.bound {
            return false;
        }
        let generation = self.generation;
        let (l, k) = match v {
            Node::Left(i) => (&mut self.left, i as usize),
            Node::Right(j) => (&mut self.right, j as usize),
            Node::Out => return false,
        };
        l.seen[k] = generation;
        l.dist[k] = d;
        l.pred[k] = pred;
        self.heap.push(Reverse((d, u8::from(!target), v)));
        true
    }

    /// How many arcs out of a node at distance `d` are worth scanning: all, or none once a
    /// target is no farther.
    fn limit(&self, d: i64) -> usize {
        if d < self.bound {
            usize::MAX
        } else {
            0
        }
    }

    fn offer_out(&mut self, d: i64, via: Node) {
        if d < self.bound {
            self.bound = d;
            self.out = Some((d, via));
            self.heap.push(Reverse((d, 0, Node::Out)));
        }
    }

    fn settle(&mut self, v: Node) {
        let generation = self.generation;
        match v {
            Node::Left(i) => self.left.done[i as usize] = generation,
            Node::Right(j) => self.right.done[j as usize] = generation,
            Node::Out => return,
        }
        self.settled.push(v);
    }
}

/// An optimal flow that follows changes to its network.
///
/// Node and arc indices are the caller's to keep in range, as with slices: an index out of
/// range panics. Quantities and values must keep the ranges of [`Network::check`].
///
/// ```
/// use duijie::solve::{LiveFlow, Network};
/// // One resource with 2 units; a need of 2 units worth 10 each.
/// let net = Network { supply: vec![2], capacity: vec![2], start: vec![0, 1],
///                     head: vec![0], value: vec![10] };
/// let mut live = LiveFlow::solve(&net, 50).unwrap();
/// assert_eq!(live.objective(), 20);
/// // A new need worth 30 a unit takes both units.
/// let first = live.add_left(2, [(0, 30)]);
/// live.repair();
/// assert_eq!(live.objective(), 60);
/// assert_eq!(live.arc(first).flow, 2);
/// live.verify().unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct LiveFlow {
    bonus: i64,
    left: Vec<Left>,
    /// Potentials of the left nodes, apart from the rest: a backward scan reads one per arc.
    left_potential: Vec<i64>,
    right: Vec<Right>,
    arcs: Vec<LiveArc>,
    /// Nodes whose supply, capacity, arcs or balance changed since the last repair.
    dirty: Vec<Node>,
    /// Arcs whose bonus units changed since the last repair.
    dirty_arcs: Vec<u32>,
    /// Arcs whose flow changed in the current round of changes.
    changed: Vec<u32>,
    search: Search,
    /// Shortest-path searches run so far.
    searches: u64,
}

impl LiveFlow {
    /// Solves `net` with the flow solver and keeps the optimum live, with `bonus` per bonus
    /// unit (no arc has bonus units yet).
    ///
    /// # Errors
    /// The flow solver's, or [`SolveError::Unverified`] without duals.
    pub fn solve(net: &Network, bonus: i64) -> Result<LiveFlow, SolveError> {
        let sol = FlowSolver::default().solve(net)?;
        let duals = sol
            .duals
            .as_ref()
            .ok_or_else(|| SolveError::Unverified("the flow solver gave no duals".into()))?;
        Ok(LiveFlow::from_optimum(net, &sol.flow, duals, bonus))
    }

    /// The live form of an optimal solution of `net` with its optimal duals.
    pub fn from_optimum(net: &Network, flow: &[i64], duals: &Duals, bonus: i64) -> LiveFlow {
        let mut live = LiveFlow {
            bonus,
            right: net
                .capacity
                .iter()
                .zip(&duals.right)
                .map(|(&capacity, &w)| Right {
                    capacity,
                    potential: -w,
                    ..Right::default()
                })
                .collect(),
            ..LiveFlow::default()
        };
        live.arcs.reserve(net.arcs());
        for (i, &supply) in net.supply.iter().enumerate() {
            let range = net.out(i);
            let mut sent = 0;
            for a in range.clone() {
                let j = net.head[a];
                live.push_arc(i as u32, j, net.value[a]);
                live.arcs[a].flow = flow[a];
                let r = &mut live.right[j as usize];
                if flow[a] > 0 {
                    r.flowing.push(a as u32);
                    r.outflow += flow[a];
                }
                sent += flow[a];
            }
            live.left_potential.push(duals.left[i]);
            live.left.push(Left {
                supply,
                inflow: sent,
                excess: 0,
                arcs: range.start as u32..range.end as u32,
            });
        }
        live.search.left.grow(live.left.len());
        live.search.right.grow(live.right.len());
        live
    }

    /// Number of left nodes.
    pub fn lefts(&self) -> usize {
        self.left.len()
    }

    /// The arcs of left node `i`, as arc indices (heads ascending if they were given so).
    pub fn arcs_of(&self, i: u32) -> Range<u32> {
        self.left[i as usize].arcs.clone()
    }

    /// Arc `a`.
    pub fn arc(&self, a: u32) -> &LiveArc {
        &self.arcs[a as usize]
    }

    /// Supply of left node `i`.
    pub fn supply(&self, i: u32) -> i64 {
        self.left[i as usize].supply
    }

    /// Capacity of right node `j`.
    pub fn capacity(&self, j: u32) -> i64 {
        self.right[j as usize].capacity
    }

    /// Number of arcs, removed ones included.
    pub fn arc_count(&self) -> usize {
        self.arcs.len()
    }

    /// The arcs into right node `j` that carry flow, in no particular order.
    pub fn flowing_into(&self, j: u32) -> &[u32] {
        &self.right[j as usize].flowing
    }

    /// Shortest-path searches run so far (a work counter).
    pub fn searches(&self) -> u64 {
        self.searches
    }

    /// `Σ value · flow + bonus · Σ min(flow, units)` over live arcs.
    pub fn objective(&self) -> i64 {
        self.arcs
            .iter()
            .filter(|a| a.live)
            .map(|a| a.value * a.flow + self.bonus * a.flow.min(a.units))
            .sum()
    }

    /// Adds a left node with `supply` and arcs `(right, value)`; returns its first arc index
    /// (its arcs are numbered consecutively). Call [`LiveFlow::repair`] to serve it.
    pub fn add_left(&mut self, supply: i64, arcs: impl IntoIterator<Item = (u32, i64)>) -> u32 {
        let i = self.left.len() as u32;
        let first = self.arcs.len() as u32;
        // The least potential that prices every new arc fairly keeps reduced costs ≥ 0.
        let mut potential = 0;
        let mut any = false;
        for (j, value) in arcs {
            self.push_arc(i, j, value);
            let p = value + self.right[j as usize].potential;
            potential = if any { potential.max(p) } else { p };
            any = true;
        }
        self.left_potential.push(potential);
        self.left.push(Left {
            supply,
            inflow: 0,
            excess: 0,
            arcs: first..self.arcs.len() as u32,
        });
        self.search.left.grow(self.left.len());
        self.dirty.push(Node::Left(i));
        first
    }

    /// Appends a live arc without flow from `left` to `right`, listed at `right`.
    fn push_arc(&mut self, left: u32, right: u32, value: i64) {
        let a = self.arcs.len() as u32;
        let r = &mut self.right[right as usize];
        self.arcs.push(LiveArc {
            left,
            right,
            value,
            flow: 0,
            units: 0,
            live: true,
            changed: false,
            in_bonus: false,
            slot: r.into.len() as u32,
        });
        r.into.push(Entry {
            left,
            arc: a,
            value,
        });
    }

    /// Removes arc `a`; its flow returns to its left node (as excess) and leaves its right
    /// node (as deficit) until the next repair.
    pub fn remove_arc(&mut self, a: u32) {
        let arc = &self.arcs[a as usize];
        if !arc.live {
            return;
        }
        let (i, j, f) = (arc.left, arc.right, arc.flow);
        self.add_flow(a, -f);
        self.left[i as usize].excess += f;
        self.right[j as usize].excess -= f;
        let arc = &mut self.arcs[a as usize];
        arc.live = false;
        arc.units = 0;
        let slot = arc.slot as usize;
        let r = &mut self.right[j as usize];
        r.into.swap_remove(slot);
        if let Some(moved) = r.into.get(slot) {
            self.arcs[moved.arc as usize].slot = slot as u32;
        }
        self.track_bonus(a);
        self.dirty.push(Node::Left(i));
        self.dirty.push(Node::Right(j));
    }

    /// Removes every arc of left node `i` and sets its supply to 0.
    pub fn remove_left(&mut self, i: u32) {
        for a in self.arcs_of(i) {
            self.remove_arc(a);
        }
        self.set_supply(i, 0);
    }

    /// Sets the supply of left node `i`. Bonus units beyond the new supply are cut, from the
    /// last arc backwards.
    pub fn set_supply(&mut self, i: u32, supply: i64) {
        let l = &mut self.left[i as usize];
        l.supply = supply;
        if l.inflow > supply {
            l.excess -= l.inflow - supply;
            l.inflow = supply;
        }
        let mut over: i64 = self
            .arcs_of(i)
            .map(|a| self.arcs[a as usize].units)
            .sum::<i64>()
            - supply;
        for a in self.arcs_of(i).rev() {
            if over <= 0 {
                break;
            }
            let cut = over.min(self.arcs[a as usize].units);
            if cut > 0 {
                self.arcs[a as usize].units -= cut;
                self.track_bonus(a);
                self.dirty_arcs.push(a);
                over -= cut;
            }
        }
        self.dirty.push(Node::Left(i));
    }

    /// Sets the capacity of right node `j`.
    pub fn set_capacity(&mut self, j: u32, capacity: i64) {
        let r = &mut self.right[j as usize];
        r.capacity = capacity;
        if r.outflow > capacity {
            r.excess += r.outflow - capacity;
            r.outflow = capacity;
        }
        self.dirty.push(Node::Right(j));
    }

    /// Sets the bonus units of live arc `a`, at most what the other arcs of its left node
    /// leave of its supply.
    pub fn set_units(&mut self, a: u32, units: i64) {
        let i = self.arcs[a as usize].left;
        let others: i64 = self
            .arcs_of(i)
            .filter(|&b| b != a)
            .map(|b| self.arcs[b as usize].units)
            .sum();
        let units = units.min(self.left[i as usize].supply - others).max(0);
        if self.arcs[a as usize].live && self.arcs[a as usize].units != units {
            self.arcs[a as usize].units = units;
            self.track_bonus(a);
            self.dirty_arcs.push(a);
        }
    }

    /// Takes `q ≤ flow` units of arc `a` out of the network together with the supply and
    /// capacity they use (they become fixed elsewhere). Optimality is kept as it is.
    pub fn pin(&mut self, a: u32, q: i64) {
        let arc = &self.arcs[a as usize];
        let (i, j) = (arc.left, arc.right);
        let q = q.clamp(0, arc.flow);
        self.add_flow(a, -q);
        let arc = &mut self.arcs[a as usize];
        arc.units = (arc.units - q).max(0);
        self.track_bonus(a);
        let l = &mut self.left[i as usize];
        l.inflow -= q;
        let supply = l.supply - q;
        let r = &mut self.right[j as usize];
        r.outflow -= q;
        r.capacity -= q;
        self.set_supply(i, supply);
        self.dirty.push(Node::Right(j));
    }

    /// Restores optimality after changes and returns the arcs whose flow changed since the
    /// previous repair, ascending.
    pub fn repair(&mut self) -> Vec<u32> {
        self.repair_once(true)
    }

    fn repair_once(&mut self, may_restart: bool) -> Vec<u32> {
        // Arcs whose bonus units changed: flow into the optimal range for the potentials.
        for a in std::mem::take(&mut self.dirty_arcs) {
            let arc = &self.arcs[a as usize];
            if !arc.live {
                continue;
            }
            let (i, j, f) = (arc.left, arc.right, arc.flow);
            let (lo, hi) = self.optimal_range(a);
            if !(lo..=hi).contains(&f) && (self.refit_left(i) || self.refit_right(j)) {
                // A new price for one end alone keeps the flow optimal (and that end's arc
                // to or from O, which the refit also checks).
                continue;
            }
            let target = f.clamp(lo, hi);
            if target != f {
                self.add_flow(a, target - f);
                self.left[i as usize].excess -= target - f;
                self.right[j as usize].excess += target - f;
            }
            self.dirty.push(Node::Left(i));
            self.dirty.push(Node::Right(j));
        }
        // Nodes: flow on their arc to or from O into the optimal range.
        let mut work = std::mem::take(&mut self.dirty);
        work.sort_unstable();
        work.dedup();
        for &v in &work {
            match v {
                Node::Left(i) => {
                    let l = &self.left[i as usize];
                    let target = match self.left_potential[i as usize].signum() {
                        1 => l.supply,
                        -1 => 0,
                        _ => l.inflow,
                    };
                    if target != l.inflow && self.refit_left(i) {
                        continue;
                    }
                    let l = &mut self.left[i as usize];
                    l.excess += target - l.inflow;
                    l.inflow = target;
                }
                Node::Right(j) => {
                    let r = &self.right[j as usize];
                    let target = match r.potential.signum() {
                        -1 => r.capacity,
                        1 => 0,
                        _ => r.outflow,
                    };
                    if target != r.outflow && self.refit_right(j) {
                        continue;
                    }
                    let r = &mut self.right[j as usize];
                    r.excess -= target - r.outflow;
                    r.outflow = target;
                }
                Node::Out => {}
            }
        }
        // Successive shortest paths until every node is balanced.
        // Deficits first: a resource that lost flow often takes it back from the order that
        // lost it (a short search), leaving searches for what really moves.
        work.sort_by_key(|v| matches!(v, Node::Left(_)));
        for &v in &work {
            while self.excess(v) != 0 {
                let forward = self.excess(v) > 0;
                let Some((target, d)) = self.find_path(v, forward) else {
                    break; // unreachable: a target is always within two arcs
                };
                let too_large = self.update_potentials(d, forward);
                self.augment(v, target, forward);
                if too_large && may_restart {
                    self.restart();
                    return self.repair_once(false);
                }
            }
        }
        let mut changed = std::mem::take(&mut self.changed);
        for &a in &changed {
            self.arcs[a as usize].changed = false;
        }
        changed.sort_unstable();
        changed
    }

    /// Solves again from zero flow by successive shortest paths, ignoring the current flow
    /// and potentials (slow: a cross-check, and the guard against potentials grown too large).
    /// Returns the arcs whose flow changed.
    pub fn resolve(&mut self) -> Vec<u32> {
        self.restart();
        self.repair_once(false)
    }

    fn restart(&mut self) {
        for a in 0..self.arcs.len() as u32 {
            let f = self.arcs[a as usize].flow;
            if f != 0 {
                self.add_flow(a, -f);
            }
        }
        for r in &mut self.right {
            r.outflow = 0;
            r.excess = 0;
            r.potential = 0;
        }
        for i in 0..self.left.len() {
            let bonus = self.bonus;
            let potential = self
                .arcs_of(i as u32)
                .map(|a| &self.arcs[a as usize])
                .filter(|a| a.live)
                .map(|a| a.value + if a.units > 0 { bonus } else { 0 })
                .fold(0, i64::max);
            let l = &mut self.left[i];
            l.inflow = 0;
            l.excess = 0;
            self.left_potential[i] = potential;
            self.dirty.push(Node::Left(i as u32));
        }
        self.dirty_arcs.clear();
    }

    fn excess(&self, v: Node) -> i64 {
        match v {
            Node::Left(i) => self.left[i as usize].excess,
            Node::Right(j) => self.right[j as usize].excess,
            Node::Out => 0,
        }
    }

    /// Moves the potential of left node `i` into the range where every residual arc at `i`
    /// (its arcs and its arc from or to O) has a non-negative reduced cost, if that range is
    /// not empty: a change of prices that keeps the flow optimal without moving it (an offer
    /// that lost its bonus often stays where it is). Returns whether it could.
    fn refit_left(&mut self, i: u32) -> bool {
        let l = &self.left[i as usize];
        let (mut lo, mut hi) = (i64::MIN, i64::MAX);
        if l.inflow > 0 {
            lo = 0;
        }
        if l.inflow < l.supply {
            hi = 0;
        }
        for a in l.arcs.clone() {
            let arc = &self.arcs[a as usize];
            if !arc.live {
                continue;
            }
            let price = arc.value + self.right[arc.right as usize].potential;
            lo = lo.max(price + if arc.flow < arc.units { self.bonus } else { 0 });
            if arc.flow > 0 {
                hi = hi.min(price + if arc.flow <= arc.units { self.bonus } else { 0 });
            }
        }
        if lo > hi {
            return false;
        }
        let p = &mut self.left_potential[i as usize];
        *p = (*p).clamp(lo, hi);
        true
    }

    /// As [`Self::refit_left`], for right node `j` (its price may fall or rise while no arc at
    /// `j` objects): `O(arcs into j)`.
    fn refit_right(&mut self, j: u32) -> bool {
        let r = &self.right[j as usize];
        let (mut lo, mut hi) = (i64::MIN, i64::MAX);
        if r.outflow < r.capacity {
            lo = 0;
        }
        if r.outflow > 0 {
            hi = 0;
        }
        for e in &r.into {
            hi = hi.min(self.left_potential[e.left as usize] - e.value);
        }
        for &a in &r.bonus {
            let arc = &self.arcs[a as usize];
            hi = hi.min(self.left_potential[arc.left as usize] - arc.value - self.bonus);
        }
        for &a in &r.flowing {
            let arc = &self.arcs[a as usize];
            let bonus = if arc.flow <= arc.units { self.bonus } else { 0 };
            lo = lo.max(self.left_potential[arc.left as usize] - arc.value - bonus);
        }
        if lo > hi {
            return false;
        }
        let p = &mut self.right[j as usize].potential;
        *p = (*p).clamp(lo, hi);
        true
    }

    /// The flows of arc `a` that are optimal for the current potentials.
    fn optimal_range(&self, a: u32) -> (i64, i64) {
        let arc = &self.arcs[a as usize];
        let d = self.left_potential[arc.left as usize] - self.right[arc.right as usize].potential;
        let (v, b, q) = (arc.value, self.bonus, arc.units);
        if d > v + b {
            (0, 0)
        } else if d == v + b && b > 0 {
            (0, q)
        } else if d > v {
            (q, q)
        } else if b > 0 {
            (q, INF)
        } else {
            (0, INF)
        }
    }

    /// Reduced cost of pushing one more unit along arc `a` (left → right).
    fn forward_cost(&self, arc: &LiveArc) -> i64 {
        let bonus = if arc.flow < arc.units { self.bonus } else { 0 };
        -arc.value - bonus + self.left_potential[arc.left as usize]
            - self.right[arc.right as usize].potential
    }

    /// Reduced cost of taking one unit back along arc `a` (right → left); needs flow.
    fn backward_cost(&self, arc: &LiveArc) -> i64 {
        let bonus = if arc.flow <= arc.units { self.bonus } else { 0 };
        arc.value + bonus + self.right[arc.right as usize].potential
            - self.left_potential[arc.left as usize]
    }

    fn forward_room(&self, arc: &LiveArc) -> i64 {
        if arc.flow < arc.units {
            arc.units - arc.flow
        } else {
            INF
        }
    }

    fn backward_room(&self, arc: &LiveArc) -> i64 {
        if arc.flow > arc.units {
            arc.flow - arc.units
        } else {
            arc.flow
        }
    }

    fn add_flow(&mut self, a: u32, delta: i64) {
        if delta == 0 {
            return;
        }
        let arc = &mut self.arcs[a as usize];
        let before = arc.flow;
        arc.flow += delta;
        if !arc.changed {
            arc.changed = true;
            self.changed.push(a);
        }
        let (after, j) = (arc.flow, arc.right);
        let r = &mut self.right[j as usize];
        if before == 0 && after > 0 {
            r.flowing.push(a);
        } else if before > 0 && after == 0 {
            if let Some(k) = r.flowing.iter().position(|&b| b == a) {
                r.flowing.swap_remove(k);
            }
        }
        self.track_bonus(a);
    }

    /// Keeps arc `a` listed in its right node's `bonus` exactly while it is live with flow
    /// below its bonus units.
    fn track_bonus(&mut self, a: u32) {
        let arc = &mut self.arcs[a as usize];
        let open = arc.live && arc.flow < arc.units;
        if open == arc.in_bonus {
            return;
        }
        arc.in_bonus = open;
        let bonus = &mut self.right[arc.right as usize].bonus;
        if open {
            bonus.push(a);
        } else if let Some(k) = bonus.iter().position(|&b| b == a) {
            bonus.swap_remove(k);
        }
    }

    /// Dijkstra on reduced costs from `from`: forward to the nearest node with a deficit or
    /// `O` when `from` has excess, backward (along reversed arcs) to the nearest node with
    /// excess or `O` when it has a deficit. Returns the target and its distance.
    fn find_path(&mut self, from: Node, forward: bool) -> Option<(Node, i64)> {
        self.searches += 1;
        let mut s = std::mem::take(&mut self.search);
        s.begin();
        s.offer(from, 0, NONE, || false);
        let wants = |x: i64| if forward { x < 0 } else { x > 0 };
        let mut found = None;
        while let Some(Reverse((d, _, v))) = s.heap.pop() {
            if v == Node::Out {
                found = Some((v, d));
                break;
            }
            if s.is_settled(v) || s.dist(v) != Some(d) {
                continue;
            }
            if v != from && wants(self.excess(v)) {
                found = Some((v, d));
                break;
            }
            s.settle(v);
            // The arc to or from O first: once a target is no farther than `v`, no arc out
            // of `v` can lead to a nearer one (reduced costs are ≥ 0), so the scan stops.
            // The arc to or from O first: once a target is no farther than `v`, no arc out
            // of `v` can lead to a nearer one (reduced costs are ≥ 0), so the scan stops. A
            // node that takes a label also offers O through its own arc to or from O at once
            // (a look-ahead that lowers the bound early; O still pops only when nearest).
            match (v, forward) {
                (Node::Left(i), true) => {
                    let l = &self.left[i as usize];
                    if l.inflow > 0 {
                        s.offer_out(d + self.left_potential[i as usize], v);
                    }
                    for a in l.arcs.clone().take(s.limit(d)) {
                        let arc = &self.arcs[a as usize];
                        if arc.live {
                            let (w, r) = (Node::Right(arc.right), &self.right[arc.right as usize]);
                            let label = d + self.forward_cost(arc);
                            if s.offer(w, label, a, || wants(r.excess)) && r.outflow < r.capacity {
                                s.offer_out(label + r.potential, w);
                            }
                        }
                    }
                }
                (Node::Right(j), true) => {
                    let r = &self.right[j as usize];
                    if r.outflow < r.capacity {
                        s.offer_out(d + r.potential, v);
                    }
                    for &a in r.flowing.iter().take(s.limit(d)) {
                        let arc = &self.arcs[a as usize];
                        let (w, l) = (Node::Left(arc.left), &self.left[arc.left as usize]);
                        let label = d + self.backward_cost(arc);
                        if s.offer(w, label, a, || wants(l.excess)) && l.inflow > 0 {
                            s.offer_out(label + self.left_potential[arc.left as usize], w);
                        }
                    }
                }
                (Node::Left(i), false) => {
                    let l = &self.left[i as usize];
                    if l.inflow < l.supply {
                        s.offer_out(d - self.left_potential[i as usize], v);
                    }
                    for a in l.arcs.clone().take(s.limit(d)) {
                        let arc = &self.arcs[a as usize];
                        if arc.flow > 0 {
                            let (w, r) = (Node::Right(arc.right), &self.right[arc.right as usize]);
                            let label = d + self.backward_cost(arc);
                            if s.offer(w, label, a, || wants(r.excess)) && r.outflow > 0 {
                                s.offer_out(label - r.potential, w);
                            }
                        }
                    }
                }
                (Node::Right(j), false) => {
                    let r = &self.right[j as usize];
                    if r.outflow > 0 {
                        s.offer_out(d - r.potential, v);
                    }
                    // Every live arc into `j` at its cost without the bonus (exact for all but
                    // those in `bonus`), then those with it: the lower label wins.
                    let base = d - r.potential;
                    for e in r.into.iter().take(s.limit(d)) {
                        let label = base - e.value + self.left_potential[e.left as usize];
                        if label <= s.bound {
                            let (w, l) = (Node::Left(e.left), &self.left[e.left as usize]);
                            if s.offer(w, label, e.arc, || wants(l.excess)) && l.inflow < l.supply {
                                s.offer_out(label - self.left_potential[e.left as usize], w);
                            }
                        }
                    }
                    for &a in r.bonus.iter().take(s.limit(d)) {
                        let arc = &self.arcs[a as usize];
                        let (w, l) = (Node::Left(arc.left), &self.left[arc.left as usize]);
                        let label = d + self.forward_cost(arc);
                        if s.offer(w, label, a, || wants(l.excess)) && l.inflow < l.supply {
                            s.offer_out(label - self.left_potential[arc.left as usize], w);
                        }
                    }
                }
                (Node::Out, _) => {}
            }
        }
        self.search = s;
        found
    }

    /// Raises the potentials of the settled nodes by their distance below the target's `d`
    /// (lowers them, backward); returns whether one grew past the guard.
    fn update_potentials(&mut self, d: i64, forward: bool) -> bool {
        let mut too_large = false;
        for k in 0..self.search.settled.len() {
            let v = self.search.settled[k];
            let dv = self.search.dist(v).unwrap_or(d);
            let shift = if forward { dv - d } else { d - dv };
            let p = match v {
                Node::Left(i) => &mut self.left_potential[i as usize],
                Node::Right(j) => &mut self.right[j as usize].potential,
                Node::Out => continue,
            };
            *p += shift;
            too_large |= p.abs() > POTENTIAL_LIMIT;
        }
        too_large
    }

    /// Sends as much as the path from the last search allows between `from` and `target`.
    fn augment(&mut self, from: Node, target: Node, forward: bool) {
        // The path as (arc, forward along the arc?) from the target back to `from`, plus the
        // end node at O when the target is O.
        let mut path: Vec<(u32, bool)> = Vec::new();
        let (mut v, out_end) = match (target, self.search.out) {
            (Node::Out, Some((_, via))) => (via, Some(via)),
            _ => (target, None),
        };
        while v != from {
            let a = self.search.pred(v);
            let arc = &self.arcs[a as usize];
            // Forward search: a right node was reached along its arc, a left one against it.
            // Backward search: the reverse.
            let along = matches!(v, Node::Right(_)) == forward;
            path.push((a, along));
            v = if matches!(v, Node::Right(_)) {
                Node::Left(arc.left)
            } else {
                Node::Right(arc.right)
            };
        }
        let mut delta = self.excess(from).abs();
        if target != Node::Out {
            delta = delta.min(self.excess(target).abs());
        }
        for &(a, along) in &path {
            let arc = &self.arcs[a as usize];
            delta = delta.min(if along {
                self.forward_room(arc)
            } else {
                self.backward_room(arc)
            });
        }
        if let Some(w) = out_end {
            delta = delta.min(match (w, forward) {
                (Node::Left(i), true) => self.left[i as usize].inflow,
                (Node::Right(j), true) => {
                    self.right[j as usize].capacity - self.right[j as usize].outflow
                }
                (Node::Left(i), false) => {
                    self.left[i as usize].supply - self.left[i as usize].inflow
                }
                (Node::Right(j), false) => self.right[j as usize].outflow,
                (Node::Out, _) => 0,
            });
        }
        for &(a, along) in &path {
            self.add_flow(a, if along { delta } else { -delta });
        }
        // Forward: flow leaves through w → O; backward: it enters through O → w.
        let sign = if forward { 1 } else { -1 };
        match out_end {
            Some(Node::Left(i)) => self.left[i as usize].inflow -= sign * delta,
            Some(Node::Right(j)) => self.right[j as usize].outflow += sign * delta,
            _ => {}
        }
        let into_from = if forward { -delta } else { delta };
        self.add_excess(from, into_from);
        if target != Node::Out {
            self.add_excess(target, -into_from);
        }
    }

    fn add_excess(&mut self, v: Node, delta: i64) {
        match v {
            Node::Left(i) => self.left[i as usize].excess += delta,
            Node::Right(j) => self.right[j as usize].excess += delta,
            Node::Out => {}
        }
    }

    /// Checks feasibility and the optimality conditions exactly (every residual arc's reduced
    /// cost ≥ 0 for the potentials): a proof that the flow is optimal. `O(arcs)`.
    ///
    /// # Errors
    /// The first violation found.
    pub fn verify(&self) -> Result<(), String> {
        let mut sent = vec![0i64; self.left.len()];
        let mut received = vec![0i64; self.right.len()];
        let mut units = vec![0i64; self.left.len()];
        let (mut listed, mut with_bonus) =
            (vec![0u32; self.right.len()], vec![0u32; self.right.len()]);
        for (a, arc) in self.arcs.iter().enumerate() {
            if !arc.live {
                if arc.flow != 0 {
                    return Err(format!("removed arc {a} carries flow"));
                }
                continue;
            }
            if arc.flow < 0 || arc.units < 0 {
                return Err(format!("arc {a}: negative flow or units"));
            }
            let entry = self.right[arc.right as usize].into.get(arc.slot as usize);
            if entry.map_or(true, |e| {
                e.arc != a as u32 || e.left != arc.left || e.value != arc.value
            }) || arc.in_bonus != (arc.flow < arc.units)
            {
                return Err(format!("arc {a}: the index of its right node disagrees"));
            }
            listed[arc.right as usize] += 1;
            with_bonus[arc.right as usize] += u32::from(arc.in_bonus);
            sent[arc.left as usize] += arc.flow;
            received[arc.right as usize] += arc.flow;
            units[arc.left as usize] += arc.units;
            let d = i128::from(self.left_potential[arc.left as usize])
                - i128::from(self.right[arc.right as usize].potential);
            let (v, b) = (i128::from(arc.value), i128::from(self.bonus));
            let up = v + if arc.flow < arc.units { b } else { 0 };
            let down = v + if arc.flow <= arc.units { b } else { 0 };
            if d < up || (arc.flow > 0 && d > down) {
                return Err(format!("arc {a}: reduced cost negative"));
            }
        }
        for (i, l) in self.left.iter().enumerate() {
            if l.excess != 0 || l.inflow != sent[i] || l.inflow > l.supply || l.inflow < 0 {
                return Err(format!("left node {i}: unbalanced or over supply"));
            }
            if units[i] > l.supply {
                return Err(format!("left node {i}: bonus units exceed supply"));
            }
            let p = self.left_potential[i];
            if (l.inflow < l.supply && p > 0) || (l.inflow > 0 && p < 0) {
                return Err(format!("left node {i}: reduced cost negative on O"));
            }
        }
        for (j, r) in self.right.iter().enumerate() {
            if r.into.len() != listed[j] as usize || r.bonus.len() != with_bonus[j] as usize {
                return Err(format!("right node {j}: its arc lists disagree"));
            }
            if r.excess != 0 || r.outflow != received[j] || r.outflow > r.capacity {
                return Err(format!("right node {j}: unbalanced or over capacity"));
            }
            if (r.outflow < r.capacity && r.potential < 0) || (r.outflow > 0 && r.potential > 0) {
                return Err(format!("right node {j}: reduced cost negative on O"));
            }
        }
        Ok(())
    }

    /// The same problem as a static [`Network`], for cross-checks: each left node becomes one
    /// left node per arc with bonus units (supply = those units, with the bonus on that arc)
    /// and one for the rest of its supply.
    pub fn to_network(&self) -> Network {
        let mut net = Network {
            capacity: self.right.iter().map(|r| r.capacity).collect(),
            start: vec![0],
            ..Network::default()
        };
        for (i, l) in self.left.iter().enumerate() {
            let live: Vec<&LiveArc> = self
                .arcs_of(i as u32)
                .map(|a| &self.arcs[a as usize])
                .filter(|a| a.live)
                .collect();
            let mut left = l.supply;
            let parts = live
                .iter()
                .filter(|a| a.units > 0)
                .map(|a| (Some(a.right), a.units))
                .chain(std::iter::once((None, i64::MAX)));
            for (bonus_on, units) in parts {
                let supply = units.min(left);
                left -= supply;
                if supply <= 0 {
                    continue;
                }
                net.supply.push(supply);
                for a in &live {
                    net.head.push(a.right);
                    let bonus = if bonus_on == Some(a.right) {
                        self.bonus
                    } else {
                        0
                    };
                    net.value.push(a.value + bonus);
                }
                net.start.push(net.head.len() as u32);
            }
        }
        net
    }
}
