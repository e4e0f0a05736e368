"""MkDocs build-time glue for Guichet's knowledge base (DESIGN §2)."""
