//! Idempotency keys: for each key of an accepted command, the command's canonical body and
//! sequence number, remembered for [`super::Rules::key_hours`] of ledger time (the commands'
//! `at`), so that a retry is recognised and a reuse with another body refused.

use crate::model::time::DateTime;
use std::collections::{BTreeMap, BTreeSet};

/// What a key remembers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Remembered {
    /// The command without its key, in canonical JSON.
    pub(super) body: String,
    /// Its sequence number.
    pub(super) seq: u64,
    /// When it was accepted (ledger time).
    pub(super) at: DateTime,
}

/// The remembered keys, with their expiry order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Keys {
    by_key: BTreeMap<String, Remembered>,
    by_time: BTreeSet<(DateTime, String)>,
}

impl Keys {
    pub(super) fn get(&self, key: &str) -> Option<&Remembered> {
        self.by_key.get(key)
    }

    pub(super) fn insert(&mut self, key: String, r: Remembered) {
        self.by_time.insert((r.at, key.clone()));
        if let Some(old) = self.by_key.insert(key.clone(), r) {
            self.by_time.remove(&(old.at, key));
        }
    }

    /// Forgets every key accepted before `before`.
    pub(super) fn expire(&mut self, before: DateTime) {
        while let Some((at, key)) = self.by_time.first().cloned() {
            if at >= before {
                break;
            }
            self.by_time.pop_first();
            self.by_key.remove(&key);
        }
    }

    /// Every key with what it remembers, by key.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&String, &Remembered)> {
        self.by_key.iter()
    }
}
