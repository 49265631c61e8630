#!/usr/bin/python3
"""Git's clean filter for notebooks/*.ipynb (set up by scripts/setup.sh; see .gitattributes).

Reads a notebook on stdin and writes what git stores: the same notebook without outputs,
execution counts or the view state Jupyter keeps per cell (scrolled, collapsed, timings), in
the layout Jupyter itself saves (nbformat's, keys sorted, one space indent). A notebook run and
autosaved in the lab therefore reads as unchanged to git, while its outputs stay in the working
copy for the user. Notebook metadata (kernelspec, language_info) is kept as is, so a real change
to it still shows.
"""
import sys

import nbformat

VIEW_STATE = ("collapsed", "scrolled", "execution", "ExecuteTime", "jupyter")


def strip(nb):
    for cell in nb.cells:
        for key in VIEW_STATE:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def main():
    text = sys.stdin.read()
    try:
        nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    except Exception:
        # Not a notebook git can parse (a merge conflict, say): store it untouched.
        sys.stdout.write(text)
        return
    sys.stdout.write(nbformat.writes(strip(nb)) + "\n")


if __name__ == "__main__":
    main()
