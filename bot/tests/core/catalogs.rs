//! The message catalogs: both parse cleanly, have exactly the same keys,
//! each key uses the same placeables in both languages, and every imaging
//! error the gateway can report has its text in both.

use std::collections::{BTreeMap, BTreeSet};

use easel_bot::i18n::Locale;
use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
use fluent_syntax::parser;

/// Message id -> the variables it uses.
fn keys(locale: Locale) -> BTreeMap<String, BTreeSet<String>> {
    let resource = parser::parse(locale.source())
        .unwrap_or_else(|(_, errors)| panic!("{} does not parse: {errors:?}", locale.tag()));
    let mut out = BTreeMap::new();
    for entry in &resource.body {
        match entry {
            Entry::Message(m) => {
                let mut vars = BTreeSet::new();
                if let Some(p) = &m.value {
                    pattern_vars(p, &mut vars);
                }
                assert!(
                    out.insert(m.id.name.to_owned(), vars).is_none(),
                    "{} twice in {}",
                    m.id.name,
                    locale.tag()
                );
            }
            Entry::Term(t) => panic!("terms are not used, found -{}", t.id.name),
            Entry::Junk { content } => panic!("junk in {}: {content}", locale.tag()),
            _ => {}
        }
    }
    out
}

fn pattern_vars(p: &Pattern<&str>, vars: &mut BTreeSet<String>) {
    for el in &p.elements {
        if let PatternElement::Placeable { expression } = el {
            expression_vars(expression, vars);
        }
    }
}

fn expression_vars(e: &Expression<&str>, vars: &mut BTreeSet<String>) {
    match e {
        Expression::Inline(i) => inline_vars(i, vars),
        Expression::Select { selector, variants } => {
            inline_vars(selector, vars);
            for v in variants {
                pattern_vars(&v.value, vars);
            }
        }
    }
}

fn inline_vars(i: &InlineExpression<&str>, vars: &mut BTreeSet<String>) {
    match i {
        InlineExpression::VariableReference { id } => {
            vars.insert(id.name.to_owned());
        }
        InlineExpression::Placeable { expression } => expression_vars(expression, vars),
        _ => {}
    }
}

#[test]
fn catalogs_have_the_same_keys_and_placeables() {
    let en = keys(Locale::En);
    let zh = keys(Locale::ZhCn);
    let only_en: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
    let only_zh: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
    assert!(
        only_en.is_empty() && only_zh.is_empty(),
        "only in en: {only_en:?}; only in zh-CN: {only_zh:?}"
    );
    for (key, vars) in &en {
        assert_eq!(Some(vars), zh.get(key), "placeables of `{key}` differ");
    }
    assert!(en.len() > 100, "catalog suspiciously small: {}", en.len());
}

#[test]
fn every_command_has_help_and_usage() {
    use easel_bot::core::Command;
    for locale in Locale::ALL {
        let keys = keys(locale);
        for cmd in Command::USER.iter().chain(&Command::ADMIN) {
            for prefix in ["help-cmd", "usage"] {
                let id = format!("{prefix}-{}", cmd.name());
                assert!(keys.contains_key(&id), "{id} missing in {}", locale.tag());
            }
        }
    }
}

/// Regression guard: the bot once kept its own list of imaging error keys,
/// which could drift from the gateway's. Now `ImageError::KEYS` is the list.
#[test]
fn every_imaging_error_key_has_a_text_in_every_catalog() {
    use easel_bot::core::render::job::image_message_id;
    use easel_gateway::imaging::ImageError;
    for locale in Locale::ALL {
        let catalog = keys(locale);
        for key in ImageError::KEYS {
            let id = image_message_id(key);
            assert!(
                catalog.contains_key(&id),
                "{key}: no `{id}` in {}",
                locale.tag()
            );
        }
    }
    assert_eq!(image_message_id("image.from_the_future"), "image-internal");
}
