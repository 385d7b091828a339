"""Per-app parts of the authorisation matrix (``tests/authorization_matrix.py`` merges them).

Each module lists its app's pages (``PAGES``), API operations (``API``) and POST bodies (``POST_DATA``)
in the vocabulary of ``tests/authorization_matrix.py``, and ``objects(city, other_city, users)`` creates
the records its URLs name, returning ``{"placeholder": value}`` for the ``"{placeholder}"`` kwargs.
"""

FRAGMENTS = ("reports", "open311", "surveys", "community", "practices", "learning", "crises")
