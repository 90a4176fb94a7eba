"""Pieces shared by inventory, dispatch and accounts: database, errors, who is acting."""
