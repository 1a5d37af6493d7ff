//! The durable log and snapshots: a store reopened after any number of commands, with or
//! without snapshots, with per-command or group commit, rebuilds exactly the ledger of a run
//! that never stopped; a torn last line is dropped and reported; logs and snapshots that do
//! not belong are refused.

mod streams;

use duijie::generate::{generate, Rng, Shape};
use duijie::orders::{Ledger, LogError, Rules, Store, StoreError, StoreOptions, SyncMode};
use duijie::Instance;
use std::io::Write;
use std::path::{Path, PathBuf};
use streams::Gen;

fn instance() -> Instance {
    Instance::from_data(&generate(&Shape::tiny(), 4)).unwrap()
}

/// A random stream of `n` lines.
fn stream(n: usize, seed: u64) -> Vec<String> {
    let mut ledger = Ledger::new(instance()).unwrap();
    let (mut rng, mut gen) = (Rng::new(seed), Gen::default());
    (0..n)
        .map(|_| {
            let line = gen.command(&mut rng, &ledger);
            let _ = ledger.apply_line(&line);
            line
        })
        .collect()
}

/// The ledger after `lines`, never stopped.
fn reference(lines: &[String]) -> Ledger {
    let mut ledger = Ledger::new(instance()).unwrap();
    for l in lines {
        let _ = ledger.apply_line(l);
    }
    ledger
}

fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn open(log: &Path, options: StoreOptions) -> Result<Store, StoreError> {
    Store::open(instance(), Rules::default(), log, options).map(|(s, _)| s)
}

/// Reopened after every few commands, from snapshot plus tail or from the log alone, with
/// per-command sync or group commit: always the ledger of the unbroken run.
#[test]
fn reopening_rebuilds_the_same_ledger() {
    let lines = stream(300, 11);
    for (sync, every) in [
        (SyncMode::EveryCommand, 0),
        (SyncMode::EveryCommand, 7),
        (SyncMode::Group, 5),
    ] {
        let d = dir(&format!("reopen-{sync:?}-{every}"));
        let (log, snap) = (d.join("log.jsonl"), d.join("snap.json"));
        let options = StoreOptions {
            sync,
            snapshot: (every > 0).then(|| snap.clone()),
            snapshot_every: every,
        };
        let mut done = 0;
        let mut rng = Rng::new(every);
        while done < lines.len() {
            let mut store = open(&log, options.clone()).unwrap();
            let upto = (done + rng.range(1, 40) as usize).min(lines.len());
            for l in &lines[done..upto] {
                let _ = store.apply_line(l);
            }
            store.commit().unwrap();
            done = upto;
            let expected = reference(&lines[..done]);
            assert_eq!(store.ledger().snapshot(), expected.snapshot());
        }
        let (store, recovery) =
            Store::open(instance(), Rules::default(), &log, options.clone()).unwrap();
        assert_eq!(store.ledger().snapshot(), reference(&lines).snapshot());
        assert!(recovery.torn.is_none());
        if every > 0 {
            assert!(recovery.snapshot.is_some());
            assert!(recovery.replayed < every, "{recovery:?}");
        }
    }
}

/// A last line cut short (a crash during the write) is dropped, reported, and cut off the
/// file; the ledger is that of the commands before it, and appends go on after it.
#[test]
fn a_torn_last_line_is_dropped_and_reported() {
    let lines = stream(120, 12);
    let d = dir("torn");
    let log = d.join("log.jsonl");
    let mut store = open(&log, StoreOptions::default()).unwrap();
    let mut accepted = Vec::new();
    for (k, l) in lines.iter().enumerate() {
        if store.apply_line(l).is_ok_and(|a| a.event.is_some()) {
            accepted.push(k);
        }
    }
    drop(store);
    let text = std::fs::read_to_string(&log).unwrap();
    let last = text.trim_end().rfind('\n').unwrap() + 1;
    let cut = last + (text.len() - last) / 2;
    std::fs::write(&log, &text.as_bytes()[..cut]).unwrap();
    let (mut store, recovery) =
        Store::open(instance(), Rules::default(), &log, StoreOptions::default()).unwrap();
    let torn = recovery.torn.expect("the torn line is reported");
    assert_eq!(torn.line, text.lines().count());
    assert_eq!(torn.bytes, cut - last);
    assert_eq!(std::fs::metadata(&log).unwrap().len() as usize, last);
    // The ledger holds every command but the torn one.
    let upto = *accepted.last().unwrap();
    let expected = reference(&lines[..upto]);
    assert_eq!(store.ledger().snapshot(), expected.snapshot());
    // The torn command, sent again, lands as the same event.
    let again = store.apply_line(&lines[upto]).unwrap();
    assert_eq!(again.event.unwrap().seq, expected.seq() + 1);
    assert_eq!(store.ledger().snapshot(), reference(&lines).snapshot());
}

/// Logs and snapshots that do not belong are refused with coded errors.
#[test]
fn refusals() {
    let lines = stream(60, 13);
    let d = dir("refusals");
    let (log, snap) = (d.join("log.jsonl"), d.join("snap.json"));
    let options = StoreOptions {
        snapshot: Some(snap.clone()),
        snapshot_every: 10,
        ..StoreOptions::default()
    };
    let mut store = open(&log, options.clone()).unwrap();
    for l in &lines {
        let _ = store.apply_line(l);
    }
    drop(store);
    // Another rules' fingerprint.
    let rules = Rules {
        key_hours: 2,
        ..Rules::default()
    };
    let err = Store::open(instance(), rules, &log, StoreOptions::default()).unwrap_err();
    assert_eq!(err.code(), "log_header", "{err}");
    // The log's own rules open it.
    assert!(Store::open(instance(), Rules::default(), &log, options.clone()).is_ok());
    // A snapshot without its log.
    let lone = d.join("none.jsonl");
    assert_eq!(
        open(&lone, options.clone()).unwrap_err().code(),
        "snapshot_without_log"
    );
    // A snapshot ahead of its log.
    let text = std::fs::read_to_string(&log).unwrap();
    let short: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
    let short_log = d.join("short.jsonl");
    std::fs::write(&short_log, short).unwrap();
    assert_eq!(
        open(&short_log, options.clone()).unwrap_err().code(),
        "snapshot_ahead"
    );
    // A damaged line before the last.
    let mut damaged: Vec<String> = text.lines().map(str::to_owned).collect();
    damaged[2] = damaged[2].replace("\"seq\"", "\"sq\"");
    let bad_log = d.join("bad.jsonl");
    let mut f = std::fs::File::create(&bad_log).unwrap();
    for l in &damaged {
        writeln!(f, "{l}").unwrap();
    }
    let err = open(&bad_log, StoreOptions::default()).unwrap_err();
    assert!(
        matches!(err, StoreError::Log(LogError::Line { line: 3, .. })),
        "{err}"
    );
}
