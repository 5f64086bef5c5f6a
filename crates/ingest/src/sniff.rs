//! What a file that is not comma-separated UTF-8 text looks like, so that
//! the message says what the file is instead of pointing at a column.

/// A message when the first bytes show a file no CSV reader should parse:
/// empty, a zip archive (a workbook renamed `.csv`), UTF-16 text, binary.
pub(crate) fn not_csv_message(head: &[u8]) -> Option<String> {
    if head.is_empty() {
        return Some("the file is empty".into());
    }
    if head.starts_with(b"PK\x03\x04") {
        return Some(
            "this is a zip archive, most likely an .xlsx workbook with another name: rename it to .xlsx, or export its sheets as CSV"
                .into(),
        );
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Some(
            "this is an old Excel (.xls) workbook: save it as .xlsx or export its sheets as CSV"
                .into(),
        );
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Some("the file is UTF-16 text: save it as UTF-8 CSV".into());
    }
    let sample = &head[..head.len().min(4096)];
    if sample.contains(&0) {
        return Some(
            "the file holds NUL bytes: it is binary or UTF-16 text, not UTF-8 CSV; save it as UTF-8 CSV"
                .into(),
        );
    }
    None
}

/// A hint about a header line that is not comma-separated: another
/// delimiter, or not text at all. `None` when it looks like CSV.
pub(crate) fn sniff_text(header: &[u8]) -> Option<String> {
    let count = |b: u8| header.iter().filter(|x| **x == b).count();
    let commas = count(b',');
    for (b, name) in [
        (b';', "semicolons"),
        (b'\t', "tabs"),
        (b'|', "vertical bars"),
    ] {
        if count(b) > commas {
            return Some(format!(
                "the columns are separated by {name}, not commas: export the file as comma-separated CSV"
            ));
        }
    }
    if std::str::from_utf8(header).is_err() {
        return Some("the header is not UTF-8 text: save the file as UTF-8 CSV".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_what_is_not_csv() {
        assert!(not_csv_message(b"PK\x03\x04rest")
            .unwrap()
            .contains(".xlsx"));
        assert!(not_csv_message(b"\xff\xfea\x00b\x00")
            .unwrap()
            .contains("UTF-16"));
        assert!(not_csv_message(b"").unwrap().contains("empty"));
        assert!(not_csv_message(b"a,b\n1,2\n").is_none());
        assert!(sniff_text(b"a;b;c").unwrap().contains("semicolons"));
        assert!(sniff_text(b"a\tb\tc").unwrap().contains("tabs"));
        assert!(sniff_text(b"a,b,c").is_none());
    }
}
