//! Resources (资源): what units, party members, organisations, staff and volunteer teams offer.

use crate::model::area::AreaIdx;
use crate::model::time::Window;
use crate::model::vocab::{CategoryIdx, SkillIdx};
use serde::Serialize;

/// Dense index of a resource in [`crate::Instance::resources`] (resources are sorted by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceIdx(pub u32);

impl ResourceIdx {
    /// The index as `usize`.
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// Who offers a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 在职党员: an in-service party member registered with the community (双报到).
    Member,
    /// 驻区单位 / 结对共建单位: a resident or paired unit.
    Unit,
    /// 社会组织: a social organisation, often paid through 政府购买服务.
    SocialOrg,
    /// 社区工作者: community staff.
    Staff,
    /// 志愿服务队: a volunteer team.
    VolunteerTeam,
}

impl Kind {
    /// All kinds.
    pub const ALL: [Kind; 5] = [
        Kind::Member,
        Kind::Unit,
        Kind::SocialOrg,
        Kind::Staff,
        Kind::VolunteerTeam,
    ];

    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Member => "member",
            Kind::Unit => "unit",
            Kind::SocialOrg => "social_org",
            Kind::Staff => "staff",
            Kind::VolunteerTeam => "volunteer_team",
        }
    }

    /// Parses a JSON kind name.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Position in [`Kind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One validated resource of the resource list (资源清单).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// External id, unique among resources.
    pub id: String,
    /// Who offers it.
    pub kind: Kind,
    /// Display name.
    pub name: Option<String>,
    /// Where it is registered (its community or grid, for a unit its street …).
    pub home: AreaIdx,
    /// Areas it serves (with everything below them), sorted, without repeats; defaults to `[home]`.
    pub serves: Vec<AreaIdx>,
    /// Categories it can serve, sorted, without repeats, never empty.
    pub categories: Vec<CategoryIdx>,
    /// Skills it has, sorted, without repeats.
    pub skills: Vec<SkillIdx>,
    /// Units it can give.
    pub capacity: u32,
    /// Cost of one unit (0 for member and unit service).
    pub unit_cost: u32,
    /// When it is available.
    pub window: Option<Window>,
}
