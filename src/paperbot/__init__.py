"""paperbot: follow arXiv from Telegram, Discord or the terminal."""

__version__ = "0.1.0"
