"""Articles are rendered once, when saved, within bounds: pathological Markdown is rendered or refused with the
limit named, an over-long body is a form error (never cut), a page view never renders, old rows are backfilled."""

from typing import Any
from unittest import mock

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Value
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge import rendering, services
from knowledge.models import Article
from tests.knowledge.factories import ArticleFactory, CategoryFactory
from tests.knowledge.pathological_markdown import PATHOLOGICAL
from tests.migration_replay import replay_schedule

pytestmark = pytest.mark.django_db

# Each refusal names one of these limits (in English here; the zh text is checked below).
LIMIT_WORDS = ("nested at most 16", "At most 32 marks", "at most 150000 are allowed")
# What the cheap check refuses before any rendering: deep nesting and long runs of marks.
REFUSED_BEFORE_RENDERING = {
    "deep_list", "deep_ordered_list", "deep_quote", "deep_quote_lines", "quote_in_list", "nested_emphasis",
    "mixed_emphasis", "nested_brackets", "open_brackets", "long_backtick_run", "growing_backtick_runs",
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_markdown_is_rendered_or_refused_at_save_naming_the_limit(name: str) -> None:
    source = PATHOLOGICAL[name]
    category = CategoryFactory.create()
    with translation.override("en"):
        try:
            article = services.article_create(category=category, slug="x", title_zh="题", body_zh=source, author=None)
        except ValidationError as refused:
            message = " ".join(refused.message_dict["body_zh"])
            assert any(words in message for words in LIMIT_WORDS), message
            assert not Article.objects.exists()
            return
    assert name not in REFUSED_BEFORE_RENDERING
    stored = Article.objects.get(pk=article.pk)
    assert stored.body_html_zh == str(rendering.render_markdown(source)) and "<div" not in stored.body_html_zh


@pytest.mark.parametrize("name", sorted(REFUSED_BEFORE_RENDERING))
def test_deep_nesting_and_long_mark_runs_are_refused_without_rendering(name: str) -> None:
    with mock.patch.object(rendering, "_render_checked", side_effect=AssertionError("rendered")), \
            pytest.raises(rendering.MarkdownRefused):
        rendering.render_markdown(PATHOLOGICAL[name])


MARKDOWN_ALPHABET = st.sampled_from(["[", "]", "(", ")", "*", "_", "`", "<", ">", "!", "#", "-", "|", "&", "\\",
                                     "a", "字", " ", "    ", "\n", "\x00", "\ud800", "<div>", "http://a", ":", '"'])


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(MARKDOWN_ALPHABET, max_size=400))
def test_any_markdown_is_rendered_clean_or_refused_by_the_limit_check(pieces: list[str]) -> None:
    source = "".join(pieces)
    try:
        html = rendering.render_markdown(source)
    except rendering.MarkdownRefused:
        with pytest.raises(rendering.MarkdownRefused):
            rendering.check_source(source)  # 400 pieces cannot make 150,000 characters of HTML
        return
    assert "<div" not in html and "<script" not in html and "\x00" not in html


def test_the_saving_form_checks_the_limits_and_the_service_renders_once(client, editor_with) -> None:
    client.force_login(editor_with("change_article"))
    category = CategoryFactory.create()
    with mock.patch.object(rendering, "_render_checked", wraps=rendering._render_checked) as render:
        response = client.post("/help/editor/new/", _editor_data(category.pk, body_zh="**正文**"))
    assert response.status_code == 302, response.content
    # One render per body field (zh and the empty en), none from the form's validators.
    assert render.call_count == 2
    assert Article.objects.get().body_html_zh == "<p><strong>正文</strong></p>"


def test_a_large_ordinary_article_renders_whole() -> None:
    paragraph = "退款**1-3 个工作日**到账,详见[退款政策](https://example.com/refund)。\n\n"
    source = (paragraph * (rendering.MAX_SOURCE_CHARS // len(paragraph)))[: rendering.MAX_SOURCE_CHARS]
    html = rendering.render_markdown(source)
    assert html.count("<strong>") == source.count("**") // 2


def test_an_over_long_body_is_refused_never_cut() -> None:
    category = CategoryFactory.create()
    article = ArticleFactory.create(category=category)
    over = "字" * (rendering.MAX_SOURCE_CHARS + 1)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        services.article_update(article=article, editor=None, body_en=over)
    assert refused.value.message_dict == {"body_en": ["文章正文最多 50000 个字符（当前为 50001 个）。"]}  # noqa: RUF001
    assert Article.objects.get(pk=article.pk).body_en == "Body text."


def _editor_data(category_pk: int, **changes: str) -> dict[str, Any]:
    return {"category": category_pk, "slug": "long", "kind": "faq", "audience": "public", "tags": "",
            "title_zh": "很长", "question_zh": "", "body_zh": "正文", "title_en": "", "question_en": "",
            "body_en": "", "publish_at": "", "expires_at": "", **changes}


def test_the_editor_form_names_the_limit_on_the_over_long_field(client, editor_with) -> None:
    client.force_login(editor_with("change_article"))
    category = CategoryFactory.create()
    data = _editor_data(category.pk, body_zh="字" * (rendering.MAX_SOURCE_CHARS + 1))
    response = client.post("/help/editor/new/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["form"].errors["body_zh"] == [
        "An article body may have at most 50000 characters (this one has 50001)."
    ]
    assert not Article.objects.exists()


def test_the_admin_form_names_the_limit(client, make_user) -> None:
    client.force_login(make_user("admin"))
    category = CategoryFactory.create()
    data = _editor_data(category.pk, body_en="- a\n" + "".join("    " * depth + "- a\n" for depth in range(1, 20)))
    data.update({"publish_at_0": "", "publish_at_1": "", "expires_at_0": "", "expires_at_1": "",
                 "versions-TOTAL_FORMS": 0, "versions-INITIAL_FORMS": 0, "images-TOTAL_FORMS": 0,
                 "images-INITIAL_FORMS": 0})
    response = client.post("/admin/knowledge/article/add/", data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["body_en"] == ["列表和引用最多只能嵌套 16 层。"]
    assert not Article.objects.exists()


def test_the_preview_answers_400_naming_the_limit(client, editor_with) -> None:
    client.force_login(editor_with("change_article"))
    response = client.post("/help/preview/", {"body_zh": "`" * 40}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "At most 32 marks" in response.content.decode()


def test_page_views_and_the_api_never_render_markdown(client_for) -> None:
    client = client_for("customer")
    article = ArticleFactory.create(body_zh="**已保存的**正文", slug="stored")
    with mock.patch.object(rendering, "_render_checked", side_effect=AssertionError("rendered on a view")), \
            mock.patch("cmarkgfm.markdown_to_html_with_extensions", side_effect=AssertionError("rendered")):
        page = client.get("/help/articles/stored/")
        api = client.get("/api/v1/knowledge/articles/stored/")
    assert page.status_code == 200 and "<strong>已保存的</strong>" in page.content.decode()
    assert api.status_code == 200 and api.json()["body_html"] == "<p><strong>已保存的</strong>正文</p>"
    assert article.body_html_zh == "<p><strong>已保存的</strong>正文</p>"


def test_english_readers_get_the_english_html_and_fall_back_to_chinese() -> None:
    both = ArticleFactory.create(body_zh="中文", body_en="*English*")
    only_zh = ArticleFactory.create(body_zh="中文", body_en="")
    with translation.override("en"):
        assert (both.body_html, only_zh.body_html) == ("<p><em>English</em></p>", "<p>中文</p>")


def test_the_migration_backfills_stored_html_and_shows_an_old_over_long_body_whole() -> None:
    ordinary = ArticleFactory.create(body_zh="**粗**", body_en="")
    over_long = ArticleFactory.create(body_zh="短")
    # Rows from before the limit and before the stored HTML: written past the service, as they were.
    Article.objects.filter(pk=over_long.pk).update(body_zh=Value("<b>旧</b>\n\n" + "长" * 60_000))
    Article.objects.update(body_html_zh="", body_html_en="")
    replay_schedule("knowledge.migrations.0006_article_stored_html", apps)
    ordinary.refresh_from_db()
    over_long.refresh_from_db()
    assert ordinary.body_html_zh == "<p><strong>粗</strong></p>" and ordinary.body_html_en == ""
    assert over_long.body_html_zh == "<p>&lt;b&gt;旧&lt;/b&gt;</p>\n\n<p>" + "长" * 60_000 + "</p>"


def test_markup_that_expands_past_the_html_limit_is_refused_at_save_naming_it() -> None:
    category = CategoryFactory.create()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.article_create(category=category, slug="t", title_zh="表", body_zh=PATHOLOGICAL["long_table"],
                                author=None)
    assert "at most 150000 are allowed" in refused.value.message_dict["body_zh"][0]
    assert not Article.objects.exists()
