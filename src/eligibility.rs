//! Who may serve whom: the bipartite graph of eligible (need, resource) pairs with their tier
//! and unit value, built through an index by (served area, category), never by testing all
//! need × resource pairs.

use crate::model::area::Level;
use crate::model::need::{Need, NeedIdx};
use crate::model::resource::{Resource, ResourceIdx};
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

/// All eligible pairs, grouped by need (needs in index order, resources ascending within a
/// need), together with the numeric [`Network`] the solvers see.
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
        Eligibility { network: net, tier }
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

/// Whether `r` may serve `need` once the index has matched category and served area:
/// skills, windows, cost ceiling and a positive value. Returns the tier and unit value.
pub(crate) fn assess(instance: &Instance, need: &Need, r: &Resource) -> Option<(Level, i64)> {
    if !is_subset(&need.skills, &r.skills) {
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
