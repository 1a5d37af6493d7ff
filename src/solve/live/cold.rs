//! Many changes at once (a tick that lets a hundred thousand offers lapse): the network is
//! solved again by the network simplex, and the live flow moves to that optimum.
//!
//! Primal-dual phases settle imbalances level by level of distance, and each phase scans every
//! unsettled source again: with tens of thousands of sources that is hundreds of full scans.
//! The flow solver is faster from [`LiveFlow::cold_from`] imbalances on. It solves the static
//! form of the network ([`LiveFlow::to_network`]: a left node split into one part per arc with
//! bonus units and one for the rest of its supply), and its duals give the potentials:
//!
//! - a right node's potential is minus its dual;
//! - a left node's is the least dual among its parts. Every part has the node's arcs, so the
//!   least dual keeps every arc's reduced cost non-negative; a part that sends a unit on an
//!   arc prices it exactly, and the least price is at most that; a bonus arc that is not full
//!   leaves its part sending elsewhere at a price that every other part meets or exceeds, so
//!   that part's price, with the bonus, is the least.
//!
//! The flow solver proves its optimum of the static form; the tests check the moved flow
//! against the whole live proof ([`LiveFlow::verify`]) after every repair.

use super::repair::LiveError;
use super::LiveFlow;
use crate::solve::{FlowSolver, Solver};

/// Imbalances from which the network is solved again rather than repaired: at least this
/// many, and at least one left node in [`COLD_SHARE`].
const COLD_MIN: usize = 2048;
const COLD_SHARE: usize = 16;

impl LiveFlow {
    /// How many imbalances make the repair solve the network again.
    pub(super) fn cold_from(&self) -> usize {
        self.cold_from
            .unwrap_or_else(|| COLD_MIN.max(self.left.len() / COLD_SHARE))
    }

    /// Moves the flow and the potentials to an optimum of the network found from scratch; the
    /// arcs whose flow changed are recorded as by any repair.
    ///
    /// # Errors
    /// [`LiveError::Cold`] when the flow solver fails (a bug: the network is feasible).
    pub(super) fn solve_cold(&mut self) -> Result<(), LiveError> {
        let (net, owner) = self.split_network();
        let sol = FlowSolver::default()
            .solve(&net)
            .map_err(|_| LiveError::Cold)?;
        let duals = sol.duals.ok_or(LiveError::Cold)?;
        let start = net.start;
        drop((net.head, net.value));
        for j in 0..self.right.len() as u32 {
            let r = self.right_mut(j);
            r.potential = -duals.right[j as usize];
            r.outflow = 0;
            r.excess = 0;
        }
        // The parts of a left node are consecutive: each node's flows are summed over them.
        let mut sent: Vec<i64> = Vec::new();
        let mut p = 0;
        for i in 0..self.left.len() as u32 {
            if !self.left[i as usize].alive {
                continue;
            }
            let arcs = std::mem::take(&mut self.left_arcs[i as usize]);
            sent.clear();
            sent.resize(arcs.len(), 0);
            let mut price: Option<i64> = None;
            while owner.get(p) == Some(&i) {
                let part = start[p] as usize..start[p + 1] as usize;
                for (x, &f) in sent.iter_mut().zip(&sol.flow[part]) {
                    *x += f;
                }
                price = Some(price.map_or(duals.left[p], |y| y.min(duals.left[p])));
                p += 1;
            }
            let mut inflow = 0;
            for (&a, &f) in arcs.iter().zip(&sent) {
                let before = self.arcs[a as usize].flow();
                self.add_flow(a, f - before);
                inflow += f;
                let j = self.arcs[a as usize].right;
                self.right_mut(j).outflow += f;
            }
            // A node without supply has no part: any price its arcs do not undercut.
            let potential = price.unwrap_or_else(|| {
                arcs.iter()
                    .map(|&a| {
                        let arc = &self.arcs[a as usize];
                        let bonus = if arc.units > 0 { self.bonus } else { 0 };
                        arc.value + bonus + self.right[arc.right as usize].potential
                    })
                    .fold(0, i64::max)
            });
            self.left_arcs[i as usize] = arcs;
            *self.left_potential_mut(i) = potential;
            let l = self.left_mut(i);
            l.inflow = inflow;
            l.excess = 0;
        }
        Ok(())
    }
}
