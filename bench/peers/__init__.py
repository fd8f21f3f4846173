"""The benchmark's peers: other ways to answer the teacher's gradebook query on the same data.

``tavle_apps`` (Tavle itself, guarded and with a permissive policy), ``plain_strawberry`` (a
small Strawberry schema with DataLoaders and no authorisation), ``casbin_per_field`` (the same
schema calling ``casbin.Enforcer.enforce()`` for every field) and ``floor`` (four hand-written
SQLAlchemy Core statements and orjson). ``bench/authz_overhead.py`` runs them side by side.
"""
