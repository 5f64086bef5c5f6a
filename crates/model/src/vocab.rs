//! Words a file may use and how to say that a word is not one of them:
//! "did you mean" suggestions for near misses, and values shortened before
//! they are echoed into a message.

/// The candidate a user most likely meant by `input`: the same word in
/// another case, else the nearest by edit distance when it is close enough
/// to be a typo (at most a third of the word's length, and at most 3 edits).
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input = input.trim();
    if input.is_empty() || input.len() > 200 {
        return None;
    }
    let lower = input.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == input {
            continue;
        }
        let c_lower = c.to_lowercase();
        if c_lower == lower
            || c_lower.replace(['_', '-', ' '], "") == lower.replace(['_', '-', ' '], "")
        {
            return Some(c);
        }
        let d = strsim::levenshtein(&lower, &c_lower);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let allowed = (input.chars().count() / 3).clamp(1, 3);
    (d <= allowed).then_some(c)
}

/// "`X` is not a WHAT (did you mean `Y`?); expected one of A, B, C" — the
/// list shortened when long.
pub fn not_one_of<'a>(
    what: &str,
    input: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
) -> String {
    let mut m = format!("`{}` is not {what}", shown(input));
    if let Some(s) = did_you_mean(input, candidates.clone()) {
        m.push_str(&format!(" (did you mean `{s}`?)"));
    }
    let all: Vec<&str> = candidates.into_iter().collect();
    const LISTED: usize = 12;
    let mut list: Vec<String> = all.iter().take(LISTED).map(|c| format!("`{c}`")).collect();
    if all.len() > LISTED {
        list.push(format!("and {} more", all.len() - LISTED));
    }
    if !list.is_empty() {
        m.push_str(&format!("; expected one of {}", list.join(", ")));
    }
    m
}

/// A value as it may be echoed in a message: at most 60 characters, with
/// the full length said when cut (a 50 MB field must not flood a terminal),
/// and control characters made visible.
pub fn shown(value: &str) -> String {
    const MAX: usize = 60;
    let count = value.chars().count();
    let visible = |s: &str| -> String { s.chars().flat_map(char::escape_debug).collect() };
    if count <= MAX {
        visible(value)
    } else {
        let head: String = value.chars().take(MAX).collect();
        format!("{}… ({} characters in all)", visible(&head), count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_for_typos_and_case() {
        let designations = ["Exemplary", "Commendable", "Targeted", "Comprehensive"];
        assert_eq!(
            did_you_mean("Comendable", designations),
            Some("Commendable")
        );
        assert_eq!(did_you_mean("targeted", designations), Some("Targeted"));
        assert_eq!(did_you_mean("Banana", designations), None);
        assert_eq!(did_you_mean("ELA", ["ela", "math"]), Some("ela"));
        assert_eq!(did_you_mean("Title 1", ["Title I"]), Some("Title I"));
        assert_eq!(
            did_you_mean("low_income", ["low-income", "el"]),
            Some("low-income")
        );
    }

    #[test]
    fn messages_name_the_value_and_the_choices() {
        let m = not_one_of("a designation", "Comendable", ["Exemplary", "Commendable"]);
        assert!(m.contains("`Comendable` is not a designation"), "{m}");
        assert!(m.contains("did you mean `Commendable`?"), "{m}");
        assert!(m.contains("`Exemplary`, `Commendable`"), "{m}");
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(10_000);
        let s = shown(&long);
        assert!(s.len() < 100, "{s}");
        assert!(s.contains("10000 characters"), "{s}");
        assert_eq!(shown("a\nb"), "a\\nb");
    }
}
