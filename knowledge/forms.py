from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from knowledge import images
from knowledge.models import ArticleImage
from knowledge.services import MAX_FEEDBACK_COMMENT


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label=_("Was this helpful?"), choices=[("yes", _("Yes, it helped")), ("no", _("No, it did not"))],
        coerce=lambda value: value == "yes",
    )
    comment = forms.CharField(
        label=_("What could be better? (optional)"), required=False, max_length=MAX_FEEDBACK_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _checked_image(upload: Any) -> images.CleanImage:
    try:
        return images.clean_upload(upload)
    except images.ImageRejected as error:
        raise forms.ValidationError(str(error), code="invalid_image") from error


class ImageUploadForm(forms.Form):
    """The editor's upload: `cleaned_data["image"]` is the re-encoded CleanImage, not the raw upload."""

    image = forms.FileField(
        label=_("Image"), widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"})
    )
    alt = forms.CharField(label=_("Description (alt text)"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["image"].help_text = _("JPEG, PNG, WebP or GIF, at most %(mb).1f MB.") % {
            "mb": settings.KNOWLEDGE_IMAGE_MAX_BYTES / 1024 / 1024
        }

    def clean_image(self) -> images.CleanImage:
        return _checked_image(self.cleaned_data["image"])


class ArticleImageAdminForm(forms.ModelForm):
    """An admin inline row: a new row needs a file; a stored one only changes its description."""

    upload = forms.FileField(label=_("Image"), required=False)

    class Meta:
        model = ArticleImage
        fields = ("alt",)

    def clean_upload(self) -> images.CleanImage | None:
        upload = self.cleaned_data.get("upload")
        if upload is None:
            if self.instance.pk is None:
                raise forms.ValidationError(_("Choose an image to upload."), code="required")
            return None
        if self.instance.pk is not None:
            raise forms.ValidationError(_("A stored image cannot be replaced; delete it and add a new one."))
        return _checked_image(upload)
