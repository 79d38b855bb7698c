"""Validation of the ICP rubric against closed won/lost deals: pure statistics, no I/O."""
