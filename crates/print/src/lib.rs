//! Printable documents. A program describes what to print as a
//! [`Document`] of headings, paragraphs, facts and tables; the web pages
//! render the same document as HTML, and [`pdf`] lays it out on US Letter
//! pages (lines wrapped, tables split across pages with their header
//! repeated, "Page N of M" in the footer) and writes it as PDF with a
//! subset of the shipped DejaVu Sans font embedded, so that it prints the
//! same everywhere and any Unicode text a school writes shows.
//!
//! No I/O, clock or randomness: the same document gives the same bytes.

mod layout;

pub use layout::{layout, Op, Page};

/// What to print.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    pub title: String,
    /// Lines under the title (the school, the year, the status...).
    pub subtitle: Vec<String>,
    pub blocks: Vec<Block>,
    /// At the foot of every page, beside "Page N of M".
    pub footer: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A section's heading; kept on the page of what follows it.
    Heading(String),
    Subheading(String),
    /// Text; a line break in it starts a new line.
    Paragraph(String),
    /// Small grey text (draft wording, sources).
    Note(String),
    /// Label and value pairs.
    Facts(Vec<(String, String)>),
    Table(Table),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub title: String,
    /// Share of the table's width; the shares are scaled to add up to 1.
    pub share: f32,
    /// Right-aligned (amounts, counts).
    pub numeric: bool,
}

impl Column {
    pub fn text(title: &str, share: f32) -> Column {
        Column {
            title: title.to_owned(),
            share,
            numeric: false,
        }
    }

    pub fn number(title: &str, share: f32) -> Column {
        Column {
            title: title.to_owned(),
            share,
            numeric: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// The document as PDF bytes.
pub fn pdf(document: &Document) -> Result<Vec<u8>, PrintError> {
    layout::render(document)
}

#[cfg(test)]
mod tests;
