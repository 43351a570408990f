"""tests/e2e holds the notebook that tests/test_browser.py drives in a real browser.

It is not collected by nbval (``make test`` passes ``--nbval-lax``): the browser test runs it,
cell by cell, as a student would.
"""
collect_ignore_glob = ["*.ipynb", "node_modules/*"]
