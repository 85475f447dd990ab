"""Read one element of an HTML page, so an assert names what that element said.

    text_of(html, "#status")              -> the element's text, whitespace collapsed
    texts_of(html, "table.leads td")      -> the text of every match
    attr_of(html, "form#grant", "action") -> one attribute of the first match
    has(html, "button[name=accept]")      -> whether anything matches

A selector is a small CSS subset: compound parts `tag`, `#id`, `.class`, `[attr]`, `[attr=value]`,
`[attr~=word]`, `[attr*=text]`, `[attr^=start]`, joined by descendant (space) or child (`>`)
combinators; several selectors may be separated by commas. The page is parsed with the stdlib
html.parser, leniently (a stray end tag is ignored, an unclosed one ends with its parent).
`html` may be a string or a response (its body is read as text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SKIP_TEXT = {"script", "style", "template"}
# a start tag that ends the open element(s) named here (the HTML end-tag omission rules, roughly)
IMPLIED_END = {
    "li": {"li"},
    "option": {"option"},
    "dt": {"dt", "dd"},
    "dd": {"dt", "dd"},
    "tr": {"tr", "td", "th"},
    "td": {"td", "th"},
    "th": {"td", "th"},
    "p": {"p"},
}


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict = field(default_factory=dict)
    parent: Node | None = None
    children: list = field(default_factory=list)  # Nodes and strings, in document order

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    @property
    def text(self) -> str:
        return " ".join(self._raw_text().split())

    def _raw_text(self) -> str:
        if self.tag in SKIP_TEXT:
            return ""
        parts = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else " " + child._raw_text() + " ")
        return "".join(parts)

    def descendants(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.descendants()

    def __repr__(self) -> str:
        attrs = "".join(f' {k}="{v}"' for k, v in self.attrs.items() if k in ("id", "class", "name"))
        return f"<{self.tag}{attrs}>{self.text[:80]!r}"


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        while len(self.stack) > 1 and self.stack[-1].tag in IMPLIED_END.get(tag, ()):
            self.stack.pop()
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html) -> Node:
    if hasattr(html, "get_data"):
        html = html.get_data(as_text=True)
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


# ---------------------------------------------------------------- selectors
_PART = re.compile(
    r"""(?P<tag>[a-zA-Z][\w-]*|\*)
      | \#(?P<id>[\w-]+)
      | \.(?P<cls>[\w-]+)
      | \[\s*(?P<attr>[\w:-]+)\s*(?:(?P<op>[~*^$]?=)\s*(?P<q>["']?)(?P<value>.*?)(?P=q))?\s*\]""",
    re.VERBOSE,
)


def _compound(text: str):
    tests, pos = [], 0
    while pos < len(text):
        match = _PART.match(text, pos)
        if not match:
            raise ValueError(f"unsupported selector part {text[pos:]!r}")
        tests.append(match)
        pos = match.end()

    def matches(node: Node) -> bool:
        for m in tests:
            if m["tag"] and m["tag"] != "*" and node.tag != m["tag"].lower():
                return False
            if m["id"] and node.attrs.get("id") != m["id"]:
                return False
            if m["cls"] and m["cls"] not in node.classes:
                return False
            if m["attr"]:
                if m["attr"] not in node.attrs:
                    return False
                have, want, op = node.attrs[m["attr"]], m["value"], m["op"]
                if op == "=" and have != want:
                    return False
                if op == "~=" and want not in have.split():
                    return False
                if op == "*=" and want not in have:
                    return False
                if op == "^=" and not have.startswith(want):
                    return False
                if op == "$=" and not have.endswith(want):
                    return False
        return True

    return matches


def _steps(selector: str):
    """'ul.leads > li a' -> [(None, ul.leads), ('>', li), (' ', a)]"""
    tokens = re.findall(r"\[[^\]]*\]|>|[^\s>\[]+|\s+", selector.strip())
    steps, combinator, current = [], None, ""
    for token in tokens:
        if token == ">" or token.isspace():
            if current:
                steps.append((combinator, _compound(current)))
                current, combinator = "", ">" if token == ">" else " "
            elif token == ">":
                combinator = ">"
        else:
            current += token
    if current:
        steps.append((combinator, _compound(current)))
    return steps


def _matches_path(node: Node, steps) -> bool:
    combinator, test = steps[-1]
    if not test(node):
        return False
    if len(steps) == 1:
        return True
    ancestor = node.parent
    if combinator == ">":
        return ancestor is not None and _matches_path(ancestor, steps[:-1])
    while ancestor is not None:
        if _matches_path(ancestor, steps[:-1]):
            return True
        ancestor = ancestor.parent
    return False


def select(html, selector: str) -> list[Node]:
    root = html if isinstance(html, Node) else parse(html)
    alternatives = [_steps(part) for part in selector.split(",") if part.strip()]
    return [node for node in root.descendants() if any(_matches_path(node, steps) for steps in alternatives)]


def _outline(root: Node) -> str:
    """What the page does have, for the failure message: its ids and a start of its text."""
    ids = [f"#{n.attrs['id']}" for n in root.descendants() if n.attrs.get("id")]
    return f"ids on the page: {' '.join(ids[:40]) or '(none)'}; text: {root.text[:300]!r}"


def one(html, selector: str) -> Node:
    root = html if isinstance(html, Node) else parse(html)
    found = select(root, selector)
    assert found, f"nothing matches {selector!r}; {_outline(root)}"
    return found[0]


def text_of(html, selector: str) -> str:
    """The text of the first element matching `selector` (fails, saying what the page has, if none)."""
    return one(html, selector).text


def texts_of(html, selector: str) -> list[str]:
    return [node.text for node in select(html, selector)]


def attr_of(html, selector: str, name: str) -> str | None:
    return one(html, selector).attrs.get(name)


def has(html, selector: str) -> bool:
    return bool(select(html, selector))


def page_text(html) -> str:
    """The whole page's visible text, whitespace collapsed (scripts and styles left out)."""
    return parse(html).text
