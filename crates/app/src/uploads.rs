//! Uploaded evidence files: the platform's limits and the check of what a
//! file is. The type comes from the file's own bytes (its signature), never
//! from the name or the browser's word alone, so a renamed program or a
//! page of HTML is refused whatever it claims to be.

use crate::AppError;

/// The largest file accepted.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// The most files one record (an application) holds.
pub const MAX_FILES: i64 = 10;

/// The most files a needs assessment holds (its indicators' evidence).
pub const MAX_ASSESSMENT_FILES: i64 = 40;

/// The longest file name kept.
const MAX_NAME_CHARS: usize = 120;

/// What the platform accepts, for forms and messages.
pub const ACCEPTED: &str =
    "PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), PNG, JPEG, plain text or CSV";

/// The `accept` attribute of a file input.
pub const ACCEPT_ATTRIBUTE: &str = ".pdf,.docx,.xlsx,.pptx,.png,.jpg,.jpeg,.txt,.csv";

/// A checked upload: a safe file name and the content type its bytes show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub file_name: String,
    pub content_type: &'static str,
}

fn invalid(message: String) -> AppError {
    AppError::Invalid {
        field: "file".into(),
        message,
    }
}

/// The name without a path, control characters or quotes, at most
/// `MAX_NAME_CHARS` characters (the extension kept).
pub fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\'' | '<' | '>' | '`' | ';'))
        .collect();
    let clean = clean.trim().trim_start_matches('.').to_string();
    if clean.chars().count() <= MAX_NAME_CHARS {
        return clean;
    }
    let (stem, ext) = match clean.rsplit_once('.') {
        Some((s, e)) if e.len() <= 5 => (s.to_string(), format!(".{e}")),
        _ => (clean.clone(), String::new()),
    };
    let keep = MAX_NAME_CHARS - ext.chars().count();
    format!("{}{ext}", stem.chars().take(keep).collect::<String>())
}

/// Checks an upload's size and type.
pub fn check(name: &str, bytes: &[u8]) -> Result<Checked, AppError> {
    let file_name = safe_name(name);
    if file_name.is_empty() {
        return Err(invalid("choose a file to upload".into()));
    }
    if bytes.is_empty() {
        return Err(invalid(format!("{file_name} is empty")));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(invalid(format!(
            "{file_name} is {:.1} MB; a file may be at most {} MB",
            bytes.len() as f64 / 1_048_576.0,
            MAX_FILE_BYTES / 1_048_576
        )));
    }
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let zip = bytes.starts_with(b"PK\x03\x04");
    let content_type = match ext.as_str() {
        "pdf" if bytes.starts_with(b"%PDF-") => Some("application/pdf"),
        "png" if bytes.starts_with(b"\x89PNG\r\n\x1a\n") => Some("image/png"),
        "jpg" | "jpeg" if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) => Some("image/jpeg"),
        "docx" if zip => {
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        }
        "xlsx" if zip => Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "pptx" if zip => {
            Some("application/vnd.openxmlformats-officedocument.presentationml.presentation")
        }
        "txt" | "csv" if is_text(bytes) => Some(if ext == "csv" {
            "text/csv"
        } else {
            "text/plain"
        }),
        _ => None,
    };
    match content_type {
        Some(content_type) => Ok(Checked {
            file_name,
            content_type,
        }),
        None => Err(invalid(format!(
            "{file_name} is not a file the platform accepts, or its contents are not what its name says: upload {ACCEPTED}"
        ))),
    }
}

/// UTF-8 text without NUL bytes.
fn is_text(bytes: &[u8]) -> bool {
    !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()
}

/// Where a file goes and how its record is named in the audit log.
pub(crate) struct Attach<'a> {
    pub of: empower_store::FilesOf,
    pub indicator: Option<&'a str>,
    /// The most files the record holds.
    pub max_files: i64,
    /// The record in words: "an application".
    pub record: &'a str,
    /// The audit record's entity (`partner-application`); its actions are
    /// `ENTITY.add-file` and `ENTITY.remove-file`.
    pub entity: &'a str,
}

/// Checks the file and stores it with its audit record, within the
/// record's limit (counted in the same transaction, so that two uploads at
/// once cannot pass it). The caller has checked who may attach.
pub(crate) async fn attach(
    store: &empower_store::Store,
    actor: &crate::accounts::Actor,
    to: Attach<'_>,
    file_name: &str,
    bytes: &[u8],
    now: i64,
) -> Result<empower_store::EvidenceFile, AppError> {
    let checked = check(file_name, bytes)?;
    let mut tx = store.write().await?;
    if tx.evidence_file_count(to.of).await? >= to.max_files {
        return Err(invalid(format!(
            "{} holds at most {} files; remove one first",
            to.record, to.max_files
        )));
    }
    let file = tx
        .insert_evidence_file(
            to.of,
            to.indicator,
            &checked.file_name,
            checked.content_type,
            &crate::publish::sha256_hex(bytes),
            bytes,
            actor.user_id,
            now,
        )
        .await?;
    crate::accounts::audit(
        &mut tx,
        &crate::accounts::By::Actor(actor),
        &format!("{}.add-file", to.entity),
        to.entity,
        to.of_id(),
        None,
        Some(empower_store::snapshot(&file)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(file)
}

/// Removes a file with its audit record (the caller has checked who may).
pub(crate) async fn detach(
    store: &empower_store::Store,
    actor: &crate::accounts::Actor,
    from: Attach<'_>,
    file_id: i64,
    now: i64,
) -> Result<(), AppError> {
    let (file, _) = store
        .evidence_file(from.of, file_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{} has no file {file_id}", from.record)))?;
    let mut tx = store.write().await?;
    tx.delete_evidence_file(from.of, file_id).await?;
    crate::accounts::audit(
        &mut tx,
        &crate::accounts::By::Actor(actor),
        &format!("{}.remove-file", from.entity),
        from.entity,
        from.of_id(),
        Some(empower_store::snapshot(&file)),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

impl Attach<'_> {
    fn of_id(&self) -> i64 {
        match self.of {
            empower_store::FilesOf::Application(id) | empower_store::FilesOf::Assessment(id) => id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_what_its_bytes_say() {
        assert_eq!(
            check("report.pdf", b"%PDF-1.7 ...").unwrap().content_type,
            "application/pdf"
        );
        assert_eq!(
            check("scores.CSV", b"school,score\n1,2\n")
                .unwrap()
                .content_type,
            "text/csv"
        );
        assert_eq!(
            check("plan.docx", b"PK\x03\x04rest").unwrap().content_type,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        );
        // A page of HTML renamed .pdf, a program renamed .png, binary
        // text, an unknown type: refused, naming the file.
        for (name, bytes) in [
            ("report.pdf", &b"<html><script>alert(1)</script>"[..]),
            ("photo.png", b"MZ\x90\x00"),
            ("notes.txt", b"abc\x00def"),
            ("page.html", b"<html></html>"),
            ("run.exe", b"MZ"),
        ] {
            let e = check(name, bytes).unwrap_err().to_string();
            assert!(e.starts_with("file: "), "{e}");
            assert!(e.contains(name), "{e}");
        }
    }

    #[test]
    fn size_is_limited_and_empty_files_refused() {
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_FILE_BYTES + 1, b' ');
        assert!(check("big.pdf", &big)
            .unwrap_err()
            .to_string()
            .contains("at most 5 MB"));
        big.truncate(MAX_FILE_BYTES);
        assert!(check("big.pdf", &big).is_ok());
        assert!(check("empty.pdf", b"")
            .unwrap_err()
            .to_string()
            .contains("empty"));
    }

    #[test]
    fn names_lose_paths_quotes_and_length() {
        assert_eq!(safe_name("C:\\Users\\me\\plan.pdf"), "plan.pdf");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("a\"b\r\n.pdf"), "ab.pdf");
        assert_eq!(safe_name(".hidden.txt"), "hidden.txt");
        let long = format!("{}.pdf", "x".repeat(300));
        let s = safe_name(&long);
        assert_eq!(s.chars().count(), MAX_NAME_CHARS);
        assert!(s.ends_with(".pdf"));
    }
}
