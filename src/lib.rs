//! # duijie (对接)
//!
//! Matches the needs of residents (需求清单) to the resources of units, party members,
//! volunteers and social organisations (资源清单) in urban community governance, finds a
//! **provably optimal** plan (项目清单): who serves whom, how much, at which level, and
//! carries every matched order through its life.
//!
//! The modules follow the data, which flows one way:
//!
//! | step | module | what |
//! |---|---|---|
//! | read | [`format`](mod@format) | strict JSON and CSV readers (every problem at once), writers |
//! | | [`contract`] | the wire types of the data contract (`docs/CONTRACT.md`) |
//! | validate | [`validate`] | the contract's rules, [`Problem`]s with codes and paths; lowering |
//! | model | [`model`] | areas, needs, resources, the value model ([`Policy`]), the [`Instance`] |
//! | eligibility | [`eligibility`] | who may serve whom, with tier and value, as a numeric network |
//! | | [`funded`] | with budgets and proposals: the numeric program (budget rows, openings) |
//! | solve | [`solve`](mod@solve) | numbers only: the exact network simplex, the LP backends, live dispatch |
//! | plan | [`plan`] | the [`Plan`], its certificates, the independent [`check()`]er, diffs |
//! | analysis | [`analysis`] | explanations, the report, the project list, tables |
//! | orders | [`orders`] | the order lifecycle [`Ledger`](orders::Ledger), beside the pipeline |
//! | | [`generate`] | seeded, realistic instances |
//! | | [`parallel`] | the one place threads come from ([`parallel::Threads`]; `DUIJIE_THREADS=1` turns them off) |
//!
//! The [`prelude`] holds what most callers need.
//!
//! ```
//! use duijie::prelude::*;
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
//! let instance = Instance::from_json_str(json)?;
//! let plan = solve(&instance)?;
//! // The vulnerable household in M1's own community comes first: 2 × 500.
//! assert_eq!(plan.objective, 1000);
//! assert_eq!(plan.unmet[0].need, "N2");
//! check(&instance, &plan)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod analysis;
pub mod contract;
pub mod eligibility;
pub mod format;
pub mod funded;
pub mod generate;
pub mod model;
pub mod orders;
pub mod parallel;
pub mod plan;
pub mod solve;
pub mod validate;

pub use contract::InstanceData;
pub use eligibility::Eligibility;
pub use model::{Instance, Policy};
pub use plan::{check, solve, solve_program_with, solve_with, Plan};
pub use validate::{Code, LoadError, Problem, Problems};

/// What most callers need, in one `use duijie::prelude::*;`.
pub mod prelude {
    pub use crate::contract::InstanceData;
    pub use crate::eligibility::Eligibility;
    pub use crate::model::{Instance, Level, Policy};
    pub use crate::orders::{Command, Ledger, Rejection};
    pub use crate::plan::{check, solve, solve_program_with, solve_with, Plan};
    pub use crate::solve::{FlowSolver, SolveError, Solver};
    pub use crate::validate::{Code, LoadError, Problem, Problems};
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
