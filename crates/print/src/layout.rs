//! Laying a [`Document`] out on pages, then drawing the pages with krilla.
//! Layout is separate from drawing so that its invariants (nothing
//! outside the margins, no word lost, table headers repeated) are tested
//! on plain values.

use std::sync::Arc;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};
use skrifa::instance::{LocationRef, Size};
use skrifa::MetadataProvider;

use crate::{Block, Document, PrintError, Table};

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// US Letter, in points.
pub const PAGE_WIDTH: f32 = 612.0;
pub const PAGE_HEIGHT: f32 = 792.0;
pub const MARGIN: f32 = 54.0;
/// The body ends here; the footer sits below.
pub const BODY_BOTTOM: f32 = PAGE_HEIGHT - 62.0;
const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 36.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

const TITLE: f32 = 17.0;
const HEADING: f32 = 12.5;
const SUBHEADING: f32 = 10.5;
const BODY: f32 = 9.5;
const SMALL: f32 = 8.0;
const LEADING: f32 = 1.32;
const CELL_PAD: f32 = 4.0;

/// What is drawn on a page, in points from the top-left corner; `y` of
/// text is its baseline.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        grey: bool,
        text: String,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
    },
    Shade {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    pub ops: Vec<Op>,
}

/// Advance widths of one face, to break lines where they will fall.
struct Face {
    font: skrifa::FontRef<'static>,
}

impl Face {
    fn new(data: &'static [u8]) -> Face {
        Face {
            font: skrifa::FontRef::new(data).expect("the shipped font parses"),
        }
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        let metrics = self
            .font
            .glyph_metrics(Size::new(size), LocationRef::default());
        let charmap = self.font.charmap();
        text.chars()
            .map(|c| {
                let glyph = charmap.map(c).unwrap_or_default();
                metrics.advance_width(glyph).unwrap_or(size * 0.6)
            })
            .sum()
    }
}

struct Faces {
    regular: Face,
    bold: Face,
}

impl Faces {
    fn new() -> Faces {
        Faces {
            regular: Face::new(REGULAR),
            bold: Face::new(BOLD),
        }
    }

    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        if bold { &self.bold } else { &self.regular }.width(text, size)
    }

    /// The text broken into lines no wider than `width`: at spaces, and
    /// inside a word only when the word alone is wider. A line break in
    /// the text is kept; an empty text is one empty line.
    fn wrap(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, size, bold) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // A word wider than the line is cut where it must be.
                for c in word.chars() {
                    line.push(c);
                    if self.width(&line, size, bold) > width && line.chars().count() > 1 {
                        let last = line.pop().expect("two characters");
                        lines.push(std::mem::take(&mut line));
                        line.push(last);
                    }
                }
            }
            lines.push(line);
        }
        lines
    }
}

struct Layout<'a> {
    faces: &'a Faces,
    pages: Vec<Page>,
    y: f32,
}

impl Layout<'_> {
    fn ops(&mut self) -> &mut Vec<Op> {
        &mut self.pages.last_mut().expect("a page").ops
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = MARGIN;
    }

    /// Starts a new page unless `height` more fits on this one.
    fn room_for(&mut self, height: f32) -> bool {
        if self.y + height > BODY_BOTTOM && self.y > MARGIN {
            self.new_page();
            return false;
        }
        true
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, grey: bool, text: String) {
        let y = self.y + size;
        self.ops().push(Op::Text {
            x,
            y,
            size,
            bold,
            grey,
            text,
        });
    }

    /// Wrapped lines at the full width, each on the page it fits.
    fn lines(&mut self, text: &str, size: f32, bold: bool, grey: bool) {
        for line in self.faces.wrap(text, size, bold, CONTENT_WIDTH) {
            self.room_for(size * LEADING);
            self.text(MARGIN, size, bold, grey, line);
            self.y += size * LEADING;
        }
    }

    fn rule(&mut self, width: f32) {
        let y = self.y;
        self.ops().push(Op::Rule {
            x1: MARGIN,
            x2: PAGE_WIDTH - MARGIN,
            y,
            width,
        });
    }

    fn heading(&mut self, text: &str, size: f32) {
        self.y += size * 0.9;
        // A heading never ends a page: keep room for three lines after it.
        let lines = self.faces.wrap(text, size, true, CONTENT_WIDTH).len() as f32;
        self.room_for(lines * size * LEADING + 3.0 * BODY * LEADING);
        self.lines(text, size, true, false);
        self.y += 2.0;
    }

    fn facts(&mut self, facts: &[(String, String)]) {
        let label_width = CONTENT_WIDTH * 0.32;
        let value_x = MARGIN + label_width;
        let value_width = CONTENT_WIDTH - label_width;
        for (label, value) in facts {
            let labels = self.faces.wrap(label, BODY, true, label_width - CELL_PAD);
            let values = self.faces.wrap(value, BODY, false, value_width);
            for i in 0..labels.len().max(values.len()) {
                self.room_for(BODY * LEADING);
                if let Some(l) = labels.get(i) {
                    self.text(MARGIN, BODY, true, false, l.clone());
                }
                if let Some(v) = values.get(i) {
                    self.text(value_x, BODY, false, false, v.clone());
                }
                self.y += BODY * LEADING;
            }
        }
    }

    fn table(&mut self, table: &Table) {
        let total: f32 = table.columns.iter().map(|c| c.share.max(0.0)).sum();
        let widths: Vec<f32> = table
            .columns
            .iter()
            .map(|c| {
                if total > 0.0 {
                    CONTENT_WIDTH * c.share.max(0.0) / total
                } else {
                    CONTENT_WIDTH / table.columns.len() as f32
                }
            })
            .collect();
        let header: Vec<String> = table.columns.iter().map(|c| c.title.clone()).collect();
        self.table_row(table, &widths, &header, true);
        for row in &table.rows {
            if !self.table_row(table, &widths, row, false) {
                // The row went to a new page: repeat the header above it.
                self.table_row(table, &widths, &header, true);
                self.table_row(table, &widths, row, false);
            }
        }
        self.y += 4.0;
    }

    /// Draws a row; `false` when it did not fit and a page was started
    /// instead (the caller repeats the header, then the row).
    fn table_row(&mut self, table: &Table, widths: &[f32], cells: &[String], header: bool) -> bool {
        let size = if header { SMALL } else { BODY };
        let wrapped: Vec<Vec<String>> = widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let cell = cells.get(i).map(String::as_str).unwrap_or("");
                self.faces.wrap(cell, size, header, w - 2.0 * CELL_PAD)
            })
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32;
        let height = lines * size * LEADING + 2.0 * CELL_PAD;
        // A header needs room for itself and the first row.
        let needed = if header {
            height + 3.0 * BODY * LEADING
        } else {
            height
        };
        if !self.room_for(needed) && !header {
            return false;
        }
        if header {
            let y = self.y;
            self.ops().push(Op::Shade {
                x: MARGIN,
                y,
                w: CONTENT_WIDTH,
                h: height,
            });
        }
        let top = self.y;
        let mut x = MARGIN;
        for (i, column_lines) in wrapped.into_iter().enumerate() {
            let numeric = table.columns[i].numeric;
            self.y = top + CELL_PAD;
            for line in column_lines {
                let line_x = if numeric {
                    x + widths[i] - CELL_PAD - self.faces.width(&line, size, header)
                } else {
                    x + CELL_PAD
                };
                self.text(line_x, size, header, false, line);
                self.y += size * LEADING;
            }
            x += widths[i];
        }
        self.y = top + height;
        self.rule(0.4);
        true
    }
}

/// The document laid out on pages, footers included.
pub fn layout(document: &Document) -> Vec<Page> {
    let faces = Faces::new();
    let mut l = Layout {
        faces: &faces,
        pages: Vec::new(),
        y: MARGIN,
    };
    l.new_page();
    l.lines(&document.title, TITLE, true, false);
    for line in &document.subtitle {
        l.lines(line, BODY, false, true);
    }
    l.y += 4.0;
    l.rule(1.0);
    l.y += 6.0;
    for block in &document.blocks {
        match block {
            Block::Heading(text) => l.heading(text, HEADING),
            Block::Subheading(text) => l.heading(text, SUBHEADING),
            Block::Paragraph(text) => {
                l.lines(text, BODY, false, false);
                l.y += BODY * 0.5;
            }
            Block::Note(text) => {
                l.lines(text, SMALL, false, true);
                l.y += SMALL * 0.5;
            }
            Block::Facts(facts) => {
                l.facts(facts);
                l.y += BODY * 0.5;
            }
            Block::Table(table) => l.table(table),
        }
    }
    let count = l.pages.len();
    for (i, page) in l.pages.iter_mut().enumerate() {
        let number = format!("Page {} of {count}", i + 1);
        let number_x = PAGE_WIDTH - MARGIN - faces.width(&number, SMALL, false);
        let footer_width = number_x - MARGIN - 12.0;
        let mut footer = faces.wrap(&document.footer, SMALL, false, footer_width);
        page.ops.push(Op::Text {
            x: MARGIN,
            y: FOOTER_BASELINE,
            size: SMALL,
            bold: false,
            grey: true,
            text: footer.swap_remove(0),
        });
        page.ops.push(Op::Text {
            x: number_x,
            y: FOOTER_BASELINE,
            size: SMALL,
            bold: false,
            grey: true,
            text: number,
        });
    }
    l.pages
}

pub(crate) fn render(document: &Document) -> Result<Vec<u8>, PrintError> {
    let pages = layout(document);
    let regular = Font::new(Arc::new(REGULAR.to_vec()).into(), 0)
        .ok_or_else(|| PrintError::Pdf("the shipped font did not load".into()))?;
    let bold = Font::new(Arc::new(BOLD.to_vec()).into(), 0)
        .ok_or_else(|| PrintError::Pdf("the shipped bold font did not load".into()))?;
    let black = rgb::Color::new(20, 20, 20);
    let grey = rgb::Color::new(90, 90, 90);
    let shade = rgb::Color::new(232, 236, 241);
    let line = rgb::Color::new(150, 150, 150);

    let mut pdf = krilla::Document::new();
    pdf.set_metadata(
        Metadata::new()
            .title(document.title.clone())
            .creator("empower".into())
            .language("en-US".into()),
    );
    for page in &pages {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| PrintError::Pdf("the page size is invalid".into()))?;
        let mut p = pdf.start_page_with(settings);
        let mut surface = p.surface();
        for op in &page.ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold: is_bold,
                    grey: is_grey,
                    text,
                } => {
                    if text.is_empty() {
                        continue;
                    }
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill {
                        paint: if *is_grey { grey } else { black }.into(),
                        ..Default::default()
                    }));
                    surface.draw_text(
                        Point::from_xy(*x, *y),
                        if *is_bold {
                            bold.clone()
                        } else {
                            regular.clone()
                        },
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Rule { x1, x2, y, width } => {
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, *y);
                    path.line_to(*x2, *y);
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            paint: line.into(),
                            width: *width,
                            ..Default::default()
                        }));
                        surface.draw_path(&path);
                    }
                }
                Op::Shade { x, y, w, h } => {
                    let mut path = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                        path.push_rect(rect);
                    }
                    if let Some(path) = path.finish() {
                        surface.set_stroke(None);
                        surface.set_fill(Some(Fill {
                            paint: shade.into(),
                            ..Default::default()
                        }));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        p.finish();
    }
    pdf.finish().map_err(|e| PrintError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
pub(crate) fn wrap_for_test(text: &str, width: f32) -> Vec<String> {
    Faces::new().wrap(text, BODY, false, width)
}

#[cfg(test)]
pub(crate) fn width_for_test(text: &str) -> f32 {
    Faces::new().width(text, BODY, false)
}
