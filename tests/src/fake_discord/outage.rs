//! An outage of the fake: while down, every request gets the HTML 502
//! page Discord's edge (Cloudflare) serves when the API is unreachable,
//! before any route or token check runs.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Shared;

pub(super) async fn gate(
    State(shared): State<Shared>,
    request: Request<Body>,
    next: Next,
) -> Response {
    {
        let mut inner = shared.lock();
        if inner.down {
            inner.refused_down += 1;
            return (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>",
            )
                .into_response();
        }
    }
    next.run(request).await
}
