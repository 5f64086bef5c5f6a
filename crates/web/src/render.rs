//! The page frame, small formatters and SVG charts drawn on the server.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};

const STYLE: &str = r#"
:root { --ink: #1b1f24; --muted: #4f5b66; --line: #d0d7de; --bg: #ffffff; --accent: #0b5cad;
        --exemplary: #1a7f37; --commendable: #2f6fb3; --targeted: #b35900; --comprehensive: #b3261e; --intensive: #6e1a7a; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus { outline: 3px solid #f0b400; outline-offset: 2px; }
header.site { background: #0f2f57; color: #fff; padding: .75rem 1rem; display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: baseline; }
header.site a { color: #fff; text-decoration: none; font-weight: 600; }
header.site nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
header.site nav a { font-weight: 400; text-decoration: underline; }
ul.reasons li { margin: .25rem 0; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; margin: .5rem 0; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid var(--line); }
.muted { color: var(--muted); }
form.search { display: flex; flex-wrap: wrap; gap: .75rem; align-items: flex-end; margin: 1rem 0; }
form.search label { display: flex; flex-direction: column; font-size: .9rem; color: var(--muted); }
input, select, button { font: inherit; padding: .4rem .5rem; border: 1px solid #8c959f; border-radius: 4px; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 3px; color: #fff; font-size: .85rem; white-space: nowrap; }
.Exemplary { background: var(--exemplary); } .Commendable { background: var(--commendable); }
.Targeted { background: var(--targeted); } .Comprehensive { background: var(--comprehensive); } .Intensive { background: var(--intensive); }
.none { background: #57606a; }
.source { font-size: .8rem; color: var(--muted); }
.record { font-weight: 700; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { color: var(--muted); }
svg text { font: 12px system-ui, sans-serif; fill: var(--ink); }
.pager { display: flex; gap: 1rem; margin: 1rem 0; }
footer { max-width: 72rem; margin: 2rem auto; padding: 1rem; color: var(--muted); font-size: .9rem; border-top: 1px solid var(--line); }
form.stack { display: flex; flex-direction: column; gap: .75rem; max-width: 28rem; margin: 1rem 0; }
form.stack label { display: flex; flex-direction: column; gap: .25rem; }
.error { color: #a40e26; font-weight: 600; margin: .25rem 0; }
.notice { background: #dafbe1; border: 1px solid #1a7f37; padding: .5rem .75rem; border-radius: 4px; }
.account-bar { background: #f6f8fa; border: 1px solid var(--line); padding: .4rem .75rem; border-radius: 4px; font-size: .95rem; }
button.link { background: none; border: none; color: var(--accent); text-decoration: underline; padding: 0; }
code.link-text { word-break: break-all; background: #f6f8fa; padding: .25rem .4rem; display: inline-block; }
td code { font-size: .8rem; word-break: break-word; }
form.stack.wide { max-width: 48rem; }
fieldset { border: 1px solid var(--line); border-radius: 4px; padding: .5rem .75rem; margin: 0; }
fieldset.choices { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: .25rem 1rem; }
fieldset.choices legend, fieldset.choices .error { grid-column: 1 / -1; }
form.search label.choice { flex-direction: row; align-items: center; gap: .4rem; color: var(--ink); }
form.stack label.choice, label.choice { display: flex; flex-direction: row; align-items: baseline; gap: .4rem; }
.contact { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: .5rem; margin-bottom: .5rem; }
textarea { font: inherit; padding: .4rem .5rem; border: 1px solid #8c959f; border-radius: 4px; width: 100%; }
textarea:focus { outline: 3px solid #f0b400; outline-offset: 2px; }
p.prose { white-space: pre-wrap; }
pre.diff { white-space: pre-wrap; background: #f6f8fa; padding: .5rem; border-radius: 4px; }
pre.diff ins { background: #dafbe1; text-decoration: none; } pre.diff del { background: #ffebe9; }
.status-box { background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; padding: 0 .75rem .5rem; }
.status-box h2 { border: none; margin-top: .5rem; }
span.prose { white-space: pre-wrap; }
.nowrap { white-space: nowrap; }
article.printable h2 { margin-top: 1.25rem; }
@media print { header.site, form.search, footer, .pager, .no-print, .account-bar { display: none; } main { max-width: none; } a { color: inherit; } }
"#;

/// What every page says of the state: its name, what it calls a school id
/// and the smallest group shown (rules data, read from the state once
/// when the router is built).
pub struct Frame {
    pub state: String,
    pub id_name: String,
    pub min_group_n: f64,
}

static FRAME: std::sync::OnceLock<Frame> = std::sync::OnceLock::new();

pub fn set_frame(state: &empower_states::State) {
    let _ = FRAME.set(Frame {
        state: state.manifest.name.clone(),
        id_name: state.catalogue.school_id.name.clone(),
        min_group_n: state.manifest.public.min_group_n,
    });
}

pub fn frame() -> &'static Frame {
    FRAME.get_or_init(|| Frame {
        state: String::new(),
        id_name: "id".into(),
        min_group_n: f64::INFINITY,
    })
}

/// A whole page: title, skip link, site header, main, footer.
pub fn page(title: &str, body: Markup) -> Markup {
    let f = frame();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · empower" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                a href="#main" class="muted" style="position:absolute;left:-999px" { "Skip to content" }
                header.site {
                    a href="/" { "empower · " (f.state) " Statewide System of Support" }
                    nav aria-label="Site" {
                        a href="/" { "Schools" }
                        a href="/districts" { "Districts" }
                        a href="/improved" { "Improved" }
                        a href="/partners" { "Partners" }
                        a href="/api/v1/schools" { "API" }
                        a href="/account" { "Account" }
                    }
                }
                main id="main" { (body) }
                footer {
                    "Designations computed by empower from the public report cards are labelled "
                    em { "computed" } "; published ones "
                    em { "official" } ". Groups of fewer than " (f.min_group_n) " students are not shown."
                }
            }
        }
    }
}

pub fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

pub fn num(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(x) => format!("{x:.decimals$}"),
        None => "—".into(),
    }
}

/// A designation as a coloured badge (colour is never the only cue: the
/// word is written).
pub fn badge(d: Option<&str>) -> Markup {
    match d {
        Some(d) => html! { span class={"badge " (d)} { (d) } },
        None => html! { span class="badge none" { "none" } },
    }
}

/// A horizontal bar chart: one labelled bar per item, values 0 to `max`.
/// Each label sits above its bar, so the chart is narrow enough to keep
/// its text readable on a phone (a phone shows it at about 90%). A
/// missing value is written as such, never drawn as zero.
pub fn bar_chart(title: &str, items: &[(String, Option<f64>)], max: f64, unit: &str) -> Markup {
    let row = 34.0;
    let bar_w = 320.0;
    let h = row * items.len() as f64 + 4.0;
    let w = bar_w + 70.0;
    html! {
        svg role="img" aria-label=(title) viewBox={"0 0 " (w) " " (h)} width="100%" style={"max-width:" (w) "px"} {
            title { (title) }
            @for (i, (label, v)) in items.iter().enumerate() {
                @let y = 2.0 + row * i as f64;
                @let len = match v { Some(v) if max > 0.0 => (v / max).clamp(0.0, 1.0) * bar_w, _ => 0.0 };
                text x="0" y=(y + 12.0) {
                    (if label.chars().count() > 52 { format!("{}…", label.chars().take(51).collect::<String>()) } else { label.clone() })
                }
                rect x="0" y=(y + 17.0) width=(bar_w) height="12" fill="#eef1f4" {}
                rect x="0" y=(y + 17.0) width=(len) height="12" fill="#0b5cad" {}
                text x=(bar_w + 6.0) y=(y + 28.0) { (v.map_or("none".to_string(), |v| format!("{v:.1}{unit}"))) }
            }
        }
    }
}

/// Counts per designation as a stacked bar with a legend in words.
pub fn designation_chart(title: &str, counts: &[(String, usize)]) -> Markup {
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let w = 600.0;
    let mut x = 0.0;
    let bars: Vec<(&str, usize, f64, f64)> = counts
        .iter()
        .map(|(d, n)| {
            let len = if total > 0 {
                *n as f64 / total as f64 * w
            } else {
                0.0
            };
            let at = x;
            x += len;
            (d.as_str(), *n, at, len)
        })
        .collect();
    let colour = |d: &str| match d {
        "Exemplary" => "#1a7f37",
        "Commendable" => "#2f6fb3",
        "Targeted" => "#b35900",
        "Comprehensive" => "#b3261e",
        "Intensive" => "#6e1a7a",
        _ => "#57606a",
    };
    html! {
        svg role="img" aria-label=(title) viewBox={"0 0 " (w) " 30"} width="100%" style="max-width:600px" {
            title { (title) }
            @for (d, n, at, len) in &bars {
                rect x=(at) y="2" width=(len) height="26" fill=(colour(d)) { title { (format!("{d}: {n}")) } }
            }
        }
        p.muted { @for (d, n) in counts { (d) ": " (n) ". " } }
    }
}

/// One point of a scatter chart: its label, x, y, and whether it is
/// marked (drawn filled, in the accent colour).
pub struct Point {
    pub label: String,
    pub x: f64,
    pub y: f64,
    pub marked: bool,
}

/// A scatter chart with labelled axes; points are labelled when there
/// are few enough to read (else only the marked ones).
pub fn scatter_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    points: &[Point],
    y_unit: &str,
) -> Markup {
    let (w, h, left, bottom, top, right) = (640.0, 380.0, 64.0, 44.0, 12.0, 150.0);
    let span = |vals: Vec<f64>| {
        let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !lo.is_finite() {
            (0.0, 1.0)
        } else if (hi - lo).abs() < 1e-9 {
            (lo - 1.0, hi + 1.0)
        } else {
            let pad = (hi - lo) * 0.08;
            (lo - pad, hi + pad)
        }
    };
    let (x0, x1) = span(points.iter().map(|p| p.x).collect());
    let (y0, y1) = span(points.iter().map(|p| p.y).collect());
    let px = |x: f64| left + (x - x0) / (x1 - x0) * (w - left - right);
    let py = |y: f64| top + (1.0 - (y - y0) / (y1 - y0)) * (h - top - bottom);
    let label_all = points.len() <= 12;
    let ticks = |a: f64, b: f64| (0..=4).map(move |i| a + (b - a) * i as f64 / 4.0);
    html! {
        svg role="img" aria-label=(title) viewBox={"0 0 " (w) " " (h)} width="100%" style={"max-width:" (w) "px"} {
            title { (title) }
            line x1=(left) y1=(h - bottom) x2=(w - right) y2=(h - bottom) stroke="#57606a" {}
            line x1=(left) y1=(top) x2=(left) y2=(h - bottom) stroke="#57606a" {}
            @for t in ticks(x0, x1) {
                text x=(px(t)) y=(h - bottom + 16.0) text-anchor="middle" { (format!("{t:.0}")) }
            }
            @for t in ticks(y0, y1) {
                text x=(left - 6.0) y=(py(t) + 4.0) text-anchor="end" {
                    (if y1 - y0 < 20.0 { format!("{y_unit}{t:.1}") } else { format!("{y_unit}{t:.0}") })
                }
            }
            text x=((left + w - right) / 2.0) y=(h - 6.0) text-anchor="middle" { (x_label) }
            text x="12" y=(top + 4.0) transform={"rotate(-90 12 " (top + 4.0) ")"} text-anchor="end" { (y_label) }
            @for p in points {
                circle cx=(px(p.x)) cy=(py(p.y)) r="5" fill=(if p.marked { "#b3261e" } else { "white" }) stroke=(if p.marked { "#b3261e" } else { "#0b5cad" }) stroke-width="2" {
                    title { (format!("{}: {:.1}, {y_unit}{:.1}", p.label, p.x, p.y)) }
                }
                @if label_all || p.marked {
                    text x=(px(p.x) + 7.0) y=(py(p.y) + 4.0) style="font-size: 10px" {
                        (if p.label.chars().count() > 24 { format!("{}…", p.label.chars().take(23).collect::<String>()) } else { p.label.clone() })
                    }
                }
            }
        }
    }
}
