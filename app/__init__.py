"""icp-sync: ICP fit scores, tiers and disqualification flags for CRM accounts."""
