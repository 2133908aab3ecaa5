#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a large knowledge base for `make bench`: N generated articles of about 400 words each
(deterministic: the same N gives the same bytes), plus the shipped articles, into DIR/articles.

usage: gen_kb.py DIR [N]   (N defaults to 10000)

The words come from a fixed vocabulary of help-desk English, the tags from a small set (so some
tags are shared by thousands of articles, as in a real KB), headings, lists and a table, so that
indexing, search and rendering do realistic work.
"""
import os
import random
import shutil
import sys

WORDS = ("outlook profile connector mail server account password folder cache database sync "
         "calendar contact attachment message error warning restart install update version "
         "windows office registry service provider network proxy certificate login signature "
         "archive rule filter search index offline online quota storage backup restore user "
         "client desktop laptop printer driver policy domain group mailbox delegate share "
         "permission license antivirus firewall setting option dialog window button menu "
         "the a of to and in is it for on with that this be as are was by not or from at").split()
TAGS = ["outlook", "profile", "sync", "calendar", "printer", "network", "license", "security",
        "install", "performance", "mobile", "archive", "search", "backup", "migration"]


def article(rng, i):
    words = lambda n: " ".join(rng.choice(WORDS) for _ in range(n))
    tags = sorted(set(rng.sample(TAGS, rng.randint(2, 4))))
    slug = f"gen-{i:05d}-{rng.choice(WORDS)}"
    title = f"{words(5).capitalize()} ({i})"
    body = [f"{words(40).capitalize()}.", "", "## Symptoms", "", f"{words(60).capitalize()}.",
            "", "## Cause", "", f"{words(70).capitalize()}.", "", "## Fix", ""]
    body += [f"{n}. {words(12).capitalize()}." for n in range(1, 6)]
    body += ["", "| setting | value |", "|---|---|"]
    body += [f"| {rng.choice(WORDS)} | {words(3)} |" for _ in range(4)]
    body += ["", "## More", "", f"{words(120).capitalize()}.", "", "## Sources", "",
             f"- https://example.com/kb/{i}"]
    head = ["---", f'title: "{title}"', f"slug: {slug}", f"tags: [{', '.join(tags)}]",
            "applies_to: [Outlook 2016, Outlook 2021]",
            f"updated: 2026-{(i % 12) + 1:02d}-{(i % 28) + 1:02d}",
            "sources:", f"  - https://example.com/kb/{i}", "---"]
    return slug, "\n".join(head + body) + "\n"


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 64
    out = os.path.join(sys.argv[1], "articles")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    os.makedirs(out, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    shipped = os.path.join(here, "..", "..", "kb", "articles")
    for name in os.listdir(shipped):
        if name.endswith(".md"):
            shutil.copyfile(os.path.join(shipped, name), os.path.join(out, name))
    # The same symptom groups on the home page as the shipped KB's.
    shutil.copyfile(os.path.join(shipped, "..", "symptoms.json"),
                    os.path.join(sys.argv[1], "symptoms.json"))
    rng = random.Random(20261202)
    for i in range(n):
        slug, text = article(rng, i)
        with open(os.path.join(out, slug + ".md"), "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
