//! Sizes: a `--size` gpt-image-2 refuses is denied before anything is
//! reserved or sent; `--ar` becomes a size the model accepts.

use super::*;

#[tokio::test]
async fn a_size_the_model_refuses_is_denied_before_anything_is_reserved_or_sent() {
    let stack = Stack::start(|_| {}).await;
    let exact = Shape::Exact {
        width: 1920,
        height: 1080,
    };
    let err = stack
        .gateway
        .submit(request("tg:7:20", exact))
        .await
        .unwrap_err();
    let GatewayError::Denied(Refusal {
        denial: Denial::Size(refusal),
        ..
    }) = err
    else {
        panic!("expected a size denial: {err:?}");
    };
    assert_eq!(refusal.suggestion, Some((1920, 1072)));
    assert!(stack.openai.requests().is_empty(), "nothing went upstream");
    let quota = stack.gateway.quota(ALICE).await.unwrap();
    assert_eq!(quota.windows[0].used, 0, "nothing reserved");
}

#[tokio::test]
async fn aspect_ratios_become_sizes_gpt_image_2_accepts() {
    let stack = Stack::start(|_| {}).await;
    for (i, (w, h, size)) in [
        (16, 9, "1536x864"),
        (9, 16, "864x1536"),
        (21, 9, "1536x656"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("tg:7:{}", 30 + i);
        let shape = Shape::Aspect { w, h };
        run(&stack, &id, shape).await;
        let sent = stack.openai.requests().last().unwrap().field("size");
        assert_eq!(sent.as_deref(), Some(size));
    }
    let exact = Shape::Exact {
        width: 3840,
        height: 2160,
    };
    run(&stack, "tg:7:40", exact).await;
    let sent = stack.openai.requests().last().unwrap().field("size");
    assert_eq!(
        sent.as_deref(),
        Some("3840x2160"),
        "a valid size goes as asked"
    );
}
