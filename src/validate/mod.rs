//! From the contract's form to the model: every rule of the contract checked at once
//! ([`Problem`]s with a stable [`Code`], a path and the offending id), then lowering into the
//! dense [`crate::model`].
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
//! assert_eq!(codes, [Code::UnknownArea, Code::OutOfRange]);
//! assert_eq!(problems.0[1].path, "needs[0].quantity");
//! ```

pub(crate) mod lower;
mod problem;
mod validation;

pub(crate) use problem::Diagnostics;
pub use problem::{Code, LoadError, Problem, Problems};
pub(crate) use validation::{need, validate};

use crate::contract::InstanceData;
use crate::model::Instance;

impl Instance {
    /// Validates an instance built in code.
    ///
    /// # Errors
    /// [`LoadError::Invalid`] with every problem found.
    pub fn from_data(data: &InstanceData) -> Result<Instance, LoadError> {
        validate(data, Diagnostics::default())
    }
}
