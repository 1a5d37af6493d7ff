//! The independent checker must catch broken plans: every optimal plan passes, and each way of
//! breaking one is reported with the right violation.

mod common;

use common::instance;
use duijie::model::Level;
use duijie::plan::{check, Assignment, Reason, Unmet};
use duijie::{Instance, Plan};
use proptest::prelude::*;

/// The violation codes `check` reports for `plan`.
fn codes(instance: &Instance, plan: &Plan) -> Vec<&'static str> {
    match check(instance, plan) {
        Ok(()) => Vec::new(),
        Err(v) => v.0.iter().map(|x| x.code()).collect(),
    }
}

/// Moves one served unit of the plan's first assignment to unmet, as if its resource were
/// full, keeping every total right: only the unmet reason is wrong (the resource has room).
fn leave_room(plan: &Plan) -> Option<Plan> {
    let mut p = plan.clone();
    let a = p.assignments.first_mut()?;
    let need = a.need.clone();
    let value = a.value;
    a.quantity -= 1;
    if a.quantity == 0 {
        p.assignments.remove(0);
    }
    p.objective -= value;
    p.served -= 1;
    match p.unmet.iter_mut().find(|u| u.need == need) {
        Some(u) => {
            u.quantity += 1;
            u.reason = Reason::CapacityExhausted;
        }
        None => {
            let at = p.unmet.partition_point(|u| u.need < need);
            p.unmet.insert(
                at,
                Unmet {
                    need,
                    quantity: 1,
                    reason: Reason::CapacityExhausted,
                    certificate: None,
                },
            );
        }
    }
    Some(p)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn broken_plans_are_caught(data in instance(8, 6), pick in any::<usize>()) {
        let instance = Instance::from_data(&data).unwrap();
        let plan = duijie::solve(&instance).unwrap();
        prop_assert_eq!(codes(&instance, &plan), Vec::<&str>::new());

        if let Some(p) = leave_room(&plan) {
            let found = codes(&instance, &p);
            prop_assert!(!found.is_empty() && found.iter().all(|c| *c == "wrong_unmet"), "{:?}", found);
        }
        if !plan.assignments.is_empty() {
            let k = pick % plan.assignments.len();
            let mut p = plan.clone();
            p.assignments[k].value += 1;
            prop_assert!(codes(&instance, &p).contains(&"wrong_pricing"));

            let mut p = plan.clone();
            p.assignments[k].tier = if p.assignments[k].tier == Level::City { Level::Grid } else { Level::City };
            prop_assert!(codes(&instance, &p).contains(&"wrong_pricing"));

            let mut p = plan.clone();
            let twice = p.assignments[k].clone();
            p.assignments.insert(k, twice);
            prop_assert!(codes(&instance, &p).contains(&"repeated_pair"));

            let mut p = plan.clone();
            let a = &p.assignments[k];
            let cap = instance.resource(instance.find_resource(&a.resource).unwrap()).capacity;
            p.assignments[k].quantity = i64::from(cap) + 1;
            prop_assert!(codes(&instance, &p).contains(&"over_capacity"));
        }
        let mut p = plan.clone();
        p.objective += 1;
        prop_assert_eq!(codes(&instance, &p), vec!["wrong_total"]);

        if let Some(u) = plan.unmet.first() {
            let mut p = plan.clone();
            p.unmet[0].reason = match u.reason {
                Reason::NoEligibleResource => Reason::CapacityExhausted,
                _ => Reason::NoEligibleResource,
            };
            prop_assert_eq!(codes(&instance, &p), vec!["wrong_unmet"]);
        }

        // A pair no rule allows, with totals kept right.
        let pairs: Vec<(String, String)> = instance.needs().iter().flat_map(|n| {
            instance.resources().iter().map(move |r| (n.id.clone(), r.id.clone()))
        }).collect();
        let ineligible = pairs.iter().find(|(n, r)| {
            let (i, j) = (instance.find_need(n).unwrap(), instance.find_resource(r).unwrap());
            duijie::plan::check::may_serve(&instance, instance.need(i), instance.resource(j)).is_err()
                && !plan.assignments.iter().any(|a| &a.need == n && &a.resource == r)
        });
        if let Some((n, r)) = ineligible {
            let mut p = plan.clone();
            p.assignments.push(Assignment {
                need: n.clone(), resource: r.clone(), quantity: 1, tier: Level::Grid, value: 1,
            });
            prop_assert!(codes(&instance, &p).contains(&"not_eligible"));
        }
    }
}
