//! Networks with runs (a right node's load earns or costs more per unit as it grows) and floors
//! (the first units a group of left nodes sends earn a bonus): every solver against brute force.

use duijie::solve::{verify, FlowSolver, LpBackend, LpSolver, Network, Solver};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// A random network of up to 4 left and 3 right nodes, with runs on some right nodes and two
/// groups with floors; often the second right node has the first one's arcs and the second
/// left node the first one's (so that the flow solver's reduction merges them), and sometimes
/// the runs or the groups are left out.
fn network() -> impl Strategy<Value = Network> {
    (
        (
            prop::collection::vec(0i64..4, 1..=4),
            prop::collection::vec(0i64..4, 1..=3),
            prop::collection::vec((any::<bool>(), 1i64..60), 12),
            prop::collection::vec(prop::collection::vec(-40i64..40, 0..3), 3),
            prop::collection::vec(prop::option::of(0u32..2), 4),
            prop::collection::vec((0i64..4, 0i64..50), 2),
        ),
        (any::<bool>(), any::<bool>(), 0u8..4),
    )
        .prop_map(
            |(
                (supply, capacity, mut arcs, deltas, groups, floors),
                (twin_right, twin_left, leave_out),
            )| {
                let (n, m) = (supply.len(), capacity.len());
                if twin_right {
                    for i in 0..4 {
                        arcs[i * 3 + 1] = arcs[i * 3];
                    }
                }
                if twin_left {
                    for j in 0..3 {
                        arcs[3 + j] = arcs[j];
                    }
                }
                let mut net = Network {
                    start: vec![0],
                    ..Network::default()
                };
                for i in 0..n {
                    for j in 0..m {
                        let (on, value) = arcs[i * 3 + j];
                        if on {
                            net.head.push(j as u32);
                            net.value.push(value);
                        }
                    }
                    net.start.push(net.head.len() as u32);
                }
                // Runs: capacity split into up to three runs with falling deltas.
                net.run_start.push(0);
                for (j, &c) in capacity.iter().enumerate() {
                    let mut d = deltas[j].clone();
                    d.sort_unstable_by(|a, b| b.cmp(a));
                    let mut left = c;
                    for (k, &delta) in d.iter().enumerate() {
                        let units = if k + 1 == d.len() { left } else { left.min(1) };
                        net.runs.push((units, delta));
                        left -= units;
                    }
                    if d.is_empty() {
                        net.runs.push((c, 0));
                    }
                    net.run_start.push(net.runs.len() as u32);
                }
                net.group = groups[..n].iter().map(|g| g.unwrap_or(u32::MAX)).collect();
                net.floors = floors;
                if leave_out == 1 {
                    (net.runs, net.run_start) = (Vec::new(), Vec::new());
                } else if leave_out == 2 {
                    (net.group, net.floors) = (Vec::new(), Vec::new());
                }
                net.supply = supply;
                net.capacity = capacity;
                net
            },
        )
}

/// The best worth over every integral flow, by enumeration.
fn brute_force(net: &Network) -> i128 {
    fn go(
        net: &Network,
        a: usize,
        flow: &mut Vec<i64>,
        sent: &mut [i64],
        load: &mut [i64],
    ) -> i128 {
        if a == net.arcs() {
            return net.objective_of(flow);
        }
        let i = (0..net.supply.len())
            .find(|&i| net.out(i).contains(&a))
            .unwrap_or(0);
        let j = net.head[a] as usize;
        let mut best = i128::MIN;
        let most = (net.supply[i] - sent[i]).min(net.capacity[j] - load[j]);
        for x in 0..=most {
            flow[a] = x;
            sent[i] += x;
            load[j] += x;
            best = best.max(go(net, a + 1, flow, sent, load));
            sent[i] -= x;
            load[j] -= x;
        }
        flow[a] = 0;
        best
    }
    let mut flow = vec![0; net.arcs()];
    let mut sent = vec![0; net.supply.len()];
    let mut load = vec![0; net.capacity.len()];
    go(net, 0, &mut flow, &mut sent, &mut load)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The LP backend and the flow solver (with and without its reduction, from the empty and
    /// the greedy start) find the brute-force optimum, and their answers pass verification
    /// with their duals (a proof of optimality).
    #[test]
    fn solvers_match_brute_force(net in network()) {
        net.check().unwrap();
        let want = brute_force(&net);
        let lp = LpSolver::new(LpBackend::Microlp);
        let flows = [(true, false), (false, false), (true, true), (false, true)].map(
            |(reduce, warm_start)| FlowSolver { reduce, warm_start, ..FlowSolver::default() },
        );
        let solvers: [&dyn Solver; 5] = [&lp, &flows[0], &flows[1], &flows[2], &flows[3]];
        for s in solvers {
            let sol = s.solve(&net).unwrap();
            prop_assert_eq!(i128::from(sol.objective), want, "{}", s.name());
            prop_assert!(sol.duals.is_some() || s.name() != "flow");
            verify(&net, &sol).unwrap();
        }
    }
}

/// Runs that do not add up to the capacity, or rise, are refused.
#[test]
fn malformed_runs_are_refused() {
    let base = Network {
        supply: vec![2],
        capacity: vec![3],
        start: vec![0, 1],
        head: vec![0],
        value: vec![10],
        ..Network::default()
    };
    for runs in [vec![(2, 0)], vec![(1, 0), (2, 5)], vec![(4, 0), (-1, 0)]] {
        let net = Network {
            run_start: vec![0, runs.len() as u32],
            runs,
            ..base.clone()
        };
        assert!(FlowSolver::default().solve(&net).is_err(), "{net:?}");
        assert!(LpSolver::new(LpBackend::Microlp).solve(&net).is_err());
    }
}

mod common;

use common::instance;
use duijie::contract::InstanceData;
use duijie::model::policy::{CommunityFloor, Engagement, LoadStep, PerKind};
use duijie::model::{Kind, Level};
use duijie::plan::check::may_serve;
use duijie::plan::Reason;
use duijie::{check, solve_with, Eligibility, Instance};

/// Raw fairness terms: load steps as (gap, rise), engagement (units, bonus), floor (share, bonus).
type RawTerms = (
    Option<Vec<(i64, i64)>>,
    Option<(i64, i64)>,
    Option<(i64, i64)>,
);

/// Fairness terms for members, each present or not: up to three load steps, engagement and a
/// community floor.
fn fairness() -> impl Strategy<Value = RawTerms> {
    (
        prop::option::of(prop::collection::vec((1i64..3, 0i64..150), 0..4)),
        prop::option::of((0i64..4, 0i64..120)),
        prop::option::of((0i64..=100, 0i64..150)),
    )
}

/// `data` with the fairness terms set: steps start after growing gaps, penalties grow.
fn with_terms(mut data: InstanceData, (steps, engagement, floor): RawTerms) -> InstanceData {
    if let Some(raw) = steps {
        let (mut after, mut penalty) = (-1, 0);
        let mut list = Vec::new();
        for (gap, rise) in raw {
            after += gap;
            penalty += rise;
            list.push(LoadStep { after, penalty });
        }
        let mut per = PerKind::default();
        per[Kind::Member] = list;
        data.policy.load_steps = Some(per);
    }
    if let Some((units, bonus)) = engagement {
        let mut per = PerKind::default();
        per[Kind::Member] = Some(Engagement { units, bonus });
        data.policy.engagement = Some(per);
    }
    data.policy.community_floor =
        floor.map(|(share_pct, bonus)| CommunityFloor { share_pct, bonus });
    data
}

/// The optimum with terms by enumerating every integer plan over the pairs the checker's
/// reading allows; the terms are computed here a third way, unit by unit.
fn brute_force_with_terms(instance: &Instance) -> i64 {
    let (needs, resources) = (instance.needs(), instance.resources());
    let mut pairs = Vec::new();
    for (i, n) in needs.iter().enumerate() {
        for (j, r) in resources.iter().enumerate() {
            if let Ok((_, v)) = may_serve(instance, n, r) {
                pairs.push((i, j, v));
            }
        }
    }
    let p = instance.policy();
    let areas = instance.areas();
    let community: Vec<Option<u32>> = needs
        .iter()
        .map(|n| {
            let mut a = Some(n.area);
            while let Some(x) = a {
                if areas.get(x).level == Level::Community {
                    return Some(x.0);
                }
                a = areas.get(x).parent;
            }
            None
        })
        .collect();
    let worth = |x: &[i64]| -> i64 {
        let mut total = 0;
        let mut load = vec![0i64; resources.len()];
        let mut got = vec![0i64; needs.len()];
        for (k, &(i, j, v)) in pairs.iter().enumerate() {
            total += x[k] * v;
            load[j] += x[k];
            got[i] += x[k];
        }
        for (r, &l) in resources.iter().zip(&load) {
            for u in 1..=l {
                if let Some(e) = p.engagement.as_ref().and_then(|e| e[r.kind]) {
                    if u <= e.units {
                        total += e.bonus;
                    }
                }
                let steps = p.load_steps.as_ref().map_or(&[][..], |s| &s[r.kind][..]);
                if let Some(s) = steps.iter().rfind(|s| s.after < u) {
                    total -= s.penalty;
                }
            }
        }
        if let Some(f) = p.community_floor {
            let mut seen: Vec<u32> = community.iter().flatten().copied().collect();
            seen.sort_unstable();
            seen.dedup();
            for c in seen {
                let mine = |i: &usize| community[*i] == Some(c);
                let demand: i64 = (0..needs.len())
                    .filter(mine)
                    .map(|i| i64::from(needs[i].quantity))
                    .sum();
                let served: i64 = (0..needs.len()).filter(mine).map(|i| got[i]).sum();
                total += f.bonus * served.min(demand * f.share_pct / 100);
            }
        }
        total
    };
    fn go(
        pairs: &[(usize, usize, i64)],
        k: usize,
        x: &mut Vec<i64>,
        left: &mut [i64],
        room: &mut [i64],
        worth: &dyn Fn(&[i64]) -> i64,
    ) -> i64 {
        if k == pairs.len() {
            return worth(x);
        }
        let (i, j, _) = pairs[k];
        let mut best = i64::MIN;
        for units in 0..=left[i].min(room[j]) {
            x[k] = units;
            left[i] -= units;
            room[j] -= units;
            best = best.max(go(pairs, k + 1, x, left, room, worth));
            left[i] += units;
            room[j] += units;
        }
        x[k] = 0;
        best
    }
    let mut left: Vec<i64> = needs.iter().map(|n| n.quantity.into()).collect();
    let mut room: Vec<i64> = resources.iter().map(|r| r.capacity.into()).collect();
    let mut x = vec![0; pairs.len()];
    go(&pairs, 0, &mut x, &mut left, &mut room, &worth)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// With fairness terms, the LP backend's plan passes the checker (which recomputes every
    /// term and reason) and reaches the brute-force optimum.
    #[test]
    fn plans_with_terms_are_optimal(data in instance(4, 3), terms in fairness()) {
        let instance = Instance::from_data(&with_terms(data, terms)).unwrap();
        let eligibility = Eligibility::build(&instance);
        let lp = LpSolver::new(LpBackend::Microlp);
        let plan = solve_with(&instance, &eligibility, &lp).unwrap();
        if let Err(v) = check(&instance, &plan) {
            panic!("{v}\n{plan:#?}");
        }
        prop_assert_eq!(plan.objective, brute_force_with_terms(&instance));
        let flow = solve_with(&instance, &eligibility, &FlowSolver::default()).unwrap();
        if let Err(v) = check(&instance, &flow) {
            panic!("{v}\n{flow:#?}");
        }
        prop_assert_eq!(flow.objective, plan.objective);
        prop_assert_eq!(instance.policy().has_terms(), plan.terms.is_some());
        if let Some(t) = plan.terms {
            prop_assert_eq!(i128::from(plan.objective), t.total());
        }
        for u in &plan.unmet {
            prop_assert!(u.reason != Reason::PolicyTradeoff || instance.policy().has_terms());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// With fairness terms, explanations stay checkable by re-solving: every unmet need's
    /// trade-off is the change of the optimum when one more of its units is forced in (never a
    /// gain); every bottleneck holds; shadow prices are the change with one more unit of
    /// capacity (the resource's runs recomputed by the policy).
    #[test]
    fn explanations_with_terms_hold(data in instance(6, 4), terms in fairness()) {
        use duijie::analysis::explain::{explain, Explainer};
        use duijie::plan::Certificate;
        let data = with_terms(data, terms);
        let instance = Instance::from_data(&data).unwrap();
        let e = Eligibility::build(&instance);
        let sol = FlowSolver::default().solve(e.network()).unwrap();
        let mut plan = duijie::Plan::from_solution(&instance, &e, &sol);
        let ex = explain(&instance, &e, &sol).unwrap();
        ex.attach(&instance, &mut plan);
        check(&instance, &plan).unwrap();
        let explainer = Explainer::new(&instance, &e, &sol).unwrap();
        for u in &plan.unmet {
            let i = instance.find_need(&u.need).unwrap();
            let got: i64 = plan.assignments.iter().filter(|a| a.need == u.need).map(|a| a.quantity).sum();
            if let Some(Certificate::Tradeoff { moves, net_value }) = explainer.tradeoff(i) {
                prop_assert!(net_value <= 0, "{}: an optimal plan has no improving move", u.need);
                prop_assert_eq!(&moves[0].need, &u.need);
                prop_assert_eq!(common::forced_optimum(e.network(), i.get(), got + 1), plan.objective + net_value, "trade-off of {}", u.need);
            } else {
                // No trade-off: no plan serves one more unit.
                prop_assert!(u.reason != Reason::PolicyTradeoff, "{} beside room has a trade-off", u.need);
            }
            if let Some(Certificate::Bottleneck { demand, capacity, .. }) = &u.certificate {
                prop_assert!(demand > capacity);
            }
        }
        for (j, r) in instance.resources().iter().enumerate() {
            let mut more = data.clone();
            let k = more.resources.iter().position(|x| x.id == r.id).unwrap();
            more.resources[k].capacity += 1;
            let bigger = Instance::from_data(&more).unwrap();
            let optimum = duijie::solve(&bigger).unwrap().objective;
            prop_assert_eq!(optimum - plan.objective, ex.shadow_prices[j], "shadow price of {}", r.id);
        }
    }
}

/// Steps at c, 2c, 3c, … units, each unit from the k-th step on costing k (c = 1 and 2), give
/// a load vector that no other plan with the optimum's pairs' value beats in maximum load (by
/// the semi-matching result, such steps are optimal for every Lp norm at once). Checked by
/// enumerating every plan of small all-member instances, where the steps leave the pairs'
/// value at the optimum without them (else the instance is skipped: the steps traded value).
#[test]
fn rising_steps_minimise_the_maximum_load() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut checked = 0;
    for round in 0..400 {
        let mut data = instance(5, 3).new_tree(&mut runner).unwrap().current();
        for r in &mut data.resources {
            r.kind = Kind::Member;
        }
        let Ok(plain) = Instance::from_data(&data) else {
            continue;
        };
        let c = 1 + round % 2;
        let mut per = PerKind::default();
        per[Kind::Member] = (1..=12)
            .map(|k| LoadStep {
                after: k * c,
                penalty: k,
            })
            .collect();
        data.policy.load_steps = Some(per);
        let fair = Instance::from_data(&data).unwrap();
        let plan = duijie::solve(&fair).unwrap();
        let best = duijie::solve(&plain).unwrap().objective;
        let Some(terms) = plan.terms else { continue };
        if terms.assignments != best {
            continue;
        }
        let mut load: BTreeMap<&str, i64> = BTreeMap::new();
        for a in &plan.assignments {
            *load.entry(a.resource.as_str()).or_default() += a.quantity;
        }
        let max_load = load.values().copied().max().unwrap_or(0);
        assert_eq!(Some(max_load), least_max_load(&fair, best), "{data:#?}");
        checked += 1;
    }
    assert!(checked > 100, "only {checked} instances checked");
}

/// The least maximum resource load over the integral plans whose pairs' value is `value`.
fn least_max_load(instance: &Instance, value: i64) -> Option<i64> {
    let mut pairs = Vec::new();
    for (i, n) in instance.needs().iter().enumerate() {
        for (j, r) in instance.resources().iter().enumerate() {
            if let Ok((_, v)) = may_serve(instance, n, r) {
                pairs.push((i, j, v));
            }
        }
    }
    fn go(
        pairs: &[(usize, usize, i64)],
        left: &mut [i64],
        room: &mut [i64],
        load: &mut [i64],
        value: i64,
        want: i64,
    ) -> Option<i64> {
        let Some((&(i, j, v), rest)) = pairs.split_first() else {
            return (value == want).then(|| load.iter().copied().max().unwrap_or(0));
        };
        let mut best: Option<i64> = None;
        for x in 0..=left[i].min(room[j]) {
            (left[i], room[j], load[j]) = (left[i] - x, room[j] - x, load[j] + x);
            if let Some(b) = go(rest, left, room, load, value + x * v, want) {
                best = Some(best.map_or(b, |c| c.min(b)));
            }
            (left[i], room[j], load[j]) = (left[i] + x, room[j] + x, load[j] - x);
        }
        best
    }
    let mut left: Vec<i64> = instance
        .needs()
        .iter()
        .map(|n| i64::from(n.quantity))
        .collect();
    let mut room: Vec<i64> = instance
        .resources()
        .iter()
        .map(|r| i64::from(r.capacity))
        .collect();
    let mut load = vec![0; room.len()];
    go(&pairs, &mut left, &mut room, &mut load, 0, value)
}

/// Live dispatch keeps the pairs' values only: a ledger on an instance with fairness terms is
/// refused with a typed error rather than run without them.
#[test]
fn ledgers_refuse_fairness_terms() {
    use duijie::orders::{Ledger, Rejection};
    use duijie::solve::SolveError;
    let json = r#"{
      "areas": [{"id": "C1", "level": "community"}],
      "needs": [{"id": "N1", "area": "C1", "category": "health", "quantity": 2}],
      "resources": [{"id": "R1", "kind": "member", "home": "C1", "categories": ["health"], "capacity": 1}]
    }"#;
    let mut data = Instance::from_json_str(json).unwrap().to_data();
    assert!(Ledger::new(Instance::from_data(&data).unwrap()).is_ok());
    data.policy.community_floor = Some(CommunityFloor {
        share_pct: 50,
        bonus: 10,
    });
    let instance = Instance::from_data(&data).unwrap();
    match Ledger::new(instance) {
        Err(e @ Rejection::Dispatch(SolveError::Unsupported(_))) => {
            assert_eq!(e.code(), "dispatch")
        }
        other => panic!("expected a refusal, got {:?}", other.err()),
    }
}
