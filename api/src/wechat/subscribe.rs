//! Subscribe messages (`cgi-bin/message/subscribe/send`) and the cut of
//! their values to WeChat's limits.

use super::{WechatClient, WechatError};

/// Cuts a subscribe-message value to WeChat's limit for its key type
/// (`thing` 20, `character_string` 32, `phrase` 5 characters), by characters.
pub fn fit(value: &str, limit: usize) -> String {
    value.chars().take(limit).collect()
}

impl WechatClient {
    /// `cgi-bin/message/subscribe/send`: one subscribe message to `openid`.
    pub async fn send_subscribe_message(
        &self,
        openid: &str,
        template_id: &str,
        page: &str,
        data: serde_json::Value,
    ) -> Result<(), WechatError> {
        let body = serde_json::json!({
            "touser": openid,
            "template_id": template_id,
            "page": page,
            "data": data,
            "miniprogram_state": "formal",
            "lang": "zh_CN",
        });
        self.with_token(|token| {
            let body = body.clone();
            async move {
                let req = self
                    .http
                    .post(format!("{}/cgi-bin/message/subscribe/send", self.base))
                    .query(&[("access_token", token.as_str())])
                    .json(&body);
                self.send::<serde_json::Value>("subscribe_send", req)
                    .await
                    .map(drop)
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_cut_by_characters() {
        assert_eq!(
            fit("停水通知：1号楼2号楼3号楼4号楼5号楼6号楼", 20)
                .chars()
                .count(),
            20
        );
        assert_eq!(fit("成团成功啦啦", 5), "成团成功啦");
        assert_eq!(fit("ok", 5), "ok");
    }
}
