//! What analysts read about a plan: certified [`explain`]ations (bottlenecks, trade-offs,
//! shadow prices, recruitment advice), the [`report`], the [`project`] list (项目清单) and the
//! [`tables`] that carry them to pandas or polars.

pub mod explain;
pub mod project;
pub mod report;
pub mod tables;
