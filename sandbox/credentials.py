"""Credentials the sandbox accepts: well known, because the sandbox guards nothing real.

The hub uses them only when a system has no base URL of its own configured, i.e. when it
talks to the sandbox; a real base URL always needs real credentials from the environment.
Besides the static tokens, the sandbox's token endpoints (sandbox/apis/oauth.py) issue
short-lived tokens for the OAuth clients below; the RSA key is the sandbox's own, made for it
and registered nowhere else.
"""

from typing import Final

SANDBOX_CREDENTIALS: Final[dict[str, dict[str, str]]] = {
    "hubspot": {"token": "sandbox-hubspot-token"},
    "meta": {"access_token": "sandbox-meta-token"},
    "google_ads": {"access_token": "sandbox-google-token", "developer_token": "sandbox-dev-token"},
    "docusign": {"access_token": "sandbox-docusign-token"},
    "shipstation": {"api_key": "sandbox-shipstation-key"},
    "ecb": {},
    # a live-mode key: Shippo gives test keys (shippo_test_...) lower limits; the sandbox accepts both
    "shippo": {"api_token": "shippo_live_sandbox0000000000000000000000000000"},
    # a session id as the token endpoint issues them (org id, '!', token); client credentials below
    "salesforce": {"access_token": "00DHb0000000001!sandbox-salesforce-session"},
}

META_AD_ACCOUNTS: Final[dict[str, str]] = {"act_1001": "USD", "act_1002": "GBP", "act_1003": "EUR"}
GOOGLE_ADS_CUSTOMERS: Final[dict[str, str]] = {"1110001111": "EUR", "2220002222": "USD"}
DOCUSIGN_ACCOUNT_ID: Final[str] = "7d5a3d7e-0000-4000-8000-00000000d0c5"

# OAuth clients of the sandbox's token endpoints (refresh-token grants; DocuSign's JWT grant).
OAUTH_CLIENTS: Final[dict[str, dict[str, str]]] = {
    "google_ads": {"client_id": "sandbox-google-client.apps.googleusercontent.com",
                   "client_secret": "sandbox-google-client-secret", "refresh_token": "sandbox-google-refresh-token"},
    "hubspot": {"client_id": "sandbox-hubspot-client", "client_secret": "sandbox-hubspot-client-secret",
                "refresh_token": "sandbox-hubspot-refresh-token"},
    "salesforce": {"client_id": "3MVG9sandbox.salesforce.consumer.key", "client_secret": "sandbox-salesforce-consumer-secret"},
    "docusign": {"integration_key": "00000000-0000-4000-8000-0000000d0c5e", "user_id": "00000000-0000-4000-8000-00000000a11e",
                 "client_secret": "sandbox-docusign-secret-key", "refresh_token": "sandbox-docusign-refresh-token"},
}
# The RSA key pair of the sandbox's DocuSign integration key (the JWT grant signs with it).
DOCUSIGN_PRIVATE_KEY: Final[str] = """-----BEGIN PRIVATE KEY-----
MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQDzWCZq4sWUBhsN
U4AljhPOgAvwesmb0c5xGZOh0h6tcI5Be5Fs3z4eZWIAkeJJ92+MzkiMrgiMDEJr
EFXHFkP5txh/xRruGFbCjMcUdeReOlvr7ijIzz+ksgLuxXFBH7IBsORpWhQM6wSW
+W/a5rcM0n1JxipqcFMb1IUWI+DChpwBeuQaI4tOJ/K5Sz4fN9AvhJc3+zakeBGu
DcJ5PaqVti7HdiZ3do5oTN0CFwKCCFnH8Exk0p1i3lziGiXx0OoVXuPwPmtZTnMV
ur+fpCtgauMKU9HXSssgijTED7K1vb5TygfAJF626wW4VokV4i+DG0gm6nPlMgWG
uv4fkNzdAgMBAAECggEAAMO749WVvSw+Elm7EG3Pb58U39r5k7ECJvZSMa236sps
qVWCpIwuBTPt2HvHhtJ4H1c4QKLnrs2iDsqPbm+fjo24o2bNOcbJ96oFZ8cit3i+
TbHi9Gs8SLTwz+sUZZnnJLIM1wI8B7oG+r91Y8NvpfgVAdyVc7NUe4T8gbrioPyA
OD9r/ujsoojEWuiMioJ1lzDc9QO4W9epXzfuGFCi34uP1sUYwg+TSuhgMZ0eTnXQ
pVpK9TC9b6GFs1p1ei387PPjgc0mWdCxHwZijkeJMpnaA7K1NfBicfQk6pOy4p+F
8D+sjYmZ7DIGwxFxGU4OtVwnYtSzt0yYjgToIr1Q4QKBgQD9Xk61IWLQ2fvWxzE3
GordP8nOPjj2e/hEbynHYjjpufaeu0V5Wsw5LjTOU/y8rAG0x+8gTp1+/H2x1Hui
nyx3GxZPhywxFTsJ3/Y6jlGs/Z35DhNA2ZHjxFyzERaMgLXi7JX+7g9mIt2MK+Dm
iKUgryOmf/q8HTW1M4+uMpGpoQKBgQD13zBwczS06Sg0zJ0K/GMPWAK1PHcW81OB
JNJkqpIkm82W4yPmACy+F8y3W1nhPp3FbRHhaSdjxDBkWB4nXAJ+CIApDMYzrczV
aVqJ1g02a3EVOqeo8p9APopJyj6BfpkiPU/W1CtmBwKmSmtGPyK5+ikN71kgUFom
vbg5rT0BvQKBgQDBeM4pSgEm8g14iEpwhXgcUqVLNABTV37Q4wHIGpzS/QnxU5dN
f6QK1dnE5CVN/RqgbTuQM/fYC/3/WP2/xEQz/x8eQ13fbRLUC4z+UcbUjiWfFLxm
/LyGbF9M7XOGfpJlYbt4G1ju6Ri7/JWT9CwDtTlH3tob40Irx9+jaUIJgQKBgQCL
nSbGU8TUDalVAfMS7+nYJqOzAhiloZoDNUN7AhhmTUpaqbQSwHqnnqASZf8Nlh7E
ooCKvMkvL5JDCH5m3ypTIsSTirtpUQGFFYPhzPhHtI7L/TiDCPJA6sJf0EXaBmcy
OBqD5IqYLtbkUlHD28n+TPzO+uBjJv1qDkT0C1kfCQKBgQDFRXO6FGvRH15BzfQF
nY7qUDoB3TLEl72S52xpd8kyZd8HSAi3jkOgrrgwvWy42nc2YtoaDzr+n9n6Bobc
YXcMxsIlCK+pHAPswdwq8lcWAsQtyZ+YsPz36uxiKZrjc/+k2Pc15Gg+1QWyJI99
cJMS+x2HqnjR0LGQidV7OzneaQ==
-----END PRIVATE KEY-----
"""
