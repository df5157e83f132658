"""Demo data: realistic customers generated in bulk (COPY on PostgreSQL, executemany on
SQLite) for trying the product and for the benchmark harness in bench/."""
