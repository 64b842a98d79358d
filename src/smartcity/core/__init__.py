"""The kernel every module stands on. It never imports a module."""
