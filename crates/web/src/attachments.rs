//! Evidence files on the pages: reading an upload form (multipart, one
//! file and some text fields) and serving a stored file as an attachment.
//! Shared by the partner application and the needs assessment.

use crate::pages::encode;
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::Multipart;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use empower_app::uploads;
use empower_store::EvidenceFile;
use std::collections::BTreeMap;

/// An upload form as sent: its text fields and its file (name, bytes).
#[derive(Default)]
pub struct Upload {
    pub fields: BTreeMap<String, String>,
    pub file: Option<(String, Bytes)>,
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }
}

fn too_large() -> Response {
    crate::forms::message_page(
        StatusCode::PAYLOAD_TOO_LARGE,
        "The file is too large",
        &format!(
            "A file may be at most {} MB. Go back and choose a smaller one.",
            uploads::MAX_FILE_BYTES / 1_048_576
        ),
    )
}

fn did_not_arrive(detail: String) -> Response {
    crate::forms::message_page(StatusCode::BAD_REQUEST, "The file did not arrive", &detail)
}

/// Reads the form: the field `file` is the file, every other field text.
/// A file beyond the limit gets a page that says so (`413`).
pub async fn read(
    multipart: Result<Multipart, MultipartRejection>,
    from: &str,
) -> Result<Upload, Response> {
    let mut multipart = multipart
        .map_err(|e| did_not_arrive(format!("Send the file from the {from}'s page ({e}).")))?;
    let mut upload = Upload::default();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                if name == "file" {
                    let file_name = field.file_name().unwrap_or("").to_string();
                    match field.bytes().await {
                        Ok(b) => upload.file = Some((file_name, b)),
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                            return Err(too_large())
                        }
                        Err(e) => {
                            return Err(did_not_arrive(format!(
                                "The upload was cut short ({e}); try again."
                            )))
                        }
                    }
                } else {
                    let text = field.text().await.unwrap_or_default();
                    upload.fields.insert(name, text);
                }
            }
            Ok(None) => return Ok(upload),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => {
                return Err(did_not_arrive(format!(
                    "The upload could not be read ({e}); try again."
                )))
            }
        }
    }
}

/// A stored file as a download: never shown inline, never sniffed, never
/// cached, run in a sandbox if a browser opens it anyway.
pub fn attachment(meta: EvidenceFile, bytes: Vec<u8>) -> Response {
    let ascii: String = meta
        .file_name
        .chars()
        .map(|ch| {
            if ch.is_ascii_graphic() || ch == ' ' {
                ch
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        encode(&meta.file_name).replace('+', "%20")
    );
    (
        [
            (header::CONTENT_TYPE, meta.content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CONTENT_SECURITY_POLICY, "sandbox".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}
