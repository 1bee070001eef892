"""Showing a service's refusal on the form that asked for the change."""

from django import forms
from django.core.exceptions import ValidationError

from core.api import ApplicationError


def add_refusal(form: forms.Form, error: Exception) -> None:
    """Field errors under the fields the form has; anything else at the top of the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    elif isinstance(error, ApplicationError):
        named = {field: errors for field, errors in (error.fields or {}).items() if field in form.fields}
        for field, errors in named.items():
            form.add_error(field, errors)
        if not named:
            form.add_error(None, error.message)
    else:
        form.add_error(None, str(error))
