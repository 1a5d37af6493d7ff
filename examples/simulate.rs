//! This example replays a month of a district under several dispatch rules, as an analyst
//! would to choose one, and compares each with the offline optimum (the whole month solved at
//! once with `duijie::solve`).
//!
//! ```text
//! cargo run --release --example simulate -- --shape street --seed 1 --forecast-seed 2 --svg sim.svg
//! cargo run --release --example simulate -- --shape street --seed 1 --forecast-seed 2 --forecast-scale 2
//! cargo run --release --example simulate -- --instance I.json --arrivals A.json --batches 24,168
//! ```
//!
//! Key points:
//! - The instance is generated (`--shape`, `--seed`; the generator's windows lie in December
//!   2026, the simulated month starts 2026-12-01) or read (`--instance`). Each need arrives at
//!   a time drawn from a seeded generator, uniformly over the 30 days (before its window ends,
//!   when it has one), or at the time `--arrivals FILE` gives it (`{"NEED-ID": "TIME", …}`).
//! - Rules: `fcfs` (抢单: each need, as it arrives, goes to the best resources with room, each
//!   of which declines with the same 15 %); `live` (the ledger: posted at arrival, reviewed an
//!   hour later, a `tick` every hour); `live+forecast` (the same with a forecast: the needs of
//!   another month of the same district, `--forecast-seed`, scaled by `--forecast-scale`,
//!   expected over the month; `--forecast-shape` draws it from another pattern, e.g.
//!   `hard-street`, keeping the needs whose areas the instance knows); `batch-H` (the ledger, reviewing what arrived at the end of
//!   each H hours). In the ledger runs every offer is answered after a random 0–12 h delay
//!   (`--delay-max`), accepted with 85 % (`--accept`) and declined otherwise; accepted
//!   tickets are completed a day later.
//! - Reported per rule: value and vulnerable units served as shares of the offline optimum's,
//!   the share of units served within the community (grid or community tier), and the mean
//!   wait from arrival to acceptance (hours, per unit). One JSON line per rule on stdout, a
//!   table on stderr, and with `--svg FILE` a bar chart.
//! - `--no-windows` drops every window from the instance (the time rules then stop nothing:
//!   what is left between a rule and the offline optimum is the cost of deciding as needs
//!   arrive).
//! - Invalid arguments or input exit with code 2.

use duijie::contract::NeedData;
use duijie::generate::{generate, Rng, Shape};
use duijie::model::{DateTime, Level};
use duijie::orders::{Forecast, Ledger, Rules, TicketState};
use duijie::{Eligibility, Instance, InstanceData};
use plotters::prelude::*;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::process::ExitCode;

const USAGE: &str = "usage: simulate [--shape NAME --seed N | --instance FILE [--arrivals FILE]] \
                     [--forecast-seed N] [--forecast-scale K] [--forecast-shape NAME] [--batches H,H,...] [--days N] \
                     [--delay-max HOURS] [--accept PCT] [--svg FILE]";

/// When the simulated month starts.
const START: &str = "2026-12-01T00:00:00";

struct Args {
    shape: String,
    seed: u64,
    instance: Option<String>,
    arrivals: Option<String>,
    forecast_seed: u64,
    forecast_scale: i64,
    forecast_shape: Option<String>,
    batches: Vec<i64>,
    days: i64,
    delay_max: i64,
    accept: i64,
    svg: Option<String>,
    no_windows: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        shape: "street".into(),
        seed: 1,
        instance: None,
        arrivals: None,
        forecast_seed: 2,
        forecast_scale: 1,
        forecast_shape: None,
        batches: vec![24],
        days: 30,
        delay_max: 12,
        accept: 85,
        svg: None,
        no_windows: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        let int = |v: String| {
            v.parse::<i64>()
                .map_err(|_| format!("{v:?} is not a number"))
        };
        match arg.as_str() {
            "--shape" => a.shape = value()?,
            "--seed" => a.seed = int(value()?)? as u64,
            "--instance" => a.instance = Some(value()?),
            "--arrivals" => a.arrivals = Some(value()?),
            "--forecast-seed" => a.forecast_seed = int(value()?)? as u64,
            "--forecast-scale" => a.forecast_scale = int(value()?)?,
            "--forecast-shape" => a.forecast_shape = Some(value()?),
            "--days" => a.days = int(value()?)?,
            "--delay-max" => a.delay_max = int(value()?)?,
            "--accept" => a.accept = int(value()?)?,
            "--svg" => a.svg = Some(value()?),
            "--no-windows" => a.no_windows = true,
            "--batches" => {
                a.batches = value()?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| int(s.to_owned()))
                    .collect::<Result<_, _>>()?
            }
            _ => return Err(format!("unknown argument {arg}")),
        }
    }
    if a.days < 1 || a.delay_max < 0 || !(0..=100).contains(&a.accept) || a.forecast_scale < 0 {
        return Err("--days ≥ 1, --delay-max ≥ 0, --accept 0..=100, --forecast-scale ≥ 0".into());
    }
    if a.batches.iter().any(|&h| h < 1) {
        return Err("--batches: lengths of at least one hour".into());
    }
    Ok(a)
}

/// What one rule achieved.
#[derive(Debug, Clone, Default)]
struct Outcome {
    rule: String,
    value: i64,
    units: i64,
    vulnerable: i64,
    local: i64,
    wait_minutes: i64,
}

impl Outcome {
    fn served(&mut self, q: i64, value: i64, tier: Level, vulnerable: bool, wait: i64) {
        self.value += q * value;
        self.units += q;
        self.vulnerable += if vulnerable { q } else { 0 };
        self.local += if tier >= Level::Community { q } else { 0 };
        self.wait_minutes += q * wait;
    }
}

/// The month: the instance, the needs' arrival minutes, and helpers.
struct Month {
    data: InstanceData,
    instance: Instance,
    /// (arrival minute, need index), by time.
    arrivals: Vec<(i64, usize)>,
    start: DateTime,
    minutes: i64,
}

impl Month {
    fn time(&self, minute: i64) -> String {
        self.start.plus_seconds(minute * 60).to_string()
    }

    fn minute(&self, t: &str) -> Option<i64> {
        DateTime::parse(t).map(|d| (d.seconds() - self.start.seconds()).div_euclid(60))
    }
}

fn month(a: &Args) -> Result<Month, String> {
    let data = match &a.instance {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            Instance::from_json_str(&text)
                .map_err(|e| format!("{path}: {e}"))?
                .to_data()
        }
        None => {
            let shape = Shape::named(&a.shape).ok_or(format!("no shape {:?}", a.shape))?;
            generate(&shape, a.seed)
        }
    };
    let mut data = data;
    if a.no_windows {
        data.needs.iter_mut().for_each(|n| n.window = None);
        data.resources.iter_mut().for_each(|r| r.window = None);
    }
    let instance = Instance::from_data(&data).map_err(|e| e.to_string())?;
    let start = DateTime::parse(START).ok_or("bad start")?;
    let minutes = a.days * 24 * 60;
    let given: Option<BTreeMap<String, String>> = match &a.arrivals {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            Some(serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?)
        }
        None => None,
    };
    let mut m = Month {
        data,
        instance,
        arrivals: Vec::new(),
        start,
        minutes,
    };
    let mut rng = Rng::new(a.seed ^ 0x5eed);
    for (i, need) in m.data.needs.iter().enumerate() {
        let at = match &given {
            Some(times) => {
                let t = times
                    .get(&need.id)
                    .ok_or(format!("no arrival for {}", need.id))?;
                m.minute(t).ok_or(format!("{t:?} is not a time"))?
            }
            None => {
                // Before its window ends, when it has one.
                let end = need
                    .window
                    .as_ref()
                    .and_then(|w| m.minute(&w.end))
                    .unwrap_or(minutes)
                    .clamp(1, minutes);
                rng.range(0, end - 1)
            }
        };
        m.arrivals.push((at, i));
    }
    m.arrivals.sort_unstable();
    Ok(m)
}

/// The offline optimum: the whole month at once.
fn offline(m: &Month) -> Result<Outcome, String> {
    let plan = duijie::solve(&m.instance).map_err(|e| e.to_string())?;
    let vulnerable: BTreeMap<&str, bool> = m
        .data
        .needs
        .iter()
        .map(|n| (n.id.as_str(), n.vulnerable))
        .collect();
    let mut o = Outcome {
        rule: "offline".into(),
        ..Outcome::default()
    };
    for x in &plan.assignments {
        let v = vulnerable.get(x.need.as_str()).copied().unwrap_or(false);
        o.served(x.quantity, x.value, x.tier, v, 0);
    }
    Ok(o)
}

/// 抢单: each need, as it arrives, goes to the best resources with room that are still in
/// their window; each declines with the same chance as in the ledger runs.
fn fcfs(m: &Month, a: &Args) -> Outcome {
    let eligibility = Eligibility::build(&m.instance);
    let mut room: Vec<i64> = m.data.resources.iter().map(|r| r.capacity).collect();
    let ends: Vec<Option<i64>> = m
        .data
        .resources
        .iter()
        .map(|r| r.window.as_ref().and_then(|w| m.minute(&w.end)))
        .collect();
    let mut rng = Rng::new(a.seed ^ 0xfcf5);
    let mut o = Outcome {
        rule: "fcfs".into(),
        ..Outcome::default()
    };
    for &(at, i) in &m.arrivals {
        let need = &m.data.needs[i];
        let mut arcs: Vec<_> = eligibility
            .arcs_of(duijie::model::NeedIdx(i as u32))
            .collect();
        arcs.sort_by_key(|x| (Reverse(x.value), x.resource.0));
        let mut left = need.quantity;
        for x in arcs {
            let j = x.resource.0 as usize;
            if left == 0 {
                break;
            }
            if room[j] == 0 || ends[j].is_some_and(|e| e < at) {
                continue;
            }
            if !rng.chance(a.accept as f64 / 100.0) {
                continue;
            }
            let q = left.min(room[j]);
            room[j] -= q;
            left -= q;
            o.served(q, x.value, x.tier, need.vulnerable, 0);
        }
    }
    o
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Post(usize),
    Review(usize),
    Answer(String, String, String),
    Complete(String, String),
    Tick,
}

/// A ledger run: posts at arrival, reviews `review(arrival)`, hourly ticks, answers after a
/// random delay.
fn ledger_run(
    m: &Month,
    a: &Args,
    rule: &str,
    rules: Rules,
    review: impl Fn(i64) -> i64,
) -> Result<Outcome, String> {
    let mut empty = m.data.clone();
    empty.needs.clear();
    let base = Instance::from_data(&empty).map_err(|e| e.to_string())?;
    let mut ledger = Ledger::with_rules(base, rules).map_err(|e| e.to_string())?;
    let mut rng = Rng::new(a.seed ^ 0xa75e);
    let mut queue: BinaryHeap<Reverse<(i64, u64, Event)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |q: &mut BinaryHeap<Reverse<(i64, u64, Event)>>, at: i64, e: Event| {
        seq += 1;
        q.push(Reverse((at, seq, e)));
    };
    for &(at, i) in &m.arrivals {
        push(&mut queue, at, Event::Post(i));
        push(&mut queue, review(at).max(at), Event::Review(i));
    }
    // Ticks through the month and the time the last answers and completions need.
    let end = m.minutes + (a.delay_max + 48) * 60;
    for h in 1..=end / 60 {
        push(&mut queue, h * 60, Event::Tick);
    }
    let arrival: BTreeMap<&str, i64> = m
        .arrivals
        .iter()
        .map(|&(at, i)| (m.data.needs[i].id.as_str(), at))
        .collect();
    let vulnerable: BTreeMap<&str, bool> = m
        .data
        .needs
        .iter()
        .map(|n| (n.id.as_str(), n.vulnerable))
        .collect();
    let mut o = Outcome {
        rule: rule.into(),
        ..Outcome::default()
    };
    let json = |s: &str| serde_json::to_string(s).unwrap_or_default();
    while let Some(Reverse((at, _, event))) = queue.pop() {
        let t = m.time(at);
        let line = match &event {
            Event::Post(i) => {
                let need = serde_json::to_string(&m.data.needs[*i]).map_err(|e| e.to_string())?;
                format!(r#"{{"cmd":"post","at":"{t}","by":"resident","need":{need}}}"#)
            }
            Event::Review(i) => format!(
                r#"{{"cmd":"review","at":"{t}","by":"community","order":{},"approve":true}}"#,
                json(&m.data.needs[*i].id)
            ),
            Event::Tick => format!(r#"{{"cmd":"tick","at":"{t}","by":"clock"}}"#),
            Event::Complete(order, resource) => format!(
                r#"{{"cmd":"complete","at":"{t}","by":{},"order":{},"resource":{}}}"#,
                json(resource),
                json(order),
                json(resource)
            ),
            Event::Answer(order, resource, since) => {
                let Some(ticket) = ledger.order(order).and_then(|o| o.ticket_of(resource)) else {
                    continue;
                };
                let standing = ticket.state == TicketState::Offered
                    && ticket.since.map(|s| s.to_string()).as_deref() == Some(since.as_str());
                if !standing {
                    continue;
                }
                let (q, value, tier) = (ticket.quantity, ticket.value, ticket.tier);
                if rng.chance(a.accept as f64 / 100.0) {
                    let line = format!(
                        r#"{{"cmd":"accept","at":"{t}","by":{},"order":{},"resource":{}}}"#,
                        json(resource),
                        json(order),
                        json(resource)
                    );
                    if ledger.apply_line(&line).is_ok() {
                        let wait = at - arrival.get(order.as_str()).copied().unwrap_or(at);
                        let v = vulnerable.get(order.as_str()).copied().unwrap_or(false);
                        o.served(q, value, tier, v, wait);
                        let done = Event::Complete(order.clone(), resource.clone());
                        push(&mut queue, at + 24 * 60, done);
                    }
                    continue;
                }
                format!(
                    r#"{{"cmd":"decline","at":"{t}","by":{},"order":{},"resource":{}}}"#,
                    json(resource),
                    json(order),
                    json(resource)
                )
            }
        };
        let Ok(applied) = ledger.apply_line(&line) else {
            continue;
        };
        for offer in applied.changes.offers {
            if offer.quantity > 0 && offer.since.as_deref() == Some(t.as_str()) {
                let delay = rng.range(0, a.delay_max * 60);
                let answer = Event::Answer(offer.order, offer.resource, t.clone());
                push(&mut queue, at + delay, answer);
            }
        }
    }
    Ok(o)
}

/// The forecast: another month of the same district (`--forecast-seed`), its quantities
/// scaled by `--forecast-scale`, expected evenly over the simulated month; needs in areas the
/// instance does not know are left out.
fn forecast(m: &Month, a: &Args) -> Result<Forecast, String> {
    let other = match &a.instance {
        Some(_) => m.data.clone(),
        None => {
            let name = a.forecast_shape.as_deref().unwrap_or(&a.shape);
            generate(&Shape::named(name).ok_or("no shape")?, a.forecast_seed)
        }
    };
    let areas: std::collections::BTreeSet<&str> =
        m.data.areas.iter().map(|x| x.id.as_str()).collect();
    let needs: Vec<NeedData> = other
        .needs
        .into_iter()
        .filter(|n| areas.contains(n.area.as_str()))
        .filter_map(|mut n| {
            n.quantity *= a.forecast_scale;
            (n.quantity > 0).then_some(n)
        })
        .collect();
    Ok(Forecast {
        from: START.into(),
        until: m.time(m.minutes),
        needs,
    })
}

fn pct(x: i64, of: i64) -> f64 {
    if of == 0 {
        100.0
    } else {
        100.0 * x as f64 / of as f64
    }
}

fn chart(path: &str, rows: &[(String, f64, f64)]) -> Result<(), String> {
    let root = SVGBackend::new(path, (900, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let low = rows
        .iter()
        .flat_map(|r| [r.1, r.2])
        .fold(100.0f64, f64::min)
        .floor()
        - 2.0;
    let mut c = ChartBuilder::on(&root)
        .caption(
            "Share of the offline optimum, by dispatch rule",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..rows.len() as f64, low.max(0.0)..100.5)
        .map_err(|e| e.to_string())?;
    let names: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    c.configure_mesh()
        .disable_x_mesh()
        .x_labels(rows.len() * 2 + 1)
        .x_label_formatter(&|x| {
            let k = x.floor() as usize;
            if (x - k as f64 - 0.5).abs() < 0.26 {
                names.get(k).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc("% of offline")
        .draw()
        .map_err(|e| e.to_string())?;
    for (k, (_, value, vulnerable)) in rows.iter().enumerate() {
        let x = k as f64;
        c.draw_series([
            Rectangle::new([(x + 0.1, low.max(0.0)), (x + 0.48, *value)], BLUE.filled()),
            Rectangle::new(
                [(x + 0.52, low.max(0.0)), (x + 0.9, *vulnerable)],
                RED.mix(0.7).filled(),
            ),
        ])
        .map_err(|e| e.to_string())?;
    }
    c.draw_series([Rectangle::new([(0.0, 0.0), (0.0, 0.0)], BLUE.filled())])
        .map_err(|e| e.to_string())?
        .label("value")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], BLUE.filled()));
    c.draw_series([Rectangle::new([(0.0, 0.0), (0.0, 0.0)], RED.filled())])
        .map_err(|e| e.to_string())?
        .label("vulnerable units")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], RED.mix(0.7).filled()));
    c.configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

fn run(a: &Args) -> Result<(), String> {
    let m = month(a)?;
    let best = offline(&m)?;
    let start_rules = Rules {
        start: Some(START.into()),
        ..Rules::default()
    };
    let mut outcomes = vec![fcfs(&m, a)];
    outcomes.push(ledger_run(&m, a, "live", start_rules.clone(), |at| {
        at + 60
    })?);
    let with = Rules {
        forecast: Some(forecast(&m, a)?),
        ..start_rules.clone()
    };
    outcomes.push(ledger_run(&m, a, "live+forecast", with, |at| at + 60)?);
    for &h in &a.batches {
        let len = h * 60;
        let rule = format!("batch-{h}h");
        let review = move |at: i64| (at / len + 1) * len;
        outcomes.push(ledger_run(&m, a, &rule, start_rules.clone(), review)?);
    }
    eprintln!(
        "{:<16} {:>9} {:>11} {:>10} {:>10}",
        "rule", "value %", "vulnerable %", "local %", "wait h"
    );
    let mut rows = Vec::new();
    for o in std::iter::once(&best).chain(&outcomes) {
        let (value, vulnerable) = (pct(o.value, best.value), pct(o.vulnerable, best.vulnerable));
        let local = pct(o.local, o.units);
        let wait = if o.units == 0 {
            0.0
        } else {
            o.wait_minutes as f64 / o.units as f64 / 60.0
        };
        eprintln!(
            "{:<16} {value:>9.2} {vulnerable:>11.2} {local:>10.2} {wait:>10.2}",
            o.rule
        );
        println!(
            "{}",
            serde_json::json!({"rule": o.rule, "value": o.value, "value_pct": value,
                "units": o.units, "vulnerable_units": o.vulnerable, "vulnerable_pct": vulnerable,
                "local_pct": local, "mean_wait_hours": wait})
        );
        if o.rule != "offline" {
            rows.push((o.rule.clone(), value, vulnerable));
        }
    }
    if let Some(path) = &a.svg {
        chart(path, &rows)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    match args().and_then(|a| run(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
