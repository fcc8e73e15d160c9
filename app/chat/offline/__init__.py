"""The offline assistant: a deterministic parser of English task commands."""
