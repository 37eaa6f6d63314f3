//! Telegram's text limits as its servers count them: UTF-16 code units,
//! 4096 per message. A longer reply (a hundred minted codes, a long code
//! list) goes out in several messages, cut between lines, instead of being
//! refused whole.

/// Longest message text Telegram takes, in UTF-16 code units.
pub(super) const TEXT_MAX: usize = 4096;

/// Length as Telegram counts it.
pub(super) fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `text` in messages of at most `max` UTF-16 units, cut between lines
/// where it can and inside a line only when one line alone is too long.
/// Pieces that would be blank (Telegram refuses those) are left out; a text
/// that fits comes back as it is.
pub(super) fn pieces(text: &str, max: usize) -> Vec<String> {
    if utf16_len(text) <= max {
        return vec![text.to_owned()];
    }
    let mut out = Vec::new();
    let mut current = String::new();
    let mut push = |piece: &mut String| {
        let done = std::mem::take(piece);
        if !done.trim().is_empty() {
            out.push(done.trim_end_matches('\n').to_owned());
        }
    };
    for line in text.split('\n') {
        let joined = utf16_len(&current) + usize::from(!current.is_empty()) + utf16_len(line);
        if joined <= max {
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(line);
            continue;
        }
        push(&mut current);
        let mut used = 0;
        for c in line.chars() {
            if used + c.len_utf16() > max {
                push(&mut current);
                used = 0;
            }
            used += c.len_utf16();
            current.push(c);
        }
    }
    push(&mut current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_cut_between_lines_within_the_limit() {
        let text = (0..30)
            .map(|i| format!("line {i:02}"))
            .collect::<Vec<_>>()
            .join("\n");
        let parts = pieces(&text, 20);
        assert!(parts.iter().all(|p| utf16_len(p) <= 20), "{parts:?}");
        assert_eq!(parts.join("\n"), text, "nothing lost or reordered");
        assert_eq!(parts[0], "line 00\nline 01");
    }

    #[test]
    fn a_line_longer_than_the_limit_is_cut_inside_counting_utf16() {
        let text = format!("head\n{}", "🎨".repeat(15));
        let parts = pieces(&text, 10);
        assert_eq!(parts[0], "head");
        assert!(parts[1..].iter().all(|p| utf16_len(p) <= 10), "{parts:?}");
        assert_eq!(parts[1..].concat(), "🎨".repeat(15));
    }

    #[test]
    fn a_text_that_fits_is_one_piece_as_it_is() {
        assert_eq!(pieces("short\n", 4096), vec!["short\n".to_owned()]);
    }
}
