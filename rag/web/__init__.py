"""The browser app: Gradio layout and handlers (``app``), HTML rendering (``render``), uploads."""
