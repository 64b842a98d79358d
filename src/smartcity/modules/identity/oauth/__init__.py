"""The platform as an OAuth 2.0 authorisation server, and as a client of an outside one."""
