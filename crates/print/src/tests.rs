use crate::layout::{self, Op, BODY_BOTTOM, MARGIN, PAGE_WIDTH};
use crate::{pdf, Block, Column, Document, Table};

fn long_document(rows: usize) -> Document {
    Document {
        title: "Work plan: Ödön Elementary School, 2026-27".into(),
        subtitle: vec!["Comprehensive · approved by the state".into()],
        footer: "empower · work plan 7, version 2".into(),
        blocks: vec![
            Block::Heading("1. Current status".into()),
            Block::Paragraph("ELA proficiency 23.4%; the statewide median is 37.0%. ".repeat(30)),
            Block::Facts(vec![
                ("Learning partner".into(), "Lincoln School (peer)".into()),
                ("Allocation".into(), "$150,000.00".into()),
            ]),
            Block::Heading("Budget".into()),
            Block::Table(Table {
                columns: vec![
                    Column::text("Strategy", 1.0),
                    Column::text("Description", 3.0),
                    Column::number("Amount", 1.0),
                ],
                rows: (0..rows)
                    .map(|i| {
                        vec![
                            format!("S{i}"),
                            "Coaching cycles for every grade-level team, with substitutes".into(),
                            format!("${i},000.00"),
                        ]
                    })
                    .collect(),
            }),
            Block::Note("Draft wording: the state replaces it with its own.".into()),
        ],
    }
}

#[test]
fn wrapping_keeps_every_word_in_order_and_within_the_width() {
    let text = "Students in grades 3-8 meet or exceed expectations in mathematics at 12% \
                while the state's goal is 90%; Antidisestablishmentarianismeverlasting";
    for width in [60.0, 120.0, 300.0] {
        let lines = layout::wrap_for_test(text, width);
        for line in &lines {
            assert!(
                layout::width_for_test(line) <= width,
                "{line:?} is wider than {width}"
            );
        }
        let joined: String = lines.concat().split_whitespace().collect();
        let original: String = text.split_whitespace().collect();
        assert_eq!(joined, original, "at width {width}");
    }
    assert_eq!(layout::wrap_for_test("a\n\nb", 300.0), vec!["a", "", "b"]);
}

#[test]
fn long_tables_continue_on_new_pages_under_their_header_and_stay_in_the_margins() {
    let pages = layout::layout(&long_document(120));
    assert!(pages.len() >= 4, "{} pages", pages.len());
    let mut rows_seen = 0;
    for (n, page) in pages.iter().enumerate() {
        let texts: Vec<&str> = page
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert!(
            texts.contains(&format!("Page {} of {}", n + 1, pages.len()).as_str()),
            "page {n} has its number"
        );
        rows_seen += texts
            .iter()
            .filter(|t| t.starts_with('S') && t.len() <= 4)
            .count();
        let has_rows = texts.iter().any(|t| t.starts_with("S1"));
        if n > 0 && has_rows {
            assert!(texts.contains(&"Strategy"), "page {n} repeats the header");
        }
        // The footer (the page's last two texts) sits below the body;
        // everything else stays inside the margins.
        let body = &page.ops[..page.ops.len() - 2];
        for op in body {
            if let Op::Text { x, y, .. } = op {
                assert!(*x >= MARGIN - 0.01 && *x < PAGE_WIDTH - MARGIN, "x {x}");
                assert!(*y <= BODY_BOTTOM + 0.01, "y {y} on page {n}");
            }
        }
    }
    assert_eq!(rows_seen, 120, "every row is printed once");
}

#[test]
fn the_pdf_has_one_page_per_laid_out_page_and_the_title_in_its_metadata() {
    let document = long_document(40);
    let bytes = pdf(&document).expect("a PDF");
    assert!(bytes.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&bytes);
    let pages = layout::layout(&document).len();
    assert!(
        text.contains(&format!("/Type/Pages/Count {pages}/")),
        "{pages} pages"
    );
    // The same document gives the same bytes (nothing from the clock).
    assert_eq!(bytes, pdf(&document).expect("a PDF"));
    // Only the glyphs used are embedded, not the whole 700 KB font.
    assert!(bytes.len() < 200_000, "{} bytes", bytes.len());
}
