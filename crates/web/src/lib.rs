//! The web application: public pages and the JSON API, both thin layers
//! over `empower_app`'s use cases. Handlers parse the request, make one
//! use-case call and render; they hold no rule.

mod account_api;
mod account_pages;
mod api;
mod attachments;
mod auth;
mod download;
mod error;
mod forms;
mod improvement_api;
mod improvement_pages;
mod metrics;
mod pages;
mod partner_api;
mod partner_forms;
mod partner_pages;
mod printable;
mod rar_api;
mod rar_pages;
mod render;
mod routes;
mod tep_api;
mod tep_pages;

use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use empower_app::accounts::AccountSettings;
use empower_app::clock::Clock;
use empower_states::State;
use empower_store::Store;
use std::sync::Arc;
use std::time::Instant;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use routes::{table as routes, Audience, Route, Surface};

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub state: Arc<State>,
    pub directory: Arc<empower_app::public::DirectoryCache>,
    pub metrics: Arc<metrics::Metrics>,
    pub settings: Arc<AccountSettings>,
    pub clock: Clock,
}

impl AppState {
    pub fn new(store: Store, state: State) -> Self {
        AppState {
            store,
            state: Arc::new(state),
            directory: Arc::default(),
            metrics: Arc::new(metrics::Metrics::default()),
            settings: Arc::new(AccountSettings::default()),
            clock: Clock::system(),
        }
    }

    /// Account settings (lifetimes, limits, argon2 cost, the public
    /// address) and the clock.
    pub fn with_accounts(self, settings: AccountSettings, clock: Clock) -> Self {
        AppState {
            settings: Arc::new(settings),
            clock,
            ..self
        }
    }
}

/// The largest request body accepted (an upload's is its file's limit
/// and room for the form around it).
const MAX_BODY_BYTES: usize = 1 << 20;
const UPLOAD_OVERHEAD_BYTES: usize = 64 << 10;

/// Request ids: a counter, unique within the process, in the
/// `x-request-id` header of the response and every log line.
#[derive(Clone, Default)]
struct Counter(Arc<std::sync::atomic::AtomicU64>);

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        axum::http::HeaderValue::from_str(&format!("req-{n}"))
            .ok()
            .map(RequestId::new)
    }
}

/// Every route of the application.
pub fn router(app: AppState) -> Router {
    render::set_frame(&app.state);
    let x_request_id = axum::http::HeaderName::from_static("x-request-id");
    let mut router = Router::new();
    for (route, handler) in routes::with_handlers() {
        // Every request takes at most a form's worth, refused outright
        // beyond it. An upload takes a file's worth, counted as it is
        // read, so that a file too large gets a page that says so.
        let handler = if route.path.ends_with("/files") {
            handler.layer::<_, std::convert::Infallible>(axum::extract::DefaultBodyLimit::max(
                empower_app::uploads::MAX_FILE_BYTES + UPLOAD_OVERHEAD_BYTES,
            ))
        } else {
            handler.layer::<_, std::convert::Infallible>(
                tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY_BYTES),
            )
        };
        router = router.route(route.path, handler);
    }
    router
        .fallback(api::not_found)
        .layer(middleware::from_fn_with_state(app.clone(), measure))
        .layer(
            TraceLayer::new_for_http()
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO))
                .make_span_with(|req: &Request| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", id, method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(SetRequestIdLayer::new(x_request_id, Counter::default()))
        .with_state(app)
}

/// Counts requests and their durations by route and status class.
async fn measure(
    axum::extract::State(app): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let start = Instant::now();
    let res = next.run(req).await;
    app.metrics
        .observe(&route, res.status().as_u16(), start.elapsed());
    res
}

/// Serves `app` on `listener` until ctrl-c. The school directory is read
/// before the first request.
pub async fn serve(app: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    if let Err(e) = app.directory.get(&app.store).await {
        tracing::warn!(error = %e, "the school directory will be read on the first request");
    }
    let service = router(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
