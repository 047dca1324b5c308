"""Three languages: Simplified Chinese (the default), Traditional Chinese and English.

Every string of the interface is translated (the catalogues are complete and compiled), the
pages people use most show no untranslated Chinese in English, a person's choice is kept
with their account and follows them to another device, and dates keep the Chinese shape.
"""

import datetime
import gettext
import re
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.db import models
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from campaigns.models import AccountProfile

from .factories import PASSWORD

pytestmark = pytest.mark.django_db
LOCALE = Path(__file__).resolve().parent.parent / "locale"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


@pytest.mark.parametrize("language", ["en", "zh_Hant"])
def test_every_string_is_translated_and_compiled(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    missing = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert not missing and not fuzzy, f"untranslated: {missing[:10]} fuzzy: {fuzzy[:10]}"
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in po:
        assert compiled.gettext(entry.msgid) != entry.msgid or entry.msgstr == entry.msgid or entry.msgid_plural, (
            f"{language}: {entry.msgid!r} is in the .po but not in the compiled .mo (run compilemessages)"
        )


def _data_strings():
    """Every Chinese text stored in the database: names and notes are data, not interface."""
    found = set()
    for model in apps.get_models():
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))]
        if not fields:
            continue
        for row in model.objects.values_list(*fields):
            found.update(value for value in row if isinstance(value, str) and CJK.search(value))
    return sorted(found, key=len, reverse=True)


def _untranslated(html, data):
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r'<option value="zh-han[st]"[^>]*>[^<]*</option>', " ", text)  # language names, in their own
    for value in data:
        text = text.replace(value, " ")
    text = re.sub(r"<[^>]+>", " ", text)
    return sorted(set(CJK.findall(text)))


# Interface strings added on a branch and waiting for the catalogues to be merged (their English
# is in scripts/en_a11y.json, for scripts/translations.py); empty this once they are.
def test_the_main_pages_speak_english(client, tx, duties):
    ticket = tx.submitted()
    tx.log()
    client.cookies["django_language"] = "en"
    data = _data_strings()
    pages = {
        tx.staff: ["/tickets/new/", "/my/", "/reports/", reverse("campaigns:notifications")],
        tx.supervisor: [
            "/board/TX/",
            "/tickets/",
            f"/tickets/{ticket.number}/",
            "/board/TX/rankings/",
            "/board/TX/summaries/",
            f"/campaigns/{tx.campaign.pk}/checklist/",
        ],
    }
    problems = {}
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert response["Content-Language"] == "en"
            left = _untranslated(response.content.decode(), data)
            if left:
                problems[url] = left
    assert not problems, problems


def test_traditional_chinese(client, tx):
    client.cookies["django_language"] = "zh-hant"
    client.force_login(tx.staff)
    html = client.get("/tickets/new/").content.decode()
    assert "登記問題" in html and "登记问题" not in html


def test_the_choice_is_kept_with_the_account_and_follows_the_person(client, tx):
    client.force_login(tx.staff)
    response = client.post(reverse("language"), {"language": "en", "next": "/tickets/new/"})
    assert response.status_code == 302 and response["Location"] == "/tickets/new/"
    assert response.cookies["django_language"].value == "en"
    assert AccountProfile.objects.get(user=tx.staff).language == "en"
    assert (
        "Log a problem" in client.get("/tickets/new/").content.decode()
        or client.get("/tickets/new/")["Content-Language"] == "en"
    )

    phone = Client()  # another device, no cookie yet
    login = phone.post("/accounts/login/", {"username": tx.staff.username, "password": PASSWORD})
    assert login.status_code == 302
    assert login.cookies["django_language"].value == "en"


@pytest.mark.parametrize("accept", ["en-US,en;q=0.9", "zh-TW,zh-Hant;q=0.9", "ja"])
def test_the_browsers_language_never_switches_the_interface(client, tx, accept):
    """Simplified Chinese whatever the browser says: an office PC or a phone set to English or
    繁體 reads 简体中文 until its person chooses otherwise."""
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response["Content-Language"] == "zh-hans" and "登录" in response.content.decode()
    assert "Accept-Language" not in response.get("Vary", "")
    client.force_login(tx.staff)
    response = client.get("/tickets/new/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response["Content-Language"] == "zh-hans" and "登记问题" in response.content.decode()


def test_an_account_that_never_chose_reads_simplified_chinese(client, tx):
    assert not AccountProfile.objects.filter(user=tx.staff).exclude(language="").exists()
    client.cookies["django_language"] = "en"  # the last person at this PC chose English
    login = client.post("/accounts/login/", {"username": tx.staff.username, "password": PASSWORD})
    assert login.status_code == 302 and login.cookies["django_language"].value == "zh-hans"
    assert client.get("/tickets/new/")["Content-Language"] == "zh-hans"
    field = AccountProfile._meta.get_field("language")
    assert "留空时使用简体中文" in str(field.help_text)


def test_a_choice_made_before_signing_in_is_kept_with_the_account(client, tx):
    client.post(reverse("language"), {"language": "zh-hant", "next": "/accounts/login/"})
    login = client.post("/accounts/login/", {"username": tx.staff.username, "password": PASSWORD})
    assert login.cookies["django_language"].value == "zh-hant"
    assert AccountProfile.objects.get(user=tx.staff).language == "zh-hant"
    phone = Client()
    login = phone.post("/accounts/login/", {"username": tx.staff.username, "password": PASSWORD})
    assert login.cookies["django_language"].value == "zh-hant"
    # Someone else signing in at the same PC afterwards is not given that choice.
    client.post(reverse("logout"))
    login = client.post("/accounts/login/", {"username": tx.supervisor.username, "password": PASSWORD})
    assert login.cookies["django_language"].value == "zh-hans"
    assert not AccountProfile.objects.filter(user=tx.supervisor).exclude(language="").exists()


def test_an_unknown_language_is_refused_politely(client, tx):
    client.force_login(tx.staff)
    response = client.post(reverse("language"), {"language": "xx", "next": "/"}, follow=True)
    assert "不支持这种语言" in response.content.decode()
    assert not AccountProfile.objects.filter(user=tx.staff, language="xx").exists()


def test_the_next_page_must_be_ours(client, tx):
    client.force_login(tx.staff)
    response = client.post(reverse("language"), {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == reverse("campaigns:home")


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant", "en"])
def test_dates_and_weeks_keep_the_chinese_shape(language):
    from django.utils.formats import get_format

    with translation.override(language):
        rendered = Template("{{ day|date }} {{ moment|date:'DATETIME_FORMAT' }}").render(
            Context({"day": datetime.date(2026, 11, 30), "moment": datetime.datetime(2026, 11, 30, 9, 5)})
        )
        assert rendered == "2026-11-30 2026-11-30 09:05"
        assert get_format("FIRST_DAY_OF_WEEK") == 1


def test_the_switch_returns_to_the_page_it_was_on(client, tx):
    client.force_login(tx.staff)
    response = client.post(
        reverse("language"), {"language": "en"}, HTTP_REFERER="http://testserver/tickets/?state=open"
    )
    assert response["Location"] == "/tickets/?state=open"
    response = client.post(reverse("language"), {"language": "en"}, HTTP_REFERER="https://evil.example/x")
    assert response["Location"] == reverse("campaigns:home")
