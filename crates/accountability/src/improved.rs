//! Schools whose designation moved up between two years.

use empower_model::{Designation, SchoolId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Improvement {
    pub rcdts: SchoolId,
    pub from: Designation,
    pub to: Designation,
    /// First designated Targeted or Comprehensive in the earlier year: the
    /// schools the state recognises.
    pub from_support: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImprovedReport {
    /// Schools with a designation in both years.
    pub compared: usize,
    pub improved: Vec<Improvement>,
    /// Count per (from, to) over every school compared, moves up or not.
    pub transitions: BTreeMap<(Designation, Designation), usize>,
}

impl ImprovedReport {
    pub fn improved_from_support(&self) -> usize {
        self.improved.iter().filter(|i| i.from_support).count()
    }
}

/// Only schools designated in both years count; any step up counts,
/// Commendable → Exemplary included. Sorted by RCDTS.
pub fn improved(
    earlier: &BTreeMap<SchoolId, Designation>,
    later: &BTreeMap<SchoolId, Designation>,
) -> ImprovedReport {
    let mut report = ImprovedReport {
        compared: 0,
        improved: Vec::new(),
        transitions: BTreeMap::new(),
    };
    for (id, &from) in earlier {
        let Some(&to) = later.get(id) else { continue };
        report.compared += 1;
        *report.transitions.entry((from, to)).or_default() += 1;
        if to.is_better_than(from) {
            report.improved.push(Improvement {
                rcdts: id.clone(),
                from,
                to,
                from_support: from.is_support(),
            });
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use Designation::*;

    fn id(s: &str) -> SchoolId {
        SchoolId::parse(s).unwrap()
    }

    #[test]
    fn only_moves_up_between_designated_years_count() {
        let earlier = BTreeMap::from([
            (id("010010010260001"), Targeted),
            (id("010010010260002"), Commendable),
            (id("010010010260003"), Commendable),
            (id("010010010260004"), Comprehensive),
        ]);
        let later = BTreeMap::from([
            (id("010010010260001"), Commendable),
            (id("010010010260002"), Exemplary),
            (id("010010010260003"), Targeted),
        ]);
        let r = improved(&earlier, &later);
        assert_eq!(r.compared, 3);
        assert_eq!(r.improved.len(), 2);
        assert_eq!(r.improved_from_support(), 1);
        assert_eq!(r.transitions[&(Commendable, Targeted)], 1);
    }
}
