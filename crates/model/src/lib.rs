//! The vocabulary every other empower crate speaks: school identifiers,
//! accountability bands, student groups, designations and the canonical
//! long-format record that importers produce and engines consume.
//!
//! Nothing here does I/O; everything is plain data with `serde` support.

mod catalogue;
mod cell;
mod designation;
mod group;
pub mod money;
mod record;
mod school_id;
mod student;
pub mod vocab;

pub use catalogue::{MeasureCatalogue, MeasureSpec};
pub use cell::{CellKey, CellRow, PriorGroup};
pub use designation::{Band, Designation};
pub use group::Group;
pub use record::{parse_grades, Grade, Level, Record, Subject, Value};
pub use school_id::{IdFormat, SchoolId, SchoolIdError, MAX_ID_LEN};
pub use student::{Race, StudentRecord};
