"""The ``alerts:`` section of helpdesk.yml: what a source's alerts do, and severity → (impact, urgency)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")  # as webhook endpoint names; also the CLI's rule
RULE_KEYS = ("resolve_on_recovery", "attach_to_open_major", "category")
DEFAULT_SEVERITIES = {
    "critical": ("high", "high"), "error": ("medium", "high"), "warning": ("medium", "medium"), "info": ("low", "low"),
}


@dataclass(frozen=True)
class SourceRules:
    """What one source's alerts do: the section's settings with that source's own over them."""

    resolve_on_recovery: bool = True
    attach_to_open_major: bool = False
    category: str | None = None


@dataclass(frozen=True)
class AlertsConfig:
    """The ``alerts:`` section: default rules, per-source overrides, severity → (impact, urgency)."""

    defaults: SourceRules = field(default_factory=SourceRules)
    sources: dict[str, SourceRules] = field(default_factory=dict)
    severities: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(DEFAULT_SEVERITIES))
    default_severity: str = "warning"

    def rules(self, source: str) -> SourceRules:
        """Return the rules of a source (the defaults when helpdesk.yml names it not)."""
        return self.sources.get(source, self.defaults)

    def levels(self, severity: str | None) -> tuple[str, str]:
        """Return the (impact, urgency) of a severity; an unknown one counts as the default severity."""
        return self.severities.get((severity or "").strip().lower(), self.severities[self.default_severity])


def read_alerts(value, fail: Callable[[str, str, str], None], impact: dict, urgency: dict,
                categories: dict) -> AlertsConfig:
    """Validate the optional ``alerts:`` section; ``fail(key, problem, fix)`` raises naming the key."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        fail("alerts", "must be a mapping", "write `alerts: {resolve_on_recovery: true}` or remove the section.")
    allowed = {*RULE_KEYS, "severities", "default_severity", "sources"}
    for key in value:
        if key not in allowed:
            fail(f"alerts.{key}", "is not a setting", "use one of: " + ", ".join(sorted(allowed)) + ".")
    severities = dict(DEFAULT_SEVERITIES)
    if "severities" in value:
        spec = value["severities"]
        if not isinstance(spec, dict) or not spec:
            fail("alerts.severities", "must map severities to {impact, urgency}",
                 "write e.g. `critical: {impact: high, urgency: high}`.")
        severities = {}
        for name, levels in spec.items():
            key = f"alerts.severities.{name}"
            if not isinstance(levels, dict) or set(levels) != {"impact", "urgency"}:
                fail(key, "must be {impact: …, urgency: …}", "give both, e.g. `{impact: medium, urgency: high}`.")
            severities[str(name).lower()] = (levels["impact"], levels["urgency"])
    for name, (imp, urg) in severities.items():
        if imp not in impact:
            fail(f"alerts.severities.{name}.impact", f"is {imp!r}", "name one of: " + ", ".join(impact) + ".")
        if urg not in urgency:
            fail(f"alerts.severities.{name}.urgency", f"is {urg!r}", "name one of: " + ", ".join(urgency) + ".")
    default_severity = value.get("default_severity", "warning")
    if default_severity not in severities:
        fail("alerts.default_severity", f"is {default_severity!r}", "name one of: " + ", ".join(severities) + ".")
    defaults = _rules("alerts", value, SourceRules(), fail, categories)
    sources = {}
    spec = value.get("sources") or {}
    if not isinstance(spec, dict):
        fail("alerts.sources", "must map source names to their settings",
             "write e.g. `sources: {uptime-kuma: {resolve_on_recovery: false}}`.")
    for name, own in spec.items():
        key = f"alerts.sources.{name}"
        if not isinstance(name, str) or not SOURCE_NAME.match(name):
            fail(key, "is not a source name", "use the name given to `guichet alerts token add` (a-z, 0-9, - and _).")
        if not isinstance(own, dict):
            fail(key, "must be a mapping", "write e.g. `{resolve_on_recovery: false}`.")
        for item in own:
            if item not in RULE_KEYS:
                fail(f"{key}.{item}", "is not a source setting", "use one of: " + ", ".join(RULE_KEYS) + ".")
        sources[name] = _rules(key, own, defaults, fail, categories)
    return AlertsConfig(defaults, sources, severities, default_severity)


def _rules(key: str, spec: dict, base: SourceRules, fail, categories: dict) -> SourceRules:
    values = {}
    for name in ("resolve_on_recovery", "attach_to_open_major"):
        if name in spec:
            if not isinstance(spec[name], bool):
                fail(f"{key}.{name}", f"is {spec[name]!r}", "write true or false.")
            values[name] = spec[name]
    if "category" in spec:
        if spec["category"] is not None and spec["category"] not in categories:
            fail(f"{key}.category", f"is {spec['category']!r}", "name one of: " + ", ".join(categories) + ".")
        values["category"] = spec["category"]
    return SourceRules(**{**base.__dict__, **values})
