//! Who may do what: one function per action, called by the use cases
//! before they load or write anything. Pages and the API never decide on
//! their own; they pass the caller (`None`: signed out) and show the
//! refusal. Each function answers `Ok(())` or the refusal to show:
//! `SignInRequired` (401 / sign-in page) or `Forbidden` (403).
//!
//! The roles and their scopes are platform.md's table. Actions the
//! programs add (apply, approve, pay...) get their functions here, next
//! to these, and their rows in the matrix test below.

use crate::accounts::{Actor, Role};
use crate::AppError;

fn signed_in(actor: Option<&Actor>) -> Result<&Actor, AppError> {
    actor.ok_or(AppError::SignInRequired)
}

fn state_admin(actor: Option<&Actor>, doing: &str) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    if actor.holds(Role::StateAdmin) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "only a state administrator may {doing}"
        )))
    }
}

/// Invite people, grant and take away roles, issue reset links, list the
/// accounts.
pub fn manage_users(actor: Option<&Actor>) -> Result<(), AppError> {
    state_admin(actor, "manage users, roles and invitations")
}

/// Browse the audit log.
pub fn read_audit(actor: Option<&Actor>) -> Result<(), AppError> {
    state_admin(actor, "read the audit log")
}

/// One's own account: who one is, sign out, change one's password.
pub fn own_account(actor: Option<&Actor>) -> Result<(), AppError> {
    signed_in(actor).map(|_| ())
}

/// Act for a school (its needs assessment, plan, budget, partner
/// application): a state administrator or coordinator, a leader of its
/// district, or a leader of the school itself.
pub fn act_for_school(actor: Option<&Actor>, school: &str, district: &str) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    let ok = actor.holds(Role::StateAdmin)
        || actor.holds(Role::StateCoordinator)
        || actor.holds_for(Role::DistrictLeader, district)
        || actor.holds_for(Role::SchoolLeader, school);
    if ok {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "you may not act for school {school}: that takes a role for the school, its district or the state"
        )))
    }
}

/// See who holds roles for a school (its leaders, its district's
/// leaders and employers, its partner contacts): whoever may act for it.
pub fn see_school_people(
    actor: Option<&Actor>,
    school: &str,
    district: &str,
) -> Result<(), AppError> {
    act_for_school(actor, school, district)
}

/// Open Peer Learning Partner rounds.
pub fn manage_partner_rounds(actor: Option<&Actor>) -> Result<(), AppError> {
    state_admin(actor, "open Peer Learning Partner rounds")
}

/// Apply for a school to become a Peer Learning Partner: its own school
/// leaders only.
pub fn apply_as_partner(actor: Option<&Actor>, school: &str) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    if actor.holds_for(Role::SchoolLeader, school) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "only a school leader of school {school} may apply for it"
        )))
    }
}

/// See a partner application, its evidence files and its status: whoever
/// may act for the school (the state, its district's leaders, its own
/// leaders) and its partner contacts.
pub fn see_partner_application(
    actor: Option<&Actor>,
    school: &str,
    district: &str,
) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    if actor.holds_for(Role::PartnerContact, school) {
        return Ok(());
    }
    act_for_school(Some(actor), school, district).map_err(|_| {
        AppError::Forbidden(format!(
            "you may not see school {school}'s partner application: that takes a role for the school, its district or the state"
        ))
    })
}

/// Approve or decline partner applications.
pub fn decide_partner_applications(actor: Option<&Actor>) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    if actor.holds(Role::StateAdmin) || actor.holds(Role::StateCoordinator) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only a state coordinator or administrator decides partner applications".into(),
        ))
    }
}

/// Record an engagement for a school of `district`: the state, or the
/// district's leaders.
pub fn record_engagement(actor: Option<&Actor>, district: &str) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    if actor.holds(Role::StateAdmin)
        || actor.holds(Role::StateCoordinator)
        || actor.holds_for(Role::DistrictLeader, district)
    {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "only the state or a leader of district {district} records its schools' engagements"
        )))
    }
}

/// Accept an engagement offered to the partner school `partner`: its
/// partner contacts.
pub fn accept_engagement(actor: Option<&Actor>, partner: &str) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    if actor.holds_for(Role::PartnerContact, partner) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "only a partner contact of school {partner} accepts its engagements"
        )))
    }
}

fn state_staff(actor: &Actor) -> bool {
    actor.holds(Role::StateAdmin) || actor.holds(Role::StateCoordinator)
}

fn state_staff_only(actor: Option<&Actor>, doing: &str) -> Result<(), AppError> {
    if state_staff(signed_in(actor)?) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "only a state coordinator or administrator may {doing}"
        )))
    }
}

/// Assign school support managers (coordinators) to schools.
pub fn assign_coordinators(actor: Option<&Actor>) -> Result<(), AppError> {
    state_admin(actor, "assign school support managers")
}

/// Enter a school's 1003(a) allocation: the state.
pub fn set_allocation(actor: Option<&Actor>) -> Result<(), AppError> {
    state_staff_only(actor, "enter allocations")
}

/// Queue the cycle's reminder mail: the state.
pub fn send_reminders(actor: Option<&Actor>) -> Result<(), AppError> {
    state_staff_only(actor, "send reminders")
}

/// See support managers' caseloads: the state.
pub fn see_caseloads(actor: Option<&Actor>) -> Result<(), AppError> {
    state_staff_only(actor, "see the support managers' caseloads")
}

/// Open a Teaching Excellence Program fiscal year, see its ledger, pay:
/// the program administrator.
pub fn administer_tep(actor: Option<&Actor>) -> Result<(), AppError> {
    if signed_in(actor)?.holds(Role::ProgramAdmin) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only the program administrator runs the Teaching Excellence Program's ledger".into(),
        ))
    }
}

/// Keep one's educator facts and request payments: educators.
pub fn act_as_educator(actor: Option<&Actor>) -> Result<(), AppError> {
    if signed_in(actor)?.holds(Role::Educator) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "the Teaching Excellence Program's requests are made by educators, signed in as themselves".into(),
        ))
    }
}

/// Verify an educator's position facts: an employer or a district leader
/// of the educator's district, never the educator themselves.
pub fn verify_positions(
    actor: Option<&Actor>,
    district: &str,
    educator_user_id: i64,
) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    if actor.user_id == educator_user_id {
        return Err(AppError::Forbidden(
            "an educator's position is verified by their employer, not by themselves".into(),
        ));
    }
    if actor.holds_for(Role::Employer, district) || actor.holds_for(Role::DistrictLeader, district)
    {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "only an employer or district leader of district {district} verifies its educators' positions"
        )))
    }
}

/// See a mentoring agreement and its log: its mentor, its recipients,
/// the program administrator.
pub fn see_tep_agreement(
    actor: Option<&Actor>,
    mentor: i64,
    recipients: &[i64],
) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    if actor.user_id == mentor
        || recipients.contains(&actor.user_id)
        || actor.holds(Role::ProgramAdmin)
    {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "a mentoring agreement is seen by its mentor, its recipients and the program administrator".into(),
        ))
    }
}

/// Keep an agreement's log: its mentor, signed in as themselves.
pub fn keep_tep_log(actor: Option<&Actor>, mentor: i64) -> Result<(), AppError> {
    if signed_in(actor)?.user_id == mentor {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "a mentoring log is kept by the agreement's mentor".into(),
        ))
    }
}

/// Sign a log line: the recipient it names, signed in as themselves.
pub fn sign_tep_log(actor: Option<&Actor>, recipient: i64) -> Result<(), AppError> {
    if signed_in(actor)?.user_id == recipient {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "a log line is signed by the recipient it names, signed in as themselves".into(),
        ))
    }
}

/// Run the Resource Allocation Reviews' selection and notices: the
/// state.
pub fn run_rar(actor: Option<&Actor>) -> Result<(), AppError> {
    state_staff_only(
        actor,
        "select districts for Resource Allocation Reviews and notify them",
    )
}

/// See a district's notices and reviews: the state and the district's
/// leaders.
pub fn see_district_rar(actor: Option<&Actor>, district: &str) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    if state_staff(actor) || actor.holds_for(Role::DistrictLeader, district) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "district {district}'s Resource Allocation Review is seen by the state and the district's leaders"
        )))
    }
}

/// Act for the district in its review (acknowledge, rate, set goals):
/// the district's leaders, its team.
pub fn act_for_district_rar(actor: Option<&Actor>, district: &str) -> Result<(), AppError> {
    if signed_in(actor)?.holds_for(Role::DistrictLeader, district) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "only a district leader of district {district} acts for its team"
        )))
    }
}

/// Open a district's review: the state (a facilitated review) or the
/// district's own leaders (a self-guided one); the kind it opens.
pub fn open_rar_review(actor: Option<&Actor>, district: &str) -> Result<&'static str, AppError> {
    let actor = signed_in(actor)?;
    if state_staff(actor) {
        Ok("facilitated")
    } else if actor.holds_for(Role::DistrictLeader, district) {
        Ok("self-guided")
    } else {
        Err(AppError::Forbidden(format!(
            "a review of district {district} is opened by the state or by the district's leaders"
        )))
    }
}

/// Set goals for improvement and record their progress: the district's
/// leaders and the state.
pub fn set_rar_goals(actor: Option<&Actor>, district: &str) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    if state_staff(actor) || actor.holds_for(Role::DistrictLeader, district) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "district {district}'s goals are set by its leaders and the state"
        )))
    }
}

/// Open a help-line request, start and submit the needs assessment and
/// the work plan: the school's own school leaders.
pub fn lead_improvement(actor: Option<&Actor>, school: &str) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    if actor.holds_for(Role::SchoolLeader, school) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "only a school leader of school {school} does this for it"
        )))
    }
}

/// Change the needs assessment or the plan while it is open: the school's
/// leaders, and the contacts of a partner with an accepted engagement
/// with the school (`engaged`: those partners' school ids).
pub fn contribute_to_improvement(
    actor: Option<&Actor>,
    school: &str,
    engaged: &[String],
) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    if actor.holds_for(Role::SchoolLeader, school)
        || engaged
            .iter()
            .any(|p| actor.holds_for(Role::PartnerContact, p))
    {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "only a school leader of school {school}, or a partner engaged with it, changes its needs assessment and plan"
        )))
    }
}

/// See a school's needs assessment, plan, versions and help requests:
/// whoever may act for it, and engaged partners.
pub fn see_improvement(
    actor: Option<&Actor>,
    school: &str,
    district: &str,
    engaged: &[String],
) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    if engaged
        .iter()
        .any(|p| actor.holds_for(Role::PartnerContact, p))
    {
        return Ok(());
    }
    act_for_school(Some(actor), school, district)
}

/// Review a plan: the district's leaders at the district (LEA) level, the
/// state at the state (SEA) level.
pub fn review_plan(
    actor: Option<&Actor>,
    state_level: bool,
    district: &str,
) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    let ok = if state_level {
        state_staff(actor)
    } else {
        actor.holds_for(Role::DistrictLeader, district)
    };
    if ok {
        Ok(())
    } else if state_level {
        Err(AppError::Forbidden(
            "only a state coordinator or administrator reviews at the state level".into(),
        ))
    } else {
        Err(AppError::Forbidden(format!(
            "only a leader of district {district} reviews its schools' plans at the district level"
        )))
    }
}

/// Reply to a help-line request: the state, or the person who asked.
pub fn reply_to_help(actor: Option<&Actor>, requester: Option<i64>) -> Result<(), AppError> {
    let actor = signed_in(actor)?;
    if state_staff(actor) || Some(actor.user_id) == requester {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only the state or the person who asked replies to a help request".into(),
        ))
    }
}

/// The improvement dashboard: the state sees every school, a district
/// leader its district's; `Ok(None)` for the state, `Ok(Some(districts))`
/// otherwise.
pub fn improvement_dashboard(actor: Option<&Actor>) -> Result<Option<Vec<String>>, AppError> {
    let actor = signed_in(actor)?;
    if state_staff(actor) {
        return Ok(None);
    }
    let districts: Vec<String> = actor
        .grants
        .iter()
        .filter(|g| g.role == Role::DistrictLeader)
        .filter_map(|g| g.scope.clone())
        .collect();
    if districts.is_empty() {
        Err(AppError::Forbidden(
            "the improvement dashboard is for the state and district leaders".into(),
        ))
    } else {
        Ok(Some(districts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Grant;

    const SCHOOL: &str = "010010010262002";
    const DISTRICT: &str = "010010010260000";
    const OTHER_SCHOOL: &str = "020010010262001";
    const OTHER_DISTRICT: &str = "020010010260000";

    fn actor(role: Role, scope: Option<&str>) -> Actor {
        Actor {
            user_id: 1,
            email: "a@example.org".into(),
            name: "A".into(),
            grants: vec![Grant {
                role,
                scope: scope.map(str::to_string),
            }],
        }
    }

    /// Every role (and signed out) against every action: the expected
    /// answer, written out.
    #[test]
    fn matrix() {
        use AppError::*;
        type Check = fn(Option<&Actor>) -> Result<(), AppError>;
        let school: Check = |a| act_for_school(a, SCHOOL, DISTRICT);
        let actions: [(&str, Check); 4] = [
            ("manage_users", manage_users),
            ("read_audit", read_audit),
            ("own_account", own_account),
            ("act_for_school", school),
        ];
        let people: Vec<(&str, Option<Actor>, [bool; 4])> = vec![
            ("signed out", None, [false; 4]),
            (
                "state-admin",
                Some(actor(Role::StateAdmin, None)),
                [true; 4],
            ),
            (
                "state-coordinator",
                Some(actor(Role::StateCoordinator, None)),
                [false, false, true, true],
            ),
            (
                "district-leader",
                Some(actor(Role::DistrictLeader, Some(DISTRICT))),
                [false, false, true, true],
            ),
            (
                "district-leader elsewhere",
                Some(actor(Role::DistrictLeader, Some(OTHER_DISTRICT))),
                [false, false, true, false],
            ),
            (
                "school-leader",
                Some(actor(Role::SchoolLeader, Some(SCHOOL))),
                [false, false, true, true],
            ),
            (
                "school-leader elsewhere",
                Some(actor(Role::SchoolLeader, Some(OTHER_SCHOOL))),
                [false, false, true, false],
            ),
            (
                "partner-contact",
                Some(actor(Role::PartnerContact, Some(SCHOOL))),
                [false, false, true, false],
            ),
            (
                "educator",
                Some(actor(Role::Educator, None)),
                [false, false, true, false],
            ),
            (
                "employer",
                Some(actor(Role::Employer, Some(DISTRICT))),
                [false, false, true, false],
            ),
            (
                "program-admin",
                Some(actor(Role::ProgramAdmin, None)),
                [false, false, true, false],
            ),
        ];
        for (who, a, expected) in &people {
            for ((action, check), allowed) in actions.iter().zip(expected) {
                let got = check(a.as_ref());
                match (allowed, &got, a) {
                    (true, Ok(()), _) => {}
                    (false, Err(SignInRequired), None) => {}
                    (false, Err(Forbidden(_)), Some(_)) => {}
                    _ => panic!("{who} / {action}: expected allowed={allowed}, got {got:?}"),
                }
            }
        }
    }
}
