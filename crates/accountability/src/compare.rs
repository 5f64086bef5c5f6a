//! Who moves between two designation runs (a what-if against the state's
//! rules, or two rules versions): the school-bands whose designation
//! differs, and how many made each move.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A school-band's designation in one run (`designate --format csv`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRow {
    pub rcdts: String,
    pub school_name: String,
    pub band: String,
    pub designation: String,
}

/// One school-band that moved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    pub rcdts: String,
    pub school_name: String,
    pub band: String,
    /// Empty: no designation (or not in that run).
    pub from: String,
    pub to: String,
}

/// How many school-bands made one move.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub from: String,
    pub to: String,
    pub count: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// School-bands in both runs with the same designation.
    pub unchanged: usize,
    pub moves: Vec<Move>,
    /// Most frequent first.
    pub transitions: Vec<Transition>,
}

/// Compares run `a` with run `b`, school-band by school-band.
pub fn compare_runs(a: &[RunRow], b: &[RunRow]) -> Comparison {
    let key = |r: &RunRow| (r.rcdts.clone(), r.band.clone());
    let before: BTreeMap<(String, String), &RunRow> = a.iter().map(|r| (key(r), r)).collect();
    let after: BTreeMap<(String, String), &RunRow> = b.iter().map(|r| (key(r), r)).collect();
    let mut keys: Vec<&(String, String)> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut moves = Vec::new();
    let mut unchanged = 0;
    for k in keys {
        let (x, y) = (before.get(k), after.get(k));
        let from = x.map(|r| r.designation.clone()).unwrap_or_default();
        let to = y.map(|r| r.designation.clone()).unwrap_or_default();
        if from == to {
            unchanged += 1;
            continue;
        }
        let r = y.or(x).copied().expect("a key of one run");
        moves.push(Move {
            rcdts: r.rcdts.clone(),
            school_name: r.school_name.clone(),
            band: r.band.clone(),
            from,
            to,
        });
    }
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for m in &moves {
        *counts.entry((m.from.clone(), m.to.clone())).or_default() += 1;
    }
    let mut transitions: Vec<Transition> = counts
        .into_iter()
        .map(|((from, to), count)| Transition { from, to, count })
        .collect();
    transitions.sort_by(|p, q| {
        q.count
            .cmp(&p.count)
            .then(p.from.cmp(&q.from))
            .then(p.to.cmp(&q.to))
    });
    Comparison {
        unchanged,
        moves,
        transitions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, band: &str, d: &str) -> RunRow {
        RunRow {
            rcdts: id.into(),
            school_name: format!("School {id}"),
            band: band.into(),
            designation: d.into(),
        }
    }

    #[test]
    fn moves_and_their_counts_school_band_by_school_band() {
        let a = [
            row("1", "ES", "Commendable"),
            row("2", "ES", "Commendable"),
            row("3", "ES", "Targeted"),
            row("3", "HS", "Commendable"),
            row("4", "ES", "Exemplary"),
        ];
        let b = [
            row("1", "ES", "Targeted"),
            row("2", "ES", "Targeted"),
            row("3", "ES", "Targeted"),
            row("3", "HS", "Comprehensive"),
            row("5", "ES", "Commendable"),
        ];
        let c = compare_runs(&a, &b);
        assert_eq!(c.unchanged, 1);
        assert_eq!(c.moves.len(), 5);
        assert_eq!(
            c.transitions[0],
            Transition {
                from: "Commendable".into(),
                to: "Targeted".into(),
                count: 2
            }
        );
        let gone = c.moves.iter().find(|m| m.rcdts == "4").unwrap();
        assert_eq!((gone.from.as_str(), gone.to.as_str()), ("Exemplary", ""));
        let new = c.moves.iter().find(|m| m.rcdts == "5").unwrap();
        assert_eq!((new.from.as_str(), new.to.as_str()), ("", "Commendable"));
    }
}
