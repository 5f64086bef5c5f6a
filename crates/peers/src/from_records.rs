//! Snapshot cells from canonical report-card records (school-level rates).

use crate::rules::HpRules;
use empower_model::{CellKey, CellRow, PriorGroup};
use empower_model::{Grade, Group, Level, Record, SchoolId, Subject, Value};
use std::collections::{BTreeMap, HashMap};

/// What building cells from records found.
#[derive(Clone, Debug, Default)]
pub struct CellsBuild {
    /// Measure that stood for n → number of cells.
    pub n_sources: BTreeMap<String, usize>,
    /// Cells left out because a year had no state test.
    pub untested_year_rows: usize,
}

type Key = (SchoolId, u16);
/// (measure, group, subject, grade) → value of one school-year.
type Values<'a> = HashMap<(&'a str, Group, Option<Subject>, Grade), f64>;

/// One row per school × year × grade × subject with a performance value.
/// When several records give the same value, the first file's wins.
pub fn cells_from_records(
    records: &[Record],
    rules: &HpRules,
) -> Result<(Vec<CellRow>, CellsBuild), String> {
    let rc = rules
        .report_card
        .as_ref()
        .ok_or("the rules have no [report_card] section saying how to build cells")?;
    // School-year values by (measure, group, subject, grade), first wins.
    let mut values: HashMap<Key, Values> = HashMap::new();
    let mut texts: HashMap<Key, HashMap<&str, &str>> = HashMap::new();
    for r in records {
        if r.level != Level::School {
            continue;
        }
        let Some(id) = &r.entity else { continue };
        let key = (id.clone(), r.year);
        match &r.value {
            Value::Number(v) => {
                values
                    .entry(key)
                    .or_default()
                    .entry((&*r.measure, r.group, r.subject, r.grade))
                    .or_insert(*v);
            }
            Value::Text(t) => {
                texts
                    .entry(key)
                    .or_default()
                    .entry(&*r.measure)
                    .or_insert(t.as_str());
            }
        }
    }
    let mut build = CellsBuild::default();
    let mut rows = Vec::new();
    let mut keys: Vec<&Key> = values.keys().collect();
    keys.sort();
    for key in keys {
        let v = &values[key];
        let get =
            |m: &str, g: Group, s: Option<Subject>, grade: Grade| v.get(&(m, g, s, grade)).copied();
        let predictors: Vec<Option<f64>> = rules
            .predictors
            .iter()
            .map(|p| {
                rc.predictors
                    .get(p)
                    .and_then(|m| get(&m.measure, m.group, None, Grade::All))
            })
            .collect();
        let mut grades: Vec<Grade> = v
            .keys()
            .filter(|(m, g, s, _)| {
                *m == rc.performance
                    && *g == Group::All
                    && s.is_some_and(|s| rc.subjects.contains(&s))
            })
            .map(|(_, _, _, grade)| *grade)
            .collect();
        grades.sort();
        grades.dedup();
        for grade in grades {
            for &subject in &rc.subjects {
                let Some(performance) = get(&rc.performance, Group::All, Some(subject), grade)
                else {
                    continue;
                };
                if rules.years_without_tests.contains(&key.1) {
                    build.untested_year_rows += 1;
                    continue;
                }
                let n = rc.n.iter().find_map(|m| {
                    get(m, Group::All, Some(subject), grade)
                        .or_else(|| get(m, Group::All, None, grade))
                        .or_else(|| get(m, Group::All, None, Grade::All))
                        .map(|n| (m.clone(), n))
                });
                if let Some((m, _)) = &n {
                    *build.n_sources.entry(m.clone()).or_default() += 1;
                }
                rows.push(CellRow {
                    line: rows.len() + 2,
                    rcdts: key.0.clone(),
                    key: CellKey {
                        year: key.1,
                        grade,
                        subject: subject.as_str().to_string(),
                        group: PriorGroup::All,
                    },
                    n: n.map(|(_, n)| n),
                    performance: Some(performance),
                    proficient_pct: get(&rc.proficient, Group::All, Some(subject), grade),
                    predictors: predictors.clone(),
                    ayp_met: None,
                    participation_pct: rc
                        .participation
                        .as_deref()
                        .and_then(|m| get(m, Group::All, Some(subject), grade)),
                    school_type: rc
                        .school_type
                        .as_deref()
                        .and_then(|m| texts.get(key).and_then(|t| t.get(m)))
                        .map(|s| s.to_string()),
                });
            }
        }
    }
    Ok((rows, build))
}
