"""The browser app: layout and wiring (``app``), event handlers (``handlers``), what the app
does without Gradio (``service``), HTML for the chat (``render``) and the sources panel
(``panel``), example questions (``examples``), uploads; styles and scripts in ``static/``."""
