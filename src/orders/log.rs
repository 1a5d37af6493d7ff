//! The durable event log: an append-only JSON Lines file. Its first line names the format and
//! the ledger's fingerprint; every further line is one event, `{"seq": N, "command": {...}}`.
//! Each append is written in one piece; it is on disk once [`EventLog::sync`] returns (after
//! every append with [`SyncMode::EveryCommand`], or for a group of appends with [`SyncMode::Group`]).
//!
//! Opening a log reads it line by line. A last line without its line break is the trace of a
//! write cut short (a crash): it is cut off the file and reported ([`Torn`]). A log of another
//! fingerprint, or a damaged line before the last, is refused.

use super::command::Event;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The log format's version.
const VERSION: u32 = 1;

/// When appended events reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncMode {
    /// Each append is synced before it returns.
    #[default]
    EveryCommand,
    /// Appends are synced together by [`EventLog::sync`] (group commit): the caller
    /// acknowledges them only after that.
    Group,
}

/// A torn last line that was cut off when the log was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torn {
    /// Its 1-based line number.
    pub line: usize,
    /// The bytes dropped.
    pub bytes: usize,
}

/// Why a log could not be opened or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// Reading or writing failed.
    #[error("event log: {0}")]
    Io(#[from] io::Error),
    /// The first line is not this format's header, or names another fingerprint.
    #[error("event log header: {0}")]
    Header(String),
    /// A line before the last could not be read or applied.
    #[error("event log line {line}: {reason}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

impl LogError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            LogError::Io(_) => "io",
            LogError::Header(_) => "log_header",
            LogError::Line { .. } => "log_line",
        }
    }
}

/// The header line of a log with this fingerprint.
pub(super) fn header(fingerprint: &str) -> String {
    format!(r#"{{"duijie_log":{VERSION},"fingerprint":"{fingerprint}"}}"#)
}

/// Checks a header line against `fingerprint`.
pub(super) fn check_header(line: &str, fingerprint: &str) -> Result<(), String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Header {
        duijie_log: u32,
        fingerprint: String,
    }
    let h: Header =
        serde_json::from_str(line).map_err(|e| format!("not a duijie event log header ({e})"))?;
    if h.duijie_log != VERSION {
        return Err(format!(
            "log version {}, this library reads {VERSION}",
            h.duijie_log
        ));
    }
    if h.fingerprint != fingerprint {
        return Err(format!(
            "a log of another instance or other rules (fingerprint {}, expected {fingerprint})",
            h.fingerprint
        ));
    }
    Ok(())
}

/// Syncs the directory holding `path`, so that a created or renamed file is on disk.
pub(super) fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    File::open(dir)?.sync_all()
}

/// An open event log, positioned at its end.
#[derive(Debug)]
pub struct EventLog {
    file: File,
    sync: SyncMode,
    /// Whether appends wait for a sync.
    pending: bool,
    /// Bytes in the file.
    len: u64,
}

/// A log opened with [`EventLog::open`]: the log, and the torn line it dropped, if any.
#[derive(Debug)]
pub struct Opened {
    /// The log, ready for appends.
    pub log: EventLog,
    /// The torn last line that was cut off.
    pub torn: Option<Torn>,
    /// Events read (after the header).
    pub events: usize,
}

impl EventLog {
    /// Creates a new log with its header, synced (the file must not exist).
    ///
    /// # Errors
    /// [`LogError::Io`].
    pub fn create(path: &Path, fingerprint: &str, sync: SyncMode) -> Result<EventLog, LogError> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(path)?;
        let line = format!("{}\n", header(fingerprint));
        file.write_all(line.as_bytes())?;
        file.sync_all()?;
        sync_dir(path)?;
        Ok(EventLog {
            file,
            sync,
            pending: false,
            len: line.len() as u64,
        })
    }

    /// Opens an existing log of `fingerprint` and hands every complete event line after the
    /// header to `visit` (with its 1-based line number), in order; a torn last line is cut
    /// off. A file holding nothing but a torn header gets a new header.
    ///
    /// # Errors
    /// [`LogError::Header`] for another format or fingerprint; [`LogError::Line`] when `visit`
    /// refuses a line; [`LogError::Io`].
    pub fn open(
        path: &Path,
        fingerprint: &str,
        sync: SyncMode,
        mut visit: impl FnMut(usize, &str) -> Result<(), String>,
    ) -> Result<Opened, LogError> {
        let file = OpenOptions::new().read(true).append(true).open(path)?;
        let mut reader = BufReader::with_capacity(1 << 20, &file);
        let mut buf = Vec::new();
        let (mut line, mut good, mut events) = (0usize, 0u64, 0usize);
        let mut torn = None;
        loop {
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf)?;
            if n == 0 {
                break;
            }
            line += 1;
            if buf.last() != Some(&b'\n') {
                torn = Some(Torn { line, bytes: n });
                break;
            }
            let text = std::str::from_utf8(&buf[..n - 1]).map_err(|_| LogError::Line {
                line,
                reason: "not UTF-8".into(),
            })?;
            if line == 1 {
                check_header(text, fingerprint).map_err(LogError::Header)?;
            } else if !text.trim().is_empty() {
                visit(line, text).map_err(|reason| LogError::Line { line, reason })?;
                events += 1;
            }
            good += n as u64;
        }
        drop(reader);
        let mut log = EventLog {
            file,
            sync,
            pending: false,
            len: good,
        };
        if torn.is_some() {
            log.file.set_len(good)?;
            log.file.sync_all()?;
        }
        if good == 0 {
            // Nothing but a torn header: the file was being created.
            let h = format!("{}\n", header(fingerprint));
            log.file.write_all(h.as_bytes())?;
            log.file.sync_all()?;
            log.len = h.len() as u64;
        }
        log.file.seek(SeekFrom::End(0))?;
        Ok(Opened { log, torn, events })
    }

    /// Appends one event (one write of one line); with [`SyncMode::EveryCommand`] it is on disk
    /// when this returns.
    ///
    /// # Errors
    /// The write's or the sync's.
    pub fn append(&mut self, event: &Event) -> io::Result<()> {
        let mut line = event.to_json();
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.len += line.len() as u64;
        self.pending = true;
        if self.sync == SyncMode::EveryCommand {
            self.sync()?;
        }
        Ok(())
    }

    /// Puts every append so far on disk.
    ///
    /// # Errors
    /// The sync's.
    pub fn sync(&mut self) -> io::Result<()> {
        if self.pending {
            self.file.sync_data()?;
            self.pending = false;
        }
        Ok(())
    }

    /// The file's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the log holds nothing (not even its header).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The sequence number at the start of an event line written by this library
/// (`{"seq":N,...`), read without parsing the rest.
pub(super) fn quick_seq(line: &str) -> Option<u64> {
    let rest = line.strip_prefix(r#"{"seq":"#)?;
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    rest[..end].parse().ok()
}
