//! The server's notion of now, and instants as people write them.
//!
//! Engines and use cases never read a clock: they are given `now`
//! (seconds since the epoch, UTC). The server reads it from a `Clock`,
//! which for demonstrations and tests can start at another instant
//! (`serve --demo --now`) and then runs at the normal pace.

use crate::AppError;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    /// Seconds added to the system's time.
    offset: i64,
}

fn system_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl Clock {
    /// The system's time.
    pub fn system() -> Clock {
        Clock { offset: 0 }
    }

    /// A clock that reads `start` (RFC 3339) now and runs on from it.
    pub fn starting_at(start: &str) -> Result<Clock, AppError> {
        let at = parse_instant("now", start)?;
        Ok(Clock {
            offset: at - system_now(),
        })
    }

    pub fn now(&self) -> i64 {
        system_now() + self.offset
    }
}

/// The calendar date of `secs` in the time zone `tz` (IANA name, e.g.
/// `America/Chicago`): the date the state's rules mean.
pub fn date_in(tz: &str, secs: i64) -> Result<jiff::civil::Date, AppError> {
    let zone = jiff::tz::TimeZone::get(tz)
        .map_err(|e| AppError::Refused(format!("`{tz}` is not a time zone: {e}")))?;
    let t = jiff::Timestamp::from_second(secs)
        .map_err(|e| AppError::Refused(format!("instant {secs}: {e}")))?;
    Ok(t.to_zoned(zone).date())
}

/// An instant as RFC 3339 in UTC (`2026-11-30T08:51:43Z`).
pub fn rfc3339(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| secs.to_string())
}

/// An instant given as RFC 3339 (`2026-11-30T08:51:43Z`, any offset) or
/// as a date (`2026-11-30`, its first second in UTC).
pub fn parse_instant(field: &str, s: &str) -> Result<i64, AppError> {
    let s = s.trim();
    if let Ok(t) = jiff::Timestamp::from_str(s) {
        return Ok(t.as_second());
    }
    if let Ok(d) = jiff::civil::Date::from_str(s) {
        if let Ok(t) = d.to_zoned(jiff::tz::TimeZone::UTC) {
            return Ok(t.timestamp().as_second());
        }
    }
    Err(AppError::Invalid {
        field: field.into(),
        message: format!(
            "`{s}` is not an instant: write it as 2026-11-30T08:00:00Z (RFC 3339) or a date, 2026-11-30"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_read_and_write_as_rfc_3339() {
        let t = parse_instant("since", "2026-11-30T08:51:43Z").unwrap();
        assert_eq!(rfc3339(t), "2026-11-30T08:51:43Z");
        assert_eq!(
            parse_instant("since", "2026-11-30T02:51:43-06:00").unwrap(),
            t
        );
        assert_eq!(
            rfc3339(parse_instant("since", "2026-11-30").unwrap()),
            "2026-11-30T00:00:00Z"
        );
        let e = parse_instant("since", "yesterday").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("since: `yesterday` is not an instant"),
            "{e}"
        );
    }

    #[test]
    fn dates_are_the_state_s_calendar_dates() {
        // 2027-01-16 03:00 UTC is still January 15 in Chicago.
        let t = parse_instant("now", "2027-01-16T03:00:00Z").unwrap();
        assert_eq!(
            date_in("America/Chicago", t).unwrap().to_string(),
            "2027-01-15"
        );
        assert_eq!(date_in("UTC", t).unwrap().to_string(), "2027-01-16");
        assert!(date_in("Mars/Olympus", t).is_err());
    }

    #[test]
    fn a_clock_started_elsewhere_runs_from_there() {
        let c = Clock::starting_at("2019-01-15T12:00:00Z").unwrap();
        let start = parse_instant("now", "2019-01-15T12:00:00Z").unwrap();
        assert!((c.now() - start).abs() <= 2);
        assert!((Clock::system().now() - system_now()).abs() <= 1);
    }
}
