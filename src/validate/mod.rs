//! From the contract's form to the model: every rule of the contract checked at once
//! ([`Problem`]s with a stable [`Code`], a path and the offending id), item by item as a reader
//! hands them over, then across items, and the items kept in the model's compact form
//! (`rules.rs`: one item; `assemble.rs`: across items, and the [`crate::model::Instance`]).
//!
//! ```
//! use duijie::contract::{InstanceData, NeedData};
//! use duijie::{Code, Instance, LoadError};
//! let mut data = InstanceData::default();
//! data.needs.push(NeedData {
//!     id: "N1".into(), area: "X".into(), category: "health".into(), quantity: 0,
//!     priority: 3, vulnerable: false, skills: vec![], window: None, max_unit_cost: None,
//!     requester: None, title: None,
//! });
//! let Err(LoadError::Invalid(problems)) = Instance::from_data(&data) else { panic!() };
//! let codes: Vec<Code> = problems.0.iter().map(|p| p.code).collect();
//! assert_eq!(codes, [Code::OutOfRange, Code::UnknownArea]);
//! assert_eq!(problems.0[0].path, "needs[0].quantity");
//! ```

mod assemble;
mod problem;
mod rules;

pub(crate) use assemble::Assembly;
pub(crate) use problem::{clip, clip_id, Diagnostics};
pub use problem::{Code, LoadError, Problem, Problems};
pub(crate) use rules::one_need as need;

use crate::contract::InstanceData;
use crate::model::Instance;

impl Instance {
    /// Validates an instance built in code.
    ///
    /// # Errors
    /// [`LoadError::Invalid`] with every problem found.
    pub fn from_data(data: &InstanceData) -> Result<Instance, LoadError> {
        let mut a = Assembly::default();
        for (k, x) in data.areas.iter().enumerate() {
            a.area(k, x.clone());
        }
        for (k, x) in data.needs.iter().enumerate() {
            a.need(k, x.clone());
        }
        for (k, x) in data.resources.iter().enumerate() {
            a.resource(k, x.clone());
        }
        for (k, x) in data.budgets.iter().enumerate() {
            a.budget(k, x.clone());
        }
        for (k, x) in data.proposals.iter().enumerate() {
            a.proposal(k, x.clone());
        }
        a.policy(data.policy.clone());
        a.finish()
    }
}
