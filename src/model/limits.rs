//! Documented input bounds. Every validated instance lies within them, so that no value, total,
//! objective or solver potential can overflow `i64`.
//!
//! The largest positive unit value is `MAX_PRIORITY_VALUE × (5 + MAX_VULNERABLE_BONUS)` ≈ 1.05·10⁸,
//! and at most `MAX_TOTAL_QUANTITY` units can be served, so any objective stays below 1.1·10¹⁷.
//! Negative values (never used in a plan) stay above −(10⁹ + 10¹²).
//!
//! Budgets and proposals: the fixed costs of all proposals together are at most
//! `MAX_TOTAL_FIXED_COST` = 10¹¹ yuan, so `cost_weight` × the fixed costs stays below 10¹⁷ and
//! every objective (assignments minus fixed costs) lies within ±2.2·10¹⁷. The charges to one
//! budget (at most 10⁶ yuan per unit × 10⁹ units, plus the fixed costs) stay below 1.1·10¹⁵,
//! and every amount and charge is exact in an `f64` (below 2⁵³) when handed to an LP backend.

/// Largest `quantity` of one need.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// Largest `capacity` of one resource.
pub const MAX_CAPACITY: i64 = 1_000_000;
/// Largest `unit_cost` of a resource and `max_unit_cost` of a need.
pub const MAX_UNIT_COST: i64 = 1_000_000;
/// Largest sum of all needs' quantities.
pub const MAX_TOTAL_QUANTITY: i64 = 1_000_000_000;
/// Largest `policy.priority_value`.
pub const MAX_PRIORITY_VALUE: i64 = 1_000_000;
/// Largest `policy.vulnerable_bonus`.
pub const MAX_VULNERABLE_BONUS: i64 = 100;
/// Largest `amount` of a budget (yuan).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;
/// Largest `fixed_cost` of one proposal (yuan).
pub const MAX_FIXED_COST: i64 = 1_000_000_000;
/// Largest sum of the fixed costs of all proposals (yuan).
pub const MAX_TOTAL_FIXED_COST: i64 = 100_000_000_000;
/// Largest `policy.cost_weight`.
pub const MAX_COST_WEIGHT: i64 = 1_000_000;
/// Largest entry of `policy.locality_penalty` and of `policy.reoffer_penalty`.
pub const MAX_PENALTY: i64 = 1_000_000_000;
/// Largest `policy.offer_deadline_hours` (ten years).
pub const MAX_DEADLINE_HOURS: i64 = 87_600;
/// Most items in one list (areas, needs, resources, budgets or proposals).
pub const MAX_ITEMS: usize = 10_000_000;
/// Longest input read by [`crate::Instance::from_reader`], in bytes (1 GiB; a district plan
/// of 100,000 needs is about 25 MB).
pub const MAX_INPUT_BYTES: u64 = 1 << 30;
/// Longest id, in bytes.
pub const MAX_ID_BYTES: usize = 256;
/// Most problems one input reports; the rest are counted in a last `too_many_problems` entry.
pub const MAX_PROBLEMS: usize = 10_000;
/// Largest load-step `penalty`, engagement `bonus` and community-floor `bonus`.
pub const MAX_FAIRNESS_VALUE: i64 = 100_000_000;
/// Most load steps for one kind.
pub const MAX_LOAD_STEPS: usize = 64;
