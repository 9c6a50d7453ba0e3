"""Word lists the Chinese recognizers and the partial masks rely on (surnames, context words, places)."""

from __future__ import annotations

# 复姓 (compound surnames): a name starting with one of these keeps two characters when masked (欧阳**).
COMPOUND_SURNAMES = frozenset(
    ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里", "呼延", "闻人", "万俟", "澹台", "公冶", "宗政", "濮阳", "太叔", "申屠", "钟离", "左丘", "东郭", "拓跋", "赫连", "第五"])

# Common single-character surnames (百家姓, the ≈ 200 most frequent today).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄"
    "窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池"
    "查麻苑迟邝")

# Words jieba tags as a person name (nr) that are not names in this domain.
NOT_NAMES = frozenset(
    ["银行卡", "申请人", "公积金", "住房", "提取", "贷款", "缴存", "汇缴", "补缴", "单位", "职工", "个人", "账户", "余额", "金额", "明细", "本人", "配偶", "子女", "管理", "中心", "分中心", "柜台", "网点", "业务", "审批", "经办", "复核", "通过", "办理", "年度", "月份", "还款", "利息", "本金", "合同", "房屋", "购房", "租房", "时间", "日期", "原因", "方式", "状态", "正常", "封存", "销户", "转移", "转入", "转出", "公司", "有限公司", "集团", "医院", "学校", "政府", "银行", "高新", "高新区", "开发区", "新区", "明细账", "于是", "于此", "于今", "于今年", "万元", "千元", "成交", "成功", "安全", "平安", "和平", "建设", "和谐", "文明", "金色", "常住", "常住地", "方便", "方可", "向其", "任何", "任意", "任职", "齐全", "严格", "严重", "全部", "全额", "全体", "易于", "温馨", "宁可", "关于", "关系", "连续", "路线", "路段", "时期", "时间段", "车位", "车库", "石材", "江河", "黄金", "白色", "钱款", "林地", "高层", "高速", "曲线", "柏油", "华夏", "华润", "明年", "明天", "明确"])

# Context words (they raise a match's score when they stand just before it).
PERSON_CONTEXT = ["姓名", "职工", "借款人", "共同借款人", "申请人", "联系人", "户名", "经办人", "客户", "配偶",
                  "缴存人", "收款人", "委托人", "代理人", "本人", "先生", "女士", "业主", "产权人", "承租人", "法定代表人",
                  "负责人", "担保人", "子女", "父亲", "母亲", "签字", "name"]
ADDRESS_CONTEXT = ["住址", "地址", "家庭住址", "通讯地址", "居住", "现住", "户籍", "坐落", "房屋坐落", "位于", "住",
                   "购房地址", "租住", "联系地址", "address"]
CN_ID_CONTEXT = ["身份证", "身份证号", "身份证号码", "证件号", "证件号码", "证件", "公民身份号码", "zjhm", "id"]
MOBILE_CONTEXT = ["手机", "手机号", "手机号码", "联系电话", "电话", "联系方式", "电话号码", "短信", "mobile", "tel"]
PHONE_CONTEXT = ["电话", "座机", "固话", "联系电话", "办公电话", "传真", "tel", "phone"]
BANK_CARD_CONTEXT = ["银行卡", "卡号", "银行账号", "账号", "储蓄卡", "借记卡", "信用卡", "收款账户", "还款账户", "开户行"]
USCC_CONTEXT = ["统一社会信用代码", "信用代码", "社会信用代码", "组织机构代码", "营业执照", "单位", "uscc"]
PROPERTY_CERT_CONTEXT = ["不动产权证", "不动产权证号", "产权证", "权证", "房产证", "不动产"]
EMAIL_CONTEXT = ["邮箱", "电子邮箱", "email", "邮件", "e-mail"]
PASSPORT_CONTEXT = ["护照", "护照号", "护照号码", "passport"]
HK_MACAU_CONTEXT = ["港澳通行证", "通行证", "往来港澳通行证", "港澳"]

# Provinces (short and full names) — the first level of an address.
PROVINCES = ["北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门"]
# Province abbreviations that open a 不动产权证号 (豫(2021)…).
PROVINCE_ABBREVIATIONS = "京津沪渝冀晋辽吉黑苏浙皖闽赣鲁豫鄂湘粤琼川贵黔云滇陕秦甘陇青蒙桂藏宁新"

# Address parts: suffixes of administrative divisions and of the street-level details.
DIVISION_SUFFIXES = ("省", "自治区", "市", "自治州", "地区", "盟", "区", "县", "旗", "镇", "乡", "街道", "村", "社区")
STREET_SUFFIXES = ("路", "街", "大道", "大街", "巷", "胡同", "道", "里", "弄")
PLACE_SUFFIXES = ("小区", "花园", "家园", "公寓", "苑", "庄园", "新村", "广场", "大厦", "城")
DETAIL_UNITS = ("号院", "号楼", "号", "栋", "幢", "座", "单元", "层", "楼", "室", "户", "组", "排")

# Administrative divisions the segmenter must keep whole (jieba splits or mis-tags some: 卢氏县 → nr).
DIVISIONS = ["三门峡市", "湖滨区", "陕州区", "渑池县", "卢氏县", "义马市", "灵宝市", "郑州市", "开封市", "洛阳市", "平顶山市", "安阳市", "鹤壁市", "新乡市", "焦作市", "濮阳市", "许昌市", "漯河市", "南阳市", "商丘市", "信阳市", "周口市", "驻马店市", "济源市", "金水区", "中原区", "二七区", "管城回族区", "惠济区", "西工区", "老城区", "涧西区", "洛龙区", "城关镇", "大营镇", "张村镇", "仰韶镇", "故县镇", "函谷关镇", "观音堂镇", "张汴乡", "高庙乡"]
# Words that must stay one token so that a name after them is segmented on its own (借款人|马辉, not 借款|人马|辉).
CONTEXT_WORDS = sorted({*PERSON_CONTEXT, *ADDRESS_CONTEXT, "复核人", "经办人", "缴存人", "产权人", "收款人", "住所"})

# Characters that end a given name when they follow it (借款人张伟提取 → 张伟): verbs, prepositions, particles.
AFTER_NAME = frozenset("的因于在和与及持现住申提办等已是为将被把向从对到说称承委签于系携名户身证号先女夫妻之同共")
