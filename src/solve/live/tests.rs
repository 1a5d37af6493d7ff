//! The live flow against cold solves: after every change and repair the flow must carry its own
//! optimality proof (`verify`) and reach the optimum the network simplex finds for the same
//! problem, and a cold re-solve by successive shortest paths must agree.

use super::LiveFlow;
use crate::generate::Rng;
use crate::solve::{FlowSolver, Network, Solver};
use proptest::prelude::*;

/// A new left node worth more takes the capacity from an old one.
#[test]
fn a_new_need_takes_the_capacity() {
    // One resource with 2 units; a need of 2 units worth 10 each.
    let net = Network {
        supply: vec![2],
        capacity: vec![2],
        start: vec![0, 1],
        head: vec![0],
        value: vec![10],
        ..Network::default()
    };
    let mut live = LiveFlow::solve(&net, 50).unwrap();
    assert_eq!(live.objective(), 20);
    // A new need worth 30 a unit takes both units.
    let first = live.add_left(2, [(0, 30)]);
    live.repair();
    assert_eq!(live.objective(), 60);
    assert_eq!(live.arc(first).flow, 2);
    live.verify().unwrap();
}

/// A random network: `n × m`, each arc present with probability `density`.
fn network(rng: &mut Rng, n: usize, m: usize, density: f64, max_v: i64) -> Network {
    let mut net = Network {
        supply: (0..n).map(|_| rng.range(0, 4)).collect(),
        capacity: (0..m).map(|_| rng.range(0, 4)).collect(),
        start: vec![0],
        ..Network::default()
    };
    for _ in 0..n {
        for j in 0..m {
            if rng.chance(density) {
                net.head.push(j as u32);
                net.value.push(rng.range(1, max_v));
            }
        }
        net.start.push(net.head.len() as u32);
    }
    net
}

/// One random change, as the ledger makes them.
fn change(rng: &mut Rng, live: &mut LiveFlow, m: usize, max_v: i64) -> String {
    let arcs = live.arcs_of(live.lefts() as u32 - 1).end;
    let arc = rng.range(0, i64::from(arcs.max(1)) - 1) as u32;
    let left = rng.range(0, live.lefts() as i64 - 1) as u32;
    let right = rng.range(0, m as i64 - 1) as u32;
    match rng.range(0, 7) {
        0 | 1 => {
            let mut arcs = Vec::new();
            for j in 0..m as u32 {
                if rng.chance(0.4) {
                    arcs.push((j, rng.range(1, max_v)));
                }
            }
            let supply = rng.range(1, 4);
            live.add_left(supply, arcs.iter().copied());
            format!("add_left({supply}, {arcs:?})")
        }
        2 if arcs > 0 => {
            live.remove_arc(arc);
            format!("remove_arc({arc})")
        }
        3 => {
            let s = rng.range(0, 5);
            live.set_supply(left, s);
            format!("set_supply({left}, {s})")
        }
        4 => {
            let c = rng.range(0, 5);
            live.set_capacity(right, c);
            format!("set_capacity({right}, {c})")
        }
        5 if arcs > 0 => {
            let q = rng.range(0, 3);
            live.set_units(arc, q);
            format!("set_units({arc}, {q})")
        }
        6 if arcs > 0 && live.arc(arc).flow > 0 => {
            let q = rng.range(1, live.arc(arc).flow);
            live.pin(arc, q);
            format!("pin({arc}, {q})")
        }
        _ => {
            live.remove_left(left);
            format!("remove_left({left})")
        }
    }
}

fn optimum(live: &LiveFlow) -> i64 {
    FlowSolver::default()
        .solve(&live.to_network())
        .unwrap()
        .objective
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Random change sequences, with the bonus following the flow after each repair (as the
    /// ledger does with its offers) or left where the changes put it.
    #[test]
    fn repairs_reach_the_optimum(seed in any::<u64>(), steps in 1usize..40, bonus in 0i64..30) {
        let mut rng = Rng::new(seed);
        let (n, m) = (rng.range(1, 8) as usize, rng.range(1, 8) as usize);
        let max_v = rng.range(1, 60);
        let net = network(&mut rng, n, m, 0.4, max_v);
        let mut live = LiveFlow::solve(&net, bonus).unwrap();
        live.verify().unwrap();
        let rebase = rng.chance(0.7);
        let mut log = Vec::new();
        for _ in 0..steps {
            log.push(change(&mut rng, &mut live, m, max_v));
            let changed = live.repair();
            prop_assert!(live.verify().is_ok(), "{:?} after {log:#?}", live.verify());
            prop_assert_eq!(live.objective(), optimum(&live), "after {:#?}", log);
            if rebase {
                // The bonus on the new flow: the flow stays optimal (and proven so).
                for a in changed {
                    live.set_units(a, live.arc(a).flow);
                }
                let moved = live.repair();
                prop_assert!(moved.is_empty(), "re-basing moved flow after {:#?}", log);
                prop_assert!(live.verify().is_ok());
            }
        }
        let value = live.objective();
        live.resolve();
        prop_assert!(live.verify().is_ok());
        prop_assert_eq!(live.objective(), value);
    }
}

/// Dense, tied values: many equal-cost paths (degenerate searches) must still end optimal.
#[test]
fn ties_and_dense_networks() {
    for seed in 0..200 {
        let mut rng = Rng::new(seed);
        let (n, m) = (rng.range(5, 20) as usize, rng.range(2, 10) as usize);
        let net = network(&mut rng, n, m, 0.9, 3);
        let mut live = LiveFlow::solve(&net, 2).unwrap();
        for _ in 0..30 {
            change(&mut rng, &mut live, m, 3);
            let changed = live.repair();
            live.verify().unwrap();
            assert_eq!(live.objective(), optimum(&live), "seed {seed}");
            for a in changed {
                live.set_units(a, live.arc(a).flow);
            }
        }
    }
}
