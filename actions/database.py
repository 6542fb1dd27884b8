"""The action server's one way to the database: the project's stores, built once per process."""
from functools import lru_cache

from bot import settings as bot_settings
from bot.storage import Stores


@lru_cache(maxsize=1)
def stores() -> Stores:
    return Stores(bot_settings.load())
