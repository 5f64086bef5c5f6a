//! Checks shared by every rules file: finite numbers everywhere, numbers
//! inside the range a rule allows, and measure names the state's catalogue
//! knows. Each failure names the key and the allowed range.

use empower_model::MeasureCatalogue;

/// Rejects NaN and infinite numbers anywhere in a parsed TOML document
/// (TOML allows `nan` and `inf`; no rule means them, and one NaN weight
/// would leave every school undesignated). The message names the key.
pub fn reject_non_finite(doc: &toml::Value) -> Result<(), String> {
    fn walk(v: &toml::Value, path: &mut Vec<String>) -> Result<(), String> {
        match v {
            toml::Value::Float(f) if !f.is_finite() => Err(format!(
                "`{}` = {f}: rules take finite numbers only",
                path.join(".")
            )),
            toml::Value::Table(t) => {
                for (k, v) in t {
                    path.push(k.clone());
                    walk(v, path)?;
                    path.pop();
                }
                Ok(())
            }
            toml::Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    path.push(format!("[{i}]"));
                    walk(v, path)?;
                    path.pop();
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    walk(doc, &mut Vec::new()).map_err(|m| m.replace(".[", "["))
}

/// `key` must lie in `lo..=hi`.
pub fn in_range<T: PartialOrd + std::fmt::Display + Copy>(
    key: &str,
    value: T,
    lo: T,
    hi: T,
) -> Result<(), String> {
    if value >= lo && value <= hi {
        Ok(())
    } else {
        Err(format!(
            "`{key}` = {value} is outside its allowed range, {lo} to {hi}"
        ))
    }
}

/// `key` must lie strictly above `lo` and at most `hi`.
pub fn above(key: &str, value: f64, lo: f64, hi: f64) -> Result<(), String> {
    if value > lo && value <= hi {
        Ok(())
    } else {
        Err(format!(
            "`{key}` = {value} is outside its allowed range: above {lo}, at most {hi}"
        ))
    }
}

/// `measure` (read by the rules at `key`) must be in the catalogue.
pub fn known_measure(catalogue: &MeasureCatalogue, key: &str, measure: &str) -> Result<(), String> {
    catalogue
        .spec(measure)
        .map(|_| ())
        .map_err(|e| format!("`{key}`: {e}"))
}

/// No name twice in a list (`key` names the list).
pub fn no_duplicates<'a>(
    key: &str,
    items: impl IntoIterator<Item = &'a str>,
) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for i in items {
        if !seen.insert(i) {
            return Err(format!("`{key}` lists `{i}` twice"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_anywhere_is_named() {
        let doc: toml::Value = toml::from_str("[a.b]\nc = [1.0, nan]\n").unwrap();
        let e = reject_non_finite(&doc).unwrap_err();
        assert!(e.contains("`a.b.c[1]` = NaN"), "{e}");
        let doc: toml::Value = toml::from_str("x = inf\n").unwrap();
        assert!(reject_non_finite(&doc).is_err());
        let doc: toml::Value = toml::from_str("x = 1.5\n").unwrap();
        assert!(reject_non_finite(&doc).is_ok());
    }

    #[test]
    fn ranges_and_duplicates() {
        assert!(in_range("min_n", 20.0, 1.0, 1000.0).is_ok());
        let e = in_range("min_n", 0.0, 1.0, 1000.0).unwrap_err();
        assert!(
            e.contains("`min_n` = 0 is outside its allowed range, 1 to 1000"),
            "{e}"
        );
        assert!(above("share", 0.0, 0.0, 1.0).is_err());
        assert!(no_duplicates("predictors", ["a", "b", "a"]).is_err());
    }
}
