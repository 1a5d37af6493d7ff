//! The order ledger under live dispatch, at street and district scale (seeded generator,
//! seed 1; the district ledger holds ~100,000 listed orders):
//! - `post-review`: a new order is posted and listed, which dispatches its units (the pair,
//!   and `post` and `review` alone);
//! - `decline`: an outstanding offer is declined, which re-dispatches its units;
//! - `each-command`: the posts, reviews and declines together, one command each;
//! - `recommend` for one order, `summary`, a `tick` a day later that expires the offers made;
//! - a snapshot written and restored; the cold restart of live dispatch (from zero flow);
//! - a durable store's sustained commands per second, fsync per command and group commit.
//!
//! Each command is measured twice: by criterion (mean and spread), and as a latency
//! distribution over 1,000 consecutive commands (median, p99, max), printed next to a cold
//! solve of the same open network by the flow solver in the same run, for the ratio.
//!
//! `year` simulates a year of a district (about 1.2 million orders) through the ledger, as a
//! service would drive it, and prints per month the working set, command latency, tick and
//! summary times, and the peak resident memory. It runs only when asked for, as does `restart`:
//! a district ledger's snapshot restored in a new process, as a service restarts.
//!
//! ```text
//! cargo bench --bench orders
//! cargo bench --bench orders -- district
//! cargo bench --bench orders -- year
//! cargo bench --bench orders -- restart
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use duijie::contract::{NeedData, ResourceData};
use duijie::generate::{generate, Rng, Shape};
use duijie::model::resource::Kind;
use duijie::orders::{
    Action, Command, Ledger, ResourceChange, Rules, Store, StoreOptions, SyncMode, TicketState,
};
use duijie::solve::FlowSolver;
use duijie::Instance;
use std::collections::BinaryHeap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The time of every command but the last tick, which comes a day later.
const AT: &str = "2026-12-01T08:00:00";
/// The last tick's time, when the first offers have expired.
const DAY_LATER: &str = "2026-12-02T09:00:00";

fn instance(shape: &Shape) -> Instance {
    match Instance::from_data(&generate(shape, 1)) {
        Ok(i) => i,
        Err(e) => panic!("the generator made an invalid instance: {e}"),
    }
}

fn ledger(shape: &Shape) -> Ledger {
    match Ledger::new(instance(shape)) {
        Ok(l) => l,
        Err(e) => panic!("first dispatch: {e}"),
    }
}

/// Commands that post and list a new order shaped like an existing need (id `NEW{k}`), and
/// the command that cancels it again (untimed, so that the ledger keeps its size).
fn post_review(ledger: &Ledger, k: usize) -> ([Command; 2], Command) {
    let orders = ledger.orders();
    let mut need = orders[k * 7919 % orders.len()].need.clone();
    need.id = format!("NEW{k}");
    let id = need.id.clone();
    (
        [
            Command::new(AT, "h", Action::Post { need }),
            Command::new(
                AT,
                "c",
                Action::Review {
                    order: id.clone(),
                    approve: true,
                    reason: None,
                },
            ),
        ],
        Command::new(
            AT,
            "h",
            Action::Cancel {
                order: id,
                reason: None,
            },
        ),
    )
}

/// Posts and lists one new order, each command timed, and cancels it again, untimed.
fn post_review_timed(ledger: &mut Ledger, posted: &mut usize) -> [Duration; 2] {
    *posted += 1;
    let ([post, review], cancel) = post_review(ledger, *posted);
    let times = [timed(ledger, post), timed(ledger, review)];
    timed(ledger, cancel);
    times
}

/// A decline of the first outstanding offer of the `k`-th order (cyclically) that has one;
/// `None` once every pair has been declined.
fn decline(ledger: &Ledger, k: &mut usize) -> Option<Command> {
    let orders = ledger.orders();
    for _ in 0..orders.len() {
        *k = (*k + 7919) % orders.len();
        let o = orders[*k];
        if let Some(t) = o.tickets.iter().find(|t| t.state == TicketState::Offered) {
            return Some(Command::new(
                AT,
                "r",
                Action::Decline {
                    order: o.id.clone(),
                    resource: t.resource.clone(),
                    reason: None,
                },
            ));
        }
    }
    None
}

/// Applies `command` and returns how long the ledger took; a rejection is a bench bug (the
/// command's JSON for the message is written before the clock starts).
fn timed(ledger: &mut Ledger, command: Command) -> Duration {
    let text = command.to_json();
    let start = Instant::now();
    let applied = ledger.apply(command);
    let time = start.elapsed();
    if let Err(e) = applied {
        panic!("{text}: {e}");
    }
    time
}

fn quantile(times: &mut [Duration], q: f64) -> Duration {
    times.sort_unstable();
    times[((times.len() - 1) as f64 * q).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(name: &str, mut times: Vec<Duration>, cold: Duration) {
    let (median, p99, max) = (
        quantile(&mut times, 0.5),
        quantile(&mut times, 0.99),
        quantile(&mut times, 1.0),
    );
    eprintln!(
        "{name}: {} commands, median {:.3} ms, p99 {:.3} ms, max {:.3} ms; cold solve of the \
         open network {:.1} ms ({:.0}× the median)",
        times.len(),
        ms(median),
        ms(p99),
        ms(max),
        ms(cold),
        cold.as_secs_f64() / median.as_secs_f64(),
    );
}

/// Resident memory now and at its peak, in MiB (Linux).
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A scratch folder for logs and snapshots.
fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-orders")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    if let Err(e) = std::fs::create_dir_all(&d) {
        panic!("{}: {e}", d.display());
    }
    d
}

/// Sustained commands per second of a durable store on `shape`: post, review, then accept
/// the new order's best offer (or cancel it), and complete what was accepted.
fn durable(name: &str, shape: &Shape, sync: SyncMode, commands: usize) {
    let dir = scratch(&format!("{name}-{sync:?}"));
    let log = dir.join("log.jsonl");
    let (mut store, _) = match Store::open(
        instance(shape),
        Rules::default(),
        &log,
        StoreOptions {
            sync,
            ..StoreOptions::default()
        },
    ) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let templates: Vec<NeedData> = store
        .ledger()
        .orders()
        .iter()
        .map(|o| o.need.clone())
        .collect();
    let apply = |store: &mut Store, c: Command| match store.apply(c) {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    };
    let (mut done, mut k) = (0, 0);
    let start = Instant::now();
    while done < commands {
        k += 1;
        let mut need = templates[k * 7919 % templates.len()].clone();
        let id = format!("NEW{k}");
        need.id = id.clone();
        apply(&mut store, Command::new(AT, "h", Action::Post { need }));
        let review = Action::Review {
            order: id.clone(),
            approve: true,
            reason: None,
        };
        let applied = apply(&mut store, Command::new(AT, "c", review));
        done += 2;
        let offer = applied
            .changes
            .offers
            .iter()
            .find(|o| o.order == id && o.quantity > 0)
            .map(|o| o.resource.clone());
        match offer {
            Some(resource) => {
                let accept = Action::Accept {
                    order: id.clone(),
                    resource: resource.clone(),
                };
                apply(&mut store, Command::new(AT, "r", accept));
                let complete = Action::Complete {
                    order: id,
                    resource,
                };
                apply(&mut store, Command::new(AT, "r", complete));
                done += 2;
            }
            None => {
                let cancel = Action::Cancel {
                    order: id,
                    reason: None,
                };
                apply(&mut store, Command::new(AT, "h", cancel));
                done += 1;
            }
        }
        if sync == SyncMode::Group && k % 16 == 0 {
            if let Err(e) = store.commit() {
                panic!("{e}");
            }
        }
    }
    if let Err(e) = store.commit() {
        panic!("{e}");
    }
    let secs = start.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&log).map_or(0, |m| m.len());
    eprintln!(
        "orders/{name}/durable-{}: {done} commands in {secs:.2} s, {:.0} commands/s ({} KiB of log)",
        match sync {
            SyncMode::EveryCommand => "fsync-per-command",
            SyncMode::Group => "group-commit-every-16-orders",
        },
        done as f64 / secs,
        bytes / 1024
    );
}

fn orders(c: &mut Criterion) {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if filters.iter().any(|f| f == "year") {
        year();
        return;
    }
    if filters.iter().any(|f| f == "restart-child") {
        restart_child();
        return;
    }
    if filters.iter().any(|f| f == "restart") {
        restart();
        return;
    }
    for (name, shape) in [("street", Shape::street()), ("district", Shape::district())] {
        let scales: Vec<&String> = filters.iter().filter(|f| *f != "cold").collect();
        if !scales.is_empty() && !scales.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let start = Instant::now();
        let mut ledger = ledger(&shape);
        eprintln!(
            "orders/{name}/start: instance to dispatched ledger in {:.2} s",
            start.elapsed().as_secs_f64()
        );
        let start = Instant::now();
        if let Err(e) = ledger.check_open_allocation(&FlowSolver::default()) {
            panic!("cold solve: {e}");
        }
        let cold = start.elapsed();
        // The cold restart of live dispatch takes minutes at district scale: there only when
        // asked for (`-- cold`).
        if name == "street" || filters.iter().any(|f| f == "cold") {
            let start = Instant::now();
            match ledger.check_cold_restart() {
                Ok((live, restarted)) if live == restarted => {}
                Ok((live, restarted)) => panic!("cold restart: {restarted} ≠ {live}"),
                Err(e) => panic!("cold restart: {e}"),
            }
            eprintln!(
                "orders/{name}/cold-restart: live dispatch solved again from zero flow by \
                 successive shortest paths in {:.0} ms (the network simplex: {:.0} ms)",
                ms(start.elapsed()),
                ms(cold)
            );
        }
        let searches = ledger.dispatch_searches();

        let mut posted = 0;
        let (posts, reviews): (Vec<Duration>, Vec<Duration>) = (0..1000)
            .map(|_| {
                let [post, review] = post_review_timed(&mut ledger, &mut posted);
                (post, review)
            })
            .unzip();
        let pairs = posts.iter().zip(&reviews).map(|(p, r)| *p + *r).collect();
        report(&format!("orders/{name}/post-review"), pairs, cold);
        report(&format!("orders/{name}/post"), posts.clone(), cold);
        report(&format!("orders/{name}/review"), reviews.clone(), cold);
        let mut k = 0;
        let declines: Vec<Duration> = (0..1000)
            .map(|_| {
                let line = decline(&ledger, &mut k).expect("1,000 declines fit in any scale");
                timed(&mut ledger, line)
            })
            .collect();
        report(&format!("orders/{name}/decline"), declines.clone(), cold);
        let all = [posts, reviews, declines].concat();
        report(&format!("orders/{name}/each-command"), all, cold);
        eprintln!(
            "orders/{name}: {} shortest-path searches for 2,000 commands",
            ledger.dispatch_searches() - searches
        );
        let ids: Vec<String> = {
            let orders = ledger.orders();
            (0..1000)
                .map(|k| orders[k * 7919 % orders.len()].id.clone())
                .collect()
        };
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
                    .map(|_| {
                        post_review_timed(&mut ledger, &mut posted)
                            .iter()
                            .sum::<Duration>()
                    })
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
                        timed(&mut ledger, line)
                    })
                    .sum::<Duration>()
            })
        });
        group.finish();
        let start = Instant::now();
        let summary = ledger.summary();
        eprintln!(
            "orders/{name}/summary: {} orders in {:.1} ms",
            summary.orders.len(),
            ms(start.elapsed())
        );
        // Declines (untimed) until 60,000 offers carry a time (or none is left to decline);
        // a day later they have all expired: one tick re-dispatches them all. Offers made when
        // the ledger started count from the first command, so usually every offer carries a
        // time already and the tick expires them all (not re-offered to the same resources
        // for `lapse_hours`).
        let stamped = |ledger: &Ledger| {
            ledger
                .orders()
                .iter()
                .flat_map(|o| &o.tickets)
                .filter(|t| t.state == TicketState::Offered && t.since.is_some())
                .count()
        };
        let ids: Vec<String> = ledger.orders().iter().map(|o| o.id.clone()).collect();
        let (mut k, mut declined) = (0, 0);
        'storm: while declined < 40_000 {
            for _ in 0..2_000 {
                let Some(c) = (0..ids.len()).find_map(|_| {
                    k = (k + 7919) % ids.len();
                    let o = ledger.order(&ids[k])?;
                    let t = o
                        .tickets
                        .iter()
                        .find(|t| t.state == TicketState::Offered && t.since.is_none())?;
                    Some(Command::new(
                        AT,
                        "r",
                        Action::Decline {
                            order: o.id.clone(),
                            resource: t.resource.clone(),
                            reason: None,
                        },
                    ))
                }) else {
                    break 'storm;
                };
                timed(&mut ledger, c);
                declined += 1;
            }
            if stamped(&ledger) >= 60_000 {
                break;
            }
        }
        let expired = stamped(&ledger);
        let searches = ledger.dispatch_searches();
        let tick = Command::new(DAY_LATER, "clock", Action::Tick);
        let time = timed(&mut ledger, tick);
        eprintln!(
            "orders/{name}/tick: {expired} offers expired (after {declined} declines) and \
             re-dispatched in {:.1} ms ({} searches)",
            ms(time),
            ledger.dispatch_searches() - searches
        );
        let start = Instant::now();
        let snapshot = ledger.snapshot();
        let written = start.elapsed();
        // As at a restart: the ledger is gone and the instance read before the clock starts.
        drop(ledger);
        let fresh = instance(&shape);
        let start = Instant::now();
        let restored = match Ledger::restore(fresh, Rules::default(), &snapshot) {
            Ok(l) => l,
            Err(e) => panic!("restore: {e}"),
        };
        let restore = start.elapsed();
        assert_eq!(restored.snapshot(), snapshot);
        eprintln!(
            "orders/{name}/snapshot: {:.1} MiB written in {:.0} ms, restored in {:.0} ms \
             (the instance read apart)",
            snapshot.len() as f64 / (1 << 20) as f64,
            ms(written),
            ms(restore)
        );
        drop((restored, snapshot));
        durable(name, &shape, SyncMode::EveryCommand, 400);
        durable(name, &shape, SyncMode::Group, 4000);
    }
}

/// What the year's clock does next.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    /// Review order `Y{k}`.
    Review(usize),
    /// Answer the offer of (order, resource) made at `since` seconds after the base (-1: when
    /// the ledger started).
    Answer(String, String, i64),
    /// Complete the ticket.
    Complete(String, String),
    /// Rate the order.
    Rate(String),
    /// The resident gives up an order still unserved a week after posting it.
    GiveUp(String),
}

/// The year's simulation: the ledger, its clock and what is due.
struct Year {
    ledger: Ledger,
    rng: Rng,
    queue: BinaryHeap<std::cmp::Reverse<(i64, u64, Due)>>,
    seq: u64,
    key: u64,
    /// Seconds of 2027-01-01T00:00:00.
    base: duijie::model::DateTime,
    commands: u64,
    rejected: u64,
    latencies: Vec<Duration>,
}

impl Year {
    fn push(&mut self, t: i64, due: Due) {
        self.seq += 1;
        self.queue.push(std::cmp::Reverse((t, self.seq, due)));
    }

    /// Applies a command at `t` seconds after the base; schedules an answer to every offer
    /// it made. Returns whether it was accepted.
    fn apply(&mut self, t: i64, by: &str, action: Action) -> bool {
        self.key += 1;
        let at = self.base.plus_seconds(t).to_string();
        let c = Command::new(at, by, action).with_key(format!("y{}", self.key));
        let s = Instant::now();
        let result = self.ledger.apply(c);
        self.latencies.push(s.elapsed());
        self.commands += 1;
        match result {
            Ok(a) => {
                for o in &a.changes.offers {
                    if o.quantity > 0 {
                        let when = t + self.rng.range(0, 12 * 3600);
                        self.push(when, Due::Answer(o.order.clone(), o.resource.clone(), t));
                    }
                }
                true
            }
            Err(_) => {
                self.rejected += 1;
                false
            }
        }
    }
}

/// A year of a district through the ledger: 1.2 million orders arriving evenly, each reviewed
/// an hour after it is posted; each offer answered within 12 hours (85 % accepted, 15 %
/// declined); accepted tickets done a day later; 70 % of completed orders rated two hours
/// after; an order still unserved a week after posting cancelled by its resident; a tick every
/// hour; five members join and five leave a day; every month each resource's capacity grows by
/// its monthly capacity (an `update`, since capacity counts every unit ever committed). Every
/// command carries an idempotency key. Prints per month the working set, the median command,
/// the tick and summary times and resident memory.
fn year() {
    let shape = Shape::district();
    let data = generate(&shape, 1);
    let template: Vec<NeedData> = data.needs.clone();
    let members: Vec<ResourceData> = data
        .resources
        .iter()
        .filter(|r| r.kind == Kind::Member)
        .cloned()
        .collect();
    let mut monthly: std::collections::HashMap<String, i64> = data
        .resources
        .iter()
        .map(|r| (r.id.clone(), r.capacity))
        .collect();
    drop(data);
    let start = Instant::now();
    let ledger = ledger(&shape);
    let (rss, peak) = memory();
    eprintln!(
        "year: district ledger started in {:.1} s; {rss:.0} MiB resident, peak {peak:.0} MiB",
        start.elapsed().as_secs_f64()
    );
    let Some(base) = duijie::model::DateTime::parse("2027-01-01T00:00:00") else {
        unreachable!()
    };
    let mut y = Year {
        ledger,
        rng: Rng::new(7),
        queue: BinaryHeap::new(),
        seq: 0,
        key: 0,
        base,
        commands: 0,
        rejected: 0,
        latencies: Vec::new(),
    };
    // Offers made when the ledger started are answered in the first hours.
    let initial: Vec<(String, String)> = y
        .ledger
        .orders()
        .iter()
        .flat_map(|o| o.tickets.iter().map(|t| (o.id.clone(), t.resource.clone())))
        .collect();
    for (order, resource) in initial {
        let when = y.rng.range(0, 12 * 3600);
        y.push(when, Due::Answer(order, resource, -1));
    }
    let (mut posted, mut joined) = (0usize, 0usize);
    let mut ticks: Vec<Duration> = Vec::new();
    let orders_per_hour = 1_200_000.0 / 8760.0;
    let mut owed = 0.0;
    for hour in 0..8760i64 {
        let now = hour * 3600;
        // New orders, reviewed an hour later.
        owed += orders_per_hour;
        while owed >= 1.0 {
            owed -= 1.0;
            posted += 1;
            let k = y.rng.range(0, template.len() as i64 - 1) as usize;
            let mut need = template[k].clone();
            need.id = format!("Y{posted}");
            need.window = None;
            if y.apply(now, "h", Action::Post { need }) {
                y.push(now + 3600, Due::Review(posted));
                y.push(now + 7 * 86_400, Due::GiveUp(format!("Y{posted}")));
            }
        }
        // A new month: every resource's capacity grows by its monthly capacity.
        if hour > 0 && hour % 730 == 0 {
            let renew: Vec<(String, i64)> = y
                .ledger
                .resources()
                .iter()
                .map(|r| {
                    (
                        r.id.clone(),
                        r.capacity + monthly.get(&r.id).copied().unwrap_or(0),
                    )
                })
                .collect();
            for (resource, capacity) in renew {
                let change = ResourceChange {
                    capacity: Some(capacity),
                    ..ResourceChange::default()
                };
                y.apply(now, "staff", Action::Update { resource, change });
            }
        }
        // Members come and go.
        if hour % 24 == 12 {
            for _ in 0..5 {
                joined += 1;
                let k = y.rng.range(0, members.len() as i64 - 1) as usize;
                let mut r = members[k].clone();
                r.id = format!("MJ{joined}");
                monthly.insert(r.id.clone(), r.capacity);
                y.apply(now, "staff", Action::Join { resource: r });
                let id = {
                    let all = y.ledger.resources();
                    all[y.rng.range(0, all.len() as i64 - 1) as usize]
                        .id
                        .clone()
                };
                y.apply(
                    now,
                    "staff",
                    Action::Leave {
                        resource: id,
                        reason: None,
                    },
                );
            }
        }
        // Everything due within this hour, in order.
        while y.queue.peek().is_some_and(|d| d.0 .0 < now + 3600) {
            let Some(std::cmp::Reverse((t, _, due))) = y.queue.pop() else {
                break;
            };
            match due {
                Due::Review(k) => {
                    let approve = y.rng.chance(0.95);
                    let order = format!("Y{k}");
                    y.apply(
                        t,
                        "staff",
                        Action::Review {
                            order,
                            approve,
                            reason: None,
                        },
                    );
                }
                Due::Answer(order, resource, since) => {
                    // Only an offer still standing as it was made is answered.
                    let standing = y.ledger.order(&order).is_some_and(|o| {
                        o.tickets.iter().any(|x| {
                            x.resource == resource
                                && x.state == TicketState::Offered
                                && x.since.map_or(-1, |s| s.seconds() - base.seconds()) == since
                        })
                    });
                    if !standing {
                        continue;
                    }
                    if y.rng.chance(0.85) {
                        let a = Action::Accept {
                            order: order.clone(),
                            resource: resource.clone(),
                        };
                        if y.apply(t, "r", a) {
                            y.push(t + 86_400, Due::Complete(order, resource));
                        }
                    } else {
                        y.apply(
                            t,
                            "r",
                            Action::Decline {
                                order,
                                resource,
                                reason: None,
                            },
                        );
                    }
                }
                Due::Complete(order, resource) => {
                    let a = Action::Complete {
                        order: order.clone(),
                        resource,
                    };
                    let completed = y.apply(t, "r", a)
                        && y.ledger
                            .order(&order)
                            .is_some_and(|o| o.state == duijie::orders::OrderState::Completed);
                    if completed && y.rng.chance(0.7) {
                        y.push(t + 7200, Due::Rate(order));
                    }
                }
                Due::GiveUp(order) => {
                    let unserved = y.ledger.order(&order).is_some_and(|o| {
                        o.state == duijie::orders::OrderState::Posted
                            || (o.state == duijie::orders::OrderState::Listed
                                && o.tickets.iter().all(|t| t.state == TicketState::Offered))
                    });
                    if unserved {
                        y.apply(
                            t,
                            "h",
                            Action::Cancel {
                                order,
                                reason: None,
                            },
                        );
                    }
                }
                Due::Rate(order) => {
                    let score = y.rng.range(3, 5);
                    y.apply(
                        t,
                        "h",
                        Action::Rate {
                            order,
                            score,
                            comment: None,
                        },
                    );
                }
            }
        }
        let s = Instant::now();
        y.apply(now + 3599, "clock", Action::Tick);
        ticks.push(s.elapsed());
        if (hour + 1) % 730 == 0 {
            let s = Instant::now();
            let summary = y.ledger.summary();
            let summary_time = s.elapsed();
            let (rss, peak) = memory();
            let finished: i64 = summary.finished.values().sum();
            eprintln!(
                "year month {:>2}: {posted} posted, {finished} finished, working set {}, \
                 {} commands ({} rejected); median command {:.3} ms, p99 {:.3} ms; tick median \
                 {:.1} ms, max {:.1} ms; summary {:.1} ms; {rss:.0} MiB resident, peak {peak:.0} MiB",
                (hour + 1) / 730,
                summary.orders.len(),
                y.commands,
                y.rejected,
                ms(quantile(&mut y.latencies, 0.5)),
                ms(quantile(&mut y.latencies, 0.99)),
                ms(quantile(&mut ticks, 0.5)),
                ms(quantile(&mut ticks, 1.0)),
                ms(summary_time),
            );
            y.latencies.clear();
            ticks.clear();
        }
    }
    let (_, peak) = memory();
    let commands = y.commands;
    let s = Instant::now();
    let snapshot = y.ledger.snapshot();
    let written = s.elapsed();
    // The year's ledger goes before its snapshot is restored: one ledger at a time.
    drop(y);
    let instance = instance(&shape);
    let s = Instant::now();
    let restored = Ledger::restore(instance, Rules::default(), &snapshot);
    let restore = s.elapsed();
    assert!(restored.is_ok());
    eprintln!(
        "year: {posted} orders posted, {commands} commands in {:.0} s; peak resident memory \
         over the year {peak:.0} MiB; its snapshot {:.1} MiB written in {:.0} ms, restored in \
         {:.0} ms (peak with the restored ledger {:.0} MiB)",
        start.elapsed().as_secs_f64(),
        snapshot.len() as f64 / (1 << 20) as f64,
        ms(written),
        ms(restore),
        memory().1
    );
}

/// Restarts of a district ledger: its snapshot, as it starts and after the tick a day later
/// that expires its offers, each restored three times in a new process (as a service restarts,
/// with a heap of its own), the instance read before the clock starts.
fn restart() {
    let dir = std::env::temp_dir().join(format!("duijie-restart-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("{}: {e}", dir.display());
    }
    // Written through to the disk before any child starts, as a snapshot a service restarts
    // from was written long before (no writeback of it competes with the restore).
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        let written = std::fs::File::create(&path).and_then(|mut f| {
            std::io::Write::write_all(&mut f, text.as_bytes())?;
            f.sync_all()
        });
        if let Err(e) = written {
            panic!("{}: {e}", path.display());
        }
        path
    };
    let mut ledger = ledger(&Shape::district());
    let start = write("start.json", ledger.snapshot());
    for at in [AT, DAY_LATER] {
        timed(&mut ledger, Command::new(at, "clock", Action::Tick));
    }
    let ticked = write("ticked.json", ledger.snapshot());
    drop(ledger);
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => panic!("this bench's path: {e}"),
    };
    for (name, path) in [("at its start", start), ("after a day's tick", ticked)] {
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        let times: Vec<String> = (0..3)
            .map(|_| {
                let child = std::process::Command::new(&exe)
                    .args(["--bench", "restart-child"])
                    .env("DUIJIE_RESTART", &path)
                    .output();
                match child {
                    Ok(out) if out.status.success() => {
                        String::from_utf8_lossy(&out.stdout).trim().to_owned()
                    }
                    Ok(out) => panic!("restart: {}", String::from_utf8_lossy(&out.stderr)),
                    Err(e) => panic!("restart: {e}"),
                }
            })
            .collect();
        eprintln!(
            "orders/district/restart {name}: {:.1} MiB snapshot restored in {} ms (new process each)",
            size as f64 / (1 << 20) as f64,
            times.join(", ")
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// One restart: restores the snapshot at `$DUIJIE_RESTART` and prints the milliseconds it took.
fn restart_child() {
    let path = std::env::var("DUIJIE_RESTART").unwrap_or_default();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => panic!("{path}: {e}"),
    };
    let fresh = instance(&Shape::district());
    let start = Instant::now();
    let restored = Ledger::restore(fresh, Rules::default(), &text);
    let time = start.elapsed();
    if let Err(e) = restored {
        panic!("restore: {e}");
    }
    println!("{:.0}", ms(time));
}

criterion_group!(benches, orders);
criterion_main!(benches);
