"""Widgets that render in Python: a select with a hundred options should not cost a hundred templates."""

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class FastSelect(forms.Select):
    """forms.Select, rendered with string building instead of one template per option."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        if value is None:
            selected = set()
        elif isinstance(value, (list, tuple)):
            selected = {str(v) for v in value}
        else:
            selected = {str(value)}

        def options(choices):
            return format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (option_value, mark_safe(" selected") if str(option_value) in selected else "", label)  # nosec B308, B703 # a constant
                    for option_value, label in choices
                ),
            )

        parts = []
        for group, choices in self.choices:
            if isinstance(choices, (list, tuple)):
                parts.append(format_html('<optgroup label="{}">{}</optgroup>', group, options(choices)))
            else:
                parts.append(options([(group, choices)]))
        value_attrs = format_html_join("", ' {}="{}"', ((k, v) for k, v in attrs.items() if v not in (None, False)))
        return format_html('<select name="{}"{}>{}</select>', name, value_attrs, mark_safe("".join(parts)))  # nosec B308, B703 # options built by format_html_join
