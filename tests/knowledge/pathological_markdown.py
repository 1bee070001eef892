"""Markdown that made Python-Markdown take seconds to minutes or raise RecursionError (issue 16), and the
known slow shapes of other renderers (reference chains, nested links, backtick pairs, entities, tables, raw
tags for the sanitizer), each just under the 50,000-character article limit: shared by the bounds tests and
the render benchmark."""

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
PATHOLOGICAL.update({
    "link_reference_chain": "".join(f"[r{n}]: /r{n + 1}\n" for n in range(2_000)) + "[r0] " * 1_000,
    "nested_links": "[a](" * (SIZE // 8) + ")" * (SIZE // 8),
    "emphasis_in_links": "*[a " * (SIZE // 4),
    "alternating_emphasis": "*a _a " * (SIZE // 12) + "a_ a* " * (SIZE // 12),
    "backtick_pairs": "``a` " * (SIZE // 5),
    "entities": "&#" * (SIZE // 2),
    "underscores_in_words": "a_" * (SIZE // 2),
    "unclosed_link_titles": '[a](b "' * (SIZE // 7),
    "lazy_quote_lines": "> a\n" * (SIZE // 4),
    "setext_heading_lines": "a\n" * (SIZE // 2) + "===",
    "long_table": "|a|b|\n|-|-|\n" + "|x|y|\n" * (SIZE // 6),
    "wide_table": "|" + "a|" * (SIZE // 5) + "\n|" + "-|" * (SIZE // 5) + "\n",
    "unclosed_raw_tags": "<div>" * (SIZE // 5),
    "nested_raw_tables": "<table><tr><td>" * (SIZE // 15),
})
