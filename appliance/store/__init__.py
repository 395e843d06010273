"""Encrypted storage: SQLCipher database, schema migrations, keyslots, encrypted blobs, audit chain."""
