//! The start-up model check: unknown, retired and key-refused models stop
//! the gateway naming the key and the usable image models; an unreachable
//! provider or a bare 404 only warns; skipped backends are not asked.

use super::*;

#[tokio::test]
async fn an_unknown_openai_model_stops_start_up_naming_the_key_and_the_usable_models() {
    let text = start_failure(
        Stack::try_start(|c| c.backends.chain[0].model = "gpt-image-1.5x".into()).await,
    );
    assert!(text.contains("backends.chain[0].model"), "{text}");
    assert!(text.contains("`gpt-image-1.5x`"), "{text}");
    assert!(
        text.contains("gpt-image-2"),
        "lists what the key can use: {text}"
    );
    assert!(
        !text.contains("gpt-5.1"),
        "text models are not image models: {text}"
    );
}

#[tokio::test]
async fn a_model_past_its_announced_shutdown_stops_start_up() {
    // The provider still lists it, but the built-in table says 2026-12-01
    // and the gateway's clock reads 2027-01-15.
    let openai = FakeOpenAi::start().await;
    openai.set_models([
        CatalogModel::current("gpt-image-1.5"),
        CatalogModel::current("gpt-image-2"),
    ]);
    let text = start_failure(
        Stack::try_start_on(openai, |c| {
            c.backends.chain[0].model = "gpt-image-1.5".into()
        })
        .await,
    );
    assert!(text.contains("backends.chain[0].model"), "{text}");
    assert!(text.contains("shut down on 2026-12-01"), "{text}");
    assert!(
        text.contains("can use: gpt-image-2"),
        "retired models are not offered: {text}"
    );
}

#[tokio::test]
async fn an_unknown_gemini_model_stops_start_up_listing_gemini_image_models() {
    let gemini = FakeGemini::start().await;
    let g = gemini.clone();
    let text = start_failure(
        Stack::try_start(move |c| {
            c.backends
                .chain
                .push(gemini_backend(&g, "gemini-2.5-flash-image"));
        })
        .await,
    );
    assert!(text.contains("backends.chain[1].model"), "{text}");
    assert!(
        text.contains("gemini-3-pro-image, gemini-3.1-flash-image"),
        "{text}"
    );
    assert!(!text.contains("gemini-3.5-flash,"), "{text}");
    assert!(
        gemini
            .model_requests()
            .contains(&"/v1beta/models/gemini-2.5-flash-image".to_owned())
    );
}

#[tokio::test]
async fn an_unreachable_provider_only_warns_and_skipped_backends_are_not_asked() {
    // A port nobody listens on: a provider outage must not stop the bot.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/v1", closed.local_addr().unwrap());
    drop(closed);
    let stack = Stack::start(|c| {
        let mut unreachable = c.backends.chain[0].clone();
        unreachable.name = "outage".into();
        unreachable.base_url = dead;
        c.backends.chain.push(unreachable);
        let mut skipped = c.backends.chain[0].clone();
        skipped.name = "no-models-route".into();
        skipped.model = "whatever-they-call-it".into();
        skipped.skip_model_check = true;
        c.backends.chain.push(skipped);
    })
    .await;
    let asked = stack.openai.model_requests();
    assert_eq!(
        asked,
        ["/v1/models/gpt-image-2"],
        "only the primary was asked"
    );
}

#[tokio::test]
async fn a_refused_key_stops_start_up() {
    let text =
        start_failure(Stack::try_start(|c| c.backends.chain[0].api_key = Secret::new("")).await);
    assert!(
        text.contains("refused the API key of backend `openai`"),
        "{text}"
    );
}

#[tokio::test]
async fn a_404_that_is_not_about_the_model_only_warns() {
    // A compatible provider without a models route answers a bare 404: not
    // a verdict on the model, so the gateway starts.
    let stack = Stack::try_start(|c| {
        let base = c.backends.chain[0].base_url.clone();
        c.backends.chain[0].base_url = format!("{base}/no-such-prefix");
    })
    .await;
    assert!(stack.is_ok(), "an unexpected 404 must not stop the bot");
}
