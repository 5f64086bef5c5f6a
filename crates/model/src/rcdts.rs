use serde::{Deserialize, Serialize};
use std::fmt;

/// Illinois' 15-character school id: region (2), county (3), district (4),
/// type (2), school (4). Stored without hyphens; may contain letters. Kept
/// inline (15 ASCII bytes, no allocation): an import holds one per value.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rcdts([u8; 15]);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{input}` is not an RCDTS code: expected 15 letters or digits (hyphens allowed), found {found}")]
pub struct RcdtsError {
    pub input: String,
    pub found: usize,
}

impl Rcdts {
    /// Normalises an id as printed in any year's files: hyphens and spaces
    /// are dropped (2025 prints `01-001-0010-26-0001`), letters upper-cased.
    /// Ids that lost leading zeros in a spreadsheet (14 characters) are
    /// padded back, since every region code is two digits.
    pub fn parse(input: &str) -> Result<Self, RcdtsError> {
        let mut s: String = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\u{a0}'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if s.len() == 14 && s.chars().all(|c| c.is_ascii_alphanumeric()) {
            s.insert(0, '0');
        }
        let bytes: [u8; 15] = match <[u8; 15]>::try_from(s.as_bytes()) {
            Ok(b) if b.iter().all(u8::is_ascii_alphanumeric) => b,
            _ => {
                return Err(RcdtsError {
                    input: crate::vocab::shown(input),
                    found: s.chars().count(),
                })
            }
        };
        Ok(Rcdts(bytes))
    }

    pub fn as_str(&self) -> &str {
        // Only `parse` builds an id, from ASCII letters and digits.
        std::str::from_utf8(&self.0).expect("an RCDTS is ASCII")
    }

    /// Region (ROE / ISC) code: the first two characters.
    pub fn region(&self) -> &str {
        &self.as_str()[..2]
    }

    /// Region, county, district and type: schools of one district share it.
    pub fn district_prefix(&self) -> &str {
        &self.as_str()[..11]
    }

    /// District rows end in `0000`.
    pub fn is_district(&self) -> bool {
        self.0.ends_with(b"0000")
    }
}

impl TryFrom<String> for Rcdts {
    type Error = RcdtsError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Rcdts::parse(&s)
    }
}

impl From<Rcdts> for String {
    fn from(r: Rcdts) -> String {
        r.as_str().to_string()
    }
}

impl fmt::Display for Rcdts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Rcdts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rcdts({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyphenated_ids_normalise_to_fifteen_characters() {
        let r = Rcdts::parse("01-001-0010-26-0001").unwrap();
        assert_eq!(r.as_str(), "010010010260001");
        assert_eq!(r.region(), "01");
        assert_eq!(r.district_prefix(), "01001001026");
    }

    #[test]
    fn letters_are_kept_and_upper_cased() {
        assert_eq!(
            Rcdts::parse("15016299025200c").unwrap().as_str(),
            "15016299025200C"
        );
    }

    #[test]
    fn lost_leading_zero_is_restored() {
        assert_eq!(
            Rcdts::parse("10010010260001").unwrap().as_str(),
            "010010010260001"
        );
    }

    #[test]
    fn wrong_length_is_an_error() {
        let e = Rcdts::parse("15016299025006CAF11").unwrap_err();
        assert_eq!(e.found, 19);
        assert!(Rcdts::parse("").is_err());
    }

    #[test]
    fn district_rows_are_recognised() {
        assert!(Rcdts::parse("010010010260000").unwrap().is_district());
        assert!(!Rcdts::parse("010010010260001").unwrap().is_district());
    }
}
