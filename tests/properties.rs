//! Property tests on small random instances: every plan passes the independent checker and
//! reaches the brute-force optimum; input order, serialisation and scaling behave.

mod common;

use common::instance;
use duijie::contract::{AreaData, InstanceData, NeedData, ResourceData};
use duijie::generate::{generate, Shape};
use duijie::model::Kind;
use duijie::model::Level;
use duijie::plan::check::may_serve;
use duijie::solve::{self, FlowSolver, LpBackend, LpSolver, Solver};
use duijie::{check, solve_with, Eligibility, Instance, Plan};
use proptest::prelude::*;

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
        let reference = plan(&instance, &FlowSolver::default()).to_json_string().unwrap();
        let mut shuffled = data.clone();
        let mut rng = duijie::generate::Rng::new(seed);
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
        prop_assert_eq!(plan(&again, &FlowSolver::default()).to_json_string().unwrap(), reference);
    }

    #[test]
    fn json_round_trip(data in instance(25, 15)) {
        let instance = Instance::from_data(&data).unwrap();
        let text = instance.to_json_string().unwrap();
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
    data.policy.priority_value = duijie::model::limits::MAX_PRIORITY_VALUE;
    data.policy.vulnerable_bonus = duijie::model::limits::MAX_VULNERABLE_BONUS;
    for k in 0..1000 {
        data.needs.push(NeedData {
            id: format!("N{k:04}"),
            area: "C".into(),
            category: "care".into(),
            quantity: duijie::model::limits::MAX_QUANTITY,
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
            capacity: duijie::model::limits::MAX_CAPACITY,
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

/// The hard family (capacity about half of demand, city- and district-wide organisations,
/// windows, skills and cost ceilings): every flow variant equals brute force on very small
/// draws and the LP optimum on tiny ones, and every plan passes the checker.
#[test]
fn hard_family_agrees_with_brute_force_and_lp() {
    let variants =
        [(true, false), (false, false), (true, true), (false, true)].map(|(reduce, warm_start)| {
            FlowSolver {
                reduce,
                warm_start,
                ..FlowSolver::default()
            }
        });
    let very_small = Shape {
        communities_per_street: 1,
        grids_per_community: 1,
        needs: 3,
        members: 2,
        units: 0,
        social_orgs: 1,
        teams: 0,
        ..Shape::hard_tiny()
    };
    let mut pairs = 0;
    for seed in 0..300 {
        let instance = Instance::from_data(&generate(&very_small, seed)).unwrap();
        let want = brute_force(&instance);
        for solver in &variants {
            assert_eq!(plan(&instance, solver).objective, want, "seed {seed}");
        }
        let instance = Instance::from_data(&generate(&Shape::hard_tiny(), seed)).unwrap();
        pairs += Eligibility::build(&instance).len();
        let want = plan(&instance, &LpSolver::new(LpBackend::Microlp)).objective;
        for solver in &variants {
            assert_eq!(plan(&instance, solver).objective, want, "seed {seed}");
        }
    }
    println!(
        "B2/B3 hard family: 300 very small instances against brute force, 300 tiny ({pairs} pairs) against LP, 4 flow variants each, 0 mismatches"
    );
}

/// The same input gives the same bytes, run after run.
#[test]
fn same_input_same_bytes() {
    let data = generate(&Shape::street(), 3);
    let instance = Instance::from_data(&data).unwrap();
    let first = plan(&instance, &FlowSolver::default())
        .to_json_string()
        .unwrap();
    for _ in 0..20 {
        let again = Instance::from_json_str(&instance.to_json_string().unwrap()).unwrap();
        assert_eq!(
            plan(&again, &FlowSolver::default())
                .to_json_string()
                .unwrap(),
            first
        );
    }
    println!("B10 determinism: 21 runs, 1 distinct output");
}
