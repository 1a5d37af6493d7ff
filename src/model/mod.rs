//! The domain, validated: the area hierarchy, needs, resources, budgets and proposals, their
//! vocabularies and times, the value model and the documented limits, together as an
//! [`Instance`]. Nothing here reads, writes or solves; every item is indexed densely (`AreaIdx`, `NeedIdx`, `ResourceIdx`, …).

pub mod area;
pub mod budget;
pub mod instance;
pub mod limits;
pub mod need;
pub mod policy;
pub mod proposal;
pub mod resource;
pub mod time;
pub mod vocab;

pub use area::{Area, AreaIdx, Areas, Level};
pub use budget::{Budget, BudgetIdx};
pub use instance::Instance;
pub use need::{Need, NeedIdx};
pub use policy::{CommunityFloor, Engagement, LoadStep, PerKind, Policy};
pub use proposal::{Proposal, ProposalIdx};
pub use resource::{Kind, Resource, ResourceIdx};
pub use time::{DateTime, Window};
pub use vocab::{CategoryIdx, SkillIdx, Vocab};
