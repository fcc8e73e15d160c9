"""Storage: the tables, and one repository per aggregate that owns its SQL statements."""
