//! The builder against the real in-process gateway (embedded stores, the
//! fake OpenAI server): one test per intent kind, the input numbering of a
//! refinement, and the intents that draw nothing. The downloader is this
//! file's own: it stands for the platform and counts what was fetched.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use easel_gateway::service::Gateway;
use easel_shared::flags::{self, FlagSet};
use easel_shared::job::JobEvent;
use easel_shared::render::{Quality, RenderOptions, Shape};
use easel_shared::request::{InputImage, Request};
use easel_shared::results::{ResultId as StoredId, UserSettings};
use easel_shared::{Platform, RequestId, UserKey};
use easel_tests::fake_openai::known_png;
use easel_tests::stack::Stack;

use easel_bot::core::build::{Declined, Downloader, FetchError, Order, request};
use easel_bot::core::render::{self, VARY_PROMPT};
use easel_bot::core::request::Built;
use easel_bot::core::{ImageRef, Intent, ResultId};
use easel_bot::i18n::Locale;

const ALICE: UserKey = UserKey {
    platform: Platform::Telegram,
    id: 7,
};
const CAP: u64 = 1 << 20;

/// The platform's files by handle; records every fetch in order.
#[derive(Default)]
struct Files {
    files: HashMap<String, Result<Bytes, FetchError>>,
    fetched: Mutex<Vec<String>>,
}

impl Files {
    fn with(files: &[(&str, Result<Bytes, FetchError>)]) -> Self {
        Files {
            files: files
                .iter()
                .map(|(h, f)| ((*h).to_owned(), f.clone()))
                .collect(),
            fetched: Mutex::default(),
        }
    }

    fn fetched(&self) -> Vec<String> {
        self.fetched.lock().unwrap().clone()
    }
}

impl Downloader for Files {
    fn max_bytes(&self) -> u64 {
        CAP
    }

    async fn fetch(&self, image: &ImageRef) -> Result<Bytes, FetchError> {
        self.fetched.lock().unwrap().push(image.handle.clone());
        self.files[&image.handle].clone()
    }
}

fn image(handle: &str) -> ImageRef {
    ImageRef {
        handle: handle.into(),
        size: None,
    }
}

fn id(n: u32) -> RequestId {
    RequestId::new(format!("tg:7:{n}")).unwrap()
}

fn order(n: u32, intent: Intent, settings: &UserSettings) -> Order<'_> {
    Order {
        id: id(n),
        user: ALICE,
        intent,
        settings,
        locale: Locale::En,
        mask: None,
    }
}

fn parsed(text: &str) -> (String, FlagSet) {
    let p = flags::parse(text).unwrap();
    (p.prompt, p.flags)
}

/// Runs `request` on the gateway and returns the stored result's id.
async fn stored(stack: &Stack, request: Request) -> StoredId {
    let mut events = stack.gateway.submit(request).await.unwrap();
    while let Some(event) = events.recv().await {
        if let JobEvent::Done {
            result: Some(id), ..
        } = event
        {
            return id;
        }
        assert!(!event.is_final(), "no stored result: {event:?}");
    }
    panic!("the job stream ended without a result");
}

/// A stored result made from `inputs` uploads (0: a plain generation).
async fn parent(stack: &Stack, n: u32, prompt: &str, uploads: u8) -> StoredId {
    let request = Request {
        id: id(n),
        user: ALICE,
        prompt: prompt.into(),
        options: RenderOptions {
            quality: Quality::Low,
            ..RenderOptions::default()
        },
        inputs: (0..uploads)
            .map(|i| InputImage::Upload {
                bytes: known_png(i),
            })
            .collect(),
        parent: None,
        mask: None,
    };
    stored(stack, request).await
}

fn core_id(id: &StoredId) -> ResultId {
    ResultId(id.to_string())
}

async fn built(stack: &Stack, files: &Files, order: Order<'_>) -> Built {
    request(&*stack.gateway, files, order)
        .await
        .expect("the builder made a request")
}

#[tokio::test]
async fn generate_takes_the_users_defaults_under_the_typed_flags_and_downloads_nothing() {
    let stack = Stack::start(|_| {}).await;
    let files = Files::default();
    let settings = UserSettings {
        quality: Some(Quality::Low),
        shape: Some(Shape::Aspect { w: 1, h: 1 }),
        ..UserSettings::default()
    };
    let (prompt, flags) = parsed("a lighthouse --ar 16:9");
    let Built { request, caption } = built(
        &stack,
        &files,
        order(1, Intent::Generate { prompt, flags }, &settings),
    )
    .await;
    assert_eq!(
        (request.prompt.as_str(), caption.as_str()),
        ("a lighthouse", "a lighthouse")
    );
    assert_eq!(request.options.quality, Quality::Low, "the saved default");
    assert_eq!(
        request.options.shape,
        Shape::Aspect { w: 16, h: 9 },
        "the flag wins"
    );
    assert!(request.inputs.is_empty() && request.parent.is_none());
    assert_eq!((request.id, request.user), (id(1), ALICE));
    assert!(files.fetched().is_empty());
}

#[tokio::test]
async fn edit_downloads_the_uploads_in_order_as_its_inputs() {
    let stack = Stack::start(|_| {}).await;
    let files = Files::with(&[("a", Ok(known_png(1))), ("b", Ok(known_png(2)))]);
    let (prompt, flags) = parsed("put them side by side");
    let intent = Intent::Edit {
        prompt,
        flags,
        inputs: vec![image("a"), image("b")],
    };
    let settings = UserSettings::default();
    let Built { request, .. } = built(&stack, &files, order(2, intent, &settings)).await;
    assert_eq!(files.fetched(), ["a", "b"]);
    assert_eq!(
        request.inputs,
        [
            InputImage::Upload {
                bytes: known_png(1)
            },
            InputImage::Upload {
                bytes: known_png(2)
            },
        ]
    );
    assert!(request.parent.is_none());
}

#[tokio::test]
async fn refine_starts_from_the_result_then_adds_the_extra_photos() {
    let stack = Stack::start(|_| {}).await;
    let result = parent(&stack, 3, "a cabin", 0).await;
    let files = Files::with(&[("snow", Ok(known_png(9)))]);
    let (prompt, flags) = parsed("add this snow --ar 16:9");
    let intent = Intent::Refine {
        result: core_id(&result),
        prompt,
        flags,
        extra_inputs: vec![image("snow")],
    };
    let settings = UserSettings::default();
    let Built { request, caption } = built(&stack, &files, order(4, intent, &settings)).await;
    assert_eq!(
        request.inputs,
        [
            InputImage::Output {
                result: result.clone(),
                index: 0
            },
            InputImage::Upload {
                bytes: known_png(9)
            },
        ]
    );
    assert_eq!(request.parent, Some(result));
    assert_eq!(caption, "add this snow");
    assert_eq!(
        request.options.quality,
        Quality::Low,
        "the parent's options"
    );
    assert_eq!(
        request.options.shape,
        Shape::Aspect { w: 16, h: 9 },
        "under the flags"
    );
}

#[tokio::test]
async fn a_refinements_extra_photo_is_numbered_after_the_result_it_refines() {
    let stack = Stack::start(|_| {}).await;
    let result = parent(&stack, 5, "a cabin", 0).await;
    let files = Files::with(&[
        ("ok", Ok(known_png(1))),
        ("huge", Err(FetchError::TooLarge)),
    ]);
    let intent = Intent::Refine {
        result: core_id(&result),
        prompt: "add these".into(),
        flags: FlagSet::default(),
        extra_inputs: vec![image("ok"), image("huge")],
    };
    let settings = UserSettings::default();
    let declined = request(&*stack.gateway, &files, order(6, intent, &settings)).await;
    // Input 1 is the result, 2 the first photo: the failed one is input 3.
    let expected = render::input_too_large(Locale::En, 2, CAP);
    assert!(expected.contains('3'), "{expected}");
    assert_eq!(declined.unwrap_err(), Declined::Tell(expected));
}

#[tokio::test]
async fn an_announced_oversize_photo_is_refused_before_anything_is_fetched() {
    let stack = Stack::start(|_| {}).await;
    let result = parent(&stack, 7, "a cabin", 0).await;
    let files = Files::default();
    let big = ImageRef {
        handle: "big".into(),
        size: Some(CAP + 1),
    };
    let intent = Intent::Refine {
        result: core_id(&result),
        prompt: "add this".into(),
        flags: FlagSet::default(),
        extra_inputs: vec![big],
    };
    let settings = UserSettings::default();
    let declined = request(&*stack.gateway, &files, order(8, intent, &settings)).await;
    let expected = render::input_too_large(Locale::En, 1, CAP);
    assert_eq!(declined.unwrap_err(), Declined::Tell(expected));
    assert!(files.fetched().is_empty());
}

#[tokio::test]
async fn again_repeats_a_generation_with_its_prompt_and_options() {
    let stack = Stack::start(|_| {}).await;
    let result = parent(&stack, 9, "a red fox", 0).await;
    let files = Files::default();
    let intent = Intent::Again {
        result: core_id(&result),
    };
    let settings = UserSettings::default();
    let Built { request, caption } = built(&stack, &files, order(10, intent, &settings)).await;
    assert_eq!(
        (request.prompt.as_str(), caption.as_str()),
        ("a red fox", "a red fox")
    );
    assert_eq!(request.options.quality, Quality::Low);
    assert!(request.inputs.is_empty());
    assert_eq!(request.parent, Some(result));
    assert!(files.fetched().is_empty());
}

#[tokio::test]
async fn again_of_an_edit_sends_its_stored_inputs_again_without_downloading() {
    let stack = Stack::start(|_| {}).await;
    let result = parent(&stack, 11, "merge them", 2).await;
    let files = Files::default();
    let intent = Intent::Again {
        result: core_id(&result),
    };
    let settings = UserSettings::default();
    let Built { request, .. } = built(&stack, &files, order(12, intent, &settings)).await;
    let input = |index| InputImage::Input {
        result: result.clone(),
        index,
    };
    assert_eq!(request.inputs, [input(0), input(1)]);
    assert_eq!(request.prompt, "merge them");
    assert!(files.fetched().is_empty());
}

#[tokio::test]
async fn vary_varies_the_first_image_and_keeps_the_parents_caption() {
    let stack = Stack::start(|_| {}).await;
    let result = parent(&stack, 13, "a blue bird", 0).await;
    let files = Files::default();
    let intent = Intent::Vary {
        result: core_id(&result),
    };
    let settings = UserSettings::default();
    let Built { request, caption } = built(&stack, &files, order(14, intent, &settings)).await;
    assert_eq!(request.prompt, VARY_PROMPT);
    assert_eq!(caption, "a blue bird");
    assert_eq!(
        request.inputs,
        [InputImage::Output {
            result: result.clone(),
            index: 0
        }]
    );
    assert_eq!(request.parent, Some(result));
}

#[tokio::test]
async fn an_intent_that_draws_nothing_is_refused_and_nothing_is_fetched() {
    let stack = Stack::start(|_| {}).await;
    let files = Files::default();
    let settings = UserSettings::default();
    for (n, intent) in [(15, Intent::Quota), (16, Intent::Start)] {
        let declined = request(&*stack.gateway, &files, order(n, intent, &settings)).await;
        let expected = render::text::internal_error(Locale::En, id(n).as_str());
        assert_eq!(declined.unwrap_err(), Declined::Tell(expected));
    }
    assert!(files.fetched().is_empty());
    assert!(stack.openai.requests().is_empty());
    let quota = stack.gateway.quota(ALICE).await.unwrap();
    assert_eq!((quota.windows[0].used, quota.in_flight), (0, 0));
}

#[tokio::test]
async fn a_request_the_gateway_refuses_downloads_nothing() {
    let stack = Stack::start(|_| {}).await;
    let files = Files::default();
    // More photos than any plan or backend takes: the pre-check refuses.
    let intent = Intent::Edit {
        prompt: "collage".into(),
        flags: FlagSet::default(),
        inputs: (0..40).map(|i| image(&i.to_string())).collect(),
    };
    let settings = UserSettings::default();
    let declined = request(&*stack.gateway, &files, order(17, intent, &settings)).await;
    assert!(matches!(declined, Err(Declined::Tell(_))), "{declined:?}");
    assert!(files.fetched().is_empty());
}

#[tokio::test]
async fn an_edit_mask_is_fetched_after_the_uploads_and_sent_as_the_mask() {
    let stack = Stack::start(|_| {}).await;
    let files = Files::with(&[("photo", Ok(known_png(1))), ("mask", Ok(known_png(2)))]);
    let intent = Intent::Edit {
        prompt: "a hat on the cat".into(),
        flags: FlagSet::default(),
        inputs: vec![image("photo")],
    };
    let settings = UserSettings::default();
    let order = Order {
        mask: Some(image("mask")),
        ..order(18, intent, &settings)
    };
    let Built { request, .. } = built(&stack, &files, order).await;
    assert_eq!(files.fetched(), ["photo", "mask"]);
    assert_eq!(request.mask, Some(known_png(2)));
    assert_eq!(
        request.inputs,
        [InputImage::Upload {
            bytes: known_png(1)
        }]
    );
}
