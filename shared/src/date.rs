//! A calendar date (UTC), for model shutdown dates: parsed from and written
//! as `YYYY-MM-DD`, the form OpenAI's `shutdown_date` and the config use.
//! No time zone, no clock: callers pass "today" in.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::UnixMillis;

const MS_PER_DAY: i64 = 86_400_000;

/// A day of the proleptic Gregorian calendar, stored as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarDate(i64);

/// Text that is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date (YYYY-MM-DD)")]
pub struct BadDate(pub String);

impl CalendarDate {
    /// The date of `year-month-day`, if it exists.
    pub fn ymd(year: i64, month: u32, day: u32) -> Option<Self> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days_in)
            .contains(&day)
            .then(|| Self(days_from_civil(year, month, day)))
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self, BadDate> {
        let bad = || BadDate(text.to_owned());
        let mut parts = text.trim().splitn(3, '-');
        let mut next = || parts.next().ok_or_else(bad);
        let (y, m, d) = (next()?, next()?, next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let year = y.parse().map_err(|_| bad())?;
        let month = m.parse().map_err(|_| bad())?;
        let day = d.parse().map_err(|_| bad())?;
        Self::ymd(year, month, day).ok_or_else(bad)
    }

    /// The UTC day an instant falls on.
    pub fn of(at: UnixMillis) -> Self {
        Self(at.0.div_euclid(MS_PER_DAY))
    }

    /// Whole days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: CalendarDate) -> i64 {
        later.0 - self.0
    }

    /// (year, month, day).
    pub fn to_ymd(self) -> (i64, u32, u32) {
        civil_from_days(self.0)
    }
}

// The two conversions below are the well-known "days from civil" algorithms
// (eras of 400 years); exact for every date in i64 range we care about.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.to_ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl std::str::FromStr for CalendarDate {
    type Err = BadDate;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for CalendarDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CalendarDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_counts_days() {
        let d = CalendarDate::parse("2026-12-01").unwrap();
        assert_eq!(d.to_string(), "2026-12-01");
        let leap = CalendarDate::parse("2028-02-29").unwrap();
        assert_eq!(leap.to_string(), "2028-02-29");
        assert_eq!(d.days_until(CalendarDate::parse("2027-01-01").unwrap()), 31);
        // 2026-12-05T10:00:00Z
        assert_eq!(
            CalendarDate::of(UnixMillis(1_796_464_800_000)).to_string(),
            "2026-12-05"
        );
        assert_eq!(CalendarDate::of(UnixMillis(0)).to_string(), "1970-01-01");
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for bad in [
            "2026-13-01",
            "2026-02-29",
            "2026-1-01",
            "26-01-01",
            "soon",
            "",
            "2026-01-01x",
        ] {
            assert!(CalendarDate::parse(bad).is_err(), "{bad}");
        }
    }
}
