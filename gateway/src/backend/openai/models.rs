//! The OpenAI models routes for the model check: `GET {base}/models/{model}`
//! (whether this key can use the model, and its `shutdown_date`) and
//! `GET {base}/models` (what image models the key can use instead).

use easel_shared::date::CalendarDate;
use serde::Deserialize;

use super::OpenAiBackend;
use super::response::error_code;
use crate::backend::model_check::{ModelCheckError, ModelInfo, fetch};

#[derive(Deserialize)]
struct Model {
    id: String,
    #[serde(default)]
    shutdown_date: Option<String>,
}

#[derive(Deserialize)]
struct ModelList {
    #[serde(default)]
    data: Vec<Model>,
}

/// Whether a model id names an image model (the list holds every kind).
pub(crate) fn is_image_model(id: &str) -> bool {
    id.contains("image") || id.starts_with("dall-e")
}

impl OpenAiBackend {
    /// `GET {base}{path}`: the body of a 2xx answer, else the check's error.
    async fn get_json(&self, path: &str) -> Result<bytes::Bytes, ModelCheckError> {
        let request = self.request(reqwest::Method::GET, path);
        let (status, body) = fetch(request, self.request_timeout).await?;
        match status {
            200..=299 => Ok(body),
            // Never echo the message: OpenAI quotes part of the key in it.
            401 | 403 => Err(ModelCheckError::KeyRefused(format!("HTTP {status}"))),
            404 => {
                if error_code(&body).as_deref() == Some("model_not_found") {
                    Err(ModelCheckError::NotFound { usable: Vec::new() })
                } else {
                    Err(ModelCheckError::Unreachable(
                        "HTTP 404 without model_not_found: the provider may have no models \
                         route (set skip_model_check = true)"
                            .into(),
                    ))
                }
            }
            _ => Err(ModelCheckError::Unreachable(format!("HTTP {status}"))),
        }
    }

    /// The model check's `GET /models/{model}`, listing alternatives when unknown.
    pub(super) async fn fetch_model(&self) -> Result<ModelInfo, ModelCheckError> {
        let path = format!("/models/{}", self.model.model);
        match self.get_json(&path).await {
            Ok(body) => {
                let model: Model = serde_json::from_slice(&body).map_err(|e| {
                    ModelCheckError::Unreachable(format!("malformed model answer: {e}"))
                })?;
                Ok(ModelInfo {
                    id: model.id,
                    shutdown: model
                        .shutdown_date
                        .and_then(|d| CalendarDate::parse(&d).ok()),
                })
            }
            Err(ModelCheckError::NotFound { .. }) => Err(ModelCheckError::NotFound {
                usable: self.fetch_image_models().await.unwrap_or_default(),
            }),
            Err(e) => Err(e),
        }
    }

    /// The image models in `GET /models`, without those whose reported
    /// shutdown date is set (they are on their way out).
    pub(super) async fn fetch_image_models(&self) -> Result<Vec<String>, ModelCheckError> {
        let body = self.get_json("/models").await?;
        let list: ModelList = serde_json::from_slice(&body)
            .map_err(|e| ModelCheckError::Unreachable(format!("malformed model list: {e}")))?;
        let mut ids: Vec<String> = list
            .data
            .into_iter()
            .filter(|m| is_image_model(&m.id) && m.shutdown_date.is_none())
            .map(|m| m.id)
            .collect();
        ids.sort();
        Ok(ids)
    }
}
