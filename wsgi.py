"""WSGI entry point: ``gunicorn wsgi:app``.

Like ``federation serve``, it refuses to start on a missing or unmigrated
database, or one set up with another secret key, before serving anything.
"""

from federation import create_app
from federation.ops import readiness

app = create_app()
_state = readiness(app)
if not _state.ready:
    raise SystemExit(f"Error: {_state.detail}")
