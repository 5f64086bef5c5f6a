//! A printable document (empower-print) as a clean page that prints on
//! its own, and as a PDF download: one document, two renderings.

use crate::render::page;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use empower_print::{Block, Document};
use maud::{html, Markup};

/// The page: the document, with links to the PDF and back above it
/// (hidden when printed).
pub fn html(document: &Document, pdf_href: &str, back: (&str, &str)) -> Markup {
    page(
        &document.title,
        html! {
            p.no-print {
                a href=(back.0) { "← " (back.1) }
                " · " a href=(pdf_href) download { "Download as PDF" }
                " · " button type="button" onclick="window.print()" { "Print" }
            }
            article.printable {
                h1 { (document.title) }
                @for line in &document.subtitle { p.muted { (line) } }
                @for block in &document.blocks {
                    @match block {
                        Block::Heading(t) => h2 { (t) },
                        Block::Subheading(t) => h3 { (t) },
                        Block::Paragraph(t) => p.prose { (t) },
                        Block::Note(t) => p.muted { small { (t) } },
                        Block::Facts(facts) => dl.facts {
                            @for (label, value) in facts { dt { (label) } dd.prose { (value) } }
                        },
                        Block::Table(t) => div.table-wrap { table {
                            thead { tr { @for c in &t.columns {
                                th scope="col" class=[c.numeric.then_some("num")] { (c.title) }
                            } } }
                            tbody {
                                @if t.rows.is_empty() {
                                    tr { td colspan=(t.columns.len()) { span.muted { "None." } } }
                                }
                                @for row in &t.rows { tr { @for (i, cell) in row.iter().enumerate() {
                                    td class=[t.columns.get(i).filter(|c| c.numeric).map(|_| "num")] {
                                        span.prose { (cell) }
                                    }
                                } } }
                            }
                        } },
                    }
                }
                p.muted { small { (document.footer) } }
            }
        },
    )
}

/// The PDF as a download named `filename`.
pub fn pdf_response(document: &Document, filename: &str) -> Response {
    match empower_print::pdf(document) {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => crate::forms::message_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The PDF could not be made",
            &format!("{e}. The printable page has the same content."),
        ),
    }
}
