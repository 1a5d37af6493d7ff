//! Certificates: why units of a need stay unserved, in a form anyone can check from the
//! instance alone. [`crate::analysis::explain`] finds them; a plan's unmet entries carry them.

use serde::Serialize;

/// One unit of a need moving in a trade-off: `from` null for the unit newly served, `to` null
/// for a unit that would go unserved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Move {
    /// Need id.
    pub need: String,
    /// Resource that gives the unit up, if any.
    pub from: Option<String>,
    /// Resource that takes the unit, if any.
    pub to: Option<String>,
    /// Units moved (always 1).
    pub quantity: i64,
}

/// Why a need's units stay unserved although some resource may serve it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Certificate {
    /// These needs ask for more than every resource that may serve any of them can give,
    /// so no plan at all serves them all.
    Bottleneck {
        /// Need ids.
        needs: Vec<String>,
        /// Every resource that may serve any of them.
        resources: Vec<String>,
        /// The needs' total quantity.
        demand: i64,
        /// The resources' total capacity (less than `demand`).
        capacity: i64,
    },
    /// The best way to serve one more unit, and its net value, which is not positive.
    Tradeoff {
        /// The moves, applied to the plan, keep it feasible.
        moves: Vec<Move>,
        /// Change of the objective if the moves were applied.
        net_value: i64,
    },
}

impl std::fmt::Display for Certificate {
    /// One sentence for a secretary: "3 needs ask for 7 units; the 2 resources that may serve
    /// any of them have 5", or "to serve one more unit of N7: N7 → M1, N3 M1 → O5; net −20".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Certificate::Bottleneck { needs, resources, demand, capacity } => write!(
                f,
                "{} needs ask for {demand} units; the {} resources that may serve any of them have {capacity}",
                needs.len(),
                resources.len()
            ),
            Certificate::Tradeoff { moves, net_value } => {
                let first = moves.first().map_or("?", |m| m.need.as_str());
                write!(f, "to serve one more unit of {first}:")?;
                for (k, m) in moves.iter().enumerate() {
                    let sep = if k == 0 { " " } else { ", " };
                    let from = m.from.as_deref().unwrap_or("");
                    let to = m.to.as_deref().unwrap_or("unserved");
                    write!(f, "{sep}{} {from}{}→ {to}", m.need, if from.is_empty() { "" } else { " " })?;
                }
                write!(f, "; net {net_value}")
            }
        }
    }
}
