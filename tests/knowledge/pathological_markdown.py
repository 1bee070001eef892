"""Markdown that made Python-Markdown take seconds to minutes or raise RecursionError (issue 16), each
just under the 50,000-character article limit: shared by the bounds tests and the render benchmark."""

SIZE = 49_000

PATHOLOGICAL: dict[str, str] = {
    "deep_list": "".join("    " * depth + "- a\n" for depth in range(150)),
    "deep_ordered_list": "".join("   " * depth + "1. a\n" for depth in range(150)),
    "deep_quote": ">" * SIZE,
    "deep_quote_lines": "".join(">" * depth + " a\n" for depth in range(300)),
    "quote_in_list": "".join("    " * depth + "> - a\n" for depth in range(100)),
    "nested_emphasis": "*" * (SIZE // 2) + "a" + "*" * (SIZE // 2),
    "mixed_emphasis": "*_" * (SIZE // 4) + "a" + "_*" * (SIZE // 4),
    "open_emphasis": "*a " * (SIZE // 3),
    "nested_brackets": "[" * (SIZE // 2) + "a" + "]" * (SIZE // 2),
    "open_brackets": "[" * SIZE,
    "spaced_brackets": "[a " * (SIZE // 3),
    "image_brackets": "![a " * (SIZE // 4),
    "unclosed_links": "[a](" * (SIZE // 4),
    "long_backtick_run": "`" * SIZE,
    "growing_backtick_runs": " ".join("`" * length for length in range(1, 300)),
    "short_backtick_runs": "`a``" * (SIZE // 4),
    "angle_brackets": "<a " * (SIZE // 3),
    "autolinks": "<http://a" * (SIZE // 9),
}
