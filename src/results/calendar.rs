//! China's official working-day calendar as data (SPEC.md §11.3): one TOML file per year, from
//! the State Council's yearly notice (国务院办公厅关于部分节假日安排的通知), listing the days off
//! and the weekend days made working days (调休). The years shipped in `calendar/` are built
//! in; a user adds later years (or corrects one) with files of the same form. A date in a
//! year without a calendar is an error, never a guess from weekdays.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

use crate::error::{ErrorKind, Result};

/// The calendar files shipped with the crate, by name.
const SHIPPED: [(&str, &str); 7] = [
    (
        "calendar/2020.toml",
        include_str!("../../calendar/2020.toml"),
    ),
    (
        "calendar/2021.toml",
        include_str!("../../calendar/2021.toml"),
    ),
    (
        "calendar/2022.toml",
        include_str!("../../calendar/2022.toml"),
    ),
    (
        "calendar/2023.toml",
        include_str!("../../calendar/2023.toml"),
    ),
    (
        "calendar/2024.toml",
        include_str!("../../calendar/2024.toml"),
    ),
    (
        "calendar/2025.toml",
        include_str!("../../calendar/2025.toml"),
    ),
    (
        "calendar/2026.toml",
        include_str!("../../calendar/2026.toml"),
    ),
];

/// The working days the national rule gives for publishing results (20 个工作日).
pub const PUBLICATION_WORKING_DAYS: u32 = 20;

/// One year of the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Year {
    /// The notice it comes from.
    pub source: String,
    /// Days off (statutory holidays and the days moved next to them).
    pub holidays: BTreeSet<NaiveDate>,
    /// Saturdays and Sundays made working days (调休).
    pub workdays: BTreeSet<NaiveDate>,
}

/// The working-day calendar: the years it knows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: i32,
    source: String,
    holidays: Vec<String>,
    workdays: Vec<String>,
}

impl Calendar {
    /// The calendar of the years shipped with the crate (2020–2026).
    pub fn official() -> Calendar {
        let mut c = Calendar::default();
        for (name, text) in SHIPPED {
            // The shipped files are tested; a broken one would fail every test.
            let _ = c.add_toml(text, name);
        }
        c
    }

    /// Adds (or replaces) one year from a calendar file's text; `name` names it in errors.
    /// Returns the year.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Calendar`] for text that is not such a file: TOML syntax, an unknown key,
    /// a date that is not `YYYY-MM-DD` (or a range `YYYY-MM-DD..YYYY-MM-DD`) in the file's
    /// year, a holiday that is also a working day, or a working day that is not a weekend day.
    pub fn add_toml(&mut self, text: &str, name: &str) -> Result<i32> {
        let bad = |message: String| -> crate::Error {
            ErrorKind::Calendar {
                file: name.to_string(),
                message,
            }
            .into()
        };
        let raw: RawYear = toml::from_str(text).map_err(|e| bad(e.message().trim().into()))?;
        let mut year = Year {
            source: raw.source,
            ..Year::default()
        };
        let date = |s: &str| -> Result<NaiveDate> {
            let d = parse_date(s).ok_or_else(|| {
                bad(format!(
                    "found {s:?}, expected a date YYYY-MM-DD (or a range YYYY-MM-DD..YYYY-MM-DD)"
                ))
            })?;
            if d.year() != raw.year {
                return Err(bad(format!(
                    "found {s:?}, expected a date in the file's year {}",
                    raw.year
                )));
            }
            Ok(d)
        };
        for h in &raw.holidays {
            let (a, b) = match h.split_once("..") {
                Some((a, b)) => (date(a)?, date(b)?),
                None => (date(h)?, date(h)?),
            };
            if b < a {
                return Err(bad(format!(
                    "found the range {h:?}, whose end is before its start"
                )));
            }
            year.holidays.extend(a.iter_days().take_while(|d| *d <= b));
        }
        for w in &raw.workdays {
            let d = date(w)?;
            if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                return Err(bad(format!(
                    "found the working day {w:?}, a {}, expected a Saturday or Sunday made a working day",
                    d.weekday()
                )));
            }
            if year.holidays.contains(&d) {
                return Err(bad(format!("{w:?} is both a holiday and a working day")));
            }
            year.workdays.insert(d);
        }
        self.years.insert(raw.year, year);
        Ok(raw.year)
    }

    /// The years known.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// True when `d` is a working day: a made working day, or a Monday–Friday that is not a
    /// holiday.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Calendar`] when the calendar has no file for `d`'s year.
    pub fn is_working_day(&self, d: NaiveDate) -> Result<bool> {
        let y = self.years.get(&d.year()).ok_or_else(|| ErrorKind::Calendar {
            file: format!("calendar/{}.toml", d.year()),
            message: format!(
                "no working-day calendar for {} (needed for {d}); known years: {}. Add the State Council's notice for that year as a calendar file (--calendar FILE)",
                d.year(),
                self.years().map(|y| y.to_string()).collect::<Vec<_>>().join(", ")
            ),
        })?;
        if y.workdays.contains(&d) {
            return Ok(true);
        }
        Ok(!y.holidays.contains(&d) && !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
    }

    /// The `n`-th working day after `start` (SPEC.md §11.3): `start` itself never counts; day
    /// 1 is the first working day after it. `n = 0` gives `start`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Calendar`] when a day to count lies in a year without a calendar.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate> {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d.succ_opt().ok_or_else(|| ErrorKind::Calendar {
                file: "calendar".into(),
                message: format!("no date after {d}"),
            })?;
            if self.is_working_day(d)? {
                left -= 1;
            }
        }
        Ok(d)
    }

    /// The publication deadline of an inspection that ended on `end`: the
    /// [`PUBLICATION_WORKING_DAYS`]-th working day after it.
    ///
    /// # Errors
    ///
    /// Those of [`add_working_days`](Self::add_working_days).
    pub fn due(&self, end: NaiveDate) -> Result<NaiveDate> {
        self.add_working_days(end, PUBLICATION_WORKING_DAYS)
    }
}

/// A date written `YYYY-MM-DD` exactly.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn shipped_years_load() {
        let c = Calendar::official();
        assert_eq!(
            c.years().collect::<Vec<_>>(),
            (2020..=2026).collect::<Vec<_>>()
        );
        for (name, text) in SHIPPED {
            Calendar::default().add_toml(text, name).unwrap();
        }
    }

    /// 2020: National Day and Mid-Autumn 1–8 October off; Sunday 27 September and Saturday
    /// 10 October worked. Counting from Monday 28 September: 29, 30 Sep (2), 9 Oct (3), the
    /// made working day 10 Oct (4), then 12–16, 19–23, 26–30 Oct (19), 2 Nov (20).
    #[test]
    fn national_day_2020() {
        let c = Calendar::official();
        assert!(c.is_working_day(d("2020-09-27")).unwrap());
        assert!(c.is_working_day(d("2020-10-10")).unwrap());
        assert!(!c.is_working_day(d("2020-10-05")).unwrap());
        assert!(!c.is_working_day(d("2020-10-11")).unwrap());
        assert_eq!(
            c.add_working_days(d("2020-09-28"), 4).unwrap(),
            d("2020-10-10")
        );
        assert_eq!(c.due(d("2020-09-28")).unwrap(), d("2020-11-02"));
        // Weekdays alone would give 26 October.
        assert_eq!(c.due(d("2020-10-20")).unwrap(), d("2020-11-17"));
        // Starting on a holiday: day 1 is the first working day after it.
        assert_eq!(
            c.add_working_days(d("2020-10-03"), 1).unwrap(),
            d("2020-10-09")
        );
        assert_eq!(
            c.add_working_days(d("2020-10-03"), 0).unwrap(),
            d("2020-10-03")
        );
    }

    /// 2020's Spring Festival, extended to 2 February by the State Council (Saturday 1
    /// February no longer worked); 2025's and 2026's longer holidays; a deadline across years.
    #[test]
    fn other_years() {
        let c = Calendar::official();
        assert!(!c.is_working_day(d("2020-02-01")).unwrap());
        assert!(c.is_working_day(d("2020-01-19")).unwrap());
        assert_eq!(
            c.add_working_days(d("2020-01-23"), 1).unwrap(),
            d("2020-02-03")
        );
        // 2025: 28 Jan – 4 Feb off, Sunday 26 Jan and Saturday 8 Feb worked.
        assert!(c.is_working_day(d("2025-01-26")).unwrap());
        assert!(!c.is_working_day(d("2025-02-04")).unwrap());
        assert_eq!(
            c.add_working_days(d("2025-01-27"), 1).unwrap(),
            d("2025-02-05")
        );
        assert_eq!(
            c.add_working_days(d("2025-02-07"), 1).unwrap(),
            d("2025-02-08")
        );
        // 2026: 15–23 Feb off, Saturdays 14 and 28 Feb worked; National Day 1–7 Oct, 20 Sep
        // and 10 Oct worked.
        assert_eq!(
            c.add_working_days(d("2026-02-13"), 2).unwrap(),
            d("2026-02-24")
        );
        assert!(c.is_working_day(d("2026-02-28")).unwrap());
        assert_eq!(
            c.add_working_days(d("2026-09-30"), 2).unwrap(),
            d("2026-10-09")
        );
        assert_eq!(
            c.add_working_days(d("2026-10-09"), 1).unwrap(),
            d("2026-10-10")
        );
        // 2023 → 2024 across New Year's Day.
        assert_eq!(
            c.add_working_days(d("2023-12-29"), 1).unwrap(),
            d("2024-01-02")
        );
    }

    #[test]
    fn missing_year_is_an_error() {
        let c = Calendar::official();
        let e = c.due(d("2026-12-15")).unwrap_err();
        assert!(e.to_string().contains("2027"), "{e}");
        let mut c2 = c.clone();
        c2.add_toml(
            "year = 2027\nsource = \"test\"\nholidays = [\"2027-01-01\"]\nworkdays = []\n",
            "2027.toml",
        )
        .unwrap();
        assert!(c2.due(d("2026-12-15")).is_ok());
        for bad in [
            "year = 2027\nsource = \"x\"\nholidays = [\"2026-01-01\"]\nworkdays = []\n",
            "year = 2027\nsource = \"x\"\nholidays = []\nworkdays = [\"2027-01-04\"]\n",
            "year = 2027\nsource = \"x\"\nholidays = [\"2027-1-1\"]\nworkdays = []\n",
            "year = 2027\nsource = \"x\"\nholidays = []\nworkdays = []\nextra = 1\n",
        ] {
            assert!(
                Calendar::default().add_toml(bad, "bad.toml").is_err(),
                "{bad}"
            );
        }
    }
}
