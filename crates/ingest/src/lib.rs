//! Importers. A report-card file (an `.xlsx` workbook or CSV exports of its
//! sheets) is read through a [`Layout`]: a column map kept as data, which
//! says how to recognise each sheet by its headers and which canonical
//! measure, group, subject and grade each column holds. Output is the
//! canonical long format of `spec/data.md` ([`empower_model::Record`]).
//!
//! Either a whole file imports or nothing does: every error names the file,
//! the row and the column.

mod canonical;
mod cells;
mod error;
mod layout;
mod read;
mod sniff;
mod students;
mod xlsx;

pub use canonical::{write_canonical_csv, CANONICAL_HEADER};
pub use cells::{
    read_cells, read_cells_from, write_cells_csv, CellChecks, CellsFile, PLACE_COLUMNS,
};
pub use error::IngestError;
pub use layout::{ColumnSpec, Layout, SheetSpec};
pub use read::{
    import_bytes, import_files, import_measures, import_parts, import_sources, Import,
    ImportOptions, Progress, RecordSink, Warning,
};
pub use students::{
    line_number, scan_source, scan_students, ReadAt, ScanStats, StudentChecks, STUDENT_COLUMNS,
};

/// Parses a measure catalogue (`states/<state>/measures.toml`) and checks it.
pub fn catalogue_from_toml(
    text: &str,
    source_name: &str,
) -> Result<empower_model::MeasureCatalogue, String> {
    let doc: toml::Value = toml::from_str(text).map_err(|e| format!("{source_name}: {e}"))?;
    let c: empower_model::MeasureCatalogue =
        doc.try_into().map_err(|e| format!("{source_name}: {e}"))?;
    c.validate().map_err(|e| format!("{source_name}: {e}"))?;
    Ok(c)
}

#[cfg(test)]
pub(crate) mod tests {
    /// The Illinois catalogue, for tests across the crate.
    pub(crate) fn catalogue() -> empower_model::MeasureCatalogue {
        super::catalogue_from_toml(
            include_str!("../../../states/illinois/measures.toml"),
            "measures.toml",
        )
        .unwrap()
    }
}
