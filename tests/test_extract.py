"""`newsproof extract`: figures, claims and attributions proposed from article text with the
text layer the checks use, compared with the curated datasets."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import DATASETS, copy_dataset, mutate_csv, run_cli
from newsproof.checks.textbundle import source_registry
from newsproof.contracts import load_contracts
from newsproof.extract import propose, read_sources, score

KU = DATASETS / "korea-ukraine"
SEED = Path("/work/shared/seeds/000_fd0896d047f6c23a.txt")


def ku_text() -> str:
    return json.loads((KU / "articles.jsonl").read_text(encoding="utf-8"))["text"]


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    """The seed article as a .txt file (the shared seed if present, else the same text)."""
    if SEED.is_file():
        return SEED
    path = tmp_path / "000_fd0896d047f6c23a.txt"
    path.write_text(ku_text(), encoding="utf-8")
    return path


def test_every_curated_figure_is_proposed_with_value_qualifier_unit_and_origin():
    registry = source_registry(tuple(read_sources(KU / "sources.csv")))
    proposal = propose(ku_text(), "ku-001", registry)
    origin_of = {a["figure_id"]: a["origin_id"] for a in proposal.attributions if a["figure_id"]}
    proposed = {(f["char_start"], f["char_end"]): (f["value_text"], f["value"], f["qualifier"], f["unit"],
                                                   origin_of.get(f["figure_id"])) for f in proposal.figures}
    curated_origin = {a["figure_id"]: a["origin_id"] for a in rows(KU / "attributions.csv") if a["figure_id"]}
    curated = {(int(f["char_start"]), int(f["char_end"])): (f["value_text"], float(f["value"]), f["qualifier"],
                                                            f["unit"], curated_origin[f["figure_id"]])
               for f in rows(KU / "figures.csv")}
    assert proposed == curated
    by_id = {f["figure_id"]: f for f in proposal.figures}
    assert by_id["ku-001-f03"]["linked_figure_id"] == "ku-001-f02"  # twelve thousand soldiers in four brigades


def test_proposed_claims_and_attributions_follow_the_text():
    registry = source_registry(tuple(read_sources(KU / "sources.csv")))
    proposal = propose(ku_text(), "ku-001", registry)
    claims = {c["claim_id"]: c for c in proposal.claims}
    first = next(f for f in proposal.figures if f["figure_id"] == "ku-001-f01")
    claim = claims[first["claim_id"]]
    assert claim["text"] == ("North Korea had sent over 1,500 soldiers to Russia for training to be deployed in "
                             "the Ukraine conflict")  # as curated (ku-c03)
    assert (claim["claimant_id"], claim["stance"]) == ("kr-intelligence-agency", "asserts")
    text = ku_text()
    assert all(text[c["char_start"]:c["char_end"]] == c["text"] for c in proposal.claims)
    relayed = [a for a in proposal.attributions if a["figure_id"] == "ku-001-f03"]
    assert [(a["reporter_id"], a["via_id"], a["origin_id"], a["cue"], a["char_start"]) for a in relayed] == [
        ("yonhap", None, "kr-intelligence-agency", "citing", 1079)]


def test_extract_writes_the_dataset_csv_format(seed_file: Path, tmp_path: Path):
    out = tmp_path / "proposal"
    result = run_cli("extract", seed_file, "--sources", KU / "sources.csv", "--out", out)
    assert result.exit_code == 0, result.stderr
    contracts = load_contracts()
    for table in ("figures", "claims", "attributions"):
        with (out / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            assert next(csv.reader(fh)) == list(contracts[table].column_names)
    figures = rows(out / "figures.csv")
    assert [(f["figure_id"], f["value_text"], f["value"], f["qualifier"], f["lower"], f["upper"], f["unit"])
            for f in figures] == [
        ("000_fd0896d047f6c23a-f01", "over 1,500 soldiers", "1500", "over", "1500", "", "soldier"),
        ("000_fd0896d047f6c23a-f02", "four brigades", "4", "exact", "4", "4", "brigade"),
        ("000_fd0896d047f6c23a-f03", "12,000 soldiers", "12000", "exact", "12000", "12000", "soldier"),
        ("000_fd0896d047f6c23a-f04", "two independent states", "2", "exact", "2", "2", "state"),
        ("000_fd0896d047f6c23a-f05", "over 1,500 soldiers", "1500", "over", "1500", "", "soldier"),
    ]
    origins = [a["origin_id"] for a in rows(out / "attributions.csv") if a["figure_id"]]
    assert origins == ["kr-intelligence-agency", "kr-intelligence-agency", "kr-intelligence-agency",
                       "kp-un-representative", "unnamed-reports"]


def test_extract_without_out_prints_the_proposal(seed_file: Path):
    result = run_cli("extract", seed_file, "--sources", KU / "sources.csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert "'12,000 soldiers'  value=12000 qualifier=exact unit=soldier  yonhap -> kr-intelligence-agency (citing)" \
        in lines[2]


def test_diff_with_the_curated_dataset_is_empty(seed_file: Path):
    # The seed file is named by its hash, not ku-001: the article is found by its text.
    result = run_cli("extract", seed_file, "--diff", KU)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.splitlines() == [
        "000_fd0896d047f6c23a (dataset article ku-001): 5 curated figure(s), 5 proposed, 5 matching"]


def test_diff_lists_what_each_side_lacks(tmp_path: Path):
    dataset = copy_dataset("korea-ukraine", tmp_path)
    mutate_csv(dataset / "figures.csv", "ku-f03", "unit", "brigade")
    mutate_csv(dataset / "figures.csv", "ku-f05", "char_start", "3131")  # "1,500 soldiers", no "over"
    mutate_csv(dataset / "figures.csv", "ku-f05", "value_text", "1,500 soldiers")
    result = run_cli("extract", dataset / "articles.jsonl", "--diff", dataset)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "ku-001: 5 curated figure(s), 5 proposed, 3 matching",
        "  only in dataset: ku-f03 1174..1189 '12,000 soldiers' value=12000 qualifier=exact unit=brigade "
        "origin=kr-intelligence-agency (proposed ku-001-f03 differs in unit)",
        "  only in dataset: ku-f05 3131..3145 '1,500 soldiers' value=1500 qualifier=over unit=soldier "
        "origin=unnamed-reports",
        "  only proposed:   ku-001-f03 1174..1189 '12,000 soldiers' value=12000 qualifier=exact unit=soldier "
        "origin=kr-intelligence-agency (dataset ku-f03 differs in unit)",
        "  only proposed:   ku-001-f05 3126..3145 'over 1,500 soldiers' value=1500 qualifier=over unit=soldier "
        "origin=unnamed-reports",
    ]


def test_score_against_the_curated_datasets():
    ku = score(KU)
    assert ku["figures"] == {"curated": 5, "proposed": 5, "matched": 5, "precision": 1.0, "recall": 1.0}
    assert ku["attributions"] == {"curated": 5, "proposed": 5, "matched": 5, "precision": 1.0, "recall": 1.0}
    sf = score(DATASETS / "synthetic-followups")
    assert sf["figures"]["precision"] == sf["figures"]["recall"] == 1.0
    # "Yonhap, also citing the agency": the follow-ups' registry has no alias "agency".
    assert sf["attributions"] == {"curated": 4, "proposed": 3, "matched": 3, "precision": 1.0, "recall": 0.75}


@pytest.mark.parametrize(("name", "content", "message"), [
    ("articles.jsonl", '{"article_id": "a1", "text": "500 soldiers."}\n{"article_id": "a2"\n',
     "articles.jsonl:2"),
    ("articles.jsonl", '{"article_id": "a1"}\n', "a record needs article_id and text"),
    ("article.html", "<p>500 soldiers</p>", "not an article file"),
])
def test_unreadable_article_files_are_usage_errors(tmp_path: Path, name: str, content: str, message: str):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = run_cli("extract", path)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
