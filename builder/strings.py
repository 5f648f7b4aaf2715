"""The words of the interface, written once in Simplified.

The Traditional edition gets them through the same converter as the articles,
so there is one list to maintain; site.toml's [strings] can override any.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

DEFAULTS: Mapping[str, str] = MappingProxyType({
    "home": "首页",
    "latest": "最新报道",
    "skip_to_content": "跳到正文",
    "parallel": "对照",
    "parallel_title": "简繁对照",
    "parallel_hint": "逐段对照阅读简体与繁体",
    "back_to_article": "返回文章",
    "authors": "记者",
    "source": "来源",
    "credits": "编辑",
    "published": "发布日期",
    "scheduled": "定时发布，尚未公开",
    "updated": "更新于",
    "corrections": "更正",
    "toc": "目录",
    "more_latest": "更多报道",
    "sections": "栏目",
    "newer": "较新",
    "older": "较早",
    "page": "第{n}页",
    "pagination": "分页",
    "choose_edition": "请选择阅读版本",
    "switch_label": "切换字体",
    "no_articles": "暂无文章",
    "chars": "{n}字",
    "reading_time": "约{n}分钟读完",
    "tags": "标签",
    "topics": "专题",
    "authors_index": "记者",
    "sources": "来源",
    "archive": "归档",
    "related": "相关报道",
    "not_found": "页面不存在",
    "not_found_explain": "您要找的页面可能已经移动或删除。可以搜索，或看看最新报道：",
    "edition_explain": "本站每篇报道都有简体和繁体版本。请选择；您的选择会被记住，也可以在每页顶部切换。",
    "search": "搜索",
    "search_placeholder": "简体或繁体皆可",
    "search_found": "找到{n}篇报道",
    "search_none": "没有找到与“{q}”相关的报道",
    "search_needs_js": "搜索需要浏览器启用 JavaScript。",
    "back_home": "返回首页",
    "articles_count": "{n}篇",
    "month": "{year}年{month}月",
    "year": "{year}年",
    "term_title_tags": "标签：{name}",
    "term_title_topics": "专题：{name}",
    "term_title_authors": "记者：{name}",
    "term_title_sources": "来源：{name}",
})

# Where Taiwan's interface words differ from the mainland's, not only in glyphs: the
# Traditional edition uses these unless site.toml gives the string (then it is converted,
# or taken as written from its `hant` value).
HANT_WORDING: Mapping[str, str] = MappingProxyType({
    "latest": "最新報導",
    "more_latest": "更多報導",
    "not_found_explain": "您要找的頁面可能已經移動或刪除。可以搜尋，或看看最新報導：",
    "edition_explain": "本站每篇報導都有簡體和繁體版本。請選擇；您的選擇會被記住，也可以在每頁頂部切換。",
    "related": "相關報導",
    "search": "搜尋",
    "search_found": "找到{n}篇報導",
    "search_none": "沒有找到與「{q}」相關的報導",
    "search_needs_js": "搜尋需要瀏覽器啟用 JavaScript。",
})
