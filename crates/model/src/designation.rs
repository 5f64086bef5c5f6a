use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Summative designation, declared best to worst so that `Ord` puts the
/// better designation first (`Exemplary < Intensive`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Designation {
    Exemplary,
    Commendable,
    Targeted,
    Comprehensive,
    Intensive,
}

impl Designation {
    pub const ALL: [Designation; 5] = [
        Designation::Exemplary,
        Designation::Commendable,
        Designation::Targeted,
        Designation::Comprehensive,
        Designation::Intensive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Designation::Exemplary => "Exemplary",
            Designation::Commendable => "Commendable",
            Designation::Targeted => "Targeted",
            Designation::Comprehensive => "Comprehensive",
            Designation::Intensive => "Intensive",
        }
    }

    /// Rank from best (0) to worst (4).
    pub fn rank(self) -> usize {
        self as usize
    }

    /// True when `self` is a better designation than `other`.
    pub fn is_better_than(self, other: Designation) -> bool {
        self.rank() < other.rank()
    }

    /// The designation one step up, if any.
    pub fn next_up(self) -> Option<Designation> {
        self.rank().checked_sub(1).map(|r| Designation::ALL[r])
    }

    /// Designations that put a school in a support status.
    pub fn is_support(self) -> bool {
        matches!(
            self,
            Designation::Targeted | Designation::Comprehensive | Designation::Intensive
        )
    }
}

impl fmt::Display for Designation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Designation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Designation::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| {
                crate::vocab::not_one_of(
                    "a designation",
                    s,
                    Designation::ALL.map(Designation::as_str),
                )
            })
    }
}

/// Accountability grade band.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Band {
    ES,
    HS,
}

impl Band {
    pub const ALL: [Band; 2] = [Band::ES, Band::HS];
    pub fn as_str(self) -> &'static str {
        match self {
            Band::ES => "ES",
            Band::HS => "HS",
        }
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Band {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ES" => Ok(Band::ES),
            "HS" => Ok(Band::HS),
            _ => Err(format!(
                "`{}` is not a band (expected ES or HS)",
                crate::vocab::shown(s)
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_best_to_worst() {
        assert!(Designation::Exemplary.is_better_than(Designation::Commendable));
        assert!(Designation::Targeted.is_better_than(Designation::Comprehensive));
        assert_eq!(
            Designation::Commendable.next_up(),
            Some(Designation::Exemplary)
        );
        assert_eq!(Designation::Exemplary.next_up(), None);
    }

    #[test]
    fn parses_case_insensitively() {
        assert_eq!("targeted".parse::<Designation>(), Ok(Designation::Targeted));
        assert!("Underperforming".parse::<Designation>().is_err());
    }
}
