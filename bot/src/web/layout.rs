//! The HTML shell every page shares ([`page`]) and what it knows about the
//! visitor ([`PageCtx`]): language, who is signed in, the CSRF token.
//!
//! Accessibility and small screens are built in here once: the `lang`
//! attribute, a viewport meta, a skip link to `<main>`, landmarks
//! (`header`/`nav`/`main`), visible focus styles (CSS), and a layout that
//! works at 360 px wide.

use easel_shared::UserKey;
use maud::{DOCTYPE, Markup, html};

use super::assets;
use super::csrf::{CSRF_FIELD, CsrfToken};
use super::lang::Lang;
use crate::i18n::{self, Arg};

/// What the layout and page bodies know about the visitor.
#[derive(Debug, Clone)]
pub struct PageCtx {
    /// The page language.
    pub lang: Lang,
    /// Who is signed in (`None` on the sign-in page).
    pub user: Option<UserKey>,
    /// Signed in with the admin token (shows the admin navigation).
    pub admin: bool,
    /// The session's CSRF token, for forms (`None` when signed out).
    pub csrf: Option<CsrfToken>,
}

impl PageCtx {
    /// A visitor who is not signed in.
    pub fn anonymous(lang: Lang) -> Self {
        Self {
            lang,
            user: None,
            admin: false,
            csrf: None,
        }
    }

    /// A signed-in visitor.
    pub fn signed_in(lang: Lang, user: UserKey, admin: bool, csrf: CsrfToken) -> Self {
        Self {
            lang,
            user: Some(user),
            admin,
            csrf: Some(csrf),
        }
    }

    /// A catalog text (`web-...` key) in the page language.
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.lang, key)
    }

    /// A catalog text with placeables.
    pub fn t_args(&self, key: &str, args: &[(&str, Arg<'_>)]) -> String {
        i18n::tr(self.lang, key, args)
    }

    /// The hidden `_csrf` field every form of a signed-in page carries.
    pub fn csrf_field(&self) -> Markup {
        html! {
            @if let Some(token) = &self.csrf {
                input type="hidden" name=(CSRF_FIELD) value=(token.as_str());
            }
        }
    }
}

/// Admin pages in the navigation: path and catalog key.
const ADMIN_NAV: [(&str, &str); 6] = [
    ("/", "web-nav-overview"),
    ("/admin/users", "web-nav-users"),
    ("/admin/codes", "web-nav-codes"),
    ("/admin/plans", "web-nav-plans"),
    ("/admin/audit", "web-nav-audit"),
    ("/admin/queue", "web-nav-queue"),
];

/// A whole page: `title` in the tab and `body` inside `<main>`.
pub fn page(ctx: &PageCtx, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(token) = &ctx.csrf {
                    // The script reads it for fetch and uploads (X-CSRF-Token).
                    meta name="csrf-token" content=(token.as_str());
                }
                title { (title) " · Easel" }
                link rel="stylesheet" href=(assets::css_href());
                script src=(assets::js_href()) defer {}
            }
            body {
                a class="skip" href="#main" { (ctx.t("web-skip")) }
                header {
                    a class="brand" href="/" { "Easel" }
                    @if ctx.user.is_some() { (nav(ctx)) }
                    (lang_switch(ctx))
                }
                main id="main" tabindex="-1" { (body) }
            }
        }
    }
}

fn nav(ctx: &PageCtx) -> Markup {
    html! {
        nav aria-label=(ctx.t("web-nav-label")) {
            ul {
                @if ctx.admin {
                    @for (href, key) in ADMIN_NAV {
                        li { a href=(href) { (ctx.t(key)) } }
                    }
                }
                li { a href="/play" { (ctx.t("web-nav-play")) } }
                li {
                    form method="post" action="/signout" class="inline" {
                        (ctx.csrf_field())
                        button type="submit" { (ctx.t("web-signout")) }
                    }
                }
            }
        }
    }
}

/// The language switch: a tiny form posting to `/lang` (works without JS).
fn lang_switch(ctx: &PageCtx) -> Markup {
    html! {
        form method="post" action="/lang" class="lang" {
            label for="lang-pick" class="visually-hidden" { (ctx.t("web-lang-label")) }
            select id="lang-pick" name="lang" {
                @for lang in Lang::ALL {
                    option value=(lang.tag()) selected[lang == ctx.lang] { (lang_name(lang)) }
                }
            }
            input type="hidden" name="next" value="" data-here;
            button type="submit" { (ctx.t("web-lang-apply")) }
        }
    }
}

/// Each language named in itself, so anyone finds their own.
fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "English",
        Lang::ZhCn => "简体中文",
    }
}
