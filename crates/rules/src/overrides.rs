use toml::Value;

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("cannot set `{path}`: {why}")]
pub struct OverrideError {
    pub path: String,
    pub why: String,
}

/// Sets `value` at a dotted `path` (`bands.ES.indicators.ela_growth.weight`)
/// in a parsed rules document. Every segment but the last must already
/// exist, so a typo in a calibration grid is an error, not a silent no-op.
pub fn apply_overrides<'a>(
    doc: &mut Value,
    overrides: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> Result<(), OverrideError> {
    for (path, value) in overrides {
        let segments: Vec<&str> = path.split('.').collect();
        let (last, parents) = segments.split_last().ok_or_else(|| OverrideError {
            path: path.to_string(),
            why: "empty path".into(),
        })?;
        let mut node = &mut *doc;
        for seg in parents {
            node = node
                .as_table_mut()
                .and_then(|t| t.get_mut(*seg))
                .ok_or_else(|| OverrideError {
                    path: path.to_string(),
                    why: format!("no table `{seg}` in the rules"),
                })?;
        }
        let table = node.as_table_mut().ok_or_else(|| OverrideError {
            path: path.to_string(),
            why: "parent is not a table".into(),
        })?;
        if !table.contains_key(*last) {
            return Err(OverrideError {
                path: path.to_string(),
                why: format!("no key `{last}` in the rules"),
            });
        }
        table.insert(last.to_string(), value.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_nested_values_and_rejects_unknown_paths() {
        let mut doc: Value = toml::from_str("[a.b]\nc = 1\n").unwrap();
        let two = Value::Integer(2);
        apply_overrides(&mut doc, [("a.b.c", &two)]).unwrap();
        assert_eq!(doc["a"]["b"]["c"], two);
        assert!(apply_overrides(&mut doc, [("a.x.c", &two)]).is_err());
        assert!(apply_overrides(&mut doc, [("a.b.typo", &two)]).is_err());
    }
}
