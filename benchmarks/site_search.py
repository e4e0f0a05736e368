"""Benchmark: the site's header search — Material's lunr against Guichet's index, on the kb/ phrasings, in one run.

Run: .venv/bin/python -m benchmarks.site_search [--project DIR] [--queries FILE ...]
Builds the real KB with `mkdocs build --strict` into a temporary folder (or reads the build of --project), then ranks
every phrasing of benchmarks/kb-queries-fr.jsonl and -en.jsonl with:
- lunr as the site shipped it: Material's own search worker and lunr.js from the built site, run by Node.js on the
  built build/site/search/search_index.json (the same SETUP and QUERY messages the browser sends);
- Guichet: the suggestion index the service serves at GET /api/v1/suggest (same call: employees' audience, the
  header search's k=10; an abstention shows nothing);
- the header search as shipped: Guichet's answer, lunr's when the index abstains or the service is unreachable.
Prints hit@1, hit@5 and MRR@10 over the phrasings an employee article answers, and how often something is shown
for the ones no article answers.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [ROOT / "benchmarks" / "kb-queries-fr.jsonl", ROOT / "benchmarks" / "kb-queries-en.jsonl"]
K = 10  # what the header search asks the API for
SPOT_CHECKS = {"mot de passe oublié": "reinitialiser-mot-de-passe", "imprimante": "imprimante-hors-connexion"}

# Material's worker in Node: importScripts, postMessage and addEventListener as the browser's worker scope has them.
NODE_RUNNER = r"""
const fs = require("fs"), path = require("path"), vm = require("vm");
const site = process.argv[2];
const workers = path.join(site, "assets/javascripts/workers");
const file = fs.readdirSync(workers).find(name => /^search\.[0-9a-f]+\.min\.js$/.test(name));
let handler = null;
const sent = [];
const scope = { console: { log() {}, warn() {}, error: console.error }, setTimeout, clearTimeout };
scope.self = scope;
scope.addEventListener = (type, fn) => { if (type === "message") handler = fn; };
scope.postMessage = message => sent.push(message);
scope.importScripts = (...urls) => urls.forEach(url =>
  vm.runInContext(fs.readFileSync(path.resolve(workers, url), "utf8"), scope, { filename: url }));
vm.createContext(scope);
vm.runInContext(fs.readFileSync(path.join(workers, file), "utf8"), scope, { filename: file });
const index = JSON.parse(fs.readFileSync(path.join(site, "search/search_index.json"), "utf8"));
const queries = JSON.parse(fs.readFileSync(0, "utf8"));
const answer = () => new Promise(resolve => setTimeout(() => resolve(sent.shift()), 0));
(async () => {
  await handler({ data: { type: 0, data: { config: index.config, docs: index.docs, options: { suggest: false } } } });
  if ((await answer()).type !== 1) throw new Error("the search worker did not get ready");
  const ranked = [];
  for (const query of queries) {
    await handler({ data: { type: 2, data: query } });
    const result = await answer();
    ranked.push(result.data.items.map(group => group[0].location.split("#")[0]));
  }
  process.stdout.write(JSON.stringify(ranked));
})().catch(error => { console.error(error); process.exit(1); });
"""


def build(project: Path) -> Path:
    """Copy the KB and the site sources into ``project`` and build them strictly; return the project."""
    sys.path.insert(0, str(ROOT / "tests"))
    from guichet_testing import mkdocs_build

    for name in ("kb", "site_plugins", "mkdocs.yml", "helpdesk.yml"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, project / name)
    result = mkdocs_build(project)
    if result.returncode:
        raise SystemExit(result.stderr)
    return project


def lunr_rankings(site: Path, texts: list[str], ids_by_location: dict[str, str]) -> list[list[str]]:
    """Rank each text with Material's worker and lunr.js of ``site``; return article ids, best first."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        raise SystemExit("Node.js is needed to run Material's search worker (apt-get install nodejs)")
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as runner:
        runner.write(NODE_RUNNER)
    try:
        result = subprocess.run([node, runner.name, str(site)], input=json.dumps(texts), capture_output=True,
                                text=True, timeout=600, check=False)
    finally:
        Path(runner.name).unlink()
    if result.returncode:
        raise SystemExit(f"Material's search worker failed under Node.js:\n{result.stderr}")
    return [[ids_by_location[loc] for loc in locations if loc in ids_by_location]
            for locations in json.loads(result.stdout)]


def guichet_rankings(index_dir: Path, queries: list[dict]) -> list[list[str] | None]:
    """Rank each query as GET /api/v1/suggest does (employees, k=10); None when the index abstains."""
    from search import IndexHolder

    index = IndexHolder(index_dir).get()
    ranked = []
    for q in queries:
        text = " ".join(q["query"].split())
        result = index.suggest(text, audience="employees", k=K) if len(text) >= 3 else None
        ranked.append(None if result is None or result.abstained else [s.id for s in result.suggestions])
    return ranked


def figures(rankings: list[list[str] | None], queries: list[dict]) -> dict:
    """Return hit@1, hit@5, MRR@10 on answerable queries and the rate of something shown on the others."""
    from search.evaluate import query_metrics

    answerable = [(r or [], set(q["relevant"])) for r, q in zip(rankings, queries) if q["relevant"]]
    other = [r for r, q in zip(rankings, queries) if not q["relevant"]]
    sums = {"hit@1": 0.0, "hit@5": 0.0, "mrr@10": 0.0}
    for ranked, relevant in answerable:
        metrics = query_metrics(ranked, relevant)
        for key in sums:
            sums[key] += metrics[key]
    result = {key: value / len(answerable) for key, value in sums.items()}
    result["n"] = len(answerable)
    result["shown_off_kb"] = sum(bool(r) for r in other) / len(other) if other else None
    result["n_off_kb"] = len(other)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a project folder already built (holding build/site, build/index)")
    parser.add_argument("--queries", type=Path, nargs="+", default=QUERIES, help="query files (JSON lines)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from search.evaluate import read_queries

    queries = [q for path in args.queries for q in read_queries(path)]
    with tempfile.TemporaryDirectory() as tmp:
        project = args.project or build(Path(tmp) / "project")
        manifest = json.loads((project / "build" / "manifest.json").read_text(encoding="utf-8"))
        ids_by_location = {a["url"]: article_id for article_id, a in manifest["articles"].items() if a["url"]}
        site = project / "build" / "site"
        texts = [q["query"] for q in queries] + list(SPOT_CHECKS)
        lunr_all = lunr_rankings(site, texts, ids_by_location)
        guichet_all = guichet_rankings(project / "build" / "index", [{"query": t} for t in texts])
    header_all = [g if g else l for g, l in zip(guichet_all, lunr_all)]
    engines = {"lunr (Material's worker, the site's lunr.js)": lunr_all,
               "Guichet (/api/v1/suggest index)": guichet_all,
               "header search: Guichet, lunr on abstention": header_all}
    n = len(queries)
    langs = sorted({q["lang"] or "?" for q in queries})
    print(f"{len(queries)} phrasings ({', '.join(str(p.name) for p in args.queries)}); lunr run by "
          f"Node.js {subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()}")
    print(f"| lang | engine | n | hit@1 | hit@5 | MRR@10 | shown off the KB |")
    print("|---|---|---|---|---|---|---|")
    for lang in langs + ["all"]:
        chosen = [i for i, q in enumerate(queries) if lang == "all" or (q["lang"] or "?") == lang]
        for name, ranked in engines.items():
            f = figures([ranked[i] for i in chosen], [queries[i] for i in chosen])
            off = "–" if f["shown_off_kb"] is None else f"{f['shown_off_kb']:.2f} of {f['n_off_kb']}"
            print(f"| {lang} | {name} | {f['n']} | {f['hit@1']:.2f} | {f['hit@5']:.2f} | {f['mrr@10']:.2f} | {off} |")
    print("\nrank of the right article for short searches (– when not in the first 10):")
    for offset, (text, article) in enumerate(SPOT_CHECKS.items()):
        ranks = []
        for name, ranked in engines.items():
            found = ranked[n + offset] or []
            ranks.append(f"{name.split(' ')[0]} {found.index(article) + 1 if article in found else '–'}")
        print(f"  « {text} » → {article}: " + ", ".join(ranks))


if __name__ == "__main__":
    main()
