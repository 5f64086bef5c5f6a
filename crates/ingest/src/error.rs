use std::fmt;
use std::path::PathBuf;

/// An import error, always tied to a file and, where it applies, a sheet,
/// a row (1-based, the header is row 1) and a column header.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestError {
    pub file: PathBuf,
    pub sheet: Option<String>,
    pub row: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

impl IngestError {
    pub fn file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        IngestError {
            file: file.into(),
            sheet: None,
            row: None,
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(s) = &self.sheet {
            write!(f, ", sheet `{s}`")?;
        }
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column `{c}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for IngestError {}
