//! Needs (需求): what residents and units asked for.

use crate::model::area::AreaIdx;
use crate::model::time::Window;
use crate::model::vocab::{CategoryIdx, SkillIdx};

/// Dense index of a need in [`crate::Instance::needs`] (needs are sorted by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NeedIdx(pub u32);

impl NeedIdx {
    /// The index as `usize`.
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// One validated need of the demand list (需求清单).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// External id, unique among needs.
    pub id: String,
    /// Where the need is.
    pub area: AreaIdx,
    /// What kind of service it asks for.
    pub category: CategoryIdx,
    /// Units of service asked for (visits, hours), at least 1.
    pub quantity: u32,
    /// 1 (low) to 5 (urgent).
    pub priority: u8,
    /// A priority household (三老三户三留守).
    pub vulnerable: bool,
    /// Skills the server must have, sorted and without repeats.
    pub skills: Vec<SkillIdx>,
    /// When the service is wanted.
    pub window: Option<Window>,
    /// Highest acceptable unit cost of the server.
    pub max_unit_cost: Option<u32>,
    /// Who asked (a household, a unit).
    pub requester: Option<String>,
    /// A short title such as 代买代办.
    pub title: Option<String>,
}
