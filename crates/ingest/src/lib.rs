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
mod students;

pub use canonical::{write_canonical_csv, CANONICAL_HEADER};
pub use cells::{read_cells, write_cells_csv, CellsFile};
pub use error::IngestError;
pub use layout::{ColumnSpec, Layout, SheetSpec};
pub use read::{import_files, Import, Progress, Warning};
pub use students::{scan_students, STUDENT_COLUMNS};
