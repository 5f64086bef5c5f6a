//! Money is whole cents (platform.md): read as people write dollars and
//! written back the same way.

/// Dollars as a person writes them (`12,500`, `$12,500.50`) in whole
/// cents; `None` when it is not an amount.
pub fn parse_cents(s: &str) -> Option<i64> {
    let s: String = s
        .trim()
        .trim_start_matches('$')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac)
}

/// Cents as dollars: `$12,500.50`.
pub fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let whole = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}${grouped}.{:02}", c % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_people_write_them() {
        assert_eq!(parse_cents("12,500"), Some(1_250_000));
        assert_eq!(parse_cents("$12,500.5"), Some(1_250_050));
        assert_eq!(parse_cents(" 0.07 "), Some(7));
        assert_eq!(parse_cents(".5"), Some(50));
        for bad in ["", "$", "12.345", "-5", "1e3", "twelve", "1.2.3"] {
            assert_eq!(parse_cents(bad), None, "{bad}");
        }
        assert_eq!(dollars(1_250_050), "$12,500.50");
        assert_eq!(dollars(7), "$0.07");
        assert_eq!(dollars(100_000_000), "$1,000,000.00");
    }
}
