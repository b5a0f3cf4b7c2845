"""The shape of the code: Flet's internals in two version-checked modules (the page and session
layer, the socket layer), and UI modules that do not import each other."""

import ast
import re
from pathlib import Path

CHAT = Path(__file__).resolve().parent.parent / "chat"
INTERNALS = re.compile(r"ObjectPatch|session\.index|\b_frozen\b|\._i\b|pubsubhub|invoke_method")
SOCKET_INTERNALS = re.compile(r"\bFletApp\b|get_event_field_type|running_tasks")


def code_without_comments_and_docstrings(path: Path) -> str:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                body[0] = ast.Pass()
    return ast.unparse(tree)


def users_of(internals: re.Pattern[str]) -> list[str]:
    return sorted(
        str(path.relative_to(CHAT))
        for path in CHAT.rglob("*.py")
        if internals.search(code_without_comments_and_docstrings(path))
    )


def test_flet_internals_are_used_in_one_version_checked_module_only():
    assert users_of(INTERNALS) == ["flet_internals.py"]
    assert "warn_unless_checked" in (CHAT / "flet_internals.py").read_text()


def test_flets_socket_internals_are_patched_in_one_version_checked_module_only():
    # The socket guard's patches of flet_web's FletApp and of event typing live in flet_wire.py.
    assert users_of(SOCKET_INTERNALS) == ["flet_wire.py"]
    assert "warn_unless_checked" in (CHAT / "flet_wire.py").read_text()


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_page_and_the_shared_view_do_not_import_each_other():
    assert "chat.ui.page" not in imported_modules(CHAT / "ui" / "shared_view.py")
    # The page uses the shared view; the shared view knows a tab only as TabActions.
    assert "chat.ui.tab_actions" in imported_modules(CHAT / "ui" / "shared_view.py")
