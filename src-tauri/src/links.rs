//! Links clicked in a terminal open in the user's browser, outside the app: the
//! webview itself never navigates away from the UI.

use serde::Serialize;

/// Why a link was not opened.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkError {
    pub message: String,
}

/// The URL to hand to the browser: only `http` and `https` (not `file:`, `javascript:`,
/// or a custom scheme some other program registered).
pub fn web_url(raw: &str) -> Result<url::Url, LinkError> {
    let url = url::Url::parse(raw.trim()).map_err(|e| LinkError {
        message: format!("`{raw}` is not a URL: {e}"),
    })?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(LinkError {
            message: format!("`{raw}` is not a web link (scheme `{other}`)"),
        }),
    }
}

/// Opens an http(s) link in the default browser, detached from the app.
#[tauri::command]
pub async fn open_link(url: String) -> Result<(), LinkError> {
    let url = web_url(&url)?;
    tracing::info!(%url, "opening a link in the browser");
    tauri::async_runtime::spawn_blocking(move || open::that_detached(url.as_str()))
        .await
        .map_err(|e| LinkError {
            message: format!("worker thread failed: {e}"),
        })?
        .map_err(|e| LinkError {
            message: format!("cannot open the browser: {e}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_open() {
        assert!(web_url("http://localhost:8080/health").is_ok());
        assert!(web_url(" https://example.com/a?b=c ").is_ok());
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "ssh://host",
            "no url",
        ] {
            let err = web_url(bad).expect_err(bad);
            assert!(err.message.contains(bad.trim()), "{}", err.message);
        }
    }
}
