"""Provider adapters: the port (``base``, the only module imported from outside this
package), the Codat adapter (``codat*``), and ``registry.build_adapter``."""
