//! Who may serve whom: the bipartite graph of eligible (need, resource) pairs with their tier
//! and unit value, built through an index by (served area, category), never by testing all
//! need × resource pairs; and, beside it, the pairs a proposal would serve if approved.

use crate::model::area::AreaIdx;
use crate::model::area::Level;
use crate::model::need::{Need, NeedIdx};
use crate::model::proposal::{Proposal, ProposalIdx};
use crate::model::resource::{Resource, ResourceIdx};
use crate::model::time::Window;
use crate::model::vocab::{CategoryIdx, SkillIdx};
use crate::model::Instance;
use crate::solve::Network;
use petgraph::graph::{NodeIndex, UnGraph};

/// One eligible pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arc {
    /// The need.
    pub need: NeedIdx,
    /// A resource that may serve it.
    pub resource: ResourceIdx,
    /// Level where need and resource meet.
    pub tier: Level,
    /// Value of one unit, always positive.
    pub value: i64,
}

/// One pair of a need and a proposal that would serve it if approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    /// The need.
    pub need: NeedIdx,
    /// The proposal.
    pub proposal: ProposalIdx,
    /// Level where the need's area and the proposal's area meet.
    pub tier: Level,
    /// Value of one unit, always positive.
    pub value: i64,
}

/// All eligible pairs, grouped by need (needs in index order, resources ascending within a
/// need), together with the numeric [`Network`] the solvers see; and the pairs of needs
/// with proposals ([`Offer`]s), in a second network whose right nodes are the proposals.
///
/// ```
/// let json = r#"{
///   "areas": [{"id": "JW", "level": "street"}, {"id": "JW-01", "level": "community", "parent": "JW"}],
///   "needs": [{"id": "N1", "area": "JW-01", "category": "health", "quantity": 2}],
///   "resources": [
///     {"id": "R1", "kind": "staff", "home": "JW-01", "categories": ["health"], "capacity": 1},
///     {"id": "R2", "kind": "unit", "home": "JW", "categories": ["culture"], "capacity": 9}]
/// }"#;
/// let instance = duijie::Instance::from_json_str(json).unwrap();
/// let eligibility = duijie::Eligibility::build(&instance);
/// let arcs: Vec<_> = eligibility.arcs().collect();
/// assert_eq!(arcs.len(), 1);
/// assert_eq!((arcs[0].tier, arcs[0].value), (duijie::model::Level::Community, 300));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligibility {
    network: Network,
    tier: Vec<Level>,
    offers: Network,
    offer_tier: Vec<Level>,
}

impl Eligibility {
    /// Finds every eligible pair of `instance`.
    ///
    /// # Complexity
    /// `O(R·S·C log(R·S·C) + N·(5 log(R·S·C) + k))` for R resources serving S areas in C
    /// categories on average, N needs and k candidate resources per need.
    pub fn build(instance: &Instance) -> Eligibility {
        let index = Index::new(instance);
        let needs = instance.needs();
        let mut net = Network {
            supply: needs.iter().map(|n| i64::from(n.quantity)).collect(),
            capacity: instance
                .resources()
                .iter()
                .map(|r| i64::from(r.capacity))
                .collect(),
            start: Vec::with_capacity(needs.len() + 1),
            head: Vec::new(),
            value: Vec::new(),
            ..Network::default()
        };
        let mut tier = Vec::new();
        let mut seen = vec![u32::MAX; instance.resources().len()];
        let mut found: Vec<(u32, Level, i64)> = Vec::new();
        net.start.push(0);
        for (i, need) in needs.iter().enumerate() {
            found.clear();
            index.candidates(instance, need, |j| {
                if seen[j as usize] != i as u32 {
                    seen[j as usize] = i as u32;
                    if let Some((t, v)) = assess(instance, need, &instance.resources()[j as usize])
                    {
                        found.push((j, t, v));
                    }
                }
            });
            found.sort_unstable_by_key(|f| f.0);
            for &(j, t, v) in &found {
                net.head.push(j);
                net.value.push(v);
                tier.push(t);
            }
            net.start.push(net.head.len() as u32);
        }
        // Give back what the vectors' doubling reserved (large vectors shrink in place).
        net.head.shrink_to_fit();
        net.value.shrink_to_fit();
        tier.shrink_to_fit();
        add_terms(instance, &mut net);
        let (offers, offer_tier) = offers(instance, &net.supply);
        Eligibility {
            network: net,
            tier,
            offers,
            offer_tier,
        }
    }

    /// The numeric network for the solvers: left nodes are needs, right nodes resources.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Number of eligible pairs.
    pub fn len(&self) -> usize {
        self.network.arcs()
    }

    /// Whether no pair is eligible.
    pub fn is_empty(&self) -> bool {
        self.network.arcs() == 0
    }

    /// The pair behind arc `a` of the network.
    pub fn arc(&self, need: NeedIdx, a: usize) -> Arc {
        Arc {
            need,
            resource: ResourceIdx(self.network.head[a]),
            tier: self.tier[a],
            value: self.network.value[a],
        }
    }

    /// The eligible pairs of one need, resources ascending.
    pub fn arcs_of(&self, need: NeedIdx) -> impl Iterator<Item = Arc> + '_ {
        self.network.out(need.get()).map(move |a| self.arc(need, a))
    }

    /// All eligible pairs.
    pub fn arcs(&self) -> impl Iterator<Item = Arc> + '_ {
        (0..self.network.supply.len()).flat_map(move |i| self.arcs_of(NeedIdx(i as u32)))
    }

    /// The pairs of needs with proposals as a numeric network: left nodes are needs (as in
    /// [`Eligibility::network`]), right nodes proposals with their capacities.
    pub fn offer_network(&self) -> &Network {
        &self.offers
    }

    /// The offer behind arc `a` of [`Eligibility::offer_network`].
    pub fn offer(&self, need: NeedIdx, a: usize) -> Offer {
        Offer {
            need,
            proposal: ProposalIdx(self.offers.head[a]),
            tier: self.offer_tier[a],
            value: self.offers.value[a],
        }
    }

    /// The proposals that would serve one need, ascending.
    pub fn offers_of(&self, need: NeedIdx) -> impl Iterator<Item = Offer> + '_ {
        self.offers
            .out(need.get())
            .map(move |a| self.offer(need, a))
    }

    /// The pairs as an undirected petgraph graph: nodes are need ids then resource ids,
    /// edges carry `(tier, value)`.
    pub fn graph(&self, instance: &Instance) -> UnGraph<String, (Level, i64)> {
        let (n, m) = (instance.needs().len(), instance.resources().len());
        let mut g = UnGraph::with_capacity(n + m, self.len());
        for need in instance.needs() {
            g.add_node(need.id.clone());
        }
        for r in instance.resources() {
            g.add_node(r.id.clone());
        }
        for arc in self.arcs() {
            g.add_edge(
                NodeIndex::new(arc.need.get()),
                NodeIndex::new(n + arc.resource.get()),
                (arc.tier, arc.value),
            );
        }
        g
    }

    /// The graph in Graphviz DOT, for small instances.
    pub fn to_dot(&self, instance: &Instance) -> String {
        let g = self
            .graph(instance)
            .map(|_, id| id.clone(), |_, (t, v)| format!("{t} {v}"));
        format!("{}", petgraph::dot::Dot::new(&g))
    }
}

/// The policy's fairness terms as the network's runs and floors: each resource's marginal values
/// over its load ([`crate::model::Policy::marginals`]); each community, with the needs in it
/// or below it, a group with its floor.
fn add_terms(instance: &Instance, net: &mut Network) {
    let policy = instance.policy();
    if policy.load_steps.is_some() || policy.engagement.is_some() {
        net.run_start.push(0);
        for r in instance.resources() {
            net.runs
                .extend(policy.marginals(r.kind, i64::from(r.capacity)));
            net.run_start.push(net.runs.len() as u32);
        }
    }
    let Some(floor) = policy.community_floor else {
        return;
    };
    let areas = instance.areas();
    let mut group_of = vec![u32::MAX; areas.len()];
    let mut demand: Vec<i64> = Vec::new();
    for need in instance.needs() {
        let group = match areas.ancestor_at(need.area, Level::Community) {
            Some(c) => {
                let g = &mut group_of[c.get()];
                if *g == u32::MAX {
                    *g = demand.len() as u32;
                    demand.push(0);
                }
                demand[*g as usize] += i64::from(need.quantity);
                *g
            }
            None => u32::MAX,
        };
        net.group.push(group);
    }
    net.floors = demand
        .into_iter()
        .map(|d| (floor.units(d), floor.bonus))
        .collect();
}

/// Resources by (served area, category), as one sorted list: the index behind [`Eligibility`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Index {
    /// `served area × categories + category`, ascending, with the resource.
    entries: Vec<(u64, u32)>,
    categories: u64,
}

impl Index {
    pub(crate) fn new(instance: &Instance) -> Index {
        let categories = instance.categories().len() as u64;
        let mut entries = Vec::new();
        for (j, r) in instance.resources().iter().enumerate() {
            for s in &r.serves {
                for c in &r.categories {
                    entries.push((u64::from(s.0) * categories + u64::from(c.0), j as u32));
                }
            }
        }
        entries.sort_unstable();
        Index {
            entries,
            categories,
        }
    }

    /// Calls `visit` with every resource that serves an area at or above the need's in its
    /// category; a resource serving several of those areas comes once for each.
    fn candidates(&self, instance: &Instance, need: &Need, mut visit: impl FnMut(u32)) {
        for a in instance.areas().ancestors(need.area) {
            let key = u64::from(a.0) * self.categories + u64::from(need.category.0);
            let lo = self.entries.partition_point(|e| e.0 < key);
            let hi = lo + self.entries[lo..].partition_point(|e| e.0 == key);
            for &(_, j) in &self.entries[lo..hi] {
                visit(j);
            }
        }
    }
}

/// The pairs of needs with proposals: proposals indexed by (area, category) as resources are,
/// each need looking up its area and the areas above it.
fn offers(instance: &Instance, supply: &[i64]) -> (Network, Vec<Level>) {
    let categories = instance.categories().len() as u64;
    let key = |a: AreaIdx, c: CategoryIdx| u64::from(a.0) * categories + u64::from(c.0);
    let mut entries: Vec<(u64, u32)> = Vec::new();
    for (p, x) in instance.proposals().iter().enumerate() {
        entries.extend(x.categories.iter().map(|&c| (key(x.area, c), p as u32)));
    }
    entries.sort_unstable();
    let mut net = Network {
        supply: supply.to_vec(),
        capacity: instance
            .proposals()
            .iter()
            .map(|x| i64::from(x.capacity))
            .collect(),
        start: Vec::with_capacity(supply.len() + 1),
        head: Vec::new(),
        value: Vec::new(),
        ..Network::default()
    };
    let mut tier = Vec::new();
    net.start.push(0);
    for need in instance.needs() {
        if !entries.is_empty() {
            let from = net.head.len();
            for a in instance.areas().ancestors(need.area) {
                let k = key(a, need.category);
                let lo = entries.partition_point(|e| e.0 < k);
                for &(_, p) in entries[lo..].iter().take_while(|e| e.0 == k) {
                    let x = &instance.proposals()[p as usize];
                    if let Some((t, v)) = assess_server(instance, need, &Server::of_proposal(x)) {
                        net.head.push(p);
                        net.value.push(v);
                        tier.push(t);
                    }
                }
            }
            // Proposals ascending within the need (each serves one area, so none repeats).
            let mut pairs: Vec<(u32, i64, Level)> = (from..net.head.len())
                .map(|a| (net.head[a], net.value[a], tier[a]))
                .collect();
            pairs.sort_unstable_by_key(|p| p.0);
            for (k, (p, v, t)) in pairs.into_iter().enumerate() {
                (net.head[from + k], net.value[from + k], tier[from + k]) = (p, v, t);
            }
        }
        net.start.push(net.head.len() as u32);
    }
    (net, tier)
}

/// What the rules ask of a server (a resource, or a proposal once approved).
pub(crate) struct Server<'a> {
    /// Where it is registered, for the tier.
    pub home: AreaIdx,
    /// Its skills, sorted.
    pub skills: &'a [SkillIdx],
    /// When it is available.
    pub window: Option<Window>,
    /// Its unit cost.
    pub unit_cost: u32,
}

impl<'a> Server<'a> {
    pub(crate) fn of_resource(r: &'a Resource) -> Server<'a> {
        Server {
            home: r.home,
            skills: &r.skills,
            window: r.window,
            unit_cost: r.unit_cost,
        }
    }

    pub(crate) fn of_proposal(x: &'a Proposal) -> Server<'a> {
        Server {
            home: x.area,
            skills: &x.skills,
            window: x.window,
            unit_cost: x.unit_cost,
        }
    }
}

/// Whether `r` may serve `need` once the index has matched category and served area:
/// skills, windows, cost ceiling and a positive value. Returns the tier and unit value.
pub(crate) fn assess(instance: &Instance, need: &Need, r: &Resource) -> Option<(Level, i64)> {
    assess_server(instance, need, &Server::of_resource(r))
}

/// [`assess`] for any server.
pub(crate) fn assess_server(
    instance: &Instance,
    need: &Need,
    r: &Server<'_>,
) -> Option<(Level, i64)> {
    if !is_subset(&need.skills, r.skills) {
        return None;
    }
    if let (Some(a), Some(b)) = (&need.window, &r.window) {
        if !a.overlaps(b) {
            return None;
        }
    }
    if need.max_unit_cost.is_some_and(|m| r.unit_cost > m) {
        return None;
    }
    let tier = instance.areas().tier(need.area, r.home);
    let value =
        instance
            .policy()
            .unit_value(need.priority, need.vulnerable, tier, i64::from(r.unit_cost));
    (value > 0).then_some((tier, value))
}

/// Whether sorted `a` ⊆ sorted `b`.
fn is_subset<T: Ord>(a: &[T], b: &[T]) -> bool {
    let mut b = b.iter();
    a.iter().all(|x| b.any(|y| y == x))
}
