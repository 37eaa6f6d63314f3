//! Durations and instants as users read them: "1 h 20 min", "in 5 min",
//! "2026-12-03 14:00 UTC". `now` is always a parameter, so every text is
//! testable without a clock.

use easel_shared::UnixMillis;

use crate::i18n::{Locale, tr};

/// A duration in the largest two units that matter: `45 s`, `20 min`,
/// `1 h 20 min`, `3 d 4 h`. Rounded up, so "in 2 min" is never too early.
pub fn duration(locale: Locale, millis: i64) -> String {
    let secs = u64::try_from(millis).unwrap_or(0).div_ceil(1000);
    if secs < 60 {
        return tr(locale, "dur-s", &[("s", secs.into())]);
    }
    let mins = secs.div_ceil(60);
    if mins < 60 {
        return tr(locale, "dur-m", &[("m", mins.into())]);
    }
    let (h, m) = (mins / 60, mins % 60);
    if h < 48 {
        return match m {
            0 => tr(locale, "dur-h", &[("h", h.into())]),
            _ => tr(locale, "dur-hm", &[("h", h.into()), ("m", m.into())]),
        };
    }
    let (d, h) = (h / 24, h % 24);
    match h {
        0 => tr(locale, "dur-d", &[("d", d.into())]),
        _ => tr(locale, "dur-dh", &[("d", d.into()), ("h", h.into())]),
    }
}

/// A period given in seconds (a window's length): `3 h`, `24 h`, `7 d`.
pub fn period(locale: Locale, secs: u64) -> String {
    duration(
        locale,
        i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX),
    )
}

/// How long until `at`, as "in 1 h 20 min" (or "now" if it has passed).
pub fn until(locale: Locale, now: UnixMillis, at: UnixMillis) -> String {
    let left = at.0.saturating_sub(now.0);
    if left <= 0 {
        return tr(locale, "time-now", &[]);
    }
    tr(locale, "time-in", &[("dur", duration(locale, left).into())])
}

/// An instant as a UTC date and time: `2026-12-03 14:00 UTC`.
pub fn date(locale: Locale, at: UnixMillis) -> String {
    let (y, mo, d) = civil_from_days(at.day());
    let in_day = at.0.rem_euclid(UnixMillis::DAY) / 60_000;
    let text = format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}",
        in_day / 60,
        in_day % 60
    );
    tr(locale, "date-utc", &[("date", text.into())])
}

/// A UTC day number as its date, `2026-12-03` (the same in every language).
pub fn day(day: i64) -> String {
    let (y, mo, d) = civil_from_days(day);
    format!("{y:04}-{mo:02}-{d:02}")
}

/// Days since 1970-01-01 -> (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn durations_round_up_to_two_units() {
        for (millis, en, zh) in [
            (0, "0 s", "0 秒"),
            (1, "1 s", "1 秒"),
            (59_001, "1 min", "1 分钟"),
            (20 * MIN, "20 min", "20 分钟"),
            (80 * MIN, "1 h 20 min", "1 小时 20 分钟"),
            (80 * MIN - 30_000, "1 h 20 min", "1 小时 20 分钟"),
            (180 * MIN, "3 h", "3 小时"),
            (24 * 60 * MIN, "24 h", "24 小时"),
            (7 * 24 * 60 * MIN, "7 d", "7 天"),
            (50 * 60 * MIN, "2 d 2 h", "2 天 2 小时"),
        ] {
            assert_eq!(duration(Locale::En, millis), en);
            assert_eq!(duration(Locale::ZhCn, millis), zh);
        }
    }

    #[test]
    fn relative_and_absolute_times() {
        let now = UnixMillis(1_000_000);
        assert_eq!(
            until(Locale::En, now, UnixMillis(1_000_000 + 80 * MIN)),
            "in 1 h 20 min"
        );
        assert_eq!(
            until(Locale::ZhCn, now, UnixMillis(1_000_000 + 80 * MIN)),
            "1 小时 20 分钟后"
        );
        assert_eq!(until(Locale::En, now, UnixMillis(0)), "now");
        // 2025-11-26 13:05 UTC
        let t = UnixMillis(1_764_162_300_000);
        assert_eq!(date(Locale::En, t), "2025-11-26 13:05 UTC");
        assert_eq!(date(Locale::En, UnixMillis(0)), "1970-01-01 00:00 UTC");
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }
}
