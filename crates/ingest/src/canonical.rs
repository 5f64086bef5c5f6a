//! The project's own interchange: the canonical long format as CSV.

use empower_model::vocab::shown;
use empower_model::{Grade, Group, Level, MeasureCatalogue, Record, SchoolId, Subject, Value};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

pub const CANONICAL_HEADER: [&str; 9] = [
    "year", "entity", "level", "measure", "group", "grade", "subject", "value", "n",
];

pub(crate) fn is_canonical_header(headers: &[String]) -> bool {
    headers.len() == CANONICAL_HEADER.len()
        && headers
            .iter()
            .zip(CANONICAL_HEADER)
            .all(|(h, c)| h.trim() == c)
}

/// Parses one canonical row and checks it against the catalogue: a known
/// measure, a year in range, a number in the measure's range or a text
/// from its words, a count that is a count. An error names the column.
pub(crate) fn read_canonical_row(
    cells: &csv::StringRecord,
    catalogue: &MeasureCatalogue,
    measures: &mut HashMap<String, Arc<str>>,
) -> Result<Record, (&'static str, String)> {
    let c = |i: usize| cells.get(i).map(str::trim).unwrap_or("");
    let year = c(0)
        .parse::<u16>()
        .map_err(|_| ("year", format!("`{}` is not a year", shown(c(0)))))?;
    catalogue.check_year(year).map_err(|e| ("year", e))?;
    let level: Level = c(2).parse().map_err(|e| ("level", e))?;
    let entity = if c(1).is_empty() && level == Level::State {
        None
    } else {
        Some(
            catalogue
                .school_id
                .parse(c(1))
                .map_err(|e| ("entity", e.to_string()))?,
        )
    };
    if c(3).is_empty() {
        return Err(("measure", "empty measure".into()));
    }
    let spec = catalogue.spec(c(3)).map_err(|e| ("measure", e))?;
    let measure = match measures.get(c(3)) {
        Some(m) => Arc::clone(m),
        None => {
            let m: Arc<str> = Arc::from(c(3));
            measures.insert(c(3).to_string(), Arc::clone(&m));
            m
        }
    };
    let group: Group = if c(4).is_empty() {
        Ok(Group::All)
    } else {
        c(4).parse()
    }
    .map_err(|e| ("group", e))?;
    let grade: Grade = c(5).parse().map_err(|e| ("grade", e))?;
    let subject: Option<Subject> = if c(6).is_empty() {
        None
    } else {
        Some(c(6).parse().map_err(|e| ("subject", e))?)
    };
    let value = if spec.text {
        Value::Text(
            catalogue
                .check_text(&measure, c(7))
                .map_err(|e| ("value", e))?
                .to_string(),
        )
    } else {
        let v = c(7)
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| ("value", format!("`{}` is not a number", shown(c(7)))))?;
        catalogue
            .check_number(&measure, v)
            .map_err(|e| ("value", e))?;
        Value::Number(v)
    };
    let n = if c(8).is_empty() {
        None
    } else {
        let n = c(8)
            .parse::<f64>()
            .map_err(|_| ("n", format!("`{}` is not a number", shown(c(8)))))?;
        catalogue.check_count(n).map_err(|e| ("n", e))?;
        Some(n)
    };
    Ok(Record {
        year,
        entity,
        level,
        measure,
        group,
        grade,
        subject,
        value,
        n,
    })
}

/// Writes records as canonical CSV, header first.
pub fn write_canonical_csv<'a, W: Write>(
    records: impl IntoIterator<Item = &'a Record>,
    out: W,
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CANONICAL_HEADER)?;
    for r in records {
        let entity = r.entity.as_ref().map(SchoolId::as_str).unwrap_or("");
        let year = r.year.to_string();
        let grade = r.grade.to_string();
        let value = r.value.to_string();
        let n = r.n.map(|n| n.to_string()).unwrap_or_default();
        w.write_record([
            year.as_str(),
            entity,
            r.level.as_str(),
            &r.measure,
            r.group.slug(),
            &grade,
            r.subject.map(Subject::as_str).unwrap_or(""),
            &value,
            &n,
        ])?;
    }
    w.flush()?;
    Ok(())
}

// Text values survive the round trip untouched; numbers as shortest decimal.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let r = Record {
            year: 2018,
            entity: Some(SchoolId::parse("010010010260001").unwrap()),
            level: Level::School,
            measure: "proficiency_pct".into(),
            group: Group::LowIncome,
            grade: Grade::All,
            subject: Some(Subject::Ela),
            value: Value::Number(32.3),
            n: Some(127.0),
        };
        let t = Record {
            measure: "school_name".into(),
            value: Value::Text("Seymour, \"High\" School".into()),
            group: Group::All,
            subject: None,
            n: None,
            ..r.clone()
        };
        let mut buf = Vec::new();
        write_canonical_csv([&r, &t], &mut buf).unwrap();
        let mut rdr = csv::Reader::from_reader(buf.as_slice());
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        let cat = crate::tests::catalogue();
        let mut m = HashMap::new();
        assert_eq!(read_canonical_row(&rows[0], &cat, &mut m).unwrap(), r);
        assert_eq!(read_canonical_row(&rows[1], &cat, &mut m).unwrap(), t);
    }
}
