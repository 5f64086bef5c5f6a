//! `cargo bench -p empower-peers --bench model`: the full model (regressions,
//! ranks, criteria, gaps) for 100,000 schools over 3 years and 2 subjects,
//! built in memory. Grade spans follow Illinois' mix of schools (about half
//! elementary K-5, a fifth middle 6-8, a tenth K-8, a fifth high schools
//! with grade 11 tested). `SCHOOLS=n` changes the size. Prints each run's
//! time and the median.

use empower_model::{Grade, SchoolId};
use empower_peers::{higher_performing, CellKey, CellRow, HpRules, PriorGroup};
use rand::{Rng, SeedableRng};
use std::time::Instant;

/// Every core of the machine, as the command line uses.
fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn main() {
    let schools: usize = std::env::var("SCHOOLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let rules = HpRules::from_toml(
        include_str!("../../../states/illinois/higher-performing.toml"),
        "rules",
    )
    .unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let mut rows = Vec::with_capacity(schools * 36);
    for s in 0..schools {
        let id = SchoolId::parse(&format!("SY{:013}", s)).unwrap();
        let li: f64 = rng.gen_range(0.0..100.0);
        let el: f64 = rng.gen_range(0.0..30.0);
        let black: f64 = rng.gen_range(0.0..40.0);
        let hispanic: f64 = rng.gen_range(0.0..40.0);
        let asian: f64 = rng.gen_range(0.0..15.0);
        let enrollment: f64 = rng.gen_range(100.0..900.0);
        let effect: f64 = rng.gen_range(-8.0..8.0);
        let span: &[u8] = match rng.gen_range(0..100) {
            0..=49 => &[3, 4, 5],
            50..=69 => &[6, 7, 8],
            70..=79 => &[3, 4, 5, 6, 7, 8],
            _ => &[11],
        };
        for year in 2023..2026u16 {
            for &grade in span {
                for subject in ["ela", "math"] {
                    let perf = 60.0 - 0.35 * li - 0.1 * el + effect + rng.gen_range(-6.0..6.0);
                    rows.push(CellRow {
                        line: rows.len() + 2,
                        rcdts: id.clone(),
                        key: CellKey {
                            year,
                            grade: Grade::N(grade),
                            subject: subject.into(),
                            assessment: None,
                            group: PriorGroup::All,
                        },
                        n: Some(rng.gen_range(5.0..120.0f64).round()),
                        performance: Some(perf),
                        proficient_pct: Some(perf.clamp(0.0, 100.0)),
                        predictors: vec![
                            Some(li),
                            Some(el),
                            Some(black),
                            Some(hispanic),
                            Some(asian),
                            Some(enrollment),
                            Some(0.0),
                        ],
                        ayp_met: None,
                        participation_pct: Some(97.0),
                        school_type: None,
                    });
                }
            }
        }
    }
    println!("{} schools, {} cells rows", schools, rows.len());
    let mut times = Vec::new();
    for run in 0..3 {
        let t = Instant::now();
        let report = higher_performing(&rows, &rules, threads()).unwrap();
        let secs = t.elapsed().as_secs_f64();
        let hp = report
            .subjects
            .iter()
            .filter(|s| s.higher_performing)
            .count();
        println!(
            "run {}: {:.3} s ({} school-subjects, {} higher-performing)",
            run + 1,
            secs,
            report.subjects.len(),
            hp
        );
        times.push(secs);
    }
    times.sort_by(f64::total_cmp);
    println!("model for {schools} schools: median {:.3} s", times[1]);
}
