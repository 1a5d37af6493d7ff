//! Networks with runs (a right node's load earns or costs more per unit as it grows) and floors
//! (the first units a group of left nodes sends earn a bonus): every solver against brute force.

use duijie::solve::{verify, FlowSolver, LpBackend, LpSolver, Network, Solver};
use proptest::prelude::*;

/// A random network of up to 4 left and 3 right nodes, with runs on some right nodes and two
/// groups with floors.
fn network() -> impl Strategy<Value = Network> {
    (
        prop::collection::vec(0i64..4, 1..=4),
        prop::collection::vec(0i64..4, 1..=3),
        prop::collection::vec((any::<bool>(), 1i64..60), 12),
        prop::collection::vec(prop::collection::vec(-40i64..40, 0..3), 3),
        prop::collection::vec(prop::option::of(0u32..2), 4),
        prop::collection::vec((0i64..4, 0i64..50), 2),
    )
        .prop_map(|(supply, capacity, arcs, deltas, groups, floors)| {
            let (n, m) = (supply.len(), capacity.len());
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
            net.supply = supply;
            net.capacity = capacity;
            net
        })
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

    /// The LP backend finds the brute-force optimum, and its answer passes verification.
    #[test]
    fn lp_matches_brute_force(net in network()) {
        net.check().unwrap();
        let want = brute_force(&net);
        let sol = LpSolver::new(LpBackend::Microlp).solve(&net).unwrap();
        prop_assert_eq!(i128::from(sol.objective), want);
        verify(&net, &sol).unwrap();
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
        prop_assert_eq!(instance.policy().has_terms(), plan.terms.is_some());
        if let Some(t) = plan.terms {
            prop_assert_eq!(i128::from(plan.objective), t.total());
        }
        for u in &plan.unmet {
            prop_assert!(u.reason != Reason::PolicyTradeoff || instance.policy().has_terms());
        }
    }
}
