//! Integer ids of the cells input, shared by the checks and the model.

use empower_model::{CellRow, Grade, SchoolId};
use std::collections::HashMap;

/// Integer ids of the input's schools, subjects and cells, so that the
/// hot loops compare and hash numbers, not strings.
pub(crate) struct Index<'a> {
    pub school: Vec<u32>,
    pub schools: Vec<&'a SchoolId>,
    pub subject: Vec<u8>,
    /// (year, grade, subject, assessment, group) packed in that order of
    /// significance.
    pub code: Vec<u64>,
    /// Every row as a packed (school, subject, cell code, row), sorted: a
    /// school's rows of one subject together, in cell order.
    pub order: Vec<u128>,
}

pub(crate) fn order_school(k: u128) -> u32 {
    (k >> 96) as u32
}
pub(crate) fn order_subject(k: u128) -> u8 {
    ((k >> 88) & 0xFF) as u8
}
pub(crate) fn order_code(k: u128) -> u64 {
    ((k >> 32) & 0xFFFF_FFFF_FFFF) as u64
}
pub(crate) fn order_row(k: u128) -> usize {
    (k & 0xFFFF_FFFF) as usize
}

fn grade_code(g: Grade) -> u64 {
    match g {
        Grade::All => 0,
        Grade::PreK => 1,
        Grade::K => 2,
        Grade::N(n) => 2 + u64::from(n),
    }
}

impl<'a> Index<'a> {
    pub fn new(rows: &'a [CellRow]) -> Self {
        // Few distinct subjects: a linear scan with the last one cached.
        let mut seen: Vec<&str> = Vec::new();
        let mut raw_subject: Vec<u8> = Vec::with_capacity(rows.len());
        let mut last_subject: Option<(&str, u8)> = None;
        for r in rows {
            let name = r.key.subject.as_str();
            let id = match last_subject {
                Some((n, i)) if n == name => i,
                _ => match seen.iter().position(|s| *s == name) {
                    Some(i) => i as u8,
                    None => {
                        seen.push(name);
                        (seen.len() - 1) as u8
                    }
                },
            };
            last_subject = Some((name, id));
            raw_subject.push(id);
        }
        // Number subjects in name order, so codes sort like cell keys.
        let mut sorted: Vec<usize> = (0..seen.len()).collect();
        sorted.sort_by_key(|&i| seen[i]);
        let mut rank_of = vec![0u8; seen.len()];
        for (rank, &i) in sorted.iter().enumerate() {
            rank_of[i] = rank as u8;
        }
        let subject: Vec<u8> = raw_subject.iter().map(|&i| rank_of[i as usize]).collect();
        // Assessments: 0 for none, then 1.. in name order (codes sort like
        // cell keys). Four bits: at most 15 assessments.
        let mut names: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.key.assessment.as_deref())
            .collect();
        names.sort_unstable();
        names.dedup();
        let assessment: Vec<u8> = rows
            .iter()
            .map(|r| match r.key.assessment.as_deref() {
                None => 0,
                Some(a) => names.binary_search(&a).map_or(0, |k| k as u8 + 1),
            })
            .collect();
        let mut ids: HashMap<&SchoolId, u32> = HashMap::new();
        let mut schools = Vec::new();
        let mut school = Vec::with_capacity(rows.len());
        let mut last: Option<(&SchoolId, u32)> = None;
        for r in rows {
            let id = match last {
                Some((k, i)) if k == &r.rcdts => i,
                _ => *ids.entry(&r.rcdts).or_insert_with(|| {
                    schools.push(&r.rcdts);
                    (schools.len() - 1) as u32
                }),
            };
            last = Some((&r.rcdts, id));
            school.push(id);
        }
        let code: Vec<u64> = rows
            .iter()
            .zip(subject.iter().zip(&assessment))
            .map(|(r, (&s, &a))| {
                (u64::from(r.key.year) << 32)
                    | (grade_code(r.key.grade) << 16)
                    | (u64::from(s) << 8)
                    | (u64::from(a) << 4)
                    | r.key.group as u64
            })
            .collect();
        let mut order: Vec<u128> = (0..rows.len())
            .map(|i| {
                (u128::from(school[i]) << 96)
                    | (u128::from(subject[i]) << 88)
                    | (u128::from(code[i] & 0xFFFF_FFFF_FFFF) << 32)
                    | i as u128
            })
            .collect();
        order.sort_unstable();
        Index {
            school,
            schools,
            subject,
            code,
            order,
        }
    }
}
