//! Budgets (政府购买服务 funds): money for purchased services, one per area at most.

use crate::model::area::AreaIdx;

/// Dense index of a budget in [`crate::Instance::budgets`] (budgets are sorted by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BudgetIdx(pub u32);

impl BudgetIdx {
    /// The index as `usize`.
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// One validated budget: an amount of yuan for the purchased services of an area.
///
/// A unit served by a paid resource (`unit_cost > 0`) is charged to the budget of the lowest
/// area that contains the need's area ([`crate::Instance::budget_of`]); a proposal charges
/// the budget it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// External id; budgets, resources and proposals share one namespace.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// The area it covers (with everything below it); no two budgets cover the same area.
    pub area: AreaIdx,
    /// Yuan available, 0 ..= [`crate::model::limits::MAX_AMOUNT`].
    pub amount: i64,
}
