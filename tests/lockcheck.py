"""Do requirements.lock and requirements-dev.lock pin what pyproject.toml asks for?

Run by the Makefile before every install and by the suite (tests/config/test_install.py).
When a requirement is added to pyproject.toml, or its range changes, and the locks were
not regenerated, this names each disagreement and says to run `make lock`.
Standard library only (plus the `packaging` copy pip carries), so it runs before any
install.
"""

import re
import sys
import tomllib
from pathlib import Path

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # a fresh virtualenv: only pip is there
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def pinned(lock: Path) -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in PIN.findall(lock.read_text())}


def disagreements(root: Path = ROOT) -> list[str]:
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = {
        "requirements.lock": project["dependencies"],
        "requirements-dev.lock": project["dependencies"]
        + project.get("optional-dependencies", {}).get("dev", []),
    }
    problems = []
    for lock_name, requirements in wanted.items():
        lock = root / lock_name
        if not lock.exists():
            problems.append(f"{lock_name} is missing")
            continue
        pins = pinned(lock)
        for line in requirements:
            requirement = Requirement(line)
            name = canonicalize_name(requirement.name)
            version = pins.get(name)
            if version is None:
                problems.append(f"{lock_name} does not pin {requirement.name}")
            elif not requirement.specifier.contains(version, prereleases=True):
                problems.append(f"{lock_name} pins {requirement.name}=={version}, outside {line!r}")
    return problems


def main() -> int:
    problems = disagreements()
    if problems:
        print("pyproject.toml and the lock files disagree:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print("Run `make lock` and commit requirements*.lock.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
