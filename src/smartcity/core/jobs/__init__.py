"""Background jobs: a queue in the platform's own tables, schedules, and durable events (ADR 15)."""
