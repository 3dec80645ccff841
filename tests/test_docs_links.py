"""Every relative link in README.md and docs/ points at a file (and heading) in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (a link or heading inside one is not one)."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
        elif not fenced:
            out.append(line)
    return out


def anchors(text: str) -> set[str]:
    """The heading anchors GitHub makes: lower case, punctuation dropped, spaces to hyphens,
    a -1, -2, … suffix on repeats."""
    seen: dict[str, int] = {}
    out = set()
    for line in prose_lines(text):
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def broken_links(page: Path, root: Path) -> list[str]:
    """Each relative link of ``page`` whose file, or heading, does not exist under ``root``."""
    bad = []
    for line in prose_lines(page.read_text(encoding="utf-8")):
        for target in LINK.findall(line):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            path_part, _, fragment = target.partition("#")
            dest = (page.parent / path_part).resolve() if path_part else page
            rel = dest.relative_to(root).as_posix() if dest.is_relative_to(root) else None
            if rel is None or not dest.exists():
                bad.append(f"{page.relative_to(root)}: {target} (no such file in the repository)")
            elif fragment and dest.suffix == ".md":
                if fragment not in anchors(dest.read_text(encoding="utf-8")):
                    bad.append(f"{page.relative_to(root)}: {target} (no such heading)")
    return bad


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page):
    assert broken_links(page, ROOT) == []


def test_the_checker_finds_a_missing_file_a_missing_heading_and_a_link_out_of_the_tree(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "there.md").write_text("# A heading: with `code`\n\n## Twice\n## Twice\n")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "[ok](there.md) [ok](there.md#a-heading-with-code) [ok](there.md#twice-1) "
        "[ok](https://example.org/x.md) [ok](#local)\n\n# Local\n\n"
        "[bad](gone.md) [bad](there.md#nowhere) [bad](../../outside.md)\n"
        "```\n[not a link](in-a-code-block.md)\n```\n"
    )
    assert broken_links(page, tmp_path) == [
        "docs/page.md: gone.md (no such file in the repository)",
        "docs/page.md: there.md#nowhere (no such heading)",
        "docs/page.md: ../../outside.md (no such file in the repository)",
    ]
