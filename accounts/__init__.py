"""People, roles, depot bindings and API tokens; logins with their locks, password rules and session limits, and
the security audit trail (安全审计: ``accounts.security``, its page ``accounts.security_views``, its CLI
``accounts.cli``)."""
