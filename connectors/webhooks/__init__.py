"""ShipStation's tracking webhooks: a receiver that journals verified track events (receiver.py,
signature.py) and the registration of its URL with the account (registration.py).

Start it with `python -m connectors.webhooks [--register PUBLIC_URL]`.
"""
