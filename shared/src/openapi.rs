//! OpenAPI schemas for the types whose serde form is hand-written (feature
//! `openapi`). The derived ones follow their serde attributes by themselves;
//! these two serialize as strings, so their schema says so, with the pattern
//! their `FromStr` accepts (a tool generating values from the pattern then
//! produces keys the gateway parses).

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::admin::Actor;
use crate::ids::UserKey;

/// What `UserKey::from_str` accepts. At most 19 digits so every match fits
/// a `u64`; a `cli:` name is 1-12 of `a-z 0-9 - _` (`ids/cli_name.rs`).
const USER_KEY_PATTERN: &str = "^((tg|dc|web):[0-9]{1,19}|cli:[a-z0-9_-]{1,12})$";

fn string(description: &str, pattern: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(pattern))
        .examples([example])
        .into()
}

impl PartialSchema for UserKey {
    fn schema() -> RefOr<Schema> {
        string(
            "One user of one platform: tg:<id>, dc:<id>, web:<id> or cli:<name>.",
            USER_KEY_PATTERN,
            "tg:123456",
        )
    }
}

impl ToSchema for UserKey {}

impl PartialSchema for Actor {
    fn schema() -> RefOr<Schema> {
        string(
            "Who made a change: `api`, `system`, or the admin's user key.",
            "^(api|system|(tg|dc|web):[0-9]{1,19}|cli:[a-z0-9_-]{1,12})$",
            "api",
        )
    }
}

impl ToSchema for Actor {}
