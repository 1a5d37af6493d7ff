//! Repairs: after changes, right nodes that gained arcs get a price no new arc objects to,
//! flows move into their optimal range for the current prices (or a price alone moves, when
//! that keeps the flow optimal), and each imbalance left is sent along a shortest residual
//! path, whose distances move the settled nodes' potentials.

use super::{LiveFlow, Node, INF, NONE};

/// A repair that could not finish: the network broke an invariant that the code relies on.
/// Any of these is a bug; the caller rolls the transaction back (the ledger then rejects the
/// command as `internal`, with nothing changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// No residual path led from an unbalanced node to a node that could take its imbalance.
    #[error("live dispatch: no residual path from an unbalanced node")]
    NoPath,
    /// An augmenting path could carry nothing.
    #[error("live dispatch: an augmenting path carried nothing")]
    NoProgress,
    /// Potentials grew beyond the guard even after a restart from zero flow.
    #[error("live dispatch: potentials out of range after a restart")]
    PotentialRange,
    /// A search's predecessor chain did not lead back to its start.
    #[error("live dispatch: a path's predecessors are broken")]
    BrokenPath,
    /// Solving the network again failed.
    #[error("live dispatch: solving the network again failed")]
    Cold,
}

impl LiveError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            LiveError::NoPath => "no_path",
            LiveError::NoProgress => "no_progress",
            LiveError::PotentialRange => "potential_range",
            LiveError::BrokenPath => "broken_path",
            LiveError::Cold => "cold_solve",
        }
    }
}

impl LiveFlow {
    /// Restores optimality after changes and returns the arcs whose flow or bonus units
    /// changed since the previous repair, by (left, right) node.
    ///
    /// # Errors
    /// A [`LiveError`] (a bug): the network is then inconsistent until
    /// [`LiveFlow::rollback`].
    pub fn repair(&mut self) -> Result<Vec<u32>, LiveError> {
        self.repair_once(true)
    }

    fn repair_once(&mut self, may_restart: bool) -> Result<Vec<u32>, LiveError> {
        // Right nodes that gained arcs or whose arcs changed value: no arc may price below
        // its value, so the node's price falls as far as its cheapest arc needs.
        let mut reprice = std::mem::take(&mut self.reprice);
        reprice.sort_unstable();
        reprice.dedup();
        for j in reprice {
            self.reprice_right(j);
        }
        // Arcs whose bonus units or value changed: flow into the optimal range for the
        // potentials, taken by their ends (never by arc number or list order).
        let mut dirty_arcs = std::mem::take(&mut self.dirty_arcs);
        self.sort_canonically(&mut dirty_arcs);
        for &a in &dirty_arcs {
            let arc = &self.arcs[a as usize];
            if !arc.live {
                continue;
            }
            let (i, j, f) = (arc.left, arc.right, arc.flow());
            let (lo, hi) = self.optimal_range(a);
            if !(lo..=hi).contains(&f)
                && (self.refit_left(i) || self.refit_right(j) || self.refit_pair(a))
            {
                // A new price for one end, or for both ends together, keeps the flow optimal
                // (and the ends' arcs to or from O, which the refits also check).
                continue;
            }
            let target = f.clamp(lo, hi);
            if target != f {
                self.add_flow(a, target - f);
                self.left_mut(i).excess -= target - f;
                self.right_mut(j).excess += target - f;
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
                    let l = self.left_mut(i);
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
                    let r = self.right_mut(j);
                    r.excess -= target - r.outflow;
                    r.outflow = target;
                }
                Node::Out => {}
            }
        }
        // Very many imbalances: the network solved again.
        let imbalanced = work.iter().filter(|&&v| self.excess(v) != 0).count();
        if imbalanced > 0 && imbalanced >= self.cold_from() {
            self.solve_cold()?;
            return Ok(self.take_changed(dirty_arcs));
        }
        // Successive shortest paths until every node is balanced.
        // Deficits first: a resource that lost flow often takes it back from the order that
        // lost it (a short search), leaving searches for what really moves.
        work.sort_by_key(|v| matches!(v, Node::Left(_)));
        // Many at once: settled together, deficits first.
        for forward in [false, true] {
            let sign = |x: i64| if forward { x > 0 } else { x < 0 };
            let count = work.iter().filter(|&&v| sign(self.excess(v))).count();
            if count >= self.batch_from && self.settle_together(&work, forward)? {
                return self.restart_repair(may_restart, dirty_arcs);
            }
        }
        for &v in &work {
            while self.excess(v) != 0 {
                let forward = self.excess(v) > 0;
                let (target, d) = self.find_path(v, forward).ok_or(LiveError::NoPath)?;
                #[allow(unused_mut)]
                let mut too_large = self.update_potentials(d, forward);
                #[cfg(test)]
                {
                    too_large |= self.force_restart == Some(self.searches);
                }
                self.augment(v, target, forward)?;
                if too_large {
                    return self.restart_repair(may_restart, dirty_arcs);
                }
            }
        }
        Ok(self.take_changed(dirty_arcs))
    }

    /// Potentials grew past the guard: the repair starts again from zero flow, once.
    fn restart_repair(
        &mut self,
        may_restart: bool,
        dirty_arcs: Vec<u32>,
    ) -> Result<Vec<u32>, LiveError> {
        if !may_restart {
            return Err(LiveError::PotentialRange);
        }
        self.restart();
        self.restarts += 1;
        let mut changed = self.repair_once(false)?;
        changed.extend(dirty_arcs);
        self.sort_canonically(&mut changed);
        Ok(changed)
    }

    /// The arcs whose flow changed in this repair, and those whose bonus units changed (their
    /// units may have to follow their flow again), in canonical order.
    fn take_changed(&mut self, dirty_arcs: Vec<u32>) -> Vec<u32> {
        let mut changed = std::mem::take(&mut self.changed);
        for &a in &changed {
            self.arcs[a as usize].changed = false;
        }
        changed.extend(dirty_arcs);
        self.sort_canonically(&mut changed);
        changed
    }

    /// Sorts arcs by their ends (a removed arc before a live one of the same ends) and drops
    /// repeats: an order that does not depend on arc numbers.
    fn sort_canonically(&self, arcs: &mut Vec<u32>) {
        arcs.sort_unstable_by_key(|&a| {
            let arc = &self.arcs[a as usize];
            (arc.left, arc.right, arc.live, a)
        });
        arcs.dedup();
    }

    /// Solves again from zero flow by successive shortest paths, ignoring the current flow
    /// and potentials (slow: the guard against potentials grown too large, and a
    /// cross-check). Returns the arcs whose flow changed.
    ///
    /// # Errors
    /// As [`LiveFlow::repair`].
    pub fn resolve(&mut self) -> Result<Vec<u32>, LiveError> {
        self.restart();
        self.repair_once(false)
    }

    fn restart(&mut self) {
        for a in 0..self.arcs.len() as u32 {
            let f = self.arcs[a as usize].flow();
            if f != 0 {
                self.add_flow(a, -f);
            }
        }
        for j in 0..self.right.len() as u32 {
            let r = self.right_mut(j);
            r.outflow = 0;
            r.excess = 0;
            r.potential = 0;
        }
        for i in 0..self.left.len() as u32 {
            let bonus = self.bonus;
            let potential = self.left_arcs[i as usize]
                .iter()
                .map(|&a| &self.arcs[a as usize])
                .map(|a| a.value + if a.units > 0 { bonus } else { 0 })
                .fold(0, i64::max);
            let l = self.left_mut(i);
            l.inflow = 0;
            l.excess = 0;
            *self.left_potential_mut(i) = potential;
            self.dirty.push(Node::Left(i));
        }
        self.dirty_arcs.clear();
        self.reprice.clear();
    }

    /// Lowers the price of right node `j` until no live arc into it prices below its value
    /// (plus the bonus on its bonus units); the flowing arcs and `j`'s arc to O are then
    /// checked by the repair.
    fn reprice_right(&mut self, j: u32) {
        let r = &self.right[j as usize];
        let mut p = r.potential;
        for e in &r.into {
            p = p.min(self.left_potential[e.left as usize] - e.value);
        }
        for &a in &r.bonus {
            let arc = &self.arcs[a as usize];
            p = p.min(self.left_potential[arc.left as usize] - arc.value - self.bonus);
        }
        if p < r.potential {
            self.right_mut(j).potential = p;
            let flowing = self.right[j as usize].flowing.clone();
            self.dirty_arcs.extend(flowing);
            self.dirty.push(Node::Right(j));
        }
    }

    /// Moves the potential of left node `i` into the range where every residual arc at `i`
    /// (its arcs and its arc from or to O) has a non-negative reduced cost, if that range is
    /// not empty: a change of prices that keeps the flow optimal without moving it (an offer
    /// that lost its bonus often stays where it is). Returns whether it could.
    fn refit_left(&mut self, i: u32) -> bool {
        let (lo, hi) = self.left_range(i, NONE);
        if lo > hi {
            return false;
        }
        let p = self.left_potential[i as usize].clamp(lo, hi);
        if p != self.left_potential[i as usize] {
            *self.left_potential_mut(i) = p;
        }
        true
    }

    /// The range of potentials left node `i` may take with every residual arc at `i` priced
    /// fairly, arc `skip` apart (`NONE`: every arc counts).
    fn left_range(&self, i: u32, skip: u32) -> (i64, i64) {
        let l = &self.left[i as usize];
        let (mut lo, mut hi) = (i64::MIN, i64::MAX);
        if l.inflow > 0 {
            lo = 0;
        }
        if l.inflow < l.supply {
            hi = 0;
        }
        for &a in self.left_arcs[i as usize].iter().filter(|&&a| a != skip) {
            let arc = &self.arcs[a as usize];
            let price = arc.value + self.right[arc.right as usize].potential;
            lo = lo.max(price + if arc.flow < arc.units { self.bonus } else { 0 });
            if arc.flow > 0 {
                hi = hi.min(price + if arc.flow <= arc.units { self.bonus } else { 0 });
            }
        }
        (lo, hi)
    }

    /// As [`Self::left_range`], for right node `j`.
    fn right_range(&self, j: u32, skip: u32) -> (i64, i64) {
        let r = &self.right[j as usize];
        let (mut lo, mut hi) = (i64::MIN, i64::MAX);
        if r.outflow < r.capacity {
            lo = 0;
        }
        if r.outflow > 0 {
            hi = 0;
        }
        for e in r.into.iter().filter(|e| e.arc != skip) {
            hi = hi.min(self.left_potential[e.left as usize] - e.value);
        }
        for &a in r.bonus.iter().filter(|&&a| a != skip) {
            let arc = &self.arcs[a as usize];
            hi = hi.min(self.left_potential[arc.left as usize] - arc.value - self.bonus);
        }
        for &a in r.flowing.iter().filter(|&&a| a != skip) {
            let arc = &self.arcs[a as usize];
            let bonus = if arc.flow <= arc.units { self.bonus } else { 0 };
            lo = lo.max(self.left_potential[arc.left as usize] - arc.value - bonus);
        }
        (lo, hi)
    }

    /// Moves the prices of both ends of arc `a` together (the left one down and the right one
    /// up, or the reverse) so that the arc's flow is optimal as it is, when neither end alone
    /// can move far enough and no other arc at either end objects. Returns whether it could.
    fn refit_pair(&mut self, a: u32) -> bool {
        let arc = self.arcs[a as usize];
        let (i, j) = (arc.left, arc.right);
        let (pi, pj) = (
            self.left_potential[i as usize],
            self.right[j as usize].potential,
        );
        // The arc wants π_i − π_j within [want_lo, want_hi].
        let want_lo = arc.value + if arc.flow < arc.units { self.bonus } else { 0 };
        let want_hi = if arc.flow > 0 {
            arc.value + if arc.flow <= arc.units { self.bonus } else { 0 }
        } else {
            i64::MAX
        };
        let d = pi - pj;
        let ((ilo, ihi), (jlo, jhi)) = (self.left_range(i, a), self.right_range(j, a));
        let (new_i, new_j) = if d > want_hi {
            // Lower π_i and raise π_j by `need` between them.
            let need = d - want_hi;
            let down = pi.saturating_sub(ilo).max(0);
            let up = jhi.saturating_sub(pj).max(0);
            if down.saturating_add(up) < need {
                return false;
            }
            let x = down.min(need);
            (pi - x, pj + (need - x))
        } else if d < want_lo {
            let need = want_lo - d;
            let up = ihi.saturating_sub(pi).max(0);
            let down = pj.saturating_sub(jlo).max(0);
            if up.saturating_add(down) < need {
                return false;
            }
            let x = up.min(need);
            (pi + x, pj - (need - x))
        } else {
            return true;
        };
        if !(ilo..=ihi).contains(&new_i) || !(jlo..=jhi).contains(&new_j) {
            return false;
        }
        if new_i != pi {
            *self.left_potential_mut(i) = new_i;
        }
        if new_j != pj {
            self.right_mut(j).potential = new_j;
        }
        true
    }

    /// As [`Self::refit_left`], for right node `j` (its price may fall or rise while no arc at
    /// `j` objects): `O(arcs into j)`.
    fn refit_right(&mut self, j: u32) -> bool {
        let (lo, hi) = self.right_range(j, NONE);
        if lo > hi {
            return false;
        }
        let p = self.right[j as usize].potential.clamp(lo, hi);
        if p != self.right[j as usize].potential {
            self.right_mut(j).potential = p;
        }
        true
    }

    /// The flows of arc `a` that are optimal for the current potentials.
    fn optimal_range(&self, a: u32) -> (i64, i64) {
        let arc = &self.arcs[a as usize];
        let d = self.left_potential[arc.left as usize] - self.right[arc.right as usize].potential;
        let (v, b, q) = (arc.value, self.bonus, arc.units());
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
    pub(super) fn update_potentials(&mut self, d: i64, forward: bool) -> bool {
        let mut too_large = false;
        for k in 0..self.search.settled.len() {
            let v = self.search.settled[k];
            let dv = self.search.dist(v).unwrap_or(d);
            let shift = if forward { dv - d } else { d - dv };
            if shift == 0 {
                continue;
            }
            let limit = self.potential_limit;
            let p = match v {
                Node::Left(i) => self.left_potential_mut(i),
                Node::Right(j) => &mut self.right_mut(j).potential,
                Node::Out => continue,
            };
            *p += shift;
            too_large |= p.abs() > limit;
        }
        too_large
    }

    /// Sends as much as the path from the last search allows between `from` and `target`.
    fn augment(&mut self, from: Node, target: Node, forward: bool) -> Result<(), super::LiveError> {
        // The path as (arc, forward along the arc?) from the target back to `from`, plus the
        // end node at O when the target is O.
        let mut path: Vec<(u32, bool)> = Vec::new();
        let (mut v, out_end) = match (target, self.search.out) {
            (Node::Out, Some((_, via))) => (via, Some(via)),
            (Node::Out, None) => return Err(LiveError::BrokenPath),
            _ => (target, None),
        };
        while v != from {
            let a = self.search.pred(v);
            if a as usize >= self.arcs.len() || path.len() > self.left.len() + self.right.len() {
                return Err(LiveError::BrokenPath);
            }
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
        if delta <= 0 {
            return Err(LiveError::NoProgress);
        }
        for &(a, along) in &path {
            self.add_flow(a, if along { delta } else { -delta });
        }
        // Forward: flow leaves through w → O; backward: it enters through O → w.
        let sign = if forward { 1 } else { -1 };
        match out_end {
            Some(Node::Left(i)) => self.left_mut(i).inflow -= sign * delta,
            Some(Node::Right(j)) => self.right_mut(j).outflow += sign * delta,
            _ => {}
        }
        let into_from = if forward { -delta } else { delta };
        self.add_excess(from, into_from);
        if target != Node::Out {
            self.add_excess(target, -into_from);
        }
        Ok(())
    }
}
