"""Test fixtures as plain modules: a throwaway PostgreSQL cluster, record builders."""
