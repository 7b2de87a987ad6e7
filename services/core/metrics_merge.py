"""One /metrics for a process and its child process: the child's exposition (scraped over HTTP)
parsed, each of its samples labelled ``process="<child>"``, merged family by family with this
process's own (unchanged), and rendered by prometheus_client again; ``ledgersync_child_up``
says whether the child answered this scrape. Per scrape only, never on a request's path."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

log = structlog.get_logger(__name__)
CHILD_UP = "ledgersync_child_up"
PROCESS_LABEL = "process"
# types whose samples include <name>_created, which the text format shows as a gauge of its own
_WITH_CREATED = frozenset(("counter", "histogram", "summary"))
# samples the text format puts under a family of their own (<name><suffix>, a gauge)
_OWN_BLOCK_SUFFIXES = ("_created", "_gsum", "_gcount")


def parse(text: str | None) -> list[Metric] | None:
    """The families of a text exposition, each ``<name>_created`` gauge put back into its counter
    or histogram (as the client collects them); None when there is no text or it does not parse."""
    if not text or not text.strip():
        return None
    try:
        families = list(text_string_to_metric_families(text))
    except Exception:  # noqa: BLE001 - the parser raises whatever it meets (ValueError, IndexError, …)
        return None
    by_name: dict[str, Metric] = {}
    for family in families:
        _add(by_name, family, family.samples)
    for name in [n for n in by_name if n.endswith("_created")]:
        created, base = by_name[name], by_name.get(name.removesuffix("_created"))
        if created.type == "gauge" and base is not None and base.type in _WITH_CREATED:
            base.samples.extend(created.samples)
            del by_name[name]
    return list(by_name.values())


def _add(into: dict[str, Metric], family: Metric, samples: list) -> bool:
    """``samples`` into the family of that name in ``into`` (a new one when none); False (and
    nothing added) when a family of that name but another type is there."""
    there = into.get(family.name)
    if there is None:
        there = into[family.name] = Metric(family.name, family.documentation, family.type, family.unit)
    elif there.type != family.type:
        return False
    there.samples.extend(samples)
    return True


def _shown_names(families: Iterable[Metric]) -> set[str]:
    """The names the text format gives these families' blocks (``_created`` … have their own)."""
    names = set()
    for family in families:
        names.add(family.name)
        names.update(family.name + suffix for suffix in _OWN_BLOCK_SUFFIXES
                     if any(s.name == family.name + suffix for s in family.samples))
    return names


def merged(own: Iterable[Metric], child: str, child_families: list[Metric] | None) -> list[Metric]:
    """``own``'s families as they are, the child's samples (labelled ``process=child``) in the
    family of the same name and type (or one of their own), and ``ledgersync_child_up{child}``.
    A child family whose name this process uses for another type is left out (and logged)."""
    families: dict[str, Metric] = {}
    for family in own:
        _add(families, family, family.samples)
    taken = _shown_names(families.values())
    for family in child_families or ():
        samples = [s._replace(labels={**s.labels, PROCESS_LABEL: child}) for s in family.samples]
        shadowed = family.name not in families and family.name in taken  # e.g. a lone X_created gauge
        if shadowed or not _add(families, family, samples):
            log.warning("metrics.child_family_left_out", child=child, family=family.name, type=family.type)
    up = GaugeMetricFamily(CHILD_UP, "1 when the child process answered this scrape of its /metrics",
                           labels=["child"])
    up.add_metric([child], 0 if child_families is None else 1)
    return [*families.values(), up]


class _Families(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


def render(child: str, child_text: str | None, own: Collector = REGISTRY) -> tuple[bytes, str]:
    """This process's exposition with the child's ``child_text`` merged in (``merged``); when
    the text is missing or does not parse, or the merge cannot be rendered, this process's own
    with ``ledgersync_child_up`` 0: a scrape still gets an answer."""
    child_families = parse(child_text)
    try:
        return generate_latest(_Families(merged(own.collect(), child, child_families))), CONTENT_TYPE_LATEST
    except Exception as exc:  # noqa: BLE001 - a child's odd text must not cost the process its /metrics
        if child_families is None:
            raise
        log.warning("metrics.child_merge_failed", child=child, error=f"{type(exc).__name__}: {exc}"[:300])
        return generate_latest(_Families(merged(own.collect(), child, None))), CONTENT_TYPE_LATEST
