//! School ids. Each state numbers its schools its own way (Illinois: the
//! 15-character RCDTS, region, county, district, type and school); the
//! state's catalogue says how ([`IdFormat`]), and [`SchoolId`] holds any
//! of them without allocating.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The most characters a school id may have.
pub const MAX_ID_LEN: usize = 23;

/// A school (or district) id, normalised: upper-case letters and digits,
/// no separators. Kept inline (no allocation): an import holds one per
/// value. Ids from a state's files are read with its [`IdFormat`];
/// [`SchoolId::parse`] takes any normalised id (stored results, tests).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SchoolId {
    // Bytes first, padded with NUL (never in an id): the derived order is
    // the byte order of the ids, as the spec sorts them.
    bytes: [u8; MAX_ID_LEN],
    len: u8,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{input}` is not a school id ({name}): expected {expected} letters or digits (hyphens allowed), found {found}")]
pub struct SchoolIdError {
    pub input: String,
    pub name: String,
    pub expected: String,
    pub found: usize,
}

/// How a state writes its school ids: from `[school_id]` in its catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdFormat {
    /// What the state calls the id (e.g. `RCDTS`).
    pub name: String,
    /// Characters of an id, when all have the same number.
    #[serde(default)]
    pub length: Option<usize>,
    /// How many leading zeros a spreadsheet may have dropped and reading
    /// puts back (Illinois: 1, since every region code has two digits).
    #[serde(default)]
    pub restore_leading_zeros: usize,
    /// The first characters the schools of one district share (Illinois:
    /// 11, region, county, district and type).
    pub district_prefix: usize,
    /// What follows the prefix in the district's own id (Illinois: `0000`),
    /// when districts have ids of the same form.
    #[serde(default)]
    pub district_suffix: String,
    /// The first characters naming the school's region (Illinois: 2, the
    /// ROE / ISC code), when ids carry one.
    #[serde(default)]
    pub region_prefix: Option<usize>,
}

impl IdFormat {
    /// Checks the format itself.
    pub fn validate(&self) -> Result<(), String> {
        let max = self.length.unwrap_or(MAX_ID_LEN);
        if max == 0 || max > MAX_ID_LEN {
            return Err(format!(
                "school_id.length = {max}: an id has 1 to {MAX_ID_LEN} characters"
            ));
        }
        if self.district_prefix == 0 || self.district_prefix > max {
            return Err(format!(
                "school_id.district_prefix = {} must be 1 to the id's {max} characters",
                self.district_prefix
            ));
        }
        if self.restore_leading_zeros > 0 && self.length.is_none() {
            return Err("school_id.restore_leading_zeros needs school_id.length".into());
        }
        Ok(())
    }

    /// Reads an id as printed in any year's files: hyphens and spaces are
    /// dropped (2025 prints `01-001-0010-26-0001`), letters upper-cased,
    /// leading zeros a spreadsheet dropped put back.
    pub fn parse(&self, input: &str) -> Result<SchoolId, SchoolIdError> {
        let mut s = normalise(input);
        if let Some(len) = self.length {
            let short = len.saturating_sub(s.len());
            if short > 0
                && short <= self.restore_leading_zeros
                && s.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                s.insert_str(0, &"0".repeat(short));
            }
        }
        let ok_len = match self.length {
            Some(l) => s.len() == l,
            None => (1..=MAX_ID_LEN).contains(&s.len()),
        };
        if !ok_len || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(SchoolIdError {
                input: crate::vocab::shown(input),
                name: self.name.clone(),
                expected: match self.length {
                    Some(l) => l.to_string(),
                    None => format!("1 to {MAX_ID_LEN}"),
                },
                found: s.chars().count(),
            });
        }
        Ok(SchoolId::from_normalised(&s))
    }

    /// The region a school's id names, if the format has one.
    pub fn region_of(&self, id: &SchoolId) -> Option<String> {
        let s = id.as_str();
        self.region_prefix
            .filter(|&n| n <= s.len())
            .map(|n| s[..n].to_string())
    }

    /// The id of a school's district: the part of its id the district's
    /// schools share, then the district suffix.
    pub fn district_of(&self, id: &SchoolId) -> String {
        let s = id.as_str();
        format!(
            "{}{}",
            &s[..self.district_prefix.min(s.len())],
            self.district_suffix
        )
    }
}

fn normalise(input: &str) -> String {
    input
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\u{a0}'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl SchoolId {
    /// Any id of 1 to [`MAX_ID_LEN`] letters or digits (separators dropped,
    /// upper-cased), whatever the state: for ids already read once.
    pub fn parse(input: &str) -> Result<Self, SchoolIdError> {
        let s = normalise(input);
        if s.is_empty() || s.len() > MAX_ID_LEN || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(SchoolIdError {
                input: crate::vocab::shown(input),
                name: "any state".into(),
                expected: format!("1 to {MAX_ID_LEN}"),
                found: s.chars().count(),
            });
        }
        Ok(SchoolId::from_normalised(&s))
    }

    fn from_normalised(s: &str) -> Self {
        let mut bytes = [0u8; MAX_ID_LEN];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        SchoolId {
            len: s.len() as u8,
            bytes,
        }
    }

    pub fn as_str(&self) -> &str {
        // Only `from_normalised` builds an id, from ASCII letters and digits.
        std::str::from_utf8(&self.bytes[..self.len as usize]).expect("a school id is ASCII")
    }
}

impl TryFrom<String> for SchoolId {
    type Error = SchoolIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        SchoolId::parse(&s)
    }
}

impl From<SchoolId> for String {
    fn from(r: SchoolId) -> String {
        r.as_str().to_string()
    }
}

impl fmt::Display for SchoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SchoolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SchoolId({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rcdts() -> IdFormat {
        IdFormat {
            name: "RCDTS".into(),
            length: Some(15),
            restore_leading_zeros: 1,
            district_prefix: 11,
            district_suffix: "0000".into(),
            region_prefix: Some(2),
        }
    }

    #[test]
    fn hyphenated_ids_normalise_to_fifteen_characters() {
        let r = rcdts().parse("01-001-0010-26-0001").unwrap();
        assert_eq!(r.as_str(), "010010010260001");
        assert_eq!(rcdts().district_of(&r), "010010010260000");
    }

    #[test]
    fn letters_are_kept_and_upper_cased() {
        assert_eq!(
            rcdts().parse("15016299025200c").unwrap().as_str(),
            "15016299025200C"
        );
    }

    #[test]
    fn lost_leading_zero_is_restored_but_not_two() {
        assert_eq!(
            rcdts().parse("10010010260001").unwrap().as_str(),
            "010010010260001"
        );
        assert!(rcdts().parse("0010010260001").is_err());
    }

    #[test]
    fn wrong_length_is_an_error_naming_the_format() {
        let e = rcdts().parse("15016299025006CAF11").unwrap_err();
        assert_eq!(e.found, 19);
        assert!(e.to_string().contains("(RCDTS): expected 15"), "{e}");
        assert!(rcdts().parse("").is_err());
        assert!(rcdts().parse("01001001026000!").is_err());
    }

    #[test]
    fn other_formats_and_any_id() {
        let free = IdFormat {
            name: "state school number".into(),
            length: None,
            restore_leading_zeros: 0,
            district_prefix: 3,
            district_suffix: String::new(),
            region_prefix: None,
        };
        let id = free.parse("lk-042-7").unwrap();
        assert_eq!(id.as_str(), "LK0427");
        assert_eq!(free.district_of(&id), "LK0");
        assert!(free.parse(&"9".repeat(24)).is_err());
        assert_eq!(SchoolId::parse("LK0427").unwrap(), id);
        assert!(free.validate().is_ok());
        assert!(IdFormat {
            district_prefix: 0,
            ..free
        }
        .validate()
        .is_err());
        // Ids sort in byte order, whatever their length.
        let a = rcdts().parse("010010010260001").unwrap();
        let b = rcdts().parse("01001001026000A").unwrap();
        assert!(a < b);
        assert!(SchoolId::parse("AB").unwrap() < SchoolId::parse("B").unwrap());
        assert!(SchoolId::parse("A").unwrap() < SchoolId::parse("AB").unwrap());
    }
}
