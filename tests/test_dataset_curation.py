"""Curation checks for the bundled datasets (standard library + pytest only; no newsproof import).

Each check is a function `check_*(ds) -> list[str]` that returns one message per problem, so the
tests below can assert both that the shipped data is clean and that the checks catch corruption.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import math
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas"
DATASETS = REPO / "datasets"
SEED = Path(__file__).resolve().parents[2] / "shared/seeds/000_fd0896d047f6c23a.txt"

TABLES = ("articles", "sources", "claims", "figures", "attributions")
CSV_TABLES = ("sources", "claims", "figures", "attributions")
DATASET_NAMES = ("korea-ukraine", "synthetic-followups")

# Column order the contracts had when these datasets were curated; the schema files must agree.
EXPECTED_COLUMNS = {
    "articles": ["article_id", "title", "outlet", "url", "published_at", "language", "text", "text_sha256"],
    "sources": ["source_id", "name", "kind", "country", "aliases", "parent_id"],
    "claims": ["claim_id", "article_id", "char_start", "char_end", "text", "claimant_id", "about_id", "stance",
               "status"],
    "figures": ["figure_id", "article_id", "claim_id", "char_start", "char_end", "value_text", "value", "qualifier",
                "lower", "upper", "unit", "subject", "measure", "as_of", "linked_figure_id"],
    "attributions": ["attribution_id", "figure_id", "claim_id", "reporter_id", "via_id", "origin_id", "cue",
                     "char_start", "char_end"],
}

# (table, column) -> (referenced table, referenced key)
REFERENCES = {
    ("sources", "parent_id"): ("sources", "source_id"),
    ("claims", "article_id"): ("articles", "article_id"),
    ("claims", "claimant_id"): ("sources", "source_id"),
    ("claims", "about_id"): ("sources", "source_id"),
    ("figures", "article_id"): ("articles", "article_id"),
    ("figures", "claim_id"): ("claims", "claim_id"),
    ("figures", "linked_figure_id"): ("figures", "figure_id"),
    ("attributions", "figure_id"): ("figures", "figure_id"),
    ("attributions", "claim_id"): ("claims", "claim_id"),
    ("attributions", "reporter_id"): ("sources", "source_id"),
    ("attributions", "via_id"): ("sources", "source_id"),
    ("attributions", "origin_id"): ("sources", "source_id"),
    ("articles", "outlet"): ("sources", "source_id"),  # only checked when the outlet is set
}
PRIMARY_KEYS = {"articles": "article_id", "sources": "source_id", "claims": "claim_id", "figures": "figure_id",
                "attributions": "attribution_id"}


# --------------------------------------------------------------------------- loading


def parse_contract(table: str) -> dict:
    """Minimal reader for schemas/<table>.yaml: column order, enums, non-nullable columns."""
    columns: list[str] = []
    enums: dict[str, list[str]] = {}
    required: set[str] = set()
    current = None
    for line in (SCHEMAS / f"{table}.yaml").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*-\s*\{?\s*name:\s*([A-Za-z0-9_]+)", line)
        if m:
            current = m.group(1)
            columns.append(current)
        if current is None:
            continue
        if re.search(r"\bnullable:\s*false\b", line):
            required.add(current)
        m = re.search(r"\benum:\s*\[([^\]]*)\]", line)
        if m:
            enums[current] = [v.strip().strip("'\"") for v in m.group(1).split(",")]
    return {"columns": columns, "enums": enums, "required": required}


CONTRACTS = {t: parse_contract(t) for t in TABLES}


def parse_dataset_yaml(path: Path) -> dict:
    """Minimal reader for the flat dataset.yaml used here (scalars, one `>-` block, one nested map)."""
    out: dict = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^([A-Za-z_]+):\s*(.*)$", line)
        assert m, f"{path}: unexpected line {line!r}"
        key, val = m.group(1), m.group(2)
        i += 1
        if val in (">-", ">", "|", "|-"):
            block = []
            while i < len(lines) and (lines[i].startswith(" ") or not lines[i]):
                block.append(lines[i].strip())
                i += 1
            out[key] = " ".join(b for b in block if b)
        elif val == "":
            sub = {}
            while i < len(lines) and lines[i].startswith(" "):
                k, _, v = lines[i].strip().partition(":")
                sub[k.strip()] = v.strip()
                i += 1
            out[key] = sub
        else:
            if val[:1] in "\"'":
                val = json.loads(val) if val[0] == '"' else val.strip("'")
            elif val in ("true", "false"):
                val = val == "true"
            out[key] = val
    return out


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    raw = path.read_bytes()
    assert b"\r" not in raw, f"{path}: CRLF/CR newlines"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [dict(zip(header, r, strict=True)) for r in reader]
    # empty cell = null
    return header, [{k: (v if v != "" else None) for k, v in r.items()} for r in rows]


def load(name: str) -> dict:
    root = DATASETS / name
    meta = parse_dataset_yaml(root / "dataset.yaml")
    ds = {"name": name, "meta": meta, "headers": {}, "tables": {}}
    articles = []
    with (root / meta["files"]["articles"]).open(encoding="utf-8", newline="") as fh:
        for line in fh:
            if line.strip():
                articles.append(json.loads(line))
    ds["headers"]["articles"] = [list(a.keys()) for a in articles]
    ds["tables"]["articles"] = articles
    for t in CSV_TABLES:
        header, rows = read_csv(root / meta["files"][t])
        ds["headers"][t] = header
        ds["tables"][t] = rows
    return ds


@pytest.fixture(scope="module", params=DATASET_NAMES)
def ds(request):
    return load(request.param)


def index(ds, table):
    return {r[PRIMARY_KEYS[table]]: r for r in ds["tables"][table]}


def article_text_for(ds, row) -> str:
    """Text of the article a figure/claim/attribution row points at (attributions via figure or claim)."""
    arts = index(ds, "articles")
    if "article_id" in row and row.get("article_id"):
        return arts[row["article_id"]]["text"]
    if row.get("figure_id"):
        return arts[index(ds, "figures")[row["figure_id"]]["article_id"]]["text"]
    return arts[index(ds, "claims")[row["claim_id"]]["article_id"]]["text"]


# --------------------------------------------------------------------------- checks


def check_headers(ds) -> list[str]:
    errs = []
    for t in CSV_TABLES:
        if ds["headers"][t] != CONTRACTS[t]["columns"]:
            errs.append(f"{t}: header {ds['headers'][t]} != contract {CONTRACTS[t]['columns']}")
    for i, keys in enumerate(ds["headers"]["articles"]):
        if keys != CONTRACTS["articles"]["columns"]:
            errs.append(f"articles line {i + 1}: keys {keys} != contract")
    return errs


def check_required_and_enums(ds) -> list[str]:
    errs = []
    for t in TABLES:
        c = CONTRACTS[t]
        for r in ds["tables"][t]:
            rid = r.get(PRIMARY_KEYS[t])
            for col in c["required"]:
                if r.get(col) in (None, ""):
                    errs.append(f"{t} {rid}: {col} is empty but not nullable")
            for col, allowed in c["enums"].items():
                if r.get(col) is not None and r[col] not in allowed:
                    errs.append(f"{t} {rid}: {col}={r[col]!r} not in {allowed}")
    return errs


def check_unique_keys(ds) -> list[str]:
    errs = []
    for t, pk in PRIMARY_KEYS.items():
        seen = set()
        for r in ds["tables"][t]:
            if r[pk] in seen:
                errs.append(f"{t}: duplicate {pk} {r[pk]}")
            seen.add(r[pk])
    return errs


def check_references(ds) -> list[str]:
    errs = []
    for (t, col), (rt, rk) in REFERENCES.items():
        keys = {r[rk] for r in ds["tables"][rt]}
        for r in ds["tables"][t]:
            v = r.get(col)
            if v is not None and v not in keys:
                errs.append(f"{t} {r[PRIMARY_KEYS[t]]}: {col}={v!r} does not resolve to {rt}.{rk}")
    return errs


def check_sha256(ds) -> list[str]:
    return [f"article {a['article_id']}: text_sha256 mismatch" for a in ds["tables"]["articles"]
            if hashlib.sha256(a["text"].encode("utf-8")).hexdigest() != a["text_sha256"]]


def _span(text, row, expected) -> str | None:
    try:
        s, e = int(row["char_start"]), int(row["char_end"])
    except (TypeError, ValueError):
        return f"offsets {row.get('char_start')!r}..{row.get('char_end')!r} not integers"
    if not 0 <= s < e <= len(text):
        return f"offsets {s}..{e} outside text of length {len(text)}"
    if text[s:e] != expected:
        return f"text[{s}:{e}] == {text[s:e]!r} != {expected!r}"
    return None


def check_spans(ds) -> list[str]:
    errs = []
    for f in ds["tables"]["figures"]:
        if (msg := _span(article_text_for(ds, f), f, f["value_text"])):
            errs.append(f"figure {f['figure_id']}: {msg}")
    for c in ds["tables"]["claims"]:
        if (msg := _span(article_text_for(ds, c), c, c["text"])):
            errs.append(f"claim {c['claim_id']}: {msg}")
    for a in ds["tables"]["attributions"]:
        if (msg := _span(article_text_for(ds, a), a, a["cue"])):
            errs.append(f"attribution {a['attribution_id']}: {msg}")
    return errs


def _num(v):
    return None if v is None else float(v)


def check_bounds(ds) -> list[str]:
    errs = []
    for f in ds["tables"]["figures"]:
        v, lo, up, q = _num(f["value"]), _num(f["lower"]), _num(f["upper"]), f["qualifier"]
        if q == "exact":
            want = (v, v)
        elif q in ("over", "at-least"):
            want = (v, None)
        elif q in ("under", "at-most"):
            want = (None, v)
        elif q == "about":
            want = (0.9 * v, 1.1 * v)
        else:
            continue  # range/vague: bounds are curated by hand

        def same(a, b):
            return a is None and b is None or (a is not None and b is not None and math.isclose(a, b))

        if not (same(lo, want[0]) and same(up, want[1])):
            errs.append(f"figure {f['figure_id']}: {q} {v} needs bounds {want}, has ({lo}, {up})")
    return errs


def check_figure_claim_article(ds) -> list[str]:
    claims = index(ds, "claims")
    return [f"figure {f['figure_id']}: claim {f['claim_id']} is in another article"
            for f in ds["tables"]["figures"]
            if f["claim_id"] in claims and claims[f["claim_id"]]["article_id"] != f["article_id"]]


def check_attribution_coverage(ds) -> list[str]:
    errs = []
    n_fig: dict[str, int] = {}
    n_claim: dict[str, int] = {}
    sources = index(ds, "sources")
    for a in ds["tables"]["attributions"]:
        aid = a["attribution_id"]
        if (a["figure_id"] is None) == (a["claim_id"] is None):
            errs.append(f"attribution {aid}: set exactly one of figure_id/claim_id")
        if a["figure_id"]:
            n_fig[a["figure_id"]] = n_fig.get(a["figure_id"], 0) + 1
        if a["claim_id"]:
            n_claim[a["claim_id"]] = n_claim.get(a["claim_id"], 0) + 1
        via = a["via_id"]
        if via is not None:
            if via in (a["reporter_id"], a["origin_id"]):
                errs.append(f"attribution {aid}: via {via} equals reporter or origin")
            if via in sources and sources[via]["kind"] not in ("outlet", "news-agency"):
                errs.append(f"attribution {aid}: via {via} is a {sources[via]['kind']}, not an outlet/news-agency")
    for f in ds["tables"]["figures"]:
        if n_fig.get(f["figure_id"], 0) != 1:
            errs.append(f"figure {f['figure_id']}: {n_fig.get(f['figure_id'], 0)} attributions, want 1")
    for c in ds["tables"]["claims"]:
        if n_claim.get(c["claim_id"], 0) != 1:
            errs.append(f"claim {c['claim_id']}: {n_claim.get(c['claim_id'], 0)} attributions, want 1")
    return errs


def check_denials(ds) -> list[str]:
    """A claim about P, where P (or a source whose parent is P) denies in the same article,
    must be disputed or denied."""
    parent = {s["source_id"]: s["parent_id"] for s in ds["tables"]["sources"]}
    deniers: dict[str, set[str]] = {}
    for c in ds["tables"]["claims"]:
        if c["stance"] == "denies":
            party = c["claimant_id"]
            deniers.setdefault(c["article_id"], set()).update({party, parent.get(party)} - {None})
    return [f"claim {c['claim_id']}: about {c['about_id']}, who denies in {c['article_id']}, but status {c['status']}"
            for c in ds["tables"]["claims"]
            if c["about_id"] in deniers.get(c["article_id"], set()) and c["status"] not in ("disputed", "denied")]


def _bound(v, open_end):
    return open_end if v is None else float(v)


def check_figure_consistency(ds) -> list[str]:
    """Figures with the same subject, measure, unit and as_of must have overlapping bounds."""
    groups: dict[tuple, list[dict]] = {}
    for f in ds["tables"]["figures"]:
        groups.setdefault((f["subject"], f["measure"], f["unit"], f["as_of"]), []).append(f)
    errs = []
    for key, figs in groups.items():
        for i, a in enumerate(figs):
            for b in figs[i + 1:]:
                lo = max(_bound(a["lower"], -math.inf), _bound(b["lower"], -math.inf))
                up = min(_bound(a["upper"], math.inf), _bound(b["upper"], math.inf))
                if lo > up:
                    errs.append(f"figures {a['figure_id']} and {b['figure_id']} {key}: bounds do not overlap")
    return errs


def check_aliases(ds) -> list[str]:
    """Aliases are surface forms found in the dataset's texts, longest first."""
    texts = [a["text"] for a in ds["tables"]["articles"]]
    errs = []
    for s in ds["tables"]["sources"]:
        aliases = (s["aliases"] or "").split("|") if s["aliases"] else []
        for al in aliases:
            if not any(al in t for t in texts):
                errs.append(f"source {s['source_id']}: alias {al!r} not found in any article text")
        if [len(a) for a in aliases] != sorted((len(a) for a in aliases), reverse=True):
            errs.append(f"source {s['source_id']}: aliases not longest first")
    return errs


CHECKS = [check_headers, check_required_and_enums, check_unique_keys, check_references, check_sha256,
          check_spans, check_bounds, check_figure_claim_article, check_attribution_coverage, check_denials,
          check_figure_consistency, check_aliases]


# --------------------------------------------------------------------------- tests on the shipped data


def test_schema_files_match_curated_column_order():
    for t in TABLES:
        assert CONTRACTS[t]["columns"] == EXPECTED_COLUMNS[t], t


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_dataset_is_clean(ds, check):
    assert check(ds) == []


def test_dataset_yaml(ds):
    meta = ds["meta"]
    assert meta["name"] == ds["name"]
    assert set(meta) >= {"name", "title", "description", "license", "synthetic", "files"}
    assert meta["files"] == {t: ("articles.jsonl" if t == "articles" else f"{t}.csv") for t in TABLES}
    assert isinstance(meta["synthetic"], bool)
    assert ds["tables"]["figures"] and ds["tables"]["claims"] and ds["tables"]["attributions"]


def test_csv_files_are_plain_utf8_lf(ds):
    for t in CSV_TABLES:
        raw = (DATASETS / ds["name"] / f"{t}.csv").read_bytes()
        raw.decode("utf-8")
        assert not raw.startswith(b"\xef\xbb\xbf"), f"{t}.csv has a BOM"
        assert raw.endswith(b"\n") and b"\r" not in raw


def test_korea_ukraine_article_is_the_seed_verbatim():
    if not SEED.parent.parent.is_dir():
        pytest.skip(f"{SEED.parent.parent} is absent")
    (article,) = load("korea-ukraine")["tables"]["articles"]
    seed = SEED.read_bytes()
    assert article["text"].encode("utf-8") == seed
    assert not seed.endswith(b"\n")


def test_korea_ukraine_is_real_and_undated():
    ku = load("korea-ukraine")
    assert ku["meta"]["synthetic"] is False
    (article,) = ku["tables"]["articles"]
    assert article["published_at"] is None and article["outlet"] is None and article["url"] is None
    assert article["language"] == "en"
    assert all(f["as_of"] is None for f in ku["tables"]["figures"])


@pytest.mark.parametrize("figure_id, value_text, lower, upper, claim_id, reporter, via, origin, cue", [
    ("ku-f01", "over 1,500 soldiers", "1500", None, "ku-c03", "kr-intelligence-agency", None,
     "kr-intelligence-agency", "disclosed"),
    ("ku-f02", "four brigades", "4", "4", "ku-c04", "yonhap", None, "kr-intelligence-agency", "citing"),
    ("ku-f03", "12,000 soldiers", "12000", "12000", "ku-c04", "yonhap", None, "kr-intelligence-agency", "citing"),
    ("ku-f04", "two independent states", "2", "2", "ku-c11", "kp-un-representative", None,
     "kp-un-representative", "said"),
    ("ku-f05", "over 1,500 soldiers", "1500", None, "ku-c18", "unnamed-reports", None, "unnamed-reports",
     "reports"),
])
def test_korea_ukraine_figure_chains(figure_id, value_text, lower, upper, claim_id, reporter, via, origin, cue):
    ku = load("korea-ukraine")
    f = index(ku, "figures")[figure_id]
    assert (f["value_text"], f["lower"], f["upper"], f["claim_id"]) == (value_text, lower, upper, claim_id)
    (a,) = [a for a in ku["tables"]["attributions"] if a["figure_id"] == figure_id]
    assert (a["reporter_id"], a["via_id"], a["origin_id"], a["cue"]) == (reporter, via, origin, cue)


def test_korea_ukraine_linked_and_repeated_figures():
    figs = index(load("korea-ukraine"), "figures")
    assert figs["ku-f03"]["linked_figure_id"] == "ku-f02"
    assert int(figs["ku-f01"]["char_start"]) < int(figs["ku-f05"]["char_start"])  # two separate mentions


def test_synthetic_is_labelled_everywhere():
    sf = load("synthetic-followups")
    assert sf["meta"]["synthetic"] is True
    assert "invented for testing" in sf["meta"]["description"].lower()
    assert sf["meta"]["title"].startswith("[SYNTHETIC]")
    for a in sf["tables"]["articles"]:
        assert a["title"].startswith("[SYNTHETIC]"), a["article_id"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", a["published_at"] or ""), a["article_id"]
        assert a["outlet"] in index(sf, "sources")


def test_synthetic_has_one_and_two_hop_chains():
    sf = load("synthetic-followups")
    chains = {(a["reporter_id"], a["via_id"], a["origin_id"]) for a in sf["tables"]["attributions"]}
    assert ("wire-b", "yonhap", "kr-intelligence-agency") in chains
    assert ("wire-a", None, "kr-intelligence-agency") in chains


# --------------------------------------------------------------------------- the checks catch corruption


def _corrupt(table, field, value, row=0):
    def mutate(ds):
        ds["tables"][table][row][field] = value
    return mutate


def _shift(table, field, delta):
    def mutate(ds):
        row = ds["tables"][table][0]
        row[field] = str(int(row[field]) + delta)
    return mutate


def _append_space(ds):
    ds["tables"]["articles"][0]["text"] += " "


CORRUPTIONS = [
    ("figure offset off by one", check_spans, _shift("figures", "char_start", 1)),
    ("claim text edited", check_spans, _corrupt("claims", "text", "something else")),
    ("cue moved", check_spans, _shift("attributions", "char_end", -1)),
    ("text edited", check_sha256, _append_space),
    ("dangling claimant", check_references, _corrupt("claims", "claimant_id", "nobody")),
    ("dangling figure in attribution", check_references, _corrupt("attributions", "figure_id", "no-such-figure")),
    ("exact with open upper bound", check_bounds,
     lambda ds: next(f for f in ds["tables"]["figures"] if f["qualifier"] == "exact").update(upper=None)),
    ("over with upper bound", check_bounds,
     lambda ds: next(f for f in ds["tables"]["figures"] if f["qualifier"] == "over").update(upper="99999")),
    ("bad enum", check_required_and_enums, _corrupt("claims", "stance", "shouts")),
    ("header reordered", check_headers, lambda ds: ds["headers"]["figures"].reverse()),
    ("both ids on an attribution", check_attribution_coverage,
     lambda ds: next(a for a in ds["tables"]["attributions"] if a["figure_id"]).update(
         claim_id=ds["tables"]["claims"][0]["claim_id"])),
    ("disputed claim marked reported", check_denials,
     lambda ds: next(c for c in ds["tables"]["claims"] if c["status"] == "disputed").update(status="reported")),
    ("non-overlapping bounds", check_figure_consistency,
     lambda ds: ds["tables"]["figures"].append(dict(next(f for f in ds["tables"]["figures"] if f["upper"] is not None),
                                                    figure_id="x-dup", lower="1e9", upper="1e9"))),
]


@pytest.mark.parametrize("label, check, mutate", CORRUPTIONS, ids=[c[0] for c in CORRUPTIONS])
def test_checks_catch_corruption(ds, label, check, mutate):
    bad = copy.deepcopy(ds)
    mutate(bad)
    assert check(bad), f"{check.__name__} missed: {label}"
