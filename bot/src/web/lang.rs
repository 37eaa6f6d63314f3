//! The page language: the `easel_lang` cookie if the visitor chose one,
//! else the browser's `Accept-Language`, else English. Texts come from the
//! same Fluent catalogs as the chat (`web-` keys), through [`crate::i18n`].

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

use super::WebState;
use super::csrf::SameOrigin;
use super::form::Form;
use super::reject::local_path;

/// The languages the pages speak: the chat's locales.
pub use crate::i18n::Locale as Lang;

/// The cookie that keeps a visitor's language choice.
pub const LANG_COOKIE: &str = "easel_lang";

/// The visitor's language from the request headers.
pub fn from_headers(headers: &HeaderMap) -> Lang {
    let jar = CookieJar::from_headers(headers);
    if let Some(lang) = jar
        .get(LANG_COOKIE)
        .and_then(|c| Lang::from_choice(c.value()))
    {
        return lang;
    }
    headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::En, from_accept_language)
}

/// The first supported language of an `Accept-Language` list, by the
/// browser's order (q-values are in that order in practice).
fn from_accept_language(header: &str) -> Lang {
    header
        .split(',')
        .filter_map(|item| item.split(';').next())
        .map(str::trim)
        .find_map(|tag| {
            let primary = tag.split(['-', '_']).next().unwrap_or("");
            match primary.to_ascii_lowercase().as_str() {
                "zh" => Some(Lang::ZhCn),
                "en" => Some(Lang::En),
                _ => None,
            }
        })
        .unwrap_or(Lang::En)
}

/// The language switch: `POST /lang` with `lang` and `next`.
pub(super) fn routes() -> Router<WebState> {
    Router::new().route("/lang", post(switch))
}

#[derive(Deserialize)]
struct Switch {
    lang: String,
    #[serde(default)]
    next: String,
}

/// Saves the choice in a cookie (a year) and returns to the page. Needs no
/// session (the sign-in page has the switch too), only a same-origin post.
async fn switch(
    State(_): State<WebState>,
    _: SameOrigin,
    jar: CookieJar,
    Form(form): Form<Switch>,
) -> Response {
    let lang = Lang::from_choice(&form.lang).unwrap_or_default();
    let cookie = Cookie::build((LANG_COOKIE, lang.tag()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(365))
        .build();
    (jar.add(cookie), Redirect::to(local_path(&form.next))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_order_picks_the_first_language_we_speak() {
        for (header, lang) in [
            ("zh-CN,zh;q=0.9,en;q=0.8", Lang::ZhCn),
            ("de-DE, en-US;q=0.7, zh;q=0.5", Lang::En),
            ("fr, zh-TW;q=0.5", Lang::ZhCn),
            ("fr", Lang::En),
            ("", Lang::En),
        ] {
            assert_eq!(from_accept_language(header), lang, "{header}");
        }
    }

    #[test]
    fn a_chosen_language_beats_the_browser() {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_LANGUAGE, "en-US".parse().unwrap());
        headers.insert("cookie", "easel_lang=zh-CN".parse().unwrap());
        assert_eq!(from_headers(&headers), Lang::ZhCn);
    }
}
