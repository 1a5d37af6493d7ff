//! Project proposals (评审立项): candidate projects that serve only when approved.

use crate::model::area::AreaIdx;
use crate::model::budget::BudgetIdx;
use crate::model::resource::ResourceIdx;
use crate::model::time::Window;
use crate::model::vocab::{CategoryIdx, SkillIdx};

/// Dense index of a proposal in [`crate::Instance::proposals`] (proposals are sorted by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProposalIdx(pub u32);

impl ProposalIdx {
    /// The index as `usize`.
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// One validated proposal. Approved, it serves like a resource whose `home` and `serves` are
/// its `area`; approving it charges `fixed_cost` to its budget, and each unit it serves
/// charges `unit_cost` to the same budget. Not approved, it serves nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// External id; budgets, resources and proposals share one namespace.
    pub id: String,
    /// A short title such as 助老食堂.
    pub title: Option<String>,
    /// The resource that would carry it out (informative).
    pub provider: Option<ResourceIdx>,
    /// Where it serves (with everything below), and its home for the tier.
    pub area: AreaIdx,
    /// The budget that pays for it.
    pub budget: BudgetIdx,
    /// Categories it serves, sorted, without repeats, never empty.
    pub categories: Vec<CategoryIdx>,
    /// Skills it brings, sorted, without repeats.
    pub skills: Vec<SkillIdx>,
    /// Units it can give when approved.
    pub capacity: u32,
    /// Yuan per unit served, charged to its budget and weighed like a resource's unit cost.
    pub unit_cost: u32,
    /// Yuan charged once when approved, 0 ..= [`crate::model::limits::MAX_FIXED_COST`].
    pub fixed_cost: i64,
    /// When it would run.
    pub window: Option<Window>,
}
