"""The `semantic` rubric rule's enrichment: account text compared by meaning with the team's
written ICP narrative, with sentence embeddings computed on this machine.

`text` splits and bounds what is embedded, `vectors` packs embeddings for the store, `match`
finds the closest sentences (pure), `model` loads the local model, `cache` keeps embeddings per
text hash and model version, `enrich` puts the similarities into the facts the scorer reads.
"""
