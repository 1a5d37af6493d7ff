//! The order lifecycle: the sample stream, and random streams that must never reach an illegal
//! state, leave rejected commands without trace, replay to the same state, and keep the open
//! allocation optimal (checked with the LP backend).

use duijie::generate::{generate, Rng, Shape};
use duijie::orders::{Ledger, OrderState, TicketState};
use duijie::solve::{FlowSolver, LpBackend, LpSolver};
use duijie::Instance;
use proptest::prelude::*;
use std::path::Path;

fn sample() -> (Instance, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    let instance =
        Instance::from_json_str(&std::fs::read_to_string(dir.join("jianwai.json")).unwrap())
            .unwrap();
    (
        instance,
        std::fs::read_to_string(dir.join("orders.jsonl")).unwrap(),
    )
}

#[test]
fn the_sample_stream() {
    let (instance, stream) = sample();
    let mut ledger = Ledger::new(instance.clone()).unwrap();
    let mut rejected = Vec::new();
    for (k, line) in stream.lines().enumerate() {
        if let Err(e) = ledger.apply_line(line) {
            rejected.push((k + 1, e.to_string()));
        }
    }
    let lines: Vec<usize> = rejected.iter().map(|r| r.0).collect();
    // Rating before completion, a double accept, a claim beyond the open units, a need in an
    // unknown area, an unknown order, a truncated line, time going backwards.
    assert_eq!(lines, [5, 9, 10, 15, 16, 17, 18], "{rejected:#?}");
    assert_eq!(
        ledger.events().len(),
        stream.lines().count() - rejected.len()
    );
    let n01 = ledger.order("N01").unwrap();
    assert_eq!((n01.state, n01.score), (OrderState::Rated, Some(5)));
    assert!(n01.tickets.iter().all(|t| t.state == TicketState::Done));
    assert_eq!(ledger.order("N06").unwrap().state, OrderState::Cancelled);
    let summary = ledger.summary();
    assert_eq!(summary.points.get("M-001"), Some(&30));
    assert_eq!(summary.satisfaction.get("CY-JW-01"), Some(&1.0));
    let again = Ledger::replay(instance.clone(), &ledger.events_jsonl().unwrap()).unwrap();
    assert_eq!(again.summary().to_string(), summary.to_string());
    // A log with a gap stops there, naming the line.
    let log = ledger.events_jsonl().unwrap();
    let broken: String = log
        .lines()
        .enumerate()
        .filter(|(k, _)| *k != 2)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let err = Ledger::replay(instance, &broken).unwrap_err();
    assert_eq!(err.line, 3);
}

/// A random command line over the ledger's orders and resources (and some unknown ones).
/// A hand-written hostile stream (`tests/data/adversarial.jsonl`): unknown orders and
/// resources, double accepts, ratings before completion or out of range, claims beyond the open
/// units or the capacity or with absurd quantities, truncated and non-object lines, unknown or
/// repeated fields, impossible dates, time going backwards, invalid needs. Every illegal line is
/// rejected, the legal ones all land, and the state stays consistent and replays.
#[test]
fn an_adversarial_stream() {
    let (instance, _) = sample();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let stream = std::fs::read_to_string(dir.join("adversarial.jsonl")).unwrap();
    let mut ledger = Ledger::new(instance.clone()).unwrap();
    let mut rejected = Vec::new();
    for (k, line) in stream.lines().enumerate() {
        let before = (ledger.summary().to_string(), ledger.events().len());
        if let Err(e) = ledger.apply_line(line) {
            assert!(!e.to_string().contains('\n'), "line {}: {e}", k + 1);
            assert_eq!(
                (ledger.summary().to_string(), ledger.events().len()),
                before
            );
            rejected.push(k + 1);
        }
        ledger.check_dispatch().unwrap();
        check_invariants(&ledger);
    }
    let legal = [2, 6, 26, 27, 29, 30, 36, 45, 47, 48, 51, 54, 56, 57, 58];
    let expected: Vec<usize> = (1..=58).filter(|k| !legal.contains(k)).collect();
    assert_eq!(rejected, expected);
    assert_eq!(ledger.events().len(), legal.len());
    let n04 = ledger.order("N04").unwrap();
    assert_eq!((n04.state, n04.score), (OrderState::Rated, Some(4)));
    assert_eq!(ledger.order("N21").unwrap().state, OrderState::Rejected);
    assert_eq!(ledger.order("N06").unwrap().state, OrderState::Cancelled);
    let again = Ledger::replay(instance, &ledger.events_jsonl().unwrap()).unwrap();
    assert_eq!(again.summary().to_string(), ledger.summary().to_string());
}

fn command(rng: &mut Rng, ledger: &Ledger, minute: &mut i64, posted: &mut usize) -> String {
    let orders: Vec<String> = ledger
        .orders()
        .iter()
        .map(|o| o.id.clone())
        .chain(["NOPE".to_owned()])
        .collect();
    let resources: Vec<String> = ledger
        .instance()
        .resources()
        .iter()
        .map(|r| r.id.clone())
        .chain(["NOBODY".to_owned()])
        .collect();
    let pick = |rng: &mut Rng, v: &[String]| v[rng.range(0, v.len() as i64 - 1) as usize].clone();
    *minute += if rng.chance(0.05) {
        -30
    } else {
        rng.range(0, 600)
    };
    // 2027, in months of 28 days (enough for 1,600 commands).
    let day = (*minute / 1440).clamp(0, 12 * 28 - 1);
    let at = format!(
        "2027-{:02}-{:02}T{:02}:{:02}:00",
        1 + day / 28,
        1 + day % 28,
        (*minute / 60) % 24,
        minute.rem_euclid(60)
    );
    let (o, r) = (pick(rng, &orders), pick(rng, &resources));
    let rng = &mut *rng;
    // Mostly aim at orders and tickets in the state the command needs, so that streams go
    // somewhere; sometimes at anything.
    let aim = rng.chance(0.7);
    let ticket_in = |rng: &mut Rng, states: &[TicketState]| {
        let all: Vec<(String, String)> = ledger
            .orders()
            .iter()
            .flat_map(|o| {
                o.tickets
                    .iter()
                    .filter(|t| states.contains(&t.state))
                    .map(move |t| (o.id.clone(), t.resource.clone()))
            })
            .collect();
        match (aim, all.is_empty()) {
            (true, false) => all[rng.range(0, all.len() as i64 - 1) as usize].clone(),
            _ => (o.clone(), r.clone()),
        }
    };
    let order_in = |rng: &mut Rng, state: OrderState| {
        let all: Vec<String> = ledger
            .orders()
            .iter()
            .filter(|x| x.state == state)
            .map(|x| x.id.clone())
            .collect();
        match (aim, all.is_empty()) {
            (true, false) => all[rng.range(0, all.len() as i64 - 1) as usize].clone(),
            _ => o.clone(),
        }
    };
    match rng.range(0, 12) {
        0 => {
            *posted += 1;
            let areas: Vec<String> = ledger
                .instance()
                .areas()
                .iter()
                .map(|(_, a)| a.id.clone())
                .collect();
            let cats: Vec<String> = (0..ledger.instance().categories().len())
                .map(|c| ledger.instance().categories().name(c as u32).to_owned())
                .collect();
            format!(
                r#"{{"cmd": "post", "at": "{at}", "by": "h", "need": {{"id": "P{posted}", "area": "{}", "category": "{}", "quantity": {}}}}}"#,
                pick(rng, &areas),
                pick(rng, &cats),
                rng.range(0, 4)
            )
        }
        1 => {
            let o = order_in(rng, OrderState::Posted);
            format!(
                r#"{{"cmd": "review", "at": "{at}", "by": "c", "order": "{o}", "approve": {}}}"#,
                rng.chance(0.8)
            )
        }
        2 => {
            let (to, tr) = ticket_in(rng, &[TicketState::Offered]);
            format!(
                r#"{{"cmd": "accept", "at": "{at}", "by": "r", "order": "{to}", "resource": "{tr}"}}"#
            )
        }
        3 => {
            let (to, tr) = ticket_in(rng, &[TicketState::Offered]);
            format!(
                r#"{{"cmd": "decline", "at": "{at}", "by": "r", "order": "{to}", "resource": "{tr}"}}"#
            )
        }
        4 => {
            let o = order_in(rng, OrderState::Listed);
            format!(
                r#"{{"cmd": "claim", "at": "{at}", "by": "r", "order": "{o}", "resource": "{r}", "quantity": {}}}"#,
                rng.range(0, 3)
            )
        }
        5 => {
            let (to, tr) = ticket_in(rng, &[TicketState::Accepted]);
            format!(
                r#"{{"cmd": "agree", "at": "{at}", "by": "r", "order": "{to}", "resource": "{tr}", "schedule": "周三"}}"#
            )
        }
        6 => {
            let (to, tr) = ticket_in(rng, &[TicketState::Accepted, TicketState::Agreed]);
            format!(
                r#"{{"cmd": "complete", "at": "{at}", "by": "r", "order": "{to}", "resource": "{tr}"}}"#
            )
        }
        7 => {
            let o = order_in(rng, OrderState::Completed);
            format!(
                r#"{{"cmd": "rate", "at": "{at}", "by": "h", "order": "{o}", "score": {}}}"#,
                rng.range(0, 6)
            )
        }
        8 => {
            let (to, tr) = ticket_in(rng, &[TicketState::Accepted, TicketState::Agreed]);
            format!(
                r#"{{"cmd": "withdraw", "at": "{at}", "by": "r", "order": "{to}", "resource": "{tr}"}}"#
            )
        }
        9 => format!(
            r#"{{"cmd": "cancel", "at": "{at}", "by": "c", "order": "{}"}}"#,
            if rng.chance(0.3) {
                o.clone()
            } else {
                order_in(rng, OrderState::Posted)
            }
        ),
        10 => format!(r#"{{"cmd": "tick", "at": "{at}", "by": "clock"}}"#),
        _ => format!(r#"{{"cmd": "accept", "at": "{at}", "by": "r", "order": "{o}""#),
    }
}

fn check_invariants(ledger: &Ledger) {
    let instance = ledger.instance();
    let mut committed = vec![0i64; instance.resources().len()];
    let mut offered = vec![0i64; instance.resources().len()];
    for o in ledger.orders() {
        let total: i64 = o.tickets.iter().map(|t| t.quantity).sum();
        assert!(
            total <= o.need.quantity,
            "order {} holds {total} > {}",
            o.id,
            o.need.quantity
        );
        match o.state {
            OrderState::Completed | OrderState::Rated => {
                assert!(o.tickets.iter().all(|t| t.state == TicketState::Done))
            }
            OrderState::Posted | OrderState::Rejected => assert!(o.tickets.is_empty()),
            OrderState::Cancelled => {
                assert!(o.tickets.iter().all(|t| t.state == TicketState::Done))
            }
            OrderState::Listed => {}
        }
        assert_eq!(o.score.is_some(), o.state == OrderState::Rated);
        for t in &o.tickets {
            assert!(t.quantity > 0 && t.value > 0);
            let j = instance.find_resource(&t.resource).unwrap().get();
            if t.state == TicketState::Offered {
                offered[j] += t.quantity;
            } else {
                committed[j] += t.quantity;
            }
        }
    }
    for (j, r) in instance.resources().iter().enumerate() {
        assert!(
            committed[j] + offered[j] <= i64::from(r.capacity),
            "resource {} over capacity",
            r.id
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_streams(seed in any::<u64>(), steps in 1usize..60) {
        let instance = Instance::from_data(&generate(&Shape::tiny(), seed % 7)).unwrap();
        let mut ledger = Ledger::new(instance.clone()).unwrap();
        let lp = LpSolver::new(LpBackend::Microlp);
        let (mut rng, mut minute, mut posted) = (Rng::new(seed), 0i64, 0usize);
        let mut stream = Vec::new();
        for _ in 0..steps {
            let line = command(&mut rng, &ledger, &mut minute, &mut posted);
            let before = (ledger.summary().to_string(), ledger.events().len());
            let whole = format!("{ledger:?}");
            match ledger.apply_line(&line) {
                Ok(()) => {
                    prop_assert_eq!(ledger.events().len(), before.1 + 1);
                    let (value, optimum) = ledger.check_open_allocation(&lp).unwrap();
                    prop_assert_eq!(value, optimum, "open allocation after {}", line);
                    let proof = ledger.check_dispatch();
                    prop_assert!(proof.is_ok(), "{:?} after {}", proof, line);
                }
                Err(_) => {
                    prop_assert_eq!((ledger.summary().to_string(), ledger.events().len()), before);
                    // Nothing at all changed, the live dispatch's flows and prices included.
                    prop_assert!(format!("{ledger:?}") == whole, "a rejected {} left a trace", line);
                }
            }
            check_invariants(&ledger);
            stream.push(line);
        }
        let again = Ledger::replay(instance, &ledger.events_jsonl().unwrap()).unwrap();
        prop_assert_eq!(again.summary().to_string(), ledger.summary().to_string());
    }
}

/// A street-scale ledger (2,500 orders, 129,180 pairs): long repair paths. After every accepted
/// command the live optimality proof holds and offers equal the flow; every tenth, the open
/// allocation equals a cold network-simplex solve.
#[test]
fn a_street_scale_stream() {
    let instance = Instance::from_data(&generate(&Shape::street(), 3)).unwrap();
    let mut ledger = Ledger::new(instance).unwrap();
    let (mut rng, mut minute, mut posted) = (Rng::new(3), 0i64, 0usize);
    let mut accepted = 0;
    for step in 0..900 {
        let line = command(&mut rng, &ledger, &mut minute, &mut posted);
        if ledger.apply_line(&line).is_ok() {
            accepted += 1;
            ledger.check_dispatch().unwrap();
            if step % 10 == 0 {
                let (value, optimum) = ledger
                    .check_open_allocation(&FlowSolver::default())
                    .unwrap();
                assert_eq!(value, optimum, "after {line}");
            }
        }
    }
    check_invariants(&ledger);
    eprintln!("D2 street stream: {accepted} of 900 commands landed");
    assert!(accepted > 100, "only {accepted} of 900 commands landed");
}

/// A claim on an order nobody may serve, in a ledger without a single eligible pair: rejected,
/// not a panic.
#[test]
fn a_claim_where_nothing_is_eligible() {
    let instance = Instance::from_json_str(
        r#"{"areas": [{"id": "C", "level": "community"}],
            "needs": [{"id": "N1", "area": "C", "category": "health", "quantity": 1}],
            "resources": [{"id": "R1", "kind": "member", "home": "C", "categories": ["repair"],
                           "capacity": 1}]}"#,
    )
    .unwrap();
    let mut ledger = Ledger::new(instance).unwrap();
    let claim = r#"{"cmd": "claim", "at": "2026-12-01T08:00:00", "by": "R1", "order": "N1", "resource": "R1", "quantity": 1}"#;
    let err = ledger.apply_line(claim).unwrap_err();
    assert!(err.to_string().contains("may not serve"), "{err}");
    ledger.check_dispatch().unwrap();
}
