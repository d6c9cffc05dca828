//! The WeChat Pay client against the fake WeChat Pay: signed requests,
//! verified answers, prepay and paySign, query, close, refunds, notifies,
//! certificate download and refresh, and failures mapped to retryable errors.

use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{Duration, Utc};
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sha2::Sha256;
use yizhan::error::{ApiError, ErrorCode};
use yizhan::settings::PaymentProvider;
use yizhan::wechatpay::{
    JsapiPrepay, NotifyError, NotifyEvent, OutRefundNo, OutTradeNo, PayErrorCode, RefundRequest,
    RefundStatus, SignatureError, TradeState, WechatPayClient, WechatPayError,
};

use crate::fake_wechatpay::{
    APP_ID, CERT_SERIALS, Failure, FakeWechatPay, MCH_ID, NOTIFY_URL, fixture_path,
};
use crate::support::spawn_app_with;

fn trade_no() -> OutTradeNo {
    let n = uuid::Uuid::new_v4().simple().to_string();
    OutTradeNo::new(&format!("20261201{}", &n[..16])).unwrap()
}

const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

/// One payment deadline for every test order, so asking twice for the same
/// order asks for the same thing (as an order's fixed deadline does).
static DEADLINE: std::sync::LazyLock<chrono::DateTime<Utc>> =
    std::sync::LazyLock::new(|| Utc::now() + Duration::hours(2));

fn order<'a>(no: &'a OutTradeNo, description: &'a str) -> JsapiPrepay<'a> {
    JsapiPrepay {
        out_trade_no: no,
        description,
        amount_fen: 1990,
        payer_openid: OPENID,
        time_expire: *DEADLINE,
        attach: Some("group_buy:7"),
    }
}

async fn paid_trade(fake: &FakeWechatPay, client: &WechatPayClient) -> OutTradeNo {
    let no = trade_no();
    client
        .jsapi_prepay(&order(&no, "阳光玫瑰葡萄"))
        .await
        .unwrap();
    fake.pay(no.as_str());
    no
}

fn merchant_public_key() -> VerifyingKey<Sha256> {
    let pem = std::fs::read_to_string(fixture_path("merchant_public.pem")).unwrap();
    VerifyingKey::new(RsaPublicKey::from_public_key_pem(&pem).unwrap())
}

#[tokio::test]
async fn prepay_sends_the_order_and_pay_sign_verifies_with_the_merchant_public_key() {
    let fake = FakeWechatPay::start().await;
    let client = fake.client();
    let no = trade_no();
    let long = format!("驿站团购·{}", "阳光玫瑰葡萄".repeat(10));
    let deadline = Utc::now() + Duration::minutes(15);
    let prepay = client
        .jsapi_prepay(&JsapiPrepay {
            time_expire: deadline,
            ..order(&no, &long)
        })
        .await
        .unwrap();
    assert!(prepay.prepay_id.starts_with("wx"));
    let left = prepay.valid_until - Utc::now();
    assert!(left > Duration::minutes(119) && left <= Duration::hours(2));

    let seen = fake.order(no.as_str()).expect("the fake kept the trade");
    assert_eq!(seen.prepay_id, prepay.prepay_id);
    let sent = &seen.request;
    assert_eq!(sent["appid"], APP_ID);
    assert_eq!(sent["mchid"], MCH_ID);
    assert_eq!(
        sent["amount"],
        serde_json::json!({"total": 1990, "currency": "CNY"})
    );
    assert_eq!(sent["payer"]["openid"], OPENID);
    assert_eq!(sent["notify_url"], NOTIFY_URL);
    assert_eq!(sent["attach"], "group_buy:7");
    let description = sent["description"].as_str().unwrap();
    assert!(description.len() <= 127 && long.starts_with(description));
    assert!(description.len() > 120, "cut at the limit, not before");
    let time_expire = sent["time_expire"].as_str().unwrap();
    assert!(time_expire.ends_with("+08:00"), "{time_expire}");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(time_expire)
            .unwrap()
            .timestamp(),
        deadline.timestamp()
    );

    let params = client.request_payment(&prepay.prepay_id);
    assert_eq!(params.package, format!("prepay_id={}", prepay.prepay_id));
    assert_eq!(params.sign_type, "RSA");
    let ts: i64 = params.time_stamp.parse().unwrap();
    assert!((Utc::now().timestamp() - ts).abs() < 5);
    assert_eq!(params.nonce_str.len(), 32);
    let message = format!(
        "{APP_ID}\n{}\n{}\n{}\n",
        params.time_stamp, params.nonce_str, params.package
    );
    let signature =
        Signature::try_from(BASE64.decode(&params.pay_sign).unwrap().as_slice()).unwrap();
    merchant_public_key()
        .verify(message.as_bytes(), &signature)
        .expect("paySign verifies with the merchant public key");
    let json = serde_json::to_value(&params).unwrap();
    for key in ["timeStamp", "nonceStr", "package", "signType", "paySign"] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    // Signing again (a repeated pay) gives fresh parameters for the same prepay.
    let again = client.request_payment(&prepay.prepay_id);
    assert_eq!(again.package, params.package);
    assert_ne!(again.nonce_str, params.nonce_str);
}

#[tokio::test]
async fn the_same_prepay_again_gets_the_same_id_and_changed_terms_are_refused() {
    let fake = FakeWechatPay::start().await;
    let client = fake.client();
    let no = trade_no();
    let deadline = Utc::now() + Duration::minutes(15);
    let first = JsapiPrepay {
        time_expire: deadline,
        ..order(&no, "葡萄")
    };
    let a = client.jsapi_prepay(&first).await.unwrap();
    let b = client.jsapi_prepay(&first).await.unwrap();
    assert_eq!(a.prepay_id, b.prepay_id);
    assert_eq!(fake.order(no.as_str()).unwrap().prepay_requests, 2);

    let changed = JsapiPrepay {
        amount_fen: 2990,
        ..first.clone()
    };
    let err = client.jsapi_prepay(&changed).await.unwrap_err();
    assert_eq!(err.code(), Some(&PayErrorCode::OutTradeNoUsed));
    assert!(!err.is_retryable());
    assert_eq!(fake.order(no.as_str()).unwrap().total, 1990);
}

#[tokio::test]
async fn bad_prepays_are_refused_before_anything_is_sent() {
    let fake = FakeWechatPay::start().await;
    let client = fake.client();
    let no = trade_no();
    for bad in [
        JsapiPrepay {
            amount_fen: 0,
            ..order(&no, "葡萄")
        },
        order(&no, "   "),
        JsapiPrepay {
            payer_openid: "",
            ..order(&no, "葡萄")
        },
        JsapiPrepay {
            time_expire: Utc::now() - Duration::seconds(1),
            ..order(&no, "葡萄")
        },
        JsapiPrepay {
            attach: Some(&"x".repeat(129)),
            ..order(&no, "葡萄")
        },
    ] {
        let err = client.jsapi_prepay(&bad).await.unwrap_err();
        assert!(matches!(err, WechatPayError::InvalidRequest(_)), "{err}");
        assert_eq!(ApiError::from(err).code, ErrorCode::PaymentUnavailable);
    }
    assert_eq!(fake.count("/v3/"), 0);
}

#[tokio::test]
async fn query_follows_a_trade_from_unknown_to_paid() {
    let fake = FakeWechatPay::start().await;
    let client = fake.client();
    let no = trade_no();
    let err = client.query_by_out_trade_no(&no).await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(!err.is_retryable());

    client.jsapi_prepay(&order(&no, "葡萄")).await.unwrap();
    let unpaid = client.query_by_out_trade_no(&no).await.unwrap();
    assert_eq!(unpaid.trade_state, TradeState::NotPay);
    assert_eq!(unpaid.transaction_id, None);
    assert!(!unpaid.paid_exactly(1990));

    fake.pay(no.as_str());
    let paid = client.query_by_out_trade_no(&no).await.unwrap();
    assert_eq!(paid.trade_state, TradeState::Success);
    assert!(paid.paid_exactly(1990));
    assert!(!paid.paid_exactly(1989));
    assert_eq!(paid.out_trade_no, no.as_str());
    assert_eq!(paid.payer.openid, OPENID);
    assert_eq!(paid.attach.as_deref(), Some("group_buy:7"));
    assert_eq!(
        paid.transaction_id,
        fake.order(no.as_str()).unwrap().transaction_id
    );
    assert!(
        (Utc::now() - paid.success_at().unwrap())
            .num_seconds()
            .abs()
            < 5
    );
}

#[tokio::test]
async fn close_stops_an_unpaid_trade_and_a_paid_one_cannot_be_closed() {
    let fake = FakeWechatPay::start().await;
    let client = fake.client();
    let no = trade_no();
    client.jsapi_prepay(&order(&no, "葡萄")).await.unwrap();
    client.close(&no).await.unwrap();
    assert_eq!(fake.order(no.as_str()).unwrap().state, "CLOSED");
    client.close(&no).await.expect("closing twice is fine");
    assert_eq!(
        client.query_by_out_trade_no(&no).await.unwrap().trade_state,
        TradeState::Closed
    );
    let err = client.jsapi_prepay(&order(&no, "葡萄")).await.unwrap_err();
    assert_eq!(err.code(), Some(&PayErrorCode::OrderClosed));
    let api = ApiError::from(err);
    assert_eq!(
        (api.code, api.code.status().as_u16()),
        (ErrorCode::PaymentClosed, 409)
    );

    let paid = paid_trade(&fake, &client).await;
    let err = client.close(&paid).await.unwrap_err();
    assert_eq!(err.code(), Some(&PayErrorCode::OrderPaid));
    assert_eq!(ApiError::from(err).code, ErrorCode::OrderAlreadyPaid);
    assert_eq!(fake.order(paid.as_str()).unwrap().state, "SUCCESS");

    let never = trade_no();
    assert!(client.close(&never).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn a_refund_is_made_once_per_out_refund_no_and_reaches_its_final_state() {
    let fake = FakeWechatPay::start().await;
    let client = fake.client();
    let no = paid_trade(&fake, &client).await;
    let refund_no = OutRefundNo::new("R20261201000001").unwrap();
    let request = RefundRequest {
        out_trade_no: &no,
        out_refund_no: &refund_no,
        reason: Some("团购未成团，全额退款"),
        refund_fen: 1990,
        total_fen: 1990,
    };
    let first = client.create_refund(&request).await.unwrap();
    assert_eq!(first.status, RefundStatus::Processing);
    assert_eq!((first.amount.refund, first.amount.total), (1990, 1990));
    assert_eq!(first.out_refund_no, "R20261201000001");
    // A retry (lost answer, sweep run twice) refunds nothing more.
    let again = client.create_refund(&request).await.unwrap();
    assert_eq!(again.refund_id, first.refund_id);
    let seen = fake.refund("R20261201000001").unwrap();
    assert_eq!(seen.requests, 2);
    assert_eq!(seen.reason.as_deref(), Some("团购未成团，全额退款"));
    assert_eq!(fake.order(no.as_str()).unwrap().refunded, 1990);

    // Nothing is left to refund under another number.
    let other = OutRefundNo::new("R20261201000002").unwrap();
    let err = client
        .create_refund(&RefundRequest {
            out_refund_no: &other,
            refund_fen: 1,
            ..request.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&PayErrorCode::InvalidRequest));
    assert!(fake.refund("R20261201000002").is_none());

    assert_eq!(
        client.query_refund(&refund_no).await.unwrap().status,
        RefundStatus::Processing
    );
    let notify = fake.complete_refund("R20261201000001", "SUCCESS");
    let done = client.query_refund(&refund_no).await.unwrap();
    assert_eq!(done.status, RefundStatus::Success);
    assert!(done.status.is_final() && done.success_at().is_some());

    let opened = client
        .open_notify(&notify.headers(), notify.body.as_bytes())
        .await
        .unwrap();
    assert_eq!(opened.event_type, "REFUND.SUCCESS");
    let NotifyEvent::Refund(refund) = opened.event else {
        panic!("{opened:?}");
    };
    assert_eq!(refund.refund_id, first.refund_id);
    assert_eq!(refund.status, RefundStatus::Success);
    assert_eq!(refund.out_trade_no.as_deref(), Some(no.as_str()));
    assert_eq!(refund.amount.refund, 1990);

    // WeChat Pay's retry of that notify: same id, signed again.
    let retry = fake.refund_notify("R20261201000001");
    assert_ne!(retry.signature, notify.signature);
    let reopened = client
        .open_notify(&retry.headers(), retry.body.as_bytes())
        .await
        .unwrap();
    assert_eq!(reopened.id, opened.id);

    let missing = OutRefundNo::new("R-never").unwrap();
    assert!(
        client
            .query_refund(&missing)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn a_refund_can_succeed_at_once() {
    let fake = FakeWechatPay::start().await;
    fake.refund_instantly(true);
    let client = fake.client();
    let no = paid_trade(&fake, &client).await;
    let refund_no = OutRefundNo::new("R-instant").unwrap();
    let refund = client
        .create_refund(&RefundRequest {
            out_trade_no: &no,
            out_refund_no: &refund_no,
            reason: None,
            refund_fen: 500,
            total_fen: 1990,
        })
        .await
        .unwrap();
    assert_eq!(refund.status, RefundStatus::Success);
    assert!(refund.success_at().is_some());
    assert_eq!(fake.order(no.as_str()).unwrap().state, "REFUND");
    let trade = client.query_by_out_trade_no(&no).await.unwrap();
    assert_eq!(trade.trade_state, TradeState::Refund);
    assert!(trade.trade_state.is_paid() && trade.paid_exactly(1990));
}

#[tokio::test]
async fn refunds_of_unpaid_trades_or_bad_amounts_are_refused() {
    let fake = FakeWechatPay::start().await;
    let client = fake.client();
    let unpaid = trade_no();
    client.jsapi_prepay(&order(&unpaid, "葡萄")).await.unwrap();
    let refund_no = OutRefundNo::new("R1").unwrap();
    let request = RefundRequest {
        out_trade_no: &unpaid,
        out_refund_no: &refund_no,
        reason: None,
        refund_fen: 1990,
        total_fen: 1990,
    };
    let err = client.create_refund(&request).await.unwrap_err();
    assert_eq!(err.code(), Some(&PayErrorCode::InvalidRequest));
    for (refund_fen, total_fen) in [(0, 1990), (1991, 1990), (5, 0)] {
        let err = client
            .create_refund(&RefundRequest {
                refund_fen,
                total_fen,
                ..request.clone()
            })
            .await
            .unwrap_err();
        assert!(matches!(err, WechatPayError::InvalidRequest(_)), "{err}");
    }
    assert!(fake.refund("R1").is_none());
}

#[tokio::test]
async fn refund_notifies_carry_abnormal_and_closed_outcomes() {
    let fake = FakeWechatPay::start().await;
    let client = fake.client();
    for (i, status) in [RefundStatus::Abnormal, RefundStatus::Closed]
        .into_iter()
        .enumerate()
    {
        let no = paid_trade(&fake, &client).await;
        let refund_no = OutRefundNo::new(&format!("R-{i}")).unwrap();
        client
            .create_refund(&RefundRequest {
                out_trade_no: &no,
                out_refund_no: &refund_no,
                reason: None,
                refund_fen: 990,
                total_fen: 1990,
            })
            .await
            .unwrap();
        let word = if status == RefundStatus::Abnormal {
            "ABNORMAL"
        } else {
            "CLOSED"
        };
        let notify = fake.complete_refund(refund_no.as_str(), word);
        let opened = client
            .open_notify(&notify.headers(), notify.body.as_bytes())
            .await
            .unwrap();
        assert_eq!(opened.event_type, format!("REFUND.{word}"));
        let NotifyEvent::Refund(refund) = opened.event else {
            panic!("{opened:?}");
        };
        assert_eq!(refund.status, status);
        assert!(refund.success_at().is_none());
    }
}

#[tokio::test]
async fn a_pay_notify_opens_and_tampered_foreign_or_old_ones_do_not() {
    let fake = FakeWechatPay::start().await;
    let client = fake.client();
    let no = trade_no();
    client.jsapi_prepay(&order(&no, "葡萄")).await.unwrap();
    let notify = fake.pay(no.as_str());

    let opened = client
        .open_notify(&notify.headers(), notify.body.as_bytes())
        .await
        .unwrap();
    let NotifyEvent::TransactionSuccess(paid) = &opened.event else {
        panic!("{opened:?}");
    };
    assert_eq!(paid.out_trade_no, no.as_str());
    assert!(paid.paid_exactly(1990));
    assert_eq!(paid.appid, APP_ID);
    // WeChat Pay's retry: the same notify id, signed again.
    let retry = fake.transaction_notify(no.as_str());
    let reopened = client
        .open_notify(&retry.headers(), retry.body.as_bytes())
        .await
        .unwrap();
    assert_eq!(reopened.id, opened.id);

    let refused = |result: Result<_, NotifyError>| match result {
        Err(NotifyError::Signature(e)) => e,
        other => panic!("{other:?}"),
    };
    let tampered = notify.tampered();
    assert_ne!(tampered.body, notify.body);
    assert_eq!(
        refused(
            client
                .open_notify(&tampered.headers(), tampered.body.as_bytes())
                .await
        ),
        SignatureError::BadSignature
    );
    let wrong_serial = notify.with_serial("PUB_KEY_ID_0000000000000000000000000000OTHER");
    assert!(matches!(
        refused(
            client
                .open_notify(&wrong_serial.headers(), wrong_serial.body.as_bytes())
                .await
        ),
        SignatureError::UnknownSerial(_)
    ));
    let resource = fake.transaction_resource(no.as_str());
    let old = fake.notify_at(
        "TRANSACTION.SUCCESS",
        "transaction",
        &resource,
        Utc::now() - Duration::minutes(6),
    );
    assert!(matches!(
        refused(
            client
                .open_notify(&old.headers(), old.body.as_bytes())
                .await
        ),
        SignatureError::Stale(_)
    ));

    // Signed and encrypted properly, but for another merchant's trade.
    let mut foreign = resource.clone();
    foreign["mchid"] = "1900000000".into();
    let foreign = fake.notify("TRANSACTION.SUCCESS", "transaction", &foreign);
    let err = client
        .open_notify(&foreign.headers(), foreign.body.as_bytes())
        .await
        .unwrap_err();
    assert!(matches!(err, NotifyError::NotOurs { .. }), "{err}");
    assert_eq!(err.status(), 401);

    // An amount that differs is opened (the caller decides), never "paid exactly".
    let mut short = resource;
    short["amount"]["total"] = 1.into();
    let short = fake.notify("TRANSACTION.SUCCESS", "transaction", &short);
    let opened = client
        .open_notify(&short.headers(), short.body.as_bytes())
        .await
        .unwrap();
    let NotifyEvent::TransactionSuccess(t) = opened.event else {
        panic!()
    };
    assert!(!t.paid_exactly(1990));
}

#[tokio::test]
async fn a_notify_as_posted_carries_what_the_route_needs() {
    let fake = FakeWechatPay::start().await;
    let client = fake.client();
    let no = trade_no();
    client.jsapi_prepay(&order(&no, "葡萄")).await.unwrap();
    let notify = fake.pay(no.as_str());
    // Stands in for our notify route.
    let receiver = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(204))
        .mount(&receiver)
        .await;
    let answer = notify
        .post(
            &reqwest::Client::new(),
            &format!("{}/notify", receiver.uri()),
        )
        .await;
    assert_eq!(answer.status(), 204);
    let received = receiver.received_requests().await.unwrap();
    let request = &received[0];
    let headers = yizhan::wechatpay::SignatureHeaders::from_lookup(|name| {
        request.headers.get(name).and_then(|v| v.to_str().ok())
    })
    .unwrap();
    assert_eq!(headers, notify.headers());
    assert_eq!(request.body, notify.body.as_bytes());
    let opened = client.open_notify(&headers, &request.body).await.unwrap();
    assert!(matches!(opened.event, NotifyEvent::TransactionSuccess(_)));
}

#[tokio::test]
async fn requests_signed_with_another_key_are_refused_with_sign_error() {
    let fake = FakeWechatPay::start().await;
    let mut settings = fake.pay_settings();
    settings.private_key_path = fixture_path("platform2_key.pem");
    let impostor = fake.client_with(settings);
    let no = trade_no();
    let err = impostor
        .jsapi_prepay(&order(&no, "葡萄"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            WechatPayError::Api {
                status: 401,
                code: PayErrorCode::SignError,
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.is_retryable());
    assert_eq!(ApiError::from(err).code, ErrorCode::PaymentUnavailable);
    assert!(fake.order(no.as_str()).is_none());
    assert_eq!(
        fake.log(),
        vec![("POST /v3/pay/transactions/jsapi".to_owned(), 401)]
    );
}

#[tokio::test]
async fn answers_with_a_wrong_missing_or_foreign_signature_are_not_believed() {
    let fake = FakeWechatPay::start().await;
    let client = fake.client();
    let no = trade_no();
    for failure in [Failure::ForgedSignature, Failure::Unsigned] {
        fake.fail_next(failure, 1);
        let err = client.jsapi_prepay(&order(&no, "葡萄")).await.unwrap_err();
        assert!(
            matches!(err, WechatPayError::Unverified(_)),
            "{failure:?}: {err}"
        );
        assert!(err.is_retryable(), "the outcome is unknown: ask again");
    }
    // The fake did prepay: asking again gives the same prepay id, now believed.
    let prepay = client.jsapi_prepay(&order(&no, "葡萄")).await.unwrap();
    assert_eq!(fake.order(no.as_str()).unwrap().prepay_id, prepay.prepay_id);

    // A client trusting another public key believes none of the answers.
    let mut settings = fake.pay_settings();
    settings.public_key_path = fixture_path("merchant_public.pem");
    let misled = fake.client_with(settings);
    let err = misled.query_by_out_trade_no(&no).await.unwrap_err();
    assert!(matches!(err, WechatPayError::Unverified(_)), "{err}");
}

#[tokio::test]
async fn wechat_pay_500_timeout_and_system_error_are_retryable_503s() {
    let fake = FakeWechatPay::start().await;
    let client = fake.client();
    let no = trade_no();
    for failure in [
        Failure::Http500,
        Failure::SystemError,
        Failure::FrequencyLimited,
        Failure::Timeout,
    ] {
        fake.fail_next(failure, 1);
        let started = std::time::Instant::now();
        let err = client.jsapi_prepay(&order(&no, "葡萄")).await.unwrap_err();
        assert!(err.is_retryable(), "{failure:?}: {err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        if failure == Failure::Timeout {
            assert!(matches!(err, WechatPayError::Timeout), "{err}");
        }
        if failure == Failure::SystemError {
            assert_eq!(err.code(), Some(&PayErrorCode::SystemError));
        }
        let api = ApiError::from(err);
        assert_eq!(api.code, ErrorCode::PaymentUnavailable);
        assert_eq!(api.code.status().as_u16(), 503);
        assert!(api.retry_after_secs.is_some());
    }
    // The timed-out prepay happened at WeChat Pay; the retry gets the same
    // prepay id, so the order stays payable without a second trade.
    let prepay = client.jsapi_prepay(&order(&no, "葡萄")).await.unwrap();
    let seen = fake.order(no.as_str()).unwrap();
    assert_eq!(seen.prepay_id, prepay.prepay_id);
    assert_eq!(seen.prepay_requests, 2);

    fake.fail_all(Failure::Http500);
    for _ in 0..2 {
        assert!(
            client
                .query_by_out_trade_no(&no)
                .await
                .unwrap_err()
                .is_retryable()
        );
    }
    fake.recover();
    client.query_by_out_trade_no(&no).await.unwrap();

    fake.fail_on("/close", Failure::SystemError);
    assert!(client.close(&no).await.unwrap_err().is_retryable());
    assert_eq!(fake.order(no.as_str()).unwrap().state, "NOTPAY");
    fake.recover();
    client.close(&no).await.unwrap();
}

#[tokio::test]
async fn an_unreachable_wechat_pay_is_retryable() {
    let fake = FakeWechatPay::start().await;
    let mut settings = fake.pay_settings();
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    settings.api_base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = fake
        .client_with(settings)
        .query_by_out_trade_no(&trade_no())
        .await
        .unwrap_err();
    assert!(matches!(err, WechatPayError::Connection(_)), "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn certificates_are_downloaded_once_and_again_for_a_new_serial() {
    let fake = FakeWechatPay::start_with_certificates().await;
    let client = fake.client();
    let no = trade_no();
    client.jsapi_prepay(&order(&no, "葡萄")).await.unwrap();
    assert_eq!(fake.count("/v3/certificates"), 1);
    client.query_by_out_trade_no(&no).await.unwrap();
    let notify = fake.pay(no.as_str());
    assert_eq!(notify.serial, CERT_SERIALS[0]);
    assert_eq!(fake.signing_serial(), CERT_SERIALS[0]);
    client
        .open_notify(&notify.headers(), notify.body.as_bytes())
        .await
        .unwrap();
    assert_eq!(fake.count("/v3/certificates"), 1, "cached");

    // WeChat Pay starts signing with a new certificate: the first answer
    // under its serial fetches the list once, however many arrive at once.
    fake.rotate_certificate();
    let queries = (0..8).map(|_| client.query_by_out_trade_no(&no));
    for result in futures_util::future::join_all(queries).await {
        assert_eq!(result.unwrap().trade_state, TradeState::Success);
    }
    assert_eq!(fake.count("/v3/certificates"), 2);
    let notify = fake.transaction_notify(no.as_str());
    assert_eq!(notify.serial, CERT_SERIALS[1]);
    assert_eq!(fake.signing_serial(), CERT_SERIALS[1]);
    client
        .open_notify(&notify.headers(), notify.body.as_bytes())
        .await
        .unwrap();
    assert_eq!(fake.count("/v3/certificates"), 2);
}

#[tokio::test]
async fn forged_serials_cost_one_download_not_one_each() {
    let fake = FakeWechatPay::start_with_certificates().await;
    let client = fake.client();
    let no = trade_no();
    client.jsapi_prepay(&order(&no, "葡萄")).await.unwrap();
    let notify = fake.pay(no.as_str());
    for _ in 0..5 {
        let forged = notify.with_serial("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF");
        let err = client
            .open_notify(&forged.headers(), forged.body.as_bytes())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                NotifyError::Signature(SignatureError::UnknownSerial(_))
            ),
            "{err}"
        );
    }
    assert_eq!(
        fake.count("/v3/certificates"),
        2,
        "the first and one look for the serial"
    );
    // The genuine notify still opens from the cache.
    client
        .open_notify(&notify.headers(), notify.body.as_bytes())
        .await
        .unwrap();
}

#[tokio::test]
async fn certificates_that_do_not_decrypt_are_not_trusted() {
    let fake = FakeWechatPay::start_with_certificates().await;
    let mut settings = fake.pay_settings();
    settings.api_v3_key = "another-32-byte-key-for-the-test".to_owned().into();
    let client = fake.client_with(settings);
    let no = trade_no();
    let err = client.jsapi_prepay(&order(&no, "葡萄")).await.unwrap_err();
    assert!(matches!(err, WechatPayError::BadAnswer(_)), "{err}");
    assert!(client.refresh_certificates().await.is_err());
    // The prepay was made but its answer not believed; nothing is retried
    // in a loop: one more download only when asked explicitly.
    assert_eq!(fake.count("/v3/certificates"), 2);
    let err = client.query_by_out_trade_no(&no).await.unwrap_err();
    assert!(matches!(err, WechatPayError::Unverified(_)), "{err}");
    assert_eq!(fake.count("/v3/certificates"), 2);
}

#[tokio::test]
async fn the_application_starts_with_wechat_pay_configured() {
    let fake = FakeWechatPay::start().await;
    let app = spawn_app_with(|s| fake.configure(s)).await;
    assert_eq!(app.settings.payments.provider, PaymentProvider::Wechat);
    assert_eq!(app.get("/healthz", None).await.status, 200);
}

fn yizhan() -> Command {
    let mut cmd = crate::config::yizhan();
    cmd.env("YIZHAN__PAYMENTS__PROVIDER", "wechat");
    cmd
}

fn with_good_keys(cmd: &mut Command) -> &mut Command {
    cmd.env("YIZHAN__WECHATPAY__MCH_ID", MCH_ID)
        .env("YIZHAN__WECHATPAY__MCH_SERIAL_NO", "5A1B2C3D4E5F")
        .env(
            "YIZHAN__WECHATPAY__PRIVATE_KEY_PATH",
            fixture_path("merchant_key.pem"),
        )
        .env(
            "YIZHAN__WECHATPAY__API_V3_KEY",
            "0123456789abcdefTESTONLYv3key-32",
        )
        .env("YIZHAN__WECHATPAY__NOTIFY_URL", NOTIFY_URL)
}

#[test]
fn start_up_refuses_wechat_pay_without_its_settings_naming_each_key() {
    let out = yizhan().args(["migrate", "status"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for key in [
        "YIZHAN__WECHATPAY__MCH_ID",
        "YIZHAN__WECHATPAY__MCH_SERIAL_NO",
        "YIZHAN__WECHATPAY__PRIVATE_KEY_PATH",
        "YIZHAN__WECHATPAY__API_V3_KEY",
        "YIZHAN__WECHATPAY__NOTIFY_URL",
    ] {
        assert!(stderr.contains(key), "{key} in {stderr}");
    }
}

#[test]
fn start_up_refuses_malformed_wechat_pay_settings() {
    let cases = [
        (
            "YIZHAN__WECHATPAY__PRIVATE_KEY_PATH",
            "/nonexistent/apiclient_key.pem".to_owned(),
            "wechatpay.private_key_path",
        ),
        (
            "YIZHAN__WECHATPAY__PRIVATE_KEY_PATH",
            fixture_path("platform_cert.pem"),
            "not a PEM RSA private key",
        ),
        (
            "YIZHAN__WECHATPAY__API_V3_KEY",
            "too-short".to_owned(),
            "wechatpay.api_v3_key",
        ),
        (
            "YIZHAN__WECHATPAY__NOTIFY_URL",
            "https://yizhan.example.com/notify?from=wx".to_owned(),
            "must not carry a query",
        ),
        (
            "YIZHAN__WECHATPAY__NOTIFY_URL",
            "http://yizhan.example.com/api/v1/payments/wechat/notify".to_owned(),
            "must be https",
        ),
        (
            "YIZHAN__WECHATPAY__PUBLIC_KEY_PATH",
            fixture_path("platform_public.pem"),
            "wechatpay.public_key_id",
        ),
    ];
    for (var, value, expected) in cases {
        let mut cmd = yizhan();
        with_good_keys(&mut cmd).env(var, &value);
        let out = cmd.args(["migrate", "status"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{var}={value}");
        assert!(stderr.contains(expected), "{expected} in {stderr}");
    }
}

#[test]
fn every_wechat_pay_setting_is_read_from_the_environment() {
    let dir = std::env::temp_dir()
        .join("yizhan-tests")
        .join(uuid::Uuid::new_v4().simple().to_string());
    let url = format!("sqlite://{}?mode=rwc", dir.join("pay.db").display());
    let mut cmd = yizhan();
    with_good_keys(&mut cmd)
        .env("YIZHAN__WECHATPAY__APP_ID", APP_ID)
        .env(
            "YIZHAN__WECHATPAY__PUBLIC_KEY_PATH",
            fixture_path("platform_public.pem"),
        )
        .env(
            "YIZHAN__WECHATPAY__PUBLIC_KEY_ID",
            "PUB_KEY_ID_0114232134912410000000000000TEST",
        )
        .env("YIZHAN__WECHATPAY__TIMEOUT_MS", "3000")
        .env("YIZHAN__DATABASE__URL", &url);
    let out = cmd.args(["migrate", "up"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The inline key instead of the file works too.
    let pem = std::fs::read_to_string(fixture_path("merchant_key.pem")).unwrap();
    let mut cmd = yizhan();
    with_good_keys(&mut cmd)
        .env_remove("YIZHAN__WECHATPAY__PRIVATE_KEY_PATH")
        .env("YIZHAN__WECHATPAY__PRIVATE_KEY", pem)
        .env("YIZHAN__DATABASE__URL", &url);
    let out = cmd.args(["migrate", "status"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
