//! The order ledger under live dispatch, at street and district scale (seeded generator,
//! seed 1; the district ledger holds ~100,000 listed orders):
//! - `post-review`: a new order is posted and listed, which dispatches its units;
//! - `decline`: an outstanding offer is declined, which re-dispatches its units.
//!
//! Each is measured twice: by criterion (mean and spread), and as a latency distribution over
//! 1,000 consecutive commands (median, p99, max), printed next to a cold solve of the same
//! open network by the flow solver in the same run, for the ratio.
//!
//! ```text
//! cargo bench --bench orders
//! cargo bench --bench orders -- district
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use duijie::generate::{generate, Shape};
use duijie::orders::{Ledger, TicketState};
use duijie::solve::FlowSolver;
use duijie::Instance;
use std::time::{Duration, Instant};

/// The time of every command but the last tick, which comes a day later.
const AT: &str = "2026-12-01T08:00:00";

fn ledger(shape: &Shape) -> Ledger {
    let instance = match Instance::from_data(&generate(shape, 1)) {
        Ok(i) => i,
        Err(e) => panic!("the generator made an invalid instance: {e}"),
    };
    match Ledger::new(instance) {
        Ok(l) => l,
        Err(e) => panic!("first dispatch: {e}"),
    }
}

/// Commands that post and list a new order shaped like an existing need (id `NEW{k}`), and
/// the command that cancels it again (untimed, so that the ledger keeps its size).
fn post_review(ledger: &Ledger, k: usize) -> ([String; 2], String) {
    let orders = ledger.orders();
    let mut need = serde_json::to_value(&orders[k * 7919 % orders.len()].need).unwrap_or_default();
    need["id"] = format!("NEW{k}").into();
    (
        [
            format!(r#"{{"cmd": "post", "at": "{AT}", "by": "h", "need": {need}}}"#),
            format!(
                r#"{{"cmd": "review", "at": "{AT}", "by": "c", "order": "NEW{k}", "approve": true}}"#
            ),
        ],
        format!(r#"{{"cmd": "cancel", "at": "{AT}", "by": "h", "order": "NEW{k}"}}"#),
    )
}

/// Posts and lists one new order, timed, and cancels it again, untimed.
fn post_review_timed(ledger: &mut Ledger, posted: &mut usize) -> Duration {
    *posted += 1;
    let (lines, cancel) = post_review(ledger, *posted);
    let time = timed(ledger, &lines);
    timed(ledger, &[cancel]);
    time
}

/// A decline of the first outstanding offer of the `k`-th order (cyclically) that has one;
/// `None` once every pair has been declined.
fn decline(ledger: &Ledger, k: &mut usize) -> Option<String> {
    let orders = ledger.orders();
    for _ in 0..orders.len() {
        *k = (*k + 7919) % orders.len();
        let o = &orders[*k];
        if let Some(t) = o.tickets.iter().find(|t| t.state == TicketState::Offered) {
            return Some(format!(
                r#"{{"cmd": "decline", "at": "{AT}", "by": "r", "order": "{}", "resource": "{}"}}"#,
                o.id, t.resource
            ));
        }
    }
    None
}

/// Applies `lines` and returns how long that took; a rejection is a bench bug.
fn timed(ledger: &mut Ledger, lines: &[String]) -> Duration {
    let start = Instant::now();
    for line in lines {
        if let Err(e) = ledger.apply_line(line) {
            panic!("{line}: {e}");
        }
    }
    start.elapsed()
}

fn report(name: &str, mut times: Vec<Duration>, cold: Duration) {
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    eprintln!(
        "{name}: {} commands, median {:.3} ms, p99 {:.3} ms, max {:.3} ms; cold solve of the \
         open network {:.1} ms ({:.0}× the median)",
        times.len(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0)),
        ms(cold),
        cold.as_secs_f64() / at(0.5).as_secs_f64(),
    );
}

fn orders(c: &mut Criterion) {
    for (name, shape) in [("street", Shape::street()), ("district", Shape::district())] {
        let mut ledger = ledger(&shape);
        let start = Instant::now();
        if let Err(e) = ledger.check_open_allocation(&FlowSolver::default()) {
            panic!("cold solve: {e}");
        }
        let cold = start.elapsed();
        let searches = ledger.dispatch_searches();

        let mut posted = 0;
        let times = (0..1000)
            .map(|_| post_review_timed(&mut ledger, &mut posted))
            .collect();
        report(&format!("orders/{name}/post-review"), times, cold);
        let mut k = 0;
        let times = (0..1000)
            .map(|_| {
                let line = decline(&ledger, &mut k).expect("1,000 declines fit in any scale");
                timed(&mut ledger, &[line])
            })
            .collect();
        report(&format!("orders/{name}/decline"), times, cold);
        eprintln!(
            "orders/{name}: {} shortest-path searches for 2,000 commands",
            ledger.dispatch_searches() - searches
        );
        let n = ledger.orders().len();
        let ids: Vec<String> = (0..1000)
            .map(|k| ledger.orders()[k * 7919 % n].id.clone())
            .collect();
        let times = ids
            .iter()
            .map(|id| {
                let start = Instant::now();
                let ranked = ledger.recommend(id).map_or(0, |r| r.len());
                std::hint::black_box(ranked);
                start.elapsed()
            })
            .collect();
        report(&format!("orders/{name}/recommend"), times, cold);
        let mut group = c.benchmark_group(format!("orders/{name}"));
        group.sample_size(20).warm_up_time(Duration::from_secs(1));
        group.bench_function("post-review", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| post_review_timed(&mut ledger, &mut posted))
                    .sum::<Duration>()
            })
        });
        group.bench_function("decline", |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        // Criterion may run more declines than a street has pairs: start over
                        // (untimed) when none is left.
                        let line = decline(&ledger, &mut k).unwrap_or_else(|| {
                            ledger = self::ledger(&shape);
                            decline(&ledger, &mut k).expect("a fresh ledger has offers")
                        });
                        timed(&mut ledger, &[line])
                    })
                    .sum::<Duration>()
            })
        });
        group.finish();
        // A day later every offer made above has expired: one tick re-dispatches them all.
        let expired = ledger
            .orders()
            .iter()
            .flat_map(|o| &o.tickets)
            .filter(|t| t.state == TicketState::Offered && t.since.is_some())
            .count();
        let tick = r#"{"cmd": "tick", "at": "2026-12-02T09:00:00", "by": "clock"}"#.to_owned();
        let time = timed(&mut ledger, &[tick]);
        eprintln!(
            "orders/{name}/tick: {expired} offers expired and re-dispatched in {:.1} ms",
            time.as_secs_f64() * 1e3
        );
    }
}

criterion_group!(benches, orders);
criterion_main!(benches);
