"""`qc bench`: the engine benchmark on a generated, realistic mix of shop chats.

Two parts:
- `generate(n, seed)`: a deterministic generator of Taobao-style customer-service chats,
  pre-sale (size, stock, delivery time, discounts, material) and after-sale (where is my
  parcel, a broken item, return and refund, exchange), with timestamps, the shop robot
  (店小蜜), system notices and order cards, and violations planted at realistic rates. Texts
  are built from templates and random fillers, so the mix does not repeat ten strings.
- `main(args)`: scores the mix with `Engine.score` on one core and prints throughput,
  per-stage time, memory, and references measured in the same run on the same messages: the
  Aho-Corasick floor (one automaton scan of every message with every lexicon phrase, by
  pyahocorasick, and the lower one of the same scan by ahocorasick_rs), plain jieba and
  rjieba segmentation, and JSON Lines parsing.

Speed targets are printed by the benchmark, never asserted by tests.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import resource
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

from qc_engine.transcript import SHANGHAI, Message, Transcript, transcript_from_dict

# --------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------

PRE_SALE = ("none", "unpaid")
AFTER_SALE = ("shipped", "delivered", "refunding")
STATUS_WEIGHTS = {"none": 33, "unpaid": 12, "shipped": 25, "delivered": 18, "refunding": 12}
CHANNEL_WEIGHTS = {"taobao": 55, "tmall": 30, "jd": 5, "douyin": 5, "pdd": 5}

# Share of transcripts that get one planted agent violation of each kind (a chat can get
# more than one). About 6% of chats carry at least one, in line with what QC teams report
# for shops that already train their agents.
VIOLATION_RATES: dict[str, float] = {
    "off_platform": 0.006,
    "shirking": 0.007,
    "risky_promise": 0.009,
    "impatient": 0.010,
    "review_inducement": 0.006,
    "ad_law_words": 0.008,
    "sensitive_info": 0.004,
    "emoji_misuse": 0.008,
}
# A customer threatening a bad review or a complaint (a risk signal, not a violation).
THREAT_RATE = {"pre_sale": 0.006, "after_sale": 0.045}

MIN_MESSAGES, MAX_MESSAGES = 8, 40

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

_SLOT = re.compile(r"\{(\w+)\}")
_STRIPPABLE = re.compile(r"[，。！？,.!]")
_QUESTION = re.compile(r"[吗么?？几哪谁]|多少|怎么|什么|能不能|有没有|可以")


def _digits(rng: Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


NUMBERS: dict[str, Callable[[Random], str]] = {
    "n2": lambda r: str(r.randint(1, 3)),
    "n3": lambda r: str(r.randint(2, 5)),
    "days": lambda r: (lambda a: f"{a}到{a + r.randint(1, 3)}")(r.randint(1, 3)),
    "n7": lambda r: str(r.randint(3, 15)),
    "n10": lambda r: str(r.choice((3, 5, 5, 10, 10, 15, 20))),
    "n12": lambda r: str(r.choice((6, 9, 12, 18, 24))),
    "n30": lambda r: str(r.choice((10, 20, 30, 50))),
    "n200": lambda r: str(r.choice((99, 139, 199, 299))),
    "h48": lambda r: r.choice(("24", "48", "48", "72")),
    "hour": lambda r: r.choice(("3", "4", "4", "5", "6")),
    "pct": lambda r: r.choice(("95", "100", "80", "65")),
    "disc": lambda r: r.choice(("9", "8.8", "8.5", "9.5")),
    "month": lambda r: str(r.randint(1, 12)),
    "weekday": lambda r: r.choice("一二三四五"),
    "coupon": lambda r: f"满{r.choice((99, 199, 299))}减{r.choice((10, 20, 30))}，首页领取哦",
    "wxid": lambda r: r.choice(("xx", "shop", "kf", "tb")) + _digits(r, r.randint(4, 7)),
    "phone": lambda r: "1" + r.choice("3456789") + _digits(r, 9),
    "item_id": lambda r: "6" + _digits(r, 11),
}


def _pick(rng: Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _order_number(rng: Random) -> str:
    return rng.choice("234") + _digits(rng, 18)


def _tracking(rng: Random, courier: str) -> str:
    prefix = {
        "中通": "78",
        "圆通": "YT",
        "韵达": "43",
        "申通": "77",
        "顺丰": "SF",
        "极兔": "JT",
        "邮政": "98",
    }[courier]
    return prefix + _digits(rng, 13 if prefix.isalpha() else 12)


class _Chat:
    """One chat under construction: its fixed facts and a template filler."""

    def __init__(self, rng: Random, status: str) -> None:
        self.rng = rng
        kind = rng.choice(tuple(PRODUCTS))
        courier = rng.choice(FILLERS["courier"])
        self.sized = kind in SIZED
        size = (
            rng.choice(("S", "M", "L", "XL", "XXL"))
            if kind == "apparel"
            else str(rng.randint(35, 44))
        )
        price = rng.choice((39, 59, 69, 89, 99, 129, 159, 199, 239, 299, 399))
        self.values: dict[str, str] = {
            "shop": rng.choice(SHOP_BRANDS) + rng.choice(SHOP_SUFFIXES),
            "agent": rng.choice(AGENTS),
            "product": rng.choice(PRODUCTS[kind]),
            "color": rng.choice(FILLERS["color"]),
            "size": size,
            "courier": courier,
            "tracking": _tracking(rng, courier),
            "order_no": _order_number(rng),
            "price": str(price),
            "amount": str(rng.choice((price, price, price // 2, 10, 20))),
            "city": rng.choice(FILLERS["city"]),
            "status_zh": STATUS_ZH[status],
            "height": str(rng.randint(150, 185)),
            "weight": str(rng.randint(85, 170)),
            "waist": f"{rng.randint(1, 2)}尺{rng.randint(0, 9)}",
            "foot": f"{rng.randint(22, 27)}.{rng.choice('05')}",
            "shoe": str(rng.randint(35, 44)),
        }
        self.values["body"] = rng.choice(
            (
                "{height}，{weight}斤",
                "身高{height}体重{weight}",
                "{height}cm {weight}斤",
                "我{height}，{weight}斤",
                "{height} {weight}",
            )
        ).format(**self.values)

    def fill(self, template: str, depth: int = 0) -> str:
        if "{" not in template:
            return template
        rng = self.rng

        def slot(match: re.Match[str]) -> str:
            name = match.group(1)
            value = self.values.get(name)
            if value is not None:
                return value
            maker = NUMBERS.get(name)
            if maker is not None:
                return maker(rng)
            choice = rng.choice(FILLERS[name])
            return self.fill(choice, depth + 1) if depth < 3 else choice

        return _SLOT.sub(slot, template)


def _body(chat: _Chat, scenario: str, target: int) -> list[Turn]:
    """Question-and-answer exchanges on the scenario's topics, up to about `target` turns."""
    rng = chat.rng
    pools = TOPICS[scenario]
    group = scenario.split(".")[0]
    spare = [
        p
        for name, ps in TOPICS.items()
        if name.startswith(group)
        for p in ps
        if p is not SIZE_EXCHANGES or chat.sized
    ]
    turns: list[Turn] = []
    used: set[int] = set()
    while len(turns) < target:
        roll = rng.random()
        if roll < 0.62:
            pool = pools[0]
        elif roll < 0.85 and len(pools) > 1:
            pool = rng.choice(pools[1:])
        else:
            pool = SMALL_TALK
        if pool is SIZE_EXCHANGES and not chat.sized:
            pool = MATERIAL_EXCHANGES
        fresh = [e for e in pool if id(e) not in used]
        if not fresh:
            # This topic is exhausted: a long chat drifts to related questions.
            fresh = [e for p in spare for e in p if id(e) not in used] or list(pool)
        exchange = rng.choice(fresh)
        used.add(id(exchange))
        turns.extend(exchange)
    return turns


def _conversation(chat: _Chat, status: str, scenario: str, target: int) -> list[Turn]:
    rng = chat.rng
    turns: list[Turn] = []
    after_sale = status in AFTER_SALE
    if after_sale and rng.random() < 0.5:
        turns.append(("s", rng.choice(SYSTEM_TEXTS["card"])))
    if rng.random() < 0.3:
        # The shop robot answers first, then hands over to a human agent.
        turns.append(("c", "{open}"))
        turns.append(("b", rng.choice(BOT_TEXTS["welcome"])))
        if rng.random() < 0.5:
            turns.append(("c", "{human}"))
        else:
            turns.append(("b", rng.choice(BOT_TEXTS["faq"])))
            turns.append(("c", "{human}"))
        turns.append(("b", rng.choice(BOT_TEXTS["transfer"])))
        if rng.random() < 0.6:
            turns.append(("s", rng.choice(SYSTEM_TEXTS["joined"])))
        turns.append(("a", "{greet}"))
    elif rng.random() < 0.6:
        turns.append(("c", "{open}"))
        turns.append(("a", "{greet}"))
    if status == "refunding" and rng.random() < 0.4:
        turns.append(("s", rng.choice(SYSTEM_TEXTS["refund"])))
    closing_room = 3
    body = _body(chat, scenario, max(2, target - len(turns) - closing_room))
    if not any(kind == "a" for kind, _ in turns):
        # The first agent message greets, whatever the customer opened with.
        first_agent = next((i for i, (kind, _) in enumerate(body) if kind == "a"), None)
        if first_agent is not None:
            kind, text = body[first_agent]
            if rng.random() < 0.3:
                body.insert(first_agent, ("a", "{greet}"))
            else:
                text = re.sub(r"^\{qin\}[，,]?", "", text)
                body[first_agent] = (
                    kind,
                    rng.choice(("您好{qin}，", "亲亲您好，", "在的{qin}，")) + text,
                )
    turns.extend(body)
    roll = rng.random()
    if roll < 0.55:
        turns += [("c", "{thanks}{cemo}"), ("a", "{close}")]
    elif roll < 0.8:
        turns += [("c", "{ok}"), ("a", "{close}"), ("c", "{cemo}嗯嗯")]
    elif roll < 0.95:
        turns += [("a", "{close}")]
    else:
        turns += [("s", SYSTEM_TEXTS["timeout"][0])]
    return turns


def _plant(chat: _Chat, turns: list[Turn], status: str) -> list[str]:
    """Plant violations into agent turns; returns what was planted."""
    rng = chat.rng
    planted: list[str] = []
    for category, rate in VIOLATION_RATES.items():
        if rng.random() >= rate:
            continue
        mode, template = rng.choice(VIOLATIONS[category])
        answers = [
            i
            for i, (kind, text) in enumerate(turns)
            if kind in "aA" and i > 0 and text not in ("{greet}", "{close}")
        ]
        questions = [i for i, (kind, _) in enumerate(turns[:-1]) if kind == "c"]
        if mode == "insert" and questions:
            at = rng.choice(questions) + 1
            turns.insert(at, ("a", template))
        elif answers:
            at = rng.choice(answers)
            kind, text = turns[at]
            if text.startswith("{") and text.endswith("}") and text.count("{") == 1:
                text = chat.fill(text)  # expand a bare filler so the phrase joins real words
            turns[at] = (kind, template + text if mode == "prefix" else text.rstrip("~") + template)
        else:
            continue
        planted.append(category)
    group = "after_sale" if status in AFTER_SALE else "pre_sale"
    if rng.random() < THREAT_RATE[group]:
        agents = [i for i, (kind, _) in enumerate(turns) if kind in "aA"]
        if agents:
            turns.insert(rng.choice(agents) + 1, ("c", rng.choice(THREATS)))
            planted.append("complaint_threat")
    return planted


def _delays(rng: Random, kinds: list[str]) -> list[float]:
    """Seconds before each message: customer think time, agent response (mostly quick, a
    few slow ones), look-ups, robot and system messages."""
    delays: list[float] = []
    first_agent_seen = False
    for i, kind in enumerate(kinds):
        prev = kinds[i - 1] if i else ""
        if i == 0:
            delays.append(0.0)
        elif kind == "c":
            if prev == "c":
                delays.append(rng.uniform(2, 15))
            elif prev == "b":
                delays.append(rng.uniform(2, 12))  # answering the robot: "转人工"
            elif rng.random() < 0.05:
                delays.append(rng.uniform(120, 1500))  # the customer went away a while
            else:
                delays.append(min(300.0, rng.lognormvariate(2.8, 0.8)))
        elif kind == "b":
            delays.append(rng.uniform(0.5, 2.5))
        elif kind == "s":
            delays.append(rng.uniform(0, 2))
        elif kind == "A":
            delays.append(rng.uniform(20, 150))
        elif prev in ("a", "A"):
            delays.append(rng.uniform(3, 25))
        elif prev in ("b", "s") and rng.random() < 0.9:
            delays.append(rng.uniform(2, 12))  # picking up a chat the robot handed over
        else:
            roll = rng.random()
            slow = (0.9, 0.98) if not first_agent_seen else (0.83, 0.985)
            if roll < slow[0]:
                delays.append(rng.uniform(2, 25))
            elif roll < slow[1]:
                delays.append(rng.uniform(25, 90))
            else:
                delays.append(rng.uniform(90, 420))
        if kind in ("a", "A"):
            first_agent_seen = True
    return delays


def _customer_style(rng: Random, text: str) -> str:
    """Customers type fast: a lead-in before a question, a particle after it, punctuation
    dropped."""
    if len(text) >= 4 and "\u4e00" <= text[0] <= "\u9fff" and _QUESTION.search(text):
        if rng.random() < 0.35:
            text = rng.choice(ASK_PREFIXES) + text
        if rng.random() < 0.25 and text[-1] not in "?？!！~吗呢":
            text += rng.choice(ASK_SUFFIXES)
    if rng.random() < 0.35 and "http" not in text:
        text = _STRIPPABLE.sub(rng.choice(("", " ")), text).strip() or text
    return text


def _buyer(rng: Random) -> str:
    name = rng.choice(BUYER_NAMES)
    if name == "tb":
        return f"tb{_digits(rng, rng.randint(4, 9))}"
    return f"{name}_{_digits(rng, 3)}"


def _transcript(rng: Random, number: int, seed: int) -> Transcript:
    status = _pick(rng, STATUS_WEIGHTS)
    channel = _pick(rng, CHANNEL_WEIGHTS)
    scenario = rng.choice(SCENARIOS_BY_STATUS[status])
    chat = _Chat(rng, status)
    target = max(MIN_MESSAGES, min(MAX_MESSAGES - 2, round(rng.gauss(20.5, 6.5))))
    turns = _conversation(chat, status, scenario, target)
    planted = _plant(chat, turns, status)
    while len(turns) < MIN_MESSAGES:
        turns[-1:-1] = list(rng.choice(SMALL_TALK))
    if len(turns) > MAX_MESSAGES:
        turns = turns[: MAX_MESSAGES - 1] + turns[-1:]
    kinds = [kind for kind, _ in turns]
    delays = _delays(rng, kinds)
    start = datetime(2026, 11, 1, tzinfo=SHANGHAI) + timedelta(
        days=rng.randint(0, 29), seconds=rng.randint(8 * 3600, 23 * 3600)
    )
    buyer = _buyer(rng)
    agent = chat.values["agent"]
    role_of = {"c": "customer", "a": "agent", "A": "agent", "b": "bot", "s": "system"}
    sender_of = {"c": buyer, "a": agent, "A": agent, "b": BOT_NAME, "s": None}
    messages: list[Message] = []
    elapsed = 0.0
    for (kind, template), delay in zip(turns, delays, strict=False):
        elapsed += delay
        text = chat.fill(template)
        if kind == "c":
            text = _customer_style(rng, text)
        elif "~，" in text and rng.random() < 0.7:
            text = text.replace("~，", "，")
        messages.append(
            Message(
                role=role_of[kind],
                text=text,
                ts=start + timedelta(seconds=round(elapsed)),
                sender=sender_of[kind],
            )
        )
    return Transcript(
        id=f"bench-{seed}-{number:06d}",
        messages=messages,
        channel=channel,
        shop=chat.values["shop"],
        agent=agent,
        order_status=status,
        extra={"synthetic": {"scenario": scenario, "planted": planted}},
    )


def generate(n: int, seed: int = 7) -> list[Transcript]:
    """`n` realistic shop chats, the same for the same seed (the first k of a longer run are
    the run of k). Each carries `extra["synthetic"]`: its scenario and planted violations."""
    rng = Random(seed)
    return [_transcript(rng, i, seed) for i in range(n)]


# --------------------------------------------------------------------------------------
# The measurements
# --------------------------------------------------------------------------------------


def _rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss: KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _native_threads() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _timed(run: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best wall time of `repeat` runs, and the CPU time of that run."""
    best_wall, best_cpu = float("inf"), 0.0
    for _ in range(repeat):
        gc.collect()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        run()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        if wall < best_wall:
            best_wall, best_cpu = wall, cpu
    return best_wall, best_cpu


def _each(function: Callable[[str], Any], texts: list[str]) -> None:
    """Call `function` on every text, keeping no result (as a streaming pipeline would)."""
    for text in texts:
        function(text)


def _score_all(engine: Any, mix: list[Transcript]) -> None:
    score = engine.score
    for transcript in mix:
        score(transcript)


def _phrases(engine: Any) -> list[str]:
    """Every phrase of every lexicon of the loaded checklists, once each."""
    seen: dict[str, None] = {}
    for checklist in engine.checklists.values():
        for lexicon in checklist.resources.lexicons:
            for entry in lexicon.entries:
                seen.setdefault(entry.phrase, None)
    return list(seen)


def _floor_scan(automaton: Any, texts: list[str]) -> int:
    hits = 0
    scan = automaton.iter
    for text in texts:
        for _ in scan(text):
            hits += 1
    return hits


def _reference_scan(
    scan: Callable[[list[str]], int], texts: list[str], repeat: int
) -> tuple[float, float, int]:
    """Wall and CPU seconds (best of `repeat`, after a warm-up) of a reference scan of every
    text, and the hits it counts."""
    scan(texts[:1000])
    wall, cpu = _timed(lambda: scan(texts), repeat)
    return wall, cpu, scan(texts)


def _rs_floor_scan(find: Callable[..., list[Any]], texts: list[str]) -> int:
    hits = 0
    for text in texts:
        hits += len(find(text, overlapping=True))
    return hits


def _rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def _fmt_rate(value: float) -> str:
    return f"{value:,.0f}"


# Transcripts per Engine.score_batch call in the rules + models measurement.
BATCH = 256


def measure(args: argparse.Namespace, out: Any = None) -> dict[str, Any]:
    """Run every measurement and print the report; return the figures."""
    out = out if out is not None else sys.stdout

    def say(line: str = "") -> None:
        out.write(line + "\n")
        out.flush()

    n = max(1, int(args.transcripts))
    seed = int(args.seed)
    repeat = max(1, int(args.repeat))
    figures: dict[str, Any] = {
        "command": f"qc bench -n {n} --seed {seed} --repeat {repeat}",
        "machine": {
            "cpus": os.cpu_count(),
            "usable_cpus": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else None,
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "processor": platform.machine(),
        },
    }

    wall0 = time.perf_counter()
    from qc_engine.engine import Engine

    loaded = Engine.from_dir(args.checklists)
    # The rule pipeline: every item but the trained classifiers, whatever the checklists say;
    # "rules + models" below measures the same checklists with them on.
    engine = loaded.with_models(False)
    full = loaded.with_models(True)
    load_seconds = time.perf_counter() - wall0
    rss_loaded = _rss_mb()
    wall0 = time.perf_counter()
    mix = generate(n, seed)
    gen_seconds = time.perf_counter() - wall0
    texts = [m.text for t in mix for m in t.messages]
    messages = len(texts)
    per = [len(t.messages) for t in mix]
    statuses = Counter(t.order_status for t in mix)
    planted = Counter(c for t in mix for c in t.extra["synthetic"]["planted"])
    with_violation = sum(
        1 for t in mix if any(c != "complaint_threat" for c in t.extra["synthetic"]["planted"])
    )
    with_threat = planted["complaint_threat"]
    roles = Counter(m.role for t in mix for m in t.messages)
    jsonl = [json.dumps(t.to_dict(), ensure_ascii=False) for t in mix]
    jsonl_bytes = sum(len(line.encode("utf-8")) + 1 for line in jsonl)
    rss_mix = _rss_mb()
    # `qc score` streams: only the current transcript is alive. Keep the mix held here out of
    # the garbage collector's sight so that its full collections cost what they cost there.
    gc.collect()
    gc.freeze()
    figures["mix"] = {
        "transcripts": n,
        "seed": seed,
        "messages": messages,
        "messages_per_transcript": {
            "mean": round(messages / n, 2),
            "min": min(per),
            "max": max(per),
        },
        "characters": sum(len(t) for t in texts),
        "jsonl_mb": round(jsonl_bytes / 1e6, 2),
        "order_status": dict(statuses.most_common()),
        "roles": dict(roles.most_common()),
        "planted": dict(planted.most_common()),
        "share_with_planted_violation": round(with_violation / n, 4),
        "share_with_customer_threat": round(with_threat / n, 4),
        "generate_seconds": round(gen_seconds, 3),
    }
    threads = _native_threads()
    checklist_desc = ", ".join(
        f"{c.label} ({sum(1 for i in c.items if i.spec.enabled)} items)"
        for c in engine.checklists.values()
    )

    say(
        f"qc bench: {n:,} generated transcripts (seed {seed}), {messages:,} messages "
        f"({messages / n:.1f} per transcript, {min(per)}-{max(per)}), "
        f"{jsonl_bytes / 1e6:.1f} MB as JSON Lines"
    )
    say("  order status: " + ", ".join(f"{k} {v / n:.0%}" for k, v in statuses.most_common()))
    say("  roles: " + ", ".join(f"{k} {v / messages:.0%}" for k, v in roles.most_common()))
    say(
        f"  planted: an agent violation in {with_violation / n:.1%} of transcripts, a customer "
        f"threat in {with_threat / n:.1%} ("
        + ", ".join(f"{k} {v}" for k, v in planted.most_common())
        + ")"
    )
    say(
        f"  generated in {gen_seconds:.1f} s; engine imported and loaded in {load_seconds:.2f} s: "
        f"{checklist_desc}"
    )
    say(
        f"ONE core: everything is measured in this one Python thread, one call after the "
        f"other ({threads or '?'} native thread{'s' if threads != 1 else ''} in the process; "
        f"idle library pools aside, nothing runs in parallel), on a machine with "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()} on {platform.machine()}"
    )
    say()

    # Warm-up: lazy loads (segmenter, spaCy vocabulary), first-call caches; also the flag
    # tally, outside any timed pass.
    flag_counts: Counter[str] = Counter()
    used: Counter[str] = Counter()
    flagged = failed = 0
    wall0 = time.perf_counter()
    for transcript in mix:
        result = engine.score(transcript)
        used[result.checklist] += 1
        flagged += bool(result.flags)
        failed += not result.passed
        flag_counts.update(f.category for f in result.flags)
    warm_seconds = time.perf_counter() - wall0

    engine_wall, engine_cpu = _timed(lambda: _score_all(engine, mix), repeat)
    tps, mps = _rate(n, engine_wall), _rate(messages, engine_wall)
    figures["engine"] = {
        "seconds": round(engine_wall, 4),
        "cpu_seconds": round(engine_cpu, 4),
        "warmup_seconds": round(warm_seconds, 4),
        "transcripts_per_s": round(tps, 1),
        "messages_per_s": round(mps, 1),
        "us_per_transcript": round(engine_wall / n * 1e6, 1),
        "checklists": checklist_desc,
        "flags": sum(flag_counts.values()),
        "flags_by_category": dict(flag_counts.most_common()),
        "transcripts_flagged": flagged,
        "transcripts_failed": failed,
        "checklist_use": dict(used.most_common()),
    }
    say(f"Engine.score over the mix (best of {repeat} after a warm-up pass)")
    # CPU time above wall time would mean work ran on a second core.
    cores = (
        "one core"
        if engine_cpu <= engine_wall * 1.02
        else "MORE than wall: something ran in parallel"
    )
    say(
        f"  {engine_wall:.3f} s wall ({engine_cpu:.3f} s CPU, {cores})   "
        f"{_fmt_rate(tps)} transcripts/s"
        f"   {_fmt_rate(mps)} messages/s   {engine_wall / n * 1e6:.0f} µs per transcript"
    )
    say("  checklists used: " + ", ".join(f"{k} {v / n:.0%}" for k, v in used.most_common()))
    say(
        f"  flags raised: {sum(flag_counts.values()):,} on {flagged:,} transcripts "
        f"({flagged / n:.1%}); {failed:,} failed. "
        + ", ".join(f"{k} {v}" for k, v in flag_counts.most_common())
    )
    say()

    timings: dict[str, float] = {}
    wall0 = time.perf_counter()
    for transcript in mix:
        engine.score(transcript, timings=timings)
    staged = time.perf_counter() - wall0
    other = max(0.0, staged - sum(timings.values()))
    stages = sorted(timings.items(), key=lambda kv: kv[1], reverse=True)
    figures["stages"] = {
        "pass_seconds": round(staged, 4),
        "by_stage": [
            {"stage": k, "seconds": round(v, 4), "share": round(v / staged, 4)} for k, v in stages
        ]
        + [{"stage": "(other)", "seconds": round(other, 4), "share": round(other / staged, 4)}],
    }
    say(f"Stages of the rule pipeline (one more pass with timings, {staged:.3f} s; % of that pass)")
    say(f"  {'stage':<36} {'seconds':>8} {'share':>7} {'µs/transcript':>14}")
    shown = stages[:12]
    for name, seconds in [*shown, ("(other: selection, flags, scoring)", other)]:
        say(f"  {name:<36} {seconds:>8.3f} {seconds / staged:>7.1%} {seconds / n * 1e6:>14.1f}")
    if len(stages) > len(shown):
        rest = sum(v for _, v in stages[len(shown) :])
        say(
            f"  {f'({len(stages) - len(shown)} more stages)':<36} {rest:>8.3f} "
            f"{rest / staged:>7.1%} {rest / n * 1e6:>14.1f}"
        )
    say(
        "  ('phrase scan': each chat's one scan of every message with the checklist's shared "
        "lexicons, which the lexicon checkers and their gates read)"
    )
    say()

    # Rules + models: the same checklists with the trained classifiers switched on, scored
    # in batches as `qc score` and ingest do (the classifiers run once per batch), and one
    # transcript per call as /v1/score does.
    model_items = sorted(
        {
            i.spec.id
            for c in full.checklists.values()
            for i in c.items
            if i.checker.source == "model"
        }
    )
    batches = [mix[i : i + BATCH] for i in range(0, n, BATCH)]

    def score_batches() -> None:
        for batch in batches:
            full.score_batch(batch)

    score_batches()  # warm-up: models loaded, n-gram tables built
    full_wall, full_cpu = _timed(score_batches, repeat)
    full_tps = _rate(n, full_wall)
    single_wall, _ = _timed(lambda: _score_all(full, mix), 1)
    model_timings: dict[str, float] = {}
    for batch in batches:
        full.score_batch(batch, timings=model_timings)
    model_seconds = {k: model_timings.get(k, 0.0) for k in model_items}
    figures["rules_and_models"] = {
        "model_items": model_items,
        "batch": BATCH,
        "seconds": round(full_wall, 4),
        "cpu_seconds": round(full_cpu, 4),
        "transcripts_per_s": round(full_tps, 1),
        "us_per_transcript": round(full_wall / n * 1e6, 1),
        "model_item_us_per_transcript": {
            k: round(v / n * 1e6, 1) for k, v in model_seconds.items()
        },
        "one_per_call_transcripts_per_s": round(_rate(n, single_wall), 1),
    }
    say(
        f"Rules + models: the same checklists with the trained classifiers on "
        f"({', '.join(model_items) or 'none'})"
    )
    say(
        f"  Engine.score_batch, {BATCH} transcripts per call (best of {repeat}): "
        f"{full_wall:.3f} s wall ({full_cpu:.3f} s CPU)   {_fmt_rate(full_tps)} transcripts/s"
        f"   {full_wall / n * 1e6:.0f} µs per transcript; the model items: "
        + ", ".join(f"{k} {v / n * 1e6:.0f} µs" for k, v in model_seconds.items())
    )
    say(
        f"  Engine.score, one transcript per call (as /v1/score): {single_wall:.3f} s   "
        f"{_fmt_rate(_rate(n, single_wall))} transcripts/s   {single_wall / n * 1e6:.0f} µs "
        "per transcript"
    )
    say()

    # References, on the same messages, in the same process. The short ones are repeated
    # more often: a scheduler hiccup would otherwise weigh on a 0.1 s measurement.
    cheap = max(repeat, 5)
    import ahocorasick
    import ahocorasick_rs

    phrases = _phrases(engine)
    floor_wall = floor_cpu = rs_wall = rs_cpu = 0.0
    floor_hits = rs_hits = 0
    if phrases:
        automaton = ahocorasick.Automaton()
        for phrase in phrases:
            automaton.add_word(phrase, len(phrase))
        automaton.make_automaton()
        floor_wall, floor_cpu, floor_hits = _reference_scan(
            lambda some: _floor_scan(automaton, some), texts, cheap
        )
        # The same scan with the library the engine scans with (ahocorasick_rs, a Rust
        # DFA): the least a phrase scan costs here, and so a second, lower floor.
        find = ahocorasick_rs.AhoCorasick(
            phrases, matchkind=ahocorasick_rs.MatchKind.Standard
        ).find_matches_as_indexes
        rs_wall, rs_cpu, rs_hits = _reference_scan(
            lambda some: _rs_floor_scan(find, some), texts, cheap
        )
    ratio = engine_wall / floor_wall if floor_wall > 0 else float("inf")
    rs_ratio = engine_wall / rs_wall if rs_wall > 0 else float("inf")
    # The engine's own phrase stage on the same messages: the PhraseIndex of the checklist
    # each transcript gets (all its lexicons in one automaton) over the normalised texts,
    # hits grouped per lexicon.
    normalize = engine.normalizer.normalize
    groups: dict[str, tuple[Any, list[str]]] = {}
    for transcript in mix:
        chosen = engine.select(transcript)
        _, group = groups.setdefault(chosen.name, (chosen.resources.phrase_index, []))
        group.extend(normalize(m.text).text for m in transcript.messages)

    def scan_all() -> None:
        for index, group in groups.values():
            _each(index.scan, group)

    scan_wall, scan_cpu = _timed(scan_all, cheap)
    scan_ratio = scan_wall / floor_wall if floor_wall > 0 else float("inf")
    figures["floor"] = {
        "phrases": len(phrases),
        "seconds": round(floor_wall, 4),
        "hits": floor_hits,
        "messages_per_s": round(_rate(messages, floor_wall), 1),
        "transcripts_per_s": round(_rate(n, floor_wall), 1),
        "engine_over_floor": round(ratio, 2),
        "phrase_scan_seconds": round(scan_wall, 4),
        "phrase_scan_over_floor": round(scan_ratio, 2),
        "rust_seconds": round(rs_wall, 4),
        "rust_hits": rs_hits,
        "rust_transcripts_per_s": round(_rate(n, rs_wall), 1),
        "engine_over_rust_floor": round(rs_ratio, 2),
    }

    import jieba
    import rjieba

    jieba.setLogLevel(60)
    jieba.initialize()
    jieba.lcut(texts[0])
    cut = jieba.lcut
    # Plain jieba is slow: one run over every message (its CPU time shows any contention).
    jieba_wall, jieba_cpu = _timed(lambda: _each(cut, texts), 1)
    rcut = rjieba.cut
    rcut(texts[0])
    rjieba_wall, rjieba_cpu = _timed(lambda: _each(rcut, texts), repeat)
    figures["jieba"] = {
        "seconds": round(jieba_wall, 4),
        "cpu_seconds": round(jieba_cpu, 4),
        "messages_per_s": round(_rate(messages, jieba_wall), 1),
        "transcripts_per_s": round(_rate(n, jieba_wall), 1),
    }
    figures["rjieba"] = {
        "seconds": round(rjieba_wall, 4),
        "cpu_seconds": round(rjieba_cpu, 4),
        "messages_per_s": round(_rate(messages, rjieba_wall), 1),
        "transcripts_per_s": round(_rate(n, rjieba_wall), 1),
    }

    def parse_all() -> None:
        loads = json.loads
        for line in jsonl:
            transcript_from_dict(loads(line))

    parse_wall, parse_cpu = _timed(parse_all, repeat)
    parse_tps = _rate(n, parse_wall)
    both = 1 / (1 / tps + 1 / parse_tps) if tps and parse_tps else 0.0
    figures["json_parse"] = {
        "seconds": round(parse_wall, 4),
        "transcripts_per_s": round(parse_tps, 1),
        "mb_per_s": round(_rate(jsonl_bytes / 1e6, parse_wall), 2),
        "parse_and_score_transcripts_per_s": round(both, 1),
    }

    say("References on the same messages (same process, one core)")
    say(f"  {'':<44} {'seconds':>8} {'CPU s':>7} {'messages/s':>11} {'transcripts/s':>14}")
    rows = [
        (f"Aho-Corasick floor ({len(phrases)} phrases, 1 automaton)", floor_wall, floor_cpu),
        ("  the same with ahocorasick_rs (lower floor)", rs_wall, rs_cpu),
        ("Engine.score (the pipeline)", engine_wall, engine_cpu),
        ("  its phrase scan (PhraseIndex.scan)", scan_wall, scan_cpu),
        ("jieba.lcut, every message", jieba_wall, jieba_cpu),
        ("rjieba.cut, every message", rjieba_wall, rjieba_cpu),
    ]
    for label, seconds, cpu in rows:
        say(
            f"  {label:<44} {seconds:>8.3f} {cpu:>7.3f} {_fmt_rate(_rate(messages, seconds)):>11} "
            f"{_fmt_rate(_rate(n, seconds)):>14}"
        )
    say(
        f"  engine time = {ratio:.1f}x the floor (its phrase scan alone, on normalised text: "
        f"{scan_ratio:.1f}x), {rs_ratio:.1f}x the ahocorasick_rs floor; plain jieba alone "
        "would cap a pipeline at "
        f"{_fmt_rate(_rate(n, jieba_wall))} transcripts/s on this mix"
    )
    say(
        f"  JSON Lines parse (json.loads + transcript_from_dict), reported apart: "
        f"{parse_wall:.3f} s"
        f"  {_fmt_rate(parse_tps)} transcripts/s  {jsonl_bytes / 1e6 / parse_wall:.1f} MB/s;"
        f" parse + score: {_fmt_rate(both)} transcripts/s"
    )
    say()

    # Memory: peak RSS (whole process: interpreter, models, the mix held in memory) and the
    # peak Python allocation while scoring, results discarded as `qc score` streams them.
    sample = mix[: min(n, 2000)]
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    _score_all(engine, sample)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_end = _rss_mb()
    figures["memory"] = {
        "max_rss_mb_after_engine_load": round(rss_loaded, 1),
        "max_rss_mb_after_mix": round(rss_mix, 1),
        "max_rss_mb_end": round(rss_end, 1),
        "tracemalloc_peak_mb_scoring": round((peak - base) / 1e6, 2),
        "tracemalloc_sample_transcripts": len(sample),
    }
    say("Memory")
    say(
        f"  max RSS: {rss_loaded:.0f} MB after loading the engine, {rss_mix:.0f} MB with the "
        f"mix in memory, {rss_end:.0f} MB at the end (jieba dictionaries included)"
    )
    say(
        f"  tracemalloc: scoring {len(sample):,} transcripts (results discarded) allocated at "
        f"most {(peak - base) / 1e6:.2f} MB above the baseline"
    )
    say()

    measured = {
        "engine": (engine_wall, engine_cpu),
        "rules_and_models": (full_wall, full_cpu),
        "floor": (floor_wall, floor_cpu),
        "rust_floor": (rs_wall, rs_cpu),
        "phrase_scan": (scan_wall, scan_cpu),
        "jieba": (jieba_wall, jieba_cpu),
        "rjieba": (rjieba_wall, rjieba_cpu),
        "json_parse": (parse_wall, parse_cpu),
    }
    busy = {k: wall / cpu - 1 for k, (wall, cpu) in measured.items() if cpu > 0}
    worst = max(busy.values(), default=0.0)
    figures["wall_over_cpu"] = {k: round(v + 1, 3) for k, v in busy.items()}
    if worst > 0.1:
        say(
            f"WARNING: the machine was busy: wall time exceeded CPU time by up to {worst:.0%} "
            f"({', '.join(f'{k} {v:+.0%}' for k, v in busy.items() if v > 0.1)}). Figures are "
            "pessimistic; re-run on an idle machine. On CPU time: engine "
            f"{_fmt_rate(_rate(n, engine_cpu))} transcripts/s, "
            f"{engine_cpu / floor_cpu if floor_cpu else float('inf'):.1f}x the floor."
        )
        say()

    target_tps, target_ratio, target_full = 5000, 3.0, 2000
    figures["targets"] = {
        "rules_and_models_transcripts_per_s": {
            "target": target_full,
            "measured": round(full_tps, 1),
            "met": full_tps >= target_full,
        },
        "transcripts_per_s": {
            "target": target_tps,
            "measured": round(tps, 1),
            "met": tps >= target_tps,
        },
        "engine_over_floor": {
            "target": target_ratio,
            "measured": round(ratio, 2),
            "met": ratio <= target_ratio,
        },
        "phrase_scan_over_floor": {
            "target": target_ratio,
            "measured": round(scan_ratio, 2),
            "met": scan_ratio <= target_ratio,
        },
    }
    say("Targets (one core, this mix)")
    say(
        f"  rule pipeline >= {target_tps:,} transcripts/s: {_fmt_rate(tps)}  "
        f"{'MET' if tps >= target_tps else 'NOT MET'}"
    )
    say(
        f"  rules + models >= {target_full:,} transcripts/s: {_fmt_rate(full_tps)}  "
        f"{'MET' if full_tps >= target_full else 'NOT MET'}"
    )
    say(
        f"  within {target_ratio:.0f}x of the Aho-Corasick floor: {ratio:.1f}x  "
        f"{'MET' if ratio <= target_ratio else 'NOT MET'} (the phrase scan stage alone: "
        f"{scan_ratio:.1f}x, {'MET' if scan_ratio <= target_ratio else 'NOT MET'}); against "
        f"the lower ahocorasick_rs floor {rs_ratio:.1f}x"
    )
    say(
        f"  note: 3x the floor is {floor_wall * target_ratio / n * 1e6:.1f} µs per transcript; "
        f"{target_tps:,} transcripts/s is {1e6 / target_tps:.0f} µs"
    )
    say(
        f"  for scale: plain jieba on every message, {_fmt_rate(_rate(messages, jieba_wall))} "
        f"messages/s = {_fmt_rate(_rate(n, jieba_wall))} transcripts/s at "
        f"{messages / n:.1f} messages each"
    )
    return figures


def main(args: argparse.Namespace) -> int:
    figures = measure(args)
    path = getattr(args, "json", None)
    if path is not None:
        Path(path).write_text(
            json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    return 0
