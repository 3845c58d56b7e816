"""kehu's built-in names of tiers, RFM segments and holidays, shown in the user's language.

The records keep these names as kehu first wrote them, in Chinese: a tiers ledger's ``to:``,
a ``tier_override``, a segment's ``tier:`` in kehu.yaml, a reminder's key (``春节-2027``). Those
stay what they are, whatever the language of the run, so a ledger written in an English run
and one written in a Chinese run agree and old records keep working. Only where a person reads
them are they translated: each name here has an English message id, and the Chinese catalog
gives the Chinese back (English ``Major customers``, Chinese 主要客户).

A name the store's kehu.yaml gives a tier or a holiday (``plugins: tiering: pyramid: names:``,
``plugins: reminders: holidays: lunar:``, :data:`DEFINED_AT`) is the user's own and is shown as
written, even when it happens to be one of these (docs/translating.md#names-kehu-gives-and-names-you-write).

Typed names (``customer list --tier X``, the TUI's tier filter) are read in any language:
:func:`meant` gives the name as kept for the name as kept or as shown in English or Chinese.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .i18n import N_, _

if TYPE_CHECKING:
    from .store import Store

#: the tiers of the pyramid and the RFM segments (kehu_core.services.scoring), the tier of who
#: never bought (the tiering plugin's rfm scheme): the name as kept → its English message id
TIER_NAMES: Mapping[str, str] = {
    "重要客户": N_("Key customers"), "主要客户": N_("Major customers"),
    "普通客户": N_("Regular customers"), "小客户": N_("Small customers"),
    "冠军客户": N_("Champions"), "忠诚客户": N_("Loyal customers"), "潜力客户": N_("Potential loyalists"),
    "新客户": N_("New customers"), "需要关注": N_("Need attention"), "流失风险": N_("At risk"),
    "沉睡客户": N_("Hibernating"), "未购买": N_("No purchase"),
}

#: the holidays kehu greets for (kehu_core.calendar's statutory ones, as the holidays package
#: names them in zh_CN, and the reminders plugin's default lunar festivals)
HOLIDAY_NAMES: Mapping[str, str] = {
    "元旦": N_("New Year's Day"), "春节": N_("Spring Festival"), "清明节": N_("Qingming Festival"),
    "劳动节": N_("Labour Day"), "端午节": N_("Dragon Boat Festival"), "中秋节": N_("Mid-Autumn Festival"),
    "国庆节": N_("National Day"), "元宵节": N_("Lantern Festival"), "重阳节": N_("Double Ninth Festival"),
    "七夕节": N_("Qixi Festival"), "农历除夕": N_("Chinese New Year's Eve"),
}

_BUILT_IN = {**TIER_NAMES, **HOLIDAY_NAMES}

#: where kehu.yaml names tiers and holidays of its own (a name written elsewhere, a tier in
#: ``key_visits: every_days:`` or ``visits: dormant_tiers:``, refers to one of them)
DEFINED_AT = (("tiering", "pyramid", "names"), ("tiering", "rfm", "no_purchase"),
              ("reminders", "holidays", "names"), ("reminders", "holidays", "lunar"))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value.strip()
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, Iterable):
        for item in value:
            yield from _strings(item)


def written(store: Store | None) -> frozenset[str]:
    """The built-in names the store's kehu.yaml gives its tiers and holidays: the user's."""
    if store is None:
        return frozenset()
    global _last
    config = store.config
    if _last is None or _last[0] is not config:  # asked once per name shown: kept for the last config
        found: set[str] = set()
        for plugin, *path in DEFINED_AT:
            value: Any = config.plugins.settings_for(plugin)
            for key in path:
                value = value.get(key) if isinstance(value, Mapping) else None
            found.update(s for s in _strings(value) if s in _BUILT_IN)
        _last = (config, frozenset(found))
    return _last[1]


_last: tuple[Any, frozenset[str]] | None = None


def shown(name: Any, store: Store | None = None, *, mine: frozenset[str] | None = None) -> Any:
    """``name`` as the user reads it: a built-in tier, segment or holiday name in the user's
    language, anything else (a user's name, None) as it is. ``mine``: :func:`written` of the
    store, when it was noted instead of the store being open (a list read from the index)."""
    if not isinstance(name, str):
        return name
    english = _BUILT_IN.get(name)
    if english is None or name in (written(store) if mine is None else mine):
        return name
    return _(english)


def shown_values(values: Mapping[str, Any], store: Store | None = None, *,
                 mine: frozenset[str] | None = None) -> dict[str, Any]:
    """Plugin values (``customer_values``) for reading: ``tier`` and ``rfm_segment`` shown,
    a value's ``KEY_rank`` (its order in lists) left out beside it."""
    out = {k: v for k, v in values.items() if not (k.endswith("_rank") and k[:-5] in values)}
    for key in ("tier", "rfm_segment"):
        if key in out:
            out[key] = shown(out[key], store, mine=mine)
    return out


def meant(typed: str, kept: Iterable[str], store: Store | None = None) -> str | None:
    """Which of the names ``kept`` (as the store keeps them) ``typed`` names: itself, or its
    English or Chinese as shown, in any case; None when it names none of them."""
    wanted = typed.strip().casefold()
    mine = written(store)
    for name in kept:
        if name.casefold() == wanted:
            return name
        english = _BUILT_IN.get(name)
        if english is not None and name not in mine and wanted in (english.casefold(), _(english).casefold()):
            return name
    return None
