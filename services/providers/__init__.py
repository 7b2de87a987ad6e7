"""Provider adapters: the protocol (``base``), the Codat adapter, and ``registry.build_adapter``."""
