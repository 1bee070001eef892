"""Knowledge articles a macro links, resolved without importing the knowledge app.

Knowledge sits above tickets, so it registers a resolver at start-up (`AppConfig.ready`); with no
resolver registered (tickets used alone) an article action cannot resolve and the macro is refused.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class LinkedArticle:
    title: str
    url: str  # site-relative; the reply shows it as typed


Resolver = Callable[[Iterable[int], str], dict[int, LinkedArticle]]
_resolvers: list[Resolver] = []


def register(resolver: Resolver) -> None:
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def resolve(article_ids: Iterable[int], language: str) -> dict[int, LinkedArticle]:
    """Published articles by id, titled in `language` where the article has it; one query per resolver."""
    wanted = list(article_ids)
    found: dict[int, LinkedArticle] = {}
    for resolver in _resolvers:
        found.update(resolver(wanted, language))
    return found
