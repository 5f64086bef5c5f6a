//! Every route of the application in one table, which the router is
//! built from and the authorization matrix test reads: a route added
//! here without a matrix entry fails that test.

use crate::{
    account_api, account_pages, api, download, improvement_api, improvement_pages, metrics, pages,
    partner_api, partner_forms, partner_pages, rar_api, rar_pages, tep_api, tep_pages, AppState,
};
use axum::routing::{get, patch, post, put, MethodRouter};

/// Pages answer HTML (a refused signed-out request is sent to the sign-in
/// page); the API answers JSON (`401`/`403` problems).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    Page,
    Api,
}

/// Who a route is for, as documentation and for the matrix test; the
/// decision itself is the use case's (`empower_app::policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Anyone, signed in or not.
    Anyone,
    /// Anyone holding the route's single-use link.
    LinkHolder,
    /// Anyone signed in.
    SignedIn,
    /// Those who may act for the school in the path (state, its
    /// district's leaders, its own leaders).
    ForSchool,
    /// State administrators.
    StateAdmin,
    /// State coordinators and administrators.
    State,
    /// The school's own school leaders.
    SchoolLeader,
    /// The state, or the leaders of the school's district.
    StateOrDistrict,
    /// Those holding the partner-contact role of the partner concerned.
    ForPartner,
    /// The school leaders of the school concerned, or the contacts of a
    /// partner engaged with it.
    SchoolOrEngagedPartner,
    /// The state, or the leaders of the plan's school's district (each at
    /// its level).
    Reviewer,
    /// The state or the person who asked.
    StateOrRequester,
    /// The state, or a district leader (their district's schools).
    StateOrDistrictLeaders,
    /// Those who may see a school's improvement records: the state, its
    /// district's and school's leaders, engaged partners.
    ForSchoolOrEngagedPartner,
    /// Those who may see a partner application: the state, its school's
    /// district leaders and school leaders, its partner contacts.
    ForApplication,
    /// Educators, each for themselves (their facts, requests, agreements
    /// as mentor, the log lines naming them).
    Educator,
    /// Employers and district leaders, each for their own district.
    EmployerOrDistrictLeader,
    /// The program administrator.
    ProgramAdmin,
    /// A mentoring agreement's mentor and recipients, the program
    /// administrator.
    ForAgreement,
    /// The state, or the leaders of the district concerned.
    ForDistrict,
    /// The leaders of the district concerned (its review team).
    DistrictTeam,
    /// The state, or the district's own leaders (a self-guided review).
    StateOrDistrictTeam,
}

/// One route: its method, path, surface and audience.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub surface: Surface,
    pub audience: Audience,
}

impl Route {
    /// Whether the route changes anything.
    pub fn changes_state(&self) -> bool {
        self.method != "GET"
    }
}

macro_rules! routes {
    ($( $method:ident $path:literal $surface:ident $audience:ident => $handler:expr ),* $(,)?) => {
        /// The routes and their handlers.
        pub(crate) fn with_handlers() -> Vec<(Route, MethodRouter<AppState>)> {
            vec![$(
                (
                    Route {
                        method: routes!(@name $method),
                        path: $path,
                        surface: Surface::$surface,
                        audience: Audience::$audience,
                    },
                    $method($handler),
                ),
            )*]
        }
    };
    (@name get) => { "GET" };
    (@name post) => { "POST" };
    (@name patch) => { "PATCH" };
    (@name put) => { "PUT" };
}

routes! {
    // Public pages.
    get "/" Page Anyone => pages::search,
    get "/schools/{rcdts}" Page Anyone => pages::school,
    get "/schools/{rcdts}/explanation" Page Anyone => pages::explanation,
    get "/districts" Page Anyone => pages::districts,
    get "/districts/{rcdts}" Page Anyone => pages::district,
    get "/improved" Page Anyone => pages::improved,
    get "/schools.csv" Page Anyone => download::schools,
    get "/districts.csv" Page Anyone => download::districts,
    get "/districts/{rcdts}/schools.csv" Page Anyone => download::district_schools,
    get "/improved.csv" Page Anyone => download::improved,
    get "/partners" Page Anyone => partner_pages::directory,
    get "/schools/{rcdts}/partners" Page Anyone => partner_pages::recommendations,
    get "/partners/{rcdts}" Page Anyone => partner_pages::partner,
    // Peer Learning Partners, signed in.
    get "/partner-applications" Page SignedIn => partner_forms::applications,
    get "/partner-applications/new" Page SignedIn => partner_forms::new_application,
    post "/partner-applications" Page SchoolLeader => partner_forms::create_application,
    get "/partner-applications/{id}" Page ForApplication => partner_forms::application,
    post "/partner-applications/{id}" Page SchoolLeader => partner_forms::save_application,
    post "/partner-applications/{id}/submit" Page SchoolLeader => partner_forms::submit_application,
    post "/partner-applications/{id}/decision" Page State => partner_forms::decide,
    post "/partner-applications/{id}/files" Page SchoolLeader => partner_forms::upload,
    get "/partner-applications/{id}/files/{file}" Page ForApplication => partner_forms::download,
    post "/partner-applications/{id}/files/{file}/remove" Page SchoolLeader => partner_forms::remove_file,
    get "/admin/partner-rounds" Page StateAdmin => partner_forms::rounds,
    post "/admin/partner-rounds" Page StateAdmin => partner_forms::create_round,
    get "/schools/{rcdts}/engagements/new" Page StateOrDistrict => partner_forms::new_engagement,
    post "/engagements" Page StateOrDistrict => partner_forms::create_engagement,
    post "/engagements/{id}/accept" Page ForPartner => partner_forms::accept_engagement,
    // Accounts.
    get "/sign-in" Page Anyone => account_pages::sign_in_form,
    post "/sign-in" Page Anyone => account_pages::sign_in,
    post "/sign-out" Page SignedIn => account_pages::sign_out,
    get "/register" Page Anyone => account_pages::register_form,
    post "/register" Page Anyone => account_pages::register,
    get "/reset" Page Anyone => account_pages::reset_request_form,
    post "/reset" Page Anyone => account_pages::reset_request,
    get "/reset/{secret}" Page LinkHolder => account_pages::link_form,
    post "/reset/{secret}" Page LinkHolder => account_pages::use_link,
    get "/invitations/{secret}" Page LinkHolder => account_pages::link_form,
    post "/invitations/{secret}" Page LinkHolder => account_pages::use_link,
    get "/account" Page SignedIn => account_pages::account,
    get "/schools/{rcdts}/people" Page ForSchool => account_pages::school_people,
    post "/account/password" Page SignedIn => account_pages::change_password,
    // The improvement cycle.
    get "/improvement" Page StateOrDistrictLeaders => improvement_pages::dashboard,
    get "/improvement.csv" Page StateOrDistrictLeaders => improvement_pages::dashboard_csv,
    get "/improvement/reminders" Page StateOrDistrictLeaders => improvement_pages::reminders,
    post "/improvement/reminders" Page State => improvement_pages::queue_reminders,
    get "/improvement/caseloads" Page State => improvement_pages::caseloads,
    get "/schools/{rcdts}/improvement" Page ForSchoolOrEngagedPartner => improvement_pages::school,
    post "/schools/{rcdts}/needs-assessment" Page SchoolLeader => improvement_pages::open_assessment,
    get "/needs-assessments/{id}" Page ForSchoolOrEngagedPartner => improvement_pages::assessment,
    post "/needs-assessments/{id}" Page SchoolOrEngagedPartner => improvement_pages::save_assessment,
    post "/needs-assessments/{id}/submit" Page SchoolLeader => improvement_pages::submit_assessment,
    post "/needs-assessments/{id}/files" Page SchoolOrEngagedPartner => improvement_pages::upload_assessment_file,
    get "/needs-assessments/{id}/files/{file}" Page ForSchoolOrEngagedPartner => improvement_pages::assessment_file,
    post "/needs-assessments/{id}/files/{file}/remove" Page SchoolOrEngagedPartner => improvement_pages::remove_assessment_file,
    get "/needs-assessments/{id}/print" Page ForSchoolOrEngagedPartner => improvement_pages::assessment_print,
    get "/needs-assessments/{id}/pdf" Page ForSchoolOrEngagedPartner => improvement_pages::assessment_pdf,
    post "/schools/{rcdts}/work-plan" Page SchoolLeader => improvement_pages::open_plan,
    post "/schools/{rcdts}/allocation" Page State => improvement_pages::set_allocation,
    get "/help-requests" Page SignedIn => improvement_pages::help_requests,
    post "/help-requests" Page SchoolLeader => improvement_pages::open_help_request,
    get "/help-requests/{id}" Page ForSchool => improvement_pages::help_request,
    post "/help-requests/{id}/replies" Page StateOrRequester => improvement_pages::reply_to_help_request,
    post "/schools/{rcdts}/coordinator" Page StateAdmin => improvement_pages::assign_coordinator,
    get "/work-plans/{id}" Page ForSchoolOrEngagedPartner => improvement_pages::plan,
    post "/work-plans/{id}" Page SchoolOrEngagedPartner => improvement_pages::save_plan,
    post "/work-plans/{id}/submit" Page SchoolLeader => improvement_pages::submit_plan,
    post "/work-plans/{id}/review" Page Reviewer => improvement_pages::review_plan,
    post "/work-plans/{id}/amend" Page SchoolLeader => improvement_pages::amend_plan,
    get "/work-plans/{id}/print" Page ForSchoolOrEngagedPartner => improvement_pages::plan_print,
    get "/work-plans/{id}/pdf" Page ForSchoolOrEngagedPartner => improvement_pages::plan_pdf,
    // The Teaching Excellence Program.
    get "/tep" Page Educator => tep_pages::educator,
    post "/tep/educator" Page Educator => tep_pages::save_facts,
    post "/tep/requests" Page Educator => tep_pages::request,
    post "/tep/agreements" Page Educator => tep_pages::create_agreement,
    get "/tep/agreements/{id}" Page ForAgreement => tep_pages::agreement,
    post "/tep/agreements/{id}/logs" Page Educator => tep_pages::add_log,
    post "/tep/logs/{id}/sign" Page Educator => tep_pages::sign_log,
    get "/tep/verifications" Page EmployerOrDistrictLeader => tep_pages::verifications,
    post "/tep/verifications" Page EmployerOrDistrictLeader => tep_pages::verify,
    get "/tep/admin" Page ProgramAdmin => tep_pages::admin,
    post "/tep/admin/fiscal-years" Page ProgramAdmin => tep_pages::open_fiscal_year,
    post "/tep/admin/walk" Page ProgramAdmin => tep_pages::walk,
    post "/tep/admin/announcement" Page ProgramAdmin => tep_pages::announce,
    post "/tep/admin/requests/{id}/pay" Page ProgramAdmin => tep_pages::pay,
    get "/tep/ledger.csv" Page ProgramAdmin => tep_pages::ledger_csv,
    get "/tep/payments.csv" Page ProgramAdmin => tep_pages::payments_csv,
    // Resource Allocation Reviews.
    get "/rar" Page StateOrDistrictLeaders => rar_pages::selection,
    get "/rar/selection.csv" Page State => rar_pages::selection_csv,
    post "/rar/selection/add" Page State => rar_pages::add_district,
    post "/rar/selection/{district}/override" Page State => rar_pages::override_selection,
    post "/rar/notices" Page State => rar_pages::issue_notice,
    get "/rar/notices/{id}" Page ForDistrict => rar_pages::notice,
    get "/rar/notices/{id}/print" Page ForDistrict => rar_pages::notice_print,
    get "/rar/notices/{id}/pdf" Page ForDistrict => rar_pages::notice_pdf,
    post "/rar/notices/{id}/acknowledge" Page DistrictTeam => rar_pages::acknowledge,
    post "/rar/reviews" Page StateOrDistrictTeam => rar_pages::open_review,
    get "/rar/reviews/{id}" Page ForDistrict => rar_pages::review,
    post "/rar/reviews/{id}/ratings" Page DistrictTeam => rar_pages::save_ratings,
    post "/rar/reviews/{id}/comments" Page State => rar_pages::comment,
    post "/rar/reviews/{id}/goals" Page ForDistrict => rar_pages::add_goal,
    post "/rar/goals/{id}/progress" Page ForDistrict => rar_pages::goal_progress,
    get "/rar/districts/{rcdts}" Page ForDistrict => rar_pages::district_data,
    // Administration.
    get "/admin/users" Page StateAdmin => account_pages::users,
    post "/admin/invitations" Page StateAdmin => account_pages::invite,
    get "/admin/users/{id}" Page StateAdmin => account_pages::user,
    post "/admin/users/{id}/roles" Page StateAdmin => account_pages::grant_role,
    post "/admin/users/{id}/roles/remove" Page StateAdmin => account_pages::remove_role,
    post "/admin/users/{id}/reset" Page StateAdmin => account_pages::issue_reset,
    get "/admin/audit" Page StateAdmin => account_pages::audit,
    // The JSON API.
    get "/api/v1/schools" Api Anyone => api::schools,
    get "/api/v1/schools/{rcdts}" Api Anyone => api::school,
    get "/api/v1/schools/{rcdts}/explanation" Api Anyone => api::explanation,
    get "/api/v1/districts" Api Anyone => api::districts,
    get "/api/v1/districts/{rcdts}" Api Anyone => api::district,
    post "/api/v1/tokens" Api Anyone => account_api::create_token,
    get "/api/v1/me" Api SignedIn => account_api::me,
    get "/api/v1/audit" Api StateAdmin => account_api::audit,
    post "/api/v1/partner-rounds" Api StateAdmin => partner_api::create_round,
    post "/api/v1/partner-applications" Api SchoolLeader => partner_api::create_application,
    patch "/api/v1/partner-applications/{id}" Api SchoolLeader => partner_api::update_application,
    post "/api/v1/partner-applications/{id}/submit" Api SchoolLeader => partner_api::submit_application,
    post "/api/v1/partner-applications/{id}/decision" Api State => partner_api::decide,
    get "/api/v1/partners" Api Anyone => partner_api::directory,
    get "/api/v1/schools/{rcdts}/partner-recommendations" Api Anyone => partner_api::recommendations,
    post "/api/v1/engagements" Api StateOrDistrict => partner_api::create_engagement,
    post "/api/v1/engagements/{id}/accept" Api ForPartner => partner_api::accept_engagement,
    get "/api/v1/schools/{rcdts}/status" Api Anyone => improvement_api::status,
    post "/api/v1/schools/{rcdts}/coordinator" Api StateAdmin => improvement_api::assign_coordinator,
    put "/api/v1/schools/{rcdts}/allocation" Api State => improvement_api::set_allocation,
    post "/api/v1/help-requests" Api SchoolLeader => improvement_api::open_help_request,
    post "/api/v1/help-requests/{id}/replies" Api StateOrRequester => improvement_api::reply_to_help_request,
    post "/api/v1/needs-assessments" Api SchoolLeader => improvement_api::create_assessment,
    put "/api/v1/needs-assessments/{id}/ratings" Api SchoolOrEngagedPartner => improvement_api::save_ratings,
    post "/api/v1/needs-assessments/{id}/submit" Api SchoolLeader => improvement_api::submit_assessment,
    post "/api/v1/work-plans" Api SchoolLeader => improvement_api::create_plan,
    patch "/api/v1/work-plans/{id}" Api SchoolOrEngagedPartner => improvement_api::update_plan,
    post "/api/v1/work-plans/{id}/submit" Api SchoolLeader => improvement_api::submit_plan,
    post "/api/v1/work-plans/{id}/review" Api Reviewer => improvement_api::review_plan,
    post "/api/v1/work-plans/{id}/amend" Api SchoolLeader => improvement_api::amend_plan,
    get "/api/v1/work-plans/{id}/versions" Api ForSchoolOrEngagedPartner => improvement_api::versions,
    get "/api/v1/improvement/dashboard" Api StateOrDistrictLeaders => improvement_api::dashboard,
    post "/api/v1/tep/fiscal-years" Api ProgramAdmin => tep_api::open_fiscal_year,
    post "/api/v1/tep/fiscal-years/{fiscal_year}/rewalk" Api ProgramAdmin => tep_api::rewalk,
    get "/api/v1/tep/educators/me" Api Educator => tep_api::my_facts,
    put "/api/v1/tep/educators/me" Api Educator => tep_api::save_facts,
    get "/api/v1/tep/eligibility" Api Educator => tep_api::eligibility,
    post "/api/v1/tep/verifications" Api EmployerOrDistrictLeader => tep_api::verify,
    get "/api/v1/tep/requests" Api Educator => tep_api::my_requests,
    post "/api/v1/tep/requests" Api Educator => tep_api::request,
    post "/api/v1/tep/requests/{id}/pay" Api ProgramAdmin => tep_api::pay,
    get "/api/v1/tep/ledger" Api ProgramAdmin => tep_api::ledger,
    post "/api/v1/tep/agreements" Api Educator => tep_api::create_agreement,
    get "/api/v1/tep/agreements/{id}" Api ForAgreement => tep_api::agreement,
    post "/api/v1/tep/logs" Api Educator => tep_api::add_log,
    post "/api/v1/tep/logs/{id}/sign" Api Educator => tep_api::sign_log,
    post "/api/v1/tep/announcements" Api ProgramAdmin => tep_api::announce,
    get "/api/v1/rar/selection" Api State => rar_api::selection,
    post "/api/v1/rar/selection/{district}/override" Api State => rar_api::override_selection,
    post "/api/v1/rar/notices" Api State => rar_api::issue_notice,
    post "/api/v1/rar/notices/{id}/acknowledge" Api DistrictTeam => rar_api::acknowledge,
    post "/api/v1/rar/reviews" Api StateOrDistrictTeam => rar_api::open_review,
    get "/api/v1/rar/reviews/{id}" Api ForDistrict => rar_api::review,
    put "/api/v1/rar/reviews/{id}/ratings" Api DistrictTeam => rar_api::save_ratings,
    post "/api/v1/rar/reviews/{id}/goals" Api ForDistrict => rar_api::add_goal,
    get "/api/openapi.json" Api Anyone => api::openapi,
    // Operations.
    get "/healthz" Api Anyone => api::healthz,
    get "/metrics" Api Anyone => metrics::render,
}

/// The table without its handlers, for tests and documentation.
pub fn table() -> Vec<Route> {
    with_handlers().into_iter().map(|(r, _)| r).collect()
}
