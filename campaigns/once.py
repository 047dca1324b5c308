"""One form, one object, for the pages: the hidden key a create form carries, and the view
helpers that make the object once and answer every other send of the form with it.

A view that creates something:

    form = SomeForm(request.POST)
    if (answer := submission_repeat(request, form, kind)) is not None:
        return answer  # this form was sent before: its first result
    if form.is_valid():
        try:
            made = create_once(request, form, kind, lambda: make(...), lambda made: made_url)
        except SubmissionRepeated as repeated:  # the same form, sent at the same instant, won
            return submission_answer(request, repeated)
        except SubmissionRefused as refused:
            form.submission_refuse(refused.message)

Whether the form was sent before is asked *after* the checks that read the database (the
form's own, which submission_repeat runs first, and any the view makes before it): a copy
sent a moment earlier may have made the record those checks now find ("a campaign of that
name exists"), and the answer to that copy is the record, not the check's complaint. The
key committed with the record, so a lookup made after the check sees it too.

The rules live in campaigns/services/submissions.py.
"""

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy

from campaigns.services.submissions import (
    SubmissionRefused,
    SubmissionRepeated,
    is_submission_key,
    submission_check,
    submission_claim,
    submission_done,
    submission_key_new,
    submission_once,
)

__all__ = [
    "SUBMISSION_FIELD",
    "OneSubmissionForm",
    "SubmissionForm",
    "SubmissionRefused",
    "SubmissionRepeated",
    "create_once",
    "submission_answer",
    "submission_repeat",
]

SUBMISSION_FIELD = "submission"
MISSING = gettext_lazy("这张表单缺少一次性提交编号（页面可能是旧的），没有保存。已填写的内容都还在，请再提交一次。")
REPEATED = gettext_lazy("这张表单已提交过，已为您打开第一次提交的结果，没有重复保存。要再填一份，请重新打开表单。")

Made = TypeVar("Made")


class SubmissionKeyField(forms.CharField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("label", gettext_lazy("提交编号"))
        super().__init__(required=False, max_length=64, initial=submission_key_new, **kwargs)

    def bound_data(self, data, initial):
        # A form sent without a usable key comes back with a fresh one, so it can be sent again.
        return data if is_submission_key(data) else initial


class OneSubmissionForm:
    """Mixin for a form that creates something: a hidden one-time key, required to save.

    Put it first among the bases (its __init__ adds the field after the form's own).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[SUBMISSION_FIELD] = SubmissionKeyField()
        self._submission_problem = None

    @property
    def submission_key(self) -> str:
        return self.data.get(self.add_prefix(SUBMISSION_FIELD), "") if self.is_bound else ""

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        if self._submission_problem is not None:
            self.add_error(None, self._submission_problem)
        elif not is_submission_key(self.submission_key):
            self.add_error(None, str(MISSING))

    def submission_refuse(self, message: str) -> None:
        """The key may not be used (someone else's): say so, and carry a fresh one next time."""
        self.data = self.data.copy()
        self.data[self.add_prefix(SUBMISSION_FIELD)] = submission_key_new()
        self._submission_problem = message
        if self._errors is not None:
            self.add_error(None, message)


class SubmissionForm(OneSubmissionForm, forms.Form):
    """Only the key: for a create button whose other inputs the view reads itself."""


def submission_answer(request: HttpRequest, repeated: SubmissionRepeated) -> HttpResponse:
    """What the first send made, for every later send of the same form."""
    messages.info(request, str(REPEATED))
    return redirect(repeated.first.response_url or "/")


def submission_repeat(request: HttpRequest, form: OneSubmissionForm, kind: str) -> HttpResponse | None:
    """The answer for a form sent already (its first result), or None to go on. A key used by
    someone else is refused on the form. The form is validated first (see above)."""
    form.is_valid()
    key = form.submission_key
    if not is_submission_key(key):
        return None  # the form says what is missing
    try:
        submission_check(key, request.user, kind)
    except SubmissionRepeated as repeated:
        return submission_answer(request, repeated)
    except SubmissionRefused as refused:
        form.submission_refuse(refused.message)
    return None


def create_once(
    request: HttpRequest,
    form: OneSubmissionForm,
    kind: str,
    create: Callable[[], Made],
    url_of: Callable[[Made], str],
) -> Made:
    """`create()` and the claim of the form's key in one transaction.

    The key is claimed first: a copy of the form sent at the same instant waits there until
    this one commits, then gives up without making anything (SubmissionRepeated).
    """
    key = form.submission_key
    with submission_once(key, request.user, kind), transaction.atomic():
        claim = submission_claim(key=key, user=request.user, kind=kind)
        made = create()
        submission_done(claim, object_id=made.pk, url=url_of(made))
    return made
