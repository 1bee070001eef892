"""The inbound channels, together: one adapter per channel behind the one registry (core/channel_registry.py).

- `email/`: mail over IMAP and the inbound endpoint (parsing, threading, bounces, outbound replies).
- `wechat/`: the Official Account endpoint's protocol (protocol.py) and the channel's intake (intake.py).
- `social.py`: signed social webhooks — Weibo DMs, SMS gateways' inbound replies, app messages.
- `calls.py`: call events and recordings from the CTI / IVR provider.
- `inbound.py`: the one path a message from outside takes onto a ticket, exactly once per provider id.
- `api.py`: the WeChat, social and call endpoints (the e-mail endpoint is email/api.py).

Each adapter stores a message or keeps it in the core quarantine (core/quarantine.py) before the provider is
answered, and registers what a quarantine retry runs (registry.py registers them all). Models stay in
tickets.models.
"""

