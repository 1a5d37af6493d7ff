//! What analysts read about a plan: certified [`explain`]ations (bottlenecks, trade-offs,
//! shadow prices, recruitment advice), the [`report`], the [`project`] list (项目清单), the
//! [`review`] of proposals and budgets (评审立项) and the [`tables`] that carry them to pandas
//! or polars.

pub mod explain;
pub mod project;
pub mod report;
pub mod review;
pub mod tables;
