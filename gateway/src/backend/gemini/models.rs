//! Gemini's models routes for the model check: `models.get`
//! (`GET {base}/v1beta/models/{model}`) and `models.list`, filtered to
//! image models that take `generateContent`. Google reports no shutdown
//! date: the built-in table and the config supply it.

use serde::Deserialize;

use super::GeminiBackend;
use super::wire::ErrorDetail;
use crate::backend::model_check::{ModelCheckError, ModelInfo, fetch};

/// Pages of `models.list` read at most (1000 models each).
const MAX_PAGES: usize = 5;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Model {
    name: String,
    #[serde(default)]
    supported_generation_methods: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelList {
    #[serde(default)]
    models: Vec<Model>,
    #[serde(default)]
    next_page_token: Option<String>,
}

impl GeminiBackend {
    async fn get_json(&self, url: &str) -> Result<bytes::Bytes, ModelCheckError> {
        let request = self
            .client
            .get(url)
            .header("x-goog-api-key", self.api_key.expose());
        let (status, body) = fetch(request, self.request_timeout).await?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let detail = ErrorDetail::of(&body);
        Err(match status {
            400 if detail.is_bad_key() => {
                ModelCheckError::KeyRefused("HTTP 400 API_KEY_INVALID".into())
            }
            401 | 403 => ModelCheckError::KeyRefused(format!("HTTP {status}")),
            404 if detail.status == "NOT_FOUND" => ModelCheckError::NotFound { usable: Vec::new() },
            _ => ModelCheckError::Unreachable(format!("HTTP {status}")),
        })
    }

    /// `models.get` for the configured model, listing alternatives when unknown.
    pub(super) async fn fetch_model(&self) -> Result<ModelInfo, ModelCheckError> {
        let url = format!("{}/v1beta/models/{}", self.base, self.model);
        match self.get_json(&url).await {
            Ok(body) => {
                let model: Model = serde_json::from_slice(&body).map_err(|e| {
                    ModelCheckError::Unreachable(format!("malformed model answer: {e}"))
                })?;
                let id = model.name.trim_start_matches("models/").to_owned();
                Ok(ModelInfo { id, shutdown: None })
            }
            Err(ModelCheckError::NotFound { .. }) => Err(ModelCheckError::NotFound {
                usable: self.fetch_image_models().await.unwrap_or_default(),
            }),
            Err(e) => Err(e),
        }
    }

    /// `models.list`: the models named like image models that take `generateContent`.
    pub(super) async fn fetch_image_models(&self) -> Result<Vec<String>, ModelCheckError> {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut url = format!("{}/v1beta/models?pageSize=1000", self.base);
            if let Some(t) = &token {
                url.push_str(&format!("&pageToken={t}"));
            }
            let body = self.get_json(&url).await?;
            let page: ModelList = serde_json::from_slice(&body)
                .map_err(|e| ModelCheckError::Unreachable(format!("malformed model list: {e}")))?;
            ids.extend(
                page.models
                    .into_iter()
                    .filter(|m| {
                        m.name.contains("image")
                            && m.supported_generation_methods
                                .iter()
                                .any(|g| g == "generateContent")
                    })
                    .map(|m| m.name.trim_start_matches("models/").to_owned()),
            );
            token = page.next_page_token.filter(|t| !t.is_empty());
            if token.is_none() {
                break;
            }
        }
        ids.sort();
        Ok(ids)
    }
}
