//! Bar charts as inline SVG, drawn on the server: no script, no library.
//! Each chart carries its numbers twice: as an SVG `<title>` per bar (a
//! tooltip) and as a table for screen readers and copying.

use maud::{Markup, html};

/// Height of the drawing area in SVG units; bars scale to the tallest.
const HEIGHT: u64 = 100;
/// Width of one day's slot in SVG units (bar plus gap).
const SLOT: u64 = 20;

/// One bar: its label (a date) and value.
pub(super) struct Bar {
    /// Shown under the chart's first and last bar and in the table.
    pub(super) label: String,
    /// The raw value (scaled to the tallest bar).
    pub(super) value: u64,
}

/// A bar chart titled `title`; `show` formats a value for people.
pub(super) fn bars(title: &str, bars: &[Bar], show: impl Fn(u64) -> String) -> Markup {
    let top = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let width = SLOT * bars.len().max(1) as u64;
    html! {
        figure class="chart" {
            figcaption { (title) }
            svg viewBox=(format!("0 0 {width} {}", HEIGHT + 2)) preserveAspectRatio="none"
                role="img" aria-label=(title) focusable="false" {
                line x1="0" y1=(HEIGHT) x2=(width) y2=(HEIGHT) class="axis" {}
                @for (i, bar) in bars.iter().enumerate() {
                    @let h = bar_height(bar.value, top);
                    rect x=(i as u64 * SLOT + 2) y=(HEIGHT - h) width=(SLOT - 4) height=(h) {
                        title { (bar.label) ": " (show(bar.value)) }
                    }
                }
            }
            @if let (Some(first), Some(last)) = (bars.first(), bars.last()) {
                p class="chart-range muted" { span { (first.label) } span { (last.label) } }
            }
            details {
                summary { (title) }
                div class="table-wrap" {
                    table {
                        tbody {
                            @for bar in bars {
                                tr { th scope="row" { (bar.label) } td { (show(bar.value)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A bar's height: proportional, and at least 1 unit when not zero so a
/// small day stays visible next to a big one.
fn bar_height(value: u64, top: u64) -> u64 {
    if value == 0 {
        0
    } else {
        (value.saturating_mul(HEIGHT) / top).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_tallest_and_small_ones_stay_visible() {
        assert_eq!(bar_height(0, 50), 0);
        assert_eq!(bar_height(50, 50), HEIGHT);
        assert_eq!(bar_height(25, 50), HEIGHT / 2);
        assert_eq!(bar_height(1, 1_000_000), 1);
    }

    #[test]
    fn the_chart_has_a_bar_and_a_table_row_per_day() {
        let days = [
            Bar {
                label: "Dec 1".into(),
                value: 3,
            },
            Bar {
                label: "Dec 2".into(),
                value: 0,
            },
        ];
        let html = bars("Images", &days, |v| format!("{v} credits")).into_string();
        assert_eq!(html.matches("<rect").count(), 2);
        assert!(html.contains("Dec 1: 3 credits"), "{html}");
        assert!(
            html.contains("<th scope=\"row\">Dec 2</th><td>0 credits</td>"),
            "{html}"
        );
    }
}
