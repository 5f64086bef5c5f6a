//! The review's ratings: each member of the district team rates every
//! property on their own; the team then sees where they agree and where
//! they differ, and settles a team rating.

use crate::rules::RarRules;
use serde::{Deserialize, Serialize};

/// One rating of one property.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    pub property: String,
    pub level: String,
    #[serde(default)]
    pub evidence: String,
}

/// Checks ratings against the rules: known properties and levels, each
/// property at most once. The problem names the rating.
pub fn check(rules: &RarRules, ratings: &[Rating]) -> Result<(), (usize, String)> {
    for (i, r) in ratings.iter().enumerate() {
        if rules.property(&r.property).is_none() {
            return Err((i, format!("`{}` is not a property", r.property)));
        }
        if rules.level(&r.level).is_none() {
            return Err((
                i,
                format!(
                    "`{}` is not a level: one of {}",
                    r.level,
                    rules
                        .levels
                        .iter()
                        .map(|l| l.slug.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if ratings[..i].iter().any(|x| x.property == r.property) {
            return Err((i, format!("`{}` is rated twice", r.property)));
        }
        if r.evidence.len() > 10_000 {
            return Err((i, "evidence of at most 10,000 characters".into()));
        }
    }
    Ok(())
}

/// Where the members stand on one property.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    pub property: String,
    /// Each member's level, in the members' order (`None`: not rated yet).
    pub levels: Vec<Option<String>>,
    /// Every member rated it, and all alike.
    pub agree: bool,
    /// Levels apart between the lowest and highest rating given.
    pub spread: usize,
}

/// For each property of the rules, where the members agree and differ.
pub fn compare(rules: &RarRules, members: &[Vec<Rating>]) -> Vec<Agreement> {
    let index = |slug: &str| rules.levels.iter().position(|l| l.slug == slug);
    rules
        .property
        .iter()
        .map(|p| {
            let levels: Vec<Option<String>> = members
                .iter()
                .map(|m| {
                    m.iter()
                        .find(|r| r.property == p.slug)
                        .map(|r| r.level.clone())
                })
                .collect();
            let given: Vec<usize> = levels.iter().flatten().filter_map(|l| index(l)).collect();
            let spread = match (given.iter().min(), given.iter().max()) {
                (Some(lo), Some(hi)) => hi - lo,
                _ => 0,
            };
            Agreement {
                property: p.slug.clone(),
                agree: !levels.is_empty() && levels.iter().all(Option::is_some) && spread == 0,
                spread,
                levels,
            }
        })
        .collect()
}
