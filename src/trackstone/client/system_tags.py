"""Default run tags that say how to reproduce a run: who, which code, which commit, where.

Keys shared with MLflow use MLflow's reserved names (``mlflow.user``, ``mlflow.source.*``) so
that data moves both ways; facts MLflow does not record live under ``trackstone.*``. Git is
asked through a subprocess with a short timeout; a missing git, a folder outside a repository
or a slow git only drops the git tags, it never fails a run.
"""

from __future__ import annotations

import functools
import getpass
import logging
import platform
import re
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

__all__ = [
    "ENTRY_POINT_TAG",
    "GIT_DIRTY_TAG",
    "HOST_TAG",
    "PARENT_RUN_ID_TAG",
    "PYTHON_VERSION_TAG",
    "RUN_NAME_TAG",
    "RUN_NOTE_TAG",
    "SOURCE_GIT_BRANCH_TAG",
    "SOURCE_GIT_COMMIT_TAG",
    "SOURCE_GIT_REPO_URL_TAG",
    "SOURCE_NAME_TAG",
    "SOURCE_TYPE_TAG",
    "USER_TAG",
    "GitInfo",
    "default_run_tags",
    "read_git_info",
]

logger = logging.getLogger(__name__)

USER_TAG = "mlflow.user"
SOURCE_NAME_TAG = "mlflow.source.name"
SOURCE_TYPE_TAG = "mlflow.source.type"
SOURCE_GIT_COMMIT_TAG = "mlflow.source.git.commit"
SOURCE_GIT_BRANCH_TAG = "mlflow.source.git.branch"
SOURCE_GIT_REPO_URL_TAG = "mlflow.source.git.repoURL"
PARENT_RUN_ID_TAG = "mlflow.parentRunId"
RUN_NAME_TAG = "mlflow.runName"
RUN_NOTE_TAG = "mlflow.note.content"
GIT_DIRTY_TAG = "trackstone.source.git.dirty"
ENTRY_POINT_TAG = "trackstone.source.entry_point"
PYTHON_VERSION_TAG = "trackstone.python.version"
HOST_TAG = "trackstone.host"

GIT_TIMEOUT_S = 2.0
_CONSOLE = "<console>"
# user:password@ or token@ in an https remote: never store credentials in a tag.
_URL_CREDENTIALS = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*://)[^/@]*@")


@dataclass(frozen=True)
class GitInfo:
    """What git says about the working tree holding the source file."""

    commit: str
    branch: str | None
    repo_url: str | None
    dirty: bool


def _git(git: str, folder: Path, args: Sequence[str], timeout_s: float) -> str | None:
    """Run one git command in ``folder``; return its stdout, or None on any failure."""
    try:
        done = subprocess.run(
            [git, "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as error:
        logger.debug("git %s failed in %s: %s", " ".join(args), folder, error)
        return None
    if done.returncode != 0:
        return None
    return done.stdout


def _strip_credentials(url: str) -> str:
    return _URL_CREDENTIALS.sub(r"\1", url)


def read_git_info(
    folder: Path, *, git: str = "git", timeout_s: float = GIT_TIMEOUT_S
) -> GitInfo | None:
    """Describe the git working tree containing ``folder``, or return None if there is none.

    Args:
        folder: any folder inside the working tree.
        git: the git executable to run.
        timeout_s: how long each git command may take.

    Returns:
        The commit, branch (None when detached), origin URL without credentials (None when
        there is no remote) and whether tracked files differ from the commit.
    """
    heads = _git(git, folder, ["rev-parse", "HEAD", "--abbrev-ref", "HEAD"], timeout_s)
    if heads is None:
        return None
    lines = heads.split()
    if not lines:
        return None
    commit = lines[0]
    branch = lines[1] if len(lines) > 1 and lines[1] != "HEAD" else None
    remote = _git(git, folder, ["config", "--get", "remote.origin.url"], timeout_s)
    repo_url = _strip_credentials(remote.strip()) if remote and remote.strip() else None
    status = _git(git, folder, ["status", "--porcelain", "--untracked-files=no"], timeout_s)
    dirty = bool(status.strip()) if status is not None else False
    return GitInfo(commit=commit, branch=branch, repo_url=repo_url, dirty=dirty)


@functools.lru_cache(maxsize=32)
def _cached_git_info(folder: Path) -> GitInfo | None:
    # The code a process runs was loaded when it started: asking git once per folder is both
    # cheaper and closer to the truth than asking again at every run start.
    return read_git_info(folder)


def _source_name(argv: Sequence[str]) -> str:
    script = argv[0] if argv else ""
    if not script or script in ("-c", "-"):
        return _CONSOLE
    path = Path(script)
    return str(path.resolve()) if path.is_file() else script


def _entry_point(argv: Sequence[str], main_module: ModuleType | None) -> str:
    spec = getattr(main_module, "__spec__", None)
    name = getattr(spec, "name", None)
    if isinstance(name, str) and name:
        # ``python -m package.module`` (spec name ends in ``__main__`` for packages).
        return name.removesuffix(".__main__")
    script = argv[0] if argv else ""
    if not script or script in ("-c", "-"):
        return _CONSOLE
    return Path(script).name


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError):
        return "unknown"


def default_run_tags(
    argv: Sequence[str] | None = None,
    main_module: ModuleType | None = None,
    git_info: GitInfo | bool | None = True,
) -> dict[str, str]:
    """Return the tags a new run gets by default.

    Args:
        argv: the command line (``sys.argv`` when None); ``argv[0]`` names the source.
        main_module: the ``__main__`` module (looked up when None); tells ``-m`` runs apart.
        git_info: ``True`` asks git about the source's folder (cached per process), a
            ``GitInfo`` is used as is, and ``None``/``False`` leaves the git tags out.

    Returns:
        A dict of tag key to value.

    Example:
        >>> default_run_tags(["train.py"], git_info=None)["mlflow.source.type"]
        'LOCAL'
    """
    args = list(sys.argv if argv is None else argv)
    module = sys.modules.get("__main__") if main_module is None else main_module
    source = _source_name(args)
    tags = {
        USER_TAG: _user(),
        SOURCE_NAME_TAG: source,
        SOURCE_TYPE_TAG: "LOCAL",
        ENTRY_POINT_TAG: _entry_point(args, module),
        PYTHON_VERSION_TAG: platform.python_version(),
        HOST_TAG: socket.gethostname(),
    }
    if git_info is True:
        source_path = Path(source)
        folder = source_path.parent if source_path.is_file() else Path.cwd()
        git_info = _cached_git_info(folder.resolve())
    if isinstance(git_info, GitInfo):
        tags[SOURCE_GIT_COMMIT_TAG] = git_info.commit
        tags[GIT_DIRTY_TAG] = "true" if git_info.dirty else "false"
        if git_info.branch:
            tags[SOURCE_GIT_BRANCH_TAG] = git_info.branch
        if git_info.repo_url:
            tags[SOURCE_GIT_REPO_URL_TAG] = git_info.repo_url
    return tags
