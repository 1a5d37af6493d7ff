//! A validated instance: the three lists (areas, needs, resources), sorted by id, with the
//! optional budgets and proposals, the policy and the interned category and skill names. It is read by [`crate::format`],
//! validated and lowered by [`crate::validate`], and written back by
//! [`crate::contract`] ([`Instance::to_data`]).

use crate::model::area::{AreaIdx, Areas};
use crate::model::budget::{Budget, BudgetIdx};
use crate::model::need::{Need, NeedIdx};
use crate::model::policy::Policy;
use crate::model::proposal::{Proposal, ProposalIdx};
use crate::model::resource::{Resource, ResourceIdx};
use crate::model::vocab::{CategoryIdx, Vocab};

/// A validated instance: areas, needs and resources, budgets and proposals, each sorted by
/// id, and the policy.
///
/// ```
/// let json = r#"{
///   "areas": [{"id": "JW", "level": "street"}, {"id": "JW-01", "level": "community", "parent": "JW"}],
///   "needs": [{"id": "N1", "area": "JW-01", "category": "elder-care", "quantity": 2}],
///   "resources": [{"id": "R1", "kind": "member", "home": "JW-01", "categories": ["elder-care"], "capacity": 1}]
/// }"#;
/// let instance = duijie::Instance::from_json_str(json).unwrap();
/// assert_eq!(instance.needs().len(), 1);
///
/// let broken = r#"{"areas": [], "needs": [{"id": "N1", "area": "X", "category": "c", "quantity": 0}]}"#;
/// let err = duijie::Instance::from_json_str(broken).unwrap_err().to_string();
/// assert!(err.contains("needs[0].area") && err.contains("needs[0].quantity"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    areas: Areas,
    needs: Vec<Need>,
    resources: Vec<Resource>,
    budgets: Vec<Budget>,
    proposals: Vec<Proposal>,
    /// The budget whose area is exactly this area, per area (`u32::MAX`: none).
    budget_at: Vec<u32>,
    policy: Policy,
    categories: Vocab,
    skills: Vocab,
}

impl Instance {
    /// An instance from validated parts: each list sorted by id, every index in range.
    pub(crate) fn from_parts(
        areas: Areas,
        needs: Vec<Need>,
        resources: Vec<Resource>,
        policy: Policy,
        categories: Vocab,
        skills: Vocab,
    ) -> Instance {
        let budget_at = vec![u32::MAX; areas.len()];
        Instance {
            areas,
            needs,
            resources,
            budgets: Vec::new(),
            proposals: Vec::new(),
            budget_at,
            policy,
            categories,
            skills,
        }
    }

    /// The same instance with budgets and proposals (each sorted by id, every index in
    /// range, no two budgets on one area).
    pub(crate) fn with_funding(
        mut self,
        budgets: Vec<Budget>,
        proposals: Vec<Proposal>,
    ) -> Instance {
        for (b, budget) in budgets.iter().enumerate() {
            self.budget_at[budget.area.get()] = b as u32;
        }
        self.budgets = budgets;
        self.proposals = proposals;
        self
    }

    /// The area hierarchy.
    pub fn areas(&self) -> &Areas {
        &self.areas
    }
    /// The needs, sorted by id.
    pub fn needs(&self) -> &[Need] {
        &self.needs
    }
    /// The resources, sorted by id.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }
    /// The budgets, sorted by id.
    pub fn budgets(&self) -> &[Budget] {
        &self.budgets
    }
    /// The proposals, sorted by id.
    pub fn proposals(&self) -> &[Proposal] {
        &self.proposals
    }
    /// Whether the instance has budgets or proposals, which make planning an integer program.
    pub fn is_funded(&self) -> bool {
        !self.budgets.is_empty() || !self.proposals.is_empty()
    }
    /// The budget a paid resource's unit serving a need in `area` is charged to: the budget of
    /// the lowest area that contains `area` (or is it), if any.
    pub fn budget_of(&self, area: AreaIdx) -> Option<BudgetIdx> {
        self.areas
            .ancestors(area)
            .map(|a| self.budget_at[a.get()])
            .find(|&b| b != u32::MAX)
            .map(BudgetIdx)
    }
    /// The budget at `b`.
    pub fn budget(&self, b: BudgetIdx) -> &Budget {
        &self.budgets[b.get()]
    }
    /// The proposal at `p`.
    pub fn proposal(&self, p: ProposalIdx) -> &Proposal {
        &self.proposals[p.get()]
    }
    /// Finds a budget by id.
    pub fn find_budget(&self, id: &str) -> Option<BudgetIdx> {
        self.budgets
            .binary_search_by(|b| b.id.as_str().cmp(id))
            .ok()
            .map(|b| BudgetIdx(b as u32))
    }
    /// Finds a proposal by id.
    pub fn find_proposal(&self, id: &str) -> Option<ProposalIdx> {
        self.proposals
            .binary_search_by(|p| p.id.as_str().cmp(id))
            .ok()
            .map(|p| ProposalIdx(p as u32))
    }
    /// The value model.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }
    /// All category names.
    pub fn categories(&self) -> &Vocab {
        &self.categories
    }
    /// All skill names.
    pub fn skills(&self) -> &Vocab {
        &self.skills
    }
    /// The need at `i`.
    pub fn need(&self, i: NeedIdx) -> &Need {
        &self.needs[i.get()]
    }
    /// The resource at `j`.
    pub fn resource(&self, j: ResourceIdx) -> &Resource {
        &self.resources[j.get()]
    }
    /// The name of category `c`.
    pub fn category_name(&self, c: CategoryIdx) -> &str {
        self.categories.name(c.0)
    }
    /// Finds a need by id.
    pub fn find_need(&self, id: &str) -> Option<NeedIdx> {
        self.needs
            .binary_search_by(|n| n.id.as_str().cmp(id))
            .ok()
            .map(|i| NeedIdx(i as u32))
    }
    /// Finds a resource by id.
    pub fn find_resource(&self, id: &str) -> Option<ResourceIdx> {
        self.resources
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .map(|i| ResourceIdx(i as u32))
    }
    /// A hash index of need and resource ids, for many lookups in a row (the sorted lists'
    /// binary search touches a cold cache line per probe).
    pub(crate) fn ids(&self) -> Ids<'_> {
        Ids {
            needs: self
                .needs
                .iter()
                .enumerate()
                .map(|(i, n)| (n.id.as_str(), i as u32))
                .collect(),
            resources: self
                .resources
                .iter()
                .enumerate()
                .map(|(j, r)| (r.id.as_str(), j as u32))
                .collect(),
        }
    }

    /// The same instance with the policy's fairness terms removed (to measure what they cost).
    pub fn without_terms(&self) -> Instance {
        let mut plain = self.clone();
        plain.policy.load_steps = None;
        plain.policy.engagement = None;
        plain.policy.community_floor = None;
        plain
    }

    /// Total units asked for.
    pub fn demanded(&self) -> i64 {
        self.needs.iter().map(|n| i64::from(n.quantity)).sum()
    }
}

/// Need and resource ids by hash, from [`Instance::ids`]. Lookups only: nothing iterates it,
/// so hash order never reaches a result.
#[derive(Debug, Clone)]
pub(crate) struct Ids<'a> {
    needs: std::collections::HashMap<&'a str, u32>,
    resources: std::collections::HashMap<&'a str, u32>,
}

impl Ids<'_> {
    /// The need with this id.
    pub(crate) fn need(&self, id: &str) -> Option<NeedIdx> {
        self.needs.get(id).map(|&i| NeedIdx(i))
    }

    /// The resource with this id.
    pub(crate) fn resource(&self, id: &str) -> Option<ResourceIdx> {
        self.resources.get(id).map(|&j| ResourceIdx(j))
    }
}
