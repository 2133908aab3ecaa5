# SPDX-License-Identifier: MIT
"""The shipped KB covers every fact it must (tests/kb_facts.tsv), is well-formed and reads as
support (a Quick fix first; no research-note residue).

One check per fact row: its distinctive phrase is in its article (case-insensitive, white space
folded, against the raw Markdown file). Then: every line of the seed document has a row, every
article passes `koffix kb index`, ends with its Sources, links only to articles that exist, and
kb/symptoms.json names tags that articles use.
"""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ART = os.path.join(ROOT, "kb", "articles")
SEED = os.path.join(ROOT, "..", "shared", "seed", "kofmsp-seed.txt")
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail}"[:1000], file=sys.stderr)


def norm(s):
    return re.sub(r"\s+", " ", s).lower()


articles = {f[:-3]: open(os.path.join(ART, f), encoding="utf-8").read()
            for f in sorted(os.listdir(ART)) if f.endswith(".md")}
check("at least 12 articles", len(articles) >= 12, len(articles))

with open(os.path.join(ROOT, "tests", "kb_facts.tsv"), encoding="utf-8") as f:
    rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
check("facts header", rows[0] == ["id", "source", "slug", "phrase"], rows[0])
seed_lines, ids = set(), set()
for n, row in enumerate(rows[1:], 2):
    if len(row) != 4:
        check(f"kb_facts.tsv line {n} has 4 fields", False, row)
        continue
    fid, source, slug, phrase = row
    check(f"{fid} has a unique id", fid not in ids, fid)
    ids.add(fid)
    m = re.fullmatch(r"seed:(\d+)|research:[\d.]+", source)
    check(f"{fid} names its source", m, source)
    if m and m.group(1):
        seed_lines.add(int(m.group(1)))
    check(f"{fid} ({source}) phrase {phrase!r} is in {slug}",
          slug in articles and norm(phrase) in norm(articles[slug]),
          "article missing" if slug not in articles else "phrase missing")

if os.path.exists(SEED):
    seed = open(SEED, encoding="utf-8").read().split("\n")
    for ln, text in enumerate(seed, 1):
        if text.strip() and not text.startswith("(The source page"):
            check(f"seed line {ln} has a fact row", ln in seed_lines, text[:80])
else:
    check("seed document present beside the repository", False, SEED)

with tempfile.TemporaryDirectory() as data:
    p = subprocess.run([os.path.join(ROOT, "koffix"), "--data", data, "kb", "index"],
                       capture_output=True, text=True)
    check("every shipped article is accepted by kb index", p.returncode == 0, p.stderr)

for slug, text in articles.items():
    body = text.split("\n---\n", 1)[-1]
    heads = re.findall(r"^## (.+)$", body, re.M)
    check(f"{slug} ends with its Sources", heads and heads[-1].strip() == "Sources", heads[-1:])
    for target in re.findall(r"\]\(/kb/([a-z0-9-]+)", body):
        check(f"{slug} links to existing article {target}", target in articles)
    m = re.search(r"^related: \[(.*)\]$", text, re.M)
    for rel in (x.strip().strip('"') for x in (m.group(1).split(",") if m else []) if x.strip()):
        check(f"{slug} related {rel} exists", rel in articles)

# The support voice (issue 17): a Quick fix box first, with a button; no research-note residue;
# steps as numbered lists (task-list checkboxes have no labels).
QUICK = re.compile(r"\A\s*> \*\*Quick fix:\*\* .+\n(?:> .+\n)*>\s*\n> \[[^\]]+\]\((/wizard(\?symptom=[a-z_]+)?|/scan|"
                   r"/dll-check|/actions/[a-z-]+|/kb/[a-z0-9-]+)\)\s*\n")
for slug, text in articles.items():
    body = text.split("\n---\n", 1)[-1]
    check(f"{slug} starts with its Quick fix and a button", QUICK.match(body), body[:200])
    bad = re.findall(r"\bseed\b|kofmsp-seed|\(inferred\)|\bgist\b|low trust|^\s*[-*] \[[ xX]\]",
                     text, re.I | re.M)
    check(f"{slug} has no research-note residue (seed, inferred, gist, task lists)", not bad, bad)
    m = QUICK.match(body)
    target = m and m.group(1)
    if target and target.startswith("/kb/"):
        check(f"{slug} Quick fix links an existing article", target[4:] in articles, target)

symptoms = json.load(open(os.path.join(ROOT, "kb", "symptoms.json"), encoding="utf-8"))
for s in symptoms:
    used = any(re.search(r"^tags: \[.*\b%s\b.*\]$" % re.escape(s["tag"]), t, re.M)
               for t in articles.values())
    check(f"symptom {s['tag']} has articles", used)

print(f"RESULT kb-facts passed={passed} failed={failed}")
sys.exit(1 if failed else 0)
