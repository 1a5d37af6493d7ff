//! The solvers against each other and against brute force, on random numeric networks.

use duijie::solve::{verify, FlowSolver, LpBackend, LpSolver, Network, SolveError, Solver};
use proptest::prelude::*;

/// A random network: `n × m` with each arc present with probability ~`density`/8.
fn network(max_n: usize, max_m: usize, max_q: i64, max_v: i64) -> impl Strategy<Value = Network> {
    (1..=max_n, 1..=max_m).prop_flat_map(move |(n, m)| {
        (
            prop::collection::vec(0..=max_q, n),
            prop::collection::vec(0..=max_q, m),
            prop::collection::vec(prop::option::weighted(0.5, 1..=max_v), n * m),
        )
            .prop_map(move |(supply, capacity, cells)| {
                let mut net = Network {
                    supply,
                    capacity,
                    start: vec![0],
                    ..Network::default()
                };
                for i in 0..n {
                    for j in 0..m {
                        if let Some(v) = cells[i * m + j] {
                            net.head.push(j as u32);
                            net.value.push(v);
                        }
                    }
                    net.start.push(net.head.len() as u32);
                }
                net
            })
    })
}

/// The best objective by enumerating every integer flow.
fn brute_force(net: &Network) -> i64 {
    fn go(arcs: &[(usize, usize, i64)], k: usize, left: &mut [i64], room: &mut [i64]) -> i64 {
        let Some(&(i, j, v)) = arcs.get(k) else {
            return 0;
        };
        let mut best = i64::MIN;
        for x in 0..=left[i].min(room[j]) {
            left[i] -= x;
            room[j] -= x;
            best = best.max(x * v + go(arcs, k + 1, left, room));
            left[i] += x;
            room[j] += x;
        }
        best
    }
    let arcs: Vec<(usize, usize, i64)> = (0..net.supply.len())
        .flat_map(|i| {
            net.out(i)
                .map(move |a| (i, net.head[a] as usize, net.value[a]))
        })
        .collect();
    go(&arcs, 0, &mut net.supply.clone(), &mut net.capacity.clone())
}

/// Every variant of the flow solver: with and without the reduction, empty or greedy start.
fn variants() -> [FlowSolver; 4] {
    [(true, false), (false, false), (true, true), (false, true)].map(|(reduce, warm_start)| {
        FlowSolver {
            reduce,
            warm_start,
            ..FlowSolver::default()
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn flow_equals_brute_force_on_tiny_networks(net in network(4, 4, 3, 6)) {
        let want = brute_force(&net);
        for solver in variants() {
            let sol = solver.solve(&net).unwrap();
            prop_assert_eq!(sol.objective, want);
            prop_assert!(sol.duals.is_some());
        }
        prop_assert_eq!(LpSolver::new(LpBackend::Microlp).solve(&net).unwrap().objective, want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn flow_equals_lp_on_medium_networks(net in network(40, 40, 30, 1000)) {
        let lp = LpSolver::new(LpBackend::Microlp).solve(&net).unwrap();
        for solver in variants() {
            let sol = solver.solve(&net).unwrap();
            prop_assert_eq!(sol.objective, lp.objective);
            verify(&net, &sol).unwrap();
        }
    }

    #[test]
    fn ties_and_degeneracy(net in network(30, 30, 3, 2)) {
        let lp = LpSolver::new(LpBackend::Microlp).solve(&net).unwrap();
        for solver in variants() {
            prop_assert_eq!(solver.solve(&net).unwrap().objective, lp.objective);
        }
    }
}

#[test]
fn empty_and_edge_networks() {
    let empty = Network {
        start: vec![0],
        ..Network::default()
    };
    for s in [
        &FlowSolver::default() as &dyn Solver,
        &LpSolver::new(LpBackend::Microlp),
    ] {
        let sol = s.solve(&empty).unwrap();
        assert_eq!(sol.objective, 0);
        let lonely = Network {
            supply: vec![5],
            capacity: vec![],
            start: vec![0, 0],
            head: vec![],
            value: vec![],
            ..Network::default()
        };
        assert_eq!(s.solve(&lonely).unwrap().objective, 0);
    }
}

#[test]
fn range_is_checked_before_solving() {
    let big = Network {
        supply: vec![1 << 40],
        capacity: vec![1 << 40],
        start: vec![0, 1],
        head: vec![0],
        value: vec![1 << 30],
        ..Network::default()
    };
    assert!(matches!(
        FlowSolver::default().solve(&big),
        Err(SolveError::NumericRange(_))
    ));
    let bad = Network {
        supply: vec![1],
        capacity: vec![1],
        start: vec![0, 1],
        head: vec![3],
        value: vec![1],
        ..Network::default()
    };
    assert_eq!(FlowSolver::default().solve(&bad), Err(SolveError::Shape));
}

/// `net` with every left node repeated `copies[i]` times and every right node `copies` times,
/// with new random supplies and capacities: many interchangeable nodes for the reduction.
fn replicate(net: &Network, copies: &[usize], amounts: &[i64]) -> Network {
    let m = net.capacity.len();
    let right_copies = |j: usize| copies[j % copies.len()];
    let mut first_copy = vec![0u32; m + 1];
    for j in 0..m {
        first_copy[j + 1] = first_copy[j] + right_copies(j) as u32;
    }
    let mut k = 0;
    let mut amount = || {
        k += 1;
        amounts[k % amounts.len()]
    };
    let mut out = Network {
        capacity: (0..first_copy[m]).map(|_| amount()).collect(),
        start: vec![0],
        ..Network::default()
    };
    for i in 0..net.supply.len() {
        for _ in 0..copies[i % copies.len()] {
            out.supply.push(amount());
            for a in net.out(i) {
                let j = net.head[a] as usize;
                for c in first_copy[j]..first_copy[j + 1] {
                    out.head.push(c);
                    out.value.push(net.value[a]);
                }
            }
            out.start.push(out.head.len() as u32);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn reduction_is_exact_on_replicated_networks(
        net in network(6, 6, 3, 20),
        copies in prop::collection::vec(1usize..4, 1..5),
        amounts in prop::collection::vec(0i64..4, 1..7),
    ) {
        let big = replicate(&net, &copies, &amounts);
        let lp = LpSolver::new(LpBackend::Microlp).solve(&big).unwrap();
        for solver in variants() {
            let sol = solver.solve(&big).unwrap();
            prop_assert_eq!(sol.objective, lp.objective);
            prop_assert!(sol.duals.is_some());
        }
    }
}

/// `net` with some arcs repeated, at the same value or another: repeated pairs must not fool
/// the reduction's grouping (a resource that a need reaches twice stays on its own).
fn with_repeats(net: &Network, picks: &[(usize, i64)]) -> Network {
    let mut out = Network {
        supply: net.supply.clone(),
        capacity: net.capacity.clone(),
        start: vec![0],
        ..Network::default()
    };
    for i in 0..net.supply.len() {
        let arcs: Vec<usize> = net.out(i).collect();
        for &a in &arcs {
            out.head.push(net.head[a]);
            out.value.push(net.value[a]);
        }
        if let (Some(&(k, dv)), false) = (picks.get(i % picks.len().max(1)), arcs.is_empty()) {
            let a = arcs[k % arcs.len()];
            out.head.push(net.head[a]);
            out.value.push((net.value[a] + dv).max(1));
        }
        out.start.push(out.head.len() as u32);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn reduction_is_exact_with_repeated_arcs(
        net in network(6, 6, 3, 20),
        copies in prop::collection::vec(1usize..4, 1..5),
        amounts in prop::collection::vec(0i64..4, 1..7),
        picks in prop::collection::vec((0usize..8, -3i64..3), 1..6),
    ) {
        let big = with_repeats(&replicate(&net, &copies, &amounts), &picks);
        let lp = LpSolver::new(LpBackend::Microlp).solve(&big).unwrap();
        for solver in variants() {
            let sol = solver.solve(&big).unwrap();
            prop_assert_eq!(sol.objective, lp.objective);
            prop_assert!(sol.duals.is_some());
        }
    }
}

/// A complete `n × n` network with every value equal: maximally degenerate.
fn complete(n: usize, supply: i64, capacity: i64, value: i64) -> Network {
    Network {
        supply: vec![supply; n],
        capacity: vec![capacity; n],
        start: (0..=n).map(|i| (i * n) as u32).collect(),
        head: (0..n * n).map(|a| (a % n) as u32).collect(),
        value: vec![value; n * n],
        ..Network::default()
    }
}

#[test]
fn degenerate_networks_terminate() {
    let mut cases = 0;
    for n in [50, 200, 1000] {
        for (supply, capacity, value) in [(1, 1, 7), (3, 2, 1), (2, 5, 1_000)] {
            let net = complete(n, supply, capacity, value);
            let want = (n as i64) * supply.min(capacity) * value;
            for reduce in [true, false] {
                let solver = FlowSolver {
                    reduce,
                    ..FlowSolver::default()
                };
                let sol = solver.solve(&net).unwrap();
                assert_eq!(sol.objective, want, "n={n} reduce={reduce}");
                if !reduce {
                    println!(
                        "B7 complete {n}x{n}, supply {supply}, capacity {capacity}: {} pivots, {} degenerate, longest streak {}",
                        sol.stats.pivots, sol.stats.degenerate, sol.stats.longest_degenerate_streak
                    );
                }
                cases += 1;
            }
        }
    }
    println!("B7 degeneracy: {cases}/{cases} terminated with the optimum");
}

#[test]
fn pivot_limit_is_an_error_not_a_plan() {
    let net = complete(30, 2, 2, 5);
    let solver = FlowSolver {
        reduce: false,
        max_pivots: Some(3),
        ..FlowSolver::default()
    };
    assert!(matches!(
        solver.solve(&net),
        Err(SolveError::LimitReached(_))
    ));
}

/// B3: medium random networks (up to 200 × 200, about 10 arcs per need, values in [0, 1000))
/// through the LP oracle.
fn sparse_network(max_n: usize) -> impl Strategy<Value = Network> {
    (20..=max_n, 20..=max_n, any::<u64>()).prop_map(|(n, m, seed)| {
        let mut rng = duijie::generate::Rng::new(seed);
        let mut net = Network {
            supply: (0..n).map(|_| rng.range(0, 20)).collect(),
            capacity: (0..m).map(|_| rng.range(0, 30)).collect(),
            start: vec![0],
            ..Network::default()
        };
        for _ in 0..n {
            let mut heads: Vec<u32> = (0..rng.range(0, 20))
                .map(|_| rng.range(0, m as i64 - 1) as u32)
                .collect();
            heads.sort_unstable();
            heads.dedup();
            for h in heads {
                net.head.push(h);
                net.value.push(rng.range(0, 999));
            }
            net.start.push(net.head.len() as u32);
        }
        net
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn flow_equals_lp_on_sparse_networks(net in sparse_network(200)) {
        let lp = LpSolver::new(LpBackend::Microlp).solve(&net).unwrap();
        let flow = FlowSolver::default().solve(&net).unwrap();
        prop_assert_eq!(flow.objective, lp.objective);
    }
}

/// C5: solvers in several threads at once give the same answers as one after another.
#[test]
fn threads_agree_with_serial_runs() {
    let nets: Vec<Network> = (0..8u64)
        .map(|seed| {
            let data = duijie::generate::generate(&duijie::generate::Shape::tiny(), seed);
            let instance = duijie::Instance::from_data(&data).unwrap();
            duijie::Eligibility::build(&instance).network().clone()
        })
        .collect();
    let serial: Vec<(i64, i64)> = nets
        .iter()
        .map(|n| {
            let f = FlowSolver::default().solve(n).unwrap();
            let l = LpSolver::new(LpBackend::Microlp).solve(n).unwrap();
            (f.objective, l.objective)
        })
        .collect();
    let parallel: Vec<(i64, i64, Vec<i64>)> = std::thread::scope(|s| {
        let handles: Vec<_> = nets
            .iter()
            .map(|n| {
                s.spawn(move || {
                    let f = FlowSolver::default().solve(n).unwrap();
                    let l = LpSolver::new(LpBackend::Microlp).solve(n).unwrap();
                    (f.objective, l.objective, f.flow)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for ((f, l, flow), (sf, sl)) in parallel.iter().zip(&serial) {
        assert_eq!((f, l), (sf, sl));
        assert_eq!(f, sl);
        assert!(!flow.is_empty() || *f == 0);
    }
    let again: Vec<Vec<i64>> = nets
        .iter()
        .map(|n| FlowSolver::default().solve(n).unwrap().flow)
        .collect();
    assert!(
        parallel.iter().zip(&again).all(|(p, a)| &p.2 == a),
        "byte-equal flows"
    );
}
