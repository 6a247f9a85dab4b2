"""Constants shared by the sandbox tests."""

import os

from sandbox.credentials import SANDBOX_CREDENTIALS

# Another seed exercises another world: SANDBOX_TEST_SEED=11 pytest tests/sandbox
SEED = int(os.environ.get("SANDBOX_TEST_SEED", "7"))
AUTH = {
    "hubspot": {"Authorization": f"Bearer {SANDBOX_CREDENTIALS['hubspot']['token']}"},
    "meta": {"Authorization": f"Bearer {SANDBOX_CREDENTIALS['meta']['access_token']}"},
    "google_ads": {"Authorization": f"Bearer {SANDBOX_CREDENTIALS['google_ads']['access_token']}",
                   "developer-token": SANDBOX_CREDENTIALS["google_ads"]["developer_token"]},
    "docusign": {"Authorization": f"Bearer {SANDBOX_CREDENTIALS['docusign']['access_token']}"},
    "shipstation": {"API-Key": SANDBOX_CREDENTIALS["shipstation"]["api_key"]},
    "ecb": {},
}
