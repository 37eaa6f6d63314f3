//! `/apikey` through the conversation core and the `Gateway` port: a key
//! created from chat works on `/v1` at once, a listing shows only its
//! visible prefix, and a revoke from chat stops it on the next request.

use axum::http::StatusCode;
use easel_bot::core::{ApiKeyAction, apikey};
use easel_bot::i18n::Locale;

use super::V1;

#[tokio::test]
async fn a_key_made_in_chat_works_on_v1_until_revoked_in_chat() {
    let v1 = V1::start().await;
    let gateway = v1.stack.gateway.as_ref();
    let created = apikey::answer(gateway, v1.user, &ApiKeyAction::Create, Locale::En)
        .await
        .expect("create");
    let key = created
        .split_whitespace()
        .find(|w| w.starts_with("easel-sk-") && w.len() > 30)
        .unwrap_or_else(|| panic!("no key in {created:?}"))
        .to_owned();

    let ok = v1
        .post_json(
            "/v1/images/generations",
            Some(&key),
            r#"{"prompt":"a cat"}"#,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());

    let listed = apikey::answer(gateway, v1.user, &ApiKeyAction::List, Locale::ZhCn)
        .await
        .expect("list");
    let prefix = &key[..17];
    assert!(listed.contains(prefix), "{listed}");
    assert!(
        !listed.contains(&key),
        "a listing never shows the secret: {listed}"
    );

    let revoke = ApiKeyAction::Revoke {
        prefix: prefix.to_owned(),
    };
    let revoked = apikey::answer(gateway, v1.user, &revoke, Locale::En)
        .await
        .expect("revoke");
    assert!(revoked.contains("revoked"), "{revoked}");
    let refused = v1
        .post_json(
            "/v1/images/generations",
            Some(&key),
            r#"{"prompt":"a cat"}"#,
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let again = apikey::answer(gateway, v1.user, &revoke, Locale::En)
        .await
        .expect("revoke again");
    assert!(again.contains("no key"), "{again}");
    let bad = ApiKeyAction::Revoke {
        prefix: "???".to_owned(),
    };
    let bad = apikey::answer(gateway, v1.user, &bad, Locale::En)
        .await
        .expect("bad prefix");
    assert!(bad.contains("not a key prefix"), "{bad}");
}
