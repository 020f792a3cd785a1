"""The one way restoreadmin talks to Looker: instances from looker.ini, SDK clients,
error classification, rate limits and retries, shared by extraction and the restore engine.

Importing this package switches off the SDK's error-documentation lookup, which
otherwise calls the internet, without a timeout, on every Looker error.
"""

from restoration.looker.errors import disable_error_doc_lookup

disable_error_doc_lookup()
