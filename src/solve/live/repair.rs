//! Repairs: after changes, flows move into their optimal range for the current prices (or a
//! price alone moves, when that keeps the flow optimal), and each imbalance left is sent along
//! a shortest residual path, whose distances raise the settled nodes' potentials.

use super::{LiveFlow, Node, INF, POTENTIAL_LIMIT};

impl LiveFlow {
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
    #[cfg(test)]
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
}
