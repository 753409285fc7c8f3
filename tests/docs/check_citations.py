#!/usr/bin/env python3
"""Every citation in the tree can be followed from the repository alone (issue 13).

- each `wire-notes TAG` cited anywhere names a tag that docs/wire-notes.md defines
  (a line starting `- **TAG**`);
- each test that docs/wire-notes.md gives as evidence, `test: path: name`, is a file of
  the tree that contains that name, and every file it names exists;
- nothing cites the team's notes that live outside the repository.
Run from anywhere: python3 tests/docs/check_citations.py [repo-root]
"""
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
NOTES = os.path.join(ROOT, "docs", "wire-notes.md")
OUTSIDE = re.compile(r"ZMTP-NOTES|PLATFORMS\.md|DESIGN\.md|STYLE\.md|\.\./shared/")
CITE = re.compile(r"wire-notes,? ([A-Z][0-9]+)\b")
EVIDENCE = re.compile(r"test: ((?:tests|bench|proofs)/[\w./-]+): (\w+)")
TEXT_EXT = (".c", ".h", ".py", ".sh", ".md", ".txt", ".cmake", ".mk", "Makefile", ".in")
SELF = os.path.relpath(os.path.abspath(__file__), ROOT)


def tree_files():
    try:
        out = subprocess.run(["git", "-C", ROOT, "ls-files"], check=True,
                             capture_output=True, text=True).stdout.split("\n")
        return [f for f in out if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(ROOT):
            dirs[:] = [x for x in dirs if not x.startswith((".", "build"))]
            files += [os.path.relpath(os.path.join(d, n), ROOT) for n in names]
        return files


def main():
    with open(NOTES, encoding="utf-8") as f:
        notes = f.read()
    tags = set(re.findall(r"^- \*\*([A-Z][0-9]+)\*\*", notes, re.M))
    problems = []
    cited = 0
    for rel in tree_files():
        if rel == SELF or not rel.endswith(TEXT_EXT):
            continue
        path = os.path.join(ROOT, rel)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for no, line in enumerate(f, 1):
                if OUTSIDE.search(line):
                    problems.append(f"{rel}:{no}: cites notes outside the repository")
                for tag in CITE.findall(line):
                    if rel == "docs/architecture.md" and tag == "X9":
                        continue  # the page's example of the citation form
                    cited += 1
                    if tag not in tags:
                        problems.append(f"{rel}:{no}: wire-notes {tag} is not a tag")
    evidence = EVIDENCE.findall(notes)
    for rel, name in evidence:
        path = os.path.join(ROOT, rel)
        if not os.path.isfile(path):
            problems.append(f"docs/wire-notes.md: evidence file {rel} does not exist")
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            if not re.search(r"\b" + re.escape(name) + r"\b", f.read()):
                problems.append(f"docs/wire-notes.md: {rel} has no {name}")
    for rel in sorted(set(re.findall(r"\b((?:tests|src|ports|bench|proofs|docs|tools|firmware|examples)/[\w/-]+\.(?:c|h|py|sh|md))(?![\w.])", notes))):
        if not os.path.isfile(os.path.join(ROOT, rel)):
            problems.append(f"docs/wire-notes.md: names {rel}, which does not exist")
    for p in problems:
        print(p)
    print(f"{cited} citations of {len(tags)} tags, {len(evidence)} evidence tests: "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
