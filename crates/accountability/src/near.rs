//! Near the cut: the school-bands whose all-students index or a
//! qualifying group's index lies within a few points of a cut, on either
//! side, each with the cut, the group, the distance and what a move of
//! that size would do. The analyst's daily question, "which schools are
//! close?", from the designations already computed.

use crate::designate::{BandResult, Designations};
use empower_model::{Band, Designation, Group};
use empower_rules::Pool;
use serde::{Deserialize, Serialize};

/// Which cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cut {
    /// The all-students index at or below which a school in the pool is
    /// Comprehensive.
    Comprehensive,
    /// The index at or below which a qualifying group underperforms.
    Targeted,
    /// The all-students index at or above which a school is in the top
    /// 10% (Exemplary).
    Top,
}

impl Cut {
    pub fn as_str(self) -> &'static str {
        match self {
            Cut::Comprehensive => "comprehensive",
            Cut::Targeted => "targeted",
            Cut::Top => "top",
        }
    }
}

/// One index near one cut.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NearCut {
    pub rcdts: String,
    pub school_name: String,
    pub band: Option<Band>,
    pub designation: Option<Designation>,
    pub cut: Cut,
    /// The group whose index it is (`All` for the school's own index).
    pub group: Group,
    pub index: f64,
    pub cut_value: f64,
    /// index − cut: negative or zero at or below the cut.
    pub distance: f64,
    /// `above` the cut, or `at-or-below` it.
    pub direction: String,
    /// What a move of that size would do, in words.
    pub meaning: String,
}

fn near(r: &BandResult, cut: Cut, group: Group, index: f64, cut_value: f64) -> NearCut {
    let distance = index - cut_value;
    let below = distance <= 0.0;
    let whose = if group == Group::All {
        "the all-students index".to_string()
    } else {
        format!("the {} group's index", group.label())
    };
    let gap = distance.abs();
    let meaning = match (cut, below) {
        (Cut::Comprehensive, true) => format!(
            "{whose} is {gap:.2} at or below the Comprehensive cut: a rise of more than {gap:.2} points would clear it"
        ),
        (Cut::Comprehensive, false) => format!(
            "{whose} is {gap:.2} above the Comprehensive cut: a drop of {gap:.2} points would make the school Comprehensive"
        ),
        (Cut::Targeted, true) => format!(
            "{whose} is {gap:.2} at or below the Targeted cut: a rise of more than {gap:.2} points would clear it"
        ),
        (Cut::Targeted, false) => format!(
            "{whose} is {gap:.2} above the Targeted cut: a drop of {gap:.2} points would make the group underperform"
        ),
        (Cut::Top, true) if distance < 0.0 => format!(
            "{whose} is {gap:.2} below the top-10% cut: a rise of {gap:.2} points would make the school Exemplary"
        ),
        (Cut::Top, _) => format!(
            "{whose} is {gap:.2} at or above the top-10% cut: a drop of more than {gap:.2} points would lose it"
        ),
    };
    NearCut {
        rcdts: r.rcdts.to_string(),
        school_name: r.school_name.clone(),
        band: r.band,
        designation: r.designation,
        cut,
        group,
        index,
        cut_value,
        distance,
        direction: if below { "at-or-below" } else { "above" }.to_string(),
        meaning,
    }
}

/// Every index within `within` points of a cut of its band, closest
/// first: the all-students index against the Comprehensive cut (for
/// schools in its pool) and the top cut, each qualifying group's index
/// against the Targeted cut.
pub fn near_cut(designations: &Designations, within: f64) -> Vec<NearCut> {
    let within = within.abs();
    let mut out = Vec::new();
    for r in &designations.rows {
        let Some(band) = r.band else { continue };
        let Some(cuts) = designations.cuts.get(&band) else {
            continue;
        };
        if let Some(index) = r.index {
            let in_pool = r.title1 || cuts.comprehensive_pool == Pool::All;
            if let Some(c) = cuts.comprehensive.filter(|_| in_pool) {
                if (index - c).abs() <= within {
                    out.push(near(r, Cut::Comprehensive, Group::All, index, c));
                }
            }
            if let Some(c) = cuts.top {
                if (index - c).abs() <= within {
                    out.push(near(r, Cut::Top, Group::All, index, c));
                }
            }
        }
        if let Some(c) = cuts.targeted {
            for g in r.groups.iter().filter(|g| g.qualifies) {
                if let Some(i) = g.index {
                    if (i - c).abs() <= within {
                        out.push(near(r, Cut::Targeted, g.group, i, c));
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| {
        a.distance
            .abs()
            .total_cmp(&b.distance.abs())
            .then(a.rcdts.cmp(&b.rcdts))
            .then(a.cut.as_str().cmp(b.cut.as_str()))
    });
    out
}
