"""HTML views, one module per journey, each view a few lines over its flow in
``accounts.flows`` (or one service or selector call)."""
