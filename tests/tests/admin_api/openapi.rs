//! The admin API's OpenAPI document: served without the token, OpenAPI 3.1,
//! the bearer scheme on every operation, the shared errors in the JSON
//! shape, and every documented operation answered by the router (no token:
//! 401 in the error shape, never 404/405).

use axum::http::StatusCode;
use serde_json::Value;

use super::{Api, TOKEN};

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Every (method, path) the document lists.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((method.to_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_every_admin_route_and_its_errors() {
    let api = Api::new(TOKEN);
    let (status, doc) = api.call("GET", "/admin/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK, "served without the token");
    assert_eq!(doc["openapi"], "3.1.0");

    let scheme = &doc["components"]["securitySchemes"]["admin_token"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(doc["security"][0]["admin_token"], Value::Array(vec![]));

    let mut listed: Vec<String> = operations(&doc)
        .iter()
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "DELETE /admin/v1/codes/{id}",
            "DELETE /admin/v1/queue/{id}",
            "DELETE /admin/v1/users/{user}/api-keys/{prefix}",
            "GET /admin/v1/audit",
            "GET /admin/v1/codes",
            "GET /admin/v1/codes.csv",
            "GET /admin/v1/errors",
            "GET /admin/v1/plans",
            "GET /admin/v1/queue",
            "GET /admin/v1/spend",
            "GET /admin/v1/spend/days",
            "GET /admin/v1/top",
            "GET /admin/v1/usernames/{platform}/{name}",
            "GET /admin/v1/users/{user}",
            "GET /admin/v1/users/{user}/api-keys",
            "GET /admin/v1/users/{user}/usage",
            "POST /admin/v1/codes",
            "POST /admin/v1/reload",
            "POST /admin/v1/users/{user}/api-keys",
            "POST /admin/v1/users/{user}/credits",
            "PUT /admin/v1/users/{user}/ban",
            "PUT /admin/v1/users/{user}/plan",
        ]
    );

    let error_ref = "#/components/schemas/ErrorBody";
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap();
        // Creating answers 201 Created, everything else 200.
        let ok = if responses.contains_key("201") {
            "201"
        } else {
            "200"
        };
        let mut expected = vec![ok, "400", "401", "503"];
        if op.get("requestBody").is_some() {
            expected.extend(["413", "415", "422"]);
        }
        for code in expected {
            let response = responses
                .get(code)
                .unwrap_or_else(|| panic!("{method} {path} lacks {code}"));
            if code != ok {
                let schema = &response["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(schema, error_ref, "{method} {path} {code}");
            }
        }
    }
    let error = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(error["required"], serde_json::json!(["error"]));
    let user_key = &doc["components"]["schemas"]["UserKey"];
    assert_eq!(user_key["type"], "string", "{user_key}");
    assert!(user_key["pattern"].as_str().unwrap().contains("tg|dc|web"));
    let quota = &doc["components"]["schemas"]["QuotaStatus"];
    assert!(quota["properties"]["windows"].is_object(), "{quota}");
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_needs_the_token() {
    let api = Api::new(TOKEN);
    let (_, doc) = api.call("GET", "/admin/v1/openapi.json", None, None).await;
    let operations = operations(&doc);
    assert!(operations.len() >= 12);
    for (method, path, _) in operations {
        let path = path.replace("{user}", "tg:1").replace("{id}", "abc");
        let (status, body) = api.call(&method, &path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{method} {path}");
    }
}
