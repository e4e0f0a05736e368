"""Actions: one function per thing a person or the system does; each commits once, with its events in the outbox."""
