//! The report, the project list and plan diffs agree with the plan they describe.

mod common;

use common::instance;
use duijie::analysis::explain::explain;
use duijie::analysis::project::projects;
use duijie::analysis::report::Report;
use duijie::model::Kind;
use duijie::plan::PlanDiff;
use duijie::solve::{FlowSolver, Solver};
use duijie::{Eligibility, Instance, Plan};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn solved(instance: &Instance) -> (Plan, Report) {
    let e = Eligibility::build(instance);
    let sol = FlowSolver::default().solve(e.network()).unwrap();
    let mut plan = Plan::from_solution(instance, &e, &sol);
    let ex = explain(instance, &e, &sol).unwrap();
    ex.attach(instance, &mut plan);
    let report = Report::new(instance, &plan, &ex);
    assert_eq!(report.recruitment, ex.recruitment);
    (plan, report)
}

fn pairs(plan: &Plan) -> BTreeMap<(String, String), i64> {
    plan.assignments
        .iter()
        .map(|a| ((a.need.clone(), a.resource.clone()), a.quantity))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn report_adds_up(data in instance(20, 10)) {
        let instance = Instance::from_data(&data).unwrap();
        let (plan, r) = solved(&instance);
        prop_assert_eq!((r.coverage.units.served, r.coverage.units.demanded), (plan.served, plan.demanded));
        prop_assert_eq!(r.tiers.iter().map(|t| t.units).sum::<i64>(), plan.served);
        prop_assert_eq!(r.utilisation.units.served, plan.served);
        let with_capacity = instance.resources().iter().filter(|r| r.capacity > 0).count();
        prop_assert_eq!(r.utilisation.histogram.iter().map(|b| b.resources).sum::<usize>(), with_capacity);
        let serving: Vec<&str> = plan.assignments.iter().map(|a| a.resource.as_str()).collect();
        let idle: Vec<String> = instance
            .resources()
            .iter()
            .filter(|x| x.kind == Kind::Member && x.capacity > 0 && !serving.contains(&x.id.as_str()))
            .map(|x| x.id.clone())
            .collect();
        prop_assert_eq!(&r.utilisation.idle_members, &idle);
        prop_assert_eq!(r.by_category.iter().map(|c| c.demanded).sum::<i64>(), plan.demanded);
        prop_assert_eq!(r.by_category.iter().map(|c| c.unmet).sum::<i64>(), plan.demanded - plan.served);
        prop_assert_eq!(r.unmet_by_community.iter().map(|c| c.units).sum::<i64>(), plan.unmet.iter().map(|u| u.quantity).sum::<i64>());
        prop_assert!(r.coverage.vulnerable.served <= r.coverage.vulnerable.demanded);
        prop_assert!(serde_json::from_str::<serde_json::Value>(&r.to_json_string().unwrap()).is_ok());
    }

    #[test]
    fn projects_partition_the_plan(data in instance(20, 10)) {
        let instance = Instance::from_data(&data).unwrap();
        let (plan, _) = solved(&instance);
        let ps = projects(&instance, &plan);
        let mut from_projects: BTreeMap<(String, String), i64> = BTreeMap::new();
        for p in &ps {
            prop_assert_eq!(p.quantity, p.needs.iter().map(|n| n.quantity).sum::<i64>());
            for n in &p.needs {
                *from_projects.entry((n.need.clone(), p.resource.clone())).or_default() += n.quantity;
            }
        }
        prop_assert_eq!(from_projects, pairs(&plan));
        prop_assert_eq!(ps.iter().map(|p| p.value).sum::<i64>(), plan.objective);
        prop_assert!(ps.windows(2).all(|w| w[0].id < w[1].id));
    }

    #[test]
    fn diff_replays(a in instance(15, 8), edit in 0usize..8) {
        let before_instance = Instance::from_data(&a).unwrap();
        let (before, _) = solved(&before_instance);
        // An edit: one resource loses its capacity.
        let mut b = a.clone();
        if let Some(r) = b.resources.get_mut(edit % a.resources.len().max(1)) {
            r.capacity = 0;
        }
        let (after, _) = solved(&Instance::from_data(&b).unwrap());
        let d = PlanDiff::new(&before, &after);
        prop_assert_eq!(d.objective_delta, after.objective - before.objective);
        let mut x = pairs(&before);
        for m in &d.moved {
            *x.entry((m.need.clone(), m.from.clone())).or_default() -= m.quantity;
            *x.entry((m.need.clone(), m.to.clone())).or_default() += m.quantity;
        }
        for c in &d.removed {
            *x.entry((c.need.clone(), c.resource.clone())).or_default() -= c.quantity;
        }
        for c in &d.added {
            *x.entry((c.need.clone(), c.resource.clone())).or_default() += c.quantity;
        }
        x.retain(|_, q| *q != 0);
        prop_assert_eq!(x, pairs(&after));
        let same = PlanDiff::new(&before, &before);
        prop_assert!(same.added.is_empty() && same.removed.is_empty() && same.moved.is_empty());
    }
}
