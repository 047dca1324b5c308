"""The 等保 controls: passwords, the second factor, the account policy, the security audit log,
and the security and audit admins' pages. Its models live in campaigns for now (moving them
needs state-only migrations)."""
