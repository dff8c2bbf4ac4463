"""Pages with no trustworthy article: binary or empty content, nesting bombs, error pages,
login walls and JavaScript-only shells."""

from __future__ import annotations

import re

from digest.charset import hangul_share
from digest.errors import ExtractError

from .body import _PERIOD_END

# A nesting bomb: hundreds of block tags opened one inside the other.
_DEEP_NESTING = re.compile(
    r"(?:<(?:div|span|section|article|p|ul|ol|li|table|tbody|tr|td|font|b|i|em|strong|blockquote|center)"
    r"\b[^>]{0,200}>[^<]{0,40}){256}",
    re.IGNORECASE,
)

_ERROR_PAGE = re.compile(
    r"(?:error|에러|오류)\s*:?\s*404|404\s*(?:error|not\s+found|에러|오류|페이지)|page\s+not\s+found|not\s+found|"
    r"페이지를\s?찾을\s?수\s?없|존재하지\s?않는\s?(?:기사|페이지|게시물)|삭제된\s?(?:기사|게시물)|"
    r"(?:기사|게시물)(?:이|가)?\s?삭제되었|잘못된\s?(?:접근|경로|주소)|요청하신\s?페이지|서비스\s?점검\s?중|"
    r"access\s+denied|403\s+forbidden|500\s+internal",
    re.IGNORECASE,
)
_LOGIN_TEXT = re.compile(
    r"로그인\s?(?:후|하시면|하신\s?후|이\s?필요)|회원\s?전용|유료\s?(?:회원|구독|기사|결제)|구독자\s?전용|"
    r"프리미엄\s?회원|(?:sign|log)\s?in\s+to\s+(?:read|continue)|subscribe\s+to\s+(?:read|continue)",
    re.IGNORECASE,
)
_LOGIN_WALL = re.compile(
    r"로그인|회원\s?전용|유료\s?회원|구독자\s?전용|sign\s?in|log\s?in|subscribe", re.IGNORECASE
)
_MIN_BODY = 40


_UNREADABLE = re.compile(r"[\ufffd\ue000-\uf8ff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _garbage(html: str) -> bool:
    sample = html[:8000]
    if not sample.strip():
        return True
    if len(_UNREADABLE.findall(sample)) > 0.05 * len(sample):
        return True
    return "<" not in sample and hangul_share(sample) < 0.3


def _check_trustworthy(text: str, page: list[str], title: str | None, url: str) -> None:
    compact = len(re.sub(r"\s+", "", text))
    if compact and compact < 300:
        if _LOGIN_TEXT.search(text):
            raise ExtractError(url, "login wall: no article text without signing in")
        if _ERROR_PAGE.search(f"{title or ''} {text}"):
            raise ExtractError(url, "error page")
    if compact >= _MIN_BODY and any(
        len(p) >= 60 or (len(p) >= 20 and _PERIOD_END.search(p)) for p in text.split("\n\n")
    ):
        return
    page_text = "\n".join(page)
    if _ERROR_PAGE.search(f"{title or ''} {page_text[:500]}"):
        raise ExtractError(url, "error page")
    if _LOGIN_WALL.search(page_text):
        raise ExtractError(url, "login wall: no article text without signing in")
    if len(re.sub(r"\s+", "", page_text)) < _MIN_BODY:
        raise ExtractError(url, "no text in the page (JavaScript-only or empty shell)")
    raise ExtractError(url, "no trustworthy article body found")
