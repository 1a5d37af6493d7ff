//! # duijie (对接)
//!
//! Matches the needs of residents (需求清单) to the resources of units, party members,
//! volunteers and social organisations (资源清单) in urban community governance, and finds a
//! **provably optimal** plan (项目清单): who serves whom, how much, at which level.
//!
//! Data flows one way: [`Instance`] (read and validated, every problem reported at once) →
//! [`Eligibility`] (who may serve whom, with tier and value) → a [`solve::Solver`] over a
//! numeric network → [`Plan`] (assignments and unmet demand with reasons), which
//! [`check()`] re-verifies independently → [`explain`] (certificates for unmet demand, shadow
//! prices, recruitment advice), [`project`] (项目清单), [`report`], [`diff`] and [`table`]
//! (CSV in and out) for analysts.
//!
//! ```
//! let json = r#"{
//!   "areas": [
//!     {"id": "JW", "name": "建外街道", "level": "street"},
//!     {"id": "JW-01", "level": "community", "parent": "JW"},
//!     {"id": "JW-02", "level": "community", "parent": "JW"}
//!   ],
//!   "needs": [
//!     {"id": "N1", "area": "JW-01", "category": "elder-care", "quantity": 2, "vulnerable": true},
//!     {"id": "N2", "area": "JW-02", "category": "elder-care", "quantity": 1}
//!   ],
//!   "resources": [
//!     {"id": "M1", "kind": "member", "home": "JW-01", "serves": ["JW"],
//!      "categories": ["elder-care"], "capacity": 2}
//!   ]
//! }"#;
//! let instance = duijie::Instance::from_json_str(json)?;
//! let plan = duijie::solve(&instance)?;
//! // The vulnerable household in M1's own community comes first: 2 × 500.
//! assert_eq!(plan.objective, 1000);
//! assert_eq!(plan.unmet[0].need, "N2");
//! duijie::check(&instance, &plan)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod area;
pub mod check;
pub mod diff;
pub mod eligibility;
pub mod explain;
pub mod gen;
pub mod instance;
mod json;
pub mod limits;
pub mod need;
pub mod order;
pub mod plan;
pub mod policy;
pub mod problem;
pub mod project;
pub mod report;
pub mod resource;
pub mod solve;
pub mod table;
pub mod time;
pub mod vocab;

pub use check::{check, Violation, Violations};
pub use eligibility::Eligibility;
pub use instance::{Instance, InstanceData, LoadError};
pub use plan::{solve, solve_with, Plan};
pub use policy::Policy;
pub use problem::{Code, Problem, Problems};

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
