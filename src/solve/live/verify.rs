//! The proof of a live flow's optimality, checked exactly, and the same problem as a static
//! network for cross-checks.

use super::{LiveFlow, NONE};
use crate::solve::Network;

/// How a live flow fails its proof of optimality: the first violation found, naming the arc or
/// node (indices of the live network). Any of these is a bug in the live dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// A removed arc still carries flow.
    #[error("removed arc {0} carries flow")]
    RemovedArcFlows(usize),
    /// An arc with negative flow or bonus units.
    #[error("arc {0}: negative flow or units")]
    Negative(usize),
    /// An arc's entry in its right node's lists disagrees with the arc.
    #[error("arc {0}: the index of its right node disagrees")]
    ArcIndex(usize),
    /// An arc whose residual reduced cost is negative.
    #[error("arc {0}: reduced cost negative")]
    ArcPrice(usize),
    /// A left node that is unbalanced or sends more than its supply.
    #[error("left node {0}: unbalanced or over supply")]
    LeftBalance(usize),
    /// A left node whose arcs hold more bonus units than its supply.
    #[error("left node {0}: bonus units exceed supply")]
    LeftBonus(usize),
    /// A left node whose arc from `O` has a negative reduced cost.
    #[error("left node {0}: reduced cost negative on O")]
    LeftPrice(usize),
    /// A right node whose arc lists disagree with the arcs.
    #[error("right node {0}: its arc lists disagree")]
    RightLists(usize),
    /// A left node whose arc list disagrees with the arcs (missing, repeated, removed or
    /// unsorted arcs).
    #[error("left node {0}: its arc list disagrees")]
    LeftLists(usize),
    /// A free slot that is still in use.
    #[error("slot {0}: free but in use")]
    FreeSlot(usize),
    /// A right node that is unbalanced or receives more than its capacity.
    #[error("right node {0}: unbalanced or over capacity")]
    RightBalance(usize),
    /// A right node whose arc to `O` has a negative reduced cost.
    #[error("right node {0}: reduced cost negative on O")]
    RightPrice(usize),
}

impl ProofError {
    /// A stable machine-readable code (`arc_price`, `left_balance`, …).
    pub fn code(&self) -> &'static str {
        match self {
            ProofError::RemovedArcFlows(_) => "removed_arc_flows",
            ProofError::Negative(_) => "negative",
            ProofError::ArcIndex(_) => "arc_index",
            ProofError::ArcPrice(_) => "arc_price",
            ProofError::LeftBalance(_) => "left_balance",
            ProofError::LeftBonus(_) => "left_bonus",
            ProofError::LeftPrice(_) => "left_price",
            ProofError::RightLists(_) => "right_lists",
            ProofError::LeftLists(_) => "left_lists",
            ProofError::FreeSlot(_) => "free_slot",
            ProofError::RightBalance(_) => "right_balance",
            ProofError::RightPrice(_) => "right_price",
        }
    }
}

impl LiveFlow {
    /// Checks feasibility and the optimality conditions exactly (every residual arc's reduced
    /// cost ≥ 0 for the potentials): a proof that the flow is optimal. `O(arcs)`.
    ///
    /// # Errors
    /// The first violation found.
    pub fn verify(&self) -> Result<(), ProofError> {
        let mut sent = vec![0i64; self.left.len()];
        let mut received = vec![0i64; self.right.len()];
        let mut units = vec![0i64; self.left.len()];
        let mut degree = vec![0u32; self.left.len()];
        let (mut listed, mut flowing, mut with_bonus) = (
            vec![0u32; self.right.len()],
            vec![0u32; self.right.len()],
            vec![0u32; self.right.len()],
        );
        for (a, arc) in self.arcs.iter().enumerate() {
            if !arc.live {
                if arc.flow != 0 || arc.units != 0 || arc.in_bonus || arc.flowing_slot != NONE {
                    return Err(ProofError::RemovedArcFlows(a));
                }
                continue;
            }
            if arc.flow() < 0 || arc.units() < 0 {
                return Err(ProofError::Negative(a));
            }
            let r = &self.right[arc.right as usize];
            let entry = r.into.get(arc.slot as usize);
            if entry.map_or(true, |e| e.arc != a as u32 || e.left != arc.left)
                || !r.alive
                || arc.in_bonus != (arc.flow < arc.units)
                || (arc.flow > 0) != (arc.flowing_slot != NONE)
                || (arc.flow > 0 && r.flowing.get(arc.flowing_slot as usize) != Some(&(a as u32)))
            {
                return Err(ProofError::ArcIndex(a));
            }
            listed[arc.right as usize] += 1;
            flowing[arc.right as usize] += u32::from(arc.flow > 0);
            with_bonus[arc.right as usize] += u32::from(arc.flow < arc.units);
            degree[arc.left as usize] += 1;
            sent[arc.left as usize] += arc.flow();
            received[arc.right as usize] += arc.flow();
            units[arc.left as usize] += arc.units();
            let d = i128::from(self.left_potential[arc.left as usize])
                - i128::from(self.right[arc.right as usize].potential);
            let (v, b) = (i128::from(arc.value), i128::from(self.bonus));
            let up = v + if arc.flow < arc.units { b } else { 0 };
            let down = v + if arc.flow <= arc.units { b } else { 0 };
            if d < up || (arc.flow > 0 && d > down) {
                return Err(ProofError::ArcPrice(a));
            }
        }
        for (i, l) in self.left.iter().enumerate() {
            let mut last = None;
            let list = &self.left_arcs[i];
            for &a in list {
                let arc = self.arcs.get(a as usize);
                let right = arc.map(|x| x.right);
                if arc.map_or(true, |x| !x.live || x.left != i as u32) || right <= last {
                    return Err(ProofError::LeftLists(i));
                }
                last = right;
            }
            if list.len() != degree[i] as usize {
                return Err(ProofError::LeftLists(i));
            }
            if l.excess != 0 || l.inflow != sent[i] || l.inflow > l.supply || l.inflow < 0 {
                return Err(ProofError::LeftBalance(i));
            }
            if units[i] > l.supply {
                return Err(ProofError::LeftBonus(i));
            }
            let p = self.left_potential[i];
            if (l.inflow < l.supply && p > 0) || (l.inflow > 0 && p < 0) {
                return Err(ProofError::LeftPrice(i));
            }
        }
        // `flowing` is exact by the arcs' slots and its length; `bonus` keeps no slots, so
        // each of its entries is checked: an arc below its units into this node, listed once.
        let mut in_bonus = vec![false; self.arcs.len()];
        for (j, r) in self.right.iter().enumerate() {
            let listed_once = |a: u32, seen: &mut Vec<bool>| {
                self.arcs
                    .get(a as usize)
                    .is_some_and(|x| x.live && x.right as usize == j && x.in_bonus)
                    && !std::mem::replace(&mut seen[a as usize], true)
            };
            if r.into.len() != listed[j] as usize
                || r.flowing.len() != flowing[j] as usize
                || r.bonus.len() != with_bonus[j] as usize
                || !r.bonus.iter().all(|&a| listed_once(a, &mut in_bonus))
            {
                return Err(ProofError::RightLists(j));
            }
            if r.excess != 0 || r.outflow != received[j] || r.outflow > r.capacity {
                return Err(ProofError::RightBalance(j));
            }
            if (r.outflow < r.capacity && r.potential < 0) || (r.outflow > 0 && r.potential > 0) {
                return Err(ProofError::RightPrice(j));
            }
        }
        for &a in self.free_arcs.iter().chain(&self.pending_arcs) {
            if self.arcs.get(a as usize).map_or(true, |x| x.live) {
                return Err(ProofError::FreeSlot(a as usize));
            }
        }
        for &i in self.free_left.iter().chain(&self.pending_left) {
            if self.left.get(i as usize).map_or(true, |l| {
                l.alive || l.supply != 0 || !self.left_arcs[i as usize].is_empty()
            }) {
                return Err(ProofError::FreeSlot(i as usize));
            }
        }
        for &j in self.free_right.iter().chain(&self.pending_right) {
            if self
                .right
                .get(j as usize)
                .map_or(true, |r| r.alive || r.capacity != 0)
            {
                return Err(ProofError::FreeSlot(j as usize));
            }
        }
        Ok(())
    }

    /// The same problem as a static [`Network`], for cross-checks: each left node becomes one
    /// left node per arc with bonus units (supply = those units, with the bonus on that arc)
    /// and one for the rest of its supply.
    pub fn to_network(&self) -> Network {
        self.split_network().0
    }

    /// [`LiveFlow::to_network`] with the left node each of its left nodes came from.
    pub(super) fn split_network(&self) -> (Network, Vec<u32>) {
        // Reserved exactly: at district scale the copy is the largest allocation of a repair.
        let (mut parts, mut arcs) = (0, 0);
        for i in 0..self.left.len() {
            let k = self.parts(i).count();
            parts += k;
            arcs += k * self.left_arcs[i].len();
        }
        let mut owner = Vec::with_capacity(parts);
        let mut net = Network {
            supply: Vec::with_capacity(parts),
            capacity: self.right.iter().map(|r| r.capacity).collect(),
            start: Vec::with_capacity(parts + 1),
            head: Vec::with_capacity(arcs),
            value: Vec::with_capacity(arcs),
            ..Network::default()
        };
        net.start.push(0);
        for i in 0..self.left.len() {
            for (bonus_on, supply) in self.parts(i) {
                net.supply.push(supply);
                owner.push(i as u32);
                for &a in &self.left_arcs[i] {
                    let arc = &self.arcs[a as usize];
                    let bonus = if bonus_on == Some(a) { self.bonus } else { 0 };
                    net.head.push(arc.right);
                    net.value.push(arc.value + bonus);
                }
                net.start.push(net.head.len() as u32);
            }
        }
        (net, owner)
    }

    /// The parts of left node `i` in the static form, each with its supply (positive): one per
    /// arc with bonus units (the arc that earns the bonus), then one for the rest.
    fn parts(&self, i: usize) -> impl Iterator<Item = (Option<u32>, i64)> + '_ {
        let bonus_arcs = self.left_arcs[i]
            .iter()
            .filter(|&&a| self.arcs[a as usize].units > 0)
            .map(|&a| (Some(a), self.arcs[a as usize].units()));
        let mut left = self.left[i].supply;
        bonus_arcs
            .chain(std::iter::once((None, i64::MAX)))
            .filter_map(move |(on, units)| {
                let supply = units.min(left);
                left -= supply.max(0);
                (supply > 0).then_some((on, supply))
            })
    }
}
