//! Certified explanations of an optimal plan: why a need went unserved (a bottleneck or a
//! trade-off), what one more unit of each resource's capacity is worth (shadow prices), and
//! where one more volunteer would add the most (recruitment advice).
//!
//! Everything here reads the residual network of an optimal flow with its optimal duals: its
//! nodes are the needs, the resources, the groups of community floors and a sink `T` that takes
//! every unserved unit and every unit given. With node prices from the duals
//! (`π(need) = u − r(group)`, `π(resource) = −w`, `π(group) = −r`, `π(T) = 0`) every residual
//! arc has a non-negative reduced cost, so Dijkstra finds best augmenting cycles exactly, with
//! the fairness terms included (a resource's next unit earns its run's delta, a group's next
//! served unit its floor bonus). Adding one unit of capacity anywhere raises the optimum by
//! exactly the best such cycle.

use crate::eligibility::Eligibility;
use crate::model::area::{AreaIdx, Level};
use crate::model::need::NeedIdx;
use crate::model::resource::Kind;
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
    /// The duals do not prove the flow optimal (a residual arc has a negative reduced cost).
    #[error("the duals do not prove the solution optimal")]
    NotOptimal,
}

/// The residual network of an optimal flow, with node potentials from its duals. Its nodes are
/// the needs (`0..n`), the resources (`n..n+m`), the groups of the floors (`n+m..n+m+G`) and
/// the sink `T` (last), which takes every unit a need leaves unserved (through its group, if it
/// has one) and every unit a resource gives (through its runs). Every residual arc has a
/// non-negative reduced cost `cost + π(from) − π(to)`.
struct Residual<'a> {
    net: &'a Network,
    /// Node potentials, `T`'s 0.
    pi: Vec<i64>,
    /// Per resource: the arcs that carry flow into it.
    carried_start: Vec<u32>,
    carried: Vec<u32>,
    /// The need of each arc.
    tail: Vec<u32>,
    served: Vec<i64>,
    /// Per resource: the delta of its next unit (`None` when full) and of its last unit given
    /// (`None` when it gives none).
    next_delta: Vec<Option<i64>>,
    last_delta: Vec<Option<i64>>,
    /// Per group: the cost of one more unit left unserved (`None` when none more can be), and
    /// of one fewer (`None` when none is).
    group_up: Vec<Option<i64>>,
    group_down: Vec<Option<i64>>,
    /// Needs with unserved units, per group, then those without a group (reached from `T`).
    waiting_start: Vec<u32>,
    waiting: Vec<u32>,
}

impl<'a> Residual<'a> {
    fn new(net: &'a Network, sol: &'a Solution) -> Result<Residual<'a>, ExplainError> {
        let d = sol.duals.as_ref().ok_or(ExplainError::NoDuals)?;
        let (n, m, groups) = (net.supply.len(), net.capacity.len(), net.floors.len());
        if sol.flow.len() != net.arcs()
            || d.left.len() != n
            || d.right.len() != m
            || d.group.len() != groups
        {
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
        // Potentials: T 0, a resource −right, a group −group, a need left − its group's.
        let mut pi = vec![0i64; n + m + groups + 1];
        for j in 0..m {
            pi[n + j] = -d.right[j];
        }
        for g in 0..groups {
            pi[n + m + g] = -d.group[g];
        }
        for (i, p) in pi.iter_mut().enumerate().take(n) {
            *p = d.left[i] - net.group_of(i).map_or(0, |g| d.group[g]);
        }
        let (mut next_delta, mut last_delta) = (vec![None; m], vec![None; m]);
        for j in 0..m {
            let mut left = used[j];
            for (units, delta) in net.runs_of(j).iter().filter(|r| r.0 > 0) {
                if left > 0 {
                    last_delta[j] = Some(delta);
                }
                if left < units {
                    next_delta[j] = Some(delta);
                    break;
                }
                left -= units;
            }
        }
        let mut unserved = vec![0i64; groups];
        let mut demand = vec![0i64; groups];
        for (i, got) in served.iter().enumerate() {
            if let Some(g) = net.group_of(i) {
                demand[g] += net.supply[i];
                unserved[g] += net.supply[i] - got;
            }
        }
        let (mut group_up, mut group_down) = (vec![None; groups], vec![None; groups]);
        for (g, &(floor, bonus)) in net.floors.iter().enumerate() {
            // Unserved units pass a free arc (the demand above the floor), then one that costs
            // the bonus (the floor).
            let floor = floor.min(demand[g]);
            let free = demand[g] - floor;
            let (a1, a2) = (unserved[g].min(free), (unserved[g] - free).max(0));
            group_up[g] = if a1 < free {
                Some(0)
            } else {
                (a2 < floor).then_some(bonus)
            };
            group_down[g] = if a2 > 0 {
                Some(bonus)
            } else {
                (a1 > 0).then_some(0)
            };
        }
        let mut waiting_start = vec![0u32; groups + 2];
        for i in (0..n).filter(|&i| served[i] < net.supply[i]) {
            waiting_start[net.group_of(i).unwrap_or(groups) + 1] += 1;
        }
        for g in 0..=groups {
            waiting_start[g + 1] += waiting_start[g];
        }
        let mut fill = waiting_start.clone();
        let mut waiting = vec![0u32; waiting_start[groups + 1] as usize];
        for i in (0..n).filter(|&i| served[i] < net.supply[i]) {
            let g = net.group_of(i).unwrap_or(groups);
            waiting[fill[g] as usize] = i as u32;
            fill[g] += 1;
        }
        let r = Residual {
            net,
            pi,
            carried_start: count,
            carried,
            tail,
            served,
            next_delta,
            last_delta,
            group_up,
            group_down,
            waiting_start,
            waiting,
        };
        if r.all_reduced_costs_nonnegative() {
            Ok(r)
        } else {
            Err(ExplainError::NotOptimal)
        }
    }

    fn carried(&self, j: usize) -> &[u32] {
        &self.carried[self.carried_start[j] as usize..self.carried_start[j + 1] as usize]
    }

    /// The needs with unserved units of group `g` (or, for the last, of no group).
    fn waiting(&self, g: usize) -> &[u32] {
        &self.waiting[self.waiting_start[g] as usize..self.waiting_start[g + 1] as usize]
    }

    fn sink(&self) -> usize {
        self.pi.len() - 1
    }

    /// The node need `i`'s unserved units go to: its group, or `T`.
    fn unserved_node(&self, i: usize) -> usize {
        let (n, m) = (self.net.supply.len(), self.net.capacity.len());
        self.net.group_of(i).map_or(self.sink(), |g| n + m + g)
    }

    /// Whether the duals are optimal for this flow: every residual arc's reduced cost is ≥ 0.
    fn all_reduced_costs_nonnegative(&self) -> bool {
        let mut ok = true;
        self.for_every_arc(|_, _, c, _| ok &= c >= 0);
        ok
    }

    /// Calls `visit(from, to, reduced cost, arc)` for every residual arc.
    fn for_every_arc(&self, mut visit: impl FnMut(usize, usize, i64, u32)) {
        for v in 0..self.pi.len() {
            self.out_arcs(v, None, &mut visit);
        }
    }

    /// Calls `visit(v, to, reduced cost, arc)` for every residual arc out of `v`, but the
    /// unserved arc of need `skip`. `arc` names the arc: a pair arc `a` (`< arcs`), else
    /// `arcs + i` for need `i`'s unserved arc, `arcs + n + j` for resource `j`'s run arc,
    /// `arcs + n + m + g` for group `g`'s floor arc.
    fn out_arcs(
        &self,
        v: usize,
        skip: Option<usize>,
        visit: &mut impl FnMut(usize, usize, i64, u32),
    ) {
        let net = self.net;
        let (n, m, groups) = (net.supply.len(), net.capacity.len(), net.floors.len());
        let (pi, t) = (&self.pi, self.sink());
        let arcs = net.arcs() as u32;
        if v < n {
            for a in net.out(v) {
                let j = n + net.head[a] as usize;
                visit(v, j, -net.value[a] + pi[v] - pi[j], a as u32);
            }
            if skip != Some(v) {
                let to = self.unserved_node(v);
                visit(v, to, pi[v] - pi[to], arcs + v as u32);
            }
        } else if v < n + m {
            let j = v - n;
            for &a in self.carried(j) {
                let i = self.tail[a as usize] as usize;
                visit(v, i, net.value[a as usize] - pi[i] + pi[v], a);
            }
            if let Some(delta) = self.next_delta[j] {
                visit(v, t, -delta + pi[v] - pi[t], arcs + (n + j) as u32);
            }
        } else if v < t {
            let g = v - n - m;
            for &i in self.waiting(g) {
                let i = i as usize;
                visit(v, i, pi[v] - pi[i], arcs + i as u32);
            }
            if let Some(c) = self.group_up[g] {
                visit(v, t, c + pi[v] - pi[t], arcs + (n + m + g) as u32);
            }
        } else {
            for g in 0..groups {
                if let Some(c) = self.group_down[g] {
                    let to = n + m + g;
                    visit(v, to, -c - pi[to] + pi[t], arcs + (n + m + g) as u32);
                }
            }
            for &i in self.waiting(groups) {
                let i = i as usize;
                visit(v, i, pi[t] - pi[i], arcs + i as u32);
            }
            for j in 0..m {
                if let Some(delta) = self.last_delta[j] {
                    visit(v, n + j, delta - pi[n + j] + pi[t], arcs + (n + j) as u32);
                }
            }
        }
    }

    /// Dijkstra over reduced costs from `source`, leaving out the unserved arc of need `skip`,
    /// until `stop`'s distance is final (or every node is settled). Records in `pred` the arc
    /// each node was reached by (`u32::MAX` for the source). Gives up (`false`) before
    /// settling more than `budget` nodes.
    fn dijkstra(
        &self,
        s: &mut Search,
        source: usize,
        skip: Option<usize>,
        stop: Option<usize>,
        budget: usize,
    ) -> bool {
        s.reset();
        s.lower(source, 0, u32::MAX);
        let mut settled = 0usize;
        while let Some(Reverse((d, v))) = s.heap.pop() {
            let v = v as usize;
            if s.done[v] || d > s.dist[v] {
                continue;
            }
            // Reduced costs are ≥ 0: nothing settled from here on can bring `stop` lower
            // than a distance it already has (on degenerate networks many nodes tie with it).
            if stop.is_some_and(|t| s.dist[t] <= d) {
                break;
            }
            if settled == budget {
                return false;
            }
            settled += 1;
            s.done[v] = true;
            self.out_arcs(v, skip, &mut |_, to, c, arc| {
                s.lower(to, d + c, arc);
            });
        }
        true
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

/// With fairness terms, the bulk certificates give up on a need (no certificate) when its
/// bottleneck passes this many needs and its trade-off search this many settled nodes.
const TERMS_BUDGET: usize = 256;

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
        let r = Residual::new(eligibility.network(), solution)?;
        let nodes = r.pi.len();
        Ok(Explainer {
            instance,
            r,
            search: RefCell::new(Search::new(nodes)),
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

    /// The certificates of all needs, in need order. With fairness terms, only of the needs
    /// whose servers are all full, and only where a bottleneck of at most 256 needs or a
    /// trade-off search of at most 256 nodes finds one; [`Explainer::certificate`] gives
    /// any need's without limits.
    /// Certificates do not depend on each other: two halves, each with its own work arrays, on
    /// two threads when allowed.
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
        (self.r.served[i] < self.r.net.supply[i])
            .then(|| tradeoff(self.instance, &self.r, s, i, usize::MAX))?
    }

    /// Shadow prices of all resources and the ranked recruitment advice, from one search.
    pub fn prices_and_advice(&self) -> (Vec<i64>, Vec<Advice>) {
        let (instance, r, net) = (self.instance, &self.r, self.r.net);
        let (n, m) = (net.supply.len(), net.capacity.len());
        let policy = instance.policy();
        let with_runs = !net.run_start.is_empty();
        // One search from T: the cheapest way to bring one more unit to each node (from an
        // unserved unit or a unit some resource gives back, and so on).
        let search = &mut self.search.borrow_mut();
        r.dijkstra(search, r.sink(), None, None, usize::MAX);
        // One more unit of capacity at j is a new arc j → T worth the marginal of its next unit.
        let shadow_prices = (0..m)
            .map(|j| {
                let extra = if with_runs {
                    let res = &instance.resources()[j];
                    let runs = policy.marginals(res.kind, i64::from(res.capacity) + 1);
                    runs.last().map_or(0, |r| r.1)
                } else {
                    0
                };
                match search.dist[n + j] {
                    i64::MAX => 0,
                    d => (extra - r.pi[n + j] - d).max(0),
                }
            })
            .collect();

        // A new member in community C serving category c may serve needs of c in C without
        // skills, at community tier; its one unit is worth the pair's value plus its own
        // marginal, less the cost of bringing that need one more unit.
        let member = if with_runs {
            policy.marginals(Kind::Member, 1).first().map_or(0, |r| r.1)
        } else {
            0
        };
        let areas = instance.areas();
        let mut best: Vec<((u32, u32), i64)> = Vec::new();
        for (i, need) in instance.needs().iter().enumerate() {
            let Some(community) = areas.ancestor_at(need.area, Level::Community) else {
                continue;
            };
            if !need.skills.is_empty() || search.dist[i] == i64::MAX {
                continue;
            }
            let value = policy.unit_value(need.priority, need.vulnerable, Level::Community, 0);
            let rise = value + member - search.dist[i] - r.pi[i];
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
    let mut s = Search::new(r.pi.len());
    // With fairness terms a trade-off search settles every node closer than the cycle's
    // cost, most of a district when that cost is a load penalty: a need left beside a
    // resource with room (`policy_tradeoff`) is certified only on demand, the others within a
    // budget.
    let terms = r.net.has_terms();
    range
        .map(|i| {
            let beside_room = || {
                r.net
                    .out(i)
                    .any(|a| r.next_delta[r.net.head[a] as usize].is_some())
            };
            if !terms {
                certify(instance, r, &mut s, i)
            } else if beside_room() {
                None
            } else {
                certify_within(instance, r, &mut s, i, TERMS_BUDGET)
            }
        })
        .collect()
}

/// See [`Explainer::certificate`].
fn certify(instance: &Instance, r: &Residual<'_>, s: &mut Search, i: usize) -> Option<Certificate> {
    certify_within(instance, r, s, i, usize::MAX)
}

/// As [`certify`], giving up (`None`) when a bottleneck would pass `budget` needs and a
/// trade-off search would settle more than `budget` nodes.
fn certify_within(
    instance: &Instance,
    r: &Residual<'_>,
    s: &mut Search,
    i: usize,
    budget: usize,
) -> Option<Certificate> {
    let net = r.net;
    if r.served[i] >= net.supply[i] || net.out(i).is_empty() {
        return None;
    }
    bottleneck(instance, r, s, i, SMALL_BOTTLENECK)
        .or_else(|| tradeoff(instance, r, s, i, budget))
        .or_else(|| bottleneck(instance, r, s, i, budget))
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

/// The best way to serve one more unit of `i0`: the cheapest cycle that takes one of its
/// unserved units into the network, a shortest path from `i0` to `T` (ending at a resource with
/// room, or at a need that leaves a unit unserved), closed back to `i0` through its unserved arc.
fn tradeoff(
    instance: &Instance,
    r: &Residual<'_>,
    search: &mut Search,
    i0: usize,
    budget: usize,
) -> Option<Certificate> {
    let net = r.net;
    let (n, m) = (net.supply.len(), net.capacity.len());
    // The cycle closes through i0's unserved arc backwards (one unserved unit fewer), from
    // the node that arc leads to: T, or i0's group (whose other needs may leave a unit
    // unserved in its place, the group's total unchanged).
    let via = r.unserved_node(i0);
    if !r.dijkstra(search, i0, Some(i0), Some(via), budget) {
        return None;
    }
    let d = search.dist[via];
    if d == i64::MAX {
        return None;
    }
    let close = r.pi[via] - r.pi[i0];
    // The path back from its end: each need on it enters from a resource (giving up a unit
    // there) or from unserved, and leaves to a resource (taking a unit) or to unserved.
    let arcs = net.arcs();
    let mut nodes = vec![via];
    let mut v = via;
    while v != i0 {
        let a = search.pred[v] as usize;
        v = if a < arcs {
            if v < n {
                n + net.head[a] as usize
            } else {
                r.tail[a] as usize
            }
        } else if a < arcs + n {
            let i = a - arcs;
            if v == i {
                r.unserved_node(i)
            } else {
                i
            }
        } else {
            // A run arc (resource and T) or a group's arc (group and T), either way.
            let end = if a < arcs + n + m {
                n + (a - arcs - n)
            } else {
                n + m + (a - arcs - n - m)
            };
            if v == end {
                r.sink()
            } else {
                end
            }
        };
        nodes.push(v);
    }
    nodes.reverse();
    let mut moves = Vec::new();
    for (k, &x) in nodes.iter().enumerate() {
        if x >= n {
            continue;
        }
        let from = match k.checked_sub(1).map(|p| nodes[p]) {
            Some(p) if (n..n + m).contains(&p) => Some(p - n),
            _ => None,
        };
        let to = match nodes.get(k + 1) {
            Some(&q) if (n..n + m).contains(&q) => Some(q - n),
            _ => None,
        };
        moves.push(Move {
            need: instance.needs()[x].id.clone(),
            from: from.map(|j| instance.resources()[j].id.clone()),
            to: to.map(|j| instance.resources()[j].id.clone()),
            quantity: 1,
        });
    }
    Some(Certificate::Tradeoff {
        moves,
        net_value: -(d + close),
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
