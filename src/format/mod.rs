//! Reading and writing the lists: [`json`] (the strict reader behind
//! [`crate::Instance::from_json_str`]) and [`csv`] (the three lists as CSV files, and tables).

pub mod csv;
pub mod json;
