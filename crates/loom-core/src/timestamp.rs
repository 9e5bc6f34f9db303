//! loompy's timestamps: UTC as `YYYYMMDDTHHMMSS.ffffffZ` (`%Y%m%dT%H%M%S.%fZ`).

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time as loompy writes it, e.g. `20261121T004213.123456Z`.
pub fn timestamp() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format_unix(since.as_secs(), since.subsec_micros())
}

/// Formats `secs` after the Unix epoch (plus `micros`) as a loompy timestamp.
pub fn format_unix(secs: u64, micros: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}.{micros:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Year, month and day of the `days`-th day after 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_loompy() {
        assert_eq!(format_unix(0, 0), "19700101T000000.000000Z");
        // 2026-11-20 23:53:08.175802 UTC, as fixture 01's last_modified stamp.
        assert_eq!(
            format_unix(1_795_218_788, 175_802),
            "20261120T235308.175802Z"
        );
        assert_eq!(format_unix(951_782_400, 1), "20000229T000000.000001Z");
        assert_eq!(timestamp().len(), 23);
    }
}
