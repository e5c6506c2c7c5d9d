"""Enterprise names as keys and identifiers by kind (domain_dictionary §2, §8.1).

Identifiers and plates arrive normalised (data_contracts.normalise, applied once, by validation). Names are
compared through keys, never displayed from them: `name_key` keeps everything that changes
identity (分公司, 办事处, 股份, bracketed place words) and drops what only varies by typist
(width, traditional characters, spaces, brackets, administrative prefixes, 有限责任公司/有限公司).
"""

from __future__ import annotations

import re
import unicodedata

import zhconv

from data_contracts import checks
from data_contracts.normalise import SEPARATORS

# Removed from name keys: what is typed between characters, as in codes (a full stop stays: Co., Ltd.).
_NOISE_RE = re.compile(f"[{SEPARATORS}]+")
# Leading administrative prefixes, longest first; stripped repeatedly (江苏省太仓市…).
ADMIN_PREFIXES = ("江苏省", "苏州市", "太仓市", "江苏", "苏州", "太仓")
# Legal-form suffixes, longest first. 有限责任公司 and 有限公司 are the same legal form for matching.
LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "公司")


def nfkc(value: str | None) -> str | None:
    if value is None:
        return None
    return unicodedata.normalize("NFKC", value)


def identifier_kind(code: str | None) -> str | None:
    """Classify what a USCC column holds (domain_dictionary §8.1 step 1), given the normalised code.

    `uscc` valid code · `uscc_invalid` USCC shape with a wrong check character · `org_code` 组织机构代码 ·
    `reg_no15` 15-digit 注册号 · `unknown` anything else · None when empty.
    Check characters are the contracts' own checks (data_contracts.checks).
    """
    if code is None:
        return None
    if checks.is_uscc_shape(code):
        return "uscc" if checks.uscc_valid(code) else "uscc_invalid"
    if len(code) == 9 and checks.org_code_valid(code):
        return "org_code"
    if len(code) == 15 and checks.regno15_valid(code):
        return "reg_no15"
    return "unknown"


def org_code_of(code: str | None) -> str | None:
    """The 组织机构代码 a normalised identifier carries: positions 9-17 of a valid USCC, or a valid org code."""
    kind = identifier_kind(code)
    if kind == "uscc":
        body = code[8:17]
        return body if checks.org_code_valid(body) else None
    if kind == "org_code":
        return code
    return None


def simplified(value: str | None) -> str | None:
    if value is None:
        return None
    return zhconv.convert(value, "zh-cn")


def _strip_prefixes(text: str) -> str:
    changed = True
    while changed:
        changed = False
        for prefix in ADMIN_PREFIXES:
            if text.startswith(prefix) and len(text) > len(prefix) + 1:
                text = text[len(prefix) :]
                changed = True
                break
    return text


def base_name(value: str | None) -> str | None:
    """NFKC, simplified characters, no whitespace / dots / dashes, brackets unified to full-width （）."""
    if value is None:
        return None
    text = simplified(nfkc(value))
    text = _NOISE_RE.sub("", text)
    text = text.replace("(", "（").replace(")", "）").replace("〔", "（").replace("〕", "）")
    text = text.replace("[", "（").replace("]", "）").replace("【", "（").replace("】", "）")
    return text or None


def name_key(value: str | None) -> str | None:
    """Matching key of an enterprise name (domain_dictionary §8.1).

    NFKC → simplified → no whitespace → brackets （） → leading 江苏省/苏州市/太仓市 stripped →
    有限责任公司 → 有限公司. 分公司, 办事处, 股份 and bracketed words stay: they change identity.
    """
    text = base_name(value)
    if text is None:
        return None
    text = _strip_prefixes(text)
    text = text.replace("有限责任公司", "有限公司")
    return text or None


def is_branch_name(value: str | None) -> bool:
    key = name_key(value) or ""
    return "分公司" in key or "办事处" in key or key.endswith("分厂")


def name_core(value: str | None) -> str | None:
    """The trade name without legal form and bracketed place words (恒泰化工 for 太仓市恒泰化工有限公司).

    Short names in the feeds are 字号 + 行业 (恒泰化工); the core lets them meet their full name. Used only
    as probabilistic evidence, never as a deterministic key: different companies can share a core.
    """
    key = name_key(value)
    if key is None:
        return None
    branch = ""
    m = re.search(r"(.+?)(分公司|办事处)$", key)
    if m:
        key, branch = m.group(1), m.group(2)
    for form in LEGAL_FORMS:
        if key.endswith(form) and len(key) > len(form):
            key = key[: -len(form)]
            break
    key = re.sub(r"（(太仓|苏州|江苏|中国|上海)）", "", key)
    key = _strip_prefixes(key)
    return (key + branch) or None
