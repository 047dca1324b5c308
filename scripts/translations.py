"""Keep the catalogues complete: extract, fill Traditional Chinese, list what English lacks, compile.

    python scripts/translations.py              # extract, convert zh_Hant, report missing English
    python scripts/translations.py en.json      # also apply English translations {msgid: msgstr}
                                                # (a plural entry takes [singular, plural])

Traditional Chinese is converted from the Simplified source strings with OpenCC (s2tw: Taiwan standard characters, 核驗 not 覈驗); English
is written by people. The compiled .mo files are committed, so nobody needs gettext to run
the application; this script needs it (xgettext, msgfmt) and the dev requirements.
"""

import json
import subprocess
import sys
from pathlib import Path

import opencc
import polib

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
IGNORE = [".venv", "bench", "tests", "staticfiles", "var", "scripts"]


def extract():
    args = [PYTHON, "manage.py", "makemessages", "-l", "en", "-l", "zh_Hant", "--no-obsolete", "--no-location"]
    for pattern in IGNORE:
        args += ["--ignore", pattern]
    subprocess.run(args, cwd=ROOT, check=True, env={"DEBUG": "1", "PATH": "/usr/bin:/bin"})


def fill_traditional():
    convert = opencc.OpenCC("s2tw").convert
    po = polib.pofile(str(ROOT / "locale/zh_Hant/LC_MESSAGES/django.po"))
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    for entry in po:
        translated = entry.msgstr or (entry.msgstr_plural and entry.msgstr_plural.get(0))
        if translated and "fuzzy" not in entry.flags:
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: convert(entry.msgid_plural)}  # one form: the one with the number
        else:
            entry.msgstr = convert(entry.msgid)
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save()


def fill_english(path):
    given = json.loads(Path(path).read_text())
    po = polib.pofile(str(ROOT / "locale/en/LC_MESSAGES/django.po"))
    for entry in po:
        if entry.msgid in given:
            value = given[entry.msgid]
            if entry.msgid_plural:
                entry.msgstr_plural = {0: value[0], 1: value[1]}
            else:
                entry.msgstr = value
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
    po.save()


def report():
    po = polib.pofile(str(ROOT / "locale/en/LC_MESSAGES/django.po"))
    missing = [entry.msgid for entry in po.untranslated_entries() + po.fuzzy_entries()]
    for msgid in missing:
        print(f"English missing: {msgid!r}")
    return missing


def compile_all():
    for po in ROOT.glob("locale/*/LC_MESSAGES/django.po"):
        subprocess.run(["msgfmt", "--check", "-o", str(po.with_suffix(".mo")), str(po)], check=True)


if __name__ == "__main__":
    extract()
    fill_traditional()
    if len(sys.argv) > 1:
        fill_english(sys.argv[1])
    missing = report()
    compile_all()
    sys.exit(1 if missing else 0)
