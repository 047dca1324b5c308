"""bandit finds nothing unexplained in the code (each reviewed finding is marked where it is), and the
floors hold: import-linter's contracts (pyproject.toml) and no import hidden inside a function."""

import ast
import subprocess
import sys
from pathlib import Path

import grimp
from importlinter.domain.contract import ContractCheck

from .import_contracts import AcyclicModulesContract

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("campaigns", "devdata", "infra", "ledger", "security")


def test_bandit_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", *PACKAGES, "-x", "campaigns/migrations", "-f", "txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-6000:]


def _pins(*names):
    pins = {}
    for name in names:
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-r"):
                package, _, version = line.partition("==")
                pins[package.lower()] = version
    return pins


def test_the_django6_leg_pins_what_production_pins_but_django():
    production = _pins("requirements.txt", "requirements-dev.txt")
    django6 = _pins("requirements-django6.txt")
    assert django6.pop("django").startswith("6.") and production.pop("django").startswith("5.2.")
    assert django6 == production


def test_the_floors_hold():
    """lint-imports checks every contract in pyproject.toml: the floors, and no cycle anywhere."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]


def test_a_cycle_through_another_package_breaks_the_module_contract():
    graph = grimp.ImportGraph()
    graph.add_import(importer="campaigns.services.notifications", imported="security.audit")
    graph.add_import(importer="security.audit", imported="campaigns.models")
    contract = AcyclicModulesContract(name="no module cycles", session_options={}, contract_options={})
    check: ContractCheck = contract.check(graph, verbose=False)
    assert check.kept
    graph.add_import(importer="security.audit", imported="campaigns.services.notifications")
    check = contract.check(graph, verbose=False)
    assert not check.kept
    assert check.metadata["cycles"] == [
        ("campaigns.services.notifications", "security.audit", "campaigns.services.notifications")
    ]


def _is_project_import(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] in PACKAGES
    return any(alias.name.split(".")[0] in PACKAGES for alias in node.names)


def test_no_project_module_is_imported_inside_a_function():
    """An import inside a function is how a cycle hides from a reader (import-linter counts it
    all the same). The exceptions are Django's: AppConfig.ready() connects signal handlers once
    the app registry is ready, and migrations (skipped here) import what they need where they run."""
    hidden = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.relative_to(ROOT).parts:
                continue
            outermost = {}
            for function in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    for node in ast.walk(function):
                        if isinstance(node, ast.Import | ast.ImportFrom) and _is_project_import(node):
                            outermost.setdefault(node.lineno, function.name)  # ast.walk meets outer first
            for line, function_name in sorted(outermost.items()):
                if not (path.name == "apps.py" and function_name == "ready"):
                    hidden.append(f"{path.relative_to(ROOT)}:{line} in {function_name}()")
    assert hidden == []


def test_policy_takes_only_values_from_django_db():
    """policy does no I/O: from django.db it takes TextChoices (the roles and states are model
    choices) and Q (a filter is a value); never a connection, a transaction, a model or a query.
    import-linter sees external packages only whole ("django"), so this floor is checked here."""
    taken = set()
    for node in ast.walk(ast.parse((ROOT / "campaigns" / "policy.py").read_text())):
        if isinstance(node, ast.Import):
            taken |= {alias.name for alias in node.names if alias.name.startswith("django.db")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django.db"):
            taken |= {f"{node.module}.{alias.name}" for alias in node.names}
    assert taken <= {"django.db.models.Q", "django.db.models.TextChoices"}
