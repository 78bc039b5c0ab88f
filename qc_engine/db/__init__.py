"""Storage: SQLite by default (a file, WAL, foreign keys), PostgreSQL in production."""
