//! The fixed list of service categories helpers are approved for and offer.

/// Service categories, in display order.
pub const CATEGORIES: &[&str] = &[
    "家政保洁",
    "家电维修",
    "水电维修",
    "上门理发",
    "代买药品",
    "法律咨询",
    "心理咨询",
    "助浴陪护",
    "陪诊就医",
    "管道疏通",
    "开锁换锁",
    "其他服务",
];

pub fn is_category(name: &str) -> bool {
    CATEGORIES.contains(&name)
}
