//! Explanations checked from the instance alone and by re-solving: bottlenecks, trade-offs,
//! shadow prices and recruitment advice.

mod common;

use common::{instance, AREAS, CATEGORIES};
use duijie::analysis::explain::{explain, Explainer};
use duijie::contract::{InstanceData, ResourceData};
use duijie::model::Kind;
use duijie::model::Level;
use duijie::plan::check::may_serve;
use duijie::plan::Certificate;
use duijie::plan::Reason;
use duijie::solve::{FlowSolver, Solver};
use duijie::{Eligibility, Instance, Plan};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn optimum(data: &InstanceData) -> i64 {
    let instance = Instance::from_data(data).unwrap();
    let e = Eligibility::build(&instance);
    FlowSolver::default().solve(e.network()).unwrap().objective
}

/// A bottleneck must hold from the instance alone: every resource that may serve one of its
/// needs is listed, and their capacity is below the needs' demand.
fn check_bottleneck(
    instance: &Instance,
    need: &str,
    needs: &[String],
    resources: &[String],
    demand: i64,
    capacity: i64,
) {
    assert!(
        needs.iter().any(|n| n == need),
        "{need} is in its own bottleneck"
    );
    let ns: Vec<_> = needs
        .iter()
        .map(|id| instance.need(instance.find_need(id).unwrap()))
        .collect();
    let mut servers: Vec<String> = instance
        .resources()
        .iter()
        .filter(|r| ns.iter().any(|n| may_serve(instance, n, r).is_ok()))
        .map(|r| r.id.clone())
        .collect();
    servers.sort();
    assert_eq!(servers, resources, "bottleneck resources of {need}");
    assert_eq!(
        demand,
        ns.iter().map(|n| i64::from(n.quantity)).sum::<i64>()
    );
    let cap: i64 = resources
        .iter()
        .map(|id| {
            i64::from(
                instance
                    .resource(instance.find_resource(id).unwrap())
                    .capacity,
            )
        })
        .sum();
    assert_eq!(capacity, cap);
    assert!(demand > capacity);
}

/// A trade-off applied to the plan stays feasible, serves one more unit of `need`, changes
/// the objective by `net_value` ≤ 0, and no plan serving one more unit does better.
fn check_tradeoff(
    instance: &Instance,
    e: &Eligibility,
    plan: &Plan,
    need: &str,
    moves: &[duijie::plan::Move],
    net_value: i64,
) {
    let mut x: BTreeMap<(String, String), i64> = BTreeMap::new();
    for a in &plan.assignments {
        x.insert((a.need.clone(), a.resource.clone()), a.quantity);
    }
    assert_eq!(moves[0].need, need);
    assert!(moves[0].from.is_none());
    let value = |n: &str, r: &str| {
        let (n, r) = (
            instance.need(instance.find_need(n).unwrap()),
            instance.resource(instance.find_resource(r).unwrap()),
        );
        may_serve(instance, n, r).unwrap().1
    };
    let mut delta = 0;
    for m in moves {
        if let Some(from) = &m.from {
            *x.entry((m.need.clone(), from.clone())).or_default() -= 1;
            delta -= value(&m.need, from);
        }
        if let Some(to) = &m.to {
            *x.entry((m.need.clone(), to.clone())).or_default() += 1;
            delta += value(&m.need, to);
        }
    }
    assert_eq!(delta, net_value);
    assert!(net_value <= 0, "an optimal plan has no improving move");
    let mut per_need: BTreeMap<&str, i64> = BTreeMap::new();
    let mut per_res: BTreeMap<&str, i64> = BTreeMap::new();
    for ((n, r), q) in &x {
        assert!(*q >= 0, "moves take a unit that is not there");
        *per_need.entry(n).or_default() += q;
        *per_res.entry(r).or_default() += q;
    }
    for n in instance.needs() {
        assert!(per_need.get(n.id.as_str()).copied().unwrap_or(0) <= i64::from(n.quantity));
    }
    for r in instance.resources() {
        assert!(per_res.get(r.id.as_str()).copied().unwrap_or(0) <= i64::from(r.capacity));
    }
    let before: i64 = plan
        .assignments
        .iter()
        .filter(|a| a.need == need)
        .map(|a| a.quantity)
        .sum();
    assert_eq!(per_need[need], before + 1);
    // Best: force one more unit of `need` with a large bonus on its arcs.
    let i = instance.find_need(need).unwrap().get();
    assert_eq!(
        common::forced_optimum(e.network(), i, before + 1),
        plan.objective + net_value,
        "trade-off of {need} is the best"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn explanations_hold(data in instance(8, 5)) {
        let instance = Instance::from_data(&data).unwrap();
        let e = Eligibility::build(&instance);
        let sol = FlowSolver::default().solve(e.network()).unwrap();
        let mut plan = Plan::from_solution(&instance, &e, &sol);
        let ex = explain(&instance, &e, &sol).unwrap();
        ex.attach(&instance, &mut plan);
        duijie::check(&instance, &plan).unwrap();

        for u in &plan.unmet {
            match (&u.reason, &u.certificate) {
                (Reason::NoEligibleResource, c) => prop_assert!(c.is_none()),
                (Reason::CapacityExhausted, None) => prop_assert!(false, "{} has no certificate", u.need),
                (Reason::CapacityExhausted, Some(Certificate::Bottleneck { needs, resources, demand, capacity })) => {
                    check_bottleneck(&instance, &u.need, needs, resources, *demand, *capacity)
                }
                (Reason::CapacityExhausted, Some(Certificate::Tradeoff { moves, net_value })) => {
                    check_tradeoff(&instance, &e, &plan, &u.need, moves, *net_value)
                }
                (other, _) => prop_assert!(false, "{}: unexpected reason {other:?}", u.need),
            }
        }

        // Both kinds, wherever they exist, for every need with capacity_exhausted units.
        let explainer = Explainer::new(&instance, &e, &sol).unwrap();
        for u in plan.unmet.iter().filter(|u| u.reason == Reason::CapacityExhausted) {
            let i = instance.find_need(&u.need).unwrap();
            let (b, t) = (explainer.bottleneck(i), explainer.tradeoff(i));
            prop_assert!(b.is_some() || t.is_some());
            if let Some(Certificate::Bottleneck { needs, resources, demand, capacity }) = b {
                check_bottleneck(&instance, &u.need, &needs, &resources, demand, capacity);
            }
            if let Some(Certificate::Tradeoff { moves, net_value }) = t {
                check_tradeoff(&instance, &e, &plan, &u.need, &moves, net_value);
            }
        }

        // Shadow prices: one more unit of capacity, re-solved.
        for (j, r) in instance.resources().iter().enumerate() {
            let mut more = data.clone();
            let k = more.resources.iter().position(|x| x.id == r.id).unwrap();
            more.resources[k].capacity += 1;
            prop_assert_eq!(optimum(&more) - plan.objective, ex.shadow_prices[j], "shadow price of {}", r.id);
        }

        // Recruitment advice: every (category, community) cell, re-solved with one new member.
        for (community, level, _) in AREAS.iter().filter(|a| a.1 == Level::Community) {
            let _ = level;
            for category in CATEGORIES {
                let mut more = data.clone();
                more.resources.push(ResourceData {
                    id: "NEW".into(),
                    kind: Kind::Member,
                    name: None,
                    home: (*community).into(),
                    serves: None,
                    categories: vec![category.into()],
                    skills: vec![],
                    capacity: 1,
                    unit_cost: 0,
                    window: None,
                });
                let rise = optimum(&more) - plan.objective;
                let advised = ex.recruitment.iter().find(|a| a.category == category && a.community == *community).map_or(0, |a| a.value);
                prop_assert_eq!(rise, advised, "advice for {} in {}", category, community);
            }
        }
    }
}

#[test]
fn certificates_read_as_sentences() {
    use duijie::plan::Move;
    let b = Certificate::Bottleneck {
        needs: vec!["N1".into(), "N2".into()],
        resources: vec!["R1".into()],
        demand: 5,
        capacity: 3,
    };
    assert_eq!(
        b.to_string(),
        "2 needs ask for 5 units; the 1 resources that may serve any of them have 3"
    );
    let mv = |need: &str, from: Option<&str>, to: Option<&str>| Move {
        need: need.into(),
        from: from.map(Into::into),
        to: to.map(Into::into),
        quantity: 1,
    };
    let t = Certificate::Tradeoff {
        moves: vec![mv("N7", None, Some("M1")), mv("N3", Some("M1"), None)],
        net_value: -20,
    };
    assert_eq!(
        t.to_string(),
        "to serve one more unit of N7: N7 → M1, N3 M1 → unserved; net -20"
    );
}

/// Threads change nothing: explanations on one thread equal those on two (and the default).
#[test]
fn threads_change_nothing() {
    use duijie::analysis::explain::explain_with;
    use duijie::parallel::Threads;
    let data = duijie::generate::generate(&duijie::generate::Shape::street(), 5);
    let instance = Instance::from_data(&data).unwrap();
    let e = Eligibility::build(&instance);
    let sol = FlowSolver::default().solve(e.network()).unwrap();
    let serial = explain_with(&instance, &e, &sol, Threads::serial()).unwrap();
    assert_eq!(
        explain_with(&instance, &e, &sol, Threads::new(2)).unwrap(),
        serial
    );
    assert_eq!(explain(&instance, &e, &sol).unwrap(), serial);
    let parallel = Explainer::new(&instance, &e, &sol)
        .unwrap()
        .with_threads(Threads::new(2));
    assert_eq!(parallel.certificates(), serial.certificates);
    assert!(serial.certificates.iter().flatten().count() > 10);
}
