"""HubSpot: the official client wrapped (`client`), pure mapping (`mapping`, `render`), paging
(`pull`), batched writeback (`write`), property setup (`schema`) and `HubSpotConnector`."""
