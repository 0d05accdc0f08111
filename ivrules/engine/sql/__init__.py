"""The columnar backend: a region's revisions compiled to one SQL query (sqlglot trees, never pasted text).

The scalar evaluator (``ivrules.engine.course``) answers one question with its
explanation; this backend answers a whole table of courses at once with the
same rules: ``rules`` compiles a rule AST to a three-valued SQL expression
(SQL's NULL with AND/OR is Kleene's logic), ``revision`` compiles one
revision's requirements, party check, billing rules, schedules, day bands,
categories, minutes and financing split, and ``query`` picks the revision in
force on each course's date (accession included) and puts the revisions
together. A rule the compiler cannot express raises ``SqlCompileError``
naming the rule. Money is exact, never floating point: a price's lines are summed
in whole øre (BIGINT), and the answer's amounts are DECIMAL(18, 2).
"""

# The dialects a test runs the query in: duckdb (tests/test_sql_backend.py) and postgres, on a real server
# (tests/test_sql_postgres.py). Kept here, free of sqlglot, so the command line can offer them without the
# `sql` extra installed; sqlglot could print others (tsql, spark), but none is offered until a test runs it.
DIALECTS = ("duckdb", "postgres")
