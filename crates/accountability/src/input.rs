use empower_model::{
    parse_grades, Designation, Grade, Group, Level, Record, SchoolId, Subject, Value,
};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// The text measures that say which school a row is about, from the
/// state's manifest, and the one holding its Title I status (from the
/// rules).
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    /// How the state writes school ids (which part names the district).
    pub ids: empower_model::IdFormat,
    pub name: String,
    pub grades_served: String,
    pub official_designation: String,
    pub title1: String,
}

/// A value and the count of students behind it, where known.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observation {
    pub value: f64,
    pub n: Option<f64>,
}

/// One measure's values of a school: per group and subject.
type MeasureValues = Vec<(Group, Option<Subject>, Observation)>;

/// Everything the engine needs about one school in one year.
#[derive(Clone, Debug, Default)]
pub struct SchoolData {
    pub rcdts: Option<SchoolId>,
    /// The district's part of the id: untested schools pair only within it.
    pub district: String,
    pub name: String,
    /// Numbered grades served (PK and K dropped).
    pub grades: Vec<u8>,
    /// Title I status text as published, when the data has it.
    pub title1_status: Option<String>,
    /// The published designation, when present (blank = withheld or none).
    pub official: Option<Designation>,
    /// By measure; hashed with Fx, as designating looks values up a few
    /// million times.
    /// Keyed by the import's shared names: no name is copied per school.
    values: FxHashMap<Arc<str>, MeasureValues>,
}

impl SchoolData {
    pub fn new(rcdts: SchoolId, name: impl Into<String>, grades: Vec<u8>) -> Self {
        SchoolData {
            // Its own district until `in_district` says otherwise.
            district: rcdts.to_string(),
            rcdts: Some(rcdts),
            name: name.into(),
            grades,
            ..Default::default()
        }
    }

    /// The same school, in district `district` (the id's district part).
    pub fn in_district(mut self, district: impl Into<String>) -> Self {
        self.district = district.into();
        self
    }

    pub fn rcdts(&self) -> &SchoolId {
        self.rcdts
            .as_ref()
            .expect("school data always carries an RCDTS")
    }

    /// Sets a school-wide (all grades) value.
    pub fn set(
        &mut self,
        measure: &str,
        group: Group,
        subject: Option<Subject>,
        value: f64,
        n: Option<f64>,
    ) -> &mut Self {
        self.set_keyed(
            measure,
            || Arc::from(measure),
            group,
            subject,
            Observation { value, n },
        );
        self
    }

    /// Sets a value of `measure`, whose key in the table, if it has none
    /// yet, is `key()`: the import's shared name, or a new one. Looked up
    /// by the shared name itself, the key is found without comparing
    /// names when it is the same name (as a file's records share it).
    fn set_keyed<Q: std::hash::Hash + Eq + ?Sized>(
        &mut self,
        measure: &Q,
        key: impl FnOnce() -> Arc<str>,
        group: Group,
        subject: Option<Subject>,
        obs: Observation,
    ) where
        Arc<str>: std::borrow::Borrow<Q>,
    {
        match self.values.get_mut(measure) {
            Some(slot) => Self::put(slot, group, subject, obs),
            None => {
                self.values.insert(key(), vec![(group, subject, obs)]);
            }
        }
    }

    /// Sets the group's and subject's value of one measure.
    fn put(slot: &mut MeasureValues, group: Group, subject: Option<Subject>, obs: Observation) {
        match slot
            .iter_mut()
            .find(|(g, s, _)| *g == group && *s == subject)
        {
            Some(existing) => existing.2 = obs,
            None => slot.push((group, subject, obs)),
        }
    }

    pub fn get(
        &self,
        measure: &str,
        group: Group,
        subject: Option<Subject>,
    ) -> Option<Observation> {
        self.values
            .get(measure)?
            .iter()
            .find(|(g, s, _)| *g == group && *s == subject)
            .map(|(_, _, o)| *o)
    }

    /// Every group's and subject's value of `measure` (none: empty).
    pub(crate) fn entries(&self, measure: &str) -> &[(Group, Option<Subject>, Observation)] {
        self.values.get(measure).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn value(&self, measure: &str, group: Group, subject: Option<Subject>) -> Option<f64> {
        self.get(measure, group, subject).map(|o| o.value)
    }

    /// Groups this school's data has any value for.
    pub fn groups_present(&self) -> Vec<Group> {
        let mut gs: Vec<Group> = self
            .values
            .values()
            .flat_map(|v| v.iter().map(|(g, _, _)| *g))
            .collect();
        gs.sort();
        gs.dedup();
        gs
    }

    /// Groups a year's canonical records into one `SchoolData` per school
    /// (district and state rows are skipped), sorted by RCDTS. Name, grades,
    /// published designation and Title I status come from the text
    /// measures `identity` names.
    /// Values of later records replace earlier ones. Schools that only a
    /// supplementary list names (Title I status and nothing else) are left out.
    pub fn from_records<'a>(
        records: impl IntoIterator<Item = &'a Record>,
        year: u16,
        identity: &Identity,
    ) -> Vec<SchoolData> {
        SchoolData::from_parts(vec![SchoolsPart::of_records(records, year, identity)])
    }

    /// The schools of several parts (e.g. one per file, each read on its
    /// own thread), as [`SchoolData::from_records`] gives them for all the
    /// parts' records in the parts' order: a later part's values replace
    /// an earlier one's, and an identity text comes from the last part
    /// that has it.
    pub fn from_parts(parts: Vec<SchoolsPart>) -> Vec<SchoolData> {
        let all = SchoolsPart::merged(parts);
        // A school known only from a supplementary list (a Title I list of
        // another year) is not in this year's report card.
        let mut schools = all.schools;
        schools.sort_by(|a, b| a.rcdts.cmp(&b.rcdts));
        schools
            .into_iter()
            .filter(|s| {
                !(s.name.is_empty()
                    && s.grades.is_empty()
                    && s.values.is_empty()
                    && s.official.is_none())
            })
            .collect()
    }

    /// What `later` read of the same school, over this: its values and
    /// the identity texts it has.
    fn take_from(&mut self, later: SchoolData) {
        if !later.name.is_empty() {
            self.name = later.name;
        }
        if !later.grades.is_empty() {
            self.grades = later.grades;
        }
        if later.official.is_some() {
            self.official = later.official;
        }
        if later.title1_status.is_some() {
            self.title1_status = later.title1_status;
        }
        // At most one growth of the table for all the new measures.
        self.values.reserve(later.values.len());
        for (measure, values) in later.values {
            // Files mostly hold different measures: a measure new to this
            // school moves over whole.
            match self.values.get_mut(&measure) {
                Some(slot) => {
                    for (g, s, o) in values {
                        Self::put(slot, g, s, o);
                    }
                }
                None => {
                    self.values.insert(measure, values);
                }
            }
        }
    }
}

/// The schools of some of a year's records, before they are put together
/// with the others' ([`SchoolData::from_parts`]).
#[derive(Debug, Default)]
pub struct SchoolsPart {
    schools: Vec<SchoolData>,
    position: FxHashMap<SchoolId, usize>,
    /// The school of the last record: importers emit a school's records
    /// together.
    last: Option<usize>,
}

impl SchoolsPart {
    /// The parts as one, a later part's values replacing an earlier
    /// one's (see [`SchoolData::from_parts`]).
    pub fn merged(parts: Vec<SchoolsPart>) -> SchoolsPart {
        let mut parts = parts.into_iter();
        let Some(mut all) = parts.next() else {
            return SchoolsPart::default();
        };
        for part in parts {
            for s in part.schools {
                match all.position.get(s.rcdts()) {
                    Some(&k) => all.schools[k].take_from(s),
                    None => {
                        all.position.insert(s.rcdts().clone(), all.schools.len());
                        all.schools.push(s);
                    }
                }
            }
        }
        all
    }

    /// Groups a year's school records (all grades) by school; later
    /// records replace earlier ones.
    pub fn of_records<'a>(
        records: impl IntoIterator<Item = &'a Record>,
        year: u16,
        identity: &Identity,
    ) -> SchoolsPart {
        let mut part = SchoolsPart::default();
        for r in records {
            part.add(r, year, identity);
        }
        part
    }

    /// Adds one record: a school's record of `year` for all grades (others
    /// are passed over).
    pub fn add(&mut self, r: &Record, year: u16, identity: &Identity) {
        if r.year != year || r.level != Level::School || r.grade != Grade::All {
            return;
        }
        let Some(id) = &r.entity else { return };
        let (schools, position) = (&mut self.schools, &mut self.position);
        let k = match self.last {
            Some(k) if schools[k].rcdts.as_ref() == Some(id) => k,
            _ => *position.entry(id.clone()).or_insert_with(|| {
                schools.push(SchoolData {
                    district: identity.ids.district_of(id),
                    rcdts: Some(id.clone()),
                    ..Default::default()
                });
                schools.len() - 1
            }),
        };
        self.last = Some(k);
        let s = &mut schools[k];
        match (&r.value, &*r.measure) {
            (Value::Text(t), m) if m == identity.name => s.name = t.clone(),
            (Value::Text(t), m) if m == identity.grades_served => s.grades = parse_grades(t),
            (Value::Text(t), m) if m == identity.official_designation => {
                s.official = t.parse().ok()
            }
            (Value::Text(t), m) if m == identity.title1 => s.title1_status = Some(t.clone()),
            (Value::Number(x), _) => {
                s.set_keyed(
                    &r.measure, // the Arc, not the str: see `set_keyed`
                    || Arc::clone(&r.measure),
                    r.group,
                    r.subject,
                    Observation { value: *x, n: r.n },
                );
            }
            _ => {}
        }
    }
}
