//! Snapshot cells from canonical report-card records (school-level rates).

use crate::rules::{AssessmentUnknown, HpRules};
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
    /// Cells left out because their rate has no single test, by reason,
    /// with up to five schools as examples.
    pub no_single_test: BTreeMap<AssessmentUnknown, (usize, Vec<SchoolId>)>,
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
    // Grades served by school and year. A file without them (the K-8
    // panel) takes the school's nearest year that has them: a school's
    // grades rarely change.
    let mut served_in: HashMap<&SchoolId, Vec<(u16, Vec<u8>)>> = HashMap::new();
    if let Some(m) = rc.grades_served.as_deref() {
        for ((id, year), t) in &texts {
            if let Some(text) = t.get(m) {
                served_in
                    .entry(id)
                    .or_default()
                    .push((*year, empower_model::parse_grades(text)));
            }
        }
    }
    let served_near = |id: &SchoolId, year: u16| -> Option<&[u8]> {
        served_in
            .get(id)?
            .iter()
            .min_by_key(|(y, _)| (y.abs_diff(year), *y))
            .map(|(_, g)| g.as_slice())
    };
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
        let served = served_near(&key.0, key.1);
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
                let assessment = match rc.assessment_of(grade, served) {
                    Ok(a) => a.map(str::to_string),
                    Err(why) => {
                        let e = build.no_single_test.entry(why).or_default();
                        e.0 += 1;
                        if e.1.len() < 5 && !e.1.contains(&key.0) {
                            e.1.push(key.0.clone());
                        }
                        continue;
                    }
                };
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
                        assessment,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests::illinois;
    use crate::AssessmentUnknown;

    fn rec(id: &str, year: u16, measure: &str, subject: Option<Subject>, value: Value) -> Record {
        Record {
            year,
            entity: Some(SchoolId::parse(id).unwrap()),
            level: Level::School,
            measure: measure.into(),
            group: Group::All,
            grade: Grade::All,
            subject,
            value,
            n: None,
        }
    }

    /// A school-year with an ELA rate and, when given, its grades served.
    fn school(id: &str, year: u16, grades: Option<&str>) -> Vec<Record> {
        let mut v = vec![
            rec(
                id,
                year,
                "proficiency_pct",
                Some(Subject::Ela),
                Value::Number(40.0),
            ),
            rec(id, year, "enrollment", None, Value::Number(300.0)),
        ];
        if let Some(g) = grades {
            v.push(rec(id, year, "grades_served", None, Value::Text(g.into())));
        }
        v
    }

    #[test]
    fn each_rate_takes_the_test_of_the_grades_served() {
        let mut records = Vec::new();
        records.extend(school("010010010260001", 2018, Some("K 1 2 3 4 5")));
        records.extend(school("010010010260002", 2018, Some("9 10 11 12")));
        // A 6-12 school: its school-wide rate mixes both tests.
        records.extend(school("010010010260003", 2018, Some("6 7 8 9 10 11 12")));
        // No grades this year: the nearest year's (2018) stand.
        records.extend(school("010010010260001", 2019, None));
        // No grades in any year.
        records.extend(school("010010010260004", 2019, None));
        let (rows, build) = cells_from_records(&records, &illinois()).unwrap();
        let got: Vec<(&str, u16, Option<&str>)> = rows
            .iter()
            .map(|r| (r.rcdts.as_str(), r.key.year, r.key.assessment.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("010010010260001", 2018, Some("elementary")),
                ("010010010260001", 2019, Some("elementary")),
                ("010010010260002", 2018, Some("high")),
            ]
        );
        assert_eq!(build.no_single_test[&AssessmentUnknown::Mixed].0, 1);
        assert_eq!(build.no_single_test[&AssessmentUnknown::GradesUnknown].0, 1);
    }

    #[test]
    fn grade_level_rates_take_their_grade_s_test() {
        let rc = illinois().report_card.unwrap();
        assert_eq!(rc.assessment_of(Grade::N(11), None), Ok(Some("high")));
        assert_eq!(rc.assessment_of(Grade::N(4), None), Ok(Some("elementary")));
        assert_eq!(
            rc.assessment_of(Grade::N(10), Some(&[9, 10, 11])),
            Err(AssessmentUnknown::NoTestedGrade)
        );
        assert_eq!(
            rc.assessment_of(Grade::All, Some(&[1, 2])),
            Err(AssessmentUnknown::NoTestedGrade)
        );
    }
}
