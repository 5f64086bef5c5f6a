//! The higher-performing commands: loading cells and rendering results.

use anyhow::{bail, Context, Result};
use empower_ingest::PLACE_COLUMNS;
use empower_model::SchoolId;
use empower_peers::{CellRow, HpReport, HpRules, SubjectResult};
use std::io::Write;
use std::path::PathBuf;

/// Says which years and predictors the model used (standard error).
pub fn describe_run(report: &HpReport) {
    eprintln!(
        "window: {} ({} most recent tested years); predictors: {}{}",
        report
            .window
            .iter()
            .map(|y| y.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        report.window.len(),
        report.predictors_used.join(", "),
        if report.predictors_dropped.is_empty() {
            String::new()
        } else {
            format!(
                "; dropped (empty on every row): {}",
                report.predictors_dropped.join(", ")
            )
        }
    );
}

/// Per year and predictor, how many schools have it (standard error),
/// before the model: a predictor most schools lack in a year makes that
/// year's ranks few.
pub fn describe_coverage(rows: &[CellRow], rules: &HpRules) {
    let coverage = empower_peers::predictor_coverage(rows, rules);
    if coverage.is_empty() {
        return;
    }
    let width = rules
        .predictors
        .iter()
        .map(|p| p.len())
        .max()
        .unwrap_or(0)
        .max(9);
    let mut header = format!("{:<width$}", "predictor");
    for (year, schools, _) in &coverage {
        header.push_str(&format!("  {:>13}", format!("{year} ({schools})")));
    }
    eprintln!("schools with each predictor, per year (schools in the year):");
    eprintln!("  {header}");
    for (j, p) in rules.predictors.iter().enumerate() {
        let mut line = format!("{p:<width$}");
        for (_, schools, counts) in &coverage {
            let pct = 100.0 * counts[j] as f64 / (*schools).max(1) as f64;
            line.push_str(&format!("  {:>13}", format!("{} ({pct:.0}%)", counts[j])));
        }
        eprintln!("  {line}");
    }
}

/// Says what the cells came from (standard error).
pub fn describe_cells(cells: &empower_app::peers::Cells) {
    if let Some((students, years)) = &cells.students {
        eprintln!(
            "{students} students, years {}; {} cells of continuously enrolled students (performance = mean scale score)",
            years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", "),
            cells.rows.len()
        );
    }
}

/// The directory of the schools a list names.
pub type Directory = std::collections::BTreeMap<SchoolId, empower_app::DirectoryEntry>;

/// The entries of `ids` the directory has, by id (JSON's `schools`).
pub fn names_of<'a>(
    dir: &Directory,
    ids: impl Iterator<Item = &'a SchoolId>,
) -> std::collections::BTreeMap<String, empower_app::DirectoryEntry> {
    ids.filter_map(|id| dir.get(id).map(|e| (id.to_string(), e.clone())))
        .collect()
}

/// Name, district, city and county of a school: the columns every list
/// ends with (empty where the directory lacks the school).
pub fn place(dir: &Directory, id: &SchoolId) -> [String; 4] {
    match dir.get(id) {
        Some(e) => [
            e.school_name.clone(),
            e.district_name.clone(),
            e.city.clone(),
            e.county.clone(),
        ],
        None => Default::default(),
    }
}

/// A school's name for a table, shortened to `width` characters.
fn short_name(dir: &Directory, id: &SchoolId, width: usize) -> String {
    let name = dir.get(id).map(|e| e.school_name.as_str()).unwrap_or("");
    if name.chars().count() <= width {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(width - 1).collect();
        s.push('…');
        s
    }
}

fn num(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

pub const MAIN_COLUMNS: [&str; 10] = [
    "rcdts",
    "subject",
    "ranks",
    "overall_rank",
    "required_overall_rank",
    "exceptions_allowed",
    "exceptions_used",
    "min_gap",
    "higher_performing",
    "failed",
];

/// The main CSV: the contract's columns, then residual, band and recent
/// failing, then where the school is (name, district, city, county).
pub fn main_csv(report: &HpReport, dir: &Directory, out: &mut dyn Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<&str> = MAIN_COLUMNS.to_vec();
    header.extend(["overall_residual", "overall_band", "recent_failing"]);
    header.extend(PLACE_COLUMNS);
    w.write_record(&header)?;
    for s in &report.subjects {
        let [name, district, city, county] = place(dir, &s.rcdts);
        w.write_record([
            s.rcdts.to_string(),
            s.subject.clone(),
            s.ranks.to_string(),
            num(s.overall_rank),
            s.required_overall_rank.to_string(),
            s.exceptions_allowed.to_string(),
            s.exceptions_used.to_string(),
            num(s.min_gap),
            s.higher_performing.to_string(),
            s.failed_codes(),
            num(s.overall_residual),
            s.overall_band.map(|b| b.to_string()).unwrap_or_default(),
            s.recent_failing.to_string(),
            name,
            district,
            city,
            county,
        ])?;
    }
    w.flush()?;
    Ok(())
}

pub fn detail_csv(report: &HpReport, rows: &[CellRow], path: &PathBuf) -> Result<()> {
    let f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
    w.write_record([
        "rcdts",
        "year",
        "grade",
        "subject",
        "n",
        "residual",
        "rank_band",
        "rank",
        "group",
        "missing",
        "assessment",
    ])?;
    for c in report.cell_results() {
        let r = &rows[c.row];
        w.write_record([
            r.rcdts.to_string(),
            r.key.year.to_string(),
            r.key.grade.to_string(),
            r.key.subject.clone(),
            num(r.n),
            num(c.residual),
            c.rank_band.map(|b| b.to_string()).unwrap_or_default(),
            num(c.rank),
            r.key.group.as_str().to_string(),
            c.missing.unwrap_or("").to_string(),
            r.key.assessment.clone().unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

pub fn regressions_csv(report: &HpReport, path: &PathBuf) -> Result<()> {
    let f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
    let mut header = vec![
        "year".to_string(),
        "grade".into(),
        "subject".into(),
        "group".into(),
        "assessment".into(),
        "schools".into(),
        "regression".into(),
        "r2".into(),
        "intercept".into(),
    ];
    header.extend(report.predictors_used.iter().map(|p| format!("coef_{p}")));
    w.write_record(&header)?;
    for c in &report.cells {
        let mut rec = vec![
            c.key.year.to_string(),
            c.key.grade.to_string(),
            c.key.subject.clone(),
            c.key.group.as_str().to_string(),
            c.key.assessment.clone().unwrap_or_default(),
            c.schools.to_string(),
            c.regression.to_string(),
            num(c.r2),
            num(c.intercept),
        ];
        if c.coefficients.is_empty() {
            rec.extend(report.predictors_used.iter().map(|_| String::new()));
        } else {
            rec.extend(c.coefficients.iter().map(|v| v.to_string()));
        }
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

pub fn table(report: &HpReport, dir: &Directory, out: &mut dyn Write) -> Result<()> {
    let mut by_subject: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for s in &report.subjects {
        let e = by_subject.entry(s.subject.as_str()).or_default();
        e.0 += 1;
        e.1 += usize::from(s.higher_performing);
    }
    writeln!(
        out,
        "Higher-performing schools, window {}",
        report
            .window
            .iter()
            .map(|y| y.to_string())
            .collect::<Vec<_>>()
            .join("-")
    )?;
    for (subject, (n, hp)) in &by_subject {
        writeln!(out, "  {subject}: {hp} of {n} schools higher-performing")?;
    }
    let regressions = report.cells.iter().filter(|c| c.regression).count();
    writeln!(
        out,
        "  {} cells, {} with a regression",
        report.cells.len(),
        regressions
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<15}  {:<30} {:<8} {:>5} {:>8} {:>8} {:>10} {:>8}  verdict",
        "rcdts", "school", "subject", "ranks", "overall", "needed", "exceptions", "min gap"
    )?;
    for s in &report.subjects {
        writeln!(
            out,
            "{:<15}  {:<30} {:<8} {:>5} {:>8} {:>8} {:>10} {:>8}  {}",
            s.rcdts.as_str(),
            short_name(dir, &s.rcdts, 30),
            s.subject,
            s.ranks,
            s.overall_rank
                .map(|r| format!("{r:.1}"))
                .unwrap_or_else(|| "—".into()),
            s.required_overall_rank,
            format!("{}/{}", s.exceptions_used, s.exceptions_allowed),
            s.min_gap
                .map(|g| format!("{g:.1}"))
                .unwrap_or_else(|| "—".into()),
            verdict(s)
        )?;
    }
    Ok(())
}

fn verdict(s: &SubjectResult) -> String {
    if s.higher_performing {
        "HIGHER-PERFORMING".into()
    } else {
        format!("not: {}", s.failed_codes())
    }
}

/// A school's opportunity gaps in the most recent year, each with the top
/// comparable schools behind it.
#[allow(clippy::too_many_arguments)]
pub fn gaps(
    report: &HpReport,
    rows: &[CellRow],
    rules: &HpRules,
    dir: &Directory,
    id: &SchoolId,
    format: crate::Format,
    provenance: &empower_app::rules::RulesProvenance,
    warnings: &crate::warnings::Warnings,
    out: &mut dyn Write,
) -> Result<()> {
    let mine: Vec<&SubjectResult> = report.subjects.iter().filter(|s| &s.rcdts == id).collect();
    if mine.is_empty() {
        bail!("school {id} has no rows in the window {:?}", report.window);
    }
    let year = report.window.last().copied().unwrap_or_default();
    let tops = empower_peers::top_comparable_schools(rows, rules, id, year);
    let top_of =
        |subject: &str, grade: &empower_model::Grade, group: &empower_model::PriorGroup| {
            tops.iter()
                .find(|(k, _)| k.subject == subject && k.grade == *grade && k.group == *group)
                .map(|(_, list)| list.as_slice())
                .unwrap_or(&[])
        };
    let [name, district, city, county] = place(dir, id);
    let rows: Vec<serde_json::Value> = mine
        .iter()
        .flat_map(|s| {
            let (name, district, city, county) = (&name, &district, &city, &county);
            let top_of = &top_of;
            s.gaps.iter().map(move |(grade, group, g)| {
                let top: Vec<serde_json::Value> = top_of(&s.subject, grade, group)
                    .iter()
                    .map(|(school, p)| {
                        serde_json::json!({
                            "rcdts": school.to_string(),
                            "school_name": dir.get(*school).map(|e| e.school_name.as_str()).unwrap_or(""),
                            "proficient_pct": p,
                        })
                    })
                    .collect();
                serde_json::json!({
                    "rcdts": id.to_string(),
                    "school_name": name,
                    "district": district,
                    "city": city,
                    "county": county,
                    "year": year,
                    "subject": s.subject,
                    "grade": grade.to_string(),
                    "group": group.as_str(),
                    "gap": g.gap,
                    "top_mean": g.top_mean,
                    "comparable": g.comparable,
                    "top": g.top,
                    "top_schools": top,
                })
            })
        })
        .collect();
    // "Name (92.1%); ..." for a CSV cell or a table line.
    let top_words = |r: &serde_json::Value| -> String {
        r["top_schools"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|t| {
                        let n = t["school_name"].as_str().unwrap_or("");
                        let id = t["rcdts"].as_str().unwrap_or("");
                        format!(
                            "{} ({:.1}%)",
                            if n.is_empty() { id } else { n },
                            t["proficient_pct"].as_f64().unwrap_or(f64::NAN)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    };
    match format {
        crate::Format::Json => {
            serde_json::to_writer_pretty(
                &mut *out,
                &warnings.with_warnings(serde_json::json!({ "rules": provenance, "gaps": rows })),
            )?;
            writeln!(out)?;
            return Ok(());
        }
        crate::Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            let cols = [
                "rcdts",
                "year",
                "subject",
                "grade",
                "group",
                "gap",
                "top_mean",
                "comparable",
                "top",
                "school_name",
                "district",
                "city",
                "county",
            ];
            let mut header: Vec<&str> = cols.to_vec();
            header.push("top_schools");
            w.write_record(&header)?;
            for r in &rows {
                let mut rec: Vec<String> = cols
                    .iter()
                    .map(|c| match &r[*c] {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Number(n) => match n.as_f64() {
                            Some(x) if n.is_f64() => format!("{x:.2}"),
                            _ => n.to_string(),
                        },
                        other => other.to_string(),
                    })
                    .collect();
                rec.push(top_words(r));
                w.write_record(&rec)?;
            }
            w.flush()?;
            return Ok(());
        }
        crate::Format::Table => {}
    }
    writeln!(
        out,
        "Opportunity gaps of {id}{}, {year} (% proficient minus the top comparable schools')",
        if name.is_empty() {
            String::new()
        } else {
            format!(" ({name}, {district})")
        }
    )?;
    writeln!(
        out,
        "{:<8} {:<6} {:<8} {:>8} {:>10} {:>11} {:>5}",
        "subject", "grade", "group", "gap", "top mean", "comparable", "top"
    )?;
    for s in mine {
        if s.gaps.is_empty() {
            writeln!(
                out,
                "{:<8} no gap: fewer than the minimum comparable schools, or no % proficient",
                s.subject
            )?;
        }
        for (grade, group, g) in &s.gaps {
            writeln!(
                out,
                "{:<8} {:<6} {:<8} {:>8.1} {:>10.1} {:>11} {:>5}",
                s.subject,
                grade.to_string(),
                group.as_str(),
                g.gap,
                g.top_mean,
                g.comparable,
                g.top
            )?;
            let r = rows.iter().find(|r| {
                r["subject"] == s.subject.as_str()
                    && r["grade"] == grade.to_string().as_str()
                    && r["group"] == group.as_str()
            });
            if let Some(words) = r.map(&top_words).filter(|w| !w.is_empty()) {
                // The first few; the CSV and JSON list them all.
                const SHOWN: usize = 5;
                let all: Vec<&str> = words.split("; ").collect();
                let more = all.len().saturating_sub(SHOWN);
                writeln!(
                    out,
                    "         top: {}{}",
                    all[..all.len().min(SHOWN)].join("; "),
                    if more > 0 {
                        format!("; and {more} more (--format csv lists them all)")
                    } else {
                        String::new()
                    }
                )?;
            }
        }
    }
    Ok(())
}

/// Similar schools with their performance and relative performance.
#[allow(clippy::too_many_arguments)]
pub fn similar(
    report: &HpReport,
    list: &[empower_peers::SimilarSchool],
    rules: &HpRules,
    dir: &Directory,
    id: &SchoolId,
    format: crate::Format,
    provenance: &empower_app::rules::RulesProvenance,
    warnings: &crate::warnings::Warnings,
    out: &mut dyn Write,
) -> Result<()> {
    let relative = |school: &SchoolId| -> Vec<(String, Option<f64>, Option<f64>)> {
        report
            .subjects
            .iter()
            .filter(|s| &s.rcdts == school)
            .map(|s| (s.subject.clone(), s.overall_residual, s.overall_rank))
            .collect()
    };
    if format == crate::Format::Json {
        let v: Vec<serde_json::Value> = list
            .iter()
            .map(|s| {
                serde_json::json!({
                    "rcdts": s.rcdts, "distance": s.distance, "performance": s.performance,
                    "school": dir.get(&s.rcdts),
                    "predictors": rules.predictors.iter().zip(&s.predictors).map(|(p, v)| (p.clone(), *v)).collect::<std::collections::BTreeMap<_, _>>(),
                    "relative_performance": relative(&s.rcdts).into_iter().map(|(subj, res, rank)| serde_json::json!({"subject": subj, "overall_residual": res, "overall_rank": rank})).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::to_writer_pretty(
            &mut *out,
            &warnings.with_warnings(
                serde_json::json!({"rules": provenance, "school": id, "similar": v}),
            ),
        )?;
        writeln!(out)?;
        return Ok(());
    }
    if format == crate::Format::Csv {
        let mut w = csv::Writer::from_writer(out);
        let mut header = vec!["rcdts".to_string(), "distance".into(), "performance".into()];
        header.extend(rules.predictors.iter().cloned());
        header.extend(PLACE_COLUMNS.map(str::to_string));
        w.write_record(&header)?;
        for s in list {
            let mut rec = vec![
                s.rcdts.to_string(),
                s.distance.to_string(),
                num(s.performance),
            ];
            rec.extend(s.predictors.iter().map(|v| num(*v)));
            rec.extend(place(dir, &s.rcdts));
            w.write_record(&rec)?;
        }
        w.flush()?;
        return Ok(());
    }
    writeln!(
        out,
        "Schools most similar to {id} (same band and school type; distance on standardised {})",
        report.predictors_used.join(", ")
    )?;
    let mine = relative(id);
    for (subj, res, rank) in &mine {
        writeln!(
            out,
            "  itself: {subj} relative performance {} (overall rank {})",
            res.map(|r| format!("{r:+.2}"))
                .unwrap_or_else(|| "—".into()),
            rank.map(|r| format!("{r:.1}"))
                .unwrap_or_else(|| "—".into())
        )?;
    }
    writeln!(
        out,
        "{:>3}  {:<15} {:<30} {:>8} {:>11}  relative performance by subject",
        "#", "rcdts", "school", "distance", "performance"
    )?;
    for (k, s) in list.iter().enumerate() {
        let rel: Vec<String> = relative(&s.rcdts)
            .into_iter()
            .map(|(subj, res, _)| {
                format!(
                    "{subj} {}",
                    res.map(|r| format!("{r:+.2}"))
                        .unwrap_or_else(|| "—".into())
                )
            })
            .collect();
        writeln!(
            out,
            "{:>3}  {:<15} {:<30} {:>8.3} {:>11}  {}",
            k + 1,
            s.rcdts.as_str(),
            short_name(dir, &s.rcdts, 30),
            s.distance,
            s.performance
                .map(|p| format!("{p:.1}"))
                .unwrap_or_else(|| "—".into()),
            rel.join(", ")
        )?;
    }
    Ok(())
}

/// One school's higher-performing verdict, explained.
pub fn explain_school(
    report: &HpReport,
    rows: &[CellRow],
    rules: &HpRules,
    id: &SchoolId,
    out: &mut dyn Write,
) -> Result<()> {
    let mine: Vec<&SubjectResult> = report.subjects.iter().filter(|s| &s.rcdts == id).collect();
    if mine.is_empty() {
        bail!("school {id} has no rows in the window {:?}", report.window);
    }
    let years: Vec<String> = report.window.iter().map(|y| y.to_string()).collect();
    writeln!(
        out,
        "{id}: higher-performing analysis, window {} (most recent {})",
        years.join(", "),
        years.last().cloned().unwrap_or_default()
    )?;
    for (year, missing) in empower_peers::missing_predictors(rows, rules, id) {
        // Predictors the model dropped (empty everywhere) are missing for all.
        let missing: Vec<&str> = missing
            .into_iter()
            .filter(|p| report.predictors_used.iter().any(|u| u == p))
            .collect();
        if !missing.is_empty() {
            writeln!(
                out,
                "  {year}: no {} for this school, so its cells of {year} have no rank",
                missing.join(", ")
            )?;
        }
    }
    // Per-cell results of this school, for residuals and reasons.
    let cells: Vec<empower_peers::CellResult> = report
        .cell_results()
        .filter(|c| &rows[c.row].rcdts == id)
        .collect();
    for s in mine {
        writeln!(out)?;
        writeln!(
            out,
            "{} — {}",
            s.subject,
            if s.higher_performing {
                "HIGHER-PERFORMING".to_string()
            } else {
                format!("not higher-performing ({})", s.failed_codes())
            }
        )?;
        let grades: Vec<String> = s.tested_grades.iter().map(|g| g.to_string()).collect();
        writeln!(
            out,
            "  tested grades {}; {} rank slots ({} in the first years)",
            grades.join(", "),
            s.ranks,
            s.first_years_ranks
        )?;
        // A grade with its test when the cells name one: "all (high)".
        let grade_label = |slot: &empower_peers::Slot| match &slot.assessment {
            Some(a) => format!("{} ({a})", slot.grade),
            None => slot.grade.to_string(),
        };
        let gw = s
            .slots
            .iter()
            .map(|x| grade_label(x).len())
            .max()
            .unwrap_or(0)
            .max(6);
        writeln!(
            out,
            "  {:<6} {:<gw$} {:<8} {:>6} {:>10} {:>7}",
            "year", "grade", "group", "n", "residual", "rank"
        )?;
        for slot in &s.slots {
            let cell = cells.iter().find(|c| {
                let k = &rows[c.row].key;
                k.year == slot.year
                    && k.grade == slot.grade
                    && k.assessment == slot.assessment
                    && k.group == slot.group
                    && k.subject == s.subject
            });
            let n = cell
                .and_then(|c| rows[c.row].n)
                .map(|n| format!("{n:.0}"))
                .unwrap_or_else(|| "—".into());
            let residual = cell
                .and_then(|c| c.residual)
                .map(|r| format!("{r:+.2}"))
                .unwrap_or_else(|| "—".into());
            let rank = match (slot.rank, cell.and_then(|c| c.missing)) {
                (Some(r), _) => format!("{r:.1}"),
                (None, Some(why)) => format!("missing: {why}"),
                (None, None) => "missing: no row".into(),
            };
            writeln!(
                out,
                "  {:<6} {:<gw$} {:<8} {:>6} {:>10} {:>7}",
                slot.year,
                grade_label(slot),
                slot.group.as_str(),
                n,
                residual,
                rank
            )?;
        }
        let fail = |f: empower_peers::Failure| s.failed.contains(&f);
        use empower_peers::Failure::*;
        writeln!(
            out,
            "  most recent year: {} rank(s) missing or below {}{}",
            s.recent_failing,
            rules.min_individual_rank,
            if fail(RecentRank) {
                "  → fails (none allowed)"
            } else {
                "  → passes"
            }
        )?;
        writeln!(
            out,
            "  first years: {} exception(s) used of {} allowed{}",
            s.exceptions_used,
            s.exceptions_allowed,
            if fail(IndividualRanks) {
                format!("  → fails by {}", s.exceptions_used - s.exceptions_allowed)
            } else {
                "  → passes".into()
            }
        )?;
        match s.overall_rank {
            Some(r) => writeln!(
                out,
                "  overall rank {:.1} (weighted mean residual {:+.2}, low-income band {}) against {} required{}",
                r,
                s.overall_residual.unwrap_or(f64::NAN),
                s.overall_band
                    .map(|b| format!("{}-{}%", b as f64 * rules.band_width, (b + 1) as f64 * rules.band_width))
                    .unwrap_or_default(),
                s.required_overall_rank,
                if fail(OverallRank) { format!("  → fails by {:.1}", s.required_overall_rank - r) } else { "  → passes".into() }
            )?,
            None => writeln!(out, "  no overall rank (no residual, or no row in the most recent year)  → fails")?,
        }
        for a in &s.accountability {
            writeln!(
                out,
                "  {} accountability: {}",
                a.year,
                match (a.check, a.passed) {
                    (empower_peers::CheckUsed::Ayp, true) => "AYP met",
                    (empower_peers::CheckUsed::Ayp, false) => "AYP not met → fails",
                    (empower_peers::CheckUsed::Participation, true) =>
                        "participation at least the minimum",
                    (empower_peers::CheckUsed::Participation, false) =>
                        "participation below the minimum → fails",
                    (empower_peers::CheckUsed::Skipped, _) =>
                        "no AYP or participation data: skipped",
                }
            )?;
        }
        match s.min_gap {
            Some(g) => writeln!(
                out,
                "  lowest opportunity gap {:+.1} points (minimum {}){}",
                g,
                rules.min_gap,
                if fail(OpportunityGap) {
                    format!("  → fails by {:.1}", rules.min_gap - g)
                } else {
                    "  → passes".into()
                }
            )?,
            None => writeln!(out, "  no opportunity gap computed  → passes")?,
        }
    }
    Ok(())
}
