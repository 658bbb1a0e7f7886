"""``study.factor_region``: which region of Kenneth French's data library a factor-library model (``model: ff3 |
ff5 | carhart``) reads for each market of a study (docs/factors.md).

``factor_region`` is one region for every market (``factor_region: US``) or a mapping exchange MIC → region
(``factor_region: {XSHE: Developed}``); a market it does not name takes :data:`DEFAULT_REGIONS` by its
exchange calendar: New York (NYSE, Nasdaq) → ``US``; Shanghai and Shenzhen → ``Asia Pacific ex Japan``, the
library's nearest region with *daily* factors (its Emerging-markets factors are monthly only; neither region
holds China A-shares, so a China study that wants local factors uses ``model: factor`` with a factor file).
"""

from __future__ import annotations

from ..errors import ConfigError
from .exchanges import calendar_name, normalise_exchange
from .fields import Reader, show

FACTOR_REGIONS = ("US", "Developed", "Asia Pacific ex Japan", "Emerging")
LIBRARY_MODELS = ("ff3", "ff5", "carhart")
DEFAULT_REGIONS = {"XNYS": "US", "XSHG": "Asia Pacific ex Japan"}  # exchange calendar → region
ALL_MARKETS = "*"


def read_factor_region(node: Reader) -> dict[str, str]:
    """``study.factor_region`` as ``{MIC or "*": region}`` (empty when absent)."""
    key = "factor_region"
    if not node.has(key):
        return {}
    value = node.get(key)
    if isinstance(value, str):
        return {ALL_MARKETS: _region(node, value, key)}
    if isinstance(value, dict) and value:
        out = {}
        for mic, region in value.items():
            if not isinstance(mic, str) or not mic.strip():
                raise node.fail(f"expected exchange MICs as keys, got {show(mic)}", key)
            try:
                code = normalise_exchange(mic.strip())
            except Exception:
                raise node.child(key).fail(f"{mic!r} is not a known exchange (an ISO 10383 MIC such as XNYS)") from None
            out[code] = _region(node.child(key), region, mic)
        return out
    raise node.fail(f"expected a region ({', '.join(FACTOR_REGIONS)}) or a mapping MIC → region, got {show(value)}",
                    key)  # fmt: skip


def _region(node: Reader, value: object, key: str) -> str:
    if not isinstance(value, str) or value.strip() not in FACTOR_REGIONS:
        raise node.fail(f"{show(value)} is not a factor region ({', '.join(FACTOR_REGIONS)})", key)
    return value.strip()


def region_for(regions: dict[str, str], calendar: str, where: str = "study") -> str:
    """The region of a market group on exchange calendar ``calendar``: its ``factor_region`` entry (an exchange on
    that calendar), else the one for all markets, else the default; ``ConfigError`` when there is none."""
    for mic, region in regions.items():
        if mic != ALL_MARKETS and calendar_name(mic) == calendar_name(calendar):
            return region
    if ALL_MARKETS in regions:
        return regions[ALL_MARKETS]
    found = DEFAULT_REGIONS.get(calendar_name(calendar))
    if found is None:
        raise ConfigError(
            f"{where}: study.factor_region: no default factor region for the {calendar} calendar; name one "
            f"({', '.join(FACTOR_REGIONS)})"
        )
    return found
