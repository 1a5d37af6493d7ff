//! This example drives the order lifecycle (点单 → 交单 → 接单 → 议单 → 结单 → 评单) from a
//! command stream and prints the ledger's summary.
//!
//! ```text
//! cargo run --release --example orders -- --instance examples/data/jianwai.json examples/data/orders.jsonl
//! cargo run --release --example orders -- --instance I.json - --events log.jsonl < commands.jsonl
//! cargo run --release --example orders -- --instance I.json --replay log.jsonl
//! ```
//!
//! Key points:
//! - One command per line (JSON Lines); each rejected command prints `line N: rejected: REASON`
//!   on stderr and changes nothing; the others are applied in order.
//! - The summary goes to stdout as JSON: orders with their tickets, points per resource,
//!   satisfaction per community, and more.
//! - `--events FILE` writes the event log; `--replay FILE` rebuilds the ledger from such a log
//!   (and stops at the first bad line, naming it) instead of reading commands.
//! - An invalid instance or log exits with code 2.

use duijie::orders::Ledger;
use duijie::{Instance, LoadError};
use std::io::{BufRead, Write};
use std::process::ExitCode;

const USAGE: &str =
    "usage: orders --instance INSTANCE.json [COMMANDS.jsonl | -] [--events FILE] [--replay FILE]";

fn main() -> ExitCode {
    let (mut instance, mut commands, mut events, mut replay) = (None, None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let r = match a.as_str() {
            "--instance" => value("--instance").map(|v| instance = Some(v)),
            "--events" => value("--events").map(|v| events = Some(v)),
            "--replay" => value("--replay").map(|v| replay = Some(v)),
            _ if commands.is_none() => {
                commands = Some(a);
                Ok(())
            }
            _ => Err(format!("unexpected argument {a:?}")),
        };
        if let Err(e) = r {
            return usage(&e);
        }
    }
    let Some(instance_path) = instance else {
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
    let ledger = match replay {
        Some(path) => {
            let log = match std::fs::read_to_string(&path) {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("{path}: {e}");
                    return ExitCode::from(2);
                }
            };
            match Ledger::replay(instance, &log) {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("{path}: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        None => {
            let mut ledger = match Ledger::new(instance) {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(1);
                }
            };
            let input: Box<dyn BufRead> = match commands.as_deref() {
                None | Some("-") => Box::new(std::io::stdin().lock()),
                Some(path) => match std::fs::File::open(path) {
                    Ok(f) => Box::new(std::io::BufReader::new(f)),
                    Err(e) => {
                        eprintln!("{path}: {e}");
                        return ExitCode::from(2);
                    }
                },
            };
            for (k, line) in input.lines().enumerate() {
                let line = match line {
                    Ok(l) => l,
                    Err(e) => {
                        eprintln!("line {}: rejected: cannot read: {e}", k + 1);
                        continue;
                    }
                };
                if line.trim().is_empty() {
                    continue;
                }
                if let Err(e) = ledger.apply_line(&line) {
                    eprintln!("line {}: rejected: {e}", k + 1);
                }
            }
            ledger
        }
    };
    if let Some(path) = events {
        if let Err(e) = std::fs::write(&path, ledger.events_jsonl().unwrap()) {
            eprintln!("{path}: {e}");
            return ExitCode::from(1);
        }
    }
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{}", ledger.summary()).is_err() {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("{msg}\n{USAGE}");
    ExitCode::from(2)
}
