//! Shared test helpers: a proptest generator of small instances over a fixed area tree.

#![allow(dead_code)]

use duijie::contract::{AreaData, InstanceData, NeedData, ResourceData, WindowData};
use duijie::model::Kind;
use duijie::model::Level;
use proptest::prelude::*;

pub const AREAS: [(&str, Level, Option<&str>); 9] = [
    ("D", Level::District, None),
    ("S1", Level::Street, Some("D")),
    ("S2", Level::Street, Some("D")),
    ("S1-C1", Level::Community, Some("S1")),
    ("S1-C2", Level::Community, Some("S1")),
    ("S2-C1", Level::Community, Some("S2")),
    ("S1-C1-g1", Level::Grid, Some("S1-C1")),
    ("S1-C1-g2", Level::Grid, Some("S1-C1")),
    ("X", Level::Community, None),
];
pub const CATEGORIES: [&str; 2] = ["elder-care", "health"];
const SKILLS: [&str; 2] = ["nursing", "plumbing"];

fn area() -> impl Strategy<Value = String> {
    (0..AREAS.len()).prop_map(|k| AREAS[k].0.to_owned())
}

/// Served areas lean to the top of the tree, so that many pairs are eligible.
fn served() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["D", "D", "S1", "S1-C1", "X", "S2-C1"]).prop_map(str::to_owned)
}

fn window() -> impl Strategy<Value = Option<WindowData>> {
    prop::option::weighted(0.3, (1u32..10, 0u32..4)).prop_map(|w| {
        w.map(|(d, len)| WindowData {
            start: format!("2026-12-{d:02}T09:00:00"),
            end: format!("2026-12-{:02}T09:00:00", d + len),
        })
    })
}

fn skills() -> impl Strategy<Value = Vec<String>> {
    prop::sample::subsequence(SKILLS.to_vec(), 0..=2)
        .prop_map(|v| v.into_iter().map(str::to_owned).collect())
}

fn need() -> impl Strategy<Value = NeedData> {
    (
        area(),
        0..2usize,
        1i64..=3,
        1i64..=5,
        any::<bool>(),
        prop::option::weighted(0.2, skills()),
        window(),
        prop::option::weighted(0.2, 0i64..=200),
    )
        .prop_map(
            |(area, c, quantity, priority, vulnerable, skills, window, max_unit_cost)| NeedData {
                id: String::new(),
                area,
                category: CATEGORIES[c].to_owned(),
                quantity,
                priority,
                vulnerable,
                skills: skills.unwrap_or_default(),
                window,
                max_unit_cost,
                requester: None,
                title: None,
            },
        )
}

fn resource() -> impl Strategy<Value = ResourceData> {
    (
        area(),
        prop::option::weighted(0.7, prop::collection::vec(served(), 1..3)),
        prop::sample::subsequence(CATEGORIES.to_vec(), 1..=2),
        skills(),
        0i64..=3,
        prop::option::weighted(0.3, 0i64..=400),
        window(),
    )
        .prop_map(
            |(home, serves, cats, skills, capacity, cost, window)| ResourceData {
                id: String::new(),
                kind: Kind::Member,
                name: None,
                home,
                serves,
                categories: cats.into_iter().map(str::to_owned).collect(),
                skills,
                capacity,
                unit_cost: cost.unwrap_or(0),
                window,
            },
        )
}

pub fn instance(max_needs: usize, max_resources: usize) -> impl Strategy<Value = InstanceData> {
    (
        prop::collection::vec(need(), 0..=max_needs),
        prop::collection::vec(resource(), 0..=max_resources),
        0i64..=2,
    )
        .prop_map(|(mut needs, mut resources, bonus)| {
            for (k, n) in needs.iter_mut().enumerate() {
                n.id = format!("N{k}");
            }
            for (k, r) in resources.iter_mut().enumerate() {
                r.id = format!("R{k}");
            }
            let mut data = InstanceData {
                areas: AREAS
                    .iter()
                    .map(|(id, level, parent)| AreaData {
                        id: (*id).into(),
                        name: None,
                        level: *level,
                        parent: parent.map(Into::into),
                    })
                    .collect(),
                needs,
                resources,
                ..InstanceData::default()
            };
            data.policy.vulnerable_bonus = bonus;
            data
        })
}

/// The optimum of `net` when left node `i` must send `units` (a bonus on its arcs that outweighs
/// everything else, taken off again): the check of a trade-off by re-solving.
pub fn forced_optimum(net: &duijie::solve::Network, i: usize, units: i64) -> i64 {
    use duijie::solve::{FlowSolver, Solver};
    let mut net = net.clone();
    let bonus = 1_000_000;
    net.supply[i] = units;
    for a in net.out(i) {
        net.value[a] += bonus;
    }
    FlowSolver::default().solve(&net).unwrap().objective - bonus * units
}
