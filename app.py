"""Start the web app: ``python app.py`` (address from RAG_HOST / RAG_PORT, default 127.0.0.1:7860)."""

from rag.web.app import main

if __name__ == "__main__":
    main()
