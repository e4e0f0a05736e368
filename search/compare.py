"""What a KB change does to the suggestions: figures, requests gained and lost, symptom lines, relevance floors."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import SearchError
from .evaluate import evaluate, read_queries, unknown_articles

FIGURES = ("hit@5", "mrr@10", "answered_hit@5", "false_suggestion_rate")
# every rate of ``evaluate``'s report a floor may name
METRICS = ("hit@1", "hit@5", "recall@1", "recall@5", "mrr@10", "ndcg@10", "answered@5", "answered_hit@5",
           "correct@1", "false_suggestion_rate", "oos_auc")
CEILING = "_max"  # a key ending so is a maximum (a false suggestion rate), any other a minimum
TOP = 5  # the suggestions an employee is shown


def read_floors(path: Path | str) -> dict[str, dict[str, float]]:
    """Read a floors file ``{"queries.jsonl": {"hit@5": 0.9, "false_suggestion_rate_max": 0.23}}``.

    Raises:
        SearchError: when the file is not JSON of that shape or names a metric ``evaluate`` does not report.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SearchError(f"{path}: not a floors file ({exc})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise SearchError(f"{path}: expected {{\"<query file name>\": {{\"<metric>\": <limit>}}}}")
    for name, floors in data.items():
        for key, limit in floors.items():
            if key.removesuffix(CEILING) not in METRICS:
                raise SearchError(f"{path}: {name}: unknown metric {key!r}; use one of {', '.join(METRICS)} "
                                  f"(with {CEILING} for a maximum)")
            if isinstance(limit, bool) or not isinstance(limit, (int, float)):
                raise SearchError(f"{path}: {name}: {key} must be a number, not {limit!r}")
    return data


def check_floors(name: str, report: dict, floors: dict[str, float]) -> list[dict]:
    """Return each floor of one query file checked on its ``evaluate`` report, with a message naming it."""
    checks = []
    for key, limit in floors.items():
        metric, ceiling = key.removesuffix(CEILING), key.endswith(CEILING)
        value = report.get(metric)
        ok = value is not None and (value <= limit if ceiling else value >= limit)
        if value is None:
            message = f"{name}: {metric} is not measured (no request of that kind), its floor is {limit}"
        elif ceiling:
            message = f"{name}: {metric} {value:.4f} {'≤' if ok else 'is over its maximum'} {limit}"
        else:
            message = f"{name}: {metric} {value:.4f} {'≥' if ok else 'is under its floor'} {limit}"
        checks.append({"file": name, "metric": metric, "kind": "max" if ceiling else "min", "value": value,
                       "limit": limit, "ok": ok, "message": message})
    return checks


def went_right(query: dict, row: dict) -> bool:
    """Return True when a request is found (a relevant article in the top 5, shown) or, out of scope, abstained on."""
    if query["relevant"]:
        return row["shown"] and bool(set(row["ranked"][:TOP]) & set(query["relevant"]))
    return not row["shown"]


def describe(query: dict, row: dict) -> str:
    """Return what one index did with a request, in a few words."""
    if not query["relevant"]:
        if not row["shown"]:
            return "abstained"
        return f"suggested {', '.join(row['ranked'][:3])} (confidence {row['confidence']:.4f})"
    rank = next((i for i, doc in enumerate(row["ranked"], start=1) if doc in query["relevant"]), None)
    where = f"rank {rank}" if rank else "not in the top 10"
    return where if row["shown"] else f"abstained (confidence {row['confidence']:.4f}), {where}"


def compare_queries(name: str, queries: list[dict], base_index, head_index) -> dict:
    """Evaluate one query file on both indexes: figures before and after, requests gained and lost."""
    before, after = evaluate(base_index, queries), evaluate(head_index, queries)
    gained, lost, moved = [], [], []
    for query, old, new in zip(queries, before.pop("per_query"), after.pop("per_query")):
        was, now = went_right(query, old), went_right(query, new)
        change = {"id": query["id"], "query": query["query"], "relevant": query["relevant"],
                  "before": describe(query, old), "after": describe(query, new)}
        if was != now:
            (gained if now else lost).append(change)
        elif query["relevant"] and old["hit@5"] != new["hit@5"]:
            moved.append(change)  # abstained on both sides: hit@5 moves with no request gained or lost
    counts = ("queries", "in_scope", "out_of_scope")
    return {"before": {k: before[k] for k in (*counts, *FIGURES)}, "after": {k: after[k] for k in (*counts, *FIGURES)},
            "report": after, "gained": gained, "lost": lost, "moved": moved,
            "unknown_relevant": unknown_articles(head_index, queries)}


def symptom_lines(index, article) -> list[dict]:
    """Ask each ``symptoms`` line of ``article`` as a request, as its audience would: is the article found?"""
    audience = "technicians" if article.audience == "technicians" else "employees"
    lines = []
    for text in article.symptoms:
        result = index.suggest(text, audience=audience, k=TOP)
        ranked = [index.docs[num].id for num, _, _ in index.rank(text, audience=audience).top(10)]
        rank = ranked.index(article.id) + 1 if article.id in ranked else None
        lines.append({"text": text, "found": not result.abstained and rank is not None and rank <= TOP,
                      "rank": rank, "abstained": result.abstained, "confidence": round(result.confidence, 4)})
    return lines


def article_changes(base_articles, head_articles) -> dict:
    """Return the ids added and removed, and those whose ``symptoms`` changed, from base to head."""
    base = {a.id: a for a in base_articles}
    head = {a.id: a for a in head_articles}
    return {"base": len(base), "head": len(head),
            "added": sorted(set(head) - set(base)), "removed": sorted(set(base) - set(head)),
            "symptoms_changed": sorted(i for i in set(head) & set(base) if head[i].symptoms != base[i].symptoms)}


def compare_kbs(base_articles, base_index, head_articles, head_index, query_sets: list[tuple[str, list[dict]]],
                floors: dict[str, dict[str, float]] | None = None) -> dict:
    """Compare a head KB with its base.

    Args:
        base_articles, base_index: the KB before the change and its index.
        head_articles, head_index: the changed KB and its index.
        query_sets: (query file name, its queries) pairs.
        floors: limits by query file name (see ``read_floors``), checked on the head KB.

    Returns:
        ``{"articles", "queries": {name: {"before", "after", "gained", "lost", "moved", "unknown_relevant"}},
        "symptoms": [{"id", "change", "lines"}], "floors": {"checks", "broken", "unused"}}``.
    """
    changes = article_changes(base_articles, head_articles)
    queries, checks = {}, []
    for name, lines in query_sets:
        result = compare_queries(name, lines, base_index, head_index)
        report = result.pop("report")
        if floors and name in floors:
            checks.extend(check_floors(name, report, floors[name]))
        queries[name] = result
    head = {a.id: a for a in head_articles}
    symptoms = [{"id": i, "change": change, "lines": symptom_lines(head_index, head[i])}
                for change, ids in (("added", changes["added"]), ("changed", changes["symptoms_changed"]))
                for i in ids]
    return {"articles": changes, "queries": queries, "symptoms": symptoms,
            "floors": {"checks": checks, "broken": [c["message"] for c in checks if not c["ok"]],
                       "unused": sorted(set(floors or {}) - set(queries))}}


def run_compare(base_dir: Path, kb_dir: Path, query_paths: list[Path], floors_path: Path | None = None,
                **build_options) -> dict:
    """Build both KBs' indexes, read the query and floors files, and return ``compare_kbs``'s report.

    Raises:
        SearchError: for a KB that cannot be loaded, a bad query or floors file, or two query files of one name.
    """
    from .articles import load_articles
    from .index import build_index

    query_sets = []
    for path in query_paths:
        if any(name == Path(path).name for name, _ in query_sets):
            raise SearchError(f"two query files are named {Path(path).name}: floors and reports go by file name")
        query_sets.append((Path(path).name, read_queries(path)))
    floors = read_floors(floors_path) if floors_path else None
    base_articles, head_articles = load_articles(base_dir), load_articles(kb_dir)
    base_index = build_index(base_articles, **build_options)
    head_index = build_index(head_articles, **build_options)
    report = compare_kbs(base_articles, base_index, head_articles, head_index, query_sets, floors)
    report.update({"base": str(base_dir), "head": str(kb_dir), "semantic": head_index.semantic is not None,
                   "floors_file": None if floors_path is None else str(floors_path)})
    return report


def figure(value) -> str:
    """Return a metric for a report line ("–" when not measured)."""
    return "–" if value is None else f"{value:.4f}"


def format_report(report: dict) -> list[str]:
    """Return the lines of a comparison report for a person reading a pull request's check."""
    a = report["articles"]
    out = [f"Relevance of {report.get('head', 'head')} against {report.get('base', 'base')}: "
           f"{a['base']} → {a['head']} articles ({len(a['added'])} added, {len(a['removed'])} removed, "
           f"{len(a['symptoms_changed'])} with other symptoms)"]
    for name, result in report["queries"].items():
        before, after = result["before"], result["after"]
        out += ["", f"{name}: {after['queries']} requests ({after['in_scope']} in scope, "
                    f"{after['out_of_scope']} out of scope), before → after"]
        for metric in FIGURES:
            old, new = before[metric], after[metric]
            delta = "" if old is None or new is None or old == new else f"  ({new - old:+.4f})"
            out.append(f"  {metric:22} {figure(old)} → {figure(new)}{delta}")
        for title, changes in (("gained", result["gained"]), ("lost", result["lost"]),
                               (f"in or out of the top {TOP}, abstained before and after", result["moved"])):
            if changes or title in ("gained", "lost"):
                out.append(f"  {title} ({len(changes)})" + (":" if changes else ""))
            for c in changes:
                wanted = ", ".join(c["relevant"]) or "out of scope"
                out.append(f"    {c['id']} « {c['query']} » [{wanted}]: {c['before']} → {c['after']}")
    if report["symptoms"]:
        out += ["", f"Symptoms of the added or changed articles, asked as requests (found: in the top {TOP}, shown):"]
    for article in report["symptoms"]:
        lines = article["lines"]
        out.append(f"  {article['id']} ({article['change']}): {sum(s['found'] for s in lines)} of {len(lines)} found")
        for line in lines:
            where = f"rank {line['rank']}" if line["rank"] else "not in the top 10"
            if line["found"]:
                state = f"found, {where}"
            elif line["abstained"]:
                state = f"NOT FOUND: abstained (confidence {line['confidence']:.4f}), {where}"
            else:
                state = f"NOT FOUND: {where}"
            out.append(f"    « {line['text']} »: {state}")
    floors = report["floors"]
    if floors["checks"]:
        out += ["", f"Floors ({report.get('floors_file') or 'floors'}) on {report.get('head', 'the head KB')}:"]
        out += [f"  {'ok    ' if c['ok'] else 'BROKEN'} {c['message']}" for c in floors["checks"]]
    return out
