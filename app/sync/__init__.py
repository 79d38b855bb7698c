"""The pipeline shared by scheduled syncs and webhooks: upsert records, score the affected
accounts, write back the difference."""
