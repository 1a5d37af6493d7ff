//! This example drives the order lifecycle (点单 → 交单 → 接单 → 议单 → 结单 → 评单) from a
//! command stream, as a service would: it answers each command, keeps a durable log, and
//! prints the ledger's summary.
//!
//! ```text
//! cargo run --release --example orders -- --instance examples/data/jianwai.json examples/data/orders.jsonl
//! cargo run --release --example orders -- --instance I.json - --events log.jsonl < commands.jsonl
//! cargo run --release --example orders -- --instance I.json --replay log.jsonl
//! cargo run --release --example orders -- --instance I.json --feed --summary s.json < commands.jsonl
//! cargo run --release --example orders -- --instance I.json --log L.jsonl --snapshot S.json --snapshot-every 1000 --feed
//! cargo run --release --example orders -- --instance I.json --forecast F.json --feed < commands.jsonl
//! ```
//!
//! Key points:
//! - One command per line (JSON Lines). Without `--feed`, each rejected command prints
//!   `line N: rejected: REASON` on stderr and changes nothing, and the summary goes to stdout
//!   as JSON at the end.
//! - `--feed` answers each non-blank line of the input before reading the next, with one
//!   flushed JSON line on stdout: `{"line": N, "ok": true, "changes": {...}}` or
//!   `{"line": N, "ok": false, "code": "...", "reason": "..."}`; the summary then goes to
//!   `--summary FILE` (if given).
//! - `--log LOG` appends each accepted command to LOG durably (fsync) before answering; when
//!   LOG exists, the ledger is first rebuilt from `--snapshot SNAP` (if present) and LOG's
//!   tail, and a torn last line of LOG is dropped and reported on stderr. `--snapshot-every N`
//!   writes SNAP (atomically) after every N accepted commands. `--group-commit` syncs once
//!   for all the lines already waiting on the input, and answers them after that.
//! - `--events FILE` writes the event log of the commands applied in this run; `--replay
//!   FILE` rebuilds the ledger from such a log (and stops at the first bad line, naming it)
//!   instead of reading commands.
//! - `--forecast FILE` dispatches with a forecast of demand still to come:
//!   `{"from": T0, "until": T1, "needs": [need objects]}`, the needs expected to arrive evenly
//!   between the two times (`policy.forecast_weight` sets how much it counts). `--start TIME`
//!   sets the ledger's start: offers made at the start count from it. Both are part of the
//!   ledger's rules, so a log or snapshot needs the same ones to be read back.
//! - An invalid instance, forecast, log or snapshot exits with code 2; a failed write with
//!   code 1.

use duijie::orders::{
    Applied, Forecast, Ledger, Rejection, Rules, Store, StoreError, StoreOptions, SyncMode,
};
use duijie::{Instance, LoadError};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: orders --instance INSTANCE.json [COMMANDS.jsonl | -] [--events FILE] \
                     [--replay FILE] [--feed] [--summary FILE] [--log LOG.jsonl [--snapshot SNAP.json \
                     --snapshot-every N] [--group-commit]] [--forecast FILE] [--start TIME]";

#[derive(Default)]
struct Args {
    instance: Option<String>,
    commands: Option<String>,
    events: Option<String>,
    replay: Option<String>,
    summary: Option<String>,
    log: Option<PathBuf>,
    snapshot: Option<PathBuf>,
    snapshot_every: u64,
    feed: bool,
    group: bool,
    forecast: Option<String>,
    start: Option<String>,
}

fn args() -> Result<Args, String> {
    let mut a = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--instance" => a.instance = Some(value("--instance")?),
            "--events" => a.events = Some(value("--events")?),
            "--replay" => a.replay = Some(value("--replay")?),
            "--summary" => a.summary = Some(value("--summary")?),
            "--log" => a.log = Some(value("--log")?.into()),
            "--snapshot" => a.snapshot = Some(value("--snapshot")?.into()),
            "--snapshot-every" => {
                let v = value("--snapshot-every")?;
                a.snapshot_every = v
                    .parse()
                    .map_err(|_| format!("--snapshot-every: {v:?} is not a count"))?;
            }
            "--feed" => a.feed = true,
            "--forecast" => a.forecast = Some(value("--forecast")?),
            "--start" => a.start = Some(value("--start")?),
            "--group-commit" => a.group = true,
            _ if a.commands.is_none() && !arg.starts_with("--") || arg == "-" => {
                a.commands = Some(arg)
            }
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    if a.snapshot.is_some() && a.log.is_none() {
        return Err("--snapshot needs --log".into());
    }
    Ok(a)
}

/// The ledger, alone or with its durable store.
enum Keeper {
    Plain(Ledger),
    Durable(Store),
}

impl Keeper {
    fn ledger(&self) -> &Ledger {
        match self {
            Keeper::Plain(l) => l,
            Keeper::Durable(s) => s.ledger(),
        }
    }

    fn apply_line(&mut self, line: &str) -> Result<Applied, StoreError> {
        match self {
            Keeper::Plain(l) => l.apply_line(line).map_err(StoreError::from),
            Keeper::Durable(s) => s.apply_line(line),
        }
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        match self {
            Keeper::Plain(_) => Ok(()),
            Keeper::Durable(s) => s.commit(),
        }
    }
}

/// One feed line, its fields in the documented order.
#[derive(serde::Serialize)]
struct Answer<'a> {
    line: usize,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    changes: Option<&'a duijie::orders::Changes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

fn answer(line: usize, result: &Result<Applied, Rejection>) -> String {
    let a = match result {
        Ok(a) => Answer {
            line,
            ok: true,
            changes: Some(&a.changes),
            code: None,
            reason: None,
        },
        Err(e) => Answer {
            line,
            ok: false,
            changes: None,
            code: Some(e.code()),
            reason: Some(e.to_string()),
        },
    };
    serde_json::to_string(&a).unwrap_or_default()
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => return usage(&e),
    };
    let Some(instance_path) = a.instance.clone() else {
        return usage("no --instance given");
    };
    let instance = match std::fs::File::open(&instance_path)
        .map_err(LoadError::from)
        .and_then(|f| Instance::from_reader(std::io::BufReader::new(f)))
    {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{instance_path}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut rules = Rules {
        start: a.start.clone(),
        ..Rules::default()
    };
    if let Some(path) = &a.forecast {
        let forecast = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| Forecast::from_json_str(&t).map_err(|e| e.to_string()));
        match forecast {
            Ok(f) => rules.forecast = Some(f),
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(path) = &a.replay {
        let log = match std::fs::read_to_string(path) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::from(2);
            }
        };
        return match Ledger::replay_with(instance, rules, &log) {
            Ok(l) => finish(&a, &l, None),
            Err(e) => {
                eprintln!("{path}: {e}");
                ExitCode::from(2)
            }
        };
    }
    let mut keeper = match &a.log {
        None => match Ledger::with_rules(instance, rules) {
            Ok(l) => Keeper::Plain(l),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(1);
            }
        },
        Some(log) => {
            let options = StoreOptions {
                sync: if a.group {
                    SyncMode::Group
                } else {
                    SyncMode::EveryCommand
                },
                snapshot: a.snapshot.clone(),
                snapshot_every: a.snapshot_every,
            };
            match Store::open(instance, rules, log, options) {
                Ok((store, recovery)) => {
                    if let Some(t) = recovery.torn {
                        eprintln!(
                            "{}: dropped a torn last line (line {}, {} bytes): a write cut short",
                            log.display(),
                            t.line,
                            t.bytes
                        );
                    }
                    Keeper::Durable(store)
                }
                Err(e) => {
                    eprintln!("{}: {e}", log.display());
                    return ExitCode::from(2);
                }
            }
        }
    };
    let source: Box<dyn std::io::Read> = match a.commands.as_deref() {
        None | Some("-") => Box::new(std::io::stdin()),
        Some(path) => match std::fs::File::open(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let mut input = std::io::BufReader::new(source);
    let mut out = std::io::stdout().lock();
    let mut events = Vec::new();
    let mut held: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut n = 0;
    loop {
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("line {}: cannot read: {e}", n + 1);
                break;
            }
        }
        n += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        if !text.trim().is_empty() {
            let result = match keeper.apply_line(text) {
                Ok(applied) => Ok(applied),
                Err(StoreError::Rejected(r)) => Err(r),
                Err(e) => {
                    eprintln!("line {n}: {e}");
                    return ExitCode::from(1);
                }
            };
            if let (Ok(applied), true) = (&result, a.events.is_some()) {
                events.extend(applied.event.clone());
            }
            if a.feed {
                held.push(answer(n, &result));
            } else if let Err(e) = &result {
                eprintln!("line {n}: rejected: {e}");
            }
        }
        // Answers go out once what they acknowledge is on disk: at once, or with group
        // commit when no more input is waiting.
        if !held.is_empty() && (!a.group || input.buffer().is_empty()) {
            if let Err(e) = keeper.commit() {
                eprintln!("line {n}: {e}");
                return ExitCode::from(1);
            }
            for h in held.drain(..) {
                if writeln!(out, "{h}").is_err() {
                    return ExitCode::from(1);
                }
            }
            if out.flush().is_err() {
                return ExitCode::from(1);
            }
        }
    }
    if let Err(e) = keeper.commit() {
        eprintln!("{e}");
        return ExitCode::from(1);
    }
    for h in held.drain(..) {
        let _ = writeln!(out, "{h}");
    }
    drop(out);
    finish(&a, keeper.ledger(), Some(&events))
}

/// Writes the event log and the summary.
fn finish(a: &Args, ledger: &Ledger, events: Option<&[duijie::orders::Event]>) -> ExitCode {
    if let (Some(path), Some(events)) = (&a.events, events) {
        let mut log = ledger.log_header();
        log.push('\n');
        for e in events {
            log.push_str(&e.to_json());
            log.push('\n');
        }
        if let Err(e) = std::fs::write(path, log) {
            eprintln!("{path}: {e}");
            return ExitCode::from(1);
        }
    }
    let summary = ledger.summary().to_string();
    match (&a.summary, a.feed) {
        (Some(path), _) => {
            if let Err(e) = std::fs::write(path, summary + "\n") {
                eprintln!("{path}: {e}");
                return ExitCode::from(1);
            }
        }
        (None, false) => {
            let mut out = std::io::stdout().lock();
            if writeln!(out, "{summary}").is_err() {
                return ExitCode::from(1);
            }
        }
        (None, true) => {}
    }
    ExitCode::SUCCESS
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("{msg}\n{USAGE}");
    ExitCode::from(2)
}
