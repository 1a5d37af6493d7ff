//! A ledger that survives restarts: every accepted command is appended to a durable
//! [`EventLog`] before it is acknowledged, snapshots are written now and then (atomically: a
//! temporary file, synced, then renamed), and opening rebuilds the ledger from the snapshot
//! plus the log's tail. After a crash at any moment, the commands acknowledged before it are
//! all there; a command cut short in the log is dropped (and was never acknowledged).

use super::command::Command;
use super::error::{Rejection, ReplayError};
use super::log::{self, EventLog, LogError, SyncMode, Torn};
use super::rules::Rules;
use super::snapshot::SnapshotError;
use super::{Applied, Ledger};
use crate::model::Instance;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// How a [`Store`] keeps its log and snapshots.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// When appends reach the disk.
    pub sync: SyncMode,
    /// Where snapshots go (none without).
    pub snapshot: Option<PathBuf>,
    /// A snapshot after every this many events (0: only on [`Store::snapshot`]).
    pub snapshot_every: u64,
}

/// Why a store could not open, or could not take a command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The command was rejected; nothing changed.
    #[error("{0}")]
    Rejected(#[from] Rejection),
    /// The log could not be opened, read or written.
    #[error("{0}")]
    Log(#[from] LogError),
    /// The snapshot could not be read.
    #[error("snapshot: {0}")]
    Snapshot(#[from] SnapshotError),
    /// A snapshot exists but no log (the snapshot would be of another run).
    #[error("a snapshot exists but its log does not")]
    SnapshotWithoutLog,
    /// A snapshot newer than its log.
    #[error("the snapshot (seq {snapshot}) is ahead of its log (seq {log})")]
    SnapshotAhead {
        /// The snapshot's sequence number.
        snapshot: u64,
        /// The log's last.
        log: u64,
    },
    /// The ledger could not start.
    #[error("{0}")]
    Replay(#[from] ReplayError),
    /// Writing failed earlier: the store takes no more commands until it is opened again
    /// (the command that failed to be written was not acknowledged).
    #[error("the store failed to write and must be reopened: {0}")]
    Failed(String),
    /// Writing a snapshot or syncing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl StoreError {
    /// A stable machine-readable code (a rejected command's own code).
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Rejected(r) => r.code(),
            StoreError::Log(e) => e.code(),
            StoreError::Snapshot(e) => e.code(),
            StoreError::SnapshotWithoutLog => "snapshot_without_log",
            StoreError::SnapshotAhead { .. } => "snapshot_ahead",
            StoreError::Replay(e) => e.code(),
            StoreError::Failed(_) => "store_failed",
            StoreError::Io(_) => "io",
        }
    }
}

/// What opening a store found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// The snapshot's sequence number, when one was read.
    pub snapshot: Option<u64>,
    /// Events of the log applied after it.
    pub replayed: u64,
    /// The torn last line cut off the log.
    pub torn: Option<Torn>,
}

/// A ledger with its durable log and snapshots.
#[derive(Debug)]
pub struct Store {
    ledger: Ledger,
    log: EventLog,
    options: StoreOptions,
    /// Events since the last snapshot.
    since_snapshot: u64,
    failed: Option<String>,
}

/// Writes `text` to `path` atomically: a temporary file beside it, synced, then renamed.
fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    log::sync_dir(path)
}

impl Store {
    /// Opens the store whose log is `log`: when the log exists, the ledger is rebuilt from
    /// the snapshot (if there is one) and the log's tail; otherwise a new ledger starts from
    /// `instance` under `rules` with a new log.
    ///
    /// # Errors
    /// [`StoreError`]: a log or snapshot of another instance or rules, a damaged log, a
    /// snapshot without its log or ahead of it, or an I/O failure.
    pub fn open(
        instance: Instance,
        rules: Rules,
        log: &Path,
        options: StoreOptions,
    ) -> Result<(Store, Recovery), StoreError> {
        let snapshot_text = match &options.snapshot {
            Some(p) if p.exists() => Some(std::fs::read_to_string(p)?),
            _ => None,
        };
        if !log.exists() {
            if snapshot_text.is_some() {
                return Err(StoreError::SnapshotWithoutLog);
            }
            let ledger = Ledger::with_rules(instance, rules)?;
            let log = EventLog::create(log, ledger.fingerprint(), options.sync)?;
            let store = Store {
                ledger,
                log,
                options,
                since_snapshot: 0,
                failed: None,
            };
            return Ok((store, Recovery::default()));
        }
        let (mut ledger, snapshot) = match snapshot_text {
            Some(text) => {
                let l = Ledger::restore(instance, rules, &text)?;
                let seq = l.seq();
                (l, Some(seq))
            }
            None => (Ledger::with_rules(instance, rules)?, None),
        };
        let fingerprint = ledger.fingerprint().to_owned();
        let from = ledger.seq();
        let mut replayed = 0;
        let mut last = 0;
        let opened = EventLog::open(log, &fingerprint, options.sync, |_, line| {
            let seq = log::quick_seq(line);
            if let Some(s) = seq {
                last = s;
                if s <= from {
                    return Ok(());
                }
            }
            let applied = ledger.replay_line(line).map_err(|c| c.to_string())?;
            last = applied.event.map_or(last, |e| e.seq);
            replayed += 1;
            Ok(())
        })?;
        if last < from {
            return Err(StoreError::SnapshotAhead {
                snapshot: from,
                log: last,
            });
        }
        let store = Store {
            ledger,
            log: opened.log,
            since_snapshot: replayed,
            options,
            failed: None,
        };
        Ok((
            store,
            Recovery {
                snapshot,
                replayed,
                torn: opened.torn,
            },
        ))
    }

    /// The ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The ledger, to change things that are not recorded (such as its authority).
    pub fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }

    /// Applies a command and appends its event to the log (on disk when this returns with
    /// [`SyncMode::EveryCommand`]; after [`Store::commit`] with [`SyncMode::Group`]); writes a
    /// snapshot when one is due.
    ///
    /// # Errors
    /// [`StoreError::Rejected`] (nothing changed), or a write failure, after which the store
    /// refuses further commands ([`StoreError::Failed`]) until it is opened again.
    pub fn apply(&mut self, command: Command) -> Result<Applied, StoreError> {
        if let Some(f) = &self.failed {
            return Err(StoreError::Failed(f.clone()));
        }
        let applied = self.ledger.apply(command)?;
        if let Some(event) = &applied.event {
            if let Err(e) = self.log.append(event) {
                self.failed = Some(e.to_string());
                return Err(StoreError::Failed(e.to_string()));
            }
            self.since_snapshot += 1;
            if self.options.snapshot_every > 0 && self.since_snapshot >= self.options.snapshot_every
            {
                self.snapshot()?;
            }
        }
        Ok(applied)
    }

    /// Applies one JSON line (see [`Store::apply`]).
    ///
    /// # Errors
    /// As [`Store::apply`].
    pub fn apply_line(&mut self, line: &str) -> Result<Applied, StoreError> {
        let command = self.ledger.parse(line)?;
        self.apply(command)
    }

    /// Puts every event appended so far on disk (group commit).
    ///
    /// # Errors
    /// The sync's; the store then refuses further commands.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        if let Some(f) = &self.failed {
            return Err(StoreError::Failed(f.clone()));
        }
        self.log.sync().map_err(|e| {
            self.failed = Some(e.to_string());
            StoreError::Failed(e.to_string())
        })
    }

    /// Writes a snapshot now (after syncing the log), atomically.
    ///
    /// # Errors
    /// A write failure.
    pub fn snapshot(&mut self) -> Result<(), StoreError> {
        self.commit()?;
        if let Some(path) = &self.options.snapshot {
            write_atomically(path, &self.ledger.snapshot())?;
        }
        self.since_snapshot = 0;
        Ok(())
    }
}
