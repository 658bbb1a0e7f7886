"""Study files read safely as YAML: timestamps left as text (so ``2019-10-07`` never silently becomes a naive
datetime), duplicate keys refused, and a document that would expand through aliases to more than
:data:`MAX_YAML_NODES` nodes (an "alias bomb") refused before it is built."""

from __future__ import annotations

from typing import Any

import yaml

from ..errors import ConfigError
from .fields import show

#: Largest number of YAML nodes a study file may describe once aliases are expanded (an "alias bomb"
#: describes billions in a few lines); the default study has about 300.
MAX_YAML_NODES = 200_000


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings and rejects duplicate keys."""


StrictLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise ConfigError(f"line {key_node.start_mark.line + 1}: a key must be text or a number, got {show(key)}")
        if key in keys:
            raise ConfigError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
        keys.add(key)
    return loader.construct_mapping(node)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_yaml(text: str) -> Any:
    """Parse one YAML document with :class:`StrictLoader`, refusing before construction one that would expand
    (through aliases) to more than :data:`MAX_YAML_NODES` nodes."""
    loader = StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = expanded_size(node)
        if size > MAX_YAML_NODES:
            raise ConfigError(
                f"the document expands to more than {MAX_YAML_NODES:,} values (aliases reused too often); "
                "refusing to read it"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def expanded_size(root: yaml.Node) -> int:
    """Nodes in the document once every alias is expanded, counted without expanding (each node once, memoised);
    a node that contains itself counts as unbounded."""
    sizes: dict[int, int] = {}
    unbounded = MAX_YAML_NODES + 1
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            below = _children(node)
            sizes[key] = min(unbounded, 1 + sum(sizes[id(c)] for c in below))
            open_nodes.discard(key)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            return unbounded  # a recursive alias
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []
