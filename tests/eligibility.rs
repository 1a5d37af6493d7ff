//! Who may serve whom: each rule of the model by a named case, checked against the
//! independent checker's reading of the same rules.

use duijie::contract::{InstanceData, NeedData, ResourceData, WindowData};
use duijie::model::Level;
use duijie::plan::check::may_serve;
use duijie::{Eligibility, Instance};

/// A street `S` with communities `C1` (grids `C1-g1`, `C1-g2`) and `C2`, plus district `D`
/// above it and a separate district `X`; one need in `C1-g1` and one resource at home in `C1-g1`.
fn base() -> InstanceData {
    let json = r#"{
      "areas": [
        {"id": "D", "level": "district"}, {"id": "X", "level": "district"},
        {"id": "S", "level": "street", "parent": "D"},
        {"id": "C1", "level": "community", "parent": "S"}, {"id": "C2", "level": "community", "parent": "S"},
        {"id": "C1-g1", "level": "grid", "parent": "C1"}, {"id": "C1-g2", "level": "grid", "parent": "C1"}
      ],
      "needs": [{"id": "N", "area": "C1-g1", "category": "health", "quantity": 1}],
      "resources": [{"id": "R", "kind": "member", "home": "C1-g1", "categories": ["health"], "capacity": 1}]
    }"#;
    Instance::from_json_str(json).unwrap().to_data()
}

fn window(start: &str, end: &str) -> Option<WindowData> {
    Some(WindowData {
        start: format!("2026-12-{start}"),
        end: format!("2026-12-{end}"),
    })
}

type Edit = fn(&mut NeedData, &mut ResourceData);
type Case = (&'static str, Edit, Option<(Level, i64)>);

/// Named cases: an edit of the base instance and the expected (tier, value), or `None`.
#[test]
fn each_rule_by_named_case() {
    let cases: [Case; 17] = [
        ("same grid", |_, _| {}, Some((Level::Grid, 300))),
        (
            "category missing",
            |n, _| n.category = "culture".into(),
            None,
        ),
        (
            "one of several categories",
            |n, r| {
                n.category = "culture".into();
                r.categories = vec!["health".into(), "culture".into()];
            },
            Some((Level::Grid, 300)),
        ),
        (
            "other grid of the served community",
            |n, r| {
                n.area = "C1-g2".into();
                r.serves = Some(vec!["C1".into()]);
            },
            Some((Level::Community, 300)),
        ),
        ("area not served", |n, _| n.area = "C1-g2".into(), None),
        (
            "serves the street, need in the other community",
            |n, r| {
                n.area = "C2".into();
                r.serves = Some(vec!["S".into()]);
            },
            Some((Level::Street, 295)),
        ),
        (
            "serves the district from another tree",
            |_, r| {
                r.home = "X".into();
                r.serves = Some(vec!["D".into()]);
            },
            Some((Level::City, 270)),
        ),
        (
            "need above the served area",
            |n, _| n.area = "C1".into(),
            None,
        ),
        (
            "skill present",
            |n, r| {
                n.skills = vec!["nursing".into()];
                r.skills = vec!["first-aid".into(), "nursing".into()];
            },
            Some((Level::Grid, 300)),
        ),
        (
            "skill missing",
            |n, r| {
                n.skills = vec!["nursing".into(), "law".into()];
                r.skills = vec!["nursing".into()];
            },
            None,
        ),
        (
            "windows touch",
            |n, r| {
                n.window = window("01T09:00:00", "02T09:00:00");
                r.window = window("02T09:00:00", "03T09:00:00");
            },
            Some((Level::Grid, 300)),
        ),
        (
            "windows apart",
            |n, r| {
                n.window = window("01T09:00:00", "02T08:59:59");
                r.window = window("02T09:00:00", "03T09:00:00");
            },
            None,
        ),
        (
            "only one side has a window",
            |n, _| n.window = window("01T09:00:00", "01T10:00:00"),
            Some((Level::Grid, 300)),
        ),
        (
            "cost at the ceiling",
            |n, r| {
                n.max_unit_cost = Some(40);
                r.unit_cost = 40;
            },
            Some((Level::Grid, 260)),
        ),
        (
            "cost above the ceiling",
            |n, r| {
                n.max_unit_cost = Some(39);
                r.unit_cost = 40;
            },
            None,
        ),
        (
            "value zero is not eligible",
            |n, r| {
                n.priority = 1;
                r.unit_cost = 100;
            },
            None,
        ),
        (
            "vulnerable bonus",
            |n, _| {
                n.priority = 5;
                n.vulnerable = true;
            },
            Some((Level::Grid, 700)),
        ),
    ];
    for (name, edit, want) in cases {
        let mut data = base();
        edit(&mut data.needs[0], &mut data.resources[0]);
        let instance = Instance::from_data(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got: Vec<(Level, i64)> = Eligibility::build(&instance)
            .arcs()
            .map(|a| (a.tier, a.value))
            .collect();
        assert_eq!(got, want.into_iter().collect::<Vec<_>>(), "{name}");
        let independent = may_serve(&instance, &instance.needs()[0], &instance.resources()[0]).ok();
        assert_eq!(independent, want, "{name} (checker)");
    }
}

#[test]
fn graph_and_dot() {
    let instance = Instance::from_data(&base()).unwrap();
    let e = Eligibility::build(&instance);
    let g = e.graph(&instance);
    assert_eq!((g.node_count(), g.edge_count()), (2, 1));
    assert!(e.to_dot(&instance).contains("grid 300"));
}
