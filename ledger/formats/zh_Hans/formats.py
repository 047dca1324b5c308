from ledger.formats.common import *  # noqa: F403 - the same convention in every language
