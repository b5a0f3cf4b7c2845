"""One warning for modules that lean on another package's internals, checked with one version."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

log = logging.getLogger(__name__)


def installed_version(package: str) -> str:
    """The installed version of `package`, or "not installed"."""
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def warn_unless_checked(package: str, checked_with: str, module: str, advice: str) -> str:
    """Log a warning when `package` is not the version `module` was checked with; return the installed one."""
    installed = installed_version(package)
    if installed != checked_with:
        log.warning(
            "%s %s is installed; %s was checked with %s. %s",
            package,
            installed,
            module,
            checked_with,
            advice,
        )
    return installed
