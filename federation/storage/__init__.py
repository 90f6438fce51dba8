"""SQLAlchemy 2 models and queries: the only package that speaks SQL."""
