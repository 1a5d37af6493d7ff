//! Live dispatch: an optimal flow of a transportation network that changes a little at a
//! time (a left or right node added or removed, an arc added, removed or re-valued, a supply or
//! capacity changed), kept optimal by shortest augmenting paths over its node potentials
//! instead of being solved again.
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
//! potentials (after lowering the price of a right node that gained arcs, so that no new arc
//! prices below its value), which leaves some nodes with excess or deficit; each imbalance is
//! then sent along a shortest residual path (Dijkstra on reduced costs, stopping at the first
//! node that can take it, `O` included) and the potentials of the settled nodes move by the
//! distances, which keeps every reduced cost non-negative (successive shortest paths with
//! early termination). A search never fails on a consistent network: a target is always at
//! most two arcs away; if one does, [`LiveFlow::repair`] returns a [`LiveError`].
//!
//! Every change between [`LiveFlow::commit`]s is journaled: [`LiveFlow::rollback`] puts the
//! network back exactly as it was (flows, potentials, lists and free slots). Removed arcs and
//! nodes keep their data until the commit and are reused by later additions.
//!
//! Ties are broken by node indices only (never by arc numbers or list order), so two networks
//! with the same nodes, arcs, flows and potentials make the same repairs however their arcs
//! are numbered: a network rebuilt from a snapshot ([`Rebuild`]) behaves as the one
//! that was saved.

mod batch;
mod cold;
mod journal;
mod rebuild;
mod repair;
mod search;
#[cfg(test)]
mod tests;
mod verify;

pub use rebuild::{LeftPart, Rebuild, RightPart};
pub use repair::LiveError;
pub use verify::ProofError;

use super::{Duals, FlowSolver, Network, SolveError, Solver};
use journal::{Journal, Undo};
use search::Search;

const NONE: u32 = u32::MAX;
/// Residual capacity of an uncapacitated arc.
const INF: i64 = i64::MAX / 4;
/// At least this many imbalances of one sign are settled together, in primal-dual phases
/// (fewer, one shortest path each).
const BATCH: usize = 64;
/// Potentials beyond this magnitude trigger a restart from zero flow (never seen in practice:
/// a guard so that no sum of potentials can approach `i64`'s range).
const POTENTIAL_LIMIT: i64 = 1 << 52;

/// One arc of a [`LiveFlow`]: a pair (left, right) with its value, flow and bonus units. 40
/// bytes (a district ledger holds millions): flows and units are kept in 32 bits, as every
/// left node's supply is at most [`MAX_SUPPLY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveArc {
    /// Value of one unit.
    pub value: i64,
    /// Left node.
    pub left: u32,
    /// Right node.
    pub right: u32,
    flow: u32,
    units: u32,
    /// Its place in its right node's `into` (while live).
    slot: u32,
    /// Its place in its right node's `flowing` (`NONE` without flow).
    flowing_slot: u32,
    /// Whether the arc is in the network (a removed arc keeps its data until the commit).
    pub live: bool,
    /// Whether the flow changed since the last [`LiveFlow::repair`] began.
    changed: bool,
    /// Whether the journal holds the arc's state from before this transaction.
    saved: bool,
    /// Whether it is listed in its right node's `bonus` (live with flow below its units).
    in_bonus: bool,
}

impl LiveArc {
    /// Units on the arc.
    #[inline]
    pub fn flow(&self) -> i64 {
        i64::from(self.flow)
    }

    /// Units that earn the bonus on top of `value`.
    #[inline]
    pub fn units(&self) -> i64 {
        i64::from(self.units)
    }

    fn put_flow(&mut self, flow: i64) {
        self.flow = narrow(flow);
    }

    fn put_units(&mut self, units: i64) {
        self.units = narrow(units);
    }
}

/// The largest supply of a left node (so that flows and units fit in 32 bits).
pub const MAX_SUPPLY: i64 = u32::MAX as i64;

/// A flow or unit count in its 32 bits: at most its left node's supply, which
/// [`LiveFlow`]'s callers keep within [`MAX_SUPPLY`] (a broken promise panics here rather
/// than wrap into a wrong flow).
#[inline]
fn narrow(x: i64) -> u32 {
    match u32::try_from(x) {
        Ok(v) => v,
        Err(_) => panic!("live flow {x} outside 0..=MAX_SUPPLY"),
    }
}

#[derive(Debug, Clone, Default)]
struct Left {
    supply: i64,
    /// Flow on `O → i`.
    inflow: i64,
    /// `inflow − Σ flow out`.
    excess: i64,
    /// Whether the node is in the network (a removed one waits in the free list).
    alive: bool,
    saved: bool,
}

#[derive(Debug, Clone, Default)]
struct Right {
    capacity: i64,
    /// Flow on `j → O`.
    outflow: i64,
    potential: i64,
    /// `Σ flow in − outflow`.
    excess: i64,
    /// Whether the node is in the network (a removed one waits in the free list).
    alive: bool,
    saved: bool,
    /// The live arcs into `j`, with what a backward search needs of them in one place.
    into: Vec<Entry>,
    /// Arcs into `j` with positive flow.
    flowing: Vec<u32>,
    /// Live arcs into `j` whose flow is below their bonus units: the only ones whose next unit
    /// costs more than `value` (a backward search scans them again with the bonus).
    bonus: Vec<u32>,
}

/// An arc into a right node, as its backward scan reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
/// range panics. Quantities and values must keep the ranges of [`Network::check`], and every
/// supply at most [`MAX_SUPPLY`].
#[derive(Debug, Clone, Default)]
pub struct LiveFlow {
    bonus: i64,
    left: Vec<Left>,
    /// The live arcs of each left node, right nodes ascending (apart from the numbers a
    /// search reads, which stay dense).
    left_arcs: Vec<Vec<u32>>,
    /// Potentials of the left nodes, apart from the rest: a backward scan reads one per arc.
    left_potential: Vec<i64>,
    right: Vec<Right>,
    arcs: Vec<LiveArc>,
    /// Free slots, reused last in first out.
    free_arcs: Vec<u32>,
    free_left: Vec<u32>,
    free_right: Vec<u32>,
    /// Slots removed in this transaction: free from the commit on.
    pending_arcs: Vec<u32>,
    pending_left: Vec<u32>,
    pending_right: Vec<u32>,
    /// Nodes whose supply, capacity, arcs or balance changed since the last repair.
    dirty: Vec<Node>,
    /// Arcs whose bonus units or value changed since the last repair.
    dirty_arcs: Vec<u32>,
    /// Right nodes that gained arcs or whose arcs changed value: their price may have to fall.
    reprice: Vec<u32>,
    /// Arcs whose flow changed in the current round of changes.
    changed: Vec<u32>,
    /// What undoes this transaction's changes, latest last.
    journal: Journal,
    /// The work counters (`searches`, `restarts`) when the transaction began.
    searches_at_begin: u64,
    restarts_at_begin: u64,
    search: Search,
    /// The scratch space of settling many imbalances together.
    dfs: batch::Dfs,
    /// Shortest-path searches run so far.
    searches: u64,
    /// Restarts from zero flow so far.
    restarts: u64,
    /// Potentials beyond this trigger a restart ([`POTENTIAL_LIMIT`]; lower in tests).
    potential_limit: i64,
    /// At least this many imbalances of one sign are settled together ([`BATCH`]; any
    /// number in tests).
    batch_from: usize,
    /// At least this many imbalances are settled by solving the network again (`None`: the
    /// default rule of [`LiveFlow::cold_from`]; any number in tests).
    cold_from: Option<usize>,
    /// Test hook: the search with this number fails.
    #[cfg(test)]
    fail_search: Option<u64>,
    /// Test hook: after the search with this number, potentials count as too large.
    #[cfg(test)]
    force_restart: Option<u64>,
}

impl LiveFlow {
    /// Solves `net` with the flow solver and keeps the optimum live, with `bonus` per bonus
    /// unit (no arc has bonus units yet).
    ///
    /// # Errors
    /// The flow solver's, [`SolveError::Unverified`] without duals, or
    /// [`SolveError::Unsupported`] for a network with runs or floors (live dispatch keeps
    /// the pairs' values only, so it refuses fairness terms rather than ignore them).
    pub fn solve(net: &Network, bonus: i64) -> Result<LiveFlow, SolveError> {
        if net.has_terms() {
            return Err(SolveError::Unsupported("fairness terms in live dispatch"));
        }
        if net.supply.iter().any(|&s| s > MAX_SUPPLY) {
            return Err(SolveError::NumericRange(
                "a supply beyond live dispatch's MAX_SUPPLY",
            ));
        }
        let sol = FlowSolver::default().solve(net)?;
        let duals = sol
            .duals
            .as_ref()
            .ok_or_else(|| SolveError::Unverified("the flow solver gave no duals".into()))?;
        Ok(LiveFlow::from_optimum(net, &sol.flow, duals, bonus))
    }

    fn empty(bonus: i64) -> LiveFlow {
        LiveFlow {
            bonus,
            potential_limit: POTENTIAL_LIMIT,
            batch_from: BATCH,
            ..LiveFlow::default()
        }
    }

    /// The live form of an optimal solution of `net` with its optimal duals.
    pub fn from_optimum(net: &Network, flow: &[i64], duals: &Duals, bonus: i64) -> LiveFlow {
        let mut live = LiveFlow::empty(bonus);
        let mut degree = vec![0usize; net.capacity.len()];
        for &j in &net.head {
            degree[j as usize] += 1;
        }
        live.right = net
            .capacity
            .iter()
            .zip(&duals.right)
            .zip(degree)
            .map(|((&capacity, &w), d)| Right {
                capacity,
                potential: -w,
                alive: true,
                into: Vec::with_capacity(d),
                ..Right::default()
            })
            .collect();
        live.arcs.reserve(net.arcs());
        for (i, &supply) in net.supply.iter().enumerate() {
            let range = net.out(i);
            let mut sent = 0;
            for a in range.clone() {
                live.push_arc(i as u32, net.head[a], net.value[a], flow[a]);
                sent += flow[a];
            }
            live.left_potential.push(duals.left[i]);
            live.left_arcs
                .push((range.start as u32..range.end as u32).collect());
            live.left.push(Left {
                supply,
                inflow: sent,
                alive: true,
                ..Left::default()
            });
        }
        live.search.left.grow(live.left.len());
        live.search.right.grow(live.right.len());
        live.commit();
        live
    }

    /// Whether left node `i` is in the network.
    #[cfg(test)]
    pub fn left_alive(&self, i: u32) -> bool {
        self.left[i as usize].alive
    }

    /// Number of left node slots (free ones included).
    #[cfg(test)]
    pub fn lefts(&self) -> usize {
        self.left.len()
    }

    /// Number of right node slots (removed ones included).
    pub fn rights(&self) -> usize {
        self.right.len()
    }

    /// The live arcs of left node `i`, right nodes ascending.
    pub fn arcs_of(&self, i: u32) -> &[u32] {
        &self.left_arcs[i as usize]
    }

    /// Arc `a`.
    pub fn arc(&self, a: u32) -> &LiveArc {
        &self.arcs[a as usize]
    }

    /// The live arc from left node `i` to right node `j`, if any.
    pub fn find(&self, i: u32, j: u32) -> Option<u32> {
        let arcs = &self.left_arcs[i as usize];
        let k = arcs.partition_point(|&a| self.arcs[a as usize].right < j);
        arcs.get(k)
            .copied()
            .filter(|&a| self.arcs[a as usize].right == j)
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

    /// Restarts from zero flow so far (potentials grown beyond the guard).
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// Sets the work counter (a restored network goes on counting from its saved value).
    pub fn set_searches(&mut self, searches: u64) {
        self.searches = searches;
        self.searches_at_begin = searches;
    }

    /// The bonus per bonus unit.
    pub fn bonus(&self) -> i64 {
        self.bonus
    }

    /// What a snapshot needs beyond the arcs: every node's potential and the free node slots
    /// (as [`Rebuild`] takes them back). Call between transactions.
    pub fn snapshot_parts(&self) -> (Vec<LeftPart>, Vec<RightPart>, &[u32], &[u32]) {
        let lefts = self
            .left
            .iter()
            .zip(&self.left_potential)
            .map(|(l, &potential)| LeftPart {
                supply: l.supply,
                potential,
            })
            .collect();
        let rights = self
            .right
            .iter()
            .map(|r| RightPart {
                capacity: r.capacity,
                potential: r.potential,
                alive: r.alive,
            })
            .collect();
        (lefts, rights, &self.free_left, &self.free_right)
    }

    /// `Σ value · flow + bonus · Σ min(flow, units)` over live arcs.
    pub fn objective(&self) -> i64 {
        self.arcs
            .iter()
            .filter(|a| a.live)
            .map(|a| a.value * a.flow() + self.bonus * a.flow().min(a.units()))
            .sum()
    }

    /// Adds a left node with `supply` and arcs `(right, value)` (rights distinct); returns its
    /// index. Call [`LiveFlow::repair`] to serve it.
    pub fn add_left(&mut self, supply: i64, arcs: impl IntoIterator<Item = (u32, i64)>) -> u32 {
        let i = match self.free_left.pop() {
            Some(i) => {
                self.journal.push(Undo::LeftReused(i));
                i
            }
            None => {
                self.left.push(Left::default());
                self.left_arcs.push(Vec::new());
                self.left_potential.push(0);
                self.search.left.grow(self.left.len());
                self.journal.push(Undo::LeftAdded);
                self.left.len() as u32 - 1
            }
        };
        let l = self.left_mut(i);
        l.supply = supply;
        l.alive = true;
        // The least potential that prices every new arc fairly keeps reduced costs ≥ 0.
        let mut potential: Option<i64> = None;
        let mut list = Vec::new();
        for (j, value) in arcs {
            list.push(self.push_arc(i, j, value, 0));
            let p = value + self.right[j as usize].potential;
            potential = Some(potential.map_or(p, |q| q.max(p)));
        }
        list.sort_unstable_by_key(|&a| self.arcs[a as usize].right);
        self.journal.save_left_arcs(i, Vec::new());
        self.left_arcs[i as usize] = list;
        *self.left_potential_mut(i) = potential.unwrap_or(0);
        self.dirty.push(Node::Left(i));
        i
    }

    /// Adds a right node with `capacity` and no arcs; returns its index.
    pub fn add_right(&mut self, capacity: i64) -> u32 {
        let j = match self.free_right.pop() {
            Some(j) => {
                self.journal.push(Undo::RightReused(j));
                j
            }
            None => {
                self.right.push(Right::default());
                self.search.right.grow(self.right.len());
                self.journal.push(Undo::RightAdded);
                self.right.len() as u32 - 1
            }
        };
        let r = self.right_mut(j);
        r.capacity = capacity;
        r.potential = 0;
        r.alive = true;
        self.dirty.push(Node::Right(j));
        j
    }

    /// Adds an arc without flow from left node `i` to right node `j` (which has none yet);
    /// returns its index. The next repair lowers `j`'s price if the arc asks for it.
    pub fn add_arc(&mut self, i: u32, j: u32, value: i64) -> u32 {
        let a = self.push_arc(i, j, value, 0);
        let arcs = &self.arcs;
        let list = &self.left_arcs[i as usize];
        let k = list.partition_point(|&b| arcs[b as usize].right < j);
        self.journal.save_left_arcs(i, list.clone());
        self.left_arcs[i as usize].insert(k, a);
        self.reprice.push(j);
        a
    }

    /// A new live arc from `left` to `right` with `flow`, listed at `right` (not at `left`).
    fn push_arc(&mut self, left: u32, right: u32, value: i64, flow: i64) -> u32 {
        let arc = LiveArc {
            value,
            left,
            right,
            flow: 0,
            units: 0,
            slot: NONE,
            flowing_slot: NONE,
            live: true,
            changed: false,
            saved: false,
            in_bonus: false,
        };
        let a = match self.free_arcs.pop() {
            Some(a) => {
                self.journal.push(Undo::ArcReused(a));
                self.touch_arc(a);
                self.arcs[a as usize] = LiveArc { saved: true, ..arc };
                a
            }
            None => {
                self.arcs.push(arc);
                self.journal.push(Undo::ArcAdded);
                self.arcs.len() as u32 - 1
            }
        };
        let slot = self.right[right as usize].into.len() as u32;
        self.arcs[a as usize].slot = slot;
        self.journal.push(Undo::IntoPushed(right));
        self.right[right as usize].into.push(Entry {
            left,
            arc: a,
            value,
        });
        if flow > 0 {
            self.arcs[a as usize].put_flow(flow);
            self.list_flowing(a);
            let r = self.right_mut(right);
            r.outflow += flow;
        }
        a
    }

    /// Removes arc `a`; its flow returns to its left node (as excess) and leaves its right
    /// node (as deficit) until the next repair. Its slot is free from the commit on.
    pub fn remove_arc(&mut self, a: u32) {
        if !self.arcs[a as usize].live {
            return;
        }
        let i = self.arcs[a as usize].left;
        self.detach(a);
        let list = &self.left_arcs[i as usize];
        if let Some(k) = list.iter().position(|&b| b == a) {
            self.journal.save_left_arcs(i, list.clone());
            self.left_arcs[i as usize].remove(k);
        }
    }

    /// Takes arc `a` out of its right node's lists and the flow off it; not out of its left
    /// node's list.
    fn detach(&mut self, a: u32) {
        let arc = self.arcs[a as usize];
        let (i, j, f) = (arc.left, arc.right, arc.flow());
        self.add_flow(a, -f);
        self.left_mut(i).excess += f;
        self.right_mut(j).excess -= f;
        // An arc without flow or units changes only in `live`, which undoing its removal from
        // `into` restores: most removed arcs need no saved copy.
        let arc = if f != 0 || arc.units != 0 {
            self.arc_mut(a)
        } else {
            &mut self.arcs[a as usize]
        };
        arc.live = false;
        arc.units = 0;
        let slot = arc.slot;
        self.track_bonus(a);
        let into = &mut self.right[j as usize].into;
        let removed = into.swap_remove(slot as usize);
        self.journal.push(Undo::IntoRemoved(j, slot, removed.arc));
        // The arc moved into the slot is not saved for this: undoing the removal puts it back.
        if let Some(moved) = into.get(slot as usize).map(|e| e.arc) {
            self.arcs[moved as usize].slot = slot;
        }
        self.pending_arcs.push(a);
        self.dirty.push(Node::Left(i));
        self.dirty.push(Node::Right(j));
    }

    /// Removes every arc of left node `i` and sets its supply to 0; its slot is free from the
    /// commit on.
    pub fn remove_left(&mut self, i: u32) {
        if !self.left[i as usize].alive {
            return;
        }
        self.left_mut(i).alive = false;
        let list = std::mem::take(&mut self.left_arcs[i as usize]);
        for &a in &list {
            self.detach(a);
        }
        self.journal.save_left_arcs(i, list);
        self.set_supply(i, 0);
        self.pending_left.push(i);
    }

    /// Removes right node `j` with its arcs; its slot is free from the commit on.
    pub fn remove_right(&mut self, j: u32) {
        if !self.right[j as usize].alive {
            return;
        }
        let arcs: Vec<u32> = self.right[j as usize].into.iter().map(|e| e.arc).collect();
        for a in arcs {
            self.remove_arc(a);
        }
        self.set_capacity(j, 0);
        self.right_mut(j).alive = false;
        self.pending_right.push(j);
    }

    /// Sets the supply of left node `i`. Bonus units beyond the new supply are cut, from the
    /// last arc backwards.
    pub fn set_supply(&mut self, i: u32, supply: i64) {
        let l = self.left_mut(i);
        l.supply = supply;
        if l.inflow > supply {
            l.excess -= l.inflow - supply;
            l.inflow = supply;
        }
        let list = &self.left_arcs[i as usize];
        let mut over: i64 = list
            .iter()
            .map(|&a| self.arcs[a as usize].units())
            .sum::<i64>()
            - supply;
        for k in (0..list.len()).rev() {
            if over <= 0 {
                break;
            }
            let a = self.left_arcs[i as usize][k];
            let cut = over.min(self.arcs[a as usize].units());
            if cut > 0 {
                let arc = self.arc_mut(a);
                arc.put_units(arc.units() - cut);
                self.track_bonus(a);
                self.dirty_arcs.push(a);
                over -= cut;
            }
        }
        self.dirty.push(Node::Left(i));
    }

    /// Sets the capacity of right node `j`.
    pub fn set_capacity(&mut self, j: u32, capacity: i64) {
        let r = self.right_mut(j);
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
        let others: i64 = self.left_arcs[i as usize]
            .iter()
            .filter(|&&b| b != a)
            .map(|&b| self.arcs[b as usize].units())
            .sum();
        let units = units.min(self.left[i as usize].supply - others).max(0);
        if self.arcs[a as usize].live && self.arcs[a as usize].units() != units {
            self.arc_mut(a).put_units(units);
            self.track_bonus(a);
            self.dirty_arcs.push(a);
        }
    }

    /// Puts the bonus on the flow of live arc `a` (units = flow) after a repair. This keeps the
    /// flow optimal: an optimal flow has `value ≤ π_left − π_right ≤ value + bonus` on every
    /// arc with flow and `π_left − π_right ≥ value` on every other, which is what the arc asks
    /// for once its units equal its flow; so nothing is left for the next repair to check.
    /// Lower the units of a left node's arcs before raising any, to stay within its supply.
    pub fn rebase(&mut self, a: u32) {
        let arc = self.arcs[a as usize];
        if arc.live && arc.units != arc.flow {
            self.arc_mut(a).units = arc.flow;
            self.track_bonus(a);
        }
    }

    /// Sets the value of live arc `a`.
    pub fn set_value(&mut self, a: u32, value: i64) {
        let arc = self.arcs[a as usize];
        if !arc.live || arc.value == value {
            return;
        }
        let j = arc.right;
        self.arc_mut(a).value = value;
        let old = self.right[j as usize].into[arc.slot as usize];
        self.journal.save_entry(j, arc.slot, old);
        self.right[j as usize].into[arc.slot as usize].value = value;
        self.dirty_arcs.push(a);
        self.reprice.push(j);
    }

    /// Sets the bonus per bonus unit; every arc with bonus units is checked at the next repair.
    pub fn set_bonus(&mut self, bonus: i64) {
        if bonus == self.bonus {
            return;
        }
        self.journal.push(Undo::Bonus(self.bonus));
        self.bonus = bonus;
        for j in 0..self.right.len() as u32 {
            if self.right[j as usize].alive {
                self.reprice.push(j);
            }
        }
        for a in 0..self.arcs.len() as u32 {
            if self.arcs[a as usize].live && self.arcs[a as usize].units > 0 {
                self.dirty_arcs.push(a);
            }
        }
    }

    /// Takes `q ≤ flow` units of arc `a` out of the network together with the supply and
    /// capacity they use (they become fixed elsewhere). Optimality is kept as it is.
    pub fn pin(&mut self, a: u32, q: i64) {
        let arc = self.arcs[a as usize];
        let (i, j) = (arc.left, arc.right);
        let q = q.clamp(0, arc.flow());
        self.add_flow(a, -q);
        let arc = self.arc_mut(a);
        arc.put_units((arc.units() - q).max(0));
        self.track_bonus(a);
        let l = self.left_mut(i);
        l.inflow -= q;
        let supply = l.supply - q;
        let r = self.right_mut(j);
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
            arc.units() - arc.flow()
        } else {
            INF
        }
    }

    fn backward_room(&self, arc: &LiveArc) -> i64 {
        if arc.flow > arc.units {
            arc.flow() - arc.units()
        } else {
            arc.flow()
        }
    }

    fn add_flow(&mut self, a: u32, delta: i64) {
        if delta == 0 {
            return;
        }
        let arc = self.arc_mut(a);
        let before = arc.flow();
        arc.put_flow(arc.flow() + delta);
        let after = arc.flow();
        if !arc.changed {
            arc.changed = true;
            self.changed.push(a);
        }
        if before == 0 && after > 0 {
            self.list_flowing(a);
        } else if before > 0 && after == 0 {
            self.unlist_flowing(a);
        }
        self.track_bonus(a);
    }

    fn list_flowing(&mut self, a: u32) {
        let j = self.arcs[a as usize].right;
        let slot = self.right[j as usize].flowing.len() as u32;
        self.arc_mut(a).flowing_slot = slot;
        self.journal.push(Undo::FlowingPushed(j));
        self.right[j as usize].flowing.push(a);
    }

    fn unlist_flowing(&mut self, a: u32) {
        let (j, slot) = (
            self.arcs[a as usize].right,
            self.arcs[a as usize].flowing_slot,
        );
        if slot == NONE {
            return;
        }
        self.arc_mut(a).flowing_slot = NONE;
        let list = &mut self.right[j as usize].flowing;
        let removed = list.swap_remove(slot as usize);
        self.journal.push(Undo::FlowingRemoved(j, slot, removed));
        if let Some(&moved) = self.right[j as usize].flowing.get(slot as usize) {
            self.arc_mut(moved).flowing_slot = slot;
        }
    }

    /// Keeps arc `a` listed in its right node's `bonus` exactly while it is live with flow
    /// below its bonus units.
    fn track_bonus(&mut self, a: u32) {
        let arc = self.arcs[a as usize];
        let open = arc.live && arc.flow < arc.units;
        if open == arc.in_bonus {
            return;
        }
        let j = arc.right;
        self.arc_mut(a).in_bonus = open;
        let list = &mut self.right[j as usize].bonus;
        if open {
            self.journal.push(Undo::BonusPushed(j));
            list.push(a);
        } else if let Some(slot) = list.iter().position(|&b| b == a) {
            list.swap_remove(slot);
            self.journal.push(Undo::BonusRemoved(j, slot as u32, a));
        }
    }

    fn add_excess(&mut self, v: Node, delta: i64) {
        match v {
            Node::Left(i) => self.left_mut(i).excess += delta,
            Node::Right(j) => self.right_mut(j).excess += delta,
            Node::Out => {}
        }
    }

    /// Test hook: the `n`-th search from now on fails (`None`: none fails).
    #[cfg(test)]
    pub fn fail_search_after(&mut self, n: Option<u64>) {
        self.fail_search = n.map(|n| self.searches + n);
    }

    /// Test hook: after the `n`-th search from now on, potentials count as too large (which
    /// restarts the repair from zero flow).
    #[cfg(test)]
    pub fn force_restart_after(&mut self, n: Option<u64>) {
        self.force_restart = n.map(|n| self.searches + n);
    }

    /// Test hook: at least `n` imbalances of one sign are settled together.
    #[cfg(test)]
    pub fn set_batch_from(&mut self, n: usize) {
        self.batch_from = n;
    }

    /// Test hook: at least `n` imbalances are settled by solving the network again.
    #[cfg(test)]
    pub fn set_cold_from(&mut self, n: usize) {
        self.cold_from = Some(n);
    }

    /// Test hook: potentials beyond `limit` trigger a restart.
    #[cfg(test)]
    pub fn set_potential_limit(&mut self, limit: i64) {
        self.potential_limit = limit;
    }
}

// A district ledger holds millions of arcs.
const _: () = assert!(std::mem::size_of::<LiveArc>() == 40);
