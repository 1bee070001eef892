"""Images in articles: checked and re-encoded uploads from the editor and the admin, served as visible as their
article, and the only images the Markdown sanitizer lets through."""

# The pages are Chinese; their punctuation is full-width.
# ruff: noqa: RUF001

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from knowledge import images, services
from knowledge.models import Article, ArticleImage
from knowledge.rendering import render_markdown
from profiles.models import User
from tests.conftest import ALL_ROLES
from tests.knowledge.factories import ArticleFactory

pytestmark = pytest.mark.django_db

EXIF_MAKE = 0x010F
EXIF_ORIENTATION = 0x0112


def picture(fmt: str = "JPEG", size: tuple[int, int] = (40, 30), mode: str = "RGB", exif: bool = False,
            name: str = "图 diagram.jpg", noise: bool = False) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image = Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30))
    if noise:  # incompressible, so the file is as big as it looks
        image = Image.effect_noise(size, 100).convert(mode)
    extra: dict[str, Any] = {}
    if exif:
        tags = Image.Exif()
        tags[EXIF_MAKE] = "SpyCam"
        tags[EXIF_ORIENTATION] = 6  # stored sideways: turn 90° to show upright
        extra["exif"] = tags.tobytes()
    image.save(buffer, format=fmt, **extra)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def stored(article: Article, upload: SimpleUploadedFile | None = None, alt: str = "示意图") -> ArticleImage:
    return services.article_image_add(article=article, image=images.clean_upload(upload or picture()), alt=alt,
                                      uploaded_by=None)


# --- checking and re-encoding ---


def test_an_upload_is_reencoded_upright_without_exif_and_at_most_1600_wide() -> None:
    clean = images.clean_upload(picture(size=(3200, 800), exif=True))
    assert (clean.content_type, clean.name) == ("image/jpeg", "diagram.jpg")
    reopened = Image.open(io.BytesIO(clean.data))
    assert reopened.format == "JPEG"
    # Orientation 6 turned the 3200x800 picture upright (800x3200), then nothing needed shrinking.
    assert (clean.width, clean.height) == reopened.size == (800, 3200)
    assert EXIF_MAKE not in reopened.getexif() and b"SpyCam" not in clean.data
    wide = images.clean_upload(picture(size=(4000, 1000)))
    assert (wide.width, wide.height) == (1600, 400)


def test_transparent_images_stay_png_and_names_are_made_safe() -> None:
    clean = images.clean_upload(picture(fmt="PNG", mode="RGBA", name="../../etc/passwd 截图.PNG"))
    assert (clean.content_type, clean.name) == ("image/png", "passwd.png")
    assert Image.open(io.BytesIO(clean.data)).mode == "RGBA"
    assert images.clean_upload(picture(name="说明.jpg")).name == "image.jpg"


@pytest.mark.parametrize(("upload", "message"), [
    (SimpleUploadedFile("x.png", b"<script>alert(1)</script>"), "不是可以读取的图片"),
    (SimpleUploadedFile("x.png", b""), "文件是空的"),
])
def test_files_that_are_not_images_are_rejected(upload: SimpleUploadedFile, message: str) -> None:
    with pytest.raises(images.ImageRejected, match=message):
        images.clean_upload(upload)


def test_too_big_and_too_many_pixels_are_rejected_before_decoding(settings: Any) -> None:
    settings.KNOWLEDGE_IMAGE_MAX_BYTES = 100
    with pytest.raises(images.ImageRejected, match=r"图片不能超过 0\.0 MB"):
        images.clean_upload(picture(size=(200, 200)))
    settings.KNOWLEDGE_IMAGE_MAX_BYTES = 5 * 1024 * 1024
    settings.KNOWLEDGE_IMAGE_MAX_PIXELS = 1_000_000
    with pytest.raises(images.ImageRejected, match="像素过多"):
        images.clean_upload(picture(fmt="PNG", size=(1001, 1000)))


# --- uploading from the editor ---


def upload_url(article: Article) -> str:
    return f"/help/editor/{article.slug}/images/"


@pytest.mark.parametrize("role", [*ALL_ROLES, "agent_with_permission"])
def test_who_may_upload(client_for, editor_with, role: str) -> None:
    article = ArticleFactory.create()
    if role == "agent_with_permission":
        client = Client()
        client.force_login(editor_with("change_article"))
    else:
        client = client_for(role)
    response = client.post(upload_url(article), {"image": picture(), "alt": "图"})
    expected = {"anonymous": 302, "supervisor": 302, "admin": 302, "agent_with_permission": 302}.get(role, 403)
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    assert ArticleImage.objects.count() == (1 if role in ("supervisor", "admin", "agent_with_permission") else 0)


@pytest.fixture
def editor_client(client: Client, editor_with: Callable[..., User]) -> Client:
    client.force_login(editor_with("change_article"))
    return client


def test_htmx_upload_answers_with_the_markdown_to_insert(editor_client: Client) -> None:
    article = ArticleFactory.create(status=Article.Status.DRAFT)
    response = editor_client.post(upload_url(article), {"image": picture(), "alt": "退货[流程]图"},
                                  headers={"HX-Request": "true"})
    assert response.status_code == 200
    image = ArticleImage.objects.get(article=article)
    html = response.content.decode()
    assert f'rows="3" readonly>![退货流程图](/help/images/{image.pk}/diagram.jpg)</textarea>' in html
    assert f'data-insert-snippet="kb-snippet-{image.pk}"' in html and "is-new" in html
    assert 'id="kb-images"' in html and "<html" not in html
    served = editor_client.get(image.get_absolute_url())
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served.content)).size == (40, 30)


def test_plain_form_upload_redirects_back_with_the_markdown(editor_client: Client) -> None:
    article = ArticleFactory.create()
    response = editor_client.post(upload_url(article), {"image": picture(), "alt": ""}, follow=True)
    image = ArticleImage.objects.get(article=article)
    assert response.redirect_chain == [(f"/help/editor/{article.slug}/", 302)]
    assert f"![](/help/images/{image.pk}/diagram.jpg)" in response.content.decode()


@pytest.mark.parametrize("htmx", [True, False])
@pytest.mark.parametrize(("make_upload", "message"), [
    (lambda: SimpleUploadedFile("a.jpg", b"%PDF-1.4 not a picture"), "这个文件不是可以读取的图片"),
    (lambda: picture(size=(200, 200), noise=True), "图片不能超过"),
    (lambda: picture(fmt="PNG", size=(400, 300)), "图片像素过多（400 × 300，总像素最多 100000）"),
    (lambda: None, "该字段是必填项"),
])
def test_bad_uploads_name_the_field_and_store_nothing(
    editor_client: Client, settings: Any, htmx: bool, make_upload: Callable[[], Any], message: str
) -> None:
    settings.KNOWLEDGE_IMAGE_MAX_BYTES = 5000
    settings.KNOWLEDGE_IMAGE_MAX_PIXELS = 100_000
    article = ArticleFactory.create()
    upload = make_upload()
    data = {"alt": "图", **({"image": upload} if upload is not None else {})}
    response = editor_client.post(upload_url(article), data, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    # The error sits in the image field's block.
    field = html[html.index('<div class="field field--error">'):]
    assert field.index('for="id_image"') < field.index(message) < field.index('for="id_alt"')
    assert ("<html" in html) is not htmx
    assert not ArticleImage.objects.exists()


def test_upload_to_a_missing_article_is_404(editor_client: Client) -> None:
    assert editor_client.post("/help/editor/nope/images/", {"image": picture()}).status_code == 404


def test_the_editor_page_lists_images_with_their_snippet(editor_client: Client) -> None:
    article = ArticleFactory.create()
    image = stored(article)
    page = editor_client.get(f"/help/editor/{article.slug}/").content.decode()
    assert f'<img src="/help/images/{image.pk}/diagram.jpg" alt="示意图"' in page
    assert f'readonly>![示意图](/help/images/{image.pk}/diagram.jpg)</textarea>' in page
    assert 'hx-encoding="multipart/form-data"' in page and "/static/knowledge/editor.js" in page
    assert "先保存文章" in editor_client.get("/help/editor/new/").content.decode()


def test_the_editor_page_query_count_does_not_grow_with_images(
    editor_client: Client, django_assert_max_num_queries: Any
) -> None:
    article = ArticleFactory.create()
    stored(article)
    editor_client.get(f"/help/editor/{article.slug}/")  # warm the configuration cache first, as on a running site
    with django_assert_max_num_queries(14) as before:
        editor_client.get(f"/help/editor/{article.slug}/")
    for _ in range(4):
        stored(article)
    with django_assert_max_num_queries(14) as after:
        editor_client.get(f"/help/editor/{article.slug}/")
    assert len(after.captured_queries) == len(before.captured_queries)


# --- serving ---

SEES_INTERNAL = {"agent", "supervisor", "qa", "admin"}
EDITORS = {"supervisor", "admin"}


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(("audience", "status", "allowed"), [
    (Article.Audience.PUBLIC, Article.Status.PUBLISHED, set(ALL_ROLES)),
    (Article.Audience.INTERNAL, Article.Status.PUBLISHED, SEES_INTERNAL),
    (Article.Audience.PUBLIC, Article.Status.DRAFT, EDITORS),
    (Article.Audience.PUBLIC, Article.Status.OFFLINE, EDITORS),
    (Article.Audience.INTERNAL, Article.Status.IN_REVIEW, EDITORS),
])
def test_an_image_is_as_visible_as_its_article(client_for, role: str, audience: str, status: str,
                                               allowed: set[str]) -> None:
    image = stored(ArticleFactory.create(audience=audience, status=status))
    response = client_for(role).get(image.get_absolute_url())
    assert response.status_code == (200 if role in allowed else 404)
    if response.status_code == 200:
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        public = audience == Article.Audience.PUBLIC and status == Article.Status.PUBLISHED
        assert response["Cache-Control"].startswith("public" if public else "private")


def test_an_agent_with_the_edit_permission_sees_draft_images(client: Client, editor_with) -> None:
    image = stored(ArticleFactory.create(status=Article.Status.DRAFT))
    client.force_login(editor_with("change_article"))
    assert client.get(image.get_absolute_url()).status_code == 200


def test_a_wrong_name_or_id_is_404(client: Client) -> None:
    image = stored(ArticleFactory.create())
    assert client.get(f"/help/images/{image.pk}/other.jpg").status_code == 404
    assert client.get(f"/help/images/{image.pk + 1}/diagram.jpg").status_code == 404


# --- the sanitizer ---


def test_only_the_knowledge_bases_own_images_survive_rendering() -> None:
    image = stored(ArticleFactory.create())
    html = render_markdown(f"{image.markdown}\n\n![远程](https://evil.example/x.png)\n\n"
                           "![协议相对](//evil.example/help/images/1/x.jpg)\n\n![内嵌](data:image/png;base64,AAAA)\n\n"
                           '<img src="/help/images/1/a.jpg" onerror="alert(1)">')
    assert f'<img src="{image.get_absolute_url()}" alt="示意图">' in html
    assert html.count("src=") == 1  # the stored image: raw HTML is dropped, nothing remote
    assert "evil.example" not in html and "data:" not in html and "onerror" not in html


def test_an_article_page_shows_its_image(client: Client) -> None:
    article = ArticleFactory.create(slug="with-picture")
    image = stored(article)
    services.article_update(article=article, editor=None, body_zh=f"步骤如下：\n\n{image.markdown}")
    page = client.get("/help/articles/with-picture/").content.decode()
    assert f'<img src="/help/images/{image.pk}/diagram.jpg" alt="示意图">' in page


# --- the admin inline ---


def _admin_article_data(article: Article, **images: Any) -> dict[str, Any]:
    return {
        "category": article.category_id, "slug": article.slug, "kind": article.kind, "audience": article.audience,
        "tags": "", "title_zh": article.title_zh, "question_zh": "", "body_zh": article.body_zh,
        "title_en": article.title_en, "question_en": "", "body_en": article.body_en, "publish_at_0": "",
        "publish_at_1": "", "expires_at_0": "", "expires_at_1": "",
        "versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "0",
        "images-TOTAL_FORMS": "1", "images-INITIAL_FORMS": "0", **images,
    }


def test_admin_uploads_an_image_through_the_inline(client: Client, make_user) -> None:
    admin = make_user("admin")
    client.force_login(admin)
    article = ArticleFactory.create()
    response = client.post(f"/admin/knowledge/article/{article.pk}/change/", _admin_article_data(
        article,
        **{"images-0-upload": picture(size=(2000, 500)), "images-0-alt": "流程", "images-0-article": article.pk},
    ))
    assert response.status_code == 302, response.content.decode()[:3000]
    image = ArticleImage.objects.get(article=article)
    assert (image.alt, image.width, image.height, image.uploaded_by) == ("流程", 1600, 400, admin)
    page = client.get(f"/admin/knowledge/article/{article.pk}/change/").content.decode()
    assert f"![流程](/help/images/{image.pk}/diagram.jpg)" in page


def test_admin_inline_refuses_a_file_that_is_not_an_image(client: Client, make_user) -> None:
    client.force_login(make_user("admin"))
    article = ArticleFactory.create()
    response = client.post(f"/admin/knowledge/article/{article.pk}/change/", _admin_article_data(
        article, **{"images-0-upload": SimpleUploadedFile("x.jpg", b"MZ\x90\x00"), "images-0-alt": "x",
                    "images-0-article": article.pk}
    ))
    assert response.status_code == 200
    assert "这个文件不是可以读取的图片" in response.content.decode()
    assert not ArticleImage.objects.exists()
