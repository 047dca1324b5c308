"""bandit finds nothing unexplained in the code (each reviewed finding is marked where it is); the
dev requirements move in step; the floors hold (import-linter's contracts in pyproject.toml, no
import hidden inside a function); the floors that hold the rules are typed, and mypy agrees."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from importlinter.domain.contract import ContractCheck

from .import_contracts import AcyclicModulesContract

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("campaigns", "devdata", "infra", "ledger", "security")

# The code reads the same at every clock: make test-clocks leaves these out.
pytestmark = pytest.mark.static


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


# --- types ---------------------------------------------------------------------------------

# The floors whose every public function states its types; mypy checks them (make lint, CI).
TYPED = (
    "campaigns/policy.py",
    "campaigns/access",
    "campaigns/workflow",
    "campaigns/selectors",
    "campaigns/services",
    "campaigns/workdays.py",
)


def _is_public(name):
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def unannotated(source, where="<source>"):
    """Public functions of a module, and public methods of its public classes, that leave a
    parameter (self and cls aside) or the return without a type."""
    found = []

    def check(function, method):
        arguments = function.args
        parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        if method and parameters and parameters[0].arg in ("self", "cls"):
            parameters = parameters[1:]
        parameters += [arg for arg in (arguments.vararg, arguments.kwarg) if arg is not None]
        missing = [parameter.arg for parameter in parameters if parameter.annotation is None]
        if function.returns is None:
            missing.append("return")
        if missing:
            found.append(f"{where}:{function.lineno} {function.name}: {', '.join(missing)}")

    def visit(body, method):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_public(node.name):
                check(node, method)
            elif isinstance(node, ast.ClassDef) and _is_public(node.name):
                visit(node.body, method=True)

    visit(ast.parse(source).body, method=False)
    return found


def _typed_modules():
    for entry in TYPED:
        path = ROOT / entry
        for module in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            yield module.relative_to(ROOT).as_posix(), module


def test_every_public_function_of_the_typed_floors_is_annotated():
    found, modules = [], 0
    for relative, module in _typed_modules():
        found += unannotated(module.read_text(encoding="utf-8"), relative)
        modules += 1
    assert modules > 30
    assert found == []


def test_the_annotation_check_finds_what_is_missing():
    source = """
def fine(a: int, *args: str, b: bool = False, **kwargs: object) -> None: ...
def no_return(a: int): ...
def bare(a, b: int) -> int: ...
def loose(*args, **kwargs) -> None: ...
def _private(a): ...
class Public:
    def __init__(self, a) -> None: ...
    def method(self) -> int: ...
    @classmethod
    def make(cls, a: int): ...
    def _helper(self, a): ...
class _Private:
    def method(self, a): ...
"""
    assert [line.split(" ", 1)[1] for line in unannotated(source)] == [
        "no_return: return",
        "bare: a",
        "loose: args, kwargs",
        "__init__: a",
        "make: return",
    ]


def test_mypy_is_clean_on_the_typed_floors():
    # The settings refuse to load without a SECRET_KEY unless DEBUG is on; mypy's Django plugin loads them.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", os.devnull],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
