"""Write-offs with approval (报损核销): a keeper requests, an administrator approves or rejects.

``service`` holds the use cases (plain values in, one transaction each), ``api`` the JSON API under
/api/v1/write-offs and ``views`` the pages under /write-offs. Units leave a lot only when a request is
approved, through ``inventory.services.write_off_in``; POST /api/v1/ledger refuses kind ``write_off``.
"""
