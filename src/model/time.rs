//! Local date-times (`YYYY-MM-DDTHH:MM:SS`) and time windows.

use std::fmt;

/// A local date-time, stored as seconds since 0000-03-01T00:00:00 (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(i64);

impl DateTime {
    /// Parses exactly `YYYY-MM-DDTHH:MM:SS`, checking month lengths and leap years.
    ///
    /// ```
    /// use duijie::model::DateTime;
    /// let t = DateTime::parse("2028-02-29T23:59:59").unwrap();
    /// assert_eq!(t.to_string(), "2028-02-29T23:59:59");
    /// assert!(DateTime::parse("2026-02-29T00:00:00").is_none());
    /// ```
    pub fn parse(s: &str) -> Option<DateTime> {
        let b = s.as_bytes();
        if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            b[r].iter().try_fold(0i64, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
            })
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
            return None;
        }
        if h > 23 || mi > 59 || se > 59 {
            return None;
        }
        Some(DateTime(
            days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se,
        ))
    }

    /// Seconds since the internal epoch; differences are durations in seconds.
    pub fn seconds(self) -> i64 {
        self.0
    }

    /// This time plus `secs` seconds.
    pub fn plus_seconds(self, secs: i64) -> DateTime {
        DateTime(self.0 + secs)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, secs) = (self.0.div_euclid(86_400), self.0.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 0000-03-01 (Howard Hinnant's algorithm, years ≥ 0).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A closed time window `[start, end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    /// First moment of the window.
    pub start: DateTime,
    /// Last moment of the window, not before `start`.
    pub end: DateTime,
}

impl Window {
    /// Two windows overlap when each starts no later than the other ends (touching counts).
    pub fn overlaps(&self, other: &Window) -> bool {
        self.start <= other.end && other.start <= self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_orders() {
        for s in [
            "0000-01-01T00:00:00",
            "1999-12-31T23:59:59",
            "2000-02-29T12:00:00",
            "2026-12-01T09:00:00",
            "9999-12-31T23:59:59",
        ] {
            let t = DateTime::parse(s).unwrap();
            assert_eq!(t.to_string(), s);
        }
        let a = DateTime::parse("2026-12-31T23:59:59").unwrap();
        let b = DateTime::parse("2027-01-01T00:00:00").unwrap();
        assert_eq!(b.seconds() - a.seconds(), 1);
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "2026-12-01",
            "2026-12-01 09:00:00",
            "2026-13-01T09:00:00",
            "2026-00-01T09:00:00",
            "2026-04-31T09:00:00",
            "2100-02-29T09:00:00",
            "2026-12-01T24:00:00",
            "2026-12-01T09:60:00",
            "2026-12-01T09:00:60",
            "2026-12-01T09:00:0x",
            "+026-12-01T09:00:00",
            "2026-12-01T09:00:00Z",
            "２０２６-12-01T09:00:00",
        ] {
            assert!(DateTime::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn windows_touching_overlap() {
        let t = |s| DateTime::parse(s).unwrap();
        let w = |a, b| Window {
            start: t(a),
            end: t(b),
        };
        let a = w("2026-01-01T00:00:00", "2026-01-02T00:00:00");
        assert!(a.overlaps(&w("2026-01-02T00:00:00", "2026-01-03T00:00:00")));
        assert!(!a.overlaps(&w("2026-01-02T00:00:01", "2026-01-03T00:00:00")));
        assert!(a.overlaps(&w("2025-01-02T00:00:01", "2027-01-03T00:00:00")));
    }
}
