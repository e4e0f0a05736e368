"""Split a Markdown file into YAML front matter and body, loading the YAML safely."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

MAX_FILE_BYTES = 1_000_000
MAX_FRONT_MATTER_BYTES = 64_000
BOM = "\ufeff"


class FrontMatterError(Exception):
    """The front matter cannot be parsed; ``line`` is 1-based in the whole file."""

    def __init__(self, message: str, line: int = 1):
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}")


@dataclass
class FrontMatter:
    """Parsed front matter: values, the file line of each top-level key, and the body."""

    data: dict
    key_lines: dict[str, int] = field(default_factory=dict)
    body: str = ""
    body_start_line: int = 1  # file line of the body's first line
    present: bool = True


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, custom tags and duplicate keys."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                None, None, "YAML aliases (*name) are not allowed in front matter", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.MarkedYAMLError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _refuse_tag(loader, suffix, node):
    raise yaml.MarkedYAMLError(
        None, None, f"YAML tag '{node.tag}' is not allowed in front matter", node.start_mark
    )


_StrictLoader.add_multi_constructor("!", _refuse_tag)
_StrictLoader.add_multi_constructor("tag:yaml.org,2002:python/", _refuse_tag)


def load_yaml(text: str, first_line: int = 1, *, nested: bool = False):
    """Load YAML text safely and return ``(data, key_lines)`` for a top-level mapping (``nested``: dotted keys too).

    Raises:
        FrontMatterError: on any YAML error, with the file line of the fault.
    """
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        # An unclosed quote is reported where it opens, not at the end of the block.
        opens_here = exc.context and "quoted scalar" in exc.context
        mark = (exc.context_mark if opens_here else exc.problem_mark) or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        raise FrontMatterError(_describe(exc), line) from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(f"invalid YAML: {exc}", first_line) from None
    finally:
        loader.dispose()
    key_lines = {}
    pending = [("", node)] if isinstance(node, yaml.MappingNode) else []
    while pending:
        prefix, mapping = pending.pop()
        for key_node, value_node in mapping.value:
            key = prefix + str(key_node.value)
            key_lines[key] = first_line + key_node.start_mark.line
            if nested and isinstance(value_node, yaml.MappingNode):
                pending.append((key + ".", value_node))
    return data, key_lines


def _describe(exc: yaml.MarkedYAMLError) -> str:
    """Turn a PyYAML error into one line an author understands."""
    problem = exc.problem or str(exc)
    if "'\\t'" in problem or "\\t" in problem:
        return "invalid YAML: a tab character is used for indentation; indent with spaces"
    if "found unexpected end of stream" in problem or "while scanning a quoted scalar" in str(exc.context):
        return "invalid YAML: a quoted value is not closed; add the closing quote"
    if "mapping values are not allowed here" in problem:
        return "invalid YAML: a value contains ': '; put the whole value in double quotes"
    context = f" ({exc.context})" if exc.context else ""
    return f"invalid YAML: {problem}{context}"


def split_front_matter(text: str) -> FrontMatter:
    """Split ``text`` into front matter and body.

    Raises:
        FrontMatterError: when the front matter is missing its end, too large or not a mapping.
    """
    if text.startswith(BOM):
        raise FrontMatterError(
            "the file starts with a byte-order mark (BOM); save it as UTF-8 without BOM", 1
        )
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter(data={}, body=text, body_start_line=1, present=False)
    for end, line in enumerate(lines[1:], start=1):
        if line.rstrip() in ("---", "..."):
            break
    else:
        raise FrontMatterError("the front matter is not closed; add a line '---' after it", 1)
    yaml_text = "\n".join(lines[1:end])
    if len(yaml_text.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        raise FrontMatterError(
            f"the front matter is larger than {MAX_FRONT_MATTER_BYTES // 1000} kB", 2
        )
    data, key_lines = load_yaml(yaml_text, first_line=2)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError(
            f"the front matter must be a mapping of 'field: value' lines, not a {type(data).__name__}",
            2,
        )
    body = "\n".join(lines[end + 1 :])
    return FrontMatter(data=data, key_lines=key_lines, body=body, body_start_line=end + 2)
