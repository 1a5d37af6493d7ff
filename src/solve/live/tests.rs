//! The live flow against cold solves: after every change and repair the flow must carry its own
//! optimality proof (`verify`) and reach the optimum the network simplex finds for the same
//! problem; a cold re-solve must agree; a rolled-back transaction must leave no trace; a
//! network rebuilt from its parts with other arc numbers must make the same repairs.

use super::{LeftPart, LiveError, LiveFlow, ProofError, Rebuild, RightPart};
use crate::generate::Rng;
use crate::parallel::Threads;
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
    let i = live.add_left(2, [(0, 30)]);
    live.repair().unwrap();
    live.commit();
    assert_eq!(live.objective(), 60);
    assert_eq!(live.arc(live.find(i, 0).unwrap()).flow(), 2);
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

/// One change, as the ledger makes them, naming arcs by their ends (so that it applies to
/// any numbering of the same network).
#[derive(Debug, Clone)]
enum Change {
    AddLeft(i64, Vec<(u32, i64)>),
    RemoveArc(u32, u32),
    SetSupply(u32, i64),
    SetCapacity(u32, i64),
    SetUnits(u32, u32, i64),
    Pin(u32, u32, i64),
    RemoveLeft(u32),
    AddRight(i64, Vec<(u32, i64)>),
    RemoveRight(u32),
    AddArc(u32, u32, i64),
    SetValue(u32, u32, i64),
    SetBonus(i64),
}

/// A random change to `live`.
fn change(rng: &mut Rng, live: &LiveFlow, max_v: i64) -> Change {
    let (n, m) = (live.lefts() as i64, live.rights() as i64);
    let alive_lefts: Vec<u32> = (0..n as u32).filter(|&i| live.left_alive(i)).collect();
    if alive_lefts.is_empty() {
        return Change::AddLeft(rng.range(1, 4), Vec::new());
    }
    let left = alive_lefts[rng.range(0, alive_lefts.len() as i64 - 1) as usize];
    let right = rng.range(0, m - 1) as u32;
    let arc = (!live.arcs_of(left).is_empty()).then(|| {
        let list = live.arcs_of(left);
        live.arc(list[rng.range(0, list.len() as i64 - 1) as usize])
            .right
    });
    let alive = |j: u32| live.right[j as usize].alive;
    match (rng.range(0, 13), arc) {
        (0 | 1, _) => {
            let mut arcs = Vec::new();
            for j in 0..m as u32 {
                if alive(j) && rng.chance(0.4) {
                    arcs.push((j, rng.range(1, max_v)));
                }
            }
            Change::AddLeft(rng.range(1, 4), arcs)
        }
        (2, Some(j)) => Change::RemoveArc(left, j),
        (3, _) => Change::SetSupply(left, rng.range(0, 5)),
        (4, _) if alive(right) => Change::SetCapacity(right, rng.range(0, 5)),
        (5, Some(j)) => Change::SetUnits(left, j, rng.range(0, 3)),
        (6, Some(j)) => Change::Pin(left, j, rng.range(1, 3)),
        (7, _) => {
            let mut arcs = Vec::new();
            for &i in &alive_lefts {
                if rng.chance(0.4) {
                    arcs.push((i, rng.range(1, max_v)));
                }
            }
            Change::AddRight(rng.range(0, 4), arcs)
        }
        (8, _) if alive(right) && m > 1 => Change::RemoveRight(right),
        (9, _) if alive(right) && live.find(left, right).is_none() => {
            Change::AddArc(left, right, rng.range(1, max_v))
        }
        (10, Some(j)) => Change::SetValue(left, j, rng.range(1, max_v)),
        (11, _) if rng.chance(0.2) => Change::SetBonus(rng.range(0, 30)),
        _ => Change::RemoveLeft(left),
    }
}

fn apply(live: &mut LiveFlow, c: &Change) {
    let arc = |live: &LiveFlow, i: u32, j: u32| live.find(i, j).unwrap();
    match c {
        Change::AddLeft(s, arcs) => {
            live.add_left(*s, arcs.iter().copied());
        }
        Change::RemoveArc(i, j) => live.remove_arc(arc(live, *i, *j)),
        Change::SetSupply(i, s) => live.set_supply(*i, *s),
        Change::SetCapacity(j, c) => live.set_capacity(*j, *c),
        Change::SetUnits(i, j, q) => live.set_units(arc(live, *i, *j), *q),
        Change::Pin(i, j, q) => {
            let a = arc(live, *i, *j);
            if live.arc(a).flow > 0 {
                live.pin(a, (*q).min(live.arc(a).flow()));
            }
        }
        Change::RemoveLeft(i) => live.remove_left(*i),
        Change::AddRight(c, arcs) => {
            let j = live.add_right(*c);
            for &(i, v) in arcs {
                if live.find(i, j).is_none() {
                    live.add_arc(i, j, v);
                }
            }
        }
        Change::RemoveRight(j) => live.remove_right(*j),
        Change::AddArc(i, j, v) => {
            live.add_arc(*i, *j, *v);
        }
        Change::SetValue(i, j, v) => live.set_value(arc(live, *i, *j), *v),
        Change::SetBonus(b) => live.set_bonus(*b),
    }
}

fn optimum(live: &LiveFlow) -> i64 {
    FlowSolver::default()
        .solve(&live.to_network())
        .unwrap()
        .objective
}

/// Repairs, then puts the bonus on the new flow (as the ledger does with its offers), which
/// must move nothing.
fn repair_and_rebase(live: &mut LiveFlow) -> Result<(), String> {
    let changed = live.repair().map_err(|e| e.to_string())?;
    for a in changed {
        if live.arc(a).live {
            live.set_units(a, live.arc(a).flow());
        }
    }
    let flows = |live: &LiveFlow| -> Vec<i64> { live.arcs.iter().map(|a| a.flow()).collect() };
    let before = flows(live);
    live.repair().map_err(|e| e.to_string())?;
    if flows(live) != before {
        return Err("re-basing moved flow".into());
    }
    live.commit();
    Ok(())
}

/// Puts the bonus on every flowing arc (as the ledger does when it starts).
fn rebase_all(live: &mut LiveFlow) {
    let arcs: Vec<u32> = (0..live.lefts() as u32)
        .flat_map(|i| live.arcs_of(i).to_vec())
        .collect();
    // Lowered before raised, as the ledger does, so that no raise meets the supply cap.
    for &a in &arcs {
        if live.arc(a).units() > live.arc(a).flow() {
            live.set_units(a, live.arc(a).flow());
        }
    }
    for &a in &arcs {
        live.set_units(a, live.arc(a).flow());
    }
    let before: Vec<i64> = live.arcs.iter().map(|a| a.flow()).collect();
    live.repair().unwrap();
    assert_eq!(
        live.arcs.iter().map(|a| a.flow()).collect::<Vec<_>>(),
        before
    );
    live.commit();
}

/// The network's flows and potentials by node, whatever its arc numbers.
fn canonical(live: &LiveFlow) -> String {
    let mut arcs: Vec<(u32, u32, i64, i64, i64)> = (0..live.lefts() as u32)
        .flat_map(|i| live.arcs_of(i).iter().map(|&a| *live.arc(a)))
        .map(|a| (a.left, a.right, a.value, a.flow(), a.units()))
        .collect();
    arcs.sort_unstable();
    let (lefts, rights, fl, fr) = live.snapshot_parts();
    format!(
        "{arcs:?} {lefts:?} {rights:?} {fl:?} {fr:?} {}",
        live.bonus()
    )
}

/// A network rebuilt from these parts, arcs `(left, right, value, flow)`, its lists filled on
/// up to `threads`.
fn rebuild(
    bonus: i64,
    lefts: &[LeftPart],
    rights: &[RightPart],
    arcs: &[(u32, u32, i64, i64)],
    (free_left, free_right): (Vec<u32>, Vec<u32>),
    threads: Threads,
) -> Result<LiveFlow, ProofError> {
    let mut b = Rebuild::new(bonus, lefts, rights);
    for &(i, j, value, flow) in arcs {
        b.arc(i, j, value, flow)?;
    }
    b.finish(free_left, free_right, threads)
}

/// `live` rebuilt from its parts with its arcs numbered anew (its left nodes taken in a
/// shuffled order; its lists filled on one thread or two).
fn rebuilt(live: &LiveFlow, rng: &mut Rng) -> LiveFlow {
    let mut order: Vec<u32> = (0..live.lefts() as u32).collect();
    for k in (1..order.len()).rev() {
        order.swap(k, rng.range(0, k as i64) as usize);
    }
    let arcs: Vec<(u32, u32, i64, i64)> = order
        .iter()
        .flat_map(|&i| live.arcs_of(i).iter().map(|&a| *live.arc(a)))
        .map(|a| (a.left, a.right, a.value, a.flow()))
        .collect();
    let (lefts, rights, fl, fr) = live.snapshot_parts();
    let threads = Threads::new(rng.range(1, 2) as usize);
    let free = (fl.to_vec(), fr.to_vec());
    let copy = rebuild(live.bonus(), &lefts, &rights, &arcs, free, threads).unwrap();
    copy.verify().unwrap();
    copy
}

/// Settles imbalances one by one, in primal-dual phases, or by solving the network again, a
/// third of the networks each.
fn settle_by(live: &mut LiveFlow, rng: &mut Rng) {
    match rng.range(0, 2) {
        0 => live.set_batch_from(1),
        1 => live.set_batch_from(usize::MAX),
        _ => live.set_cold_from(1),
    }
    if live.cold_from.is_none() {
        live.set_cold_from(usize::MAX);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Random change sequences, with the bonus following the flow after each repair (as the
    /// ledger does with its offers) or left where the changes put it; now and then a change
    /// is rolled back instead, which must restore the network exactly.
    #[test]
    fn repairs_reach_the_optimum(seed in any::<u64>(), steps in 1usize..40, bonus in 0i64..30) {
        let mut rng = Rng::new(seed);
        let (n, m) = (rng.range(1, 8) as usize, rng.range(1, 8) as usize);
        let max_v = rng.range(1, 60);
        let net = network(&mut rng, n, m, 0.4, max_v);
        let mut live = LiveFlow::solve(&net, bonus).unwrap();
        live.verify().unwrap();
        // Imbalances settled one by one, together in primal-dual phases, or by solving again.
        settle_by(&mut live, &mut rng);
        let rebase = rng.chance(0.7);
        let mut log = Vec::new();
        for _ in 0..steps {
            let c = change(&mut rng, &live, max_v);
            if rng.chance(0.15) {
                let before = format!("{live:?}");
                apply(&mut live, &c);
                if rng.chance(0.5) {
                    live.repair().unwrap();
                }
                live.rollback();
                prop_assert!(format!("{live:?}") == before, "rollback of {c:?} after {log:#?}");
                continue;
            }
            apply(&mut live, &c);
            log.push(c);
            if rebase {
                let r = repair_and_rebase(&mut live);
                prop_assert!(r.is_ok(), "{r:?} after {log:#?}");
            } else {
                live.repair().unwrap();
                live.commit();
            }
            prop_assert!(live.verify().is_ok(), "{:?} after {log:#?}", live.verify());
            prop_assert_eq!(live.objective(), optimum(&live), "after {:#?}", log);
        }
        let value = live.objective();
        live.resolve().unwrap();
        live.commit();
        prop_assert!(live.verify().is_ok());
        prop_assert_eq!(live.objective(), value);
    }

    /// A network rebuilt from its parts, with its arcs numbered anew, makes exactly the same
    /// repairs as the original under the same changes.
    #[test]
    fn a_rebuilt_network_repairs_alike(seed in any::<u64>(), steps in 1usize..30) {
        let mut rng = Rng::new(seed);
        let (n, m) = (rng.range(2, 10) as usize, rng.range(1, 6) as usize);
        let net = network(&mut rng, n, m, 0.6, 4);
        let mut live = LiveFlow::solve(&net, rng.range(0, 3)).unwrap();
        settle_by(&mut live, &mut rng);
        rebase_all(&mut live);
        let mut log = Vec::new();
        for _ in 0..steps {
            let c = change(&mut rng, &live, 4);
            apply(&mut live, &c);
            log.push(c);
            live.repair().unwrap();
            rebase_all(&mut live);
        }
        let mut copy = rebuilt(&live, &mut rng);
        copy.set_batch_from(live.batch_from);
        copy.cold_from = live.cold_from;
        prop_assert_eq!(canonical(&copy), canonical(&live));
        for _ in 0..steps {
            let c = change(&mut rng, &live, 4);
            apply(&mut live, &c);
            apply(&mut copy, &c);
            live.repair().unwrap();
            copy.repair().unwrap();
            rebase_all(&mut live);
            rebase_all(&mut copy);
            log.push(c);
            prop_assert_eq!(canonical(&copy), canonical(&live), "after {:#?}", log);
        }
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
        settle_by(&mut live, &mut rng);
        for _ in 0..30 {
            let c = change(&mut rng, &live, 3);
            apply(&mut live, &c);
            repair_and_rebase(&mut live).unwrap();
            live.verify().unwrap();
            assert_eq!(live.objective(), optimum(&live), "seed {seed}");
        }
    }
}

/// The cold restart: repairs forced to restart from zero flow part-way (as potentials beyond
/// the guard make them) still end optimal and proven, and `resolve` agrees with the live
/// optimum; with a guard too low for any flow, the repair fails with a typed error instead.
#[test]
fn restarts_from_zero_flow_stay_optimal() {
    let mut restarts = 0;
    for seed in 0..200 {
        let mut rng = Rng::new(seed);
        let net = network(&mut rng, 8, 5, 0.6, 40);
        let mut live = LiveFlow::solve(&net, 7).unwrap();
        rebase_all(&mut live);
        for _ in 0..20 {
            let c = change(&mut rng, &live, 40);
            apply(&mut live, &c);
            live.force_restart_after(Some(rng.range(1, 3) as u64));
            let before = live.restarts();
            repair_and_rebase(&mut live).unwrap();
            restarts += live.restarts() - before;
            live.force_restart_after(None);
            live.verify().unwrap();
            assert_eq!(live.objective(), optimum(&live), "seed {seed}");
        }
        let value = live.objective();
        live.resolve().unwrap();
        live.commit();
        live.verify().unwrap();
        assert_eq!(live.objective(), value);
        // A guard no flow can keep: the repair fails, typed, and rolls back.
        let before = format!("{live:?}");
        live.set_potential_limit(0);
        apply(&mut live, &Change::AddLeft(3, vec![(0, 41)]));
        if let Err(e) = live.repair() {
            assert_eq!(e, LiveError::PotentialRange);
        }
        live.rollback();
        live.set_potential_limit(super::POTENTIAL_LIMIT);
        assert_eq!(format!("{live:?}"), before);
    }
    eprintln!("live restarts: {restarts} repairs restarted from zero flow, all optimal");
    assert!(restarts > 500, "only {restarts} restarts");
}

/// A search that fails is reported as a typed error, and the rollback leaves no trace.
#[test]
fn a_failed_search_is_an_error_and_rolls_back() {
    let mut failed = 0;
    for seed in 0..100 {
        let mut rng = Rng::new(seed);
        let net = network(&mut rng, 6, 4, 0.6, 20);
        let mut live = LiveFlow::solve(&net, 5).unwrap();
        rebase_all(&mut live);
        let before = format!("{live:?}");
        let c = change(&mut rng, &live, 20);
        live.fail_search_after(Some(1));
        apply(&mut live, &c);
        let result = live.repair();
        live.rollback();
        live.fail_search_after(None);
        assert_eq!(format!("{live:?}"), before, "{c:?}");
        // A change that needed no search succeeds.
        if let Err(e) = result {
            assert_eq!(e, LiveError::NoPath);
            failed += 1;
        }
        live.verify().unwrap();
    }
    assert!(failed > 10, "only {failed} repairs searched");
}

#[test]
fn rebuild_refuses_parts_that_are_not_optimal() {
    // One arc worth 10, flow 1, but prices that make it look unprofitable.
    let lefts = [LeftPart {
        supply: 1,
        potential: 0,
    }];
    let rights = [RightPart {
        capacity: 1,
        potential: 0,
        alive: true,
    }];
    let free = (vec![], vec![]);
    let err = rebuild(
        0,
        &lefts,
        &rights,
        &[(0, 0, 10, 1)],
        free,
        Threads::serial(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "arc_price");
}
