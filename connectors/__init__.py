"""CRM connectors: clients, record mapping and the loopback sandbox. Knows nothing of scoring."""
