//! Longitudinal mode: cells from student records. Only students
//! continuously enrolled count: a record at school S in year Y counts when
//! the student also has records at S in the two previous years of the input
//! (in S's district when S serves fewer than three grades). Middle and high
//! schools split each cell by whether the student met the standard in the
//! prior year.
//!
//! Two passes over the records, each of which can run on several threads:
//! [`Enrollment`] collects who was where (memory per student-year, not per
//! record), then [`CellSums`] adds up the counted records per cell. Both
//! merge, so a caller can split the input into chunks.

use crate::rules::{HpRules, LongitudinalRules};
use empower_model::{CellKey, CellRow, Grade, PriorGroup, StudentRecord};
use std::collections::HashMap;

fn pack(id: &[u8]) -> u128 {
    let mut b = [0u8; 16];
    let n = id.len().min(16);
    b[..n].copy_from_slice(&id[..n]);
    u128::from_le_bytes(b)
}

/// Interned names (schools, subjects) with a merge that renumbers.
#[derive(Clone, Debug, Default)]
struct Interner<K: std::hash::Hash + Eq + Clone> {
    index: HashMap<K, u32>,
    names: Vec<K>,
}

impl<K: std::hash::Hash + Eq + Clone> Interner<K> {
    fn get_or_insert(&mut self, k: &K) -> u32 {
        if let Some(&i) = self.index.get(k) {
            return i;
        }
        let i = self.names.len() as u32;
        self.index.insert(k.clone(), i);
        self.names.push(k.clone());
        i
    }
    /// Adds `other`'s names; returns other's index → this one's.
    fn absorb(&mut self, other: &Interner<K>) -> Vec<u32> {
        other.names.iter().map(|k| self.get_or_insert(k)).collect()
    }
}

const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Entry {
    school: u32,
    next: u32,
    year: u16,
    /// Bit s: a score in subject s this year (at any school).
    scored: u8,
    /// Bit s: proficient in subject s this year.
    met: u8,
    /// Bit s: a record in subject s this year at this school.
    seen: u8,
    /// low income (1), EL (2), race code << 2.
    flags: u8,
}

/// Pass 1: who was where, each year.
#[derive(Clone, Debug, Default)]
pub struct Enrollment {
    schools: Interner<u128>,
    subjects: Interner<Vec<u8>>,
    heads: HashMap<u64, u32>,
    entries: Vec<Entry>,
    /// Per school: bit g = grade g served (has records).
    grades: Vec<u16>,
    /// Per school: lowest grade with a score (99 = none).
    lowest_tested: Vec<u8>,
    years: Vec<u16>,
    last_school: Option<(u128, u32)>,
    too_many_subjects: bool,
    /// Districts as the records name them, and each school's (`NONE`
    /// until its first record).
    districts: Interner<Vec<u8>>,
    school_district: Vec<u32>,
    /// Each school's district packed like school ids (0: none yet), so
    /// that the check per record is one comparison.
    school_district_key: Vec<u128>,
    /// A school named in two districts (school, first, second).
    district_conflict: Option<(u32, u32, u32)>,
    /// Records repeating a student, year and subject already seen.
    duplicates: u64,
    first_duplicate: Option<(u64, u16, u8)>,
}

/// A student, year and subject that the records hold more than once.
#[derive(Clone, Debug, PartialEq)]
pub struct DuplicateRecords {
    pub count: u64,
    pub student: u64,
    pub year: u16,
    pub subject: String,
}

impl Enrollment {
    /// The records name more than the 8 subjects one run can hold.
    pub fn too_many_subjects(&self) -> bool {
        self.too_many_subjects || self.subjects.names.len() > 8
    }

    fn school_index(&mut self, id: &[u8]) -> u32 {
        let key = pack(id);
        if let Some((k, i)) = self.last_school {
            if k == key {
                return i;
            }
        }
        let i = self.schools.get_or_insert(&key);
        if i as usize == self.grades.len() {
            self.grades.push(0);
            self.lowest_tested.push(99);
            self.school_district.push(NONE);
            self.school_district_key.push(0);
        }
        self.last_school = Some((key, i));
        i
    }

    fn subject_index(&mut self, s: &[u8]) -> u8 {
        match self.subjects.names.iter().position(|x| x.as_slice() == s) {
            Some(i) => i as u8,
            None => self.subjects.get_or_insert(&s.to_vec()) as u8,
        }
    }

    /// Adds one record. `proficient_level` is the lowest proficient level.
    pub fn add(&mut self, r: &StudentRecord, proficient_level: u8) {
        let school = self.school_index(r.school);
        let key = pack(r.district);
        if r.district.len() > 16 || self.school_district_key[school as usize] != key {
            let d = match self.districts.index.get(r.district) {
                Some(&d) => d,
                None => self.districts.get_or_insert(&r.district.to_vec()),
            };
            self.set_district(school, d);
            if self.school_district[school as usize] == d {
                self.school_district_key[school as usize] = key;
            }
        }
        let subject = self.subject_index(r.subject);
        if subject >= 8 {
            // Subjects are bits of a byte: a ninth is reported, not counted.
            self.too_many_subjects = true;
            return;
        }
        if let Err(pos) = self.years.binary_search(&r.year) {
            self.years.insert(pos, r.year);
        }
        if r.grade <= 12 {
            self.grades[school as usize] |= 1 << r.grade;
        }
        if r.scale_score.is_some() && r.grade < self.lowest_tested[school as usize] {
            self.lowest_tested[school as usize] = r.grade;
        }
        let flags = u8::from(r.low_income) | (u8::from(r.el) << 1) | ((r.race as u8) << 2);
        let scored = if r.scale_score.is_some() {
            1 << subject
        } else {
            0
        };
        let met = if r.performance_level.is_some_and(|l| l >= proficient_level) {
            1 << subject
        } else {
            0
        };
        self.insert(
            r.student,
            Entry {
                school,
                next: NONE,
                year: r.year,
                scored,
                met,
                seen: 1 << subject,
                flags,
            },
            NONE,
        );
    }

    /// Student, year and subject of the first record that repeats one
    /// already seen, and how many do: counting them twice would weigh the
    /// student twice, so a caller stops the run.
    pub fn duplicates(&self) -> Option<DuplicateRecords> {
        let (student, year, subject) = self.first_duplicate?;
        Some(DuplicateRecords {
            count: self.duplicates,
            student,
            year,
            subject: String::from_utf8_lossy(&self.subjects.names[subject as usize]).into_owned(),
        })
    }

    /// Adds an entry to the student's chain; a repeat of a year and
    /// subject is counted when the entry it repeats has an index below
    /// `count_below` (a merge counts only repeats across the two chunks:
    /// each chunk counted its own).
    fn insert(&mut self, student: u64, e: Entry, count_below: u32) {
        let new_index = self.entries.len() as u32;
        match self.heads.get(&student).copied() {
            None => {
                self.heads.insert(student, new_index);
                self.entries.push(e);
            }
            Some(mut i) => loop {
                let cur = &mut self.entries[i as usize];
                if cur.year == e.year && cur.seen & e.seen != 0 && i < count_below {
                    self.duplicates += u64::from((cur.seen & e.seen).count_ones());
                    if self.first_duplicate.is_none() {
                        let subject = (cur.seen & e.seen).trailing_zeros() as u8;
                        self.first_duplicate = Some((student, e.year, subject));
                    }
                }
                if cur.year == e.year && cur.school == e.school {
                    cur.scored |= e.scored;
                    cur.met |= e.met;
                    cur.seen |= e.seen;
                    return;
                }
                if cur.next == NONE {
                    cur.next = new_index;
                    self.entries.push(e);
                    return;
                }
                i = cur.next;
            },
        }
    }

    /// Folds another chunk's enrollment into this one.
    pub fn merge(&mut self, other: Enrollment) {
        let school_map = self.schools.absorb(&other.schools);
        let subject_map = self.subjects.absorb(&other.subjects);
        let district_map = self.districts.absorb(&other.districts);
        self.grades.resize(self.schools.names.len(), 0);
        self.lowest_tested.resize(self.schools.names.len(), 99);
        self.school_district.resize(self.schools.names.len(), NONE);
        self.school_district_key.resize(self.schools.names.len(), 0);
        for (i, &d) in other.school_district.iter().enumerate() {
            if d != NONE {
                self.set_district(school_map[i], district_map[d as usize]);
            }
        }
        if self.district_conflict.is_none() {
            self.district_conflict = other.district_conflict.map(|(s, a, b)| {
                (
                    school_map[s as usize],
                    district_map[a as usize],
                    district_map[b as usize],
                )
            });
        }
        for (i, &g) in other.grades.iter().enumerate() {
            let j = school_map[i] as usize;
            self.grades[j] |= g;
            self.lowest_tested[j] = self.lowest_tested[j].min(other.lowest_tested[i]);
        }
        for y in other.years {
            if let Err(pos) = self.years.binary_search(&y) {
                self.years.insert(pos, y);
            }
        }
        let remap_bits = |bits: u8| -> u8 {
            (0..8).filter(|s| bits & (1 << s) != 0).fold(0, |acc, s| {
                acc | 1u8.checked_shl(subject_map[s as usize]).unwrap_or(0)
            })
        };
        let before = self.entries.len() as u32;
        for (&student, &head) in &other.heads {
            let mut i = head;
            while i != NONE {
                let e = other.entries[i as usize];
                self.insert(
                    student,
                    Entry {
                        school: school_map[e.school as usize],
                        next: NONE,
                        year: e.year,
                        scored: remap_bits(e.scored),
                        met: remap_bits(e.met),
                        seen: remap_bits(e.seen),
                        flags: e.flags,
                    },
                    before,
                );
                i = e.next;
            }
        }
        self.last_school = None;
        self.too_many_subjects |= other.too_many_subjects;
        self.duplicates += other.duplicates;
        if self.first_duplicate.is_none() {
            self.first_duplicate = other
                .first_duplicate
                .map(|(st, y, s)| (st, y, subject_map[s as usize] as u8));
        }
    }

    pub fn students(&self) -> usize {
        self.heads.len()
    }

    pub fn years(&self) -> &[u16] {
        &self.years
    }

    fn prev_year(&self, y: u16) -> Option<u16> {
        let pos = self.years.binary_search(&y).ok()?;
        pos.checked_sub(1).map(|p| self.years[p])
    }

    /// The school's district, as the records name it.
    fn district(&self, school: u32) -> u32 {
        self.school_district[school as usize]
    }

    fn set_district(&mut self, school: u32, district: u32) {
        let slot = &mut self.school_district[school as usize];
        if *slot == NONE {
            *slot = district;
        } else if *slot != district && self.district_conflict.is_none() {
            self.district_conflict = Some((school, *slot, district));
        }
    }

    /// A school the records place in two districts: (school, district,
    /// other district). Continuous enrolment in a district cannot be told
    /// then, so a caller stops the run.
    pub fn district_conflict(&self) -> Option<(String, String, String)> {
        let (s, a, b) = self.district_conflict?;
        let name = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        let school = self.schools.names[s as usize].to_le_bytes();
        let school: Vec<u8> = school.iter().copied().take_while(|b| *b != 0).collect();
        Some((
            name(&school),
            name(&self.districts.names[a as usize]),
            name(&self.districts.names[b as usize]),
        ))
    }

    fn campus_too_short(&self, school: u32, rules: &LongitudinalRules) -> bool {
        self.grades[school as usize].count_ones() < rules.min_grades_for_campus
    }

    /// Middle (lowest tested grade at or above the rule's) or high school.
    fn splits_by_prior(&self, school: u32, rules: &LongitudinalRules) -> bool {
        let lowest = self.lowest_tested[school as usize];
        let middle = lowest != 99 && lowest >= rules.middle_from_grade;
        let high = rules
            .high_grades
            .iter()
            .any(|g| self.grades[school as usize] & (1 << g) != 0);
        middle || high
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Sum {
    n: u64,
    score: f64,
    proficient: u64,
}

/// Pass 2: sums of the counted records per cell.
#[derive(Debug, Default)]
pub struct CellSums {
    sums: HashMap<(u32, u16, u8, u8, PriorGroup), Sum>,
    last_school: Option<(u128, u32)>,
}

impl CellSums {
    /// Adds a record if it counts (scored, continuously enrolled).
    pub fn add(&mut self, e: &Enrollment, r: &StudentRecord, rules: &LongitudinalRules) {
        let Some(score) = r.scale_score else { return };
        let key = pack(r.school);
        let school = match self.last_school {
            Some((k, i)) if k == key => i,
            _ => {
                let Some(&i) = e.schools.index.get(&key) else {
                    return;
                };
                self.last_school = Some((key, i));
                i
            }
        };
        let Some(subject) = e
            .subjects
            .names
            .iter()
            .position(|x| x.as_slice() == r.subject)
        else {
            return;
        };
        // The previous years of the input that the student must have spent here.
        let mut prior = [0u16; 8];
        let needed = rules.continuous_years.saturating_sub(1).min(prior.len());
        let mut y = r.year;
        for slot in prior.iter_mut().take(needed) {
            let Some(p) = e.prev_year(y) else { return };
            *slot = p;
            y = p;
        }
        let by_district = e.campus_too_short(school, rules);
        let district = e.district(school);
        let mut present = 0u8;
        let mut prior_met = false;
        let mut i = e.heads.get(&r.student).copied().unwrap_or(NONE);
        while i != NONE {
            let x = &e.entries[i as usize];
            let here = if by_district {
                e.district(x.school) == district
            } else {
                x.school == school
            };
            if let Some(k) = prior[..needed].iter().position(|p| *p == x.year) {
                if here {
                    present |= 1 << k;
                }
                if k == 0 {
                    prior_met |= x.met & (1 << subject) != 0;
                }
            }
            i = x.next;
        }
        if u32::from(present).count_ones() as usize != needed {
            return;
        }
        let group = if e.splits_by_prior(school, rules) {
            if prior_met {
                PriorGroup::Met
            } else {
                PriorGroup::NotMet
            }
        } else {
            PriorGroup::All
        };
        let s = self
            .sums
            .entry((school, r.year, r.grade, subject as u8, group))
            .or_default();
        s.n += 1;
        s.score += score;
        s.proficient += u64::from(
            r.performance_level
                .is_some_and(|l| l >= rules.proficient_level),
        );
    }

    pub fn merge(&mut self, other: CellSums) {
        for (k, v) in other.sums {
            let s = self.sums.entry(k).or_default();
            s.n += v.n;
            s.score += v.score;
            s.proficient += v.proficient;
        }
    }

    /// The cells, sorted, with each school-year's demographics (from all
    /// its students) as predictors, `performance` = mean scale score and
    /// `proficient_pct` = share proficient of the counted students.
    pub fn into_cells(self, e: &Enrollment, rules: &HpRules) -> Vec<AggregateCell> {
        // School-year demographics over every enrolled student.
        #[derive(Default, Clone, Copy)]
        struct Demo {
            students: u64,
            low_income: u64,
            el: u64,
            black: u64,
            hispanic: u64,
            asian: u64,
        }
        let mut demo: HashMap<(u32, u16), Demo> = HashMap::new();
        for x in &e.entries {
            let d = demo.entry((x.school, x.year)).or_default();
            d.students += 1;
            d.low_income += u64::from(x.flags & 1);
            d.el += u64::from((x.flags >> 1) & 1);
            match x.flags >> 2 {
                0 => d.black += 1,
                1 => d.hispanic += 1,
                2 => d.asian += 1,
                _ => {}
            }
        }
        let mut out: Vec<AggregateCell> = self
            .sums
            .into_iter()
            .map(|((school, year, grade, subject, group), s)| {
                let d = demo.get(&(school, year)).copied().unwrap_or_default();
                let pct = |k: u64| {
                    if d.students > 0 {
                        100.0 * k as f64 / d.students as f64
                    } else {
                        0.0
                    }
                };
                let predictors = rules
                    .predictors
                    .iter()
                    .map(
                        |p| match rules.longitudinal.predictors.get(p).map(String::as_str) {
                            Some("low_income") => Some(pct(d.low_income)),
                            Some("el") => Some(pct(d.el)),
                            Some("black") => Some(pct(d.black)),
                            Some("hispanic") => Some(pct(d.hispanic)),
                            Some("asian") => Some(pct(d.asian)),
                            Some("students") => Some(d.students as f64),
                            _ => None,
                        },
                    )
                    .collect();
                let id = e.schools.names[school as usize].to_le_bytes();
                AggregateCell {
                    school: String::from_utf8_lossy(&id[..15]).into_owned(),
                    year,
                    grade,
                    subject: String::from_utf8_lossy(&e.subjects.names[subject as usize])
                        .into_owned(),
                    group,
                    n: s.n,
                    score_sum: s.score,
                    proficient: s.proficient,
                    predictors,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.school, a.year, a.grade, &a.subject, a.group)
                .cmp(&(&b.school, b.year, b.grade, &b.subject, b.group))
        });
        out
    }
}

/// One aggregated cell: what the benchmark compares and the model reads.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateCell {
    pub school: String,
    pub year: u16,
    pub grade: u8,
    pub subject: String,
    pub group: PriorGroup,
    pub n: u64,
    pub score_sum: f64,
    pub proficient: u64,
    pub predictors: Vec<Option<f64>>,
}

impl AggregateCell {
    pub fn mean_score(&self) -> f64 {
        self.score_sum / self.n as f64
    }

    /// The model's cell row. Fails on a school id not in the state's
    /// format.
    pub fn to_row(&self, line: usize, ids: &empower_model::IdFormat) -> Result<CellRow, String> {
        Ok(CellRow {
            line,
            rcdts: ids.parse(&self.school).map_err(|e| e.to_string())?,
            key: CellKey {
                year: self.year,
                grade: if self.grade == 0 {
                    Grade::K
                } else {
                    Grade::N(self.grade)
                },
                subject: self.subject.clone(),
                assessment: None,
                group: self.group,
            },
            n: Some(self.n as f64),
            performance: Some(self.mean_score()),
            proficient_pct: Some(100.0 * self.proficient as f64 / self.n as f64),
            predictors: self.predictors.clone(),
            ayp_met: None,
            participation_pct: None,
            school_type: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use empower_model::Race;

    use crate::rules::tests::illinois as rules;

    #[allow(clippy::too_many_arguments)]
    fn rec(
        student: u64,
        year: u16,
        school: &'static str,
        grade: u8,
        score: Option<f64>,
        level: Option<u8>,
    ) -> StudentRecord<'static> {
        StudentRecord {
            student,
            year,
            school: school.as_bytes(),
            // Districts as Illinois prints them: the school's first 11
            // characters and 0000.
            district: match &school[..11] {
                "01001001026" => b"010010010260000",
                _ => b"020020020260000",
            },
            grade,
            subject: b"math",
            scale_score: score,
            performance_level: level,
            low_income: student.is_multiple_of(2),
            el: false,
            race: Race::Other,
            offset: 0,
        }
    }

    const A: &str = "010010010262001"; // grades 3-5
    const B: &str = "010010010262009"; // grade 5 only: district enrollment counts
    const M: &str = "010010010261002"; // grades 6-8: split by prior performance
    const C: &str = "020020020262001"; // another district

    fn records() -> Vec<StudentRecord<'static>> {
        let mut v = vec![
            // Three years at A: counts in 2023.
            rec(1, 2021, A, 3, Some(700.0), Some(2)),
            rec(1, 2022, A, 4, Some(720.0), Some(2)),
            rec(1, 2023, A, 5, Some(740.0), Some(3)),
            // Two years at A only: does not count.
            rec(2, 2022, A, 4, Some(760.0), Some(4)),
            rec(2, 2023, A, 5, Some(780.0), Some(4)),
            // At B (one grade) in 2023, A (same district) before: counts at B.
            rec(3, 2021, A, 3, Some(750.0), Some(4)),
            rec(3, 2022, A, 4, Some(755.0), Some(4)),
            rec(3, 2023, B, 5, Some(760.0), Some(4)),
            // At B in 2023, another district before: does not count.
            rec(4, 2021, C, 3, Some(700.0), Some(2)),
            rec(4, 2022, C, 4, Some(700.0), Some(2)),
            rec(4, 2023, B, 5, Some(700.0), Some(2)),
            // Middle school M, met the standard in 2022: group met.
            rec(5, 2021, M, 6, Some(760.0), Some(4)),
            rec(5, 2022, M, 7, Some(770.0), Some(4)),
            rec(5, 2023, M, 8, Some(790.0), Some(5)),
            // Middle school M, did not: group not_met.
            rec(6, 2021, M, 6, Some(700.0), Some(2)),
            rec(6, 2022, M, 7, Some(710.0), Some(2)),
            rec(6, 2023, M, 8, Some(720.0), Some(2)),
        ];
        // Grades served by B and A beyond the students above.
        v.push(rec(7, 2021, A, 5, None, None));
        v.push(rec(8, 2021, M, 8, None, None));
        v
    }

    fn cells(chunks: usize) -> Vec<AggregateCell> {
        let r = rules();
        let all = records();
        let per = all.len().div_ceil(chunks);
        let e = enrollment_of(&all, chunks, &r);
        let mut sums = CellSums::default();
        for chunk in all.chunks(per) {
            let mut part = CellSums::default();
            for x in chunk {
                part.add(&e, x, &r.longitudinal);
            }
            sums.merge(part);
        }
        sums.into_cells(&e, &r)
    }

    #[test]
    fn continuous_enrollment_district_substitution_and_prior_groups() {
        let c = cells(1);
        let find = |school: &str, group: PriorGroup| {
            c.iter().find(|x| x.school == school && x.group == group)
        };
        let a = find(A, PriorGroup::All).unwrap();
        assert_eq!(
            (a.year, a.grade, a.n, a.score_sum, a.proficient),
            (2023, 5, 1, 740.0, 0)
        );
        let b = find(B, PriorGroup::All).unwrap();
        assert_eq!((b.n, b.score_sum, b.proficient), (1, 760.0, 1));
        let met = find(M, PriorGroup::Met).unwrap();
        assert_eq!((met.n, met.score_sum, met.proficient), (1, 790.0, 1));
        let not_met = find(M, PriorGroup::NotMet).unwrap();
        assert_eq!((not_met.n, not_met.score_sum), (1, 720.0));
        assert_eq!(c.len(), 4, "{c:?}");
        // Demographics of A in 2023: students 1 and 2, one low income (2).
        let li = a.predictors[0].unwrap();
        assert_eq!(li, 50.0);
    }

    #[test]
    fn a_repeated_student_year_subject_is_found_in_any_chunk() {
        let r = rules();
        let mut all = records();
        assert!(enrollment_of(&all, 1, &r).duplicates().is_none());
        // The same student, year and subject again, at another school.
        all.push(rec(5, 2022, B, 7, Some(700.0), Some(2)));
        for chunks in [1, 2, 5] {
            let d = enrollment_of(&all, chunks, &r).duplicates().expect("found");
            assert_eq!(
                (d.count, d.student, d.year, d.subject.as_str()),
                (1, 5, 2022, "math")
            );
        }
    }

    fn enrollment_of(all: &[StudentRecord<'static>], chunks: usize, r: &HpRules) -> Enrollment {
        let per = all.len().div_ceil(chunks);
        let mut e = Enrollment::default();
        for chunk in all.chunks(per) {
            let mut part = Enrollment::default();
            for x in chunk {
                part.add(x, r.longitudinal.proficient_level);
            }
            e.merge(part);
        }
        e
    }

    #[test]
    fn the_district_is_the_one_the_records_name() {
        let r = rules();
        let cells_of = |all: &[StudentRecord<'static>]| {
            let e = enrollment_of(all, 2, &r);
            assert!(e.district_conflict().is_none());
            let mut sums = CellSums::default();
            for x in all {
                sums.add(&e, x, &r.longitudinal);
            }
            sums.into_cells(&e, &r)
        };
        let all = records();
        assert!(cells_of(&all).iter().any(|c| c.school == B));
        // B's records name another district: student 3's years at A no
        // longer count at B, whatever the ids look like.
        let moved: Vec<StudentRecord<'static>> = all
            .iter()
            .map(|x| {
                let mut x = *x;
                if x.school == B.as_bytes() {
                    x.district = b"elsewhere";
                }
                x
            })
            .collect();
        assert!(!cells_of(&moved).iter().any(|c| c.school == B));
        // One school in two districts: said, for the caller to stop.
        let mut split = all.clone();
        let mut odd = split[0];
        odd.district = b"elsewhere";
        odd.year = 2024;
        split.push(odd);
        let e = enrollment_of(&split, 3, &r);
        let (school, _, _) = e.district_conflict().expect("found");
        assert_eq!(school, A);
    }

    #[test]
    fn chunks_merge_to_the_same_cells() {
        assert_eq!(cells(1), cells(3));
        assert_eq!(cells(1), cells(7));
    }
}
