//! A live network rebuilt from saved parts (a snapshot's), its proof of optimality checked
//! as it is built, in `O(arcs + nodes)`.

use super::{narrow, Entry, Left, LiveArc, LiveFlow, ProofError, Right, MAX_SUPPLY, NONE};
use crate::parallel::Threads;

/// One left node of a network to [`Rebuild`]: its supply and potential (a free node has
/// supply 0 and no arcs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeftPart {
    /// Supply.
    pub supply: i64,
    /// Potential.
    pub potential: i64,
}

/// One right node of a network to [`Rebuild`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RightPart {
    /// Capacity.
    pub capacity: i64,
    /// Potential.
    pub potential: i64,
    /// Whether it is in the network.
    pub alive: bool,
}

/// A [`LiveFlow`] rebuilt from its parts, as [`LiveFlow::snapshot_parts`] and the caller's
/// records give them: the nodes by index with their potentials ([`Rebuild::new`]), then the
/// arcs one by one ([`Rebuild::arc`]), then the free node slots ([`Rebuild::finish`]). Arc
/// numbers are new, in the order the arcs came. The arcs are taken one at a time so that a
/// caller that finds them again (millions, in a district ledger) never lists them twice.
#[derive(Debug)]
pub struct Rebuild {
    live: LiveFlow,
    /// What each arc reads and counts of its right node, in one place (millions of arcs
    /// come in no order of right nodes).
    rights: Vec<Tally>,
    /// Arcs out of each left node so far.
    left_degree: Vec<u32>,
    /// The right node of each left node's last arc (`NONE` before its first).
    last_right: Vec<u32>,
}

/// A right node as [`Rebuild::arc`] reads and counts it.
#[derive(Debug, Clone, Copy)]
struct Tally {
    potential: i64,
    /// Flow into it so far.
    inflow: i64,
    /// Arcs into it so far.
    degree: u32,
    /// Those of them with flow.
    flowing: u32,
}

impl Rebuild {
    /// Starts a network of these nodes and `bonus` per bonus unit, with no arcs yet.
    pub fn new(bonus: i64, lefts: &[LeftPart], rights: &[RightPart]) -> Rebuild {
        let mut live = LiveFlow::empty(bonus);
        live.right = rights
            .iter()
            .map(|r| Right {
                capacity: r.capacity,
                potential: r.potential,
                alive: r.alive,
                ..Right::default()
            })
            .collect();
        live.left = lefts
            .iter()
            .map(|l| Left {
                supply: l.supply,
                alive: true,
                ..Left::default()
            })
            .collect();
        live.left_potential = lefts.iter().map(|l| l.potential).collect();
        Rebuild {
            live,
            rights: rights
                .iter()
                .map(|r| Tally {
                    potential: r.potential,
                    inflow: 0,
                    degree: 0,
                    flowing: 0,
                })
                .collect(),
            left_degree: vec![0; lefts.len()],
            last_right: vec![NONE; lefts.len()],
        }
    }

    /// Adds the arc `left → right` worth `value` per unit, carrying `flow` units, each also a
    /// bonus unit (as the ledger keeps its offers between commands). A left node's arcs must
    /// come with their right nodes ascending.
    ///
    /// # Errors
    /// The arc breaks the proof (its reduced costs) or the shape asked for.
    pub fn arc(&mut self, left: u32, right: u32, value: i64, flow: i64) -> Result<(), ProofError> {
        let a = self.live.arcs.len();
        let (i, j) = (left as usize, right as usize);
        if i >= self.live.left.len()
            || j >= self.live.right.len()
            || !(0..=MAX_SUPPLY).contains(&flow)
        {
            return Err(ProofError::Negative(a));
        }
        let right_node = &mut self.rights[j];
        let d = i128::from(self.live.left_potential[i]) - i128::from(right_node.potential);
        let v = i128::from(value);
        if d < v || (flow > 0 && d > v + i128::from(self.live.bonus)) {
            return Err(ProofError::ArcPrice(a));
        }
        if self.last_right[i] != NONE && self.last_right[i] >= right {
            return Err(ProofError::LeftLists(i));
        }
        self.last_right[i] = right;
        self.left_degree[i] += 1;
        self.live.left[i].inflow += flow;
        right_node.inflow += flow;
        // Its places in the right node's lists, filled by `finish`.
        let flowing_slot = if flow > 0 {
            right_node.flowing += 1;
            right_node.flowing - 1
        } else {
            NONE
        };
        let slot = right_node.degree;
        right_node.degree += 1;
        self.live.arcs.push(LiveArc {
            value,
            left,
            right,
            flow: narrow(flow),
            units: narrow(flow),
            slot,
            flowing_slot,
            live: true,
            changed: false,
            saved: false,
            in_bonus: false,
        });
        Ok(())
    }

    /// The network, once its node balances and prices pass the proof and `free_left` and
    /// `free_right` (the free node slots, most recently freed last) are free indeed; its
    /// lists are filled on up to two of `threads`.
    ///
    /// # Errors
    /// The first violation of the proof: parts that were not saved from an optimal network.
    pub fn finish(
        self,
        free_left: Vec<u32>,
        free_right: Vec<u32>,
        threads: Threads,
    ) -> Result<LiveFlow, ProofError> {
        let Rebuild {
            mut live,
            rights,
            left_degree,
            ..
        } = self;
        for (r, t) in live.right.iter_mut().zip(&rights) {
            r.outflow = t.inflow;
        }
        for (l, (i, p)) in live.left.iter().zip(live.left_potential.iter().enumerate()) {
            if l.inflow > l.supply || l.supply > MAX_SUPPLY {
                return Err(ProofError::LeftBalance(i));
            }
            if (l.inflow < l.supply && *p > 0) || (l.inflow > 0 && *p < 0) {
                return Err(ProofError::LeftPrice(i));
            }
        }
        for (j, (r, t)) in live.right.iter().zip(&rights).enumerate() {
            if r.outflow > r.capacity || (!r.alive && (r.capacity != 0 || t.degree != 0)) {
                return Err(ProofError::RightBalance(j));
            }
            if (r.outflow < r.capacity && r.potential < 0) || (r.outflow > 0 && r.potential > 0) {
                return Err(ProofError::RightPrice(j));
            }
        }
        // The lists, each allocated once at its size and filled in arc order: the left nodes'
        // on this thread, the right nodes' on a second one if allowed.
        live.arcs.shrink_to_fit();
        for (r, t) in live.right.iter_mut().zip(rights) {
            r.into = Vec::with_capacity(t.degree as usize);
            r.flowing = Vec::with_capacity(t.flowing as usize);
        }
        live.left_arcs = left_degree
            .into_iter()
            .map(|d| Vec::with_capacity(d as usize))
            .collect();
        let (arcs, right, left_arcs) = (&live.arcs, &mut live.right, &mut live.left_arcs);
        threads.join(
            || {
                for (a, arc) in arcs.iter().enumerate() {
                    left_arcs[arc.left as usize].push(a as u32);
                }
            },
            || {
                for (a, arc) in arcs.iter().enumerate() {
                    let r = &mut right[arc.right as usize];
                    r.into.push(Entry {
                        left: arc.left,
                        arc: a as u32,
                        value: arc.value,
                    });
                    if arc.flow > 0 {
                        r.flowing.push(a as u32);
                    }
                }
            },
        );
        for &i in &free_left {
            let empty = live.left_arcs.get(i as usize).is_some_and(Vec::is_empty);
            match live.left.get_mut(i as usize) {
                Some(l) if l.alive && l.supply == 0 && empty => l.alive = false,
                _ => return Err(ProofError::FreeSlot(i as usize)),
            }
        }
        for &j in &free_right {
            if live.right.get(j as usize).map_or(true, |r| r.alive) {
                return Err(ProofError::FreeSlot(j as usize));
            }
        }
        live.free_left = free_left;
        live.free_right = free_right;
        live.search.left.grow(live.left.len());
        live.search.right.grow(live.right.len());
        live.commit();
        Ok(live)
    }
}
