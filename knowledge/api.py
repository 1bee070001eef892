"""Knowledge API: search and read articles, and suggestions for the text an agent is answering."""

from typing import Any

from django.utils.translation import get_language, gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from core.api import ApplicationError
from core.permissions import MethodPermission
from core.schema import NONBLANK_TEXT_PATTERN
from core.segmentation import MAX_QUERY_CHARS
from knowledge import recommend, selectors
from knowledge.models import Article
from knowledge.search import SearchHit, search_articles

MAX_RESULTS = 20
# Words to search: text (no control character but tab, LF, CR) with at least one character not a space.
SEARCH_TEXT_SCHEMA = {"type": "string", "pattern": NONBLANK_TEXT_PATTERN}


class CanUseDesk(MethodPermission):
    required = {"POST": ("profiles.use_desk",)}


class HitSerializer(serializers.Serializer[Any]):
    slug = serializers.CharField(source="article.slug")
    title = serializers.CharField(source="article.title")
    kind = serializers.CharField(source="article.kind")
    audience = serializers.CharField(source="article.audience")
    score = serializers.FloatField()
    title_html = serializers.CharField()
    snippet_html = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, hit: SearchHit) -> str:
        return f"/help/articles/{hit.article.slug}/"


class ArticleSerializer(serializers.ModelSerializer[Article]):
    title = serializers.CharField()
    body_html = serializers.SerializerMethodField()
    category = serializers.CharField(source="category.slug")

    class Meta:
        model = Article
        fields = ["id", "slug", "kind", "audience", "category", "title", "tags", "body_html", "updated_at",
                  "helpful_yes", "helpful_no"]

    def get_body_html(self, article: Article) -> str:
        return str(article.body_html)


class TextSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=recommend.MAX_TEXT_CHARS, trim_whitespace=True)


class ArticleViewSet(viewsets.ViewSet):
    """Published articles; agents and above also get internal ones."""

    lookup_field = "slug"

    @extend_schema(
        parameters=[OpenApiParameter("q", SEARCH_TEXT_SCHEMA, required=True), OpenApiParameter("limit", int)],
        responses=HitSerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        query = request.query_params.get("q", "").strip()[:MAX_QUERY_CHARS]
        if not query:
            raise ApplicationError(
                gettext("A search needs words."), code="invalid", fields={"q": [gettext("This field is required.")]}
            )
        try:
            limit = max(1, min(int(request.query_params.get("limit", "10")), MAX_RESULTS))
        except ValueError:
            raise ApplicationError(
                gettext("limit must be a number."), fields={"limit": [gettext("A valid integer is required.")]}
            ) from None
        hits = search_articles(
            query, audience=selectors.audience_for(request.user), language=get_language() or "zh-hans", limit=limit
        )
        return Response(HitSerializer(hits, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The article's URL slug.")],
        responses=ArticleSerializer,
    )
    def retrieve(self, request: Request, slug: str) -> Response:
        article = selectors.article_for_reader(slug, selectors.audience_for(request.user))
        if article is None:
            raise ApplicationError(gettext("No such article."), code="not_found", status_code=404)
        return Response(ArticleSerializer(article).data)

    @extend_schema(request=TextSerializer, responses=HitSerializer(many=True))
    @action(detail=False, methods=["post"], permission_classes=[CanUseDesk])
    def suggestions(self, request: Request) -> Response:
        """Articles for the ticket or chat text an agent is answering."""
        serializer = TextSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hits = recommend.articles_for_text(serializer.validated_data["text"], audience=Article.Audience.INTERNAL)
        return Response(HitSerializer(hits, many=True).data)


def register(router: DefaultRouter) -> None:
    router.register("knowledge/articles", ArticleViewSet, basename="knowledge-article")
