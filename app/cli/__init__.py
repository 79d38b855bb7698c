"""The `icp-sync` command line."""
