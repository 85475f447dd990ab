"""Partners: API keys and the partner API's lead intake."""
