//! A ledger's fingerprint: a 128-bit FNV-1a hash of the canonical JSON of the instance it
//! started from and of its rules, written as 32 hex digits. Logs and snapshots carry it, so
//! that a ledger refuses those of another instance or other rules. (A guard against mix-ups,
//! not against forgery.)

use super::rules::Rules;
use crate::contract::InstanceData;
use std::io::Write;

const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

/// FNV-1a over everything written to it.
struct Fnv(u128);

impl Write for Fnv {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.0 = (self.0 ^ u128::from(b)).wrapping_mul(PRIME);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The fingerprint of an instance (in contract form) and rules.
pub(super) fn of(instance: &InstanceData, rules: &Rules) -> String {
    let mut h = Fnv(OFFSET);
    // Writing into the hash cannot fail; serialising the contract's types neither.
    let _ = serde_json::to_writer(&mut h, instance);
    let _ = h.write_all(b"\n");
    let _ = serde_json::to_writer(&mut h, rules);
    format!("{:032x}", h.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_128_reference_values() {
        // The published FNV-1a test vectors for 128 bits.
        let hash = |s: &[u8]| {
            let mut h = Fnv(OFFSET);
            h.write_all(s).unwrap();
            format!("{:032x}", h.0)
        };
        assert_eq!(hash(b""), "6c62272e07bb014262b821756295c58d");
        assert_eq!(hash(b"a"), "d228cb696f1a8caf78912b704e4a8964");
    }

    #[test]
    fn rules_change_the_fingerprint() {
        let data = InstanceData::default();
        let mut other = Rules::default();
        other.points.good_rating_bonus += 1;
        assert_ne!(of(&data, &Rules::default()), of(&data, &other));
        assert_eq!(of(&data, &Rules::default()), of(&data, &Rules::default()));
    }
}
