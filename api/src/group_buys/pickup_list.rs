//! A campaign's pickup list for the counter, as CSV.

use sea_orm::{ActiveEnum, ConnectionTrait};

use super::service;
use crate::error::{ApiResult, ErrorCode};
use crate::orders::reads::{MerchantFilter, list_for_merchant};

/// The counter's pickup list as CSV: order no, nickname, masked phone,
/// quantity, pickup code, status.
pub async fn pickup_csv(
    db: &impl ConnectionTrait,
    merchant_id: i64,
    group_buy_id: i64,
) -> ApiResult<String> {
    // Another merchant's campaign is as absent as a missing one.
    if service::find(db, group_buy_id).await?.merchant_id != merchant_id {
        return Err(ErrorCode::GroupBuyNotFound.into());
    }
    let filter = MerchantFilter {
        kind: None,
        group_buy_id: Some(group_buy_id),
        status: None,
    };
    let list = list_for_merchant(db, merchant_id, filter, None).await?;
    let mut out = String::from("order_no,nickname,phone,quantity,pickup_code,status\n");
    for (o, row) in list.items {
        let code = row.pickup_code.unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            csv_field(&o.order_no),
            csv_field(&o.nickname),
            csv_field(o.phone.as_deref().unwrap_or("")),
            o.quantity,
            csv_field(&code),
            csv_field(&o.status.to_value())
        ));
    }
    Ok(out)
}

/// Characters that make a spreadsheet read a cell as a formula (OWASP CSV
/// injection), tab and carriage return included: some spreadsheets skip them
/// and read the formula after.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Quotes a CSV field when needed and defuses spreadsheet formulas, also
/// behind leading spaces.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(FORMULA_STARTS) || s.trim_start().starts_with(FORMULA_STARTS) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("王芳"), "王芳");
        assert_eq!(csv_field("\t=1+1"), "'\t=1+1");
        assert_eq!(csv_field("\r=1+1"), "\"'\r=1+1\"");
        assert_eq!(csv_field("  @SUM(A1)"), "'  @SUM(A1)");
    }
}
