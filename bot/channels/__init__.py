"""The channels patients write on: the REST channel with its checks (rest.py), the website
widget (socketio.py) and the messaging providers, one module per provider, each verifying its
webhooks.

credentials.yml names the connector classes; every secret comes from bot/settings.py, and a
channel whose settings are missing stays off (the start-up log says why). docs/CHANNELS.md.
"""
