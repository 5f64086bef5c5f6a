//! Rendering for people (terminal tables, explanations) and machines (CSV).

use crate::warnings::Warnings;
use anyhow::{Context, Result};
use empower_accountability::{Designations, Explanation, Fidelity, IndicatorStatus};
use empower_app::{Calibrated, Improved, SchoolStatus};
use empower_model::Designation;
use empower_rules::AccountabilityRules;
use std::collections::BTreeMap;
use std::io::Write;

pub const DESIGNATION_COLUMNS: [&str; 9] = [
    "rcdts",
    "school_name",
    "band",
    "index",
    "designation",
    "official_designation",
    "reasons",
    "cut_pool",
    "title1",
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// The designation CSV of `spec/accountability.md` (output contract).
pub fn designations_csv(d: &Designations, out: &mut dyn Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(DESIGNATION_COLUMNS)?;
    for r in &d.rows {
        let pool = r
            .band
            .and_then(|b| d.cuts.get(&b))
            .map(|c| c.comprehensive_pool.as_str())
            .unwrap_or("");
        w.write_record([
            r.rcdts.as_str(),
            &r.school_name,
            &opt(r.band),
            &opt(r.index),
            &opt(r.designation),
            &opt(r.official_designation),
            &r.reasons_code(),
            pool,
            if r.title1 { "1" } else { "0" },
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// `near-cut --format csv`: one row per index near a cut.
pub fn near_cut_csv(near: &[empower_accountability::NearCut], out: &mut dyn Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "rcdts",
        "school_name",
        "band",
        "designation",
        "cut",
        "group",
        "index",
        "cut_value",
        "distance",
        "direction",
        "meaning",
    ])?;
    for n in near {
        w.write_record([
            n.rcdts.as_str(),
            &n.school_name,
            &opt(n.band),
            &opt(n.designation),
            n.cut.as_str(),
            n.group.slug(),
            &format!("{:.2}", n.index),
            &format!("{:.2}", n.cut_value),
            &format!("{:.2}", n.distance),
            &n.direction,
            &n.meaning,
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// `near-cut`'s table: the closest first.
pub fn near_cut_table(near: &[empower_accountability::NearCut], out: &mut dyn Write) -> Result<()> {
    writeln!(
        out,
        "{:<15}  {:<32}  {:<4}  {:<13}  {:<13}  {:<16}  {:>7}  {:>7}  {:>8}",
        "RCDTS", "School", "Band", "Designation", "Cut", "Group", "Index", "Cut at", "Distance"
    )?;
    for n in near {
        writeln!(
            out,
            "{:<15}  {:<32}  {:<4}  {:<13}  {:<13}  {:<16}  {:>7.2}  {:>7.2}  {:>+8.2}",
            n.rcdts,
            truncate(&n.school_name, 32),
            opt(n.band),
            opt(n.designation),
            n.cut.as_str(),
            n.group.slug(),
            n.index,
            n.cut_value,
            n.distance
        )?;
    }
    Ok(())
}

/// `compare --format csv`: one row per school-band that moved.
pub fn moves_csv(c: &empower_accountability::Comparison, out: &mut dyn Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["rcdts", "school_name", "band", "from", "to"])?;
    for m in &c.moves {
        w.write_record([&m.rcdts, &m.school_name, &m.band, &m.from, &m.to])?;
    }
    w.flush()?;
    Ok(())
}

/// `compare`'s table: the counts per move, then every school-band.
pub fn comparison_table(c: &empower_accountability::Comparison, out: &mut dyn Write) -> Result<()> {
    let word = |d: &str| {
        if d.is_empty() {
            "none".to_string()
        } else {
            d.to_string()
        }
    };
    writeln!(
        out,
        "{} school-band(s) moved, {} unchanged",
        c.moves.len(),
        c.unchanged
    )?;
    for t in &c.transitions {
        writeln!(out, "  {:>5}  {} → {}", t.count, word(&t.from), word(&t.to))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<15}  {:<32}  {:<4}  {:<13}  {:<13}",
        "RCDTS", "School", "Band", "From", "To"
    )?;
    for m in &c.moves {
        writeln!(
            out,
            "{:<15}  {:<32}  {:<4}  {:<13}  {:<13}",
            m.rcdts,
            truncate(&m.school_name, 32),
            m.band,
            word(&m.from),
            word(&m.to)
        )?;
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn f1(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "—".into())
}

pub fn designations_table(
    d: &Designations,
    rules: &AccountabilityRules,
    out: &mut dyn Write,
) -> Result<()> {
    writeln!(
        out,
        "{} (rules {}), report-card year {}",
        d.rules_name, d.rules_version, d.year
    )?;
    for c in d.cuts.values() {
        writeln!(
            out,
            "  {}: {} schools with an index; Comprehensive cut {} ({} pool of {}), Targeted cut {}, Exemplary (top) cut {}",
            c.band,
            c.schools_with_index,
            f1(c.comprehensive),
            c.comprehensive_pool.as_str(),
            c.comprehensive_pool_size,
            f1(c.targeted),
            f1(c.top)
        )?;
    }
    if !d.title1_data {
        writeln!(
            out,
            "  No Title I status in the input: the Comprehensive cut is taken over all schools."
        )?;
    }
    writeln!(out)?;
    // Columns as wide as the state's ids and labels (Illinois: 15 and 13).
    let id_w = d
        .rows
        .iter()
        .map(|r| r.rcdts.as_str().len())
        .max()
        .unwrap_or(0)
        .max(5);
    let label_w = Designation::ALL
        .iter()
        .map(|x| rules.label(*x).chars().count())
        .max()
        .unwrap_or(0)
        .max(13);
    writeln!(
        out,
        "{:<id_w$}  {:<36}  {:<4}  {:>6}  {:<label_w$}  {:<13}  reasons",
        "rcdts", "school", "band", "index", "designation", "official"
    )?;
    for r in &d.rows {
        writeln!(
            out,
            "{:<id_w$}  {:<36}  {:<4}  {:>6}  {:<label_w$}  {:<13}  {}",
            r.rcdts.as_str(),
            truncate(&r.school_name, 36),
            opt(r.band),
            f1(r.index),
            r.designation
                .map(|x| rules.label(x).to_string())
                .unwrap_or_default(),
            opt(r.official_designation),
            r.reasons_code()
        )?;
    }
    let mut counts: BTreeMap<(String, Designation), usize> = BTreeMap::new();
    for r in &d.rows {
        if let (Some(b), Some(x)) = (r.band, r.designation) {
            *counts.entry((b.to_string(), x)).or_default() += 1;
        }
    }
    writeln!(out)?;
    for band in d.cuts.keys() {
        let parts: Vec<String> = Designation::ALL
            .iter()
            .map(|x| {
                format!(
                    "{} {}",
                    counts.get(&(band.to_string(), *x)).unwrap_or(&0),
                    rules.label(*x)
                )
            })
            .collect();
        writeln!(out, "{band}: {}", parts.join(", "))?;
    }
    Ok(())
}

pub fn fidelity_report(
    f: &Fidelity,
    d: &Designations,
    list: bool,
    out: &mut dyn Write,
) -> Result<()> {
    if f.overall.compared == 0 {
        writeln!(
            out,
            "No official designations in the input: nothing to compare."
        )?;
        return Ok(());
    }
    writeln!(out)?;
    writeln!(
        out,
        "Agreement with official designations: {}/{} = {:.1}%",
        f.overall.agreed,
        f.overall.compared,
        100.0 * f.overall.rate()
    )?;
    for (band, t) in &f.per_band {
        if t.compared > 0 {
            writeln!(
                out,
                "  {band}: {}/{} = {:.1}%",
                t.agreed,
                t.compared,
                100.0 * t.rate()
            )?;
        }
    }
    writeln!(out, "Confusion matrix (rows official, columns computed):")?;
    let cols = [
        "Exemplary",
        "Commendable",
        "Targeted",
        "Comprehensive",
        "Intensive",
        "none",
    ];
    write!(out, "  {:<14}", "")?;
    for c in cols {
        write!(out, "{:>14}", c)?;
    }
    writeln!(out)?;
    for (i, row) in f.matrix.iter().enumerate() {
        if row.iter().sum::<usize>() == 0 {
            continue;
        }
        write!(out, "  {:<14}", Designation::ALL[i].as_str())?;
        for v in row {
            write!(out, "{v:>14}")?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} disagreements{}",
        f.disagreements.len(),
        if list {
            ":"
        } else {
            " (list them with --disagreements)"
        }
    )?;
    if list {
        for x in &f.disagreements {
            let near = x
                .band
                .and_then(|b| d.cuts.get(&b))
                .zip(x.index)
                .map(|(c, i)| {
                    let mut v = Vec::new();
                    if let Some(t) = c.targeted {
                        v.push(format!("{:+.1} from the Targeted cut", i - t));
                    }
                    if let Some(t) = c.top {
                        v.push(format!("{:+.1} from the top cut", i - t));
                    }
                    v.join(", ")
                })
                .unwrap_or_default();
            writeln!(
                out,
                "  {}  {:<4} official {:<13} computed {:<13} index {:>5}  {}  [{}]  {}",
                x.rcdts.as_str(),
                opt(x.band),
                x.official.as_str(),
                opt(x.computed),
                f1(x.index),
                truncate(&x.school_name, 30),
                x.reasons,
                near
            )?;
        }
    }
    Ok(())
}

pub fn explanation_text(
    e: &Explanation,
    rules: &AccountabilityRules,
    out: &mut dyn Write,
) -> Result<()> {
    let label = |d: Option<Designation>| {
        d.map(|x| rules.label(x).to_string())
            .unwrap_or_else(|| "none".into())
    };
    writeln!(out, "{} — {} ({})", e.rcdts.as_str(), e.school_name, e.year)?;
    writeln!(
        out,
        "Band {}: {}{}",
        opt(e.band),
        label(e.designation),
        match e.official_designation {
            Some(o) => format!("   (official: {})", rules.label(o)),
            None => String::new(),
        }
    )?;
    writeln!(out, "Rules: {}", e.rules)?;
    writeln!(out, "Title I: {}", if e.title1 { "yes" } else { "no" })?;
    writeln!(out)?;
    writeln!(out, "Why: {}", e.deciding_rule)?;
    if let Some(next) = e.next_designation {
        writeln!(out, "Next level up: {}", rules.label(next))?;
        for s in &e.next_steps {
            writeln!(out, "  - {}", s.sentence)?;
        }
    } else if e.designation == Some(Designation::Exemplary) {
        writeln!(out, "Already at the top designation.")?;
    }
    if e.indicators.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "All students")?;
    writeln!(
        out,
        "  {:<38} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "indicator", "value", "n", "score", "weight", "points"
    )?;
    for i in &e.indicators {
        let note = match i.status {
            IndicatorStatus::Used => String::new(),
            IndicatorStatus::Missing => "  not in the data: weight rescaled".into(),
            IndicatorStatus::TooFewStudents => "  too few students: weight rescaled".into(),
            IndicatorStatus::NotWeighted => "  weight 0".into(),
        };
        let src = if i.source.len() > 1 {
            format!("  (mean of {})", i.source.join(", "))
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {:<38} {:>7} {:>7} {:>7} {:>7} {:>7}{}{}",
            truncate(&i.label, 38),
            f1(i.value),
            i.n.map(|n| format!("{n:.0}")).unwrap_or_else(|| "—".into()),
            f1(i.score),
            format!("{}", i.weight),
            f1(i.points),
            note,
            src
        )?;
    }
    let used: f64 = e
        .indicators
        .iter()
        .filter(|i| i.status == IndicatorStatus::Used)
        .map(|i| i.weight)
        .sum();
    writeln!(
        out,
        "  Index: {} = points ÷ {} weight present × 100{}",
        e.index
            .map(|x| format!("{x:.2}"))
            .unwrap_or_else(|| "none".into()),
        used,
        e.percentile
            .map(|p| format!("; statewide percentile {p:.1} in the band"))
            .unwrap_or_default()
    )?;
    // How each indicator turns its value into a score (the rules').
    if let Some(band) = e.band.and_then(|b| rules.bands.get(&b)) {
        writeln!(out, "  Scoring:")?;
        for i in &e.indicators {
            if let Some(spec) = band.indicators.get(&*i.name) {
                writeln!(
                    out,
                    "    {:<38} {}",
                    truncate(&i.label, 38),
                    spec.scoring.describe()
                )?;
            }
        }
    }
    if let Some(c) = &e.cuts {
        writeln!(
            out,
            "  Cuts: Comprehensive {} ({} pool, {} schools), Targeted {} ({} pool), top {} ({} schools with an index)",
            f1(c.comprehensive),
            c.comprehensive_pool.as_str(),
            c.comprehensive_pool_size,
            f1(c.targeted),
            rules.cuts.targeted.pool.as_str(),
            f1(c.top),
            c.schools_with_index
        )?;
    }
    if !e.groups.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Student groups (underperforming: index at or below the Targeted cut {})",
            f1(e.cuts.as_ref().and_then(|c| c.targeted))
        )?;
        let cut = e.cuts.as_ref().and_then(|c| c.targeted);
        for g in &e.groups {
            let verdict = match (g.qualifies, g.index, cut) {
                (true, Some(i), Some(t)) if i <= t => {
                    format!("UNDERPERFORMING ({:+.1} to the cut)", t - i)
                }
                (true, Some(i), Some(t)) => format!("above the cut by {:.1}", i - t),
                (true, _, _) => "qualifies".into(),
                (false, _, _) => format!(
                    "does not qualify: {}",
                    g.why_not.clone().unwrap_or_default()
                ),
            };
            writeln!(
                out,
                "  {:<42} index {:>6}   {}",
                g.group.label(),
                f1(g.index),
                verdict
            )?;
        }
        for (g, why) in &e.groups_not_computable {
            writeln!(out, "  {:<42} not computable: {}", g.label(), why)?;
        }
    }
    writeln!(out)?;
    Ok(())
}

pub fn improved(
    report: &Improved,
    format: crate::Format,
    warnings: &Warnings,
    out: &mut dyn Write,
) -> Result<()> {
    let (from, to) = (report.from, report.to);
    if format == crate::Format::Json {
        serde_json::to_writer_pretty(
            &mut *out,
            &warnings.with_warnings(serde_json::to_value(report)?),
        )?;
        writeln!(out)?;
        return Ok(());
    }
    if format == crate::Format::Csv {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "rcdts",
            "school_name",
            "district",
            "city",
            "county",
            "from",
            "to",
            "from_support",
        ])?;
        for i in &report.improved {
            let e = report
                .schools
                .get(i.rcdts.as_str())
                .cloned()
                .unwrap_or_default();
            w.write_record([
                i.rcdts.as_str(),
                &e.school_name,
                &e.district_name,
                &e.city,
                &e.county,
                i.from.as_str(),
                i.to.as_str(),
                if i.from_support { "1" } else { "0" },
            ])?;
        }
        w.flush()?;
        return Ok(());
    }
    writeln!(out, "Designation moves {from} → {to}: {} schools designated in both years, {} moved up ({} of them from Targeted or Comprehensive)", report.compared, report.improved.len(), report.improved_from_support())?;
    writeln!(out)?;
    writeln!(out, "Moves up:")?;
    for t in &report.transitions {
        if t.to.is_better_than(t.from) {
            writeln!(
                out,
                "  {:<13} → {:<13} {:>5}",
                t.from.as_str(),
                t.to.as_str(),
                t.schools
            )?;
        }
    }
    writeln!(out, "All transitions (rows {from}, columns {to}):")?;
    write!(out, "  {:<14}", "")?;
    for d in Designation::ALL {
        write!(out, "{:>14}", d.as_str())?;
    }
    writeln!(out)?;
    for a in Designation::ALL {
        let row: Vec<usize> = Designation::ALL
            .iter()
            .map(|b| {
                report
                    .transitions
                    .iter()
                    .find(|t| t.from == a && t.to == *b)
                    .map_or(0, |t| t.schools)
            })
            .collect();
        if row.iter().sum::<usize>() == 0 {
            continue;
        }
        write!(out, "  {:<14}", a.as_str())?;
        for v in row {
            write!(out, "{v:>14}")?;
        }
        writeln!(out)?;
    }
    writeln!(out)?;
    writeln!(out, "Schools that moved up:")?;
    for i in &report.improved {
        let e = report
            .schools
            .get(i.rcdts.as_str())
            .cloned()
            .unwrap_or_default();
        writeln!(
            out,
            "  {}  {:<32}  {:<20}  {:<13} → {}",
            i.rcdts.as_str(),
            truncate(&e.school_name, 32),
            truncate(&e.city, 20),
            i.from.as_str(),
            i.to.as_str()
        )?;
    }
    Ok(())
}

pub fn calibration(run: &Calibrated, top: usize, out: &mut dyn Write) -> Result<()> {
    let (results, grid, rules_name, compared) = (&run.results, &run.grid, &run.rules, run.compared);
    writeln!(
        out,
        "Calibration of {rules_name} against {compared} official designations: {} combinations",
        results.len()
    )?;
    let names: Vec<&str> = grid.dimension.iter().map(|d| d.name.as_str()).collect();
    writeln!(out, "Dimensions: {}", names.join(" | "))?;
    writeln!(out)?;
    writeln!(
        out,
        "{:>4}  {:>7}  {:>7}  {:>7}  choices",
        "rank", "overall", "ES", "HS"
    )?;
    for (k, r) in results.iter().take(top).enumerate() {
        let band = |b: &str| {
            r.per_band
                .get(b)
                .filter(|t| t.compared > 0)
                .map(|t| format!("{:.1}%", 100.0 * t.rate()))
                .unwrap_or_else(|| "—".into())
        };
        writeln!(
            out,
            "{:>4}  {:>6.1}%  {:>7}  {:>7}  {}",
            k + 1,
            100.0 * r.overall.rate(),
            band("ES"),
            band("HS"),
            r.choices.join(" | ")
        )?;
    }
    if let Some(worst) = results.last() {
        writeln!(
            out,
            "Worst: {:.1}% ({})",
            100.0 * worst.overall.rate(),
            worst.choices.join(" | ")
        )?;
    }
    Ok(())
}

/// The support status of each school in each year, from published
/// designations (which name no groups: see the note of a year that
/// escalated). CSV and the table print one row per school and year; JSON
/// one object per row, with the groups and note, and the run's warnings.
pub fn status(
    rows: &[SchoolStatus],
    format: crate::Format,
    warnings: &Warnings,
    out: &mut dyn Write,
) -> Result<()> {
    if format == crate::Format::Json {
        serde_json::to_writer_pretty(
            &mut *out,
            &warnings.with_warnings(serde_json::json!({ "statuses": rows })),
        )?;
        writeln!(out)?;
        return Ok(());
    }
    let mut w = csv::WriterBuilder::new()
        .delimiter(if format == crate::Format::Csv {
            b','
        } else {
            b'\t'
        })
        .from_writer(out);
    w.write_record([
        "rcdts",
        "school_name",
        "district",
        "city",
        "county",
        "year",
        "designation",
        "status",
        "cohort",
        "term",
        "event",
        "note",
    ])?;
    for r in rows {
        let s = &r.status;
        w.write_record([
            r.rcdts.as_str(),
            &r.school.school_name,
            &r.school.district_name,
            &r.school.city,
            &r.school.county,
            &s.year.to_string(),
            &opt(r.designation),
            &opt(s.status),
            &opt(s.cohort),
            s.term.as_deref().unwrap_or_default(),
            s.event.as_str(),
            s.note.as_deref().unwrap_or_default(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// `designate --format wide` as CSV: the table's columns and rows.
pub fn wide_csv(t: &empower_app::wide::WideTable, out: &mut dyn Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(t.columns.iter().map(|c| c.name.as_str()))?;
    for row in &t.rows {
        w.write_record(row.iter().map(|c| c.csv()))?;
    }
    w.flush()?;
    Ok(())
}

/// `designate --format wide --output FILE.xlsx`: the table on a first
/// sheet (header frozen and filtered; ids and codes written as text, so
/// that leading zeros survive), what each column holds on a second.
pub fn wide_xlsx(t: &empower_app::wide::WideTable, path: &std::path::Path) -> Result<()> {
    use empower_app::wide::WideCell;
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let as_text = Format::new().set_num_format("@");
    let ws = wb.add_worksheet();
    ws.set_name("designations")?;
    for (c, col) in t.columns.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, &col.name, &bold)?;
    }
    // Typing into the id column later keeps text too.
    ws.set_column_format(0, &as_text)?;
    ws.set_column_width(0, 17)?;
    ws.set_column_width(1, 36)?;
    for (r, row) in t.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                WideCell::Empty => {}
                WideCell::Text(s) => {
                    ws.write_string(r, c, s)?;
                }
                WideCell::Number(x) => {
                    ws.write_number(r, c, *x)?;
                }
            }
        }
    }
    ws.set_freeze_panes(1, 2)?;
    if !t.columns.is_empty() {
        ws.autofilter(0, 0, t.rows.len() as u32, t.columns.len() as u16 - 1)?;
    }
    let about = wb.add_worksheet();
    about.set_name("columns")?;
    about.write_string_with_format(0, 0, "column", &bold)?;
    about.write_string_with_format(0, 1, "what it holds", &bold)?;
    about.set_column_width(0, 28)?;
    about.set_column_width(1, 100)?;
    for (i, col) in t.columns.iter().enumerate() {
        about.write_string(i as u32 + 1, 0, &col.name)?;
        about.write_string(i as u32 + 1, 1, &col.description)?;
    }
    wb.save(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
