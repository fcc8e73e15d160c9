"""The chat front doors (offline assistant, Gemini, MCP) over one tool set."""
