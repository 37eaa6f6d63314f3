//! Splitting a long text into messages a platform takes: each piece within
//! its limit as that platform counts (Telegram UTF-16 units, Discord
//! characters), cut between lines, nothing lost or reordered.

/// `text` in messages of at most `max` units as `width` counts each
/// character (Telegram: UTF-16 code units; Discord: characters), cut
/// between lines where it can and inside a line only when one line alone is
/// too long. Pieces that would be blank (the platforms refuse those) are
/// left out; a text that fits comes back as it is.
pub fn pieces(text: &str, max: usize, width: fn(char) -> usize) -> Vec<String> {
    let len = |s: &str| s.chars().map(width).sum::<usize>();
    if len(text) <= max {
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
        let joined = len(&current) + usize::from(!current.is_empty()) + len(line);
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
            if used + width(c) > max {
                push(&mut current);
                used = 0;
            }
            used += width(c);
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
        let parts = pieces(&text, 20, char::len_utf16);
        assert!(
            parts.iter().all(|p| p.encode_utf16().count() <= 20),
            "{parts:?}"
        );
        assert_eq!(parts.join("\n"), text, "nothing lost or reordered");
        assert_eq!(parts[0], "line 00\nline 01");
    }

    #[test]
    fn a_line_longer_than_the_limit_is_cut_inside_counting_utf16() {
        let text = format!("head\n{}", "🎨".repeat(15));
        let parts = pieces(&text, 10, char::len_utf16);
        assert_eq!(parts[0], "head");
        assert!(
            parts[1..].iter().all(|p| p.encode_utf16().count() <= 10),
            "{parts:?}"
        );
        assert_eq!(parts[1..].concat(), "🎨".repeat(15));
    }

    #[test]
    fn characters_count_one_each_where_the_platform_says_so() {
        let parts = pieces(&"🎨".repeat(15), 10, |_| 1);
        assert_eq!(parts, vec!["🎨".repeat(10), "🎨".repeat(5)]);
    }

    #[test]
    fn a_text_that_fits_is_one_piece_as_it_is() {
        assert_eq!(
            pieces("short\n", 4096, char::len_utf16),
            vec!["short\n".to_owned()]
        );
    }
}
