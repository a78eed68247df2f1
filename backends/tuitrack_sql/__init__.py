"""SQLAlchemy backend store for tuitrack: SQLite, PostgreSQL and MySQL/MariaDB."""
