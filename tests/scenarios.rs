//! Scenario tests: each `tests/data/NAME.json` is solved by every backend; the plan must pass
//! the checker and equal `tests/data/NAME.plan.json` byte for byte (the flow backend's plan).

use duijie::solve::{backend, FlowSolver, Solver};
use duijie::{check, solve_with, Eligibility, Instance};
use std::path::Path;

fn scenario(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
    let instance = Instance::from_json_str(&text).unwrap();
    let eligibility = Eligibility::build(&instance);
    let plan = solve_with(&instance, &eligibility, &FlowSolver::default()).unwrap();
    check(&instance, &plan).unwrap();
    let want = std::fs::read_to_string(dir.join(format!("{name}.plan.json"))).unwrap();
    assert_eq!(plan.to_json_string().unwrap(), want.trim_end(), "{name}");
    let lp = solve_with(&instance, &eligibility, backend("lp").unwrap().as_ref()).unwrap();
    check(&instance, &lp).unwrap();
    assert_eq!(lp.objective, plan.objective, "{name}: lp");
    for (reduce, warm_start) in [(false, false), (true, true)] {
        let other = FlowSolver {
            reduce,
            warm_start,
            ..FlowSolver::default()
        };
        assert_eq!(
            other.solve(eligibility.network()).unwrap().objective,
            plan.objective
        );
    }
}

/// 小事不出社区: the community's own member first; the second unit comes from the street
/// tier (the street's unit and another community's team tie at 295; either is optimal, and
/// the plan is the same on every run).
#[test]
fn local_first() {
    scenario("local-first");
}

/// 三老三户三留守: one unit of capacity goes to the vulnerable household (priority 3 + 2)
/// rather than the plain priority-4 need.
#[test]
fn vulnerable_first() {
    scenario("vulnerable-first");
}

/// Nursing is only available from a paid district organisation (街道吹哨、部门报到); legal aid
/// from nobody; a cost ceiling rules the organisation out for N3, which the member serves.
#[test]
fn escalation() {
    scenario("escalation");
}

/// The README's sample street.
#[test]
fn sample_street() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(dir.join("examples/data/jianwai.json")).unwrap();
    let instance = Instance::from_json_str(&text).unwrap();
    let plan = duijie::solve(&instance).unwrap();
    check(&instance, &plan).unwrap();
    assert_eq!((plan.objective, plan.served, plan.demanded), (6810, 18, 21));
}
