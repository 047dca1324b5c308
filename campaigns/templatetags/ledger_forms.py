"""How a form that came back with errors is drawn: the first field in trouble takes the focus.

A phone shows one field at a time; a form sent back with an error must bring that error into
view and put the cursor on it, or the person believes nothing happened. ledger.js does that
(and keeps the page's own address); the `autofocus` drawn here does it without the script.
"""

from django import forms, template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


def first_error_name(form: forms.BaseForm | None) -> str | None:
    """The first shown field (in the form's order, which is the order it is drawn in) with an error."""
    if form is None or not form.is_bound or not form.errors:
        return None
    for name, field in form.fields.items():
        if name in form.errors and not field.widget.is_hidden:
            return name
    return None


@register.filter
def has_field_error(form: forms.BaseForm | None) -> bool:
    """Whether some shown field carries the error (otherwise the summary above the form takes the focus)."""
    return first_error_name(form) is not None


@register.simple_tag
def field_widget(field: forms.BoundField) -> SafeString:
    """The field's control, with `autofocus` if it is the first one with an error."""
    if field.errors and first_error_name(field.form) == field.name:
        widget = field.as_widget(attrs={"autofocus": True})
        if field.field.show_hidden_initial:
            widget += field.as_hidden(only_initial=True)
        return widget
    return format_html("{}", field)  # the bound field is safe HTML already


@register.filter
def photos_required(form: forms.BaseForm) -> bool:
    """Whether the form's photo field must hold a photo (it is never `required` in HTML: photos
    kept from a failed try count, and those are not in the file field)."""
    return bool(getattr(form, "photos_required", False))
