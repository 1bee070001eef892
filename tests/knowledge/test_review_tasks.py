"""Review tasks pushed to editors: listed at the top of the editor, closed with one button, e-mailed when they open,
counted on the workbench home."""

# The pages are Chinese; their punctuation is full-width.
# ruff: noqa: RUF001

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.models import OutboxMessage
from knowledge import notifications, selectors, services
from knowledge.models import Article, ReviewTask
from profiles.models import User
from tests.conftest import ALL_ROLES
from tests.knowledge.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def policy_with_linked_faq() -> tuple[Article, Article]:
    faq = ArticleFactory.create(slug="return-faq", title_zh="退货常见问题")
    policy = ArticleFactory.create(slug="return-policy", title_zh="退货政策", kind=Article.Kind.POLICY, related=[faq])
    return policy, faq


def change(policy: Article, body: str) -> None:
    services.article_update(article=policy, editor=None, body_zh=body)


@pytest.fixture
def editor_client(client: Client, editor_with: Callable[..., User]) -> Client:
    client.force_login(editor_with("change_article"))
    return client


def test_open_tasks_head_the_editor_with_reason_source_link_and_done_button(editor_client: Client) -> None:
    policy, faq = policy_with_linked_faq()
    change(policy, "七天无理由退货，运费由商家承担")
    expired = ArticleFactory.create(slug="old-promo", title_zh="双十一活动说明",
                                    expires_at=timezone.now() - timedelta(hours=1))
    services.sweep_schedule()
    closed = ReviewTask.objects.create(article=ArticleFactory.create(title_zh="已复核文章"), reason="expired",
                                       status=ReviewTask.Status.DONE)
    page = editor_client.get("/help/editor/").content.decode()
    start = page.index('id="review-tasks"')
    tasks = page[start:page.index("</section>", start)]
    assert tasks.index("退货常见问题") < tasks.index("双十一活动说明")  # oldest first
    assert "关联政策已变更" in tasks and "文章已过期" in tasks
    assert f'<a href="/help/editor/{faq.slug}/">退货常见问题</a>' in tasks
    assert f'<a href="/help/editor/{policy.slug}/">退货政策</a>' in tasks
    for task in ReviewTask.objects.filter(status=ReviewTask.Status.OPEN):
        assert f'action="/help/editor/tasks/{task.pk}/done/"' in tasks
    assert f"/help/editor/tasks/{closed.pk}/done/" not in tasks and "已复核文章" not in tasks
    assert page.index('id="review-tasks"') < page.index("<th>标题</th>")
    assert expired.slug in tasks


def test_done_closes_the_task_once(editor_client: Client, editor_with) -> None:
    policy, faq = policy_with_linked_faq()
    change(policy, "新规则")
    task = ReviewTask.objects.get(article=faq)
    response = editor_client.post(f"/help/editor/tasks/{task.pk}/done/", follow=True)
    assert response.redirect_chain == [("/help/editor/", 302)]
    assert "复核任务已完成" in response.content.decode()
    task.refresh_from_db()
    assert task.status == ReviewTask.Status.DONE and task.resolved_by is not None and task.resolved_at is not None
    again = editor_client.post(f"/help/editor/tasks/{task.pk}/done/", follow=True)
    assert again.status_code == 200 and "这个复核任务已经关闭" in again.content.decode()
    assert ReviewTask.objects.get(pk=task.pk).resolved_at == task.resolved_at
    # A later change to the policy opens a fresh task: the earlier one is done.
    change(policy, "更新的规则")
    assert ReviewTask.objects.filter(article=faq, status=ReviewTask.Status.OPEN).count() == 1


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_close_a_task(client_for, role: str) -> None:
    policy, faq = policy_with_linked_faq()
    change(policy, "新规则")
    task = ReviewTask.objects.get(article=faq)
    response = client_for(role).post(f"/help/editor/tasks/{task.pk}/done/")
    editors = {"supervisor", "admin"}
    assert response.status_code == {"anonymous": 302}.get(role, 302 if role in editors else 403)
    assert ReviewTask.objects.get(pk=task.pk).status == ("done" if role in editors else "open")


def test_editor_list_query_count_is_constant_with_tasks(editor_client: Client,
                                                         django_assert_max_num_queries: Any) -> None:
    policy, _faq = policy_with_linked_faq()
    change(policy, "一")
    editor_client.get("/help/editor/")  # warm the configuration cache first, as on a running site
    with django_assert_max_num_queries(12) as before:
        editor_client.get("/help/editor/")
    for n in range(4):
        policy.related.add(ArticleFactory.create(title_zh=f"关联{n}"))
    change(policy, "二")
    assert ReviewTask.objects.filter(status="open").count() == 5
    with django_assert_max_num_queries(12) as after:
        editor_client.get("/help/editor/")
    assert len(after.captured_queries) == len(before.captured_queries)


# --- e-mail ---


@pytest.mark.usefixtures("celery_eager")
def test_editors_get_one_mail_each_after_commit(make_user, editor_with, django_capture_on_commit_callbacks) -> None:
    supervisor, admin = make_user("supervisor"), make_user("admin")
    agent_editor = editor_with("change_article")
    make_user("agent"), make_user("customer"), make_user("qa"), make_user("merchant_staff")
    make_user("supervisor", email="")  # an editor without an address is skipped
    User.objects.filter(pk=make_user("supervisor").pk).update(is_active=False)
    policy, _faq = policy_with_linked_faq()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change(policy, "退货运费规则已调整")
    assert mail.outbox == []  # nothing leaves before the commit
    with django_capture_on_commit_callbacks(execute=True):  # the commit: the outbox rows are relayed
        for callback in callbacks:
            callback()
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        user.email for user in (supervisor, admin, agent_editor)
    )
    assert all(len(message.to) == 1 and not message.bcc and not message.cc for message in mail.outbox)
    message = mail.outbox[0]
    assert message.subject == "[知识库] 需要复核：退货常见问题"
    assert "关联政策已变更" in message.body and "退货政策" in message.body
    assert "/help/editor/return-faq/" in message.body and "/help/editor/\n" not in message.body


@pytest.mark.usefixtures("celery_eager")
def test_no_second_mail_while_the_task_is_open(make_user, django_capture_on_commit_callbacks) -> None:
    make_user("supervisor")
    policy, _faq = policy_with_linked_faq()
    with django_capture_on_commit_callbacks(execute=True):
        change(policy, "第一次修改")
    with django_capture_on_commit_callbacks(execute=True):
        change(policy, "第二次修改")
    assert len(mail.outbox) == 1
    assert ReviewTask.objects.filter(status="open").count() == 1


def test_a_redelivered_mail_task_sends_nothing_twice(make_user, django_capture_on_commit_callbacks) -> None:
    make_user("supervisor")
    policy, _faq = policy_with_linked_faq()
    with django_capture_on_commit_callbacks(execute=False):
        change(policy, "修改")
    task_id = ReviewTask.objects.get(status="open").pk
    assert notifications.email_editors_review_needed(task_id) == 1
    assert notifications.email_editors_review_needed(task_id) == 0  # acks_late redelivery
    assert OutboxMessage.objects.filter(task_name="core.tasks.send_email").count() == 1


def test_a_refused_mail_is_retried_by_the_next_delivery(make_user, django_capture_on_commit_callbacks,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    make_user("supervisor")
    policy, _faq = policy_with_linked_faq()
    with django_capture_on_commit_callbacks(execute=False):
        change(policy, "修改")
    task_id = ReviewTask.objects.get(status="open").pk

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notifications.messaging, "send_email", refuse)
    with pytest.raises(ConnectionRefusedError):
        notifications.email_editors_review_needed(task_id)
    monkeypatch.undo()
    assert notifications.email_editors_review_needed(task_id) == 1


@pytest.mark.usefixtures("celery_eager")
def test_expiry_sweep_mails_editors_with_the_site_origin(make_user, settings: Any,
                                                         django_capture_on_commit_callbacks) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://service.example.com"]
    User.objects.filter(pk=make_user("supervisor").pk).update(preferred_language="en")
    ArticleFactory.create(slug="promo", title_zh="活动说明", expires_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.sweep_schedule()
    assert [message.subject for message in mail.outbox] == ["[Knowledge base] Review needed: 活动说明"]
    assert "Article expired" in mail.outbox[0].body
    assert "https://service.example.com/help/editor/promo/" in mail.outbox[0].body


# --- the workbench home ---


@pytest.mark.parametrize("role", ["agent", "supervisor", "qa", "admin"])
def test_the_desk_links_editors_to_the_editor_with_a_count(client_for, role: str) -> None:
    policy, _faq = policy_with_linked_faq()
    change(policy, "新规则")
    page = client_for(role).get("/desk/").content.decode()
    if role in ("supervisor", "admin"):
        assert ('<a class="btn" href="/help/editor/#review-tasks" id="open-kb-editor">知识库 '
                '<span class="badge badge--info" title="等待复核的文章">1</span></a>') in page
    else:
        assert 'id="open-kb-editor"' not in page


def test_an_agent_granted_the_permission_gets_the_link(client: Client, editor_with) -> None:
    client.force_login(editor_with("change_article"))
    page = client.get("/desk/").content.decode()
    assert '<a class="btn" href="/help/editor/" id="open-kb-editor">知识库</a>' in page


def test_the_desk_count_is_capped(client_for, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "REVIEW_TASK_COUNT_CAP", 3)
    policy, _faq = policy_with_linked_faq()
    for n in range(3):
        policy.related.add(ArticleFactory.create(title_zh=f"关联{n}"))
    change(policy, "新规则")
    assert ReviewTask.objects.filter(status="open").count() == 4
    assert selectors.open_review_task_count() == 3
    page = client_for("supervisor").get("/desk/").content.decode()
    assert 'title="等待复核的文章">2+</span>' in page
