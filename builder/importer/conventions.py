"""The printed conventions of Chinese newspapers, as data.

Byline words, news agencies, editors' credit words and box labels differ from
paper to paper; they live here, in one typed value, and `site.toml`'s `[import]`
table adds a paper's own. The patterns the classifier matches are compiled from
this value once per import, so a convention is never a branch in code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

# Han characters, and the middle dot of transliterated names (阿卜杜·热合曼).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
SPACE = " \u3000\t\u00a0"
# Brackets around datelines; only characters that stand for themselves in a regex class.
OPEN = "（(〔【［〖"
CLOSE = "）)〕】］〗"
# Sentence ends: a line ending so is a finished paragraph, not a heading.
# (．and ｡ stand for 。 in some OCR output)
TERMINAL = re.compile(r"[。．｡！？!?…；;][”’」』）)]*$")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘"
    "祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟"
    "艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞"
    "姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕"
    "楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣"
    "晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉"
    "银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由傅钮邴逄仉蔚言禤"
    "張劉陳楊黃趙吳孫馬羅鄭謝許韓馮鄧蔣餘葉蘇呂盧鍾譚陸範賈韋鄒閆龍賀顧龔萬錢嚴湯溫齊喬龐顏莊聶"
    "魯嶽歐關蘭寧紀畢單塗駱藍遊鮑華饒陽時農繆簡車項連蘆麥婁竇黨宮費衛應閔鄔邊師欒榮叢鞏遲鄺談荊"
    "樂鬱儲勞諶藺樓盤滿聞厲區闞權強帥樸蓋練豐國計晉門雲來闕烏況鮮諸戰銀賓幹陰堯閉蕭淩閻廣鈕")
COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "司徒", "夏侯", "令狐", "端木", "澹台", "呼延", "南宫", "西门", "独孤", "歐陽", "司馬",
    "東方", "尉遲", "公孫", "長孫", "澹臺", "南宮", "西門", "獨孤")
CHINESE_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4,
                  "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


@dataclass(frozen=True)
class Conventions:
    paper: str = ""     # the default source: the paper the pages come from (--source)
    own_paper: tuple[str, ...] = ("本报", "本報")
    reporters: tuple[str, ...] = (
        "本报记者", "本報記者", "本报特约记者", "本報特約記者", "特约记者", "特約記者",
        "首席记者", "首席記者", "见习记者", "見習記者", "驻站记者", "駐站記者", "记者", "記者",
        "特派员", "特派員", "撰文", "采写", "採寫", "作者")
    contributors: tuple[str, ...] = (
        "实习生", "實習生", "通讯员", "通訊員", "本报通讯员", "本報通訊員", "摄影", "攝影",
        "文/图", "文／图", "文/圖", "文／圖", "文·图", "文‧圖", "编译", "編譯", "整理")
    agencies: tuple[str, ...] = (
        "新华社", "新華社", "中新社", "中新網", "中新网", "中国新闻社", "中國新聞社", "中央社",
        "中通社", "香港中通社", "法新社", "路透社", "美联社", "美聯社", "共同社", "塔斯社",
        "韩联社", "韓聯社", "人民网", "人民網", "央视", "央視", "新华网", "新華網", "光明网")
    editors: tuple[str, ...] = (
        "责编", "責編", "责任编辑", "責任編輯", "美编", "美編", "审读", "審讀", "校对", "校對",
        "编辑", "編輯", "组版", "組版", "版式", "设计", "設計", "摄影", "攝影", "制图", "製圖")
    labels: tuple[str, ...] = (
        "核心阅读", "核心閱讀", "小资料", "小資料", "相关链接", "相關鏈接", "链接", "鏈接",
        "背景", "新闻链接", "新聞鏈接", "记者手记", "記者手記", "短评", "短評", "编者按", "編者按")
    speech_verbs: tuple[str, ...] = (
        "强调", "強調", "指出", "表示", "要求", "会见", "會見", "致信", "致电", "致電",
        "寄语", "寄語", "主持", "出席", "发表", "發表", "讲话", "講話", "说", "說", "称", "稱")
    byline_marks: str = "□■◎●"
    caption_marks: str = "■▲▼●◆△▽"
    # A name glued to its role word (记者刘毅) is read as a name only when it starts with a
    # surname, so 记者手记 or 记者调查 stay headings.
    surnames: str = field(default=SURNAMES, repr=False)
    compound_surnames: tuple[str, ...] = field(default=COMPOUND_SURNAMES, repr=False)

    def with_additions(self, *, paper: str = "", reporters: tuple[str, ...] = (),
                       agencies: tuple[str, ...] = (), editors: tuple[str, ...] = (),
                       labels: tuple[str, ...] = ()) -> Conventions:
        return Conventions(
            paper=paper or self.paper, own_paper=self.own_paper,
            reporters=_longest_first(self.reporters + reporters),
            contributors=self.contributors, agencies=_longest_first(self.agencies + agencies),
            editors=self.editors + editors, labels=self.labels + labels,
            speech_verbs=self.speech_verbs, byline_marks=self.byline_marks,
            caption_marks=self.caption_marks, surnames=self.surnames,
            compound_surnames=self.compound_surnames)

    @cached_property
    def patterns(self) -> Patterns:
        return Patterns(self)


def _longest_first(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(dict.fromkeys(words), key=len, reverse=True))


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in _longest_first(words))


class Patterns:
    """The regular expressions a `Conventions` value implies."""

    def __init__(self, c: Conventions) -> None:
        roles = _alternatives(c.reporters + c.contributors)
        # 文：王大明 and 图／李四: a one-character role only with its separator
        self.roles = re.compile(f"(?:{roles}|[文图圖](?=[:：/／]))")
        self.reporter = re.compile(f"(?:{_alternatives(c.reporters)})")
        own = _alternatives(c.own_paper)
        agency = _alternatives(c.agencies)
        day = r"(?P<day>\d{1,2}|[一二三四五六七八九十廿卅]{1,3})"
        month = r"(?:(?P<month>\d{1,2}|[一二三四五六七八九十]{1,3})月)?"
        place = rf"(?P<place>[{HAN}]{{0,10}}?)"
        # 本报北京5月11日电, 新华社北京1月14日电, 【新华社延安十日电】, 据新华社…电
        self.dated = re.compile(
            rf"^(?P<open>[{OPEN}])?[{SPACE}]*(?:据|據)?(?P<source>{own}|{agency})"
            rf"(?:驻[{HAN}]{{1,8}}记者|駐[{HAN}]{{1,8}}記者)?"
            rf"{place}[{SPACE}]*{month}{day}日[{SPACE}]*(?:电|電|讯|訊)(?:[{SPACE}]*(?P<close>[{CLOSE}]))?")
        # 本报讯, 【本報訊】, 本报石家庄讯, 【大公報訊】, 香港文匯報訊（記者 張三）
        self.undated = re.compile(
            rf"^(?P<open>[{OPEN}])?[{SPACE}]*(?P<source>{own}|{agency}|[{HAN}]{{2,6}}[报報])"
            rf"(?P<place>[{HAN}]{{0,6}}?)(?:讯|訊)(?:[{SPACE}]*(?P<close>[{CLOSE}]))?")
        # 中央社記者王大明台北3日電
        self.agency_reporter = re.compile(
            rf"^(?P<open>[{OPEN}])?(?P<source>{agency})(?:记者|記者)(?P<who>[{HAN}、{SPACE}]{{3,30}}?)"
            rf"{month}{day}日[{SPACE}]*(?:电|電)(?P<close>[{CLOSE}])?")
        # （記者王大明／台北報導）, 〔記者王大明／苗栗報導〕
        self.reported = re.compile(
            rf"^[{OPEN}](?:(?P<source>{agency}|{own}))?(?:记者|記者)(?P<who>[^／/{CLOSE}]{{2,30}})[／/]"
            rf"(?P<place>[^{CLOSE}]{{1,12}}?)(?:报道|報道|报导|報導)[{CLOSE}]")
        # （记者丁怡婷） right after a dateline
        self.glued_reporters = re.compile(
            rf"[{SPACE}]*[（(](?P<byline>(?:{own})?(?:{roles})[^）)]{{2,40}})[）)]")
        self.surnames = frozenset(c.surnames)
        self.compound_surnames = c.compound_surnames
        self.editor_credit = re.compile(rf"^(?:{_alternatives(c.editors)})[/／:：]\S+$")
        # 侯崇慧摄（人民视觉）, 新华社记者 李贺 摄, 中国驻厄立特里亚大使馆供图
        self.photo_credit = re.compile(
            rf"^(?P<who>[^。，！？；]{{1,40}}?)[{SPACE}]*(?:摄|攝|供图|供圖|/摄|／摄|／攝)"
            rf"(?:[{SPACE}]*[（(][^）)]{{1,20}}[）)])?$")
        self.caption_mark = re.compile(f"^[{re.escape(c.caption_marks)}]")
        self.byline_mark = re.compile(f"^[{re.escape(c.byline_marks)}]")
        self.label_words = frozenset(c.labels)
        self.bracket_label = re.compile(r"^【[^【】]{1,24}】|^〔[^〔〕]{1,24}〕")
        self.own = re.compile(f"^(?:{own})")
        self.agency = re.compile(f"(?:{agency})")
        self.speech = re.compile(f"(?:{_alternatives(c.speech_verbs)})[:：]?$")
