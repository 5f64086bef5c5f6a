//! A generator of realistic student-level records at any size, with a fixed
//! seed. Nothing here is real student data. Schools and their demographics
//! come from the real school list; beyond its size, synthetic schools are
//! real ones resampled with noise under new ids (`SY` + district number +
//! school number, so a synthetic id is plain to see).
//!
//! Scores depend on the student's demographics, the school's effect and the
//! student's prior score; students move up a grade each year, move to a
//! receiving school of their district when their school's grades end, and
//! change schools at random now and then.

use empower_model::SchoolId;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::collections::HashMap;
use std::io::{self, Write};

/// A school as the generator needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct SchoolProfile {
    pub rcdts: SchoolId,
    /// The district's part of the id (students move within it); written
    /// as the records' `district`.
    pub district: String,
    /// Numbered grades served (1-12).
    pub grades: Vec<u8>,
    pub enrollment: f64,
    pub pct_low_income: f64,
    pub pct_el: f64,
    pub pct_black: f64,
    pub pct_hispanic: f64,
    pub pct_asian: f64,
    pub synthetic: bool,
}

/// Settings of a generated state.
#[derive(Clone, Debug)]
pub struct GeneratorSettings {
    pub schools: usize,
    pub years: u16,
    pub first_year: u16,
    pub seed: u64,
    /// Grades with a state test (others get rows without a score).
    pub tested_grades: Vec<u8>,
    pub subjects: Vec<String>,
    /// Scale-score cuts of performance levels 2, 3, 4, 5.
    pub level_cuts: [f64; 4],
    /// Chance a student changes school within the district in a year.
    pub mobility: f64,
}

impl Default for GeneratorSettings {
    fn default() -> Self {
        GeneratorSettings {
            schools: 100,
            years: 3,
            first_year: 2023,
            seed: 1,
            tested_grades: vec![3, 4, 5, 6, 7, 8, 11],
            subjects: vec!["ela".into(), "math".into()],
            level_cuts: [700.0, 725.0, 750.0, 790.0],
            mobility: 0.08,
        }
    }
}

pub const STUDENT_HEADER: &str = "student_id,year,school,district,grade,subject,scale_score,performance_level,enrolled_from,enrolled_to,low_income,el,iep,race";

/// Counts of what was written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Generated {
    pub schools: usize,
    pub synthetic_schools: usize,
    pub students: u64,
    pub records: u64,
}

/// Picks `n` schools: whole real districts in random order while they fit,
/// then synthetic copies of real districts with noisy demographics.
pub fn choose_schools(
    real: &[SchoolProfile],
    n: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<SchoolProfile> {
    let mut districts: Vec<Vec<&SchoolProfile>> = {
        let mut m: HashMap<&str, Vec<&SchoolProfile>> = HashMap::new();
        for s in real
            .iter()
            .filter(|s| !s.grades.is_empty() && s.enrollment > 0.0)
        {
            m.entry(s.district.as_str()).or_default().push(s);
        }
        let mut v: Vec<_> = m.into_values().collect();
        for d in &mut v {
            d.sort_by(|a, b| a.rcdts.cmp(&b.rcdts));
        }
        v.sort_by(|a, b| a[0].rcdts.cmp(&b[0].rcdts));
        v
    };
    assert!(
        !districts.is_empty(),
        "the school list has no school with grades and enrolment"
    );
    districts.shuffle(rng);
    let mut out: Vec<SchoolProfile> = Vec::with_capacity(n);
    let mut replicate = 0usize;
    let noise = Normal::new(0.0, 3.0).expect("valid normal");
    'fill: loop {
        for (d_index, d) in districts.iter().enumerate() {
            for (s_index, s) in d.iter().enumerate() {
                if out.len() == n {
                    break 'fill;
                }
                if replicate == 0 {
                    out.push((*s).clone());
                } else {
                    let id = format!(
                        "SY{:05}{:04}{:04}",
                        replicate,
                        d_index % 10_000,
                        s_index % 10_000
                    );
                    let enrollment = (s.enrollment * rng.gen_range(0.8..1.2)).round().max(20.0);
                    let mut pct = |v: f64| (v + noise.sample(rng)).clamp(0.0, 100.0);
                    out.push(SchoolProfile {
                        rcdts: SchoolId::parse(&id).expect("15 characters"),
                        district: format!("SY{:05}{:04}0000", replicate, d_index % 10_000),
                        grades: s.grades.clone(),
                        enrollment,
                        pct_low_income: pct(s.pct_low_income),
                        pct_el: pct(s.pct_el),
                        pct_black: pct(s.pct_black),
                        pct_hispanic: pct(s.pct_hispanic),
                        pct_asian: pct(s.pct_asian),
                        synthetic: true,
                    });
                }
            }
        }
        replicate += 1;
    }
    out
}

struct Student {
    id: u64,
    low_income: bool,
    el: bool,
    iep: bool,
    race: &'static str,
    demographic_mean: f64,
    ability: f64,
}

/// School index structures for moves.
struct Map<'a> {
    schools: &'a [SchoolProfile],
    effect: Vec<f64>,
    by_district: HashMap<&'a str, Vec<usize>>,
    by_grade: Vec<Vec<usize>>,
}

impl<'a> Map<'a> {
    fn new(schools: &'a [SchoolProfile], rng: &mut ChaCha8Rng) -> Self {
        let effect_dist = Normal::new(0.0, 0.25).expect("valid normal");
        let effect = schools.iter().map(|_| effect_dist.sample(rng)).collect();
        let mut by_district: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_grade = vec![Vec::new(); 13];
        for (i, s) in schools.iter().enumerate() {
            by_district.entry(s.district.as_str()).or_default().push(i);
            for &g in &s.grades {
                by_grade[g as usize].push(i);
            }
        }
        Map {
            schools,
            effect,
            by_district,
            by_grade,
        }
    }

    /// Where a student in `grade` next year goes from school `from`.
    fn next_school(
        &self,
        from: usize,
        grade: u8,
        mobility: f64,
        rng: &mut ChaCha8Rng,
    ) -> Option<usize> {
        let here = &self.schools[from];
        let district = &self.by_district[here.district.as_str()];
        let serves = |i: &usize| self.schools[*i].grades.contains(&grade);
        if here.grades.contains(&grade) && !rng.gen_bool(mobility) {
            return Some(from);
        }
        let options: Vec<usize> = district
            .iter()
            .copied()
            .filter(|i| serves(i) && *i != from)
            .collect();
        if !options.is_empty() && rng.gen_bool(0.9) {
            return options.choose(rng).copied();
        }
        if here.grades.contains(&grade) {
            return Some(from);
        }
        // No receiving school in the district: somewhere else in the state.
        self.by_grade[grade as usize].choose(rng).copied()
    }
}

fn new_student(id: u64, s: &SchoolProfile, rng: &mut ChaCha8Rng) -> Student {
    let low_income = rng.gen_bool((s.pct_low_income / 100.0).clamp(0.0, 1.0));
    let el = rng.gen_bool((s.pct_el / 100.0).clamp(0.0, 1.0));
    let iep = rng.gen_bool(0.14);
    let u: f64 = rng.gen_range(0.0..100.0);
    let race = if u < s.pct_black {
        "black"
    } else if u < s.pct_black + s.pct_hispanic {
        "hispanic"
    } else if u < s.pct_black + s.pct_hispanic + s.pct_asian {
        "asian"
    } else if u < s.pct_black + s.pct_hispanic + s.pct_asian + 3.0 {
        "two-or-more"
    } else {
        "white"
    };
    let race_effect = match race {
        "black" => -0.35,
        "hispanic" => -0.2,
        "asian" => 0.3,
        _ => 0.0,
    };
    let demographic_mean = -0.45 * f64::from(u8::from(low_income))
        - 0.35 * f64::from(u8::from(el))
        - 0.6 * f64::from(u8::from(iep))
        + race_effect;
    let ability = demographic_mean + Normal::new(0.0, 0.85).expect("valid").sample(rng);
    Student {
        id,
        low_income,
        el,
        iep,
        race,
        demographic_mean,
        ability,
    }
}

/// Writes the records of a generated state (header first), grouped by
/// student. Returns what was written.
pub fn generate_students<W: Write>(
    real: &[SchoolProfile],
    settings: &GeneratorSettings,
    out: W,
) -> io::Result<Generated> {
    generate_students_with(real, settings, out, &mut |_, _| {})
}

/// [`generate_students`], telling `progress` (schools done, schools) after
/// each school.
pub fn generate_students_with<W: Write>(
    real: &[SchoolProfile],
    settings: &GeneratorSettings,
    out: W,
    progress: &mut dyn FnMut(usize, usize),
) -> io::Result<Generated> {
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let schools = choose_schools(real, settings.schools, &mut rng);
    let map = Map::new(&schools, &mut rng);
    let mut w = io::BufWriter::with_capacity(1 << 20, out);
    writeln!(w, "{STUDENT_HEADER}")?;
    let mut g = Generated {
        schools: schools.len(),
        synthetic_schools: schools.iter().filter(|s| s.synthetic).count(),
        ..Default::default()
    };
    let growth = Normal::new(0.0, 0.35).expect("valid");
    let subject_noise = Normal::new(0.0, 0.45).expect("valid");
    let mut next_id: u64 = 1_000_000;
    for (si, s) in schools.iter().enumerate() {
        let per_grade = (s.enrollment / s.grades.len() as f64).round().max(1.0) as usize;
        let lowest = s.grades[0];
        // Students present in the first year, then a new entering class each year.
        let mut starts: Vec<(u16, u8)> = s.grades.iter().map(|&gr| (0u16, gr)).collect();
        starts.extend((1..settings.years).map(|y| (y, lowest)));
        for (start_year, start_grade) in starts {
            for _ in 0..per_grade {
                next_id += 1;
                let mut st = new_student(next_id, s, &mut rng);
                g.students += 1;
                let (mut school, mut grade) = (si, start_grade);
                for y in start_year..settings.years {
                    let year = settings.first_year + y;
                    let sc = &map.schools[school];
                    let district = &sc.district;
                    for subject in &settings.subjects {
                        let (score, level) = if settings.tested_grades.contains(&grade) {
                            let theta = st.ability + subject_noise.sample(&mut rng);
                            let score = (745.0 + 32.0 * theta).round().clamp(650.0, 850.0);
                            let level =
                                1 + settings.level_cuts.iter().filter(|c| score >= **c).count();
                            (score.to_string(), level.to_string())
                        } else {
                            (String::new(), String::new())
                        };
                        writeln!(
                            w,
                            "{},{},{},{},{},{},{},{},{}-08-20,{}-06-05,{},{},{},{}",
                            st.id,
                            year,
                            sc.rcdts,
                            district,
                            grade,
                            subject,
                            score,
                            level,
                            year - 1,
                            year,
                            u8::from(st.low_income),
                            u8::from(st.el),
                            u8::from(st.iep),
                            st.race
                        )?;
                        g.records += 1;
                    }
                    // Next year: a year older, wiser by the school's effect.
                    st.ability = 0.85 * st.ability
                        + 0.15 * st.demographic_mean
                        + 0.4 * map.effect[school]
                        + growth.sample(&mut rng);
                    if grade == 12 {
                        break;
                    }
                    grade += 1;
                    match map.next_school(school, grade, settings.mobility, &mut rng) {
                        Some(n) => school = n,
                        None => break,
                    }
                }
            }
        }
        progress(si + 1, schools.len());
    }
    w.flush()?;
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn school(id: &str, grades: &[u8], enrollment: f64, li: f64) -> SchoolProfile {
        SchoolProfile {
            rcdts: SchoolId::parse(id).unwrap(),
            district: format!("{}0000", &id[..11]),
            grades: grades.to_vec(),
            enrollment,
            pct_low_income: li,
            pct_el: 5.0,
            pct_black: 10.0,
            pct_hispanic: 10.0,
            pct_asian: 5.0,
            synthetic: false,
        }
    }

    fn district() -> Vec<SchoolProfile> {
        vec![
            school("010010010262001", &[1, 2, 3, 4, 5], 250.0, 80.0),
            school("010010010261002", &[6, 7, 8], 150.0, 80.0),
            school("010010010260003", &[9, 10, 11, 12], 200.0, 70.0),
            school("020020020262001", &[1, 2, 3, 4, 5, 6, 7, 8], 400.0, 10.0),
        ]
    }

    fn generate(settings: &GeneratorSettings) -> (String, Generated) {
        let mut buf = Vec::new();
        let g = generate_students(&district(), settings, &mut buf).unwrap();
        (String::from_utf8(buf).unwrap(), g)
    }

    #[test]
    fn same_seed_same_file_and_synthetic_schools_beyond_the_list() {
        let s = GeneratorSettings {
            schools: 10,
            years: 3,
            seed: 7,
            ..Default::default()
        };
        let (a, ga) = generate(&s);
        let (b, _) = generate(&s);
        assert_eq!(a, b);
        assert_eq!((ga.schools, ga.synthetic_schools), (10, 6));
        assert!(a.lines().any(|l| l.contains(",SY")));
        assert_eq!(a.lines().count() as u64, ga.records + 1);
        let (c, _) = generate(&GeneratorSettings { seed: 8, ..s });
        assert_ne!(a, c);
    }

    #[test]
    fn scores_follow_demographics_and_students_move_up() {
        let s = GeneratorSettings {
            schools: 4,
            years: 3,
            seed: 3,
            ..Default::default()
        };
        let (text, _) = generate(&s);
        let mut by_li: HashMap<&str, (f64, f64)> = HashMap::new();
        let mut grade_of: HashMap<(&str, &str), u8> = HashMap::new();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 14);
            grade_of.insert((f[0], f[1]), f[4].parse().unwrap());
            if let Ok(score) = f[6].parse::<f64>() {
                let e = by_li.entry(f[10]).or_default();
                e.0 += score;
                e.1 += 1.0;
                let level: u8 = f[7].parse().unwrap();
                assert!((1..=5).contains(&level));
            } else {
                let g: u8 = f[4].parse().unwrap();
                assert!(!s.tested_grades.contains(&g));
            }
        }
        let mean = |k: &str| by_li[k].0 / by_li[k].1;
        assert!(
            mean("0") > mean("1") + 5.0,
            "low-income students score lower on average"
        );
        // A student present two consecutive years is one grade up.
        let moved_up = grade_of
            .iter()
            .filter_map(|((id, y), g)| {
                let next = (y.parse::<u16>().unwrap() + 1).to_string();
                grade_of
                    .iter()
                    .find(|((i, yy), _)| i == id && *yy == next)
                    .map(|(_, g2)| *g2 == g + 1)
            })
            .take(200)
            .collect::<Vec<_>>();
        assert!(!moved_up.is_empty() && moved_up.iter().all(|x| *x));
    }
}
