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

mod repair;
mod search;
#[cfg(test)]
mod tests;
mod verify;

pub use verify::ProofError;

use super::{Duals, FlowSolver, Network, SolveError, Solver};
use search::Search;
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

/// An optimal flow that follows changes to its network.
///
/// Node and arc indices are the caller's to keep in range, as with slices: an index out of
/// range panics. Quantities and values must keep the ranges of [`Network::check`].
///
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
    #[cfg(test)]
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

    /// The arcs into right node `j` that carry flow, in no particular order.
    pub fn flowing_into(&self, j: u32) -> &[u32] {
        &self.right[j as usize].flowing
    }

    /// Shortest-path searches run so far (a work counter).
    pub fn searches(&self) -> u64 {
        self.searches
    }

    /// `Σ value · flow + bonus · Σ min(flow, units)` over live arcs.
    #[cfg(test)]
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

    fn excess(&self, v: Node) -> i64 {
        match v {
            Node::Left(i) => self.left[i as usize].excess,
            Node::Right(j) => self.right[j as usize].excess,
            Node::Out => 0,
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

    fn add_excess(&mut self, v: Node, delta: i64) {
        match v {
            Node::Left(i) => self.left[i as usize].excess += delta,
            Node::Right(j) => self.right[j as usize].excess += delta,
            Node::Out => {}
        }
    }
}
