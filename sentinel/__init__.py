"""MailSentinel: email-authentication monitoring (the core package)."""

import warnings

# connexion imports Starlette's test client at import time, which warns about its httpx
# dependency on every start; it is not a problem of this program's.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
