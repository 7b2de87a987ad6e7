"""The sandbox's Railz surface (``/v2/…``, ``/getAccess``, the sites consent page), served on
the same port and over the same ledger as its Codat surface. ``install(app, settings)`` adds it."""
