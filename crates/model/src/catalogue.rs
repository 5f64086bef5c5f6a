//! The measure catalogue: every canonical measure a state's data may hold,
//! whether it is a number or a text, the range a number must lie in and
//! the words a text may be. Kept as data (`states/<state>/measures.toml`);
//! importers check every value against it, and rules and column maps may
//! only name measures it lists.

use crate::vocab::{not_one_of, shown};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureCatalogue {
    pub name: String,
    /// First and last report-card year any input may carry: a year outside
    /// is a typo, and would silently move a multi-year window.
    pub years: [u16; 2],
    /// Lowest and highest count of students behind a value (`n`).
    pub counts: [f64; 2],
    /// How the state writes its school ids.
    pub school_id: crate::IdFormat,
    pub measures: BTreeMap<String, MeasureSpec>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureSpec {
    /// A text value (names, grades served, designations) instead of a number.
    #[serde(default)]
    pub text: bool,
    /// Lowest and highest value of a number (both included).
    #[serde(default)]
    pub range: Option<[f64; 2]>,
    /// The words a text may be (empty: any text). Case is not significant.
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

impl MeasureCatalogue {
    /// Checks the catalogue itself: every number has a finite range, every
    /// range is ordered, the year span is ordered.
    pub fn validate(&self) -> Result<(), String> {
        if self.years[0] > self.years[1] || self.years[0] == 0 {
            return Err(format!(
                "years = [{}, {}] must be two years, the first not after the second",
                self.years[0], self.years[1]
            ));
        }
        let [lo, hi] = self.counts;
        if !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= hi) {
            return Err(format!(
                "counts = [{lo}, {hi}] must be two finite numbers from 0, the first not above the second"
            ));
        }
        self.school_id.validate()?;
        for (name, m) in &self.measures {
            match (m.text, m.range) {
                (false, None) => {
                    return Err(format!(
                        "measures.{name}: a number needs its range, e.g. range = [0, 100]"
                    ))
                }
                (true, Some(_)) => {
                    return Err(format!(
                        "measures.{name}: a text measure has values, not a range"
                    ))
                }
                (false, Some([lo, hi])) if !(lo.is_finite() && hi.is_finite() && lo <= hi) => {
                    return Err(format!(
                        "measures.{name}: range = [{lo}, {hi}] must be two finite numbers, the first not above the second"
                    ))
                }
                _ => {}
            }
            if !m.text && !m.values.is_empty() {
                return Err(format!("measures.{name}: only a text measure has values"));
            }
        }
        Ok(())
    }

    /// The measure's entry; an unknown name is an error with a suggestion.
    pub fn spec(&self, measure: &str) -> Result<&MeasureSpec, String> {
        self.measures.get(measure).ok_or_else(|| {
            not_one_of(
                "a measure of the catalogue",
                measure,
                self.measures.keys().map(String::as_str),
            ) + &format!(" (the catalogue is {})", self.name)
        })
    }

    pub fn is_text(&self, measure: &str) -> bool {
        self.measures.get(measure).is_some_and(|m| m.text)
    }

    pub fn check_year(&self, year: u16) -> Result<(), String> {
        let [lo, hi] = self.years;
        if (lo..=hi).contains(&year) {
            Ok(())
        } else {
            Err(format!(
                "`{year}` is not a report-card year this catalogue accepts ({lo} to {hi})"
            ))
        }
    }

    /// The count of students behind a value: finite and inside `counts`.
    pub fn check_count(&self, n: f64) -> Result<(), String> {
        let [lo, hi] = self.counts;
        if n.is_finite() && n >= lo && n <= hi {
            Ok(())
        } else {
            Err(format!(
                "`{}` is not a count of students ({lo} to {hi})",
                shown(&n.to_string())
            ))
        }
    }

    /// A number of `measure`: finite and inside its range.
    pub fn check_number(&self, measure: &str, value: f64) -> Result<(), String> {
        self.spec(measure)?.check_number(measure, value)
    }

    /// A text of `measure`: one of its words, if it lists any. Returns the
    /// word as the catalogue spells it.
    pub fn check_text<'a>(&'a self, measure: &str, text: &'a str) -> Result<&'a str, String> {
        self.spec(measure)?.check_text(measure, text)
    }
}

impl MeasureSpec {
    /// A number of this measure (named `measure` in messages): finite and
    /// inside its range.
    pub fn check_number(&self, measure: &str, value: f64) -> Result<(), String> {
        if self.text {
            return Err(format!("`{measure}` holds text, not numbers"));
        }
        if !value.is_finite() {
            return Err(format!("`{value}` is not a finite number"));
        }
        if let Some([lo, hi]) = self.range {
            if value < lo || value > hi {
                return Err(format!(
                    "`{}` is outside the range of {measure}, {lo} to {hi}",
                    shown(&value.to_string())
                ));
            }
        }
        Ok(())
    }

    /// A text of this measure: one of its words, if it lists any. Returns
    /// the word as the catalogue spells it.
    pub fn check_text<'a>(&'a self, measure: &str, text: &'a str) -> Result<&'a str, String> {
        if !self.text {
            return Err(format!("`{measure}` holds numbers, not text"));
        }
        if self.values.is_empty() {
            return Ok(text);
        }
        let t = text.trim();
        self.values
            .iter()
            .find(|v| v.eq_ignore_ascii_case(t))
            .map(String::as_str)
            .ok_or_else(|| {
                not_one_of(
                    &format!("a value of {measure}"),
                    text,
                    self.values.iter().map(String::as_str),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> MeasureCatalogue {
        let mut measures = BTreeMap::new();
        measures.insert(
            "proficiency_pct".to_string(),
            MeasureSpec {
                text: false,
                range: Some([0.0, 100.0]),
                values: vec![],
                description: None,
            },
        );
        measures.insert(
            "official_designation".to_string(),
            MeasureSpec {
                text: true,
                range: None,
                values: vec!["Commendable".into(), "Targeted".into()],
                description: None,
            },
        );
        MeasureCatalogue {
            name: "test".into(),
            years: [2000, 2100],
            counts: [0.0, 1e6],
            school_id: crate::IdFormat {
                name: "test id".into(),
                length: None,
                restore_leading_zeros: 0,
                district_prefix: 2,
                district_suffix: String::new(),
                region_prefix: None,
            },
            measures,
        }
    }

    #[test]
    fn numbers_in_range_only() {
        let c = catalogue();
        assert!(c.check_number("proficiency_pct", 43.9).is_ok());
        let e = c.check_number("proficiency_pct", 250.0).unwrap_err();
        assert!(
            e.contains("outside the range of proficiency_pct, 0 to 100"),
            "{e}"
        );
        assert!(c.check_number("proficiency_pct", -40.0).is_err());
        assert!(c.check_number("proficiency_pct", f64::NAN).is_err());
        let e = c.check_number("proficency_pct", 1.0).unwrap_err();
        assert!(e.contains("did you mean `proficiency_pct`"), "{e}");
    }

    #[test]
    fn texts_from_the_vocabulary() {
        let c = catalogue();
        assert_eq!(
            c.check_text("official_designation", "targeted"),
            Ok("Targeted")
        );
        let e = c
            .check_text("official_designation", "Comendable")
            .unwrap_err();
        assert!(e.contains("did you mean `Commendable`"), "{e}");
    }

    #[test]
    fn years_and_self_check() {
        let mut c = catalogue();
        assert!(c.check_year(2018).is_ok());
        assert!(c.check_year(0).is_err());
        assert!(c.check_year(65535).is_err());
        assert!(c.check_count(30.0).is_ok());
        assert!(c.check_count(-3.0).is_err());
        assert!(c.check_count(f64::NAN).is_err());
        assert!(c.validate().is_ok());
        c.measures.get_mut("proficiency_pct").unwrap().range = Some([f64::NAN, 1.0]);
        assert!(c.validate().is_err());
    }
}
