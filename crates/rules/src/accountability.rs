use crate::checks::{above, in_range, known_measure, no_duplicates, reject_non_finite};
use crate::RulesError;
use empower_model::MeasureCatalogue;
use empower_model::{Band, Designation, Group, Subject};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// One state's accountability rules for a span of report-card years.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountabilityRules {
    pub name: String,
    /// Version of this rules file; printed with every result so a published
    /// designation can be traced to the rules that made it.
    pub version: String,
    pub state: String,
    /// Report-card years these rules apply to (inclusive); `last` open-ended.
    pub first_year: u16,
    pub last_year: Option<u16>,
    /// Display names of the designations in these years.
    pub labels: IndexMap<Designation, String>,
    /// Which band stands for a dual-band school when the data has one
    /// published designation per school.
    pub official_band: Band,
    pub bands: IndexMap<Band, BandRules>,
    pub groups: GroupRules,
    pub cuts: CutRules,
    pub graduation: GraduationRules,
    pub title1: Title1Rules,
    pub pairing: PairingRules,
    pub status: StatusRules,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandRules {
    /// Numbered grades (1-12) that put a school in this band.
    pub grades: Vec<u8>,
    pub indicators: IndexMap<String, IndicatorRules>,
}

impl BandRules {
    /// Whether a school serving `grades` is in this band.
    pub fn serves(&self, grades: &[u8]) -> bool {
        grades.iter().any(|g| self.grades.contains(g))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// Test-based (proficiency, growth, graduation).
    Academic,
    /// Chronic absenteeism, on track: one is needed for a group to qualify.
    NonAcademic,
    /// Scored 100 for every school in the band; enters every index but never
    /// counts towards a group's qualification.
    FullCredit,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorRules {
    pub label: String,
    pub weight: f64,
    pub kind: IndicatorKind,
    /// Canonical measures read for this indicator; when several are present
    /// they are averaged (graduation: 4-, 5- and 6-year rates).
    #[serde(default)]
    pub measures: Vec<String>,
    #[serde(default)]
    pub subject: Option<Subject>,
    /// A value of exactly 0 means "no cohort" and is treated as missing.
    #[serde(default)]
    pub zero_is_missing: bool,
    pub scoring: Scoring,
    /// Where the count behind a group's value comes from.
    #[serde(default)]
    pub n: Option<CountSource>,
    /// Minimum count for the all-students value to be used (groups use
    /// `groups.min_n`).
    #[serde(default)]
    pub all_students_min_n: Option<f64>,
    /// A school has an index in the band only if at least one indicator
    /// marked this way has an all-students value.
    #[serde(default)]
    pub required_for_index: bool,
}

/// Conversion of an indicator value to a score 0..100.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "function", rename_all = "snake_case", deny_unknown_fields)]
pub enum Scoring {
    /// Straight line through (zero_at, 0) and (full_at, 100), clipped to
    /// 0..100. `zero_at > full_at` for "lower is better" measures.
    Linear { zero_at: f64, full_at: f64 },
    /// 100 × sqrt of the linear fraction: rewards the first points more.
    Sqrt { zero_at: f64, full_at: f64 },
    /// Percentile rank (0..100) of the value among the all-students values
    /// of the band's schools; `lower_is_better` flips it.
    Percentile {
        #[serde(default)]
        lower_is_better: bool,
    },
    /// 100 for every school in the band.
    FullCredit,
}

impl Scoring {
    /// Score for a value where the function needs no population.
    /// Returns `None` for `Percentile`, which the engine ranks itself.
    pub fn score(&self, value: f64) -> Option<f64> {
        match *self {
            Scoring::Linear { zero_at, full_at } => {
                Some((100.0 * (value - zero_at) / (full_at - zero_at)).clamp(0.0, 100.0))
            }
            Scoring::Sqrt { zero_at, full_at } => {
                let f = ((value - zero_at) / (full_at - zero_at)).clamp(0.0, 1.0);
                Some(100.0 * f.sqrt())
            }
            Scoring::FullCredit => Some(100.0),
            Scoring::Percentile { .. } => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Scoring::Linear { zero_at, full_at } => {
                format!("linear: {zero_at} → 0 points, {full_at} → 100 points")
            }
            Scoring::Sqrt { zero_at, full_at } => {
                format!("square root: {zero_at} → 0 points, {full_at} → 100 points")
            }
            Scoring::Percentile { lower_is_better } => format!(
                "statewide percentile rank{}",
                if *lower_is_better {
                    " (lower is better)"
                } else {
                    ""
                }
            ),
            Scoring::FullCredit => "full credit".into(),
        }
    }
}

/// The count behind a group's indicator value (minimum-n rules).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case", deny_unknown_fields)]
pub enum CountSource {
    /// A counted measure of the same group, e.g. ELA participation count.
    Measure {
        measure: String,
        #[serde(default)]
        subject: Option<Subject>,
    },
    /// Enrolment × the group's share of enrolment ÷ `divisor` (a quarter of
    /// enrolment stands for one graduating or ninth-grade cohort). The
    /// measures holding the enrolment and the group's share (in %) are
    /// named, `enrollment` and `enrollment_pct` unless the rules say.
    EnrollmentShare {
        divisor: f64,
        #[serde(default = "enrollment_measure")]
        total: String,
        #[serde(default = "enrollment_pct_measure")]
        share: String,
    },
    /// A counted measure scaled to the grades the indicator covers: the
    /// count × |grades served ∩ `grades`| ÷ |grades served ∩ `of`|. Growth
    /// needs a prior-year score, so a K-5 school's growth count covers
    /// grades 4-5 of its tested grades 3-5.
    GradeShare {
        measure: String,
        #[serde(default)]
        subject: Option<Subject>,
        grades: Vec<u8>,
        of: Vec<u8>,
    },
}

fn enrollment_measure() -> String {
    "enrollment".into()
}
fn enrollment_pct_measure() -> String {
    "enrollment_pct".into()
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRules {
    /// Groups tested for the Targeted designation.
    pub eligible: Vec<Group>,
    /// Groups the law names that this data cannot compute, with the reason,
    /// printed in explanations.
    #[serde(default)]
    pub not_computable: IndexMap<Group, String>,
    pub min_n: f64,
    /// Number of indicators with n ≥ min_n that a group needs to qualify.
    pub min_indicators: usize,
    pub require_non_academic: bool,
    /// In a band with the graduation indicator (high school), a group
    /// index needs a graduation value.
    #[serde(default)]
    pub hs_requires_graduation: bool,
    /// Name of the indicator that `hs_requires_graduation` refers to.
    #[serde(default)]
    pub graduation_indicator: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pool {
    /// Every school in the band with an index.
    All,
    /// Title I schools of the band (all schools when no Title I data).
    Title1,
}

impl Pool {
    pub fn as_str(self) -> &'static str {
        match self {
            Pool::All => "all",
            Pool::Title1 => "title1",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cut {
    /// Share of the pool (0.05 = 5%).
    pub share: f64,
    pub pool: Pool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CutRules {
    /// Bottom cut whose all-students index makes a Title I school Comprehensive.
    pub comprehensive: Cut,
    /// Bottom cut a student group's index is compared with (Targeted).
    pub targeted: Cut,
    /// Top cut for Exemplary.
    pub top: Cut,
    /// Designation of a school outside the Comprehensive pool whose
    /// all-students index is at or below the Targeted cut (`None`: no rule).
    #[serde(default)]
    pub outside_pool_bottom: Option<Designation>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraduationRules {
    pub band: Band,
    pub measure: String,
    /// Rate at or below which the school is Comprehensive.
    pub threshold: f64,
    pub zero_is_missing: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Title1Rules {
    /// Canonical measure holding the status text.
    pub measure: String,
    /// Status values that count as Title I (compared ignoring case).
    pub counts: Vec<String>,
}

impl Title1Rules {
    pub fn counts_as_title1(&self, status: &str) -> bool {
        let s = status.trim();
        self.counts.iter().any(|c| c.eq_ignore_ascii_case(s))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairingRules {
    pub enabled: bool,
    /// The partner's lowest grade is this many grades above the untested
    /// school's highest, inclusive.
    pub min_grade_gap: u8,
    pub max_grade_gap: u8,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRules {
    /// Term names of a cycle; the cycle lasts as many years as it has terms.
    pub terms: Vec<String>,
    /// Cohorts whose cycle used other terms.
    #[serde(default)]
    pub cohort_terms: Vec<CohortTerms>,
    /// First designation year in which a Comprehensive school that ends its
    /// cycle still meeting the criteria becomes Intensive.
    pub intensive_from_year: Option<u16>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortTerms {
    pub cohorts: Vec<u16>,
    pub terms: Vec<String>,
}

impl StatusRules {
    pub fn terms_for(&self, cohort: u16) -> &[String] {
        self.cohort_terms
            .iter()
            .find(|c| c.cohorts.contains(&cohort))
            .map(|c| c.terms.as_slice())
            .unwrap_or(&self.terms)
    }
}

impl AccountabilityRules {
    /// Parses and validates a rules file's text. `source_name` names the
    /// file in error messages.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Self, RulesError> {
        let doc: toml::Value = toml::from_str(text).map_err(|e| RulesError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        Self::from_value(doc, source_name)
    }

    /// Builds rules from an already parsed (and perhaps overridden) document.
    pub fn from_value(doc: toml::Value, source_name: &str) -> Result<Self, RulesError> {
        reject_non_finite(&doc).map_err(|message| RulesError::Invalid {
            source_name: source_name.to_string(),
            message,
        })?;
        let rules: AccountabilityRules =
            doc.try_into()
                .map_err(|e: toml::de::Error| RulesError::Parse {
                    source_name: source_name.to_string(),
                    message: e.to_string(),
                })?;
        rules.validate().map_err(|message| RulesError::Invalid {
            source_name: source_name.to_string(),
            message,
        })?;
        Ok(rules)
    }

    pub fn applies_to(&self, year: u16) -> bool {
        year >= self.first_year && self.last_year.is_none_or(|l| year <= l)
    }

    pub fn label(&self, d: Designation) -> &str {
        self.labels
            .get(&d)
            .map(String::as_str)
            .unwrap_or(d.as_str())
    }

    /// Bands a school serving these numbered grades belongs to.
    pub fn bands_for(&self, grades: &[u8]) -> Vec<Band> {
        self.bands
            .iter()
            .filter(|(_, b)| b.serves(grades))
            .map(|(band, _)| *band)
            .collect()
    }

    /// Checks that every measure the rules read is in the state's
    /// catalogue (a misspelled measure would silently mean "no data"), and
    /// that the Title I statuses counted are words the catalogue knows.
    pub fn check_measures(&self, catalogue: &MeasureCatalogue) -> Result<(), String> {
        for (key, m) in self.measure_keys() {
            known_measure(catalogue, &key, m)?;
        }
        for c in &self.title1.counts {
            catalogue
                .check_text(&self.title1.measure, c)
                .map_err(|e| format!("`title1.counts`: {e}"))?;
        }
        Ok(())
    }

    /// Every measure the rules read: a run that only designates needs
    /// no other.
    pub fn measures_read(&self) -> std::collections::BTreeSet<&str> {
        self.measure_keys().into_iter().map(|(_, m)| m).collect()
    }

    /// Every measure the rules name, with the key naming it.
    fn measure_keys(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = Vec::new();
        for (band, b) in &self.bands {
            for (name, i) in &b.indicators {
                let key = format!("bands.{band}.indicators.{name}");
                for m in &i.measures {
                    out.push((format!("{key}.measures"), m));
                }
                match &i.n {
                    Some(CountSource::Measure { measure, .. })
                    | Some(CountSource::GradeShare { measure, .. }) => {
                        out.push((format!("{key}.n.measure"), measure))
                    }
                    Some(CountSource::EnrollmentShare { total, share, .. }) => {
                        out.push((format!("{key}.n.total"), total));
                        out.push((format!("{key}.n.share"), share));
                    }
                    None => {}
                }
            }
        }
        out.push(("graduation.measure".into(), &self.graduation.measure));
        out.push(("title1.measure".into(), &self.title1.measure));
        out
    }

    fn validate(&self) -> Result<(), String> {
        if self.bands.is_empty() {
            return Err("no bands defined".into());
        }
        in_range("first_year", self.first_year, 1990, 2100)?;
        if let Some(l) = self.last_year {
            in_range("last_year", l, self.first_year, 2100)?;
        }
        for (band, b) in &self.bands {
            if b.grades.is_empty() {
                return Err(format!("`bands.{band}.grades` is empty"));
            }
            for g in &b.grades {
                in_range(&format!("bands.{band}.grades"), *g, 1, 12)?;
            }
            let total: f64 = b.indicators.values().map(|i| i.weight).sum();
            if (total - 100.0).abs() > 0.05 {
                return Err(format!(
                    "the weights of band {band} add up to {total}, not 100"
                ));
            }
            if !b.indicators.values().any(|i| i.required_for_index) {
                return Err(format!(
                    "band {band} has no indicator marked required_for_index"
                ));
            }
            for (name, i) in &b.indicators {
                let key = |k: &str| format!("bands.{band}.indicators.{name}.{k}");
                in_range(&key("weight"), i.weight, 0.0, 100.0)?;
                if i.kind != IndicatorKind::FullCredit && i.measures.is_empty() {
                    return Err(format!("{band}.{name}: no measures to read"));
                }
                no_duplicates(&key("measures"), i.measures.iter().map(String::as_str))?;
                if let Scoring::Linear { zero_at, full_at } | Scoring::Sqrt { zero_at, full_at } =
                    i.scoring
                {
                    in_range(&key("scoring.zero_at"), zero_at, -1e6, 1e6)?;
                    in_range(&key("scoring.full_at"), full_at, -1e6, 1e6)?;
                    if zero_at == full_at {
                        return Err(format!(
                            "{band}.{name}: scoring needs zero_at different from full_at"
                        ));
                    }
                }
                if let Some(n) = i.all_students_min_n {
                    in_range(&key("all_students_min_n"), n, 0.0, 1e6)?;
                }
                match &i.n {
                    Some(CountSource::EnrollmentShare { divisor, .. }) => {
                        above(&key("n.divisor"), *divisor, 0.0, 1000.0)?
                    }
                    Some(CountSource::GradeShare { grades, of, .. }) => {
                        if of.is_empty() {
                            return Err(format!("`{}` is empty", key("n.of")));
                        }
                        for g in grades.iter().chain(of) {
                            in_range(&key("n.grades"), *g, 0, 12)?;
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(g) = &self.groups.graduation_indicator {
            if self.groups.hs_requires_graduation
                && !self.bands.values().any(|b| b.indicators.contains_key(g))
            {
                return Err(format!(
                    "groups.graduation_indicator `{g}` is not an indicator of any band"
                ));
            }
        }
        in_range("groups.min_n", self.groups.min_n, 1.0, 10_000.0)?;
        let most = self
            .bands
            .values()
            .map(|b| b.indicators.len())
            .max()
            .unwrap_or(0);
        in_range(
            "groups.min_indicators",
            self.groups.min_indicators,
            1,
            most.max(1),
        )?;
        for (what, c) in [
            ("comprehensive", &self.cuts.comprehensive),
            ("targeted", &self.cuts.targeted),
            ("top", &self.cuts.top),
        ] {
            if !(c.share > 0.0 && c.share < 1.0) {
                return Err(format!(
                    "`cuts.{what}.share` = {} must be between 0 and 1 (0.05 = 5%)",
                    c.share
                ));
            }
        }
        in_range(
            "graduation.threshold",
            self.graduation.threshold,
            0.0,
            100.0,
        )?;
        if self.title1.counts.is_empty() {
            return Err("`title1.counts` is empty: no school could be Title I".into());
        }
        in_range("pairing.max_grade_gap", self.pairing.max_grade_gap, 0, 12)?;
        in_range(
            "pairing.min_grade_gap",
            self.pairing.min_grade_gap,
            0,
            self.pairing.max_grade_gap,
        )?;
        if self.status.terms.is_empty() {
            return Err("status.terms is empty".into());
        }
        if let Some(y) = self.status.intensive_from_year {
            in_range("status.intensive_from_year", y, 1990, 2100)?;
        }
        if self.groups.eligible.contains(&Group::All) {
            return Err("groups.eligible must not contain `all`: the all-students figures are not a student group".into());
        }
        no_duplicates(
            "groups.eligible",
            self.groups.eligible.iter().map(|g| g.slug()),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_scoring_clips_and_inverts() {
        let growth = Scoring::Linear {
            zero_at: 28.0,
            full_at: 73.0,
        };
        assert_eq!(growth.score(28.0), Some(0.0));
        assert_eq!(growth.score(73.0), Some(100.0));
        assert_eq!(growth.score(10.0), Some(0.0));
        assert_eq!(growth.score(90.0), Some(100.0));
        assert!((growth.score(50.5).unwrap() - 50.0).abs() < 1e-9);
        let absenteeism = Scoring::Linear {
            zero_at: 40.0,
            full_at: 0.0,
        };
        assert_eq!(absenteeism.score(10.0), Some(75.0));
        assert_eq!(absenteeism.score(55.0), Some(0.0));
    }

    #[test]
    fn sqrt_scoring() {
        let s = Scoring::Sqrt {
            zero_at: 0.0,
            full_at: 100.0,
        };
        assert_eq!(s.score(25.0), Some(50.0));
        assert_eq!(s.score(100.0), Some(100.0));
    }
}
