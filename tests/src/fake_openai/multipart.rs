//! Just enough of RFC 7578 `multipart/form-data` parsing for the fake to
//! record what reqwest sends: part names, file names, content types, bytes.

use bytes::Bytes;

/// One multipart part as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormPart {
    /// Field name (`image[]`, `mask`, `prompt`, ...).
    pub name: String,
    /// File name, for file parts.
    pub filename: Option<String>,
    /// Declared content type, for file parts.
    pub content_type: Option<String>,
    /// The bytes.
    pub bytes: Bytes,
}

/// Splits a `multipart/form-data` body into its parts (enough of RFC 7578
/// for what reqwest sends; a malformed body yields the parts before the fault).
pub fn parse_multipart(body: &[u8], boundary: &str) -> Vec<FormPart> {
    let delim = format!("--{boundary}").into_bytes();
    let next_delim = format!("\r\n--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let Some(start) = find(body, &delim, 0) else {
        return parts;
    };
    let mut pos = start + delim.len();
    while body[pos..].starts_with(b"\r\n") {
        pos += 2;
        let Some(end) = find(body, &next_delim, pos) else {
            break;
        };
        let part = &body[pos..end];
        if let Some(split) = find(part, b"\r\n\r\n", 0) {
            let head = String::from_utf8_lossy(&part[..split]);
            let bytes = Bytes::copy_from_slice(&part[split + 4..]);
            parts.push(form_part(&head, bytes));
        }
        pos = end + next_delim.len();
    }
    parts
}

fn form_part(head: &str, bytes: Bytes) -> FormPart {
    let mut part = FormPart {
        name: String::new(),
        filename: None,
        content_type: None,
        bytes,
    };
    for line in head.split("\r\n") {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if key.eq_ignore_ascii_case("content-type") {
            part.content_type = Some(value.trim().to_owned());
        } else if key.eq_ignore_ascii_case("content-disposition") {
            for attr in value.split(';').map(str::trim) {
                if let Some(v) = attr.strip_prefix("name=") {
                    part.name = v.trim_matches('"').to_owned();
                } else if let Some(v) = attr.strip_prefix("filename=") {
                    part.filename = Some(v.trim_matches('"').to_owned());
                }
            }
        }
    }
    part
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}
