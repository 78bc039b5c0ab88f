"""The words of the generated chats (qc_engine/chatgen.py): fillers for the templates' slots,
products, shops, agents and buyers, the question-and-answer exchanges of each topic, the shop
robot's and the system's texts, and the phrases of planted violations. Data only: how a chat
is put together from them, and how often, is chatgen.py's.
"""

from __future__ import annotations

from collections.abc import Sequence

# Fillers: a slot {name} in a template is replaced by one of these (which may hold slots
# of its own), by a per-chat value (product, order number, ...), or by a generated number.
FILLERS: dict[str, Sequence[str]] = {
    "qin": ("亲", "亲", "亲", "亲亲", "亲亲", "亲爱的", "宝宝"),
    "p": ("哦", "哦", "哦", "呢", "哈", "~", "哦~", "的哦", "呢亲", "哈亲", "", "哦亲", "滴"),
    "emo": (
        "",
        "",
        "",
        "",
        "",
        "",
        "[微笑]",
        "[微笑]",
        "/:^_^",
        "😊",
        "[害羞]",
        "/:Q",
        "[抱抱]",
        "[爱心]",
        "🌹",
        "~",
        "[可爱]",
        "/:809",
        "[调皮]",
    ),
    "cemo": (
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "[大笑]",
        "😂",
        "[疑问]",
        "[可怜]",
        "🙏",
        "[偷笑]",
    ),
    "ok": (
        "好的",
        "好",
        "嗯嗯",
        "哦哦",
        "好滴",
        "行",
        "知道了",
        "ok",
        "嗯",
        "好吧",
        "好的呢",
        "可以",
        "明白了",
    ),
    "thanks": ("谢谢", "谢谢亲", "好的谢谢", "3q", "感谢", "谢啦", "多谢", "谢谢客服"),
    "open": (
        "在吗",
        "在吗",
        "在不在",
        "你好",
        "您好",
        "在吗亲",
        "客服在吗",
        "有人吗",
        "老板在吗",
        "hello",
        "在？",
        "亲在吗",
    ),
    "greet": (
        "{qin}您好，我是客服{agent}，很高兴为您服务{emo}",
        "您好{qin}，在的哦~ 请问有什么可以帮您{emo}",
        "在的{qin}~ 欢迎光临{shop}{emo}",
        "亲亲在的哦，有什么可以帮您的吗{emo}",
        "您好，{shop}客服{agent}为您服务，请问有什么需要帮助的呢",
        "在的呢{qin}，您请说{emo}",
        "亲亲您好，{agent}在的哦{emo}",
    ),
    "close": (
        "不客气哦{qin}，有问题随时联系我们{emo}",
        "感谢您的支持，祝您生活愉快~{emo}",
        "好的{qin}，还有其他问题随时找我哦{emo}",
        "亲亲还有其他可以帮您的吗? 没有的话祝您购物愉快{emo}",
        "应该的{qin}，期待您的再次光临{emo}",
        "好的呢，感谢您对{shop}的支持，祝您生活愉快{emo}",
        "不客气的，有需要随时戳我{emo}",
    ),
    "wait": (
        "稍等哦{qin}，帮您查一下{emo}",
        "好的，稍等{qin}，这边帮您看一下",
        "{qin}稍等，我查询一下哦",
        "收到，马上帮您核实{p}",
        "您稍等一下，我这边看看{p}",
    ),
    "hear": ("好的", "收到", "明白", "了解", "嗯嗯", "好的呢"),
    "sorry": ("非常抱歉", "实在不好意思", "抱歉", "真的很抱歉", "不好意思"),
    "upset": (
        "太失望了",
        "怎么回事啊",
        "什么情况",
        "无语",
        "气死了",
        "这也太差了吧",
        "搞什么啊",
        "心累",
    ),
    "color": (
        "黑色",
        "白色",
        "米白",
        "杏色",
        "雾霾蓝",
        "卡其色",
        "藏青",
        "浅灰",
        "粉色",
        "燕麦色",
        "酒红",
    ),
    "courier": ("中通", "圆通", "韵达", "申通", "顺丰", "极兔", "邮政"),
    "city": (
        "杭州",
        "上海",
        "广州",
        "成都",
        "武汉",
        "郑州",
        "长沙",
        "南京",
        "西安",
        "济南",
        "沈阳",
        "昆明",
        "合肥",
        "南昌",
        "石家庄",
    ),
    "gift": ("袜子", "收纳袋", "小样", "运费险", "挂件", "试吃装", "贴纸", "手机支架"),
    "defect": (
        "破了个洞",
        "开线了",
        "有污渍",
        "颜色和图片不一样",
        "少了一件",
        "拉链坏了",
        "有一股味道",
        "压坏了",
        "漏了",
        "碎了",
        "划痕很明显",
        "不能开机",
    ),
    "pic": ("[图片]", "[图片]", "[图片][图片]", "[视频]"),
    "really": ("真的吗", "真的假的", "确定吗", "靠谱吗", "真的啊", "没骗我吧"),
    "think": (
        "那我考虑一下",
        "我再看看",
        "我先想想",
        "再对比一下",
        "等我问问我老公",
        "晚点再拍",
        "我再逛逛",
    ),
    "genuine": ("你们是正品吗", "是正品吗", "会不会是假货", "是官方的吗", "正品吗亲", "有防伪码吗"),
    "nudge": ("?", "？？", "人呢", "在吗", "还在吗", "回一下呀", "怎么不说话了"),
    "again": ("我刚才问的呢", "刚问的你还没回", "怎么不回我", "上面的问题呢", "回答一下我的问题"),
    "here": ("在", "在的", "嗯在", "在呢", "在在在"),
    "human": ("转人工", "人工", "人工客服", "我要人工", "找人工", "转人工客服"),
}
# What customers put before and after a question.
ASK_PREFIXES = (
    "请问",
    "想问下",
    "我想问一下",
    "亲，",
    "客服，",
    "你好，",
    "问一下，",
    "那",
    "还有，",
    "对了，",
    "老板，",
    "姐妹，",
)
ASK_SUFFIXES = ("呀", "啊", "呢", "？", "??", "😂", "[疑问]", "。", "哈")

PRODUCTS: dict[str, tuple[str, ...]] = {
    "apparel": (
        "连衣裙",
        "卫衣",
        "羽绒服",
        "牛仔裤",
        "T恤",
        "风衣",
        "针织衫",
        "运动裤",
        "衬衫",
        "毛呢大衣",
        "半身裙",
        "冲锋衣",
    ),
    "shoes": ("运动鞋", "小白鞋", "马丁靴", "凉鞋", "老爹鞋", "帆布鞋", "雪地靴"),
    "home": ("保温杯", "四件套", "收纳盒", "台灯", "电饭煲", "空气炸锅", "拖把", "床垫", "加湿器"),
    "beauty": ("面霜", "洗面奶", "口红", "防晒霜", "精华液", "面膜", "卸妆水"),
    "food": ("坚果礼盒", "牛肉干", "螺蛳粉", "茶叶", "蜂蜜", "零食大礼包", "咖啡豆"),
    "digital": ("数据线", "蓝牙耳机", "充电宝", "手机壳", "键盘", "鼠标", "智能手表"),
}
SIZED = ("apparel", "shoes")
SHOP_BRANDS = (
    "Q女家",
    "暖阳",
    "森屿",
    "简约主义",
    "小鹿",
    "禾木",
    "初见",
    "南风",
    "熊猫侠",
    "优品汇",
    "佳佳",
    "青柠",
    "木子家",
    "星河",
    "拾光",
)
SHOP_SUFFIXES = ("旗舰店", "官方旗舰店", "专营店", "小店", "的店", "家居馆", "数码专营")
AGENTS = (
    "伟霆",
    "小美",
    "小雅",
    "阿杰",
    "糖糖",
    "小七",
    "木子",
    "晴天",
    "可乐",
    "安安",
    "小鱼",
    "阿花",
    "团团",
    "小北",
)
BUYER_NAMES = (
    "tb",
    "tb",
    "tb",
    "小可爱",
    "lucky",
    "追风少年",
    "momo",
    "阳光",
    "jane",
    "小猪佩奇",
    "快乐星球",
    "abc",
)
BOT_NAME = "店小蜜"

# An exchange is a short run of turns (kind, template). Kinds: c = customer, a = agent,
# A = agent after looking something up (a longer wait), b = bot, s = system.
Turn = tuple[str, str]
Exchange = tuple[Turn, ...]

SIZE_EXCHANGES: tuple[Exchange, ...] = (
    (
        ("c", "{body}，穿什么码{cemo}"),
        ("a", "{qin}，{height}、{weight}斤的话建议拍{size}码{p}{emo}"),
    ),
    (
        ("c", "我平时穿{size}，这款偏大还是偏小"),
        ("a", "我们家是标准码{p}，按平时尺码拍就可以{emo}"),
    ),
    (("c", "腰围{waist}选哪个码"), ("a", "{qin}，腰围{waist}可以选{size}码{p}")),
    (
        ("c", "{size}码会不会小"),
        ("c", "我比较胖{cemo}"),
        ("a", "{qin}介意宽松一点的话可以拍大一码{p}{emo}"),
    ),
    (("c", "有尺码表吗"), ("a", "详情页第{n3}张图就是尺码表{p}，您对照一下~")),
    (("c", "脚长{foot}cm穿多大"), ("a", "{qin}，脚长{foot}建议拍{shoe}码{p}")),
    (("c", "这款鞋偏码吗"), ("a", "正常码数的{p}，脚背高的可以拍大一码")),
)
STOCK_EXCHANGES: tuple[Exchange, ...] = (
    (("c", "{color}还有货吗"), ("a", "有的哦{qin}，现货，拍下{h48}小时内发货{emo}")),
    (
        ("c", "{color}{size}码有吗{cemo}"),
        ("a", "{qin}，{color}{size}码暂时断货了呢，预计{n7}天后补货，可以先收藏一下哦"),
    ),
    (
        ("c", "这个什么时候补货"),
        ("a", "{wait}"),
        ("A", "{qin}，仓库说下周{weekday}左右到货{p}，到了第一时间上架"),
    ),
    (("c", "是现货还是预售"), ("a", "现货的{p}，付款后{h48}小时内发出{emo}")),
    (("c", "{product}还有{color}的吗"), ("a", "{color}有的{p}，链接里选颜色就可以")),
    (
        ("c", "https://item.taobao.com/item.htm?id={item_id}"),
        ("c", "这个还有吗"),
        ("a", "有货的{qin}，直接拍就可以{p}{emo}"),
    ),
)
DELIVERY_EXCHANGES: tuple[Exchange, ...] = (
    (("c", "今天拍什么时候发货"), ("a", "下午{hour}点前拍下当天发{p}，{courier}快递{emo}")),
    (("c", "发什么快递"), ("a", "默认{courier}{p}")),
    (("c", "能发顺丰吗"), ("a", "可以的{qin}，顺丰需要补{n10}元运费差价{p}")),
    (("c", "到{city}要几天"), ("a", "一般{days}天左右{p}，具体以物流为准{emo}")),
    (
        ("c", "明天能到吗{cemo}"),
        ("a", "{qin}，这个不敢保证的{p}，一般发货后{days}天到，具体看快递"),
    ),
    (("c", "急用，能加急吗"), ("a", "给您备注优先发货{p}{emo}")),
    (("c", "几号能发"), ("a", "付款后{h48}小时内发出{p}，请放心")),
)
DISCOUNT_EXCHANGES: tuple[Exchange, ...] = (
    (("c", "有优惠吗"), ("a", "{qin}，店铺首页可以领{n10}元无门槛券{p}，满{n200}减{n30}{emo}")),
    (("c", "能便宜点吗{cemo}"), ("a", "{qin}已经是活动价了{p}，现在下单还送{gift}{emo}")),
    (("c", "买两件有优惠吗"), ("a", "两件打{disc}折{p}，可以和优惠券一起用")),
    (("c", "有优惠券吗"), ("a", "有的{qin}，{coupon}{emo}")),
    (("c", "双十一还会降价吗"), ("a", "{qin}，现在就是活动价了{p}，放心拍~")),
    (("c", "老顾客有优惠吗"), ("a", "老顾客可以送{gift}{p}{emo}，下单备注一下就行")),
    (("c", "包邮吗"), ("a", "全国包邮{p}，偏远地区除外{emo}")),
)
MATERIAL_EXCHANGES: tuple[Exchange, ...] = (
    (("c", "是纯棉的吗"), ("a", "是{pct}%棉的{p}，透气舒服{emo}")),
    (("c", "会掉色吗"), ("a", "深色第一次洗会有点浮色{p}，建议冷水手洗{emo}")),
    (("c", "质量怎么样"), ("a", "{qin}放心，我们家{product}回购率很高的{p}{emo}")),
    (("c", "保质期多久"), ("a", "保质期{n12}个月{p}，都是{month}月新生产的")),
    (("c", "敏感肌能用吗"), ("a", "{qin}，建议先在耳后试用一下{p}，没有不适再大面积使用")),
    (("c", "起球吗"), ("a", "正常穿着不会起球的{p}")),
    (("c", "有没有味道"), ("a", "新品可能有一点点包装的味道{p}，通风一下就没有了")),
)
UNPAID_EXCHANGES: tuple[Exchange, ...] = (
    (("c", "我拍了还没付款，能改颜色吗"), ("a", "可以的{qin}，您改成{color}重新拍一下{p}")),
    (("c", "拍下了怎么改地址"), ("a", "{qin}，未付款的话直接在订单里修改地址就可以{p}{emo}")),
    (("a", "{qin}，看到您拍下还没付款{p}，现在付款今天就能发出呢{emo}"), ("c", "{ok}，马上付")),
    (("c", "付款页面打不开"), ("a", "{qin}可以退出重新登录一下试试{p}")),
    (("c", "可以用花呗吗"), ("a", "支持花呗的{p}{emo}")),
)
WHERE_EXCHANGES: tuple[Exchange, ...] = (
    (
        ("c", "我的快递到哪了"),
        ("a", "{wait}"),
        ("A", "{qin}，您的包裹已经到{city}转运中心了，预计{n2}天内送达{p}{emo}"),
    ),
    (
        ("c", "订单号{order_no}"),
        ("a", "{hear}，{wait}"),
        ("A", "{qin}，{courier}单号{tracking}，目前在{city}，运输中{p}"),
    ),
    (
        ("c", "物流怎么{n3}天没动了{cemo}"),
        ("a", "{sorry}{qin}，这边帮您联系快递催一下{p}"),
        ("A", "{qin}，快递回复今天会更新物流{p}，您留意一下"),
    ),
    (("c", "能不能快点啊"), ("a", "{qin}，已经帮您备注加急了{p}，给您带来不便{sorry}")),
    (
        ("c", "显示签收了但我没收到{cemo}"),
        ("a", "{wait}"),
        ("A", "{qin}，快递员放在了驿站{p}，您凭取件码去取一下"),
    ),
    (("c", "怎么还没发货"), ("a", "{qin}，您的订单已经打包好了{p}，今天{hour}点前会发出")),
    (("c", "快递单号多少"), ("a", "{courier}：{tracking}{p}{emo}")),
)
BROKEN_EXCHANGES: tuple[Exchange, ...] = (
    (
        ("c", "收到货{defect}，{upset}"),
        ("c", "{pic}"),
        ("a", "{sorry}给您带来不好的体验，麻烦您拍一下问题的照片发给我们{p}"),
    ),
    (
        ("c", "{pic}"),
        ("c", "你们自己看"),
        ("a", "{hear}{qin}，{sorry}，这边给您补发一个，您看可以吗"),
    ),
    (("c", "怎么处理"), ("a", "{qin}可以给您补发，或者退款{amount}元，您选一个{p}")),
    (("c", "那补发吧"), ("a", "好的，已经给您登记补发了{p}，单号出来同步给您")),
    (("c", "直接退款吧"), ("a", "好的{qin}，给您申请退款{amount}元，{n3}个工作日内到账{p}")),
    (
        ("c", "东西{defect}"),
        ("a", "{sorry}{qin}，辛苦您提供一下照片和订单号{p}"),
        ("c", "{pic}"),
        ("c", "{order_no}"),
    ),
)
REFUND_EXCHANGES: tuple[Exchange, ...] = (
    (("c", "退款什么时候到账"), ("a", "{qin}，仓库收到退货后{n3}个工作日内处理退款{p}")),
    (
        ("c", "退货地址发我一下"),
        ("a", "{qin}，申请退货后系统会自动给您退货地址{p}，直接按那个寄就可以"),
    ),
    (("c", "我已经寄回了，单号{tracking}"), ("a", "{hear}，仓库签收后会尽快给您处理{p}{emo}")),
    (
        ("c", "怎么还没退款{cemo}"),
        ("a", "{wait}"),
        ("A", "{qin}，仓库今天刚签收，已经催财务加急处理了{p}"),
    ),
    (("c", "运费谁出"), ("a", "{qin}，您有运费险的话会自动赔付运费{p}{emo}")),
    (("c", "不想要了能退吗"), ("a", "支持七天无理由退货的{p}，不影响二次销售就可以")),
    (
        ("c", "退款被拒了为什么"),
        ("a", "{wait}"),
        ("A", "{qin}，是因为吊牌被剪了{p}，您看可以补拍一下照片吗"),
    ),
)
EXCHANGE_EXCHANGES: tuple[Exchange, ...] = (
    (("c", "衣服小了能换大一码吗"), ("a", "可以的{qin}，您申请换货选{size}码就行{p}{emo}")),
    (("c", "换货运费怎么算"), ("a", "质量问题我们承担运费，非质量问题需要您承担一下{p}")),
    (("c", "颜色不喜欢能换吗"), ("a", "可以换的{qin}，不影响二次销售就可以{p}")),
)
SMALL_TALK: tuple[Exchange, ...] = (
    (("c", "{ok}"), ("a", "嗯嗯{qin}{emo}")),
    (("c", "{ok}{cemo}"),),
    (("c", "{really}"), ("a", "真的{p}{emo}")),
    (("c", "{think}"), ("a", "好的{qin}，喜欢的话可以先加购{p}{emo}")),
    (("c", "{genuine}"), ("a", "{qin}放心，官方授权正品{p}，支持验货{emo}")),
    (("c", "帮我备注一下{gift}"), ("a", "好的，已经备注了{p}")),
    (("c", "{again}"), ("a", "{sorry}{qin}，刚才消息有点多，您说的是{product}吧")),
    (("a", "{qin}还在吗{emo}"), ("c", "{here}")),
    (("c", "{nudge}"), ("a", "在的{qin}，您请说{p}")),
)
TOPICS: dict[str, tuple[tuple[Exchange, ...], ...]] = {
    "pre_sale.size": (SIZE_EXCHANGES, DELIVERY_EXCHANGES, MATERIAL_EXCHANGES),
    "pre_sale.stock": (STOCK_EXCHANGES, DELIVERY_EXCHANGES, DISCOUNT_EXCHANGES),
    "pre_sale.delivery": (DELIVERY_EXCHANGES, STOCK_EXCHANGES),
    "pre_sale.discount": (DISCOUNT_EXCHANGES, STOCK_EXCHANGES, MATERIAL_EXCHANGES),
    "pre_sale.material": (MATERIAL_EXCHANGES, DISCOUNT_EXCHANGES),
    "pre_sale.unpaid": (UNPAID_EXCHANGES, DELIVERY_EXCHANGES, DISCOUNT_EXCHANGES),
    "after_sale.where": (WHERE_EXCHANGES,),
    "after_sale.broken": (BROKEN_EXCHANGES, REFUND_EXCHANGES),
    "after_sale.refund": (REFUND_EXCHANGES,),
    "after_sale.exchange": (EXCHANGE_EXCHANGES, REFUND_EXCHANGES),
}
SCENARIOS_BY_STATUS: dict[str, tuple[str, ...]] = {
    "none": (
        "pre_sale.size",
        "pre_sale.stock",
        "pre_sale.delivery",
        "pre_sale.discount",
        "pre_sale.material",
    ),
    "unpaid": ("pre_sale.unpaid", "pre_sale.discount", "pre_sale.delivery"),
    "shipped": ("after_sale.where", "after_sale.where", "after_sale.refund"),
    "delivered": (
        "after_sale.broken",
        "after_sale.broken",
        "after_sale.exchange",
        "after_sale.where",
    ),
    "refunding": ("after_sale.refund", "after_sale.refund", "after_sale.broken"),
}
STATUS_ZH = {
    "none": "",
    "unpaid": "待付款",
    "shipped": "已发货",
    "delivered": "交易成功",
    "refunding": "退款中",
}

BOT_TEXTS = {
    "welcome": (
        "亲，欢迎光临{shop}！我是智能客服店小蜜，您可以直接描述问题哦~",
        "您好，我是{shop}的智能助手店小蜜，很高兴为您服务[微笑]",
        "亲亲，店小蜜在的哦，请问有什么可以帮您？",
    ),
    "faq": (
        "亲，本店默认发{courier}快递，下午4点前付款当天发货哦~",
        "关于尺码：亲可以参考详情页的尺码表，或者告诉我您的身高体重哦~",
        "亲，查询物流可以在【我的淘宝-我的订单】里点击查看物流哦~",
        "亲，退换货请在订单页申请，审核通过后会有退货地址哦~",
    ),
    "transfer": (
        "亲，您的问题小蜜已经记下了，正在为您转接人工客服，请稍候~",
        "正在为您转接人工客服，请稍等哦~",
    ),
}
SYSTEM_TEXTS = {
    "joined": ("系统提示：客服{agent}已接入，为您服务", "会话已由店小蜜转接至人工客服{agent}"),
    "card": (
        "[订单卡片] 订单号：{order_no} | {product} {color} | 实付 ¥{price} | {status_zh}",
        "[订单] {product}（{color}）x{n2} 订单编号{order_no} {status_zh}",
    ),
    "refund": (
        "系统消息：买家已申请退款，退款金额¥{amount}",
        "系统消息：退款申请已提交，等待卖家处理",
    ),
    "timeout": ("系统提示：买家长时间未回复，会话已自动结束",),
}

# Planted violations. Modes: "insert" a new agent message after a customer message,
# "prefix" an agent answer with the phrase, "suffix" an agent answer with it.
VIOLATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "off_platform": (
        ("insert", "{qin}，加我微信{wxid}，私下给您便宜{p}"),
        ("insert", "这边加个vx吧，{wxid}，发您实拍图{emo}"),
        ("insert", "您加我V信详聊{p}，号码是{wxid}"),
        ("insert", "要不您支付宝直接转我，{price}元就行，不用在平台拍"),
        ("suffix", "，有问题加我微信{wxid}{p}"),
    ),
    "shirking": (
        ("insert", "这个不归我们管{p}，您自己去问快递吧"),
        ("insert", "快递的问题您找快递公司，跟我说也没用"),
        ("insert", "质量问题您找厂家去吧，我们只是卖货的"),
        ("prefix", "这个不归我们管，"),
    ),
    "risky_promise": (
        ("insert", "放心{qin}，保证明天到{p}{emo}"),
        ("suffix", "，保证明天到{p}"),
        ("insert", "绝对不会掉色的{qin}，放心穿{emo}"),
        ("insert", "肯定不会过敏{p}，我们家卖了这么多年"),
        ("insert", "这样吧，我私人补偿您{n30}元{p}"),
    ),
    "impatient": (
        ("prefix", "说了多少遍了，"),
        ("insert", "你自己不会看详情页吗"),
        ("insert", "说了多少遍了，详情页都写着呢"),
        ("insert", "听不懂吗？我刚才已经说过了"),
        ("prefix", "我刚才不是说了吗，"),
    ),
    "review_inducement": (
        ("insert", "{qin}，收到货给个五星好评，截图发我返现{n10}元{p}{emo}"),
        ("insert", "好评返现{n10}元，记得带图{p}"),
        ("insert", "亲亲删掉差评的话给您补偿{n10}元红包，可以吗"),
        ("suffix", "，好评返现{n10}元{p}"),
    ),
    "ad_law_words": (
        ("insert", "我们家是全网最低价了{qin}{emo}"),
        ("suffix", "，全网最低{p}"),
        ("insert", "这款是全网第一销量，质量最好的{p}"),
        ("insert", "100%纯天然的，绝对有效{p}"),
    ),
    "sensitive_info": (
        ("insert", "{qin}，您的收货电话是{phone}对吧"),
        ("insert", "快递员电话{phone}，您直接打给他{p}"),
        ("insert", "已经按{phone}给您联系快递了{p}"),
    ),
    "emoji_misuse": (
        ("suffix", "[白眼]"),
        ("suffix", "🙄"),
        ("suffix", "[鄙视]"),
        ("suffix", "[抠鼻]"),
        ("insert", "[白眼][白眼]"),
    ),
}
THREATS: tuple[str, ...] = (
    "再不处理我就给差评了",
    "我要投诉你们",
    "不行我就打12315了",
    "信不信我给你们差评{cemo}",
    "这样我只能找平台投诉了",
    "我要给差评，太坑了",
    "再这样我去12315投诉",
)
