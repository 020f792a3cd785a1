"""The YAML that LookML dashboards are written in, without a YAML library: `dump` writes
mappings, sequences and scalars the way Looker's dashboard LookML looks (block mappings,
`- ` items, short scalar lists in `[a, b]` flow style), and `load` reads that subset back:
block mappings and sequences, flow lists and maps of scalars, plain, single- and
double-quoted scalars, `|`/`>` block text, comments and a `---` start.  Anything else is a
`YamlError` with its line number.
"""

from __future__ import annotations

import json
import re
from typing import Any


class YamlError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


# --- writing ----------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z0-9_(][A-Za-z0-9_ .\-/%()#+*<>=!?$&@';:]*$")
_SPECIAL_WORDS = {"true", "false", "null", "~", "yes", "no", "on", "off", ""}
_NUMBER = re.compile(r"^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$|^0x|^0o|^[-+]?\.(inf|nan)$", re.I)


def _scalar(value: Any, in_flow: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    plain = (
        _PLAIN.match(text)
        and text.lower() not in _SPECIAL_WORDS
        and not _NUMBER.match(text)
        and ": " not in text
        and " #" not in text
        and not text.endswith((" ", ":"))
        and not (in_flow and any(c in text for c in ",[]{}"))
    )
    return text if plain else json.dumps(text, ensure_ascii=False)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{_scalar(str(key))}:"
            if _is_scalar(item):
                out.append(f"{head} {_scalar(item)}")
            elif not item:
                out.append(f"{head} {'{}' if isinstance(item, dict) else '[]'}")
            elif isinstance(item, list) and all(_is_scalar(i) for i in item):
                out.append(f"{head} [{', '.join(_scalar(i, in_flow=True) for i in item)}]")
            elif isinstance(item, list):
                out.append(head)
                out += _lines(item, indent)
            else:
                out.append(head)
                out += _lines(item, indent + 2)
    else:
        for item in value:
            if _is_scalar(item):
                out.append(f"{pad}- {_scalar(item)}")
                continue
            if not item:
                out.append(f"{pad}- {'{}' if isinstance(item, dict) else '[]'}")
                continue
            if isinstance(item, list):
                if not all(_is_scalar(i) for i in item):
                    raise ValueError("lists of lists of collections can't be written")
                out.append(f"{pad}- [{', '.join(_scalar(i, in_flow=True) for i in item)}]")
                continue
            inner = _lines(item, indent + 2)
            out.append(f"{pad}- {inner[0][indent + 2 :]}")
            out += inner[1:]
    return out


def dump(value: dict[str, Any] | list[Any]) -> str:
    """YAML text for a mapping or a sequence (a document starting with `---`)."""
    return "---\n" + "\n".join(_lines(value, 0)) + "\n"


# --- reading ----------------------------------------------------------------------------


def _strip_comment(text: str) -> str:
    """The line without a trailing `# comment` (outside quotes)."""
    quote = None
    for i, c in enumerate(text):
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip()
    return text.rstrip()


def _plain_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("null", "~", ""):
        return None
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", text):
        return float(text)
    return text


def _quoted(text: str, line: int) -> tuple[str, str]:
    """A quoted scalar at the start of `text`, and the rest after it."""
    if text[0] == '"':
        i = 1
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            if text[i] == '"':
                try:
                    return json.loads(text[: i + 1]), text[i + 1 :]
                except ValueError:
                    raise YamlError(line, f"bad escape in {text[: i + 1]}") from None
            i += 1
        raise YamlError(line, "a double-quoted text is not closed")
    i = 1
    out = []
    while i < len(text):
        if text[i] == "'":
            if text[i + 1 : i + 2] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), text[i + 1 :]
        out.append(text[i])
        i += 1
    raise YamlError(line, "a single-quoted text is not closed")


def _scalar_value(text: str, line: int) -> Any:
    text = text.strip()
    if text[:1] in ("'", '"'):
        value, rest = _quoted(text, line)
        if rest.strip():
            raise YamlError(line, f"unexpected text after a quoted value: {rest.strip()}")
        return value
    if text[:1] in "[{":
        return _flow(text, line)
    if text[:1] in ("&", "*", "!", "%", "@", "`"):
        raise YamlError(line, f"anchors, tags and directives are not supported: {text}")
    return _plain_value(text)


def _flow(text: str, line: int) -> Any:
    """`[a, "b", 3]` or `{k: v}` with scalar items."""
    close = "]" if text[0] == "[" else "}"
    if not text.endswith(close):
        raise YamlError(line, f"a flow collection must end with {close} on the same line")
    body = text[1:-1].strip()
    items: list[str] = []
    current = ""
    quote = None
    for c in body:
        if quote:
            current += c
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
            current += c
        elif c in "[]{}":
            raise YamlError(line, "nested flow collections are not supported")
        elif c == ",":
            items.append(current)
            current = ""
        else:
            current += c
    if current.strip() or items:
        items.append(current)
    if close == "]":
        return [_scalar_value(i, line) for i in items if i.strip()]
    out = {}
    for item in items:
        key, sep, value = item.partition(":")
        if not sep:
            raise YamlError(line, f"a flow map entry needs a key and a value: {item.strip()}")
        out[str(_scalar_value(key, line))] = _scalar_value(value, line)
    return out


class _Reader:
    def __init__(self, text: str) -> None:
        self.raw = text.replace("\r\n", "\n").replace("\t", "  ").split("\n")
        # (line number, indent, content) for every line that holds something.
        self.lines: list[tuple[int, int, str]] = []
        for number, raw in enumerate(self.raw, 1):
            content = _strip_comment(raw)
            if not content.strip() or content.strip() in ("---", "..."):
                continue
            self.lines.append((number, len(content) - len(content.lstrip(" ")), content.strip()))
        self.pos = 0

    def peek(self) -> tuple[int, int, str] | None:
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def block(self, indent: int) -> Any:
        first = self.peek()
        if first is None:
            return None
        if first[2] == "-" or first[2].startswith("- "):
            return self.sequence(first[1])
        return self.mapping(first[1])

    def sequence(self, indent: int) -> list[Any]:
        out: list[Any] = []
        while (row := self.peek()) is not None and row[1] == indent:
            number, _, content = row
            if not (content == "-" or content.startswith("- ")):
                break  # the next key of the mapping this sequence is the value of
            rest = content[1:].strip()
            if not rest:
                self.pos += 1
                nxt = self.peek()
                out.append(self.block(nxt[1]) if nxt and nxt[1] > indent else None)
            elif _key_split(rest) is not None:
                # "- key: value" opens a mapping whose other keys sit under "key".
                self.lines[self.pos] = (number, indent + 2, rest)
                out.append(self.mapping(indent + 2))
            else:
                self.pos += 1
                out.append(self.value_after(rest, number, indent))
        if (row := self.peek()) is not None and row[1] > indent:
            raise YamlError(row[0], f"unexpected indentation: {row[2]}")
        return out

    def mapping(self, indent: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while (row := self.peek()) is not None and row[1] == indent:
            number, _, content = row
            split = _key_split(content)
            if split is None:
                raise YamlError(number, f"expected 'key: value': {content}")
            key, rest = split
            if key in out:
                raise YamlError(number, f"key {key!r} appears twice")
            self.pos += 1
            if rest:
                out[key] = self.value_after(rest, number, indent)
                continue
            nxt = self.peek()
            if nxt is not None and (
                nxt[1] > indent or (nxt[1] == indent and nxt[2].startswith("- "))
            ):
                out[key] = self.block(nxt[1])
            else:
                out[key] = None
        if (row := self.peek()) is not None and row[1] > indent:
            raise YamlError(row[0], f"unexpected indentation: {row[2]}")
        return out

    def value_after(self, rest: str, number: int, indent: int) -> Any:
        if rest[:1] in ("|", ">"):
            return self.block_text(rest, number, indent)
        return _scalar_value(rest, number)

    def block_text(self, header: str, number: int, indent: int) -> str:
        """`|` keeps line breaks, `>` folds them; `-` drops the final one."""
        if not re.fullmatch(r"[|>][-+]?", header):
            raise YamlError(number, f"unsupported block text header: {header}")
        # The raw lines (comments are text here) that are blank or indented under the key.
        raw: list[str] = []
        for line in self.raw[number:]:
            if line.strip() and len(line) - len(line.lstrip(" ")) <= indent:
                break
            raw.append(line)
        while raw and not raw[-1].strip():
            raw.pop()
        last = number + len(raw)
        while self.pos < len(self.lines) and self.lines[self.pos][0] <= last:
            self.pos += 1
        cut = min((len(x) - len(x.lstrip(" ")) for x in raw if x.strip()), default=0)
        body = [x[cut:] for x in raw]
        text = ("\n" if header[0] == "|" else " ").join(body)
        return text if header.endswith("-") else text + "\n"


def _key_split(content: str) -> tuple[str, str] | None:
    """("key", "rest") for `key: rest` / `"key": rest` / `key:`, else None."""
    if content[:1] in ("'", '"'):
        try:
            key, rest = _quoted(content, 0)
        except YamlError:
            return None
        if rest.startswith(":") and (len(rest) == 1 or rest[1] == " "):
            return key, rest[1:].strip()
        return None
    match = re.match(r"^([^\s:\[\]{},#][^:]*?):(?:\s+(.*))?$", content)
    if match is None:
        return None
    return match.group(1).strip(), (match.group(2) or "").strip()


def load(text: str) -> Any:
    """The value a YAML text in the supported subset holds (YamlError otherwise)."""
    if not isinstance(text, str):
        raise YamlError(0, "LookML must be text")
    reader = _Reader(text)
    value = reader.block(0)
    if reader.peek() is not None:
        row = reader.peek()
        raise YamlError(row[0], f"unexpected text: {row[2]}")
    return value
