"""Editing: versions with a readable diff, re-indexing, review tasks when a linked policy changes, feedback."""

import pytest

from knowledge import services
from knowledge.models import Article, ArticleVersion, ReviewTask
from knowledge.rendering import render_markdown
from tests.knowledge.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_every_content_change_writes_a_version_and_the_diff_is_readable(editor_with) -> None:
    editor = editor_with("change_article")
    article = ArticleFactory.create(body_zh="第一行\n退款3天到账")
    services.article_update(article=article, editor=editor, body_zh="第一行\n退款1-3个工作日到账")
    services.article_update(article=article, editor=editor, kind=Article.Kind.GUIDE)  # not content: no version
    older, newer = ArticleVersion.objects.filter(article=article).order_by("number")
    assert (older.number, newer.number, newer.editor) == (1, 2, editor)
    diff = services.version_diff(older, newer)
    assert "-退款3天到账" in diff and "+退款1-3个工作日到账" in diff


def test_editing_a_published_policy_asks_for_review_of_linked_articles_once() -> None:
    faq = ArticleFactory.create()
    offline = ArticleFactory.create(status=Article.Status.OFFLINE)
    policy = ArticleFactory.create(kind=Article.Kind.POLICY, related=[faq, offline])
    services.article_update(article=policy, editor=None, body_zh="新的退货政策")
    services.article_update(article=policy, editor=None, body_zh="再改一次")
    tasks = list(ReviewTask.objects.all())
    assert [(t.article, t.source, t.reason) for t in tasks] == [(faq, policy, ReviewTask.Reason.POLICY_CHANGED)]
    services.review_task_resolve(task=tasks[0], user=None)  # type: ignore[arg-type]
    services.article_update(article=policy, editor=None, body_zh="第三次")
    assert ReviewTask.objects.filter(article=faq, status=ReviewTask.Status.OPEN).count() == 1


def test_editing_a_faq_opens_no_review_tasks() -> None:
    faq = ArticleFactory.create()
    other = ArticleFactory.create(related=[faq])
    services.article_update(article=other, editor=None, body_zh="改了")
    assert not ReviewTask.objects.exists()


def test_feedback_counts_and_keeps_a_capped_comment(make_user) -> None:
    article = ArticleFactory.create()
    services.feedback_submit(article=article, user=make_user("customer"), helpful=True)
    services.feedback_submit(article=article, user=None, helpful=False, comment="没说清楚" * 200)
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 1)
    assert len(article.feedback.get(helpful=False).comment) == services.MAX_FEEDBACK_COMMENT


def test_views_and_search_clicks_are_counted() -> None:
    article = ArticleFactory.create()
    services.article_record_view(article=article)
    services.article_record_view(article=article, from_search=True)
    article.refresh_from_db()
    assert (article.view_count, article.click_count) == (2, 1)


def test_markdown_is_rendered_and_script_removed() -> None:
    html = render_markdown(
        "**粗体** <script>alert(1)</script> [链接](javascript:alert(1)) <img src=x onerror=alert(1)>"
        "\n\n![图](https://img.example.com/a.png)"
    )
    assert "<strong>粗体</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    # Remote images lose their source (only the knowledge base's own images are kept: see test_images.py).
    assert '<img alt="图">' in html and "img.example.com" not in html
