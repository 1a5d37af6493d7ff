//! Property tests on small random instances: every plan passes the independent checker and
//! reaches the brute-force optimum; input order, serialisation and scaling behave.

use duijie::area::Level;
use duijie::check::may_serve;
use duijie::instance::{AreaData, InstanceData, NeedData, ResourceData, WindowData};
use duijie::resource::Kind;
use duijie::solve::{self, FlowSolver, LpBackend, LpSolver, Solver};
use duijie::{check, solve_with, Eligibility, Instance, Plan};
use proptest::prelude::*;

const AREAS: [(&str, Level, Option<&str>); 9] = [
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
const CATEGORIES: [&str; 2] = ["elder-care", "health"];
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

fn instance(max_needs: usize, max_resources: usize) -> impl Strategy<Value = InstanceData> {
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

/// The optimum by enumerating all integer plans over the pairs the checker's reading of the
/// model allows (independent of the eligibility index and of every solver).
fn brute_force(instance: &Instance) -> i64 {
    let mut pairs = Vec::new();
    for (i, n) in instance.needs().iter().enumerate() {
        for (j, r) in instance.resources().iter().enumerate() {
            if let Ok((_, v)) = may_serve(instance, n, r) {
                pairs.push((i, j, v));
            }
        }
    }
    fn go(pairs: &[(usize, usize, i64)], left: &mut [i64], room: &mut [i64]) -> i64 {
        let Some((&(i, j, v), rest)) = pairs.split_first() else {
            return 0;
        };
        let mut best = 0;
        for x in 0..=left[i].min(room[j]) {
            left[i] -= x;
            room[j] -= x;
            best = best.max(x * v + go(rest, left, room));
            left[i] += x;
            room[j] += x;
        }
        best
    }
    let mut left: Vec<i64> = instance.needs().iter().map(|n| n.quantity.into()).collect();
    let mut room: Vec<i64> = instance
        .resources()
        .iter()
        .map(|r| r.capacity.into())
        .collect();
    go(&pairs, &mut left, &mut room)
}

fn plan(instance: &Instance, solver: &dyn Solver) -> Plan {
    let eligibility = Eligibility::build(instance);
    let plan = solve_with(instance, &eligibility, solver).unwrap();
    if let Err(v) = check(instance, &plan) {
        panic!("{} plan fails the checker: {v}", solver.name());
    }
    plan
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn plans_are_checked_and_optimal(data in instance(5, 4)) {
        let instance = Instance::from_data(&data).unwrap();
        let want = brute_force(&instance);
        prop_assert_eq!(plan(&instance, &FlowSolver::default()).objective, want);
        prop_assert_eq!(plan(&instance, &LpSolver::new(LpBackend::Microlp)).objective, want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn input_order_does_not_change_the_plan(data in instance(25, 15), seed in any::<u64>()) {
        let instance = Instance::from_data(&data).unwrap();
        let reference = plan(&instance, &FlowSolver::default()).to_json_string();
        let mut shuffled = data.clone();
        let mut rng = duijie::gen::Rng::new(seed);
        for list in [shuffled.needs.len(), shuffled.resources.len(), shuffled.areas.len()].into_iter().enumerate() {
            for k in (1..list.1).rev() {
                let other = rng.range(0, k as i64) as usize;
                match list.0 {
                    0 => shuffled.needs.swap(k, other),
                    1 => shuffled.resources.swap(k, other),
                    _ => shuffled.areas.swap(k, other),
                }
            }
        }
        let again = Instance::from_data(&shuffled).unwrap();
        prop_assert_eq!(&again, &instance);
        prop_assert_eq!(plan(&again, &FlowSolver::default()).to_json_string(), reference);
    }

    #[test]
    fn json_round_trip(data in instance(25, 15)) {
        let instance = Instance::from_data(&data).unwrap();
        let text = instance.to_json_string();
        prop_assert_eq!(Instance::from_json_str(&text).unwrap(), instance);
    }

    #[test]
    fn flow_equals_lp_on_medium_instances(data in instance(40, 25)) {
        let instance = Instance::from_data(&data).unwrap();
        let flow = plan(&instance, &FlowSolver::default());
        let lp = plan(&instance, solve::backend("lp").unwrap().as_ref());
        prop_assert_eq!(flow.objective, lp.objective);
        prop_assert_eq!(flow.served <= flow.demanded, true);
    }

    #[test]
    fn scaling_the_policy_scales_the_optimum(data in instance(20, 12), k in prop::sample::select(vec![2i64, 7, 1000])) {
        let base = plan(&Instance::from_data(&data).unwrap(), &FlowSolver::default()).objective;
        let mut scaled = data.clone();
        let p = &mut scaled.policy;
        p.priority_value *= k;
        p.cost_weight *= k;
        for x in &mut p.locality_penalty {
            *x *= k;
        }
        prop_assert_eq!(plan(&Instance::from_data(&scaled).unwrap(), &FlowSolver::default()).objective, base * k);
    }
}

/// At the documented limits every total is exact: 1,000 needs of 10⁶ units each (the total
/// limit, 10⁹) at the largest unit value.
#[test]
fn largest_valid_numbers_are_exact() {
    let mut data = InstanceData {
        areas: vec![AreaData {
            id: "C".into(),
            name: None,
            level: Level::Community,
            parent: None,
        }],
        ..InstanceData::default()
    };
    data.policy.priority_value = duijie::limits::MAX_PRIORITY_VALUE;
    data.policy.vulnerable_bonus = duijie::limits::MAX_VULNERABLE_BONUS;
    for k in 0..1000 {
        data.needs.push(NeedData {
            id: format!("N{k:04}"),
            area: "C".into(),
            category: "care".into(),
            quantity: duijie::limits::MAX_QUANTITY,
            priority: 5,
            vulnerable: true,
            skills: vec![],
            window: None,
            max_unit_cost: None,
            requester: None,
            title: None,
        });
    }
    for k in 0..1001 {
        data.resources.push(ResourceData {
            id: format!("R{k:04}"),
            kind: Kind::Unit,
            name: None,
            home: "C".into(),
            serves: None,
            categories: vec!["care".into()],
            skills: vec![],
            capacity: duijie::limits::MAX_CAPACITY,
            unit_cost: 0,
            window: None,
        });
    }
    let instance = Instance::from_data(&data).unwrap();
    let p = plan(&instance, &FlowSolver::default());
    let unit = 1_000_000i64 * (5 + 100);
    assert_eq!(p.objective, unit * 1_000_000_000);
    // One unit more in total is rejected before anything is solved.
    data.needs[0].quantity += 1;
    let err = Instance::from_data(&data).unwrap_err().to_string();
    assert!(
        err.contains("too_large") && err.contains("needs[0].quantity"),
        "{err}"
    );
}

/// The same input gives the same bytes, run after run.
#[test]
fn same_input_same_bytes() {
    let data = duijie::gen::generate(&duijie::gen::Shape::street(), 3);
    let instance = Instance::from_data(&data).unwrap();
    let first = plan(&instance, &FlowSolver::default()).to_json_string();
    for _ in 0..20 {
        let again = Instance::from_json_str(&instance.to_json_string()).unwrap();
        assert_eq!(plan(&again, &FlowSolver::default()).to_json_string(), first);
    }
    println!("B10 determinism: 21 runs, 1 distinct output");
}
