//! Many imbalances of one sign at once (a tick that lets thousands of offers expire): a
//! primal-dual phase settles them together. One Dijkstra from all of them (multi-source, on
//! reduced costs) finds the distance `D` of the nearest node that can take an imbalance;
//! every settled node's potential moves by its distance below `D`, which leaves the shortest
//! paths at reduced cost 0; then a blocking flow on the arcs of reduced cost 0 (a depth-first
//! search from each source in node order, each node's arcs in node order) sends as much as
//! those paths carry. Phases repeat until no imbalance of that sign is left. A node, however
//! long its list of arcs, is scanned once a phase instead of once for each imbalance near it.

use super::repair::LiveError;
use super::{LiveFlow, Node};

/// A residual arc of the blocking flow: to `to` along arc `arc` (`along`: in its direction),
/// or into or out of `O` (`arc` unused).
#[derive(Debug, Clone, Copy)]
struct Step {
    to: Node,
    arc: u32,
    along: bool,
}

/// One node in the blocking flow of a phase.
#[derive(Clone, Default)]
struct Visit {
    /// The phase this state belongs to.
    phase: u32,
    /// Whether `steps` holds the node's admissible arcs for this phase.
    listed: bool,
    steps: Vec<Step>,
    /// How far through `steps` the search has gone (all of them: a dead end).
    at: usize,
    on_path: bool,
}

/// The blocking flow's scratch space, kept between phases (stamped, never cleared).
#[derive(Clone, Default)]
pub(super) struct Dfs {
    phase: u32,
    left: Vec<Visit>,
    right: Vec<Visit>,
    /// Stands in for `O`, which the search never enters.
    out: Visit,
}

/// The scratch space is no part of the network's state.
impl std::fmt::Debug for Dfs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Dfs")
    }
}

impl Dfs {
    /// `v` and every node of `path` leave the path, which empties.
    fn leave(&mut self, v: Node, path: &mut Vec<(Node, Step)>) {
        for &(u, _) in path.iter() {
            self.state(u).on_path = false;
        }
        self.state(v).on_path = false;
        path.clear();
    }

    /// After a push from source `s`: the search starts again at `s`, which it returns.
    fn back_to(&mut self, s: Node, v: Node, path: &mut Vec<(Node, Step)>) -> Node {
        self.leave(v, path);
        self.state(s).on_path = true;
        s
    }

    fn begin(&mut self, lefts: usize, rights: usize) {
        self.phase = self.phase.wrapping_add(1);
        if self.phase == 0 {
            self.left
                .iter_mut()
                .chain(&mut self.right)
                .for_each(|v| v.phase = 0);
            self.phase = 1;
        }
        self.left.resize_with(lefts, Visit::default);
        self.right.resize_with(rights, Visit::default);
    }

    /// The state of `v` in this phase.
    fn state(&mut self, v: Node) -> &mut Visit {
        let phase = self.phase;
        let st = match v {
            Node::Left(i) => &mut self.left[i as usize],
            Node::Right(j) => &mut self.right[j as usize],
            Node::Out => &mut self.out,
        };
        if st.phase != phase {
            st.phase = phase;
            st.listed = false;
            st.steps.clear();
            st.at = 0;
            st.on_path = false;
        }
        st
    }
}

impl LiveFlow {
    /// The residual arcs out of `v` (reversed, when `forward` is false) whose reduced cost is
    /// 0: the admissible ones, by the node they lead to.
    fn admissible(&self, v: Node, forward: bool) -> Vec<Step> {
        let mut out = Vec::new();
        let to_out = Step {
            to: Node::Out,
            arc: u32::MAX,
            along: forward,
        };
        match (v, forward) {
            (Node::Left(i), true) => {
                for &a in &self.left_arcs[i as usize] {
                    let arc = &self.arcs[a as usize];
                    if self.forward_cost(arc) == 0 {
                        let to = Node::Right(arc.right);
                        out.push(Step {
                            to,
                            arc: a,
                            along: true,
                        });
                    }
                }
                if self.left[i as usize].inflow > 0 && self.left_potential[i as usize] == 0 {
                    out.push(to_out);
                }
            }
            (Node::Right(j), true) => {
                let r = &self.right[j as usize];
                for &a in &r.flowing {
                    let arc = &self.arcs[a as usize];
                    if self.backward_cost(arc) == 0 {
                        let to = Node::Left(arc.left);
                        out.push(Step {
                            to,
                            arc: a,
                            along: false,
                        });
                    }
                }
                if r.outflow < r.capacity && r.potential == 0 {
                    out.push(to_out);
                }
            }
            (Node::Left(i), false) => {
                for &a in &self.left_arcs[i as usize] {
                    let arc = &self.arcs[a as usize];
                    if arc.flow > 0 && self.backward_cost(arc) == 0 {
                        let to = Node::Right(arc.right);
                        out.push(Step {
                            to,
                            arc: a,
                            along: false,
                        });
                    }
                }
                let l = &self.left[i as usize];
                if l.inflow < l.supply && self.left_potential[i as usize] == 0 {
                    out.push(to_out);
                }
            }
            (Node::Right(j), false) => {
                // Every live arc into `j` at its cost without the bonus (exact for all but
                // those in `bonus`, whose cost without it is never 0 when the bonus is
                // positive), then those with it, read from the arc.
                let r = &self.right[j as usize];
                let base = -r.potential;
                for e in &r.into {
                    if base - e.value + self.left_potential[e.left as usize] == 0 {
                        let to = Node::Left(e.left);
                        out.push(Step {
                            to,
                            arc: e.arc,
                            along: true,
                        });
                    }
                }
                for &a in &r.bonus {
                    let arc = &self.arcs[a as usize];
                    if self.forward_cost(arc) == 0 && self.bonus > 0 {
                        let to = Node::Left(arc.left);
                        out.push(Step {
                            to,
                            arc: a,
                            along: true,
                        });
                    }
                }
                if r.outflow > 0 && r.potential == 0 {
                    out.push(to_out);
                }
            }
            (Node::Out, _) => {}
        }
        out.sort_unstable_by_key(|s| s.to);
        out
    }

    /// A step's reduced cost now (a push may have moved its arc onto another segment of its
    /// cost, which a list made before the push does not know).
    fn step_cost(&self, from: Node, step: Step, forward: bool) -> i64 {
        match step.to {
            Node::Out => match (from, forward) {
                (Node::Left(i), true) => self.left_potential[i as usize],
                (Node::Right(j), true) => self.right[j as usize].potential,
                (Node::Left(i), false) => -self.left_potential[i as usize],
                (Node::Right(j), false) => -self.right[j as usize].potential,
                (Node::Out, _) => 1,
            },
            _ => {
                let arc = &self.arcs[step.arc as usize];
                if step.along {
                    self.forward_cost(arc)
                } else {
                    self.backward_cost(arc)
                }
            }
        }
    }

    /// What a step out of `from` can still carry.
    fn room(&self, from: Node, step: Step, forward: bool) -> i64 {
        match step.to {
            Node::Out => match (from, forward) {
                (Node::Left(i), true) => self.left[i as usize].inflow,
                (Node::Right(j), true) => {
                    self.right[j as usize].capacity - self.right[j as usize].outflow
                }
                (Node::Left(i), false) => {
                    self.left[i as usize].supply - self.left[i as usize].inflow
                }
                (Node::Right(j), false) => self.right[j as usize].outflow,
                (Node::Out, _) => 0,
            },
            _ => {
                let arc = &self.arcs[step.arc as usize];
                if step.along {
                    self.forward_room(arc)
                } else {
                    self.backward_room(arc)
                }
            }
        }
    }

    /// Settles every imbalance of one sign among `nodes` (excesses when `forward`, else
    /// deficits) in primal-dual phases. Returns whether a potential grew beyond the guard
    /// (the caller restarts).
    pub(super) fn settle_together(
        &mut self,
        nodes: &[Node],
        forward: bool,
    ) -> Result<bool, LiveError> {
        let result = self.settle_phases(nodes, forward);
        // The phases' lists of admissible arcs go: kept, they would hold memory for every
        // node a tick ever reached.
        self.dfs = Dfs::default();
        result
    }

    fn settle_phases(&mut self, nodes: &[Node], forward: bool) -> Result<bool, LiveError> {
        let sign = |x: i64| if forward { x > 0 } else { x < 0 };
        loop {
            let sources: Vec<Node> = nodes
                .iter()
                .copied()
                .filter(|&v| sign(self.excess(v)))
                .collect();
            if sources.is_empty() {
                return Ok(false);
            }
            let (_, d) = self
                .find_paths(&sources, forward)
                .ok_or(LiveError::NoPath)?;
            if self.update_potentials(d, forward) {
                return Ok(true);
            }
            if self.blocking_flow(&sources, forward)? == 0 {
                return Err(LiveError::NoProgress);
            }
        }
    }

    /// Sends, from each source in turn, as much as the admissible arcs carry to nodes that can
    /// take it (or to `O`). Returns the units sent.
    fn blocking_flow(&mut self, sources: &[Node], forward: bool) -> Result<i64, LiveError> {
        let wants = |x: i64| if forward { x < 0 } else { x > 0 };
        let mut dfs = std::mem::take(&mut self.dfs);
        dfs.begin(self.left.len(), self.right.len());
        let mut sent = 0;
        let mut result = Ok(());
        'sources: for &s in sources {
            // Depth first: the path so far as (node, step taken out of it).
            let mut path: Vec<(Node, Step)> = Vec::new();
            let mut v = s;
            dfs.state(v).on_path = true;
            while self.excess(s) != 0 {
                if v != s && wants(self.excess(v)) {
                    match self.push_path(s, &path, None, forward) {
                        Ok(d) => sent += d,
                        Err(e) => {
                            result = Err(e);
                            break 'sources;
                        }
                    }
                    v = dfs.back_to(s, v, &mut path);
                    continue;
                }
                if !dfs.state(v).listed {
                    let steps = self.admissible(v, forward);
                    let st = dfs.state(v);
                    st.steps = steps;
                    st.listed = true;
                }
                // The next usable step out of `v`, from where the search left off.
                let mut found = None;
                loop {
                    let st = dfs.state(v);
                    let Some(&step) = st.steps.get(st.at) else {
                        break;
                    };
                    let usable = self.room(v, step, forward) > 0
                        && self.step_cost(v, step, forward) == 0
                        && (step.to == Node::Out || {
                            let t = dfs.state(step.to);
                            let dead = t.listed && t.at >= t.steps.len();
                            !(t.on_path || dead)
                        });
                    if usable {
                        found = Some(step);
                        break;
                    }
                    dfs.state(v).at += 1;
                }
                match found {
                    Some(step) if step.to == Node::Out => {
                        match self.push_path(s, &path, Some((v, step)), forward) {
                            Ok(d) => sent += d,
                            Err(e) => {
                                result = Err(e);
                                break 'sources;
                            }
                        }
                        v = dfs.back_to(s, v, &mut path);
                    }
                    Some(step) => {
                        path.push((v, step));
                        v = step.to;
                        dfs.state(v).on_path = true;
                    }
                    None => {
                        // A dead end, used up for this phase: one step back.
                        dfs.state(v).on_path = false;
                        match path.pop() {
                            Some((u, _)) => v = u,
                            None => break,
                        }
                    }
                }
            }
            dfs.leave(v, &mut path);
        }
        self.dfs = dfs;
        result.map(|()| sent)
    }

    /// Sends as much as fits from source `s` along `path` and then into or out of `O` by
    /// `out`, or into the node the path ends at. Returns the units sent.
    fn push_path(
        &mut self,
        s: Node,
        path: &[(Node, Step)],
        out: Option<(Node, Step)>,
        forward: bool,
    ) -> Result<i64, LiveError> {
        let end = match (out, path.last()) {
            (Some(_), _) => Node::Out,
            (None, Some((_, step))) => step.to,
            (None, None) => return Err(LiveError::BrokenPath),
        };
        let mut delta = self.excess(s).abs();
        if end != Node::Out {
            delta = delta.min(self.excess(end).abs());
        }
        for &(v, step) in path.iter().chain(out.iter()) {
            delta = delta.min(self.room(v, step, forward));
        }
        if delta <= 0 {
            return Err(LiveError::NoProgress);
        }

        for &(_, step) in path {
            self.add_flow(step.arc, if step.along { delta } else { -delta });
        }
        let sign = if forward { 1 } else { -1 };
        match out {
            Some((Node::Left(i), _)) => self.left_mut(i).inflow -= sign * delta,
            Some((Node::Right(j), _)) => self.right_mut(j).outflow += sign * delta,
            _ => {}
        }
        let into_source = if forward { -delta } else { delta };
        self.add_excess(s, into_source);
        if end != Node::Out {
            self.add_excess(end, -into_source);
        }
        Ok(delta)
    }
}
