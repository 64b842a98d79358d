"""The portal shell and operations endpoints: what every module's pages stand in."""
