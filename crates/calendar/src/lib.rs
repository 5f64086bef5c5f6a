//! School years and the dates rules name within them. A school year is
//! named by its first calendar year (2026 for 2026-27) and starts in a
//! month the rules give (Illinois: July, with the fiscal year); a rule
//! names a date by month, day and which of the school year's two calendar
//! years it falls in. Dates are calendar dates of the state's time zone:
//! the caller turns "now" into one, so nothing here reads a clock.

use serde::{Deserialize, Serialize};

pub use jiff::civil::Date;

/// A date within a school year: `year` 0 is the school year's first
/// calendar year, 1 the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct YearDay {
    pub month: i8,
    pub day: i8,
    pub year: i16,
}

impl YearDay {
    /// The date in the school year starting in calendar year `start`.
    pub fn on(self, start: i16) -> Result<Date, String> {
        let year = start + self.year;
        Date::new(year, self.month, self.day)
            .map_err(|e| format!("{year}-{}-{} is not a date: {e}", self.month, self.day))
    }

    /// Checks that the date exists in every school year (February 29 does
    /// not) and that `year` is 0 or 1.
    pub fn check(self) -> Result<(), String> {
        if !(0..=1).contains(&self.year) {
            return Err(format!(
                "year = {}: 0 names the school year's first calendar year, 1 the next",
                self.year
            ));
        }
        // 2021 and 2022 are not leap years: a date valid in both is
        // valid in every year.
        self.on(2021)?;
        self.on(2022).map(|_| ())
    }
}

/// The first calendar year of the school year `today` falls in, when
/// school years start in month `starts` (1-12).
pub fn school_year_of(today: Date, starts: i8) -> i16 {
    if today.month() >= starts {
        today.year()
    } else {
        today.year() - 1
    }
}

/// A school year as people write it: `2026-27`.
pub fn school_year_label(start: i16) -> String {
    format!("{start}-{:02}", (start + 1).rem_euclid(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn a_school_year_starts_in_its_month() {
        assert_eq!(school_year_of(date("2026-06-30"), 7), 2025);
        assert_eq!(school_year_of(date("2026-07-01"), 7), 2026);
        assert_eq!(school_year_of(date("2027-01-31"), 7), 2026);
        assert_eq!(school_year_of(date("2027-01-31"), 1), 2027);
        assert_eq!(school_year_label(2026), "2026-27");
        assert_eq!(school_year_label(1999), "1999-00");
    }

    #[test]
    fn a_rule_date_falls_in_either_calendar_year() {
        let jan31 = YearDay {
            month: 1,
            day: 31,
            year: 1,
        };
        assert_eq!(jan31.on(2026).unwrap(), date("2027-01-31"));
        assert!(jan31.check().is_ok());
        let feb29 = YearDay {
            month: 2,
            day: 29,
            year: 1,
        };
        assert!(feb29.check().unwrap_err().contains("is not a date"));
        let far = YearDay {
            month: 1,
            day: 1,
            year: 2,
        };
        assert!(far.check().unwrap_err().starts_with("year = 2"));
    }
}
