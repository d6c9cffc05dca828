//! Deterministic pseudo-random Chinese names, streets and prices for demo data.

/// splitmix64: tiny, fast, and the same on every platform and version.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const COMMUNITY_WORDS: &[&str] = &[
    "幸福", "和平", "阳光", "长安", "东湖", "西苑", "南门", "北岸", "新华", "建设", "红旗", "人民",
    "光明", "春晖", "锦绣", "滨江", "桂花", "梧桐", "翠竹", "丰收",
];
const DISTRICTS: &[&str] = &[
    "城关镇",
    "东城街道",
    "西城街道",
    "南湖街道",
    "北山街道",
    "新区街道",
];
const STREETS: &[&str] = &[
    "解放路",
    "中山路",
    "人民路",
    "建设路",
    "文化路",
    "胜利街",
    "朝阳路",
    "新华街",
    "滨河路",
    "府前街",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "华", "建国", "桂兰", "玉兰", "志强", "淑珍", "海燕",
];

/// The name of community `i`: distinct for every i.
pub fn community(i: usize) -> String {
    let word = COMMUNITY_WORDS[i % COMMUNITY_WORDS.len()];
    let round = i / COMMUNITY_WORDS.len();
    if round == 0 {
        format!("{word}社区")
    } else {
        format!("{word}{}社区", round + 1)
    }
}

pub fn district(i: usize) -> &'static str {
    DISTRICTS[i % DISTRICTS.len()]
}

pub fn street(rng: &mut Rng) -> &'static str {
    STREETS[rng.below(STREETS.len() as u64) as usize]
}

pub fn person(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN))
}

const SHOP_SUFFIX: &[(&str, &str)] = &[
    ("果蔬生鲜", "鲜果蔬菜店"),
    ("预包装食品", "便利店"),
    ("海鲜水产", "海鲜水产行"),
    ("花卉绿植", "花店"),
    ("粮油调味", "粮油店"),
    ("日用百货", "日杂百货"),
    ("家政服务", "家政服务部"),
    ("医药健康", "大药房"),
];

pub fn shop(rng: &mut Rng, category: &str) -> String {
    let suffix = SHOP_SUFFIX
        .iter()
        .find(|(c, _)| *c == category)
        .map(|(_, s)| *s)
        .unwrap_or("小店");
    format!(
        "{}记{}",
        SURNAMES[rng.below(SURNAMES.len() as u64) as usize],
        suffix
    )
}

/// (name, unit, lowest price in fen, highest price in fen) for a leaf category.
pub fn product(rng: &mut Rng, leaf: &str) -> (String, &'static str, i64, u64) {
    let (items, unit, low, high): (&[&str], &str, i64, u64) = match leaf {
        "新鲜蔬菜" => (
            &[
                "小白菜",
                "西红柿",
                "黄瓜",
                "土豆",
                "茄子",
                "青椒",
                "菠菜",
                "胡萝卜",
            ],
            "斤",
            150,
            800,
        ),
        "时令水果" => (
            &[
                "赣南脐橙",
                "红富士苹果",
                "香蕉",
                "砂糖橘",
                "葡萄",
                "西瓜",
                "猕猴桃",
            ],
            "斤",
            300,
            2000,
        ),
        "肉禽蛋品" => (
            &["土鸡蛋", "猪五花肉", "鸡胸肉", "排骨", "牛腱子"],
            "斤",
            800,
            6000,
        ),
        "休闲零食" => (
            &["坚果礼盒", "薯片", "牛肉干", "饼干", "瓜子"],
            "袋",
            500,
            8000,
        ),
        "酒水饮料" => (
            &["矿泉水", "橙汁", "啤酒", "绿茶", "酸梅汤"],
            "箱",
            1500,
            9000,
        ),
        "乳品烘焙" => (&["纯牛奶", "酸奶", "全麦面包", "蛋糕"], "盒", 500, 6000),
        "鲜活鱼类" => (&["草鱼", "鲫鱼", "鲈鱼", "黄鱼"], "斤", 1000, 5000),
        "虾蟹贝类" => (&["基围虾", "大闸蟹", "花蛤", "扇贝"], "斤", 2000, 15000),
        "水产干货" => (&["紫菜", "虾皮", "海带", "干贝"], "袋", 800, 12000),
        "鲜切花" => (&["红玫瑰", "康乃馨", "百合", "向日葵"], "束", 1500, 12000),
        "盆栽绿植" => (&["绿萝", "多肉", "发财树", "吊兰"], "盆", 1000, 20000),
        "园艺用品" => (&["营养土", "花盆", "喷壶"], "个", 500, 5000),
        "米面杂粮" => (&["东北大米", "面粉", "小米", "绿豆"], "袋", 1000, 10000),
        "食用油" => (&["菜籽油", "花生油", "玉米油"], "桶", 3000, 15000),
        "调味品" => (&["生抽", "老陈醋", "食盐", "蚝油"], "瓶", 300, 3000),
        "清洁用品" => (&["洗衣液", "洗洁精", "垃圾袋"], "瓶", 500, 5000),
        "个人护理" => (&["牙膏", "洗发水", "毛巾"], "个", 500, 8000),
        "家居日用" => (&["纸巾", "保鲜膜", "衣架"], "包", 300, 5000),
        "日常保洁" => (&["2小时日常保洁", "深度保洁"], "次", 5000, 30000),
        "家电清洗" => (&["空调清洗", "油烟机清洗", "洗衣机清洗"], "次", 6000, 25000),
        "收纳整理" => (&["衣柜收纳整理", "厨房收纳整理"], "次", 8000, 40000),
        "常用药品" => (&["感冒灵颗粒", "布洛芬", "创可贴"], "盒", 500, 5000),
        "医疗器械" => (&["电子血压计", "体温计", "医用口罩"], "个", 1000, 30000),
        _ => (&["维生素C", "钙片", "蛋白粉"], "瓶", 3000, 30000),
    };
    let name = items[rng.below(items.len() as u64) as usize];
    (name.to_owned(), unit, low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_distinct() {
        let a: Vec<u64> = (0..5).map(|_| Rng::new(7).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let names: std::collections::HashSet<String> = (0..1200).map(community).collect();
        assert_eq!(names.len(), 1200);
    }
}
