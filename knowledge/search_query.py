"""What both search backends (knowledge.search for PostgreSQL, knowledge.elastic) share: the parsed query and
the articles an audience may find. Its own module so the dispatcher and the Elasticsearch backend import it
without importing each other."""

from dataclasses import dataclass

from django.db.models import QuerySet

from knowledge.models import Article


@dataclass(frozen=True)
class ParsedQuery:
    """The query's token groups: each group is one token and its synonyms."""

    groups: tuple[frozenset[str], ...]

    @property
    def terms(self) -> set[str]:
        return {term for group in self.groups for term in group}

    def tsquery(self) -> str:
        # Tokens are \w-only (see segment), so quoting them can never break the tsquery syntax.
        return " | ".join(f"'{term}'" for term in sorted(self.terms))



def visible_articles(audience: str) -> QuerySet[Article]:
    audiences = [Article.Audience.PUBLIC]
    if audience == Article.Audience.INTERNAL:
        audiences.append(Article.Audience.INTERNAL)
    return Article.objects.filter(status=Article.Status.PUBLISHED, audience__in=audiences)
