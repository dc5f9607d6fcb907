"""Default run tags: user, source, entry point, git facts; never failing without git."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

import pytest

from trackstone.client.system_tags import (
    ENTRY_POINT_TAG,
    GIT_DIRTY_TAG,
    SOURCE_GIT_BRANCH_TAG,
    SOURCE_GIT_COMMIT_TAG,
    SOURCE_GIT_REPO_URL_TAG,
    SOURCE_NAME_TAG,
    SOURCE_TYPE_TAG,
    GitInfo,
    default_run_tags,
    read_git_info,
)

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    _git(folder, "init", "-q", "-b", "main")
    _git(folder, "config", "user.email", "dev@example.com")
    _git(folder, "config", "user.name", "Dev")
    (folder / "train.py").write_text("print('hi')\n")
    _git(folder, "add", "train.py")
    _git(folder, "commit", "-q", "-m", "first")
    return folder


@needs_git
def test_git_info_of_a_clean_tree(repo: Path) -> None:
    info = read_git_info(repo)
    assert info == GitInfo(
        commit=_git(repo, "rev-parse", "HEAD"), branch="main", repo_url=None, dirty=False
    )


@needs_git
def test_git_info_sees_a_modified_tracked_file(repo: Path) -> None:
    (repo / "train.py").write_text("print('changed')\n")
    info = read_git_info(repo)
    assert info is not None and info.dirty


@needs_git
def test_untracked_files_do_not_make_the_tree_dirty(repo: Path) -> None:
    (repo / "notes.txt").write_text("scratch\n")
    info = read_git_info(repo)
    assert info is not None and not info.dirty


@needs_git
@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("https://github.com/acme/model.git", "https://github.com/acme/model.git"),
        ("https://user:s3cret@github.com/acme/model.git", "https://github.com/acme/model.git"),
        ("https://ghp_token@github.com/acme/model.git", "https://github.com/acme/model.git"),
        ("git@github.com:acme/model.git", "git@github.com:acme/model.git"),
    ],
)
def test_remote_url_is_kept_without_credentials(repo: Path, remote: str, expected: str) -> None:
    _git(repo, "remote", "add", "origin", remote)
    info = read_git_info(repo)
    assert info is not None and info.repo_url == expected


@needs_git
def test_detached_head_has_no_branch(repo: Path) -> None:
    _git(repo, "checkout", "-q", "--detach")
    info = read_git_info(repo)
    assert info is not None and info.branch is None


def test_folder_outside_a_repository_has_no_git_info(tmp_path: Path) -> None:
    assert read_git_info(tmp_path) is None


def test_missing_git_executable_gives_no_git_info(tmp_path: Path) -> None:
    assert read_git_info(tmp_path, git=str(tmp_path / "no-such-git")) is None


@needs_git
def test_default_tags_of_a_script_in_a_repository(repo: Path) -> None:
    script = repo / "train.py"
    tags = default_run_tags([str(script)], main_module=ModuleType("__main__"))
    assert tags[SOURCE_NAME_TAG] == str(script.resolve())
    assert tags[SOURCE_TYPE_TAG] == "LOCAL"
    assert tags[ENTRY_POINT_TAG] == "train.py"
    assert tags[SOURCE_GIT_COMMIT_TAG] == _git(repo, "rev-parse", "HEAD")
    assert tags[SOURCE_GIT_BRANCH_TAG] == "main"
    assert tags[GIT_DIRTY_TAG] == "false"
    assert SOURCE_GIT_REPO_URL_TAG not in tags


def test_given_git_info_is_written_as_tags() -> None:
    info = GitInfo(commit="abc123", branch=None, repo_url="https://example.com/r.git", dirty=True)
    tags = default_run_tags(["train.py"], main_module=ModuleType("__main__"), git_info=info)
    assert {
        k: tags.get(k)
        for k in (
            SOURCE_GIT_COMMIT_TAG,
            SOURCE_GIT_BRANCH_TAG,
            SOURCE_GIT_REPO_URL_TAG,
            GIT_DIRTY_TAG,
        )
    } == {
        SOURCE_GIT_COMMIT_TAG: "abc123",
        SOURCE_GIT_BRANCH_TAG: None,
        SOURCE_GIT_REPO_URL_TAG: "https://example.com/r.git",
        GIT_DIRTY_TAG: "true",
    }


def test_without_git_info_there_are_no_git_tags() -> None:
    tags = default_run_tags(["train.py"], main_module=ModuleType("__main__"), git_info=None)
    assert not [key for key in tags if "git" in key]


def _module_run_as(name: str) -> ModuleType:
    module = ModuleType("__main__")
    module.__spec__ = ModuleSpec(name, loader=None)
    return module


@pytest.mark.parametrize(
    ("argv", "main_module", "source", "entry_point"),
    [
        (["-c"], ModuleType("__main__"), "<console>", "<console>"),
        ([], ModuleType("__main__"), "<console>", "<console>"),
        (["not-a-file.py"], ModuleType("__main__"), "not-a-file.py", "not-a-file.py"),
        (["/x/pkg/train.py"], _module_run_as("pkg.train"), "/x/pkg/train.py", "pkg.train"),
        (["/x/pkg/__main__.py"], _module_run_as("pkg.__main__"), "/x/pkg/__main__.py", "pkg"),
    ],
)
def test_source_and_entry_point(
    argv: list[str], main_module: ModuleType, source: str, entry_point: str
) -> None:
    tags = default_run_tags(argv, main_module=main_module, git_info=None)
    assert (tags[SOURCE_NAME_TAG], tags[ENTRY_POINT_TAG]) == (source, entry_point)


def test_user_python_and_host_are_recorded() -> None:
    tags = default_run_tags(["train.py"], main_module=ModuleType("__main__"), git_info=None)
    assert tags["mlflow.user"]
    assert tags["trackstone.python.version"] == ".".join(map(str, sys.version_info[:3]))
    assert tags["trackstone.host"]
