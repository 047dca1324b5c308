"""Write the document templates the ledger ships: templates/documents/<kind>.docx.

    python scripts/document_templates.py

Each is the same GB/T 9704 layout (infra/gongwen_template.py) with the placeholders the
documents fill in; an office adjusts its copy in Word or WPS (README, Documents). Running this
again overwrites the four files with the ledger's own layout.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra.gongwen_template import template_document  # noqa: E402

KINDS = {
    "notice": "通报",
    "supervision": "督办单",
    "summary": "月度情况专报",
    "rectification": "整改报告",
}


def main() -> None:
    folder = ROOT / "templates" / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    for kind, name in KINDS.items():
        template_document(f"{name}模板").save(folder / f"{kind}.docx")
        print(folder / f"{kind}.docx")


if __name__ == "__main__":
    main()
