//! The one error type handlers return, the stable error codes clients switch
//! on, and their JSON body:
//! `{"error": {"code", "message", "details"}, "request_id"}`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::telemetry;

macro_rules! error_codes {
    ($($variant:ident => ($status:ident, $message:literal)),+ $(,)?) => {
        /// Stable, upper-snake error codes. Clients switch on these; never rename one.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum ErrorCode {
            $($variant),+
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            pub fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$variant => StatusCode::$status),+
                }
            }

            /// The default Chinese message shown to the user.
            pub fn message(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $message),+
                }
            }

            pub fn as_str(self) -> String {
                serde_json::to_value(self)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            }
        }
    };
}

error_codes! {
    MalformedJson => (BAD_REQUEST, "请求体不是有效的 JSON"),
    InvalidQuery => (BAD_REQUEST, "查询参数有误"),
    ValidationFailed => (UNPROCESSABLE_ENTITY, "提交的内容有误"),
    IdempotencyKeyReused => (UNPROCESSABLE_ENTITY, "同一幂等键对应了不同的请求内容"),
    Unauthorized => (UNAUTHORIZED, "请先登录"),
    TokenInvalid => (UNAUTHORIZED, "登录凭证无效"),
    TokenExpired => (UNAUTHORIZED, "登录已过期，请重新登录"),
    RefreshTokenInvalid => (UNAUTHORIZED, "刷新凭证无效或已过期"),
    RefreshTokenReused => (UNAUTHORIZED, "刷新凭证已被使用，请重新登录"),
    InvalidCredentials => (UNAUTHORIZED, "用户名或密码错误"),
    WechatCodeInvalid => (UNAUTHORIZED, "微信登录凭证无效或已使用"),
    Forbidden => (FORBIDDEN, "没有权限执行此操作"),
    WechatUserBlocked => (FORBIDDEN, "该微信账号存在风险，暂时无法登录"),
    NotFound => (NOT_FOUND, "资源不存在"),
    RouteNotFound => (NOT_FOUND, "接口不存在"),
    UserNotFound => (NOT_FOUND, "用户不存在"),
    CommunityNotFound => (NOT_FOUND, "社区不存在"),
    GridNotFound => (NOT_FOUND, "网格不存在"),
    MerchantNotFound => (NOT_FOUND, "商户不存在"),
    ApplicationNotFound => (NOT_FOUND, "入驻申请不存在"),
    GoodsNotFound => (NOT_FOUND, "商品不存在"),
    PromotionNotFound => (NOT_FOUND, "优惠活动不存在"),
    ApplicationPending => (CONFLICT, "已有待审核的入驻申请"),
    ApplicationNotPending => (CONFLICT, "该申请已审核，不能重复处理"),
    MerchantStatusConflict => (CONFLICT, "商户当前状态不允许此操作"),
    StaffNotFound => (NOT_FOUND, "该用户不是本店店员"),
    HelperNotFound => (NOT_FOUND, "服务人员不存在"),
    HelperStatusConflict => (CONFLICT, "服务人员当前状态不允许此操作"),
    AdminNotFound => (NOT_FOUND, "管理员账号不存在"),
    AccountDisabled => (FORBIDDEN, "账号已停用，请联系平台管理员"),
    MethodNotAllowed => (METHOD_NOT_ALLOWED, "请求方法不被允许"),
    UsernameTaken => (CONFLICT, "用户名已被使用"),
    AlreadyExists => (CONFLICT, "记录已存在"),
    NoticeNotFound => (NOT_FOUND, "通知不存在"),
    MessageNotFound => (NOT_FOUND, "消息不存在"),
    GroupBuyNotFound => (NOT_FOUND, "团购不存在"),
    OrderNotFound => (NOT_FOUND, "订单不存在"),
    InsufficientStock => (CONFLICT, "商品库存不足"),
    SoldOut => (CONFLICT, "团购已售罄"),
    PerUserLimit => (CONFLICT, "超过每人限购数量"),
    NotOngoing => (CONFLICT, "团购不在进行中"),
    PickupCodeInvalid => (CONFLICT, "提货码无效或已使用"),
    LoginTicketNotFound => (NOT_FOUND, "登录二维码不存在"),
    LoginTicketExpired => (CONFLICT, "登录二维码已过期，请刷新后重新扫码"),
    LoginTicketUsed => (CONFLICT, "登录二维码已被使用，请刷新后重新扫码"),
    PaymentProviderUnavailable => (SERVICE_UNAVAILABLE, "该支付方式暂不可用"),
    PaymentUnavailable => (SERVICE_UNAVAILABLE, "微信支付暂时不可用，请稍后再试"),
    PaymentClosed => (CONFLICT, "该订单的微信支付已关闭"),
    OrderAlreadyPaid => (CONFLICT, "订单已支付"),
    PayloadTooLarge => (PAYLOAD_TOO_LARGE, "请求体过大"),
    RateLimited => (TOO_MANY_REQUESTS, "操作太频繁，请稍后再试"),
    IdempotencyInProgress => (CONFLICT, "相同的请求正在处理中，请稍后再试"),
    HelperApplicationNotFound => (NOT_FOUND, "服务人员申请不存在"),
    HelperApplicationPending => (CONFLICT, "已有待审核的服务人员申请"),
    AlreadyHelper => (CONFLICT, "已是认证服务人员"),
    ApplicationAlreadyReviewed => (CONFLICT, "该申请已审核"),
    ServiceNotFound => (NOT_FOUND, "服务不存在"),
    SlotNotFound => (NOT_FOUND, "时段不存在"),
    SlotOverlap => (CONFLICT, "与已发布的时段重叠"),
    SlotTaken => (CONFLICT, "该时段已被预约"),
    SlotPassed => (CONFLICT, "该时段已开始或已过去"),
    TooManyOpenBookings => (CONFLICT, "未完成的预约已达上限，请先完成或取消已有预约"),
    BookingNotFound => (NOT_FOUND, "预约不存在"),
    InvalidTransition => (CONFLICT, "当前状态不允许此操作"),
    BookingNotCompleted => (CONFLICT, "服务完成后才能评价"),
    AlreadyReviewed => (CONFLICT, "已评价过该预约"),
    UnsupportedMedia => (UNSUPPORTED_MEDIA_TYPE, "仅支持 JPEG、PNG、WebP 格式的图片"),
    ImageTooLarge => (UNPROCESSABLE_ENTITY, "图片像素过大，请缩小后再上传"),
    MalformedMultipart => (BAD_REQUEST, "上传内容格式有误"),
    UploadNotFound => (NOT_FOUND, "图片不存在"),
    MediaUrlExpired => (FORBIDDEN, "图片链接已过期，请重新获取"),
    SignatureInvalid => (FORBIDDEN, "签名无效"),
    ContentRejected => (UNPROCESSABLE_ENTITY, "内容含有违规信息，请修改后再提交"),
    RequestNotFound => (NOT_FOUND, "诉求不存在"),
    DepartmentNotFound => (NOT_FOUND, "部门不存在"),
    CategoryNotFound => (NOT_FOUND, "诉求类别不存在"),
    ComponentNotFound => (NOT_FOUND, "城市部件不存在"),
    PlaceNotFound => (NOT_FOUND, "二维码对应的位置不存在"),
    UrgedToday => (TOO_MANY_REQUESTS, "今天已经催办过，请明天再试"),
    ReopenNotAllowed => (CONFLICT, "只能在办结后 7 天内重新打开一次"),
    ExtensionNotAllowed => (CONFLICT, "已有延期申请或已延期过"),
    AlreadyRated => (CONFLICT, "已评价过该诉求"),
    BuildingNotFound => (NOT_FOUND, "楼栋不存在"),
    CartFull => (CONFLICT, "购物车最多 100 种商品"),
    GoodsUnavailable => (CONFLICT, "商品已下架、已删除或暂不可购买"),
    NotServedHere => (CONFLICT, "该商户不服务您所在的社区"),
    DeliveryUnavailable => (CONFLICT, "该商户暂不提供配送"),
    BelowMinimumOrder => (CONFLICT, "未达到起送金额"),
    AddressRequired => (CONFLICT, "请先绑定所在楼栋和房号"),
    AfterSaleNotFound => (NOT_FOUND, "售后申请不存在"),
    AfterSaleOpen => (CONFLICT, "该订单已有处理中的售后申请"),
    AfterSaleWindowPassed => (UNPROCESSABLE_ENTITY, "订单完成已超过 7 天，不能再申请售后"),
    RefundExceedsPaid => (UNPROCESSABLE_ENTITY, "退款金额超过可退金额"),
    Conflict => (CONFLICT, "操作与当前状态冲突"),
    WechatUnavailable => (SERVICE_UNAVAILABLE, "微信服务暂时不可用，请稍后再试"),
    ServiceUnavailable => (SERVICE_UNAVAILABLE, "服务暂时不可用，请稍后再试"),
    InternalError => (INTERNAL_SERVER_ERROR, "服务器内部错误"),
    HeadersTooLarge => (REQUEST_HEADER_FIELDS_TOO_LARGE, "请求头过大"),
    SurveyNotFound => (NOT_FOUND, "问卷不存在"),
    SurveyNotOpen => (CONFLICT, "问卷不在填写期内"),
    AlreadyAnswered => (CONFLICT, "已填写过该问卷"),
    JobNotFound => (NOT_FOUND, "零工岗位不存在"),
    JobNotOpen => (CONFLICT, "该岗位已招满、已结束或已下架"),
    JobFilled => (CONFLICT, "该岗位已招满"),
    AlreadyApplied => (CONFLICT, "已报名过该岗位"),
    AlreadyReported => (CONFLICT, "已举报过该岗位"),
    NotForYourCommunity => (FORBIDDEN, "仅限所列社区的居民"),
    JobApplicationNotFound => (NOT_FOUND, "报名记录不存在"),
    LendingPointNotFound => (NOT_FOUND, "借用点不存在"),
    ToolNotFound => (NOT_FOUND, "工具不存在"),
    ToolUnavailable => (CONFLICT, "该日期的工具已借完"),
    LoanNotFound => (NOT_FOUND, "借用记录不存在"),
    PointRuleNotFound => (NOT_FOUND, "积分细则不存在"),
    InsufficientPoints => (CONFLICT, "积分不足"),
    PointsCapReached => (CONFLICT, "已达到该积分项目的每日或每月上限"),
    AlreadyReversed => (CONFLICT, "该积分记录已被冲正或已过期"),
    AlreadyAwarded => (CONFLICT, "该事项已发放过积分"),
    ShelfItemNotFound => (NOT_FOUND, "爱心超市商品不存在"),
    RedemptionNotFound => (NOT_FOUND, "兑换记录不存在"),
    WishNotFound => (NOT_FOUND, "心愿不存在"),
    WishTaken => (CONFLICT, "该心愿已被认领"),
    ActivityNotFound => (NOT_FOUND, "活动不存在"),
    SessionNotFound => (NOT_FOUND, "活动场次不存在"),
    SignupNotFound => (NOT_FOUND, "报名记录不存在"),
    FamilyMemberNotFound => (NOT_FOUND, "家庭成员不存在"),
    SessionFull => (CONFLICT, "名额已满"),
    AlreadySignedUp => (CONFLICT, "已报名该场次"),
    SignupClosed => (CONFLICT, "不在报名时间内"),
    CancelCutoffPassed => (CONFLICT, "已过取消截止时间"),
    NotEligible => (CONFLICT, "不符合该活动的报名条件"),
    CheckinCodeInvalid => (CONFLICT, "签到码无效或已使用"),
    CheckinCodeExpired => (CONFLICT, "签到码已过期，请重新扫码"),
    AlreadyCheckedIn => (CONFLICT, "已签到"),
    CanteenNotFound => (NOT_FOUND, "长者食堂不存在"),
    MealNotFound => (NOT_FOUND, "该餐次不存在或未发布菜单"),
    MealBookingNotFound => (NOT_FOUND, "订餐记录不存在"),
    MealBookingClosed => (CONFLICT, "已过订餐截止时间"),
    MealAlreadyBooked => (CONFLICT, "已预订该餐次"),
    MenuLocked => (CONFLICT, "该餐次已有人预订，菜单不能再修改"),
}

/// One field that failed validation: which, and why.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    pub request_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<Value>,
}

/// The error every handler and service returns.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Option<String>,
    pub details: Option<Value>,
    pub retry_after_secs: Option<u64>,
    pub allow: Option<String>,
    /// The cause, logged for 5xx answers and never shown to the client.
    pub source: Option<anyhow::Error>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            message: None,
            details: None,
            retry_after_secs: None,
            allow: None,
            source: None,
        }
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    pub fn validation(fields: Vec<FieldError>) -> Self {
        Self::new(ErrorCode::ValidationFailed).details(serde_json::json!({ "fields": fields }))
    }

    pub fn field(field: &str, message: &str) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// 400 `INVALID_QUERY` listing the bad query parameters.
    pub fn invalid_query(fields: Vec<FieldError>) -> Self {
        Self::new(ErrorCode::InvalidQuery).details(serde_json::json!({ "fields": fields }))
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(ErrorCode::InternalError);
        err.source = Some(source.into());
        err
    }

    /// 503 `SERVICE_UNAVAILABLE` with `Retry-After`: a dependency (the
    /// database) is down or restarting; the same request will do later.
    pub fn unavailable(source: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(ErrorCode::ServiceUnavailable).retry_after(RETRY_UNAVAILABLE_SECS);
        err.source = Some(source.into());
        err
    }
}

/// Every bad field of a request: 422 `VALIDATION_FAILED` listing them.
impl From<Vec<FieldError>> for ApiError {
    fn from(fields: Vec<FieldError>) -> Self {
        Self::validation(fields)
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code)
    }
}

/// What `Retry-After` says when the database is away.
pub const RETRY_UNAVAILABLE_SECS: u64 = 2;

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        if database_unavailable(&err) {
            ApiError::unavailable(err)
        } else {
            ApiError::internal(err)
        }
    }
}

/// Whether `err` says the database cannot be reached now (down, restarting,
/// the connection cut under a query, no connection free within the pool's
/// acquire timeout), as opposed to a query that is wrong.
pub fn database_unavailable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx};
    let runtime = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Query(e) | DbErr::Exec(e) => e,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx_err) = runtime else {
        return false;
    };
    match sqlx_err.as_ref() {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // SQLSTATE class 08 (connection exception) and 57 (operator
        // intervention: `57P01` terminating connection due to administrator
        // command, `57P02` crash shutdown, `57P03` cannot connect now).
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57")),
        _ => false,
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(err: serde_json::Error) -> Self {
        ApiError::internal(err)
    }
}

impl From<sea_orm::TransactionError<ApiError>> for ApiError {
    fn from(err: sea_orm::TransactionError<ApiError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(api) => api,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code.as_str())?;
        if let Some(source) = &self.source {
            write!(f, ": {source:#}")?;
        }
        Ok(())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(code = %self.code.as_str(), error = %self, "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self
                    .message
                    .clone()
                    .unwrap_or_else(|| self.code.message().to_owned()),
                details: self.details.clone(),
            },
            request_id: telemetry::current_request_id(),
        };
        let mut response = HttpResponse::build(status);
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let Some(allow) = self
            .allow
            .as_deref()
            .and_then(|a| HeaderValue::from_str(a).ok())
        {
            response.insert_header((header::ALLOW, allow));
        }
        response.json(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_upper_snake() {
        assert_eq!(ErrorCode::WechatCodeInvalid.as_str(), "WECHAT_CODE_INVALID");
        assert_eq!(ErrorCode::MalformedJson.as_str(), "MALFORMED_JSON");
    }

    /// Every code is answered somewhere, as Lemmy checks its error types: a
    /// code nothing raises is a promise to clients that nothing keeps.
    /// (Test modules at the end of files do not count.)
    #[test]
    fn every_code_is_raised_somewhere() {
        fn sources(dir: &std::path::Path, out: &mut String) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                    out.push_str(code);
                }
            }
        }
        let mut all = String::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut all,
        );
        let raised = |name: &str| {
            all.match_indices(name).any(|(at, _)| {
                let next = all[at + name.len()..].chars().next();
                !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        };
        let unused: Vec<String> = ErrorCode::ALL
            .iter()
            .map(|code| format!("ErrorCode::{code:?}"))
            .filter(|name| !raised(name))
            .collect();
        assert!(unused.is_empty(), "never raised: {unused:?}");
    }

    #[test]
    fn every_code_has_a_client_or_server_status() {
        for code in ErrorCode::ALL {
            let status = code.status();
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{code:?}"
            );
            assert!(!code.message().is_empty());
        }
    }
}
