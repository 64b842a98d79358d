"""Feature modules; each exports a `manifest` and is wired in by `smartcity.app`."""
