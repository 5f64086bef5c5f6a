use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A student group, or `All` for the all-students figures. Slugs are the
/// output contract's (`spec/accountability.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Group {
    All,
    White,
    Black,
    Hispanic,
    Asian,
    PacificIslander,
    AmericanIndian,
    TwoOrMore,
    Mena,
    Iep,
    El,
    FormerEl,
    LowIncome,
    Male,
    Female,
}

impl Group {
    pub const ALL: [Group; 15] = [
        Group::All,
        Group::White,
        Group::Black,
        Group::Hispanic,
        Group::Asian,
        Group::PacificIslander,
        Group::AmericanIndian,
        Group::TwoOrMore,
        Group::Mena,
        Group::Iep,
        Group::El,
        Group::FormerEl,
        Group::LowIncome,
        Group::Male,
        Group::Female,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Group::All => "all",
            Group::White => "white",
            Group::Black => "black",
            Group::Hispanic => "hispanic",
            Group::Asian => "asian",
            Group::PacificIslander => "pacific-islander",
            Group::AmericanIndian => "american-indian",
            Group::TwoOrMore => "two-or-more",
            Group::Mena => "mena",
            Group::Iep => "iep",
            Group::El => "el",
            Group::FormerEl => "former-el",
            Group::LowIncome => "low-income",
            Group::Male => "male",
            Group::Female => "female",
        }
    }

    /// Name for people.
    pub fn label(self) -> &'static str {
        match self {
            Group::All => "All students",
            Group::White => "White",
            Group::Black => "Black or African American",
            Group::Hispanic => "Hispanic or Latino",
            Group::Asian => "Asian",
            Group::PacificIslander => "Native Hawaiian or Other Pacific Islander",
            Group::AmericanIndian => "American Indian or Alaska Native",
            Group::TwoOrMore => "Two or More Races",
            Group::Mena => "Middle Eastern or North African",
            Group::Iep => "Children with disabilities (IEP)",
            Group::El => "English learners",
            Group::FormerEl => "Former English learners",
            Group::LowIncome => "Low income",
            Group::Male => "Male",
            Group::Female => "Female",
        }
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for Group {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Group::ALL
            .into_iter()
            .find(|g| g.slug() == t)
            .ok_or_else(|| {
                crate::vocab::not_one_of("a student group slug", s, Group::ALL.map(Group::slug))
            })
    }
}

impl TryFrom<String> for Group {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Group> for String {
    fn from(g: Group) -> String {
        g.slug().to_string()
    }
}
