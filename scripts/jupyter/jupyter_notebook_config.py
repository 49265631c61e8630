"""The lab's Jupyter settings (scripts/lab.ts passes this file with --config).

After each save of a notebook inside a git checkout: if the notebook, cleaned by git's
notebook-outputs filter (.gitattributes), is exactly what git already has, the index entry is
refreshed with `git add` (which stages nothing: the content is the same). Without this, git
would list an autosaved notebook as modified until someone ran `git add`: when a file's size
changes git reports it modified without running the filter, while `git diff` shows nothing.
A notebook with real edits is left alone, so `git status` shows exactly those.
"""
import os
import subprocess


def refresh_git_entry(model, os_path, contents_manager, **kwargs):
    if not os_path.endswith(".ipynb"):
        return
    folder, name = os.path.split(os_path)

    def git(*args):
        return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=60)

    staged = git("ls-files", "--stage", "--", name)
    if staged.returncode != 0 or not staged.stdout.strip():
        return  # not in a git checkout, or not a tracked notebook
    index_blob = staged.stdout.split()[1]
    cleaned_blob = git("hash-object", "--path", name, "--", name)
    if cleaned_blob.returncode == 0 and cleaned_blob.stdout.strip() == index_blob:
        git("add", "--", name)


c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)
c.FileContentsManager.post_save_hook = refresh_git_entry
