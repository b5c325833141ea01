"""The prompt templates, shipped inside the package as ``rag._prompts`` (see pyproject.toml)."""
