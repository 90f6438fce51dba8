"""WSGI entry point: ``gunicorn wsgi:app``."""

from federation import create_app

app = create_app()
