"""The durable webhook inbox: events are stored before a webhook is answered (`receive`), then
claimed, coalesced per record and processed by the worker (`queue`, `worker`)."""
