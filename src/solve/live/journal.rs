//! The transaction journal: what undoes each change since the last commit, so that a failed
//! repair leaves the network exactly as it was. Each arc and node is saved once per
//! transaction (a flag marks it), list operations one by one.

use super::{Entry, LiveArc, LiveFlow, Right};

/// One step back.
#[derive(Debug, Clone)]
pub(super) enum Undo {
    /// An arc's state before its first change, kept in the journal's `arcs` (removals, the
    /// bulk of a large transaction, need no copy, and the steps stay small).
    Arc(u32),
    /// An arc was appended.
    ArcAdded,
    /// A free arc slot was taken.
    ArcReused(u32),
    /// A left node's numbers (supply, inflow, excess, potential) and whether it was alive,
    /// before its first change, kept in the journal's `nodes`.
    Left(u32),
    /// A left node's arc list before a change, kept in the journal's `lists`.
    LeftArcs(u32),
    LeftAdded,
    LeftReused(u32),
    /// A right node's numbers (capacity, outflow, potential, excess) and whether it was
    /// alive, before its first change, kept in the journal's `nodes`.
    Right(u32),
    RightAdded,
    RightReused(u32),
    IntoPushed(u32),
    /// An arc taken out of `into` at a slot (it was live then; its entry is made again from
    /// the arc, whose value a removal keeps).
    IntoRemoved(u32, u32, u32),
    /// An entry of `into` before its value changed, kept (with its slot) in the journal's
    /// `entries`.
    IntoSet(u32),
    FlowingPushed(u32),
    FlowingRemoved(u32, u32, u32),
    BonusPushed(u32),
    BonusRemoved(u32, u32, u32),
    /// The bonus per unit before it changed.
    Bonus(i64),
}

/// The journal; off while a network is being built.
#[derive(Debug, Clone, Default)]
pub(super) struct Journal {
    pub(super) on: bool,
    pub(super) undo: Vec<Undo>,
    /// What the steps saved, in the order of the steps (a rollback takes them back last
    /// first, as it takes the steps): arcs, nodes' numbers, left arc lists, `into` entries.
    arcs: Vec<LiveArc>,
    nodes: Vec<([i64; 4], bool)>,
    lists: Vec<Vec<u32>>,
    entries: Vec<(u32, Entry)>,
}

/// Above this many, the journal's lists give their room back at a commit (a large
/// transaction does not keep its memory; the usual small ones allocate nothing).
const KEEP: usize = 1 << 12;

impl Journal {
    pub(super) fn push(&mut self, u: Undo) {
        if self.on {
            self.undo.push(u);
        }
    }

    /// Saves left node `i`'s arc list before it changes.
    pub(super) fn save_left_arcs(&mut self, i: u32, list: Vec<u32>) {
        if self.on {
            self.lists.push(list);
            self.undo.push(Undo::LeftArcs(i));
        }
    }

    /// Saves the entry at `slot` of right node `j`'s `into` before its value changes.
    pub(super) fn save_entry(&mut self, j: u32, slot: u32, entry: Entry) {
        if self.on {
            self.entries.push((slot, entry));
            self.undo.push(Undo::IntoSet(j));
        }
    }
}

/// Empties one of the journal's lists, keeping at most `KEEP` places of room.
fn empty<T>(list: &mut Vec<T>) {
    list.clear();
    list.shrink_to(KEEP);
}

/// What a step saved: each `Arc`, `Left`, `Right`, `LeftArcs` and `IntoSet` step pushed
/// exactly one (a journal that breaks this is a bug, not a state to go on from).
fn saved<T>(item: Option<T>) -> T {
    match item {
        Some(x) => x,
        None => panic!("the journal lost what a step saved"),
    }
}

/// Undoes a `swap_remove(slot)` that removed `item`.
fn put_back<T>(list: &mut Vec<T>, slot: u32, item: T) {
    list.push(item);
    let last = list.len() - 1;
    list.swap(slot as usize, last);
}

impl LiveFlow {
    /// Arc `a`, saved first if this is its first change in the transaction.
    pub(super) fn arc_mut(&mut self, a: u32) -> &mut LiveArc {
        self.touch_arc(a);
        &mut self.arcs[a as usize]
    }

    pub(super) fn touch_arc(&mut self, a: u32) {
        let arc = &mut self.arcs[a as usize];
        if self.journal.on && !arc.saved {
            let copy = *arc;
            arc.saved = true;
            self.journal.arcs.push(copy);
            self.journal.undo.push(Undo::Arc(a));
        }
    }

    fn touch_left(&mut self, i: u32) {
        let l = &mut self.left[i as usize];
        if self.journal.on && !l.saved {
            l.saved = true;
            let p = self.left_potential[i as usize];
            let saved = ([l.supply, l.inflow, l.excess, p], l.alive);
            self.journal.nodes.push(saved);
            self.journal.undo.push(Undo::Left(i));
        }
    }

    /// Left node `i`, saved first.
    pub(super) fn left_mut(&mut self, i: u32) -> &mut super::Left {
        self.touch_left(i);
        &mut self.left[i as usize]
    }

    /// The potential of left node `i`, saved first.
    pub(super) fn left_potential_mut(&mut self, i: u32) -> &mut i64 {
        self.touch_left(i);
        &mut self.left_potential[i as usize]
    }

    /// Right node `j`, saved first.
    pub(super) fn right_mut(&mut self, j: u32) -> &mut Right {
        let r = &mut self.right[j as usize];
        if self.journal.on && !r.saved {
            r.saved = true;
            let core = [r.capacity, r.outflow, r.potential, r.excess];
            self.journal.nodes.push((core, r.alive));
            self.journal.undo.push(Undo::Right(j));
        }
        &mut self.right[j as usize]
    }

    /// Makes this transaction's changes final: removed slots become free for reuse.
    pub fn commit(&mut self) {
        let mut undo = std::mem::take(&mut self.journal.undo);
        for u in undo.drain(..) {
            match u {
                Undo::Arc(a) => {
                    if let Some(arc) = self.arcs.get_mut(a as usize) {
                        arc.saved = false;
                    }
                }
                Undo::Left(i) => {
                    if let Some(l) = self.left.get_mut(i as usize) {
                        l.saved = false;
                    }
                }
                Undo::Right(j) => {
                    if let Some(r) = self.right.get_mut(j as usize) {
                        r.saved = false;
                    }
                }
                _ => {}
            }
        }
        self.journal.undo = undo;
        let j = &mut self.journal;
        empty(&mut j.undo);
        empty(&mut j.arcs);
        empty(&mut j.nodes);
        empty(&mut j.lists);
        empty(&mut j.entries);
        self.free_arcs.append(&mut self.pending_arcs);
        self.free_left.append(&mut self.pending_left);
        self.free_right.append(&mut self.pending_right);
        self.searches_at_begin = self.searches;
        self.restarts_at_begin = self.restarts;
        self.journal.on = true;
    }

    /// Puts the network back as it was at the last commit.
    pub fn rollback(&mut self) {
        while let Some(u) = self.journal.undo.pop() {
            match u {
                Undo::Arc(a) => self.arcs[a as usize] = saved(self.journal.arcs.pop()),
                Undo::ArcAdded => {
                    self.arcs.pop();
                }
                Undo::ArcReused(a) => self.free_arcs.push(a),
                Undo::Left(i) => {
                    let ([supply, inflow, excess, p], alive) = saved(self.journal.nodes.pop());
                    let l = &mut self.left[i as usize];
                    (l.supply, l.inflow, l.excess, l.saved) = (supply, inflow, excess, false);
                    l.alive = alive;
                    self.left_potential[i as usize] = p;
                }
                Undo::LeftArcs(i) => self.left_arcs[i as usize] = saved(self.journal.lists.pop()),
                Undo::LeftAdded => {
                    self.left.pop();
                    self.left_arcs.pop();
                    self.left_potential.pop();
                }
                Undo::LeftReused(i) => self.free_left.push(i),
                Undo::Right(j) => {
                    let ([capacity, outflow, potential, excess], alive) =
                        saved(self.journal.nodes.pop());
                    let r = &mut self.right[j as usize];
                    (r.capacity, r.outflow, r.potential, r.excess) =
                        (capacity, outflow, potential, excess);
                    (r.alive, r.saved) = (alive, false);
                }
                Undo::RightAdded => {
                    self.right.pop();
                }
                Undo::RightReused(j) => self.free_right.push(j),
                Undo::IntoPushed(j) => {
                    self.right[j as usize].into.pop();
                }
                Undo::IntoRemoved(j, slot, a) => {
                    let arc = &self.arcs[a as usize];
                    let e = Entry {
                        left: arc.left,
                        arc: a,
                        value: arc.value,
                    };
                    let into = &mut self.right[j as usize].into;
                    put_back(into, slot, e);
                    // The arc that had moved into the slot goes back to the end.
                    let last = into.len() as u32 - 1;
                    let moved = into[last as usize].arc;
                    self.arcs[moved as usize].slot = last;
                    let arc = &mut self.arcs[e.arc as usize];
                    (arc.slot, arc.live) = (slot, true);
                }
                Undo::IntoSet(j) => {
                    let (slot, e) = saved(self.journal.entries.pop());
                    self.right[j as usize].into[slot as usize] = e;
                }
                Undo::FlowingPushed(j) => {
                    self.right[j as usize].flowing.pop();
                }
                Undo::FlowingRemoved(j, slot, a) => {
                    put_back(&mut self.right[j as usize].flowing, slot, a);
                }
                Undo::BonusPushed(j) => {
                    self.right[j as usize].bonus.pop();
                }
                Undo::BonusRemoved(j, slot, a) => {
                    put_back(&mut self.right[j as usize].bonus, slot, a)
                }
                Undo::Bonus(b) => self.bonus = b,
            }
        }
        self.pending_arcs.clear();
        self.pending_left.clear();
        self.pending_right.clear();
        self.dirty.clear();
        self.dirty_arcs.clear();
        self.reprice.clear();
        self.changed.clear();
        self.searches = self.searches_at_begin;
        self.restarts = self.restarts_at_begin;
    }
}

// A district transaction can journal millions of steps: keep each small.
const _: () = assert!(std::mem::size_of::<Undo>() <= 16);
