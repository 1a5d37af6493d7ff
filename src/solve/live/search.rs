//! The shortest-path search of a repair: Dijkstra on reduced costs from one unbalanced node,
//! forward or backward, to the nearest node that can take its imbalance (`O` included), with
//! labels reset lazily by generation stamps.
//!
//! Ties are broken by node indices alone: among equal labels a node keeps the predecessor
//! with the least index, `O` is reached through the least node, and the heap pops the least
//! node first. The result therefore does not depend on the order of any arc list.

use super::{LiveFlow, Node, NONE};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Dijkstra's labels on one side, reset lazily by generation stamps.
#[derive(Debug, Clone, Default)]
pub(super) struct Labels {
    dist: Vec<i64>,
    pred: Vec<u32>,
    /// The index of the node the predecessor arc comes from (the tie-breaker).
    key: Vec<u32>,
    /// Generation in which the node was labelled.
    seen: Vec<u32>,
    /// Generation in which the node was settled.
    done: Vec<u32>,
}

/// The search's scratch space is no part of the network's state.
impl std::fmt::Debug for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Search")
    }
}

impl Labels {
    pub(super) fn grow(&mut self, n: usize) {
        self.dist.resize(n, 0);
        self.pred.resize(n, NONE);
        self.key.resize(n, NONE);
        self.seen.resize(n, 0);
        self.done.resize(n, 0);
    }
}

#[derive(Clone, Default)]
pub(super) struct Search {
    pub(super) generation: u32,
    pub(super) left: Labels,
    pub(super) right: Labels,
    /// Distance of `O` and the node it was reached through.
    pub(super) out: Option<(i64, Node)>,
    /// The least label of a target so far: no label at or above it can matter.
    pub(super) bound: i64,
    pub(super) heap: BinaryHeap<Reverse<(i64, u8, Node)>>,
    pub(super) settled: Vec<Node>,
}

impl Search {
    pub(super) fn begin(&mut self) {
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
    pub(super) fn dist(&self, v: Node) -> Option<i64> {
        match self.side(v) {
            Some((l, k)) => (l.seen[k] == self.generation).then(|| l.dist[k]),
            None => self.out.map(|o| o.0),
        }
    }

    pub(super) fn is_settled(&self, v: Node) -> bool {
        self.side(v)
            .is_some_and(|(l, k)| l.done[k] == self.generation)
    }

    pub(super) fn pred(&self, v: Node) -> u32 {
        self.side(v).map_or(NONE, |(l, k)| l.pred[k])
    }

    /// Offers `v` the label `d` through arc `pred` from the node with index `key`; targets (as
    /// `target` tells, asked only if the label could matter) pop first among equals. Among
    /// equal labels the least `key` wins. `ties_out` tells (asked only at the bound) whether
    /// `v`'s own arc to or from `O` costs nothing, so that `v` would reach `O` at this same
    /// label. Returns whether `v` took the label.
    fn offer(
        &mut self,
        v: Node,
        d: i64,
        pred: u32,
        key: u32,
        ties_out: impl FnOnce() -> bool,
        target: impl FnOnce() -> bool,
    ) -> bool {
        if d > self.bound || self.is_settled(v) {
            return false;
        }
        if let Some((l, k)) = self.side(v) {
            if l.seen[k] == self.generation && (l.dist[k], l.key[k]) <= (d, key) {
                return false;
            }
        }
        // A target as near as the bound still counts: at equal distance a node's imbalance
        // is better settled than sent to O. Another node at the bound can matter only as a
        // way into O at that same distance: it is labelled (never queued, it would never be
        // settled), so that O's way in is the least such node whatever the order in which
        // arcs are scanned.
        let target = target();
        if target {
            self.bound = d;
        } else if d == self.bound && !ties_out() {
            return false;
        }
        let queued = target || d < self.bound;
        let generation = self.generation;
        let (l, k) = match v {
            Node::Left(i) => (&mut self.left, i as usize),
            Node::Right(j) => (&mut self.right, j as usize),
            Node::Out => return false,
        };
        l.seen[k] = generation;
        l.dist[k] = d;
        l.pred[k] = pred;
        l.key[k] = key;
        if queued {
            self.heap.push(Reverse((d, u8::from(!target), v)));
        }
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

    /// Offers `O` the label `d` through `via`; among equal labels the least node wins.
    fn offer_out(&mut self, d: i64, via: Node) {
        if d > self.bound {
            return;
        }
        match self.out {
            Some((old, w)) if (old, w) <= (d, via) => {}
            Some((old, _)) if old == d => self.out = Some((d, via)),
            _ if d == self.bound => {
                // A target as near as `O` wins over it (see `offer`), but `O` keeps the least
                // node it can be reached through in case no target is.
                self.out = Some((d, via));
                self.heap.push(Reverse((d, 0, Node::Out)));
            }
            _ => {
                self.bound = d;
                self.out = Some((d, via));
                self.heap.push(Reverse((d, 0, Node::Out)));
            }
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

impl LiveFlow {
    /// Dijkstra on reduced costs from `from`: forward to the nearest node with a deficit or
    /// `O` when `from` has excess, backward (along reversed arcs) to the nearest node with
    /// excess or `O` when it has a deficit. Returns the target and its distance.
    pub(super) fn find_path(&mut self, from: Node, forward: bool) -> Option<(Node, i64)> {
        self.find_paths(&[from], forward)
    }

    /// As [`LiveFlow::find_path`] from all of `sources` at once (each at distance 0; they
    /// share the sign of their imbalance): the nearest target of any of them.
    pub(super) fn find_paths(&mut self, sources: &[Node], forward: bool) -> Option<(Node, i64)> {
        self.searches += 1;
        #[cfg(test)]
        if self.fail_search == Some(self.searches) {
            return None;
        }
        let mut s = std::mem::take(&mut self.search);
        s.begin();
        for &from in sources {
            s.offer(from, 0, NONE, NONE, || false, || false);
        }
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
            if wants(self.excess(v)) {
                found = Some((v, d));
                break;
            }
            s.settle(v);
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
                    for &a in self.left_arcs[i as usize].iter().take(s.limit(d)) {
                        let arc = &self.arcs[a as usize];
                        if arc.live {
                            let (w, r) = (Node::Right(arc.right), &self.right[arc.right as usize]);
                            let label = d + self.forward_cost(arc);
                            let ties = || r.outflow < r.capacity && r.potential == 0;
                            if s.offer(w, label, a, i, ties, || wants(r.excess))
                                && r.outflow < r.capacity
                            {
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
                        let ties = || l.inflow > 0 && self.left_potential[arc.left as usize] == 0;
                        if s.offer(w, label, a, j, ties, || wants(l.excess)) && l.inflow > 0 {
                            s.offer_out(label + self.left_potential[arc.left as usize], w);
                        }
                    }
                }
                (Node::Left(i), false) => {
                    let l = &self.left[i as usize];
                    if l.inflow < l.supply {
                        s.offer_out(d - self.left_potential[i as usize], v);
                    }
                    for &a in self.left_arcs[i as usize].iter().take(s.limit(d)) {
                        let arc = &self.arcs[a as usize];
                        if arc.flow > 0 {
                            let (w, r) = (Node::Right(arc.right), &self.right[arc.right as usize]);
                            let label = d + self.backward_cost(arc);
                            let ties = || r.outflow > 0 && r.potential == 0;
                            if s.offer(w, label, a, i, ties, || wants(r.excess)) && r.outflow > 0 {
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
                            let lp = self.left_potential[e.left as usize];
                            let ties = || l.inflow < l.supply && lp == 0;
                            if s.offer(w, label, e.arc, j, ties, || wants(l.excess))
                                && l.inflow < l.supply
                            {
                                s.offer_out(label - self.left_potential[e.left as usize], w);
                            }
                        }
                    }
                    for &a in r.bonus.iter().take(s.limit(d)) {
                        let arc = &self.arcs[a as usize];
                        let (w, l) = (Node::Left(arc.left), &self.left[arc.left as usize]);
                        let label = d + self.forward_cost(arc);
                        let lp = self.left_potential[arc.left as usize];
                        let ties = || l.inflow < l.supply && lp == 0;
                        if s.offer(w, label, a, j, ties, || wants(l.excess)) && l.inflow < l.supply
                        {
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
}
