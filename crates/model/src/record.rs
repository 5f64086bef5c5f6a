use crate::{Group, SchoolId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Kind of entity a report-card row describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    School,
    District,
    State,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::School => "school",
            Level::District => "district",
            Level::State => "state",
        }
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "school" => Ok(Level::School),
            "district" => Ok(Level::District),
            "state" | "statewide" => Ok(Level::State),
            _ => Err(format!(
                "`{}` is not a level (school, district or state)",
                crate::vocab::shown(s)
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Subject {
    Ela,
    Math,
    Science,
}

impl Subject {
    /// The subject a record names, spelled exactly (`ela`, `math`,
    /// `science`); the fast path of the student reader.
    pub fn parse_bytes(b: &[u8]) -> Option<Subject> {
        match b {
            b"ela" => Some(Subject::Ela),
            b"math" => Some(Subject::Math),
            b"science" => Some(Subject::Science),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Ela => "ela",
            Subject::Math => "math",
            Subject::Science => "science",
        }
    }
}

impl FromStr for Subject {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "ela" => Ok(Subject::Ela),
            "math" => Ok(Subject::Math),
            "science" => Ok(Subject::Science),
            _ => Err(crate::vocab::not_one_of(
                "a subject",
                s,
                ["ela", "math", "science"],
            )),
        }
    }
}

/// A grade, written as `spec/api.md` spells it: `"all"`, `"PK"`, `"K"`,
/// `"1"`..`"12"`, in CSV and JSON alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Grade {
    All,
    PreK,
    K,
    N(u8),
}

impl Grade {
    pub fn number(self) -> Option<u8> {
        match self {
            Grade::N(n) => Some(n),
            _ => None,
        }
    }
}

impl From<Grade> for String {
    fn from(g: Grade) -> String {
        g.to_string()
    }
}

impl TryFrom<String> for Grade {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grade::All => f.write_str("all"),
            Grade::PreK => f.write_str("PK"),
            Grade::K => f.write_str("K"),
            Grade::N(n) => write!(f, "{n}"),
        }
    }
}

impl FromStr for Grade {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "all" | "" => Ok(Grade::All),
            "PK" | "pk" => Ok(Grade::PreK),
            "K" | "k" => Ok(Grade::K),
            t => match t.parse::<u8>() {
                Ok(n) if (1..=12).contains(&n) => Ok(Grade::N(n)),
                _ => Err(format!(
                    "`{}` is not a grade (all, PK, K or 1-12)",
                    crate::vocab::shown(s)
                )),
            },
        }
    }
}

/// Numbered grades in a `Grades Served` list: ISBE's `' K 1 2 3'`, `'PK'`,
/// `'9'`, or a range as later files print it (`'7 - 12'`, `'K-5'`).
pub fn parse_grades(text: &str) -> Vec<u8> {
    let grade = |t: &str| -> Option<i32> {
        match t.trim() {
            "PK" | "pk" | "K" | "k" | "KG" => Some(0),
            n => n.parse::<i32>().ok(),
        }
    };
    let compact = text
        .replace(" - ", "-")
        .replace(" -", "-")
        .replace("- ", "-");
    let mut g: Vec<u8> = Vec::new();
    for token in compact.split(|c: char| c.is_whitespace() || c == ',') {
        if let Some((lo, hi)) = token.split_once('-') {
            if let (Some(lo), Some(hi)) = (grade(lo), grade(hi)) {
                g.extend((lo.max(1)..=hi.min(12)).map(|x| x as u8));
            }
        } else if let Some(n) = grade(token) {
            if (1..=12).contains(&n) {
                g.push(n as u8);
            }
        }
    }
    g.sort_unstable();
    g.dedup();
    g
}

/// A measured value: most are numbers; identity fields (name, grades
/// served, official designation, Title I status) are text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Number(f64),
    Text(String),
}

impl Value {
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(x) => Some(*x),
            Value::Text(_) => None,
        }
    }
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            Value::Number(_) => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // `{}` on f64 is the shortest round-trip decimal without exponent.
            Value::Number(x) => write!(f, "{x}"),
            Value::Text(s) => f.write_str(s),
        }
    }
}

/// One row of the canonical long format (`spec/data.md`):
/// `year, entity, level, measure, group, grade, subject, value, n`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub year: u16,
    /// `None` only for the statewide row, which has no RCDTS.
    pub entity: Option<SchoolId>,
    pub level: Level,
    /// Shared by every record of one measure: an import holds millions.
    pub measure: std::sync::Arc<str>,
    pub group: Group,
    pub grade: Grade,
    pub subject: Option<Subject>,
    pub value: Value,
    /// Count behind the value, where known.
    pub n: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grades_round_trip() {
        for s in ["all", "PK", "K", "1", "12"] {
            assert_eq!(s.parse::<Grade>().unwrap().to_string(), s);
        }
        assert!("13".parse::<Grade>().is_err());
    }

    #[test]
    fn grades_served_lists() {
        assert_eq!(parse_grades(" K 1 2 3 4 5"), vec![1, 2, 3, 4, 5]);
        assert_eq!(parse_grades("PK K"), Vec::<u8>::new());
        assert_eq!(parse_grades("9"), vec![9]);
        assert_eq!(parse_grades(" 7 8 9 10 11 12"), vec![7, 8, 9, 10, 11, 12]);
        assert_eq!(parse_grades("7 - 12"), vec![7, 8, 9, 10, 11, 12]);
        assert_eq!(parse_grades("PK - 2"), vec![1, 2]);
        assert_eq!(parse_grades("K-5"), vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn numbers_print_shortest_without_exponent() {
        assert_eq!(Value::Number(0.1 + 0.2).to_string(), "0.30000000000000004");
        assert_eq!(Value::Number(1e-7).to_string(), "0.0000001");
        assert_eq!(Value::Number(67.0).to_string(), "67");
    }
}
