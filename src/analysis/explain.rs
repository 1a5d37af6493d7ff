//! Certified explanations of an optimal plan: why a need went unserved (a bottleneck or a
//! trade-off), what one more unit of each resource's capacity is worth (shadow prices), and
//! where one more volunteer would add the most (recruitment advice).
//!
//! Everything here reads the residual network of an optimal flow with its optimal duals
//! `u` (needs) and `w` (resources). With node prices `π(need) = u`, `π(resource) = −w`, the
//! reduced costs of residual arcs are non-negative (need → resource: `u + w − value`;
//! resource → need along a positive flow: 0), so Dijkstra finds best augmenting paths exactly.
//! Adding one unit of capacity anywhere raises the optimum by exactly the best such path.

use crate::eligibility::Eligibility;
use crate::model::area::{AreaIdx, Level};
use crate::model::need::NeedIdx;
use crate::model::Instance;
use crate::parallel::Threads;
use crate::plan::{Certificate, Move, Plan};
use crate::solve::{Network, Solution};
use serde::Serialize;
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One cell of recruitment advice: the exact rise of the optimum if one `member` resource
/// with this single category, capacity 1, home and `serves` = this community, no skills, no
/// window and no cost were added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advice {
    /// Category name.
    pub category: String,
    /// Community id.
    pub community: String,
    /// Rise of the optimum.
    pub value: i64,
}

/// Explanations of one optimal plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// Per need (instance order): the certificate of its unmet units, when their reason is
    /// `capacity_exhausted`.
    pub certificates: Vec<Option<Certificate>>,
    /// Per resource (instance order): the exact rise of the optimum from one more unit of its
    /// capacity.
    pub shadow_prices: Vec<i64>,
    /// Cells where one more volunteer raises the optimum, best first (ties by category, then
    /// community id).
    pub recruitment: Vec<Advice>,
}

/// Why no explanation could be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    /// The solution carries no duals (the LP backends give none).
    #[error("the solution has no duals; solve with the flow backend")]
    NoDuals,
    /// The solution does not belong to this eligibility graph.
    #[error("the solution does not match the network")]
    Mismatch,
}

/// The residual network of an optimal flow, with the duals.
struct Residual<'a> {
    net: &'a Network,
    u: &'a [i64],
    w: &'a [i64],
    /// Per resource: the arcs that carry flow into it.
    carried_start: Vec<u32>,
    carried: Vec<u32>,
    /// The need of each arc.
    tail: Vec<u32>,
    served: Vec<i64>,
    used: Vec<i64>,
}

impl<'a> Residual<'a> {
    fn new(net: &'a Network, sol: &'a Solution) -> Result<Residual<'a>, ExplainError> {
        let d = sol.duals.as_ref().ok_or(ExplainError::NoDuals)?;
        let (n, m) = (net.supply.len(), net.capacity.len());
        if sol.flow.len() != net.arcs() || d.left.len() != n || d.right.len() != m {
            return Err(ExplainError::Mismatch);
        }
        let mut tail = vec![0u32; net.arcs()];
        let mut served = vec![0i64; n];
        let mut used = vec![0i64; m];
        let mut count = vec![0u32; m + 1];
        for (i, got) in served.iter_mut().enumerate() {
            for a in net.out(i) {
                tail[a] = i as u32;
                let x = sol.flow[a];
                *got += x;
                used[net.head[a] as usize] += x;
                if x > 0 {
                    count[net.head[a] as usize + 1] += 1;
                }
            }
        }
        for j in 0..m {
            count[j + 1] += count[j];
        }
        let mut fill = count.clone();
        let mut carried = vec![0u32; count[m] as usize];
        for a in (0..net.arcs()).filter(|&a| sol.flow[a] > 0) {
            let j = net.head[a] as usize;
            carried[fill[j] as usize] = a as u32;
            fill[j] += 1;
        }
        Ok(Residual {
            net,
            u: &d.left,
            w: &d.right,
            carried_start: count,
            carried,
            tail,
            served,
            used,
        })
    }

    fn carried(&self, j: usize) -> &[u32] {
        &self.carried[self.carried_start[j] as usize..self.carried_start[j + 1] as usize]
    }

    /// Dijkstra over reduced costs from `sources` (node, initial distance): needs are nodes
    /// `0..n`, resources `n..n+m`. Calls `reached` whenever a node's distance drops, and stops
    /// when `stop` holds for the distance being settled. Records the arc each node was reached
    /// by in `pred` (`u32::MAX` for sources).
    fn dijkstra(
        &self,
        s: &mut Search,
        sources: &[(usize, i64)],
        mut reached: impl FnMut(usize, i64),
        mut stop: impl FnMut(i64) -> bool,
    ) {
        s.reset();
        let n = self.net.supply.len();
        for &(v, d) in sources {
            if s.lower(v, d, u32::MAX) {
                reached(v, d);
            }
        }
        while let Some(Reverse((d, v))) = s.heap.pop() {
            let v = v as usize;
            if s.done[v] || d > s.dist[v] {
                continue;
            }
            s.done[v] = true;
            if stop(d) {
                break;
            }
            if v < n {
                // Reduced cost of one more unit on arc a: u + w − value (≥ 0 at optimality).
                let du = d + self.u[v];
                for a in self.net.out(v) {
                    let j = self.net.head[a] as usize;
                    let nd = du + self.w[j] - self.net.value[a];
                    if s.lower(n + j, nd, a as u32) {
                        reached(n + j, nd);
                    }
                }
            } else {
                for &a in self.carried(v - n) {
                    let to = self.tail[a as usize] as usize;
                    if s.lower(to, d, a) {
                        reached(to, d);
                    }
                }
            }
        }
    }
}

/// Work arrays of a search, reset in time proportional to what the last search touched.
struct Search {
    dist: Vec<i64>,
    pred: Vec<u32>,
    done: Vec<bool>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
}

impl Search {
    fn new(nodes: usize) -> Search {
        Search {
            dist: vec![i64::MAX; nodes],
            pred: vec![u32::MAX; nodes],
            done: vec![false; nodes],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    fn reset(&mut self) {
        for &v in &self.touched {
            self.dist[v as usize] = i64::MAX;
            self.pred[v as usize] = u32::MAX;
            self.done[v as usize] = false;
        }
        self.touched.clear();
        self.heap.clear();
    }

    /// Marks `v` seen (for breadth-first searches); whether it was new.
    fn mark(&mut self, v: usize) -> bool {
        if self.done[v] {
            return false;
        }
        self.done[v] = true;
        self.touched.push(v as u32);
        true
    }

    /// Lowers `v`'s distance to `d` through `arc`; whether it was lower.
    fn lower(&mut self, v: usize, d: i64, arc: u32) -> bool {
        if d >= self.dist[v] {
            return false;
        }
        if self.dist[v] == i64::MAX && !self.done[v] {
            self.touched.push(v as u32);
        }
        self.dist[v] = d;
        self.pred[v] = arc;
        self.heap.push(Reverse((d, v as u32)));
        true
    }
}

/// Bottleneck search stops looking for a small certificate after this many needs, and tries
/// a trade-off first.
const SMALL_BOTTLENECK: usize = 30;

/// Explains an optimal `solution` of `eligibility`'s network (with duals, as the flow
/// backend gives): certificates for every need with `capacity_exhausted` units, shadow
/// prices and recruitment advice. Uses the default [`Threads`].
///
/// # Errors
/// [`ExplainError::NoDuals`] without duals; [`ExplainError::Mismatch`] for a solution of
/// another network.
pub fn explain(
    instance: &Instance,
    eligibility: &Eligibility,
    solution: &Solution,
) -> Result<Explanation, ExplainError> {
    explain_with(instance, eligibility, solution, Threads::default())
}

/// As [`explain`], on at most `threads` threads (the result is the same with any number).
///
/// # Errors
/// As [`explain`].
pub fn explain_with(
    instance: &Instance,
    eligibility: &Eligibility,
    solution: &Solution,
    threads: Threads,
) -> Result<Explanation, ExplainError> {
    let ex = Explainer::new(instance, eligibility, solution)?;
    // Two halves: one finds the certificates of the later needs; the other the shadow prices
    // and advice (one search), then the certificates of the first 3/7 of the needs, which
    // balances the two on generated districts. The split does not change any result.
    let n = instance.needs().len();
    let split = n * 3 / 7;
    let r = &ex.r;
    let ((mut certificates, (shadow_prices, recruitment)), rest) = threads.join(
        || {
            let prices = ex.prices_and_advice();
            (certificates_in(instance, r, 0..split), prices)
        },
        || certificates_in(instance, r, split..n),
    );
    certificates.extend(rest);
    Ok(Explanation {
        certificates,
        shadow_prices,
        recruitment,
    })
}

/// Answers questions about one optimal plan.
pub struct Explainer<'a> {
    instance: &'a Instance,
    r: Residual<'a>,
    search: RefCell<Search>,
    threads: Threads,
}

impl<'a> Explainer<'a> {
    /// Prepares the residual network of `solution`.
    ///
    /// # Errors
    /// As [`explain`].
    pub fn new(
        instance: &'a Instance,
        eligibility: &'a Eligibility,
        solution: &'a Solution,
    ) -> Result<Explainer<'a>, ExplainError> {
        if eligibility.network().supply.len() != instance.needs().len() {
            return Err(ExplainError::Mismatch);
        }
        let net = eligibility.network();
        Ok(Explainer {
            instance,
            r: Residual::new(net, solution)?,
            search: RefCell::new(Search::new(net.supply.len() + net.capacity.len())),
            threads: Threads::default(),
        })
    }

    /// The same explainer, using at most `threads` threads where work splits.
    pub fn with_threads(mut self, threads: Threads) -> Explainer<'a> {
        self.threads = threads;
        self
    }

    /// The certificate for `need`'s unmet units, if it has some and some resource may serve
    /// it: a bottleneck of at most 30 needs if there is one near, else the best trade-off,
    /// else the whole bottleneck reachable from the need.
    pub fn certificate(&self, need: NeedIdx) -> Option<Certificate> {
        certify(
            self.instance,
            &self.r,
            &mut self.search.borrow_mut(),
            need.get(),
        )
    }

    /// The certificates of all needs, in need order. Certificates do not depend on each
    /// other: two halves, each with its own work arrays, on two threads when allowed.
    pub fn certificates(&self) -> Vec<Option<Certificate>> {
        let n = self.instance.needs().len();
        let (instance, r) = (self.instance, &self.r);
        let (mut all, rest) = self.threads.join(
            || certificates_in(instance, r, 0..n / 2),
            || certificates_in(instance, r, n / 2..n),
        );
        all.extend(rest);
        all
    }

    /// The smallest set grown from `need` (all resources that may serve it, the needs those
    /// resources serve, and so on) whose demand exceeds its resources' capacity, if any.
    pub fn bottleneck(&self, need: NeedIdx) -> Option<Certificate> {
        let s = &mut self.search.borrow_mut();
        bottleneck(self.instance, &self.r, s, need.get(), usize::MAX)
    }

    /// The best way to serve one more unit of `need`, if any, with its net value.
    pub fn tradeoff(&self, need: NeedIdx) -> Option<Certificate> {
        let i = need.get();
        let s = &mut self.search.borrow_mut();
        (self.r.served[i] < self.r.net.supply[i]).then(|| tradeoff(self.instance, &self.r, s, i))?
    }

    /// Shadow prices of all resources and the ranked recruitment advice, from one search.
    pub fn prices_and_advice(&self) -> (Vec<i64>, Vec<Advice>) {
        let (instance, r, net) = (self.instance, &self.r, self.r.net);
        let n = net.supply.len();
        // One search from everything that can give a unit: unmet needs (distance 0) and used
        // resources (their unit goes back; distance w).
        let mut sources: Vec<(usize, i64)> = (0..n)
            .filter(|&i| r.served[i] < net.supply[i])
            .map(|i| (i, 0))
            .collect();
        sources.extend(
            (0..net.capacity.len())
                .filter(|&j| r.used[j] > 0)
                .map(|j| (n + j, r.w[j])),
        );
        let search = &mut self.search.borrow_mut();
        r.dijkstra(search, &sources, |_, _| {}, |_| false);
        let shadow_prices = (0..net.capacity.len())
            .map(|j| match search.dist[n + j] {
                i64::MAX => 0,
                d => (r.w[j] - d).max(0),
            })
            .collect();

        // A new member in community C serving category c may serve needs of c in C without
        // skills, at community tier; its unit is worth v − (cost of freeing that need's unit).
        let areas = instance.areas();
        let policy = instance.policy();
        let mut best: Vec<((u32, u32), i64)> = Vec::new();
        for (i, need) in instance.needs().iter().enumerate() {
            let Some(community) = areas.ancestor_at(need.area, Level::Community) else {
                continue;
            };
            if !need.skills.is_empty() || search.dist[i] == i64::MAX {
                continue;
            }
            let value = policy.unit_value(need.priority, need.vulnerable, Level::Community, 0);
            let rise = value - search.dist[i] - r.u[i];
            if value > 0 && rise > 0 {
                best.push(((need.category.0, community.0), rise));
            }
        }
        best.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        best.dedup_by_key(|c| c.0);
        let mut recruitment: Vec<Advice> = best
            .into_iter()
            .map(|((c, a), value)| Advice {
                category: instance.categories().name(c).to_owned(),
                community: areas.get(AreaIdx(a)).id.clone(),
                value,
            })
            .collect();
        recruitment.sort_by(|a, b| {
            b.value
                .cmp(&a.value)
                .then_with(|| a.category.cmp(&b.category))
                .then_with(|| a.community.cmp(&b.community))
        });
        (shadow_prices, recruitment)
    }
}

/// The certificates of the needs in `range`, with work arrays of their own.
fn certificates_in(
    instance: &Instance,
    r: &Residual<'_>,
    range: std::ops::Range<usize>,
) -> Vec<Option<Certificate>> {
    let mut s = Search::new(r.net.supply.len() + r.net.capacity.len());
    range.map(|i| certify(instance, r, &mut s, i)).collect()
}

/// See [`Explainer::certificate`].
fn certify(instance: &Instance, r: &Residual<'_>, s: &mut Search, i: usize) -> Option<Certificate> {
    let net = r.net;
    if r.served[i] >= net.supply[i] || net.out(i).is_empty() {
        return None;
    }
    bottleneck(instance, r, s, i, SMALL_BOTTLENECK)
        .or_else(|| tradeoff(instance, r, s, i))
        .or_else(|| bottleneck(instance, r, s, i, usize::MAX))
}

/// Grows the needs reachable from `i0` (a need brings all resources that may serve it; a
/// resource brings the needs it serves) and stops at the first set whose demand exceeds the
/// capacity of all resources that may serve it.
fn bottleneck(
    instance: &Instance,
    r: &Residual<'_>,
    seen: &mut Search,
    i0: usize,
    limit: usize,
) -> Option<Certificate> {
    let net = r.net;
    let n = net.supply.len();
    seen.reset();
    seen.mark(i0);
    let mut needs = vec![i0];
    let mut resources = Vec::new();
    let (mut demand, mut capacity) = (0i64, 0i64);
    let mut k = 0;
    while k < needs.len() && k < limit {
        let i = needs[k];
        k += 1;
        demand += net.supply[i];
        for a in net.out(i) {
            let j = net.head[a] as usize;
            if seen.mark(n + j) {
                resources.push(j);
                capacity += net.capacity[j];
                // Needs past the limit would never be grown from.
                for &b in r.carried(j) {
                    if needs.len() >= limit {
                        break;
                    }
                    let t = r.tail[b as usize] as usize;
                    if seen.mark(t) {
                        needs.push(t);
                    }
                }
            }
        }
        if demand > capacity {
            needs.truncate(k);
            needs.sort_unstable();
            resources.sort_unstable();
            return Some(Certificate::Bottleneck {
                needs: needs
                    .iter()
                    .map(|&i| instance.needs()[i].id.clone())
                    .collect(),
                resources: resources
                    .iter()
                    .map(|&j| instance.resources()[j].id.clone())
                    .collect(),
                demand,
                capacity,
            });
        }
    }
    None
}

/// The best way to serve one more unit of `i0`: a shortest path from `i0` that ends at a
/// resource with room, or at a need that gives a unit up.
fn tradeoff(
    instance: &Instance,
    r: &Residual<'_>,
    search: &mut Search,
    i0: usize,
) -> Option<Certificate> {
    let net = r.net;
    let n = net.supply.len();
    // Cost of ending at node v, given its distance: a resource with room ends for free; a need
    // reached along a flow may drop that unit (its price u comes back into the cost).
    let end_cost = |v: usize, d: i64| -> Option<i64> {
        if v >= n {
            (r.used[v - n] < net.capacity[v - n]).then_some(d)
        } else {
            (v != i0).then(|| d + r.u[v])
        }
    };
    // Ends are weighed as soon as they are reached, with their current distance (a path of
    // that cost exists); once the distance being settled reaches the best end, nothing closer
    // remains, since ending never costs less than the distance.
    let best = std::cell::Cell::new((i64::MAX, usize::MAX));
    r.dijkstra(
        search,
        &[(i0, 0)],
        |v, d| {
            if let Some(c) = end_cost(v, d) {
                if c < best.get().0 {
                    best.set((c, v));
                }
            }
        },
        |d| d >= best.get().0,
    );
    let (cost, end) = best.get();
    if end == usize::MAX {
        return None;
    }
    // Walk back: a resource was reached by a need taking a new unit there; a need (other
    // than i0) by giving up its unit at the resource it was reached from.
    let mut moves = Vec::new();
    let mut to = None;
    let mut v = end;
    loop {
        if v >= n {
            to = Some(v - n);
            v = r.tail[search.pred[v] as usize] as usize;
        } else if v == i0 {
            moves.push((i0, None, to));
            break;
        } else {
            let from = net.head[search.pred[v] as usize] as usize;
            moves.push((v, Some(from), to));
            v = n + from;
        }
    }
    moves.reverse();
    Some(Certificate::Tradeoff {
        moves: moves
            .into_iter()
            .map(|(i, from, to)| Move {
                need: instance.needs()[i].id.clone(),
                from: from.map(|j| instance.resources()[j].id.clone()),
                to: to.map(|j| instance.resources()[j].id.clone()),
                quantity: 1,
            })
            .collect(),
        net_value: -cost,
    })
}

impl Explanation {
    /// Puts the certificates into the plan's unmet entries.
    pub fn attach(&self, instance: &Instance, plan: &mut Plan) {
        let ids = instance.ids();
        for u in &mut plan.unmet {
            if let Some(i) = ids.need(&u.need) {
                u.certificate = self.certificates[NeedIdx::get(i)].clone();
            }
        }
    }
}
