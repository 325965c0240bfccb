"""The text layer over generated articles: sentences, quantities, cues and the attribution of
every quantity, one article after another on one core.

Usage: python text_layer.py DATASET_DIR ARTICLES. Prints articles per second for the whole
pass (per wall second and per CPU second: a shared machine slows the first) and the seconds
spent in each step (the loop only, not reading the files).
"""

from __future__ import annotations

import csv
import json
import sys
import time
from itertools import islice
from pathlib import Path

from newsproof.text.attribution import SourceEntry, SourceRegistry, attribute, find_cues
from newsproof.text.numbers import find_quantities
from newsproof.text.sentences import split_sentences


def main(dataset_dir: str, articles: str) -> None:
    root = Path(dataset_dir)
    with (root / "sources.csv").open(encoding="utf-8", newline="") as fh:
        registry = SourceRegistry(
            SourceEntry(r["source_id"], r["name"] or r["source_id"], r["kind"],
                        tuple(a for a in r["aliases"].split("|") if a), r["parent_id"] or None)
            for r in csv.DictReader(fh))
    with (root / "articles.jsonl").open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in islice(fh, int(articles))]
    spent = dict.fromkeys(("split_sentences", "find_quantities", "find_cues", "attribute"), 0.0)
    quantities = chains = 0
    clock = time.perf_counter
    started, cpu_started = clock(), time.process_time()
    for text in texts:
        t0 = clock()
        sentences = split_sentences(text)
        t1 = clock()
        found = find_quantities(text)
        t2 = clock()
        find_cues(text)
        t3 = clock()
        for q in found:
            chains += attribute(text, q.start, q.end, registry, sentences).cue is not None
        t4 = clock()
        quantities += len(found)
        for step, seconds in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            spent[step] += seconds
    elapsed, cpu = clock() - started, time.process_time() - cpu_started
    print(json.dumps({"articles": len(texts), "mean_chars": round(sum(map(len, texts)) / len(texts)),
                      "quantities": quantities, "attributed": chains, "loop_s": round(elapsed, 3),
                      "articles_per_s": round(len(texts) / elapsed, 1), "loop_cpu_s": round(cpu, 3),
                      "articles_per_cpu_s": round(len(texts) / cpu, 1),
                      "step_s": {k: round(v, 3) for k, v in spent.items()}}))


if __name__ == "__main__":
    main(*sys.argv[1:])
