//! Entry points of the fuzz targets in `fuzz/`: one per reader and rules
//! file. Each takes arbitrary bytes and must never panic, abort or run
//! without bound; errors are the expected answer to bad bytes. Where a
//! reader accepts its input, the engine behind it runs on the result too,
//! since a value a reader lets through must not break what follows.
//!
//! `fuzz/corpus/<target>/` holds the inputs the fuzzers kept; the tests in
//! `tests/replay.rs` run every one of them through the same functions on
//! the stable toolchain, so a crash once found stays fixed.

use empower_accountability as acc;
use empower_ingest::Layout;
use empower_model::MeasureCatalogue;
use empower_peers::{CellSums, Enrollment, HpRules};
use empower_rules::AccountabilityRules;
use std::path::Path;
use std::sync::OnceLock;

/// A fuzz target: takes any bytes, must not panic.
pub type Target = fn(&[u8]);

/// The targets by name (the folders of `fuzz/corpus/`).
pub const TARGETS: [(&str, Target); 8] = [
    ("report_card_csv", report_card_csv),
    ("workbook", workbook),
    ("canonical_csv", canonical_csv),
    ("cells", cells),
    ("students", students),
    ("accountability_rules", accountability_rules),
    ("hp_rules", hp_rules),
    ("column_map", column_map),
];

/// 60 schools of the 2018 report card (General, ELA and Math), cut from
/// the real files: what rules and column maps are tried on.
const GENERAL_60: &[u8] = include_bytes!("../fixtures/rc2018-general-60.csv");
const ELA_MATH_60: &[u8] = include_bytes!("../fixtures/rc2018-ela-math-60.csv");
const CELLS_60: &[u8] = include_bytes!("../fixtures/cells-60.csv");

struct Fixed {
    catalogue: MeasureCatalogue,
    layouts: Vec<Layout>,
    rules: AccountabilityRules,
    identity: acc::Identity,
    hp: HpRules,
    cell_checks: empower_ingest::CellChecks,
    schools: Vec<acc::SchoolData>,
    cells: Vec<empower_peers::CellRow>,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let state = empower_states::StateFiles::embedded()
            .load("illinois")
            .expect("the shipped Illinois data loads");
        let catalogue = state.catalogue.clone();
        let layouts = state.layouts.clone();
        let rules = state.rules_for(2018).expect("2018 rules").rules.clone();
        let identity = state.identity(&rules);
        let hp = state.higher_performing.clone();
        let mut records = Vec::new();
        for (name, bytes) in [("general.csv", GENERAL_60), ("ela_math.csv", ELA_MATH_60)] {
            let import =
                empower_ingest::import_bytes(name, bytes, &layouts, &catalogue, Some(2018))
                    .expect("the fixtures import");
            records.extend(import.records);
        }
        let schools = acc::SchoolData::from_records(&records, 2018, &identity);
        let cell_checks = empower_app::peers::cell_checks(&state, &hp);
        let cells =
            empower_ingest::read_cells_from(Path::new("cells-60.csv"), CELLS_60, &cell_checks)
                .expect("the fixture reads")
                .rows;
        Fixed {
            catalogue,
            layouts,
            rules,
            identity,
            hp,
            cell_checks,
            schools,
            cells,
        }
    })
}

/// A report-card CSV (any layout) for 2018 and for no year; accepted
/// records go on to designation.
pub fn report_card_csv(data: &[u8]) {
    let f = fixed();
    for year in [Some(2018), None] {
        if let Ok(import) =
            empower_ingest::import_bytes("fuzz.csv", data, &f.layouts, &f.catalogue, year)
        {
            let schools = acc::SchoolData::from_records(&import.records, 2018, &f.identity);
            designate_and_explain(&schools, &f.rules);
        }
    }
}

/// An .xlsx workbook, through the bounded reader and the column maps.
pub fn workbook(data: &[u8]) {
    let f = fixed();
    if let Ok(import) =
        empower_ingest::import_bytes("fuzz.xlsx", data, &f.layouts, &f.catalogue, Some(2018))
    {
        let schools = acc::SchoolData::from_records(&import.records, 2018, &f.identity);
        designate_and_explain(&schools, &f.rules);
    }
}

/// Canonical long-format CSV: the header is given, the rows are fuzzed.
pub fn canonical_csv(data: &[u8]) {
    let f = fixed();
    let mut bytes = b"year,entity,level,measure,group,grade,subject,value,n\n".to_vec();
    bytes.extend_from_slice(data);
    if let Ok(import) =
        empower_ingest::import_bytes("fuzz.csv", &bytes, &f.layouts, &f.catalogue, None)
    {
        for year in import.records.iter().map(|r| r.year).take(3) {
            let schools = acc::SchoolData::from_records(&import.records, year, &f.identity);
            designate_and_explain(&schools, &f.rules);
        }
    }
}

/// A cells CSV; accepted cells go through the higher-performing model.
pub fn cells(data: &[u8]) {
    let f = fixed();
    if let Ok(file) = empower_ingest::read_cells_from(Path::new("fuzz.csv"), data, &f.cell_checks) {
        if file.rows.len() <= 2_000 {
            run_model(&file.rows, &f.hp);
        }
    }
}

/// A student file, on two threads (the range split and the one-thread
/// retry), then both aggregation passes and the model.
pub fn students(data: &[u8]) {
    let f = fixed();
    let lr = &f.hp.longitudinal;
    let checks = empower_app::peers::student_checks(&f.hp);
    let path = Path::new("fuzz.csv");
    let Ok((parts, _)) =
        empower_ingest::scan_source(data, path, 2, &checks, &(), Enrollment::default, |e, r| {
            e.add(r, lr.proficient_level)
        })
    else {
        return;
    };
    let mut enrollment = Enrollment::default();
    for p in parts {
        enrollment.merge(p);
    }
    if enrollment.too_many_subjects() || enrollment.duplicates().is_some() {
        return;
    }
    let Ok((parts, _)) =
        empower_ingest::scan_source(data, path, 2, &checks, &(), CellSums::default, |c, r| {
            c.add(&enrollment, r, lr)
        })
    else {
        return;
    };
    let mut sums = CellSums::default();
    for p in parts {
        sums.merge(p);
    }
    let rows: Vec<_> = sums
        .into_cells(&enrollment, &f.hp)
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.to_row(i + 2, &f.cell_checks.ids).ok())
        .collect();
    run_model(&rows, &f.hp);
}

/// An accountability rules file; accepted rules designate and explain the
/// 60 fixture schools.
pub fn accountability_rules(data: &[u8]) {
    let f = fixed();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rules) = AccountabilityRules::from_toml(text, "fuzz.toml") {
        if rules.check_measures(&f.catalogue).is_ok() {
            designate_and_explain(&f.schools, &rules);
        }
    }
}

/// A higher-performing rules file; accepted rules run the model on the
/// fixture cells.
pub fn hp_rules(data: &[u8]) {
    let f = fixed();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rules) = HpRules::from_toml(text, "fuzz.toml") {
        if rules.check_measures(&f.catalogue).is_ok() {
            run_model(&f.cells, &rules);
        }
    }
}

/// A column map; an accepted map reads the fixture General sheet.
pub fn column_map(data: &[u8]) {
    let f = fixed();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(layout) = Layout::from_toml(text, "fuzz.toml") {
        if layout.check_measures(&f.catalogue, "fuzz.toml").is_ok() {
            let _ = empower_ingest::import_bytes(
                "general.csv",
                GENERAL_60,
                &[layout],
                &f.catalogue,
                Some(2018),
            );
        }
    }
}

fn designate_and_explain(schools: &[acc::SchoolData], rules: &AccountabilityRules) {
    if schools.is_empty() {
        return;
    }
    let d = acc::designate(schools, rules, 2018);
    let _ = acc::fidelity(&d, rules);
    if let Some(first) = d.rows.first() {
        let _ = acc::explain(&d, rules, &first.rcdts);
    }
}

fn run_model(rows: &[empower_peers::CellRow], rules: &HpRules) {
    if let Ok(report) = empower_peers::higher_performing(rows, rules, 2) {
        if let Some(first) = rows.first() {
            let _ = empower_peers::similar_schools(rows, rules, &first.rcdts);
        }
        let _ = report;
    }
}
