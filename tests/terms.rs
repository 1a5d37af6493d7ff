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
